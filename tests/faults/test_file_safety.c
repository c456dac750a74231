/* Checkpoint files under hostile conditions (issue 14): two processes
 * saving to one path at the same time while a third reads it; a
 * checkpoint that is a FIFO, a device or lies about its header length;
 * __metadata__ written and read back. Each test works in a directory of
 * its own, with a time limit (a FIFO would block an ordinary reader). */
#define _DEFAULT_SOURCE /* mknod, makedev */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ck_error.h"
#include "ck_io.h"
#include "ck_safetensors.h"
#include "ck_test_dir.h"

static char dir[64], path[128];

static void setup(void)
{
    ck_test_dir_make(dir, sizeof dir, NULL, "ck_fs");
    snprintf(path, sizeof path, "%s/w.safetensors", dir);
    ck_error_clear();
}

static void teardown(void)
{
    ck_test_dir_remove(dir);
    ck_error_clear();
}
TestSuite(files, .init = setup, .fini = teardown, .timeout = 60);

enum { WRITES = 150 };

/* Writer `who` (1 or 2): a tensor filled with who, of a size of its own,
 * saved WRITES times. Exit status 0 when every save succeeded. */
static void writer(int who)
{
    int n = who == 1 ? 3000 : 5000;
    ck_tensor *t = ck_tensor_zeros(ck_shape_of(1, n));
    for (int i = 0; i < n; i++) t->f[i] = (float)who;
    const char *names[] = {"w"};
    const ck_tensor *ts[] = {t};
    for (int k = 0; k < WRITES; k++)
        if (ck_safetensors_save(path, names, ts, 1) < 0) {
            fprintf(stderr, "writer %d: %s\n", who, ck_error());
            _exit(1);
        }
    _exit(0);
}

/* 1 or 2: whose whole file st is; 0 if it is neither (torn or mixed). */
static int whose(const ck_safetensors *st)
{
    if (st->n != 1 || st->entries[0].shape.ndim != 1) return 0;
    int n = st->entries[0].shape.d[0], who = n == 3000 ? 1 : n == 5000 ? 2 : 0;
    float *v = malloc(sizeof *v * (size_t)n);
    ck_safetensors_copy(st, 0, v);
    for (int i = 0; i < n && who; i++)
        if (v[i] != (float)who) who = 0;
    free(v);
    return who;
}

/* issue 14, problem 4: with a fixed "path.tmp", two runs saving to one
 * checkpoint truncated and renamed each other's temporary file: one always
 * failed, naming the wrong file. Now both succeed, and every read, during
 * and after, sees one writer's whole file. */
Test(files, two_concurrent_writers_and_a_reader)
{
    pid_t a = fork();
    cr_assert(a >= 0);
    if (a == 0) writer(1);
    pid_t b = fork();
    cr_assert(b >= 0);
    if (b == 0) writer(2);
    /* read until both writers are done */
    int seen[3] = {0}, missing = 0, sa = 0, sb = 0, done_a = 0, done_b = 0;
    for (int r = 0; !done_a || !done_b; r++) {
        if (!done_a) done_a = waitpid(a, &sa, WNOHANG) == a;
        if (!done_b) done_b = waitpid(b, &sb, WNOHANG) == b;
        ck_safetensors *st = ck_safetensors_load(path);
        if (!st) { /* before the first rename only */
            cr_assert(strstr(ck_error(), "No such file"), "read %d: %s", r, ck_error());
            ck_error_clear();
            missing++;
            continue;
        }
        seen[whose(st)]++;
        ck_safetensors_free(st);
    }
    cr_expect(WIFEXITED(sa) && WEXITSTATUS(sa) == 0, "writer 1 failed");
    cr_expect(WIFEXITED(sb) && WEXITSTATUS(sb) == 0, "writer 2 failed");
    cr_expect_gt(seen[1] + seen[2], 0, "no read overlapped the writers");
    cr_expect_eq(seen[0], 0, "%d reads saw a file that is neither writer's whole file", seen[0]);
    ck_safetensors *st = ck_safetensors_load(path);
    cr_assert_not_null(st, "%s", ck_error());
    cr_expect_neq(whose(st), 0);
    ck_safetensors_free(st);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "test \"$(ls -A %s)\" = w.safetensors", dir);
    cr_expect_eq(system(cmd), 0, "temporary files were left behind");
    cr_log_info("reads: %d of writer 1, %d of writer 2, %d before the first save", seen[1], seen[2], missing);
}

/* issue 14, problem 1: the reader read until EOF with no size check, so a
 * FIFO hung it and /dev/zero grew memory until out of memory. */
Test(files, a_fifo_or_device_checkpoint_is_refused_at_once)
{
    char fifo[128], node[160];
    snprintf(fifo, sizeof fifo, "%s/fifo.safetensors", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    cr_assert_null(ck_safetensors_load(fifo));
    cr_expect(strstr(ck_error(), "is a FIFO (named pipe), not a regular file"), "%s", ck_error());
    ck_error_clear();
    snprintf(node, sizeof node, "%s/zero.safetensors", dir);
    if (geteuid() != 0 || mknod(node, S_IFCHR | 0600, makedev(1, 5)) != 0) {
        cr_log_warn("not root (or mknod refused): the device-node case is skipped");
        return;
    }
    cr_assert_null(ck_safetensors_load(node));
    cr_expect(strstr(ck_error(), "is a character device, not a regular file"), "%s", ck_error());
    ck_error_clear();
}

static void write_bytes(const char *p, const void *data, size_t n)
{
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* The header length is checked against the file's size before anything
 * else is read or allocated. */
Test(files, header_length_is_checked_against_the_file_size_first)
{
    unsigned char head[16] = {0, 0, 0, 0x40, 0, 0, 0, 0, '{', '}'}; /* claims a 1 GiB header */
    write_bytes(path, head, sizeof head);
    cr_assert_null(ck_safetensors_load(path));
    char expected[300];
    snprintf(expected, sizeof expected,
             "'%s': safetensors: header length 1073741824 does not fit in a file of 16 bytes", path);
    cr_expect_str_eq(ck_error(), expected);
    ck_error_clear();
}

Test(files, metadata_is_written_and_read_back)
{
    ck_tensor *t = ck_tensor_zeros(ck_shape_of(1, 2));
    const char *names[] = {"w"};
    const ck_tensor *ts[] = {t};
    const char *keys[] = {"model", "note"}, *values[] = {"fm_model", "quote \" and \\ and \n"};
    cr_assert_eq(ck_safetensors_save_meta(path, names, ts, 1, keys, values, 2), 0, "%s", ck_error());
    ck_safetensors *st = ck_safetensors_load(path);
    cr_assert_not_null(st, "%s", ck_error());
    cr_expect_str_eq(ck_safetensors_meta(st, "format"), "pt");
    cr_expect_str_eq(ck_safetensors_meta(st, "writer"), "ckeras");
    cr_expect_str_eq(ck_safetensors_meta(st, "model"), "fm_model");
    cr_expect_str_eq(ck_safetensors_meta(st, "note"), values[1]);
    cr_expect_null(ck_safetensors_meta(st, "other"));
    ck_safetensors_free(st);
    /* refused: a reserved key, a duplicate key */
    const char *bad_keys[] = {"format"}, *dup_keys[] = {"a", "a"}, *two[] = {"x", "y"};
    cr_expect_eq(ck_safetensors_save_meta(path, names, ts, 1, bad_keys, values, 1), -1);
    cr_expect(strstr(ck_error(), "metadata key 'format' is reserved"), "%s", ck_error());
    ck_error_clear();
    cr_expect_eq(ck_safetensors_save_meta(path, names, ts, 1, dup_keys, two, 2), -1);
    cr_expect(strstr(ck_error(), "metadata key 'a' appears twice"), "%s", ck_error());
    ck_error_clear();
    ck_tensor_free(t);
}

Test(files, metadata_parser_keeps_strings_and_refuses_duplicates)
{
    const char *h1 = "{\"__metadata__\":{\"a\":\"1\",\"n\":5,\"o\":{\"x\":[1]},\"b\":\"\\u00e9\"}}";
    unsigned char buf[256] = {0};
    size_t hl = strlen(h1);
    buf[0] = (unsigned char)hl;
    memcpy(buf + 8, h1, hl);
    ck_safetensors *st = ck_safetensors_parse(buf, 8 + hl);
    cr_assert_not_null(st, "%s", ck_error());
    cr_expect_eq(st->n_meta, 2);
    cr_expect_str_eq(ck_safetensors_meta(st, "a"), "1");
    cr_expect_str_eq(ck_safetensors_meta(st, "b"), "\xc3\xa9");
    cr_expect_null(ck_safetensors_meta(st, "n"));
    ck_safetensors_free(st);
    const char *h2 = "{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}";
    hl = strlen(h2);
    buf[0] = (unsigned char)hl;
    memcpy(buf + 8, h2, hl);
    cr_assert_null(ck_safetensors_parse(buf, 8 + hl));
    cr_expect(strstr(ck_error(), "__metadata__ key 'a' appears twice"), "%s", ck_error());
    ck_error_clear();
    const char *h3 = "{\"__metadata__\":{},\"__metadata__\":{}}";
    hl = strlen(h3);
    buf[0] = (unsigned char)hl;
    memcpy(buf + 8, h3, hl);
    cr_assert_null(ck_safetensors_parse(buf, 8 + hl));
    cr_expect(strstr(ck_error(), "__metadata__ appears twice"), "%s", ck_error());
    ck_error_clear();
}

/* A hostile header of many entries costs n log n: 300,000 empty tensors
 * (the duplicate-name check was quadratic: about 4.5e10 comparisons), and
 * more than CK_ST_MAX_META metadata entries are refused. */
Test(files, many_entries_are_checked_in_n_log_n)
{
    enum { N = 300000, META = 2000 };
    size_t cap = (size_t)N * 64 + 64, n = 8;
    char *buf = malloc(cap);
    cr_assert_not_null(buf);
    n += (size_t)snprintf(buf + n, cap - n, "{");
    for (int i = 0; i < N; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s\"t%d\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}",
                              i ? "," : "", i);
    n += (size_t)snprintf(buf + n, cap - n, "}");
    for (int i = 0; i < 8; i++) buf[i] = (char)((uint64_t)(n - 8) >> (8 * i));
    time_t start = time(NULL);
    ck_safetensors *st = ck_safetensors_parse(buf, n);
    cr_assert_not_null(st, "%s", ck_error());
    cr_expect_eq(st->n, N);
    cr_expect_lt(difftime(time(NULL), start), 20.0);
    ck_safetensors_free(st);
    /* the same with one name twice, far apart */
    memcpy(strstr(buf + 8, "\"t299999\""), "\"t000001\"", 9);
    memcpy(strstr(buf + 8, "\"t1\""), "\"t0\"", 4);
    cr_assert_null(ck_safetensors_parse(buf, n));
    cr_expect(strstr(ck_error(), "tensor 't0' appears twice"), "%s", ck_error());
    ck_error_clear();
    n = 8 + (size_t)snprintf(buf + 8, cap - 8, "{\"__metadata__\":{");
    for (int i = 0; i < META; i++) n += (size_t)snprintf(buf + n, cap - n, "%s\"k%d\":\"v\"", i ? "," : "", i);
    n += (size_t)snprintf(buf + n, cap - n, "}}");
    for (int i = 0; i < 8; i++) buf[i] = (char)((uint64_t)(n - 8) >> (8 * i));
    cr_assert_null(ck_safetensors_parse(buf, n));
    cr_expect(strstr(ck_error(), "__metadata__ has more than 1024 entries"), "%s", ck_error());
    ck_error_clear();
    free(buf);
}
