/* movielens_fields.c - the line and field reader shared by the MovieLens
 * parsers; see ck_movielens_fields.h. */
#include "ck_movielens_fields.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ck_error.h"
#include "ck_io.h"
#include "ck_movielens.h"

#define SHOW_MAX_CHARS 32 /* a longer field value is cut to this many and "..." */

/* ------------------------------------------------------------------ files */

char *ck_ml_join_path(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    int slash = a > 0 && dir[a - 1] != '/';
    char *p = malloc(a + (size_t)slash + b + 1);
    if (!p) return NULL;
    memcpy(p, dir, a);
    if (slash) p[a] = '/';
    memcpy(p + a + (size_t)slash, name, b + 1);
    return p;
}

int ck_ml_file_exists(const char *path)
{
    /* any kind of file: a FIFO called ratings.dat still says which format
     * was meant, and its reader then refuses it with a message */
    struct stat st;
    return stat(path, &st) == 0;
}

int ck_ml_load_file(const char *dir, const char *name, ck_ml_file *f)
{
    f->path = ck_ml_join_path(dir, name);
    if (!f->path) return ck_fail("movielens: out of memory");
    /* opened without blocking and refused unless it is a regular file
     * (ck_io.h): a FIFO or a device cannot hang the loader */
    if (ck_io_read_regular_file(f->path, CK_ML_MAX_FILE_BYTES, &f->data, &f->size) < 0) {
        ck_error_prefix("movielens: ");
        return -1;
    }
    if (f->size == 0) return ck_fail("movielens: %s is empty", f->path);
    return 0;
}

void ck_ml_unload_file(ck_ml_file *f)
{
    free(f->path);
    free(f->data);
    memset(f, 0, sizeof *f);
}

int64_t ck_ml_count_lines(const char *buf, size_t size)
{
    int64_t n = 1;
    const char *p = buf, *end = buf + size;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

/* ------------------------------------------------------------------ lines */

ck_ml_lines ck_ml_lines_of(const ck_ml_file *f) { return (ck_ml_lines){f->path, f->data, f->data + f->size, 0}; }

int ck_ml_next_line(ck_ml_lines *r, ck_ml_span *line)
{
    if (r->p >= r->end) return 0;
    const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
    const char *stop = nl ? nl : r->end;
    line->s = r->p;
    line->len = (size_t)(stop - r->p);
    if (line->len > 0 && line->s[line->len - 1] == '\r') line->len--;
    r->p = nl ? nl + 1 : r->end;
    r->lineno++;
    return 1;
}

int ck_ml_is_blank(ck_ml_span line)
{
    for (size_t i = 0; i < line.len; i++)
        if (line.s[i] != ' ' && line.s[i] != '\t') return 0;
    return 1;
}

/* ------------------------------------------------------------------ fields */

int ck_ml_split_fields(ck_ml_span line, const char *sep, ck_ml_span *fields, int max)
{
    size_t seplen = strlen(sep);
    int n = 0;
    size_t start = 0, i = 0;
    while (i + seplen <= line.len) {
        if (memcmp(line.s + i, sep, seplen) == 0) {
            if (n < max) fields[n] = (ck_ml_span){line.s + start, i - start};
            if (n < INT_MAX - 1) n++;
            i += seplen;
            start = i;
        } else {
            i++;
        }
    }
    if (n < max) fields[n] = (ck_ml_span){line.s + start, line.len - start};
    return n + 1;
}

ck_ml_span ck_ml_trim(ck_ml_span v)
{
    while (v.len && (v.s[0] == ' ' || v.s[0] == '\t')) v.s++, v.len--;
    while (v.len && (v.s[v.len - 1] == ' ' || v.s[v.len - 1] == '\t')) v.len--;
    return v;
}

int ck_ml_span_eq(ck_ml_span a, ck_ml_span b) { return a.len == b.len && memcmp(a.s, b.s, a.len) == 0; }

/* ------------------------------------------------------------------ checks */

const char *ck_ml_show(ck_ml_span v, char *buf, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < v.len && o + 8 < cap; i++) {
        if (i == SHOW_MAX_CHARS) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        unsigned char c = (unsigned char)v.s[i];
        if (c >= 0x20 && c < 0x7f && c != '\'')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
    }
    buf[o] = '\0';
    return buf;
}

int ck_ml_field_error(const ck_ml_lines *r, int field, const char *name, ck_ml_span v, const char *problem)
{
    char shown[160];
    return ck_fail("movielens: %s line %lld: field %d (%s) '%s' %s", r->path, (long long)r->lineno, field, name,
                   ck_ml_show(v, shown, sizeof shown), problem);
}

int ck_ml_count_error(const ck_ml_lines *r, int want, const char *sep, int got)
{
    return ck_fail("movielens: %s line %lld: expected %d fields separated by '%s', found %d", r->path,
                   (long long)r->lineno, want, sep[0] == '\t' ? "\\t" : sep, got);
}

int ck_ml_parse_int(const ck_ml_lines *r, int field, const char *name, ck_ml_span v, int64_t lo, int64_t hi,
                    int64_t *out)
{
    size_t i = 0;
    int negative = 0;
    if (v.len > 0 && v.s[0] == '-') {
        negative = 1;
        i = 1;
    }
    if (i == v.len) return ck_ml_field_error(r, field, name, v, "is not an integer");
    int64_t x = 0;
    int too_big = 0;
    for (; i < v.len; i++) {
        unsigned d = (unsigned)(unsigned char)v.s[i] - '0';
        if (d > 9) return ck_ml_field_error(r, field, name, v, "is not an integer");
        if (x > (INT64_MAX - 9) / 10)
            too_big = 1; /* keep scanning: a later non-digit is the better message */
        else
            x = x * 10 + (int64_t)d;
    }
    if (negative) x = -x;
    if (too_big || x < lo || x > hi) {
        char range[80];
        snprintf(range, sizeof range, "is not in %lld..%lld", (long long)lo, (long long)hi);
        return ck_ml_field_error(r, field, name, v, range);
    }
    *out = x;
    return 0;
}

int ck_ml_parse_id(const ck_ml_lines *r, int field, const char *name, ck_ml_span v, int32_t *out)
{
    int64_t x;
    if (ck_ml_parse_int(r, field, name, v, 1, CK_ML_MAX_ID, &x) < 0) return -1;
    *out = (int32_t)x;
    return 0;
}

int ck_ml_check_no_nul(const ck_ml_lines *r, int field, const char *name, ck_ml_span v)
{
    if (memchr(v.s, '\0', v.len)) return ck_ml_field_error(r, field, name, v, "contains a NUL byte");
    return 0;
}
