/* safetensors.c - a bounds-checked safetensors parser (reading a file:
 * safetensors_load.c; the writer: safetensors_write.c).
 *
 * The JSON header is parsed by a small recursive-descent parser over a
 * (pointer, end) pair: every read checks `p < end` first, nesting depth is
 * limited, numbers are unsigned integers with overflow checks. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ck_safetensors.h"
#include "safetensors_internal.h"

enum { MAX_DEPTH = 32 };

typedef struct json {
    const char *p, *end;
} json;

static void skip_ws(json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static long pos(const json *j, const char *start) { return (long)(j->p - start); }

static int expect(json *j, char c)
{
    skip_ws(j);
    if (j->p >= j->end || *j->p != c) return -1;
    j->p++;
    return 0;
}

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

/* A JSON string into a fresh heap C string (out may be NULL: skip). Rejects
 * control characters, bad escapes, lone surrogates and embedded NUL. */
static int parse_string(json *j, char **out)
{
    skip_ws(j);
    if (j->p >= j->end || *j->p != '"') return -1;
    j->p++;
    /* the raw text up to the closing quote: the decoded text is never
     * longer (sizing by the rest of the header instead made a header of
     * many names cost its size times their number) */
    const char *q = j->p;
    while (q < j->end && *q != '"') q += *q == '\\' && q + 1 < j->end ? 2 : 1;
    size_t cap = (size_t)(q - j->p) + 1;
    char *s = out ? malloc(cap) : NULL;
    if (out && !s) return -1;
    size_t n = 0;
    while (1) {
        if (j->p >= j->end) goto bad;
        unsigned char c = (unsigned char)*j->p++;
        if (c == '"') break;
        if (c < 0x20) goto bad;
        if (c != '\\') {
            if (s) s[n] = (char)c;
            n++;
            continue;
        }
        if (j->p >= j->end) goto bad;
        char e = *j->p++;
        unsigned cp;
        switch (e) {
        case '"': cp = '"'; break;
        case '\\': cp = '\\'; break;
        case '/': cp = '/'; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            if (j->end - j->p < 4 || hex4(j->p, &cp)) goto bad;
            j->p += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF) goto bad;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' || hex4(j->p + 2, &lo) || lo < 0xDC00 ||
                    lo > 0xDFFF)
                    goto bad;
                j->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            break;
        default: goto bad;
        }
        if (cp == 0) goto bad;
        /* UTF-8 encoding: at most 4 bytes, never longer than the 6-12 byte escape */
        unsigned char u[4];
        int len;
        if (cp < 0x80) {
            u[0] = (unsigned char)cp;
            len = 1;
        } else if (cp < 0x800) {
            u[0] = (unsigned char)(0xC0 | (cp >> 6));
            u[1] = (unsigned char)(0x80 | (cp & 0x3F));
            len = 2;
        } else if (cp < 0x10000) {
            u[0] = (unsigned char)(0xE0 | (cp >> 12));
            u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            u[2] = (unsigned char)(0x80 | (cp & 0x3F));
            len = 3;
        } else {
            u[0] = (unsigned char)(0xF0 | (cp >> 18));
            u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
            u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            u[3] = (unsigned char)(0x80 | (cp & 0x3F));
            len = 4;
        }
        if (s) memcpy(s + n, u, (size_t)len);
        n += (size_t)len;
    }
    if (s) {
        s[n] = 0;
        *out = s;
    }
    return 0;
bad:
    free(s);
    return -1;
}

/* An unsigned integer without sign, fraction or exponent. */
static int parse_uint(json *j, uint64_t *out)
{
    skip_ws(j);
    if (j->p >= j->end || *j->p < '0' || *j->p > '9') return -1;
    uint64_t v = 0;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
        uint64_t d = (uint64_t)(*j->p - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
        j->p++;
    }
    if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E')) return -1;
    *out = v;
    return 0;
}

/* Skip any JSON value (for __metadata__ and unknown fields). */
static int skip_value(json *j, int depth)
{
    if (depth > MAX_DEPTH) return -1;
    skip_ws(j);
    if (j->p >= j->end) return -1;
    char c = *j->p;
    if (c == '"') return parse_string(j, NULL);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        j->p++;
        skip_ws(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return 0;
        }
        while (1) {
            if (c == '{') {
                if (parse_string(j, NULL) || expect(j, ':')) return -1;
            }
            if (skip_value(j, depth + 1)) return -1;
            skip_ws(j);
            if (j->p >= j->end) return -1;
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p == close) {
                j->p++;
                return 0;
            }
            return -1;
        }
    }
    const char *lits[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(lits[i]);
        if ((size_t)(j->end - j->p) >= n && !memcmp(j->p, lits[i], n)) {
            j->p += n;
            return 0;
        }
    }
    if (c == '-') j->p++;
    uint64_t ignored;
    if (parse_uint(j, &ignored)) return -1;
    return 0;
}

/* [a, b, ...] of unsigned ints, at most max_n. */
static int parse_uint_array(json *j, uint64_t *vals, int max_n, int *n)
{
    *n = 0;
    if (expect(j, '[')) return -1;
    skip_ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        return 0;
    }
    while (1) {
        if (*n >= max_n) return -1;
        if (parse_uint(j, &vals[*n])) return -1;
        (*n)++;
        skip_ws(j);
        if (j->p >= j->end) return -1;
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p == ']') {
            j->p++;
            return 0;
        }
        return -1;
    }
}

void ck_safetensors_free(ck_safetensors *st)
{
    if (!st) return;
    for (int i = 0; i < st->n; i++) free(st->entries[i].name);
    free(st->entries);
    for (int i = 0; i < st->n_meta; i++) {
        free(st->meta_keys[i]);
        free(st->meta_values[i]);
    }
    free(st->meta_keys);
    free(st->meta_values);
    free(st->bytes);
    free(st);
}

int ck_safetensors_find(const ck_safetensors *st, const char *name)
{
    if (!st || !name) return -1;
    for (int i = 0; i < st->n; i++)
        if (!strcmp(st->entries[i].name, name)) return i;
    return -1;
}

/* One tensor's description: {"dtype": ..., "shape": [...], "data_offsets": [b, e]} */
static int parse_entry(json *j, ck_st_entry *e, const char *start)
{
    int have_dtype = 0, have_shape = 0, have_offsets = 0;
    if (expect(j, '{'))
        return ck_fail("safetensors: tensor '%s': expected an object at byte %ld", e->name, pos(j, start));
    skip_ws(j);
    if (j->p < j->end && *j->p == '}')
        j->p++;
    else
        while (1) {
            char *key = NULL;
            if (parse_string(j, &key) || expect(j, ':')) {
                free(key);
                return ck_fail("safetensors: tensor '%s': bad field at byte %ld", e->name, pos(j, start));
            }
            int rc = 0;
            if (!strcmp(key, "dtype")) {
                char *dt = NULL;
                if (parse_string(j, &dt))
                    rc = ck_fail("safetensors: tensor '%s': dtype is not a string", e->name);
                else if (!strcmp(dt, "F32"))
                    e->dtype = CK_F32;
                else if (!strcmp(dt, "I32"))
                    e->dtype = CK_I32;
                else
                    rc = ck_fail("safetensors: tensor '%s': dtype %.16s is not supported (F32, I32)", e->name, dt);
                free(dt);
                have_dtype = 1;
            } else if (!strcmp(key, "shape")) {
                uint64_t dims[CK_MAX_DIMS];
                int nd;
                if (parse_uint_array(j, dims, CK_MAX_DIMS, &nd))
                    rc = ck_fail("safetensors: tensor '%s': shape must be at most %d non-negative integers", e->name,
                                 CK_MAX_DIMS);
                e->shape.ndim = nd;
                for (int d = 0; !rc && d < nd; d++) {
                    if (dims[d] > INT_MAX)
                        rc = ck_fail("safetensors: tensor '%s': dim %d is too large", e->name, d);
                    else
                        e->shape.d[d] = (int)dims[d];
                }
                have_shape = 1;
            } else if (!strcmp(key, "data_offsets")) {
                uint64_t off[2];
                int n;
                if (parse_uint_array(j, off, 2, &n) || n != 2 || off[1] < off[0])
                    rc = ck_fail("safetensors: tensor '%s': data_offsets must be [begin, end] with begin <= end",
                                 e->name);
                else {
                    e->offset = off[0];
                    e->nbytes = off[1] - off[0];
                }
                have_offsets = 1;
            } else if (skip_value(j, 1)) {
                rc = ck_fail("safetensors: tensor '%s': bad value for field '%.32s'", e->name, key);
            }
            free(key);
            if (rc) return -1;
            skip_ws(j);
            if (j->p >= j->end) return ck_fail("safetensors: tensor '%s': header ends inside the entry", e->name);
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p == '}') {
                j->p++;
                break;
            }
            return ck_fail("safetensors: tensor '%s': expected ',' or '}' at byte %ld", e->name, pos(j, start));
        }
    if (!have_dtype || !have_shape || !have_offsets)
        return ck_fail("safetensors: tensor '%s': needs dtype, shape and data_offsets", e->name);
    /* element count * 4 bytes, without overflow */
    uint64_t count = 1;
    for (int d = 0; d < e->shape.ndim; d++) {
        uint64_t dim = (uint64_t)e->shape.d[d];
        if (dim && count > UINT64_MAX / 4 / dim)
            return ck_fail("safetensors: tensor '%s': shape is too large", e->name);
        count *= dim;
    }
    if (count * 4 != e->nbytes)
        return ck_fail("safetensors: tensor '%s': data_offsets cover %llu bytes, shape needs %llu", e->name,
                       (unsigned long long)e->nbytes, (unsigned long long)(count * 4));
    return 0;
}

static int by_offset(const void *a, const void *b)
{
    const ck_st_entry *x = *(const ck_st_entry *const *)a, *y = *(const ck_st_entry *const *)b;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    return x->nbytes < y->nbytes ? -1 : x->nbytes > y->nbytes;
}

/* __metadata__: an object of string keys; string values are kept (the
 * format allows only strings), any other value is skipped. At most
 * CK_ST_MAX_META of them, so the duplicate check stays cheap. */
static int parse_metadata(json *j, ck_safetensors *st)
{
    if (expect(j, '{')) return ck_fail("safetensors: bad __metadata__: it is not an object");
    skip_ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        return 0;
    }
    int cap = 0;
    while (1) {
        char *key = NULL, *value = NULL;
        if (parse_string(j, &key) || expect(j, ':')) {
            free(key);
            return ck_fail("safetensors: bad __metadata__: a key is not a string");
        }
        skip_ws(j);
        int is_string = j->p < j->end && *j->p == '"';
        if (is_string ? parse_string(j, &value) : skip_value(j, 2)) {
            ck_fail("safetensors: bad __metadata__: bad value for key '%.64s'", key);
            free(key);
            return -1;
        }
        if (is_string && st->n_meta == CK_ST_MAX_META) {
            free(key);
            free(value);
            return ck_fail("safetensors: __metadata__ has more than %d entries", CK_ST_MAX_META);
        }
        if (is_string && ck_safetensors_meta(st, key)) {
            ck_fail("safetensors: __metadata__ key '%.64s' appears twice", key);
            free(key);
            free(value);
            return -1;
        }
        if (is_string && st->n_meta == cap) {
            int ncap = cap ? cap * 2 : 8;
            char **k = realloc(st->meta_keys, sizeof *k * (size_t)ncap);
            if (k) st->meta_keys = k;
            char **v = k ? realloc(st->meta_values, sizeof *v * (size_t)ncap) : NULL;
            if (v) st->meta_values = v;
            if (!k || !v) {
                free(key);
                free(value);
                return ck_fail("safetensors: out of memory");
            }
            cap = ncap;
        }
        if (is_string) {
            st->meta_keys[st->n_meta] = key;
            st->meta_values[st->n_meta++] = value;
        } else {
            free(key);
        }
        skip_ws(j);
        if (j->p >= j->end) return ck_fail("safetensors: header ends inside __metadata__");
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p == '}') {
            j->p++;
            return 0;
        }
        return ck_fail("safetensors: expected ',' or '}' in __metadata__");
    }
}

const char *ck_safetensors_meta(const ck_safetensors *st, const char *key)
{
    if (!st || !key) return NULL;
    for (int i = 0; i < st->n_meta; i++)
        if (!strcmp(st->meta_keys[i], key)) return st->meta_values[i];
    return NULL;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const ck_st_entry *const *)a)->name, (*(const ck_st_entry *const *)b)->name);
}

/* No tensor name twice: sorted, then neighbours compared, so a hostile
 * header of a million names costs n log n, not n^2. */
static int check_unique_names(const ck_safetensors *st)
{
    if (st->n < 2) return 0;
    const ck_st_entry **order = malloc(sizeof *order * (size_t)st->n);
    if (!order) return ck_fail("safetensors: out of memory");
    for (int i = 0; i < st->n; i++) order[i] = &st->entries[i];
    qsort(order, (size_t)st->n, sizeof *order, by_name);
    int rc = 0;
    for (int i = 1; i < st->n && !rc; i++)
        if (!strcmp(order[i - 1]->name, order[i]->name))
            rc = ck_fail("safetensors: tensor '%s' appears twice", order[i]->name);
    free(order);
    return rc;
}

int ck_st_parse_header(ck_safetensors *st, const char *h, size_t n)
{
    json j = {h, h + n};
    if (expect(&j, '{')) return ck_fail("safetensors: header does not start with '{'");
    int cap = 0;
    skip_ws(&j);
    if (j.p < j.end && *j.p == '}')
        j.p++;
    else
        while (1) {
            char *name = NULL;
            if (parse_string(&j, &name) || expect(&j, ':')) {
                free(name);
                return ck_fail("safetensors: bad tensor name at byte %ld of the header", pos(&j, h));
            }
            if (!strcmp(name, "__metadata__")) {
                free(name);
                if (st->has_meta_) return ck_fail("safetensors: __metadata__ appears twice");
                st->has_meta_ = 1;
                if (parse_metadata(&j, st)) return -1;
            } else {
                if (st->n == cap) {
                    int ncap = cap ? cap * 2 : 8;
                    ck_st_entry *grown = realloc(st->entries, sizeof *grown * (size_t)ncap);
                    if (!grown) {
                        free(name);
                        return ck_fail("safetensors: out of memory");
                    }
                    st->entries = grown;
                    cap = ncap;
                }
                ck_st_entry *e = &st->entries[st->n++];
                memset(e, 0, sizeof *e);
                e->name = name;
                if (parse_entry(&j, e, h)) return -1;
            }
            skip_ws(&j);
            if (j.p >= j.end) return ck_fail("safetensors: header ends before its closing '}'");
            if (*j.p == ',') {
                j.p++;
                continue;
            }
            if (*j.p == '}') {
                j.p++;
                break;
            }
            return ck_fail("safetensors: expected ',' or '}' at byte %ld of the header", pos(&j, h));
        }
    skip_ws(&j);
    if (j.p != j.end) return ck_fail("safetensors: unexpected bytes after the header's closing '}'");
    return check_unique_names(st);
}

/* The data ranges must tile [0, data_size) exactly. */
int ck_st_check_ranges(ck_safetensors *st)
{
    if (st->n == 0) {
        if (st->data_size)
            return ck_fail("safetensors: %llu data bytes but no tensors", (unsigned long long)st->data_size);
        return 0;
    }
    const ck_st_entry **order = malloc(sizeof *order * (size_t)st->n);
    if (!order) return ck_fail("safetensors: out of memory");
    for (int i = 0; i < st->n; i++) order[i] = &st->entries[i];
    qsort(order, (size_t)st->n, sizeof *order, by_offset);
    uint64_t at = 0;
    int rc = 0;
    for (int i = 0; i < st->n && !rc; i++) {
        if (order[i]->offset != at)
            rc = ck_fail("safetensors: tensor '%s' starts at byte %llu of the data, expected %llu "
                         "(ranges overlap or leave a hole)",
                         order[i]->name, (unsigned long long)order[i]->offset, (unsigned long long)at);
        else if (order[i]->nbytes > st->data_size - at)
            rc = ck_fail("safetensors: tensor '%s' ends at byte %llu but the data has %llu bytes "
                         "(truncated file?)",
                         order[i]->name, (unsigned long long)(order[i]->offset + order[i]->nbytes),
                         (unsigned long long)st->data_size);
        else
            at += order[i]->nbytes;
    }
    if (!rc && at != st->data_size)
        rc = ck_fail("safetensors: the tensors cover %llu data bytes but the file holds %llu", (unsigned long long)at,
                     (unsigned long long)st->data_size);
    free(order);
    return rc;
}

ck_safetensors *ck_safetensors_parse(const void *bytes, size_t n)
{
    if (!bytes && n) {
        ck_fail("safetensors: bytes is NULL");
        return NULL;
    }
    if (n < 8) {
        ck_fail("safetensors: %zu bytes is too short for the 8-byte header length", n);
        return NULL;
    }
    const unsigned char *b = bytes;
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; i--) header_len = header_len << 8 | b[i];
    if (header_len > CK_ST_MAX_HEADER || header_len > n - 8) {
        ck_fail("safetensors: header length %llu does not fit in a file of %zu bytes", (unsigned long long)header_len,
                n);
        return NULL;
    }
    ck_safetensors *st = calloc(1, sizeof *st);
    if (!st || !(st->bytes = malloc(n))) {
        free(st);
        ck_fail("safetensors: out of memory");
        return NULL;
    }
    memcpy(st->bytes, bytes, n);
    st->data = st->bytes + 8 + header_len;
    st->data_size = n - 8 - header_len;
    if (ck_st_parse_header(st, (const char *)st->bytes + 8, (size_t)header_len) || ck_st_check_ranges(st)) {
        ck_safetensors_free(st);
        return NULL;
    }
    return st;
}

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

int ck_safetensors_copy(const ck_safetensors *st, int i, void *dst)
{
    if (!st || i < 0 || i >= st->n || !dst) return ck_fail("safetensors_copy: bad arguments");
    const ck_st_entry *e = &st->entries[i];
    const unsigned char *src = st->data + e->offset;
    if (host_is_little_endian())
        memcpy(dst, src, (size_t)e->nbytes);
    else
        for (uint64_t k = 0; k < e->nbytes; k += 4) {
            unsigned char *d = (unsigned char *)dst + k;
            d[0] = src[k + 3];
            d[1] = src[k + 2];
            d[2] = src[k + 1];
            d[3] = src[k];
        }
    return 0;
}
