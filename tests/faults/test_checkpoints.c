/* Weights files that are missing, empty, truncated, corrupted or made for
 * another model: ck_load_weights refuses each with a message naming the file
 * and the problem, and the model keeps its weights. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_fm.h"

static ck_session *s;
static ck_model *model;
static float *original; /* the model's weights at the start */
static long n_params;
static char dir[] = "/tmp/ck_ckpt_XXXXXX", path[64], good[64];

static ck_model *fm(ck_session *session, int n_uid, int k)
{
    ck_fm f;
    ck_fm_config c = {.n_uid = n_uid, .n_mid = 6, .n_genre = 14, .k = k};
    cr_assert_eq(ck_fm_model(session, &c, &f), 0, "%s", ck_error());
    return f.fm_model;
}

static void setup(void)
{
    ck_error_clear();
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/w.safetensors", dir);
    snprintf(good, sizeof good, "%s/good.safetensors", dir);
    s = ck_session_new(3);
    model = fm(s, 5, 3);
    n_params = ck_count_params(model);
    original = malloc(sizeof *original * (size_t)n_params);
    cr_assert_eq(ck_model_get_weights(model, original), 0);
    /* a valid checkpoint of the same architecture, with other weights */
    ck_session *other = ck_session_new(99);
    cr_assert_eq(ck_save_weights(fm(other, 5, 3), good), 0, "%s", ck_error());
    ck_session_free(other);
}

static void teardown(void)
{
    unlink(path);
    unlink(good);
    rmdir(dir);
    free(original);
    ck_session_free(s);
    ck_error_clear();
}
TestSuite(checkpoints, .init = setup, .fini = teardown);

static unsigned char *read_all(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*n);
    cr_assert_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void write_all(const char *p, const void *b, size_t n)
{
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(b, 1, n, f), n);
    fclose(f);
}

static int weights_are(const float *expected)
{
    float *now = malloc(sizeof *now * (size_t)n_params);
    cr_assert_eq(ck_model_get_weights(model, now), 0);
    int same = memcmp(now, expected, sizeof *now * (size_t)n_params) == 0;
    free(now);
    return same;
}

/* load must fail, mention `fragment`, and leave the weights as they were */
static void refused(const char *file, const char *fragment)
{
    cr_assert_eq(ck_load_weights(model, file), -1, "loaded a bad file (%s)", fragment);
    cr_assert_not_null(ck_error());
    cr_assert(strstr(ck_error(), fragment), "message '%s' lacks '%s'", ck_error(), fragment);
    cr_assert(weights_are(original), "a refused load changed the weights");
    ck_error_clear();
}

Test(checkpoints, good_file_loads)
{
    size_t n;
    unsigned char *b = read_all(good, &n);
    cr_assert_eq(ck_load_weights(model, good), 0, "%s", ck_error());
    cr_assert_not(weights_are(original));
    free(b);
}

Test(checkpoints, missing_and_empty_files)
{
    refused("/nonexistent/dir/w.safetensors", "/nonexistent/dir/w.safetensors");
    write_all(path, "", 0);
    refused(path, path);
    write_all(path, "\x10\0\0\0\0\0\0", 7);
    refused(path, path);
}

Test(checkpoints, every_truncation_is_refused)
{
    size_t n;
    unsigned char *b = read_all(good, &n);
    for (size_t len = 0; len < n; len++) {
        write_all(path, b, len);
        refused(path, "load_weights");
    }
    free(b);
}

/* Flip each byte of the 8-byte length and of the JSON header. A flip may
 * leave an equivalent header (metadata text, whitespace): then the load must
 * give exactly the good file's weights; otherwise it is refused. */
Test(checkpoints, corrupted_header_bytes)
{
    size_t n;
    unsigned char *b = read_all(good, &n);
    uint64_t header = 0;
    for (int i = 7; i >= 0; i--) header = header << 8 | b[i];
    cr_assert_lt(header, n);
    float *good_weights = malloc(sizeof *good_weights * (size_t)n_params);
    int refusals = 0;
    for (size_t at = 0; at < 8 + header; at++) {
        for (int flip = 0; flip < 3; flip++) {
            static const unsigned char masks[3] = {0x01, 0x20, 0xff};
            unsigned char keep = b[at];
            b[at] ^= masks[flip];
            write_all(path, b, n);
            b[at] = keep;
            if (ck_load_weights(model, path) < 0) {
                cr_assert(strstr(ck_error(), path), "message '%s' lacks the file name", ck_error());
                cr_assert(weights_are(original), "refused load at byte %zu changed the weights", at);
                ck_error_clear();
                refusals++;
            } else {
                /* accepted: must be the good file's weights exactly */
                cr_assert_eq(ck_load_weights(model, good), 0);
                cr_assert_eq(ck_model_get_weights(model, good_weights), 0);
                cr_assert_eq(ck_model_set_weights(model, original), 0);
                cr_assert_eq(ck_load_weights(model, path), 0);
                cr_assert(weights_are(good_weights), "flip at byte %zu loaded other values", at);
                cr_assert_eq(ck_model_set_weights(model, original), 0);
            }
        }
    }
    cr_assert_gt(refusals, (int)(8 + header) * 2, "only %d refusals", refusals);
    free(good_weights);
    free(b);
}

Test(checkpoints, other_architectures)
{
    ck_session *other = ck_session_new(5);
    cr_assert_eq(ck_save_weights(fm(other, 5, 4), path), 0); /* k 4, not 3 */
    refused(path, "shape");
    ck_session_free(other);
    other = ck_session_new(5);
    cr_assert_eq(ck_save_weights(fm(other, 7, 3), path), 0); /* 8 user rows, not 6 */
    refused(path, "(8, 3)");
    ck_session_free(other);
}

Test(checkpoints, garbage_and_wrong_dtype)
{
    const char junk[] = "this is not a safetensors file at all, just text\n";
    write_all(path, junk, sizeof junk - 1);
    refused(path, path);
    /* a well-formed file whose only tensor is I32 */
    const char json[] = "{\"x\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    unsigned char buf[128] = {(unsigned char)(sizeof json - 1)};
    memcpy(buf + 8, json, sizeof json - 1);
    write_all(path, buf, 8 + sizeof json - 1 + 4);
    refused(path, "load_weights");
}
