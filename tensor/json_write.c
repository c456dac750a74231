/* json_write.c - the JSON writer of ck_json.h: values appended to a
 * growable buffer, with the commas and colons placed by the writer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_json.h"

/* Digits enough to tell any two float32 (9) or double (17) values apart. */
enum { FLOAT_MAX_DIGITS = 9, DOUBLE_MAX_DIGITS = 17, INITIAL_CAPACITY = 256 };

void ck_json_writer_init(ck_json_writer *w) { memset(w, 0, sizeof *w); }

void ck_json_writer_free(ck_json_writer *w)
{
    free(w->text);
    ck_json_writer_init(w);
}

char *ck_json_writer_take(ck_json_writer *w)
{
    char *text = w->oom || w->depth != 0 || !w->text ? NULL : w->text;
    if (!text) free(w->text);
    ck_json_writer_init(w);
    return text;
}

static void put(ck_json_writer *w, const char *s, size_t n)
{
    if (w->oom) return;
    if (w->len + n + 1 > w->cap) {
        size_t cap = (w->cap ? 2 * w->cap : INITIAL_CAPACITY) + n;
        char *grown = realloc(w->text, cap);
        if (!grown) {
            w->oom = 1;
            return;
        }
        w->text = grown;
        w->cap = cap;
    }
    memcpy(w->text + w->len, s, n);
    w->len += n;
    w->text[w->len] = 0;
}

static void puts_(ck_json_writer *w, const char *s) { put(w, s, strlen(s)); }

/* Before any value or key: the comma that separates it from the previous
 * item of the same object or array (none right after a key). */
static void before_item(ck_json_writer *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth > 0) {
        if (w->has_items[w->depth - 1]) put(w, ",", 1);
        w->has_items[w->depth - 1] = 1;
    }
}

static void open_(ck_json_writer *w, char c)
{
    before_item(w);
    put(w, &c, 1);
    if (w->depth == CK_JSON_MAX_DEPTH) {
        w->oom = 1; /* deeper than any reader here accepts: refuse to write it */
        return;
    }
    w->has_items[w->depth++] = 0;
}

static void close_(ck_json_writer *w, char c)
{
    put(w, &c, 1);
    if (w->depth > 0) w->depth--;
}

void ck_json_begin_object(ck_json_writer *w) { open_(w, '{'); }
void ck_json_end_object(ck_json_writer *w) { close_(w, '}'); }
void ck_json_begin_array(ck_json_writer *w) { open_(w, '['); }
void ck_json_end_array(ck_json_writer *w) { close_(w, ']'); }

static void quoted(ck_json_writer *w, const char *s)
{
    put(w, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            put(w, e, 2);
        } else if (*p < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", *p);
            puts_(w, e);
        } else {
            put(w, (const char *)p, 1);
        }
    }
    put(w, "\"", 1);
}

void ck_json_key(ck_json_writer *w, const char *key)
{
    before_item(w);
    quoted(w, key ? key : "");
    put(w, ":", 1);
    w->after_key = 1;
}

void ck_json_string(ck_json_writer *w, const char *s)
{
    if (!s) {
        ck_json_null(w);
        return;
    }
    before_item(w);
    quoted(w, s);
}

void ck_json_int(ck_json_writer *w, long long v)
{
    char b[32];
    before_item(w);
    snprintf(b, sizeof b, "%lld", v);
    puts_(w, b);
}

/* "1.0" rather than "1", as Python writes floats, so the reader's caller
 * can tell a float setting from an integer one if it cares. */
static void number_text(ck_json_writer *w, const char *b)
{
    puts_(w, b);
    if (!strpbrk(b, ".eE")) puts_(w, ".0");
}

void ck_json_float(ck_json_writer *w, float v)
{
    char b[48];
    if (!isfinite(v)) {
        ck_json_null(w);
        return;
    }
    before_item(w);
    for (int digits = 1; digits <= FLOAT_MAX_DIGITS; digits++) {
        snprintf(b, sizeof b, "%.*g", digits, (double)v);
        if (strtof(b, NULL) == v) break;
    }
    number_text(w, b);
}

void ck_json_double(ck_json_writer *w, double v)
{
    char b[48];
    if (!isfinite(v)) {
        ck_json_null(w);
        return;
    }
    before_item(w);
    for (int digits = 1; digits <= DOUBLE_MAX_DIGITS; digits++) {
        snprintf(b, sizeof b, "%.*g", digits, v);
        if (strtod(b, NULL) == v) break;
    }
    number_text(w, b);
}

void ck_json_bool(ck_json_writer *w, int v)
{
    before_item(w);
    puts_(w, v ? "true" : "false");
}

void ck_json_null(ck_json_writer *w)
{
    before_item(w);
    puts_(w, "null");
}
