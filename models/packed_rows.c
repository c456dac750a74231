/* packed_rows.c - fit's training rows, packed row by row for shuffled
 * epochs (see ck_packed_rows in ck_model_internal.h).
 *
 * A shuffled batch takes rows from all over the data. Kept as columns, a
 * row costs one cache miss per column (the FM's five columns: five misses
 * per sample, the largest cost of its epoch); packed, a narrow row is one
 * miss. The packed rows are shuffled in place with the draws that shuffle
 * an index array (ck_rng_shuffle_rows), so row p of the packed rows is the
 * row the index array would name at p: the same batches, the same losses.
 * Each column keeps the narrowest type that holds all its values exactly
 * (ids and small whole numbers in one or two bytes), so the packed rows
 * take hardly more memory than the index array they replace. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ck_model_internal.h"

/* Rows wider than this are not packed: their values are already
 * contiguous enough that a gather by index touches few lines per row, and
 * a copy of wide rows would cost real memory (at most this much per row
 * instead of the 8 bytes of an index). */
#define PACKED_ROW_MAX_BYTES 32

enum { STORE_U8, STORE_I16, STORE_RAW32 }; /* how a column's values are held */
static const int store_bytes[] = {1, 2, 4};

struct ck_packed_column {
    const ck_tensor *from; /* the column (x, y), or NULL for the weights */
    const float *weights;
    int is_int;
    int store;
    int offset;    /* bytes into a row */
    int64_t width; /* values per row */
};

/* The narrowest store that gives back every value exactly: whole numbers
 * in [0, 255] or [-32768, 32767] (not -0.0, which would come back +0.0),
 * otherwise the 32 bits as they are. */
static int narrowest(const void *values, int64_t count, int is_int)
{
    int lo = 0, hi = 0;
    for (int64_t k = 0; k < count; k++) {
        double v;
        if (is_int) {
            v = (double)((const int32_t *)values)[k];
        } else {
            float f = ((const float *)values)[k];
            if (!(f == floorf(f)) || (f == 0.0f && signbit(f))) return STORE_RAW32; /* also NaN, +-Inf */
            v = (double)f;
        }
        if (v < -32768.0 || v > 32767.0) return STORE_RAW32;
        if (v < lo) lo = (int)v;
        if (v > hi) hi = (int)v;
    }
    return lo >= 0 && hi <= 255 ? STORE_U8 : STORE_I16;
}

static void pack_column(unsigned char *rows, int stride, const struct ck_packed_column *c, int64_t n)
{
    const void *src = c->from ? c->from->data : (const void *)c->weights;
    for (int64_t r = 0; r < n; r++) {
        unsigned char *to = rows + r * stride + c->offset;
        for (int64_t j = 0; j < c->width; j++) {
            int64_t k = r * c->width + j;
            if (c->store == STORE_RAW32) {
                memcpy(to + 4 * j, (const uint32_t *)src + k, 4);
                continue;
            }
            int v = c->is_int ? (int)((const int32_t *)src)[k] : (int)((const float *)src)[k];
            if (c->store == STORE_U8) {
                to[j] = (unsigned char)v;
            } else {
                int16_t h = (int16_t)v;
                memcpy(to + 2 * j, &h, 2);
            }
        }
    }
}

/* Rows [start, start + count) of the packed rows into the column `to`
 * (count rows, 32-bit values): one loop per kind of store, none of them
 * deciding anything per value. */
#define UNPACK(TYPE, LOAD)                                               \
    do {                                                                 \
        TYPE *out = to;                                                  \
        for (int64_t r = 0; r < count; r++, row += stride, out += w)     \
            for (int64_t j = 0; j < w; j++) out[j] = (TYPE)LOAD(row, j); \
    } while (0)
#define LOAD_U8(p, j) ((p)[j])
static inline int16_t load_i16(const unsigned char *p, int64_t j)
{
    int16_t h;
    memcpy(&h, p + 2 * j, 2);
    return h;
}

static void unpack_column(void *to, const unsigned char *rows, int stride, const struct ck_packed_column *c,
                          int64_t start, int64_t count)
{
    const int64_t w = c->width;
    const unsigned char *row = rows + start * stride + c->offset;
    if (c->store == STORE_RAW32) {
        for (int64_t r = 0; r < count; r++, row += stride) memcpy((uint32_t *)to + r * w, row, 4 * (size_t)w);
    } else if (c->store == STORE_U8) {
        if (c->is_int)
            UNPACK(int32_t, LOAD_U8);
        else
            UNPACK(float, LOAD_U8);
    } else {
        if (c->is_int)
            UNPACK(int32_t, load_i16);
        else
            UNPACK(float, load_i16);
    }
}
#undef UNPACK
#undef LOAD_U8

/* A column of batch_size rows shaped like t, in p's batch storage. */
static ck_tensor batch_column(const ck_tensor *t, int64_t batch_size, float **storage)
{
    ck_shape s = t->shape;
    s.d[0] = (int)batch_size;
    ck_tensor out = ck_tensor_view(t->dtype, s, *storage);
    *storage += batch_size * ck_values_per_sample(t);
    return out;
}

int ck_packed_rows_build(const ck_model *m, const ck_data *d, int64_t batch_size, ck_packed_rows *p)
{
    memset(p, 0, sizeof *p);
    int n_cols = m->n_in + m->n_out + (d->weights ? 1 : 0);
    struct ck_packed_column *cols = calloc((size_t)n_cols, sizeof *cols);
    if (!cols) return ck_fail("fit: out of memory");
    int64_t batch_values = 0;
    for (int c = 0; c < n_cols; c++) {
        struct ck_packed_column *col = &cols[c];
        if (c < m->n_in + m->n_out) {
            col->from = c < m->n_in ? &d->x[c] : &d->y[c - m->n_in];
            col->is_int = col->from->dtype == CK_I32;
            col->width = ck_values_per_sample(col->from);
            col->store = narrowest(col->from->data, d->n * col->width, col->is_int);
        } else {
            col->weights = d->weights;
            col->width = 1;
            col->store = narrowest(d->weights, d->n, 0);
        }
        batch_values += col->width;
    }
    /* wider stores first: each value at an offset that is a multiple of its size */
    int offset = 0;
    for (int store = STORE_RAW32; store >= STORE_U8; store--)
        for (int c = 0; c < n_cols; c++)
            if (cols[c].store == store) {
                cols[c].offset = offset;
                offset += store_bytes[store] * (int)cols[c].width;
            }
    int stride = (offset + 3) & ~3;
    if (offset > PACKED_ROW_MAX_BYTES) {
        free(cols);
        return 0; /* too wide: fit gathers by index */
    }
    p->rows = malloc((size_t)stride * (size_t)d->n);
    float *storage = p->storage = malloc(sizeof(float) * (size_t)(batch_values * batch_size) + 1);
    ck_tensor *x = p->x = calloc((size_t)m->n_in + (size_t)m->n_out, sizeof *x);
    if (!p->rows || !p->storage || !p->x) {
        free(cols);
        ck_packed_rows_free(p);
        return ck_fail("fit: out of memory");
    }
    memset(p->rows, 0, (size_t)stride * (size_t)d->n); /* padding too: the rows are written whole */
    for (int c = 0; c < n_cols; c++) pack_column(p->rows, stride, &cols[c], d->n);
    for (int i = 0; i < m->n_in + m->n_out; i++) x[i] = batch_column(cols[i].from, batch_size, &storage);
    p->batch = (ck_data){.x = x, .y = x + m->n_in, .weights = d->weights ? storage : NULL};
    p->cols = cols;
    p->n_cols = n_cols;
    p->n = d->n;
    p->stride = stride;
    return 1;
}

const ck_data *ck_packed_rows_batch(ck_packed_rows *p, int64_t start, int64_t count)
{
    for (int c = 0; c < p->n_cols; c++) {
        const struct ck_packed_column *col = &p->cols[c];
        if (!col->from) { /* the weights */
            unpack_column((void *)p->batch.weights, p->rows, p->stride, col, start, count);
            continue;
        }
        unpack_column(p->x[c].data, p->rows, p->stride, col, start, count);
        ck_shape s = p->x[c].shape; /* the batch's rows, count of them */
        s.d[0] = (int)count;
        p->x[c] = ck_tensor_view(p->x[c].dtype, s, p->x[c].data);
    }
    p->batch.n = count;
    return &p->batch;
}

void ck_packed_rows_free(ck_packed_rows *p)
{
    free(p->rows);
    free(p->storage);
    free(p->x);
    free(p->cols);
    memset(p, 0, sizeof *p);
}
