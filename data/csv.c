/* csv.c - the reader of scikit-learn's CSV datasets (see ck_csv.h): the
 * whole file read once, split into lines and fields in place, every field
 * checked, the rows collected into an (N, F) float32 tensor and an (N,)
 * int32 label tensor. Input is treated as hostile: sizes bounded, counts
 * overflow-checked, every failure a message naming file, line and column. */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ck_csv.h"
#include "ck_error.h"

/* at most this many features (digits has 64) and class ids below this */
enum { MAX_FEATURES = 1 << 16, MAX_CLASSES = 1 << 16 };

typedef struct reader {
    const char *path;
    int64_t line; /* 1-based, of the line being read */
    char **fields;
    int n_fields, cap_fields;
    float *x; /* rows so far, n_features each */
    int32_t *y;
    int64_t n_rows, cap_rows;
    int n_features, has_header, header_classes;
    int64_t header_rows;
    char **names;
} reader;

static int fail_at(const reader *r, int column, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (column > 0) return ck_fail("'%s', line %lld, column %d: %s", r->path, (long long)r->line, column, what);
    return ck_fail("'%s', line %lld: %s", r->path, (long long)r->line, what);
}

/* The whole file, NUL-terminated, if path is a regular file. */
static int read_file(const char *path, char **buf, size_t *len)
{
    struct stat st;
    if (stat(path, &st) != 0) return ck_fail("'%s': %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode)) return ck_fail("'%s': not a regular file", path);
    if ((uint64_t)st.st_size >= SIZE_MAX / 2) return ck_fail("'%s': too large", path);
    FILE *f = fopen(path, "rb");
    if (!f) return ck_fail("'%s': %s", path, strerror(errno));
    size_t size = (size_t)st.st_size;
    *buf = malloc(size + 1);
    if (!*buf) {
        fclose(f);
        return ck_fail("'%s': out of memory for %zu bytes", path, size);
    }
    *len = fread(*buf, 1, size, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(*buf);
        *buf = NULL;
        return ck_fail("'%s': read error", path);
    }
    (*buf)[*len] = 0;
    return 0;
}

/* Split line [p, end) at commas, in place (each field NUL-terminated). */
static int split_fields(reader *r, char *p, char *end)
{
    r->n_fields = 0;
    for (;;) {
        if (r->n_fields == r->cap_fields) {
            if (r->cap_fields > MAX_FEATURES) return fail_at(r, 0, "more than %d fields", MAX_FEATURES + 1);
            int cap = r->cap_fields ? 2 * r->cap_fields : 16;
            char **grown = realloc(r->fields, sizeof(char *) * (size_t)cap);
            if (!grown) return ck_fail("'%s': out of memory", r->path);
            r->fields = grown;
            r->cap_fields = cap;
        }
        r->fields[r->n_fields++] = p;
        char *comma = memchr(p, ',', (size_t)(end - p));
        if (!comma) {
            *end = 0;
            return 0;
        }
        *comma = 0;
        p = comma + 1;
    }
}

/* A finite number filling the whole field (spaces around it allowed). */
static int parse_number(const char *s, double *out)
{
    char *rest;
    errno = 0;
    double v = strtod(s, &rest);
    if (rest == s) return -1;
    while (*rest == ' ' || *rest == '\t') rest++;
    if (*rest || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

static int is_number(const char *s)
{
    double v;
    return parse_number(s, &v) == 0;
}

/* A whole number in [lo, hi]. */
static int parse_count(const reader *r, int column, const char *what, double lo, double hi, int64_t *out)
{
    double v;
    const char *s = r->fields[column - 1];
    if (parse_number(s, &v) || v != floor(v) || v < lo || v > hi)
        return fail_at(r, column, "%s '%.40s' is not a whole number in %.0f..%.0f", what, s, lo, hi);
    *out = (int64_t)v;
    return 0;
}

/* "n_samples,n_features,class_0,class_1,..." */
static int parse_header(reader *r)
{
    int64_t rows, features;
    if (r->n_fields < 3)
        return fail_at(r, 0, "a header needs n_samples, n_features and the class names; it has %d fields", r->n_fields);
    if (parse_count(r, 1, "n_samples", 1, INT_MAX, &rows) ||
        parse_count(r, 2, "n_features", 1, MAX_FEATURES, &features))
        return -1;
    r->header_rows = rows;
    r->n_features = (int)features;
    r->header_classes = r->n_fields - 2;
    r->names = calloc((size_t)r->header_classes, sizeof(char *));
    if (!r->names) return ck_fail("'%s': out of memory", r->path);
    for (int c = 0; c < r->header_classes; c++) {
        const char *name = r->fields[c + 2];
        if (!name[0]) return fail_at(r, c + 3, "empty class name");
        if (!(r->names[c] = strdup(name))) return ck_fail("'%s': out of memory", r->path);
    }
    r->has_header = 1;
    return 0;
}

static int grow_rows(reader *r)
{
    if (r->n_rows < r->cap_rows) return 0;
    if (r->n_rows >= INT_MAX) return fail_at(r, 0, "more than %d rows", INT_MAX);
    int64_t cap = r->cap_rows ? 2 * r->cap_rows : 256;
    if ((uint64_t)cap * (uint64_t)r->n_features > SIZE_MAX / sizeof(float)) return fail_at(r, 0, "too many values");
    float *x = realloc(r->x, sizeof(float) * (size_t)(cap * r->n_features));
    if (x) r->x = x;
    int32_t *y = x ? realloc(r->y, sizeof(int32_t) * (size_t)cap) : NULL;
    if (!x || !y) return ck_fail("'%s': out of memory", r->path);
    r->y = y;
    r->cap_rows = cap;
    return 0;
}

/* n_features numbers, then the class id */
static int parse_row(reader *r)
{
    if (!r->n_features) {
        if (r->n_fields < 2) return fail_at(r, 0, "a row needs at least one feature and a label; it has 1 field");
        r->n_features = r->n_fields - 1;
    }
    if (r->n_fields != r->n_features + 1)
        return fail_at(r, 0, "%d fields, expected %d (%d features and the label)", r->n_fields, r->n_features + 1,
                       r->n_features);
    if (grow_rows(r)) return -1;
    float *row = r->x + r->n_rows * r->n_features;
    for (int j = 0; j < r->n_features; j++) {
        double v;
        if (parse_number(r->fields[j], &v) || fabs(v) > FLT_MAX)
            return fail_at(r, j + 1, "'%.40s' is not a finite float32 number", r->fields[j]);
        row[j] = (float)v;
    }
    int64_t label;
    int classes = r->has_header ? r->header_classes : MAX_CLASSES;
    if (parse_count(r, r->n_fields, "the label", 0, classes - 1, &label)) return -1;
    r->y[r->n_rows++] = (int32_t)label;
    return 0;
}

static int parse(reader *r, char *buf, size_t len)
{
    char *p = buf, *end = buf + len;
    for (r->line = 1; p < end; r->line++) {
        char *nl = memchr(p, '\n', (size_t)(end - p)), *line_end = nl ? nl : end;
        char *next = nl ? nl + 1 : end;
        if (line_end > p && line_end[-1] == '\r') line_end--;
        if (memchr(p, 0, (size_t)(line_end - p))) return fail_at(r, 0, "a NUL byte in the line");
        if (line_end == p) return fail_at(r, 0, "empty line");
        if (split_fields(r, p, line_end)) return -1;
        /* a header: counts, then class names, none of them a number */
        int header = r->line == 1 && r->n_fields >= 3;
        for (int j = 2; j < r->n_fields && header; j++) header = !is_number(r->fields[j]);
        if (header ? parse_header(r) : parse_row(r)) return -1;
        p = next;
    }
    if (r->n_rows == 0) return ck_fail("'%s': no data rows", r->path);
    if (r->has_header && r->n_rows != r->header_rows)
        return ck_fail("'%s': the header says %lld samples, the file has %lld rows", r->path, (long long)r->header_rows,
                       (long long)r->n_rows);
    return 0;
}

static void reader_free(reader *r)
{
    free(r->fields);
    free(r->x);
    free(r->y);
    for (int c = 0; r->names && c < r->header_classes; c++) free(r->names[c]);
    free(r->names);
}

static int make_dataset(reader *r, ck_csv_dataset *out)
{
    int max_label = 0;
    for (int64_t i = 0; i < r->n_rows; i++)
        if (r->y[i] > max_label) max_label = r->y[i];
    out->x = ck_tensor_new(CK_F32, ck_shape_of(2, (int)r->n_rows, r->n_features));
    out->y = ck_tensor_new(CK_I32, ck_shape_of(1, (int)r->n_rows));
    if (!out->x || !out->y) return ck_fail("'%s': out of memory", r->path);
    memcpy(out->x->f, r->x, sizeof(float) * (size_t)(r->n_rows * r->n_features));
    memcpy(out->y->i, r->y, sizeof(int32_t) * (size_t)r->n_rows);
    out->n_samples = r->n_rows;
    out->n_features = r->n_features;
    out->has_header = r->has_header;
    out->n_classes = r->has_header ? r->header_classes : max_label + 1;
    out->class_names = r->names;
    r->names = NULL;
    return 0;
}

int ck_csv_load_sklearn(const char *path, ck_csv_dataset *out)
{
    if (!out) return ck_fail("csv_load_sklearn: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path) return ck_fail("csv_load_sklearn: path is NULL");
    char *buf = NULL;
    size_t len = 0;
    if (read_file(path, &buf, &len)) return -1;
    reader r = {.path = path};
    int rc = parse(&r, buf, len);
    if (!rc) rc = make_dataset(&r, out);
    if (rc) {
        ck_csv_dataset_free(out);
        memset(out, 0, sizeof *out);
    }
    reader_free(&r);
    free(buf);
    return rc;
}

void ck_csv_dataset_free(ck_csv_dataset *d)
{
    if (!d) return;
    ck_tensor_free(d->x);
    ck_tensor_free(d->y);
    for (int c = 0; d->class_names && c < d->n_classes; c++) free(d->class_names[c]);
    free(d->class_names);
    memset(d, 0, sizeof *d);
}
