/* fuzz_files.h - shared by the MovieLens fuzz targets: one fuzz input holds
 * several files, separated by a line "%%FILE\n". Part i goes to names[i];
 * a missing part means the file does not exist (the loader must say so).
 * The files live in one private temp directory per process. */
#ifndef FUZZ_FILES_H
#define FUZZ_FILES_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#define FUZZ_SEP "%%FILE\n"

static char fuzz_dir[64];

static inline void fuzz_remove_temp_dir(void)
{
    DIR *d = opendir(fuzz_dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[512];
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", fuzz_dir, e->d_name);
        unlink(path);
    }
    if (d) closedir(d);
    rmdir(fuzz_dir);
}

static inline const char *fuzz_temp_dir(void)
{
    char *dir = fuzz_dir;
    if (!dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof fuzz_dir, "%s/ckfuzz.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            abort();
        }
        atexit(fuzz_remove_temp_dir);
    }
    return dir;
}

/* Writes the parts of data into dir/names[i]; removes the files that have
 * no part. Returns the directory. */
static inline const char *fuzz_write_files(const unsigned char *data, size_t size, const char *const *names,
                                           int n_names)
{
    const char *dir = fuzz_temp_dir();
    const char *p = (const char *)data, *end = p + size;
    size_t sep_len = strlen(FUZZ_SEP);
    for (int i = 0; i < n_names; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
        if (!p) continue;
        const char *next = NULL;
        for (const char *q = p; q + sep_len <= end; q++)
            if (!memcmp(q, FUZZ_SEP, sep_len)) {
                next = q;
                break;
            }
        const char *part_end = next ? next : end;
        FILE *f = fopen(path, "wb");
        if (!f) {
            perror(path);
            abort();
        }
        if (part_end > p && fwrite(p, 1, (size_t)(part_end - p), f) != (size_t)(part_end - p)) abort();
        fclose(f);
        p = next ? next + sep_len : NULL;
    }
    return dir;
}

#endif
