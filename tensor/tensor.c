/* tensor.c - shapes, creation, views and printing (see ck_tensor.h). */
#include "ck_tensor.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- shapes ---- */

ck_shape ck_shape_make(int ndim, const int *dims)
{
    ck_shape s;
    memset(&s, 0, sizeof s);
    s.ndim = ndim;
    for (int k = 0; k < ndim && k < CK_MAX_DIMS; k++) s.d[k] = dims[k];
    return s;
}

ck_shape ck_shape_of(int ndim, ...)
{
    ck_shape s;
    memset(&s, 0, sizeof s);
    s.ndim = ndim;
    va_list ap;
    va_start(ap, ndim);
    for (int k = 0; k < ndim && k < CK_MAX_DIMS; k++) s.d[k] = va_arg(ap, int);
    va_end(ap);
    return s;
}

int64_t ck_shape_size(ck_shape s)
{
    int64_t size = 1;
    for (int k = 0; k < s.ndim && k < CK_MAX_DIMS; k++) {
        if (s.d[k] < 0) return -1;
        size *= s.d[k];
    }
    return size;
}

int ck_shape_eq(ck_shape a, ck_shape b)
{
    if (a.ndim != b.ndim) return 0;
    for (int k = 0; k < a.ndim && k < CK_MAX_DIMS; k++)
        if (a.d[k] != b.d[k]) return 0;
    return 1;
}

char *ck_shape_str(ck_shape s, char *buf, size_t n)
{
    if (!buf || n == 0) return buf;
    size_t len = 0;
    int written = snprintf(buf, n, "(");
    if (written > 0) len = (size_t)written;
    int ndim = s.ndim < 0 ? 0 : s.ndim;
    for (int k = 0; k < ndim && k < CK_MAX_DIMS && len < n; k++) {
        const char *sep = k ? ", " : "";
        if (s.d[k] < 0)
            written = snprintf(buf + len, n - len, "%sNone", sep);
        else
            written = snprintf(buf + len, n - len, "%s%d", sep, s.d[k]);
        if (written > 0) len += (size_t)written;
    }
    /* Python writes a 1-tuple as "(5,)"; Keras prints shapes that way too. */
    if (len < n) snprintf(buf + len, n - len, ndim == 1 ? ",)" : ")");
    return buf;
}

int ck_shape_check(ck_shape s, int allow_none, const char *what)
{
    char buf[64];
    if (s.ndim < 0 || s.ndim > CK_MAX_DIMS) return ck_fail("%s: %d dims, expected 0 to %d", what, s.ndim, CK_MAX_DIMS);
    for (int k = 0; k < s.ndim; k++) {
        if (s.d[k] >= 0) continue;
        if (allow_none && s.d[k] == -1) continue;
        return ck_fail("%s: dim %d of %s is %d, expected >= 0", what, k, ck_shape_str(s, buf, sizeof buf), s.d[k]);
    }
    return 0;
}

/* ---- creation ---- */

static size_t dtype_bytes(ck_dtype dt) { return dt == CK_I32 ? sizeof(int32_t) : sizeof(float); }

ck_tensor *ck_tensor_new(ck_dtype dt, ck_shape s)
{
    if (dt != CK_F32 && dt != CK_I32) {
        ck_fail("tensor_new: unknown dtype %d", (int)dt);
        return NULL;
    }
    if (ck_shape_check(s, 0, "tensor_new") < 0) return NULL;
    ck_tensor *t = calloc(1, sizeof *t);
    int64_t size = ck_shape_size(s);
    /* calloc(0) may return NULL: keep at least one element. */
    void *data = calloc(size > 0 ? (size_t)size : 1, dtype_bytes(dt));
    if (!t || !data) {
        free(t);
        free(data);
        ck_fail("tensor_new: out of memory for %lld elements", (long long)size);
        return NULL;
    }
    t->dtype = dt;
    t->shape = s;
    t->size = size;
    t->data = data;
    t->owns = 1;
    return t;
}

ck_tensor *ck_tensor_zeros(ck_shape s) { return ck_tensor_new(CK_F32, s); }

ck_tensor *ck_tensor_ones(ck_shape s)
{
    ck_tensor *t = ck_tensor_new(CK_F32, s);
    if (t)
        for (int64_t k = 0; k < t->size; k++) t->f[k] = 1.0f;
    return t;
}

ck_tensor *ck_tensor_from_data(ck_shape s, const float *data)
{
    if (!data) {
        ck_fail("tensor_from_data: data is NULL");
        return NULL;
    }
    ck_tensor *t = ck_tensor_new(CK_F32, s);
    if (t) memcpy(t->f, data, (size_t)t->size * sizeof(float));
    return t;
}

ck_tensor *ck_tensor_from_ids(ck_shape s, const int32_t *ids)
{
    if (!ids) {
        ck_fail("tensor_from_ids: ids is NULL");
        return NULL;
    }
    ck_tensor *t = ck_tensor_new(CK_I32, s);
    if (t) memcpy(t->i, ids, (size_t)t->size * sizeof(int32_t));
    return t;
}

ck_tensor *ck_tensor_uniform(ck_shape s, float lo, float hi, ck_rng *r)
{
    if (!r) {
        ck_fail("tensor_uniform: rng is NULL");
        return NULL;
    }
    ck_tensor *t = ck_tensor_new(CK_F32, s);
    if (t)
        for (int64_t k = 0; k < t->size; k++) t->f[k] = lo + (hi - lo) * ck_rng_uniform(r);
    return t;
}

ck_tensor *ck_tensor_normal(ck_shape s, float mean, float std, ck_rng *r)
{
    if (!r) {
        ck_fail("tensor_normal: rng is NULL");
        return NULL;
    }
    ck_tensor *t = ck_tensor_new(CK_F32, s);
    if (t)
        for (int64_t k = 0; k < t->size; k++) t->f[k] = mean + std * ck_rng_normal(r);
    return t;
}

ck_tensor *ck_tensor_copy(const ck_tensor *src)
{
    if (!src) {
        ck_fail("tensor_copy: tensor is NULL");
        return NULL;
    }
    ck_tensor *t = ck_tensor_new(src->dtype, src->shape);
    if (t && src->size > 0) memcpy(t->data, src->data, (size_t)src->size * dtype_bytes(src->dtype));
    return t;
}

void ck_tensor_free(ck_tensor *t)
{
    if (!t) return;
    if (t->owns) free(t->data);
    free(t);
}

/* ---- views ---- */

ck_tensor ck_tensor_view(ck_dtype dt, ck_shape s, void *data)
{
    ck_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = dt;
    t.shape = s;
    t.size = ck_shape_size(s);
    t.data = data;
    t.owns = 0;
    return t;
}

int ck_tensor_reshape(const ck_tensor *t, ck_shape s, ck_tensor *out)
{
    char from[64], to[64];
    if (!t || !out) return ck_fail("reshape: tensor is NULL");
    if (s.ndim < 0 || s.ndim > CK_MAX_DIMS)
        return ck_fail("reshape: target has %d dims, expected 0 to %d", s.ndim, CK_MAX_DIMS);
    int unknown = -1;
    int64_t known = 1;
    for (int k = 0; k < s.ndim; k++) {
        if (s.d[k] == -1) {
            if (unknown >= 0)
                return ck_fail("reshape: target %s has more than one -1 dim", ck_shape_str(s, to, sizeof to));
            unknown = k;
        } else if (s.d[k] < 0) {
            return ck_fail("reshape: dim %d of the target is %d", k, s.d[k]);
        } else {
            known *= s.d[k];
        }
    }
    ck_shape target = s;
    if (unknown >= 0) {
        if (known == 0 || t->size % known != 0)
            return ck_fail("reshape: cannot infer the -1 dim of %s from %s (%lld elements)",
                           ck_shape_str(s, to, sizeof to), ck_shape_str(t->shape, from, sizeof from),
                           (long long)t->size);
        target.d[unknown] = (int)(t->size / known);
        known = t->size;
    }
    if (known != t->size)
        return ck_fail("reshape: cannot reshape %s (%lld elements) into %s (%lld elements)",
                       ck_shape_str(t->shape, from, sizeof from), (long long)t->size,
                       ck_shape_str(target, to, sizeof to), (long long)known);
    *out = ck_tensor_view(t->dtype, target, t->data);
    return 0;
}

ck_tensor ck_tensor_rows(const ck_tensor *t, int64_t start, int64_t count)
{
    ck_tensor none;
    memset(&none, 0, sizeof none);
    if (!t) {
        ck_fail("tensor_rows: tensor is NULL");
        return none;
    }
    char buf[64];
    if (t->shape.ndim < 1) {
        ck_fail("tensor_rows: a scalar has no rows");
        return none;
    }
    int64_t n_rows = t->shape.d[0];
    if (start < 0 || count < 0 || start + count > n_rows) {
        ck_fail("tensor_rows: rows [%lld, %lld) out of range for shape %s", (long long)start,
                (long long)(start + count), ck_shape_str(t->shape, buf, sizeof buf));
        return none;
    }
    int64_t row_size = n_rows ? t->size / n_rows : 0;
    ck_shape s = t->shape;
    s.d[0] = (int)count;
    char *base = t->data;
    return ck_tensor_view(t->dtype, s, base + (size_t)(start * row_size) * dtype_bytes(t->dtype));
}

int ck_tensor_arena(ck_arena *a, ck_dtype dt, ck_shape s, ck_tensor *out)
{
    if (!a || !out) return ck_fail("tensor_arena: arena or output is NULL");
    if (ck_shape_check(s, 0, "tensor_arena") < 0) return -1;
    int64_t size = ck_shape_size(s);
    void *data = ck_arena_calloc(a, (size_t)size * dtype_bytes(dt));
    if (!data) return -1;
    *out = ck_tensor_view(dt, s, data);
    return 0;
}

/* ---- printing ---- */

void ck_tensor_print(const ck_tensor *t, const char *name, FILE *f)
{
    char buf[64];
    if (!f) f = stdout;
    if (!t) {
        fprintf(f, "%s: NULL\n", name ? name : "tensor");
        return;
    }
    fprintf(f, "%s %s %s:", name ? name : "tensor", t->dtype == CK_I32 ? "int32" : "float32",
            ck_shape_str(t->shape, buf, sizeof buf));
    const int64_t shown = 64; /* long tensors: the first values, then "..." */
    int64_t row = t->shape.ndim > 0 && t->shape.d[t->shape.ndim - 1] > 0 ? t->shape.d[t->shape.ndim - 1] : 1;
    for (int64_t k = 0; k < t->size && k < shown; k++) {
        if (k % row == 0) fprintf(f, "\n ");
        if (t->dtype == CK_I32)
            fprintf(f, " %d", (int)t->i[k]);
        else
            fprintf(f, " %.6g", (double)t->f[k]);
    }
    if (t->size > shown) fprintf(f, " ... (%lld values)", (long long)t->size);
    fprintf(f, "\n");
}
