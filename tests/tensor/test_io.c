/* ck_io.h: reading only regular files, without blocking, to a size limit;
 * atomic writes that never replace what is not a regular file, leave no
 * temporary file, and name the path and the system's reason on failure.
 * Every test works in a directory of its own; a FIFO without a writer would
 * block an ordinary open forever, so the suite has a time limit (on the
 * suite: Criterion 2.4 leaks a little for a per-test .timeout, which
 * LeakSanitizer reports). */
#define _DEFAULT_SOURCE /* mknod, makedev, symlink */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ck_error.h"
#include "ck_io.h"
#include "ck_test_dir.h"

static char dir[64];

static void setup(void)
{
    ck_test_dir_make(dir, sizeof dir, NULL, "ck_io");
    ck_error_clear();
}

static void teardown(void)
{
    ck_test_dir_remove(dir);
    ck_error_clear();
}
TestSuite(io, .init = setup, .fini = teardown, .timeout = 20);

static void in_dir(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

/* The entries of dir as "a,b,c" (sorted). */
static void list_dir(char *out, size_t n)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "ls -A %s | paste -sd, -", dir);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    if (!fgets(out, (int)n, p)) out[0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    pclose(p);
}

static void expect_error(const char *expected)
{
    cr_assert_not_null(ck_error());
    cr_expect_str_eq(ck_error(), expected);
    ck_error_clear();
}

/* ---- reading ---- */

Test(io, reads_a_regular_file_whole_and_nul_terminated)
{
    char path[128], *buf;
    size_t n;
    in_dir(path, sizeof path, "a.txt");
    put_file(path, "hello\nworld");
    cr_assert_eq(ck_io_read_regular_file(path, 100, &buf, &n), 0, "%s", ck_error());
    cr_expect_eq(n, 11);
    cr_expect_str_eq(buf, "hello\nworld");
    free(buf);
    put_file(path, "");
    cr_assert_eq(ck_io_read_regular_file(path, 100, &buf, &n), 0);
    cr_expect_eq(n, 0);
    cr_expect_str_eq(buf, "");
    free(buf);
}

Test(io, refuses_a_file_over_the_limit_before_reading)
{
    char path[128], expected[300], *buf = (char *)1;
    size_t n = 1;
    in_dir(path, sizeof path, "big.txt");
    put_file(path, "0123456789");
    cr_assert_eq(ck_io_read_regular_file(path, 9, &buf, &n), -1);
    cr_expect_null(buf);
    cr_expect_eq(n, 0);
    snprintf(expected, sizeof expected, "%s is 10 bytes, more than the 9 this file can hold", path);
    expect_error(expected);
    cr_assert_eq(ck_io_read_regular_file(path, 10, &buf, &n), 0);
    free(buf);
}

Test(io, missing_file_and_directory_are_named)
{
    char path[128], expected[300], *buf;
    size_t n;
    in_dir(path, sizeof path, "none");
    cr_assert_eq(ck_io_read_regular_file(path, 100, &buf, &n), -1);
    snprintf(expected, sizeof expected, "cannot open %s: No such file or directory", path);
    expect_error(expected);
    cr_assert_eq(ck_io_read_regular_file(dir, 100, &buf, &n), -1);
    snprintf(expected, sizeof expected, "%s is a directory, not a regular file", dir);
    expect_error(expected);
}

/* issue 14, problem 1: a FIFO without a writer blocked fopen forever. */
Test(io, a_fifo_is_refused_without_blocking)
{
    char path[128], expected[300], *buf;
    size_t n;
    int fd;
    uint64_t size;
    in_dir(path, sizeof path, "fifo");
    cr_assert_eq(mkfifo(path, 0600), 0);
    cr_assert_eq(ck_io_read_regular_file(path, 100, &buf, &n), -1);
    snprintf(expected, sizeof expected, "%s is a FIFO (named pipe), not a regular file", path);
    expect_error(expected);
    cr_assert_eq(ck_io_open_regular(path, &fd, &size), -1);
    expect_error(expected);
}

/* issue 14, problem 1: /dev/zero grew memory until out of memory. A private
 * node in our own directory, never the real /dev. */
Test(io, a_device_is_refused_without_reading)
{
    char path[128], expected[300], *buf;
    size_t n;
    in_dir(path, sizeof path, "zero");
    if (geteuid() != 0 || mknod(path, S_IFCHR | 0600, makedev(1, 5)) != 0) {
        cr_log_warn("not root (or mknod refused): the device-node case is skipped");
        return;
    }
    cr_assert_eq(ck_io_read_regular_file(path, UINT64_MAX, &buf, &n), -1);
    snprintf(expected, sizeof expected, "%s is a character device, not a regular file", path);
    expect_error(expected);
}

Test(io, reads_through_a_symbolic_link)
{
    char path[128], link[128], *buf;
    size_t n;
    in_dir(path, sizeof path, "target.txt");
    in_dir(link, sizeof link, "link.txt");
    put_file(path, "via link");
    cr_assert_eq(symlink("target.txt", link), 0);
    cr_assert_eq(ck_io_read_regular_file(link, 100, &buf, &n), 0, "%s", ck_error());
    cr_expect_str_eq(buf, "via link");
    free(buf);
}

/* ---- writing ---- */

static char *slurp(const char *path)
{
    char *buf;
    size_t n;
    cr_assert_eq(ck_io_read_regular_file(path, 1 << 24, &buf, &n), 0, "%s", ck_error());
    return buf;
}

Test(io, writes_and_replaces_atomically_leaving_no_temporary_file)
{
    char path[128], names[256];
    in_dir(path, sizeof path, "out.csv");
    cr_assert_eq(ck_io_write_file(path, "one\n", 4), 0, "%s", ck_error());
    char *got = slurp(path);
    cr_expect_str_eq(got, "one\n");
    free(got);
    cr_assert_eq(chmod(path, 0640), 0);
    cr_assert_eq(ck_io_write_file(path, "two\n", 4), 0, "%s", ck_error());
    got = slurp(path);
    cr_expect_str_eq(got, "two\n");
    free(got);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0640, "the replaced file's permissions are kept");
    list_dir(names, sizeof names);
    cr_expect_str_eq(names, "out.csv");
}

Test(io, abort_removes_the_temporary_file_and_keeps_the_old_one)
{
    char path[128], names[256];
    in_dir(path, sizeof path, "keep.txt");
    put_file(path, "old");
    ck_io_writer w;
    cr_assert_eq(ck_io_writer_open(&w, path), 0, "%s", ck_error());
    fputs("new", w.f);
    ck_io_writer_abort(&w);
    char *got = slurp(path);
    cr_expect_str_eq(got, "old");
    free(got);
    list_dir(names, sizeof names);
    cr_expect_str_eq(names, "keep.txt");
}

/* issue 14, problem 2: the save renamed a regular file over whatever was at
 * the path, device nodes included. */
Test(io, refuses_to_replace_what_is_not_a_regular_file)
{
    char fifo[128], sub[128], node[128], expected[300], names[256];
    struct stat st;
    in_dir(fifo, sizeof fifo, "fifo");
    in_dir(sub, sizeof sub, "sub");
    in_dir(node, sizeof node, "null");
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    cr_assert_eq(mkdir(sub, 0700), 0);
    cr_assert_eq(ck_io_write_file(fifo, "x", 1), -1);
    snprintf(expected, sizeof expected, "refusing to replace %s: it is a FIFO (named pipe), not a regular file", fifo);
    expect_error(expected);
    cr_assert_eq(ck_io_check_output_path(fifo), -1);
    expect_error(expected);
    cr_assert_eq(ck_io_write_file(sub, "x", 1), -1);
    snprintf(expected, sizeof expected, "refusing to replace %s: it is a directory, not a regular file", sub);
    expect_error(expected);
    if (geteuid() == 0 && mknod(node, S_IFCHR | 0600, makedev(1, 3)) == 0) {
        cr_assert_eq(ck_io_write_file(node, "x", 1), -1);
        snprintf(expected, sizeof expected, "refusing to replace %s: it is a character device, not a regular file",
                 node);
        expect_error(expected);
        cr_expect(stat(node, &st) == 0 && S_ISCHR(st.st_mode), "the device node was replaced");
    } else {
        cr_log_warn("not root (or mknod refused): the device-node case is skipped");
    }
    cr_expect(stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
    cr_expect(stat(sub, &st) == 0 && S_ISDIR(st.st_mode));
    list_dir(names, sizeof names);
    cr_expect(!strstr(names, ".tmp."), "a temporary file was left: %s", names);
}

Test(io, writes_through_a_symbolic_link_and_keeps_it)
{
    char target[128], link[128], dangling[128], expected[300];
    in_dir(target, sizeof target, "target.txt");
    in_dir(link, sizeof link, "link.txt");
    in_dir(dangling, sizeof dangling, "dangling.txt");
    put_file(target, "old");
    cr_assert_eq(symlink("target.txt", link), 0);
    cr_assert_eq(ck_io_write_file(link, "new", 3), 0, "%s", ck_error());
    struct stat st;
    cr_assert_eq(lstat(link, &st), 0);
    cr_expect(S_ISLNK(st.st_mode), "the link was replaced by a file");
    char *got = slurp(target);
    cr_expect_str_eq(got, "new");
    free(got);
    cr_assert_eq(symlink("nowhere/x.txt", dangling), 0);
    cr_assert_eq(ck_io_write_file(dangling, "x", 1), -1);
    snprintf(expected, sizeof expected,
             "cannot write %s: it is a symbolic link that cannot be followed: No such file or directory", dangling);
    expect_error(expected);
}

/* issue 14, problem 6: errors name the path given and the system's reason. */
Test(io, a_missing_directory_is_named_with_the_reason)
{
    char path[128], expected[300];
    snprintf(path, sizeof path, "%s/gone/out.svg", dir);
    cr_assert_eq(ck_io_check_output_path(path), -1);
    snprintf(expected, sizeof expected, "cannot write %s: its directory %s/gone: No such file or directory", path, dir);
    expect_error(expected);
    cr_assert_eq(ck_io_write_file(path, "x", 1), -1);
    expect_error(expected);
}

/* The directory vanishes between open and commit: the temporary file is
 * gone with it, the error names the path. */
Test(io, the_directory_vanishing_before_commit_is_an_error)
{
    char sub[128], path[160], cmd[300];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(path, sizeof path, "%s/out.txt", sub);
    cr_assert_eq(mkdir(sub, 0700), 0);
    ck_io_writer w;
    cr_assert_eq(ck_io_writer_open(&w, path), 0, "%s", ck_error());
    fputs("data", w.f);
    snprintf(cmd, sizeof cmd, "rm -rf %s", sub);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(ck_io_writer_commit(&w), -1);
    cr_assert_not_null(ck_error());
    cr_expect(strstr(ck_error(), path) && strstr(ck_error(), "No such file or directory"), "%s", ck_error());
    ck_error_clear();
}

/* A write that fails half-way (the file size limit, as a full disk would)
 * reports the system's reason and leaves the old file and no temporary. */
Test(io, a_failed_write_keeps_the_old_file)
{
    char path[128], names[256];
    in_dir(path, sizeof path, "limited.txt");
    put_file(path, "old");
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit lim = {.rlim_cur = 1024, .rlim_max = 1024};
        setrlimit(RLIMIT_FSIZE, &lim);
        static char big[8192];
        memset(big, 'x', sizeof big);
        int rc = ck_io_write_file(path, big, sizeof big);
        _exit(rc == -1 && ck_error() && strstr(ck_error(), path) && strstr(ck_error(), strerror(EFBIG)) ? 0 : 1);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "no error naming the path and 'File too large'");
    char *got = slurp(path);
    cr_expect_str_eq(got, "old");
    free(got);
    list_dir(names, sizeof names);
    cr_expect_str_eq(names, "limited.txt");
}
