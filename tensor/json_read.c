/* json_read.c - the bounds-checked JSON reader of ck_json.h.
 *
 * Recursive descent over a (pointer, end) pair: every read checks p < end
 * first, nesting is limited to CK_JSON_MAX_DEPTH, numbers are copied into a
 * small buffer before strtod (the text need not be NUL-terminated). The
 * string rules are the safetensors reader's: control characters, bad
 * escapes, lone surrogates and an escaped NUL are refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ck_error.h"
#include "ck_json.h"

/* The longest number text accepted: far more digits than a double holds. */
enum { MAX_NUMBER_TEXT = 64 };
/* 2^53: every integer up to it is exact in a double. */
#define CK_JSON_EXACT_INT 9007199254740992.0

typedef struct reader {
    const char *start, *p, *end;
} reader;

static long at(const reader *r) { return (long)(r->p - r->start); }

static void skip_ws(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) r->p++;
}

static int fail_at(const reader *r, const char *what) { return ck_fail("json: %s at byte %ld", what, at(r)); }

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* UTF-8 for code point cp into u; returns the length (1 to 4). */
static int utf8(unsigned cp, unsigned char u[4])
{
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | (cp >> 6));
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | (cp >> 12));
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    u[0] = (unsigned char)(0xF0 | (cp >> 18));
    u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The escape after a backslash (r->p is past the backslash): its code point. */
static int escape(reader *r, unsigned *cp)
{
    if (r->p >= r->end) return -1;
    char e = *r->p++;
    switch (e) {
    case '"': *cp = '"'; return 0;
    case '\\': *cp = '\\'; return 0;
    case '/': *cp = '/'; return 0;
    case 'b': *cp = '\b'; return 0;
    case 'f': *cp = '\f'; return 0;
    case 'n': *cp = '\n'; return 0;
    case 'r': *cp = '\r'; return 0;
    case 't': *cp = '\t'; return 0;
    case 'u': break;
    default: return -1;
    }
    if (r->end - r->p < 4 || hex4(r->p, cp)) return -1;
    r->p += 4;
    if (*cp >= 0xDC00 && *cp <= 0xDFFF) return -1; /* a low surrogate alone */
    if (*cp >= 0xD800 && *cp <= 0xDBFF) {          /* a high one needs its low one */
        unsigned lo;
        if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' || hex4(r->p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
            return -1;
        r->p += 6;
        *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    return *cp == 0 ? -1 : 0;
}

/* A string (r->p at its opening quote) into a fresh heap C string. */
static int parse_string(reader *r, char **out)
{
    if (r->p >= r->end || *r->p != '"') return fail_at(r, "expected a string");
    r->p++;
    /* the decoded text is never longer than the escaped text up to the
     * closing quote (or the end, for an unterminated string) */
    const char *close = r->p;
    while (close < r->end && *close != '"') close += *close == '\\' && close + 1 < r->end ? 2 : 1;
    char *s = malloc((size_t)((close < r->end ? close : r->end) - r->p) + 1);
    if (!s) return ck_fail("json: out of memory");
    size_t n = 0;
    while (1) {
        if (r->p >= r->end) {
            free(s);
            return fail_at(r, "unterminated string");
        }
        unsigned char c = (unsigned char)*r->p++;
        if (c == '"') break;
        if (c < 0x20) {
            free(s);
            return fail_at(r, "control character in a string");
        }
        if (c != '\\') {
            s[n++] = (char)c;
            continue;
        }
        unsigned cp;
        if (escape(r, &cp)) {
            free(s);
            return fail_at(r, "bad escape in a string");
        }
        unsigned char u[4];
        int len = utf8(cp, u);
        memcpy(s + n, u, (size_t)len);
        n += (size_t)len;
    }
    s[n] = 0;
    *out = s;
    return 0;
}

static int digits(reader *r)
{
    const char *first = r->p;
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9') r->p++;
    return r->p > first ? 0 : -1;
}

/* JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int parse_number(reader *r, double *out)
{
    const char *first = r->p;
    if (r->p < r->end && *r->p == '-') r->p++;
    if (r->p < r->end && *r->p == '0')
        r->p++;
    else if (digits(r))
        return fail_at(r, "bad number");
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        if (digits(r)) return fail_at(r, "bad number");
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-')) r->p++;
        if (digits(r)) return fail_at(r, "bad number");
    }
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
    for (int i = 0; i < v->n; i++)
        if (!strcmp(v->keys[i], key)) {
            ck_fail("json: key '%.64s' appears twice in an object at byte %ld", key, at(r));
            free(key);
            return -1;
        }
    v->keys[v->n] = key;
    skip_ws(r);
    if (r->p >= r->end || *r->p != ':') {
        free(key);
        return fail_at(r, "expected ':'");
    }
    r->p++;
    return 0;
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
            return 0;
        }
        return fail_at(r, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int literal(reader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n)) return -1;
    r->p += n;
    return 0;
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
    if (!literal(r, "true") || !literal(r, "false")) {
        v->type = CK_JSON_BOOL;
        v->boolean = c == 't';
        return 0;
    }
    if (!literal(r, "null")) {
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
