/* io.c - safe opening, reading and atomic writing of files (see ck_io.h). */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* realpath */
#endif
#include "ck_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ck_error.h"

/* How many random temporary names to try before giving up (a clash needs
 * another writer to have drawn the same 8 characters). */
enum { TMP_NAME_TRIES = 100, TMP_RANDOM_CHARS = 8 };
#define TMP_INFIX ".tmp."

/* What a file that is not a regular file is, for messages. */
static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISLNK(mode)) return "a symbolic link";
    return "not a regular file";
}

/* ------------------------------------------------------------------ reading */

int ck_io_open_regular(const char *path, int *fd, uint64_t *size)
{
    if (!path || !fd || !size) return ck_fail("open: NULL argument");
    *fd = -1;
    *size = 0;
    /* stat first: a device is refused without being opened (opening some
     * devices has effects of its own) */
    struct stat st;
    if (stat(path, &st) != 0) return ck_fail("cannot open %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode)) return ck_fail("%s is %s, not a regular file", path, file_kind(st.st_mode));
    /* O_NONBLOCK: if path was swapped for a FIFO since the stat, opening it
     * still returns at once; fstat then says what was really opened */
    int f = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (f < 0) return ck_fail("cannot open %s: %s", path, strerror(errno));
    if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno;
        close(f);
        return S_ISREG(st.st_mode) ? ck_fail("cannot open %s: %s", path, strerror(e))
                                   : ck_fail("%s is %s, not a regular file", path, file_kind(st.st_mode));
    }
    int flags = fcntl(f, F_GETFL);
    if (flags < 0 || fcntl(f, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        int e = errno;
        close(f);
        return ck_fail("cannot open %s: %s", path, strerror(e));
    }
    *fd = f;
    *size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
    return 0;
}

int ck_io_read_exact(int fd, void *buf, size_t n, const char *path)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return ck_fail("cannot read %s: %s", path, strerror(errno));
        if (r == 0)
            return ck_fail("%s changed while it was read: it ended after %zu of the %zu bytes expected", path, got, n);
        got += (size_t)r;
    }
    return 0;
}

int ck_io_expect_end(int fd, uint64_t size, const char *path)
{
    char extra;
    ssize_t more;
    do more = read(fd, &extra, 1);
    while (more < 0 && errno == EINTR);
    if (more < 0) return ck_fail("cannot read %s: %s", path, strerror(errno));
    if (more > 0)
        return ck_fail("%s changed while it was read: it grew past its %llu bytes", path, (unsigned long long)size);
    return 0;
}

int ck_io_read_regular_file(const char *path, uint64_t max_bytes, char **buf, size_t *n)
{
    if (!buf || !n) return ck_fail("read: NULL argument");
    *buf = NULL;
    *n = 0;
    int fd;
    uint64_t size;
    if (ck_io_open_regular(path, &fd, &size) < 0) return -1;
    if (size > max_bytes || size >= SIZE_MAX) {
        close(fd);
        return ck_fail("%s is %llu bytes, more than the %llu this file can hold", path, (unsigned long long)size,
                       (unsigned long long)max_bytes);
    }
    char *b = malloc((size_t)size + 1);
    if (!b) {
        close(fd);
        return ck_fail("out of memory reading %s (%llu bytes)", path, (unsigned long long)size);
    }
    int rc = ck_io_read_exact(fd, b, (size_t)size, path);
    if (rc == 0) rc = ck_io_expect_end(fd, size, path);
    close(fd);
    if (rc < 0) {
        free(b);
        return -1;
    }
    b[size] = '\0';
    *buf = b;
    *n = (size_t)size;
    return 0;
}

/* ------------------------------------------------------------------ writing */

/* The directory part of path ("." when there is none), heap. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    char *d = malloc(len + 1);
    if (!d) return NULL;
    memcpy(d, path, len);
    d[len] = '\0';
    return d;
}

/* Checks path for writing; *target: the file to replace (path, or what the
 * symbolic link path names), heap. *mode: the existing file's permission
 * bits, or -1 when there is no file. */
static int check_output(const char *path, char **target, int *mode)
{
    *target = NULL;
    *mode = -1;
    if (!path || !*path) return ck_fail("cannot write: the path is empty");
    struct stat st;
    char *t = NULL;
    if (lstat(path, &st) == 0) {
        if (S_ISLNK(st.st_mode)) {
            /* write through the link: replace the file it names, keep the link */
            t = realpath(path, NULL);
            if (!t || stat(t, &st) != 0) {
                int e = errno;
                free(t);
                return ck_fail("cannot write %s: it is a symbolic link that cannot be followed: %s", path, strerror(e));
            }
        }
        if (!S_ISREG(st.st_mode))
            return ck_fail("refusing to replace %s: it is %s, not a regular file", path, file_kind(st.st_mode));
        *mode = (int)(st.st_mode & 07777);
    } else if (errno != ENOENT) {
        return ck_fail("cannot write %s: %s", path, strerror(errno));
    }
    if (!t) t = strdup(path);
    char *dir = t ? dir_of(t) : NULL;
    if (!dir) {
        free(t);
        return ck_fail("cannot write %s: out of memory", path);
    }
    int rc = 0;
    if (stat(dir, &st) != 0)
        rc = ck_fail("cannot write %s: its directory %s: %s", path, dir, strerror(errno));
    else if (!S_ISDIR(st.st_mode))
        rc = ck_fail("cannot write %s: %s is not a directory", path, dir);
    else if (access(dir, W_OK | X_OK) != 0)
        rc = ck_fail("cannot write %s: its directory %s: %s", path, dir, strerror(errno));
    free(dir);
    if (rc < 0) {
        free(t);
        return -1;
    }
    *target = t;
    return 0;
}

int ck_io_check_output_path(const char *path)
{
    char *target;
    int mode;
    if (check_output(path, &target, &mode) < 0) return -1;
    free(target);
    return 0;
}

/* splitmix64: spreads the bits of a counter, the time and the pid over the
 * temporary name, so concurrent writers (threads or processes) draw
 * different names; O_EXCL settles any clash. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static void random_suffix(char *out)
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static _Thread_local uint64_t counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t r = mix64(++counter ^ mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30)) ^
                       mix64((uint64_t)getpid() ^ (uint64_t)(uintptr_t)&counter));
    for (int i = 0; i < TMP_RANDOM_CHARS; i++) {
        out[i] = chars[r % (sizeof chars - 1)];
        r /= sizeof chars - 1;
    }
    out[TMP_RANDOM_CHARS] = '\0';
}

static void writer_release(ck_io_writer *w)
{
    free(w->path);
    free(w->target);
    free(w->tmp);
    memset(w, 0, sizeof *w);
}

int ck_io_writer_open(ck_io_writer *w, const char *path)
{
    if (!w) return ck_fail("cannot write: NULL writer");
    memset(w, 0, sizeof *w);
    int mode;
    if (check_output(path, &w->target, &mode) < 0) return -1;
    size_t len = strlen(w->target);
    w->path = strdup(path);
    w->tmp = malloc(len + sizeof TMP_INFIX + TMP_RANDOM_CHARS);
    if (!w->path || !w->tmp) {
        writer_release(w);
        return ck_fail("cannot write %s: out of memory", path);
    }
    memcpy(w->tmp, w->target, len);
    memcpy(w->tmp + len, TMP_INFIX, sizeof TMP_INFIX - 1);
    int fd = -1;
    for (int i = 0; i < TMP_NAME_TRIES && fd < 0; i++) {
        random_suffix(w->tmp + len + sizeof TMP_INFIX - 1);
        fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        ck_fail("cannot write %s: cannot create a temporary file next to it: %s", path, strerror(errno));
        writer_release(w);
        return -1;
    }
    /* the new file keeps the permissions of the one it replaces */
    if (mode >= 0) (void)fchmod(fd, (mode_t)mode);
    w->f = fdopen(fd, "wb");
    if (!w->f) {
        ck_fail("cannot write %s: %s", path, strerror(errno));
        close(fd);
        unlink(w->tmp);
        writer_release(w);
        return -1;
    }
    return 0;
}

void ck_io_writer_abort(ck_io_writer *w)
{
    if (!w) return;
    if (w->f) fclose(w->f);
    if (w->tmp) unlink(w->tmp);
    writer_release(w);
}

/* fsync the directory holding path, so the rename itself is durable.
 * Errors are ignored: some file systems cannot fsync a directory (EINVAL),
 * and the new file is complete and in place either way. */
static void sync_dir_of(const char *path)
{
    char *dir = dir_of(path);
    if (!dir) return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

int ck_io_writer_commit(ck_io_writer *w)
{
    if (!w || !w->f) return ck_fail("cannot write: the writer is not open");
    int err = 0;
    errno = 0;
    if (fflush(w->f) != 0 || ferror(w->f))
        err = errno ? errno : EIO;
    else if (fsync(fileno(w->f)) != 0)
        err = errno;
    if (fclose(w->f) != 0 && !err) err = errno ? errno : EIO;
    w->f = NULL;
    struct stat st;
    int rc = 0;
    if (err)
        rc = ck_fail("cannot write %s: %s", w->path, strerror(err));
    else if (lstat(w->target, &st) == 0 && !S_ISREG(st.st_mode)) /* replaced while we wrote */
        rc = ck_fail("refusing to replace %s: it is %s, not a regular file", w->path, file_kind(st.st_mode));
    else if (rename(w->tmp, w->target) != 0)
        rc = ck_fail("cannot write %s: %s", w->path, strerror(errno));
    if (rc < 0)
        unlink(w->tmp);
    else
        sync_dir_of(w->target);
    writer_release(w);
    return rc;
}

int ck_io_write_file(const char *path, const void *data, size_t n)
{
    ck_io_writer w;
    if (ck_io_writer_open(&w, path) < 0) return -1;
    if (n > 0 && fwrite(data, 1, n, w.f) != n) {
        int e = errno ? errno : EIO;
        ck_io_writer_abort(&w);
        return ck_fail("cannot write %s: %s", path, strerror(e));
    }
    return ck_io_writer_commit(&w);
}
