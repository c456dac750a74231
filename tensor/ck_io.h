/* ck_io.h - the one way ckeras opens files, for every reader and writer
 * (MovieLens, safetensors, CSV logs, plots, graphs, the examples).
 *
 * Reading. A file is opened with O_NONBLOCK, so that opening a FIFO with no
 * writer cannot hang; fstat then checks that it is a regular file (a FIFO,
 * a device, a directory or a socket is refused with a message saying which
 * it is) before a byte is read; then O_NONBLOCK is cleared and the file is
 * read to exactly the size fstat gave, which the caller first checks
 * against the largest size its format allows. A file that shrinks or grows
 * while it is read is refused.
 *
 * Writing. ck_io_writer_open checks the path (a path that exists must be a
 * regular file, or a symbolic link to one, which is then written through),
 * and creates a fresh temporary file next to it, exclusively (O_EXCL, a
 * random name "PATH.tmp.XXXXXXXX"), with the old file's permissions.
 * ck_io_writer_commit flushes and fsyncs it, checks the path again, renames
 * it over the path, and fsyncs the directory. So a reader (or a crash)
 * sees the old file or the new one, never half of one; two writers of the
 * same path never share a temporary file (the last rename wins, whole); a
 * device node or a directory at the path is never replaced. Every message
 * names the path the caller gave and, for a system error, the system's
 * reason (strerror). */
#ifndef CK_IO_H
#define CK_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Opens path for reading as described above: *fd (close() it) and the
 * file's size. -1 with a message otherwise. */
int ck_io_open_regular(const char *path, int *fd, uint64_t *size);
/* Reads exactly n bytes from fd (retrying short reads); fails, naming
 * path, if the file ends first. */
int ck_io_read_exact(int fd, void *buf, size_t n, const char *path);
/* After reading a file's `size` bytes: 0 if fd is at its end, else (the
 * file grew while it was read) -1 with a message naming path. */
int ck_io_expect_end(int fd, uint64_t size, const char *path);
/* The whole regular file in a heap buffer (free()), NUL-terminated at
 * (*buf)[*n] so text parsers may rely on it. Refused when larger than
 * max_bytes. An empty file gives *n = 0. */
int ck_io_read_regular_file(const char *path, uint64_t max_bytes, char **buf, size_t *n);

/* 0 if path may be written by ck_io_writer_open: it does not exist or is
 * a regular file (or a symbolic link to one), and its directory exists and
 * is writable. Creates nothing. -1 with a message otherwise. */
int ck_io_check_output_path(const char *path);

/* An atomic write in progress (see above). */
typedef struct ck_io_writer {
    FILE *f;      /* write the new contents here */
    char *path;   /* as the caller gave it, for messages */
    char *target; /* the file renamed over: path, or what its link names */
    char *tmp;    /* the temporary file */
} ck_io_writer;

/* Checks path and creates the temporary file. On failure *w is empty and
 * nothing was created. */
int ck_io_writer_open(ck_io_writer *w, const char *path);
/* Makes the new contents the file at path (see above). Always releases w;
 * on failure the temporary file is removed and path is as it was. */
int ck_io_writer_commit(ck_io_writer *w);
/* Drops the new contents: removes the temporary file, releases w. */
void ck_io_writer_abort(ck_io_writer *w);
/* open + fwrite + commit: path atomically holds data[0 .. n). */
int ck_io_write_file(const char *path, const void *data, size_t n);

#endif
