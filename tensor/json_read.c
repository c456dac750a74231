/* json_read.c - the bounds-checked JSON reader of ck_json.h.
 *
 * Recursive descent over a (pointer, end) pair: every read checks p < end
 * first, nesting is limited to CK_JSON_MAX_DEPTH, numbers are copied into a
 * small buffer before strtod (the text need not be NUL-terminated). Strings
 * and numbers are lexed by json_lex.c, as in the safetensors reader. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ck_error.h"
#include "ck_json.h"
#include "json_lex.h"

/* The longest number text accepted: far more digits than a double holds. */
enum { MAX_NUMBER_TEXT = 64 };
/* 2^53: every integer up to it is exact in a double. */
#define CK_JSON_EXACT_INT 9007199254740992.0

typedef ck_json_lex reader;

static long at(const reader *r) { return (long)(r->p - r->start); }

static void skip_ws(reader *r) { ck_json_lex_ws(r); }

static int fail_at(const reader *r, const char *what) { return ck_fail("json: %s at byte %ld", what, at(r)); }

/* A string (r->p at its opening quote) into a fresh heap C string. */
static int parse_string(reader *r, char **out)
{
    const char *why = ck_json_lex_string(r, out);
    return why ? fail_at(r, why) : 0;
}

static int parse_number(reader *r, double *out)
{
    const char *first = r->p, *why = ck_json_lex_number(r);
    if (why) return fail_at(r, why);
    size_t len = (size_t)(r->p - first);
    if (len >= MAX_NUMBER_TEXT) return fail_at(r, "number too long");
    char text[MAX_NUMBER_TEXT];
    memcpy(text, first, len);
    text[len] = 0;
    *out = strtod(text, NULL);
    if (!isfinite(*out)) return fail_at(r, "number out of range");
    return 0;
}

static int parse_value(reader *r, ck_json *v, int depth);

/* Append one more item (and key) to an array or object. */
static int grow(ck_json *v, int *cap)
{
    if (v->n < *cap) return 0;
    int ncap = *cap ? 2 * *cap : 4;
    ck_json **items = realloc(v->items, sizeof *items * (size_t)ncap);
    if (items) v->items = items;
    if (!items) return ck_fail("json: out of memory");
    if (v->type == CK_JSON_OBJECT) {
        char **keys = realloc(v->keys, sizeof *keys * (size_t)ncap);
        if (!keys) return ck_fail("json: out of memory");
        v->keys = keys;
    }
    *cap = ncap;
    return 0;
}

static int parse_member_key(reader *r, ck_json *v)
{
    char *key = NULL;
    skip_ws(r);
    if (parse_string(r, &key)) return -1;
    v->keys[v->n] = key;
    skip_ws(r);
    if (r->p >= r->end || *r->p != ':') {
        free(key);
        return fail_at(r, "expected ':'");
    }
    r->p++;
    return 0;
}

static int by_key(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* No key twice in object v (ending at r->p): sorted, then neighbours
 * compared, so a hostile object of a million keys costs n log n, not n^2. */
static int check_unique_keys(const reader *r, const ck_json *v)
{
    if (v->n < 2) return 0;
    char **sorted = malloc(sizeof *sorted * (size_t)v->n);
    if (!sorted) return ck_fail("json: out of memory");
    memcpy(sorted, v->keys, sizeof *sorted * (size_t)v->n);
    qsort(sorted, (size_t)v->n, sizeof *sorted, by_key);
    int rc = 0;
    for (int i = 1; i < v->n && !rc; i++)
        if (!strcmp(sorted[i - 1], sorted[i]))
            rc = ck_fail("json: key '%.64s' appears twice in the object ending at byte %ld", sorted[i], at(r));
    free(sorted);
    return rc;
}

/* An array or object, r->p at its opening bracket. */
static int parse_container(reader *r, ck_json *v, int depth)
{
    int is_object = *r->p == '{', cap = 0;
    char close = is_object ? '}' : ']';
    v->type = is_object ? CK_JSON_OBJECT : CK_JSON_ARRAY;
    if (depth >= CK_JSON_MAX_DEPTH) return fail_at(r, "nesting too deep");
    r->p++;
    skip_ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return 0;
    }
    while (1) {
        if (grow(v, &cap)) return -1;
        if (is_object && parse_member_key(r, v)) return -1;
        ck_json *item = calloc(1, sizeof *item);
        if (!item) {
            if (is_object) free(v->keys[v->n]);
            return ck_fail("json: out of memory");
        }
        v->items[v->n++] = item; /* counted now, so ck_json_free reaches it on any error */
        if (parse_value(r, item, depth + 1)) return -1;
        skip_ws(r);
        if (r->p >= r->end) return fail_at(r, is_object ? "unterminated object" : "unterminated array");
        if (*r->p == ',') {
            r->p++;
            continue;
        }
        if (*r->p == close) {
            r->p++;
            return is_object ? check_unique_keys(r, v) : 0;
        }
        return fail_at(r, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int parse_value(reader *r, ck_json *v, int depth)
{
    skip_ws(r);
    if (r->p >= r->end) return fail_at(r, "expected a value");
    char c = *r->p;
    if (c == '{' || c == '[') return parse_container(r, v, depth);
    if (c == '"') {
        v->type = CK_JSON_STRING;
        return parse_string(r, &v->string);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        v->type = CK_JSON_NUMBER;
        return parse_number(r, &v->number);
    }
    if (ck_json_lex_literal(r, "true") || ck_json_lex_literal(r, "false")) {
        v->type = CK_JSON_BOOL;
        v->boolean = c == 't';
        return 0;
    }
    if (ck_json_lex_literal(r, "null")) {
        v->type = CK_JSON_NULL;
        return 0;
    }
    return fail_at(r, "expected a value");
}

ck_json *ck_json_parse(const char *text, size_t n)
{
    if (!text && n) {
        ck_fail("json: text is NULL");
        return NULL;
    }
    reader r = {text, text, text + n};
    ck_json *v = calloc(1, sizeof *v);
    if (!v) {
        ck_fail("json: out of memory");
        return NULL;
    }
    int rc = parse_value(&r, v, 0);
    if (!rc) {
        skip_ws(&r);
        if (r.p != r.end) rc = fail_at(&r, "unexpected text after the value");
    }
    if (rc) {
        ck_json_free(v);
        return NULL;
    }
    return v;
}

void ck_json_free(ck_json *v)
{
    if (!v) return;
    for (int i = 0; i < v->n; i++) {
        ck_json_free(v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
    free(v);
}

const ck_json *ck_json_get(const ck_json *v, const char *key)
{
    if (!v || v->type != CK_JSON_OBJECT || !key) return NULL;
    for (int i = 0; i < v->n; i++)
        if (!strcmp(v->keys[i], key)) return v->items[i];
    return NULL;
}

const ck_json *ck_json_at(const ck_json *v, int i)
{
    if (!v || v->type != CK_JSON_ARRAY || i < 0 || i >= v->n) return NULL;
    return v->items[i];
}

const char *ck_json_as_string(const ck_json *v) { return v && v->type == CK_JSON_STRING ? v->string : NULL; }

int ck_json_as_int(const ck_json *v, long long lo, long long hi, long long *out)
{
    if (!v || v->type != CK_JSON_NUMBER) return 0;
    double x = v->number;
    if (x > CK_JSON_EXACT_INT || x < -CK_JSON_EXACT_INT) return 0; /* (long long)x must be exact */
    if (!(x >= (double)lo && x <= (double)hi) || x != floor(x)) return 0;
    *out = (long long)x;
    return 1;
}

const char *ck_json_type_name(ck_json_type t)
{
    static const char *const names[] = {"null", "boolean", "number", "string", "array", "object"};
    return t >= CK_JSON_NULL && t <= CK_JSON_OBJECT ? names[t] : "?";
}
