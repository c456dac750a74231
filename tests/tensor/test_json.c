/* The JSON writer and reader (ck_json.h), the arena's limit, and the
 * safetensors "__metadata__" entries written and read back. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_json.h"
#include "ck_safetensors.h"

static void setup(void) { ck_error_clear(); }
TestSuite(json, .init = setup);

static char *written(void (*write)(ck_json_writer *))
{
    ck_json_writer w;
    ck_json_writer_init(&w);
    write(&w);
    char *text = ck_json_writer_take(&w);
    cr_assert_not_null(text);
    return text;
}

static void nested(ck_json_writer *w)
{
    ck_json_begin_object(w);
    ck_json_key(w, "name");
    ck_json_string(w, "dense \"1\"\n\\");
    ck_json_key(w, "units");
    ck_json_int(w, -32);
    ck_json_key(w, "rates");
    ck_json_begin_array(w);
    ck_json_float(w, 0.99f);
    ck_json_float(w, 1e-3f);
    ck_json_float(w, 2.0f);
    ck_json_double(w, 0.1);
    ck_json_float(w, NAN);
    ck_json_end_array(w);
    ck_json_key(w, "empty");
    ck_json_begin_object(w);
    ck_json_end_object(w);
    ck_json_key(w, "flags");
    ck_json_begin_array(w);
    ck_json_bool(w, 1);
    ck_json_bool(w, 0);
    ck_json_null(w);
    ck_json_string(w, NULL);
    ck_json_end_array(w);
    ck_json_end_object(w);
}

Test(json, writer_places_commas_escapes_and_shortest_floats)
{
    char *text = written(nested);
    cr_expect_str_eq(text, "{\"name\":\"dense \\\"1\\\"\\u000a\\\\\",\"units\":-32,"
                           "\"rates\":[0.99,0.001,2.0,0.1,null],\"empty\":{},\"flags\":[true,false,null,null]}");
    free(text);
}

Test(json, reader_reads_what_the_writer_wrote)
{
    char *text = written(nested);
    ck_json *v = ck_json_parse(text, strlen(text));
    cr_assert_not_null(v, "%s", ck_error());
    cr_expect_eq(v->type, CK_JSON_OBJECT);
    cr_expect_str_eq(ck_json_as_string(ck_json_get(v, "name")), "dense \"1\"\n\\");
    long long units = 0;
    cr_expect(ck_json_as_int(ck_json_get(v, "units"), -100, 100, &units));
    cr_expect_eq(units, -32);
    cr_expect_not(ck_json_as_int(ck_json_get(v, "units"), 0, 100, &units), "out of range");
    const ck_json *rates = ck_json_get(v, "rates");
    cr_assert_eq(rates->n, 5);
    cr_expect_eq((float)ck_json_at(rates, 0)->number, 0.99f);
    cr_expect_eq((float)ck_json_at(rates, 1)->number, 1e-3f);
    cr_expect_eq(ck_json_at(rates, 3)->number, 0.1);
    cr_expect_eq(ck_json_at(rates, 4)->type, CK_JSON_NULL);
    cr_expect_not(ck_json_as_int(ck_json_at(rates, 0), -10, 10, &units), "0.99 is not an integer");
    cr_expect_null(ck_json_at(rates, 5));
    cr_expect_eq(ck_json_get(v, "empty")->n, 0);
    cr_expect_eq(ck_json_at(ck_json_get(v, "flags"), 0)->boolean, 1);
    cr_expect_null(ck_json_get(v, "missing"));
    cr_expect_null(ck_json_get(rates, "name"), "arrays have no members");
    ck_json_free(v);
    free(text);
}

Test(json, unicode_escapes_decode_to_utf8)
{
    const char *text = "[\"\\u00e9\\u20ac\\ud83d\\ude00\", \"plain\"]";
    ck_json *v = ck_json_parse(text, strlen(text));
    cr_assert_not_null(v, "%s", ck_error());
    cr_expect_str_eq(ck_json_at(v, 0)->string, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    ck_json_free(v);
}

Test(json, hostile_text_is_refused_with_a_position)
{
    static const struct {
        const char *text, *message;
    } bad[] = {
        {"", "expected a value at byte 0"},
        {"{\"a\" 1}", "expected ':' at byte 5"},
        {"{\"a\":1,\"a\":2}", "key 'a' appears twice"},
        {"[1,2", "unterminated array"},
        {"[1 2]", "expected ',' or ']'"},
        {"\"abc", "unterminated string"},
        {"\"a\x01\"", "control character"},
        {"\"\\x\"", "bad escape"},
        {"\"\\ud800\"", "bad escape"},
        {"\"\\udc00x\"", "bad escape"},
        {"\"\\u0000\"", "bad escape"},
        {"01", "unexpected text after the value"},
        {"1.", "bad number"},
        {"-", "bad number"},
        {"1e", "bad number"},
        {"1e999", "number out of range"},
        {"tru", "expected a value"},
        {"{} x", "unexpected text after the value"},
        {"[nul]", "expected a value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_error_clear();
        cr_expect_null(ck_json_parse(bad[i].text, strlen(bad[i].text)), "%s parsed", bad[i].text);
        cr_expect(ck_error() && strstr(ck_error(), bad[i].message), "'%s': %s (wanted %s)", bad[i].text,
                  ck_error() ? ck_error() : "(no message)", bad[i].message);
    }
}

Test(json, length_bounds_the_read_and_depth_is_limited)
{
    /* a value cut by the length is incomplete, whatever follows in memory */
    const char *text = "[1,2]";
    ck_json *v = ck_json_parse(text, 3);
    cr_expect_null(v);
    char deep[2 * CK_JSON_MAX_DEPTH + 3];
    memset(deep, '[', CK_JSON_MAX_DEPTH + 1);
    memset(deep + CK_JSON_MAX_DEPTH + 1, ']', CK_JSON_MAX_DEPTH + 1);
    ck_error_clear();
    cr_expect_null(ck_json_parse(deep, 2 * CK_JSON_MAX_DEPTH + 2));
    cr_expect(strstr(ck_error(), "nesting too deep"), "%s", ck_error());
    ck_error_clear();
    v = ck_json_parse(deep + 1, 2 * CK_JSON_MAX_DEPTH); /* exactly the limit */
    cr_expect_not_null(v, "%s", ck_error() ? ck_error() : "");
    ck_json_free(v);
}

Test(json, writer_refuses_unbalanced_text)
{
    ck_json_writer w;
    ck_json_writer_init(&w);
    ck_json_begin_array(&w);
    cr_expect_null(ck_json_writer_take(&w));
}

Test(json, arena_limit_fails_the_request_that_crosses_it)
{
    ck_arena a;
    ck_arena_init(&a);
    a.limit = 1024;
    cr_expect_not_null(ck_arena_alloc(&a, 512));
    cr_expect_not_null(ck_arena_alloc(&a, 512));
    cr_expect_null(ck_arena_alloc(&a, 1));
    cr_expect(strstr(ck_error(), "exceed the limit of 1024 bytes"), "%s", ck_error());
    ck_arena_reset(&a);
    cr_expect_not_null(ck_arena_alloc(&a, 1000), "the limit counts since the reset");
    ck_arena_free(&a);
}

Test(json, safetensors_metadata_round_trip)
{
    char path[] = "/tmp/ck_meta_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    float data[3] = {1, 2, 3};
    ck_tensor t = ck_tensor_view(CK_F32, ck_shape_of(1, 3), data);
    const ck_tensor *ts[1] = {&t};
    const char *names[1] = {"w"};
    const char *keys[2] = {"model_config", "note"}, *values[2] = {"{\"a\": [1, \"x\"]}", "line\nbreak \"q\""};
    cr_assert_eq(ck_safetensors_save_meta(path, names, ts, 1, keys, values, 2), 0, "%s", ck_error());
    ck_safetensors *st = ck_safetensors_load(path);
    cr_assert_not_null(st, "%s", ck_error());
    cr_expect_str_eq(ck_safetensors_meta(st, "model_config"), values[0]);
    cr_expect_str_eq(ck_safetensors_meta(st, "note"), values[1]);
    cr_expect_str_eq(ck_safetensors_meta(st, "writer"), "ckeras");
    cr_expect_null(ck_safetensors_meta(st, "absent"));
    float back[3];
    cr_expect_eq(ck_safetensors_copy(st, 0, back), 0);
    cr_expect_eq(back[2], 3.0f);
    ck_safetensors_free(st);
    /* the writer's own keys, and a key twice, are refused */
    const char *own[1] = {"format"}, *twice[2] = {"k", "k"};
    cr_expect_eq(ck_safetensors_save_meta(path, names, ts, 1, own, values, 1), -1);
    cr_expect_eq(ck_safetensors_save_meta(path, names, ts, 1, twice, values, 2), -1);
    remove(path);
}

/* The format's metadata maps strings to strings; another value is skipped
 * (read as absent), so a file from a lenient writer still loads. */
Test(json, safetensors_metadata_other_than_strings_is_skipped)
{
    const char header[] = "{\"__metadata__\":{\"model_config\":5}}";
    unsigned char file[8 + sizeof header - 1];
    size_t n = sizeof header - 1;
    for (int i = 0; i < 8; i++) file[i] = (unsigned char)(n >> (8 * i));
    memcpy(file + 8, header, n);
    ck_safetensors *st = ck_safetensors_parse(file, sizeof file);
    cr_assert_not_null(st, "%s", ck_error());
    cr_expect_null(ck_safetensors_meta(st, "model_config"));
    ck_safetensors_free(st);
}
