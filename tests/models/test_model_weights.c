/* Weights in safetensors: round trip, readable layout, clear failures that
 * leave the model unchanged, and a hostile-file parser. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_model.h"
#include "ck_safetensors.h"
#include "ck_test_dir.h"

/* Each test writes in a directory of its own (the atomic save puts its
 * temporary file next to the target). */
static char dir[64], path[96];
static void setup(void)
{
    ck_error_clear();
    ck_test_dir_make(dir, sizeof dir, NULL, "ck_w");
    snprintf(path, sizeof path, "%s/w.safetensors", dir);
}
static void teardown(void)
{
    ck_test_dir_remove(dir);
    ck_error_clear();
}
TestSuite(weights, .init = setup, .fini = teardown);

/* x (None, 3) -> Dense(units) "hidden" -> Dense(1) "out", plus an Embedding */
static ck_model *build(ck_session *s, int units, const char *hidden_name)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, 3), CK_F32, "x");
    ck_sym *id = ck_Input(s, ck_shape_of(1, 1), CK_I32, "id");
    ck_sym *h = ck_call1(ck_Dense(s, units, "relu", hidden_name), x);
    ck_sym *e = ck_call1(ck_Reshape(s, ck_shape_of(1, 2), "flat"), ck_call1(ck_Embedding(s, 5, 2, 0, "emb"), id));
    ck_sym *c = ck_call(ck_Concatenate(s, 1, "cat"), (ck_sym *[]){h, e}, 2);
    ck_sym *y = ck_call1(ck_Dense(s, 1, NULL, "out"), c);
    ck_model *m = ck_Model(s, (ck_sym *[]){x, id}, 2, &y, 1, NULL);
    cr_assert_not_null(m, "%s", ck_error());
    return m;
}

static float xd[12] = {1, 2, 3, -1, 0, 1, 0.5f, 0.5f, 0.5f, 3, 2, 1};
static int32_t ids[4] = {0, 4, 2, 1};

static ck_tensor *predict(ck_model *m)
{
    ck_tensor x[2] = {ck_tensor_view(CK_F32, ck_shape_of(2, 4, 3), xd),
                      ck_tensor_view(CK_I32, ck_shape_of(2, 4, 1), ids)};
    ck_tensor *p = ck_predict(m, x, 2, 3);
    cr_assert_not_null(p, "%s", ck_error());
    return p;
}

Test(weights, round_trip_gives_identical_predictions)
{
    ck_session *a = ck_session_new(1), *b = ck_session_new(2);
    ck_model *ma = build(a, 4, "hidden"), *mb = build(b, 4, "hidden");
    ck_tensor *pa = predict(ma), *pb = predict(mb);
    cr_assert_neq(memcmp(pa->f, pb->f, 16), 0);
    cr_assert_eq(ck_save_weights(ma, path), 0, "%s", ck_error());
    cr_assert_eq(ck_load_weights(mb, path), 0, "%s", ck_error());
    ck_tensor_free(pb);
    pb = predict(mb);
    cr_assert_eq(memcmp(pa->f, pb->f, 16), 0);
    ck_tensor_free(pa);
    ck_tensor_free(pb);
    ck_session_free(a);
    ck_session_free(b);
}

Test(weights, file_layout_is_safetensors)
{
    ck_session *a = ck_session_new(1);
    ck_model *m = build(a, 4, "hidden");
    cr_assert_eq(ck_save_weights(m, path), 0);
    FILE *f = fopen(path, "rb");
    unsigned char len8[8];
    cr_assert_eq(fread(len8, 1, 8, f), 8);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | len8[i];
    cr_assert_eq(n % 8, 0);
    char *header = calloc(1, n + 1);
    cr_assert_eq(fread(header, 1, n, f), n);
    cr_assert(strstr(header, "\"hidden/kernel\":{\"dtype\":\"F32\",\"shape\":[3,4],\"data_offsets\":[40,88]}"), "%s",
              header);
    cr_assert(strstr(header, "\"emb/embeddings\":{\"dtype\":\"F32\",\"shape\":[5,2]"), "%s", header);
    /* the first float after the header is the first weight (emb/embeddings[0][0]) */
    float first;
    cr_assert_eq(fread(&first, 4, 1, f), 1);
    cr_assert_eq(first, ck_model_weight(m, 0)->value.f[0]);
    fclose(f);
    free(header);
    ck_session_free(a);
}

static void expect_load_fails_unchanged(ck_model *m, const char *needle)
{
    long n = ck_count_params(m);
    float *before = malloc(sizeof(float) * (size_t)n), *after = malloc(sizeof(float) * (size_t)n);
    ck_model_get_weights(m, before);
    cr_assert_eq(ck_load_weights(m, path), -1);
    cr_assert(ck_error() && strstr(ck_error(), needle), "%s", ck_error() ? ck_error() : "(none)");
    ck_model_get_weights(m, after);
    cr_assert_eq(memcmp(before, after, sizeof(float) * (size_t)n), 0);
    free(before);
    free(after);
    ck_error_clear();
}

Test(weights, missing_tensor_wrong_shape_truncated_body)
{
    ck_session *a = ck_session_new(1), *b = ck_session_new(2);
    ck_model *renamed = build(a, 4, "other");
    cr_assert_eq(ck_save_weights(renamed, path), 0);
    ck_model *m = build(b, 4, "hidden");
    expect_load_fails_unchanged(m, "has no tensor 'hidden/kernel'");
    ck_session_free(a);

    a = ck_session_new(1);
    ck_model *wider = build(a, 5, "hidden");
    cr_assert_eq(ck_save_weights(wider, path), 0);
    expect_load_fails_unchanged(m, "tensor 'hidden/kernel' has shape (3, 5), the model expects (3, 4)");
    ck_session_free(a);

    a = ck_session_new(1);
    cr_assert_eq(ck_save_weights(build(a, 4, "hidden"), path), 0);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    cr_assert_eq(truncate(path, size - 4), 0);
    expect_load_fails_unchanged(m, "truncated file?");
    cr_assert_eq(ck_load_weights(m, "/nonexistent/w.safetensors"), -1);
    cr_assert(strstr(ck_error(), "cannot open /nonexistent/w.safetensors: No such file or directory"), "%s",
              ck_error());
    ck_error_clear();
    cr_assert_eq(ck_load_weights(NULL, path), -1);
    ck_error_clear();
    cr_assert_eq(ck_save_weights(m, "/nonexistent/dir/w.safetensors"), -1);
    ck_session_free(a);
    ck_session_free(b);
}

/* ---- hostile files ---- */

static ck_safetensors *parse_text(const char *header, const void *data, size_t data_len)
{
    size_t hl = strlen(header), n = 8 + hl + data_len;
    unsigned char *buf = calloc(1, n + 1);
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(buf + 8, header, hl);
    if (data_len) memcpy(buf + 8 + hl, data, data_len);
    ck_safetensors *st = ck_safetensors_parse(buf, n);
    free(buf);
    return st;
}

static void expect_reject(const char *header, size_t data_len, const char *needle)
{
    static const unsigned char zeros[64];
    ck_error_clear();
    ck_safetensors *st = parse_text(header, zeros, data_len);
    cr_assert_null(st, "accepted: %s", header);
    cr_assert(ck_error() && strstr(ck_error(), needle), "%s -> %s", header, ck_error() ? ck_error() : "(none)");
    ck_error_clear();
}

Test(weights, parser_accepts_valid_and_rejects_hostile_headers)
{
    float vals[2] = {1.5f, -2};
    ck_safetensors *st = parse_text("{\"__metadata__\":{\"a\":\"b\"},\"t\\u00e9\":{\"dtype\":\"F32\",\"shape\":[2],"
                                    "\"data_offsets\":[0,8]}}  ",
                                    vals, 8);
    cr_assert_not_null(st, "%s", ck_error());
    cr_assert_eq(st->n, 1);
    cr_assert_str_eq(st->entries[0].name, "t\xc3\xa9");
    float got[2];
    ck_safetensors_copy(st, 0, got);
    cr_assert_eq(got[1], -2.0f);
    ck_safetensors_free(st);

    /* __metadata__ values that are not strings are skipped, whatever JSON they are */
    st = parse_text("{\"__metadata__\":{\"n\":-1.5e3,\"b\":true,\"z\":null,\"o\":{\"x\":[0.25,\"s\"]},"
                    "\"k\":\"v\"},\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                    vals, 8);
    cr_assert_not_null(st, "%s", ck_error());
    cr_expect_eq(st->n_meta, 1);
    cr_expect_str_eq(ck_safetensors_meta(st, "k"), "v");
    cr_expect_null(ck_safetensors_meta(st, "n"));
    ck_safetensors_free(st);
    expect_reject("{\"__metadata__\":{\"n\":1.},\"t\":{}}", 0, "bad value for key 'n'");

    expect_reject("[]", 0, "does not start with '{'");
    expect_reject("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, "header ends");
    expect_reject("{\"t\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, "dtype F64 is not supported");
    expect_reject("{\"t\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "shape must be");
    expect_reject("{\"t\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, "shape must be");
    expect_reject("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "shape needs 12");
    expect_reject("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "begin <= end");
    expect_reject("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 8, "leave a hole");
    expect_reject("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", 8, "ends at byte 12");
    expect_reject("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12, "cover 8 data bytes");
    expect_reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                  "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                  8, "overlap");
    expect_reject("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                  "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                  8, "appears twice");
    expect_reject("{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296],\"data_offsets\":[0,4]}}", 4, "too large");
    expect_reject("{\"t\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}", 4,
                  "shape must be");
    expect_reject("{\"t\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647,2147483647],"
                  "\"data_offsets\":[0,4]}}",
                  4, "too large");
    expect_reject("{\"t\\ud800\":{}}", 0, "bad tensor name");
    expect_reject("{\"t\\u0000\":{}}", 0, "bad tensor name");
    expect_reject("{\"t\":{\"dtype\":\"F32\"}}", 0, "needs dtype, shape and data_offsets");
    expect_reject(
        "{\"__metadata__\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", 0,
        "bad __metadata__");
    expect_reject("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} x", 8, "unexpected bytes");

    /* a header length beyond the file */
    unsigned char big[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}'};
    cr_assert_null(ck_safetensors_parse(big, sizeof big));
    cr_assert(strstr(ck_error(), "does not fit"), "%s", ck_error());
    ck_error_clear();
    cr_assert_null(ck_safetensors_parse(big, 5));
    ck_error_clear();
}

Test(weights, mutated_files_never_crash)
{
    ck_session *a = ck_session_new(1);
    cr_assert_eq(ck_save_weights(build(a, 4, "hidden"), path), 0);
    FILE *f = fopen(path, "rb");
    unsigned char orig[4096];
    size_t n = fread(orig, 1, sizeof orig, f);
    fclose(f);
    ck_safetensors *ok = ck_safetensors_parse(orig, n);
    cr_assert_not_null(ok, "%s", ck_error());
    ck_safetensors_free(ok);
    ck_rng r;
    ck_rng_seed(&r, 99);
    unsigned char buf[4096];
    int accepted = 0;
    for (int trial = 0; trial < 3000; trial++) {
        memcpy(buf, orig, n);
        int flips = 1 + (int)ck_rng_below(&r, 4);
        for (int k = 0; k < flips; k++) {
            /* mostly the header, where the parser works */
            size_t at = ck_rng_below(&r, 4) ? ck_rng_below(&r, 8 + 300) : ck_rng_below(&r, (uint32_t)n);
            buf[at] = (unsigned char)ck_rng_u32(&r);
        }
        size_t len = ck_rng_below(&r, 8) ? n : ck_rng_below(&r, (uint32_t)n);
        ck_safetensors *st = ck_safetensors_parse(buf, len);
        if (st) {
            accepted++;
            for (int i = 0; i < st->n; i++) cr_assert_leq(st->entries[i].offset + st->entries[i].nbytes, st->data_size);
        } else {
            cr_assert_not_null(ck_error());
        }
        ck_safetensors_free(st);
        ck_error_clear();
    }
    cr_assert_lt(accepted, 3000);
    ck_session_free(a);
}
