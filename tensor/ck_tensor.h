/* ck_tensor.h - n-d row-major tensors of float32 values or int32 ids.
 *
 * A tensor is a shape, a dtype and a pointer to contiguous data. It either
 * owns its data (heap, freed by ck_tensor_free) or views someone else's
 * (arena memory, a reshape, a batch slice of a dataset). */
#ifndef CK_TENSOR_H
#define CK_TENSOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ck_arena.h"
#include "ck_error.h"
#include "ck_rng.h"

#define CK_MAX_DIMS 4

typedef enum ck_dtype { CK_F32 = 0, CK_I32 = 1 } ck_dtype;

/* A shape: ndim dims, row-major. ndim == 0 is a scalar. At the layer level a
 * dim of -1 means "not known yet" (Keras's None, the batch dim). */
typedef struct ck_shape {
    int ndim;
    int d[CK_MAX_DIMS];
} ck_shape;

typedef struct ck_tensor {
    ck_dtype dtype;
    ck_shape shape;
    int64_t size; /* number of elements */
    union {
        float *f;   /* dtype CK_F32 */
        int32_t *i; /* dtype CK_I32 */
        void *data;
    };
    int owns; /* 1: data is ours to free */
} ck_tensor;

/* ---- shapes ---- */
ck_shape ck_shape_make(int ndim, const int *dims);
/* ck_shape_of(2, 2048, 20) */
ck_shape ck_shape_of(int ndim, ...);
int64_t ck_shape_size(ck_shape s); /* product of dims; -1 if any dim < 0 */
int ck_shape_eq(ck_shape a, ck_shape b);
/* "(2048, 20)", "(None, 4, 20)", "()" into buf; returns buf. */
char *ck_shape_str(ck_shape s, char *buf, size_t n);
/* Checked constructor: ndim in [0, CK_MAX_DIMS], dims >= 0 (or -1 where
 * allow_none). Returns -1 with a message naming `what` otherwise. */
int ck_shape_check(ck_shape s, int allow_none, const char *what);

/* ---- creation (heap; free with ck_tensor_free) ---- */
ck_tensor *ck_tensor_new(ck_dtype dt, ck_shape s); /* zeros */
ck_tensor *ck_tensor_zeros(ck_shape s);
ck_tensor *ck_tensor_ones(ck_shape s);
ck_tensor *ck_tensor_from_data(ck_shape s, const float *data); /* copies */
ck_tensor *ck_tensor_from_ids(ck_shape s, const int32_t *ids); /* copies */
ck_tensor *ck_tensor_uniform(ck_shape s, float lo, float hi, ck_rng *r);
ck_tensor *ck_tensor_normal(ck_shape s, float mean, float std, ck_rng *r);
ck_tensor *ck_tensor_copy(const ck_tensor *t); /* deep copy, owns its data */
/* Frees t and, if it owns it, its data. NULL is ignored. */
void ck_tensor_free(ck_tensor *t);

/* ---- views (no copy, do not own) ---- */
/* A view on existing memory. */
ck_tensor ck_tensor_view(ck_dtype dt, ck_shape s, void *data);
/* Same data, new shape; one dim may be -1 (inferred). Error if sizes differ. */
int ck_tensor_reshape(const ck_tensor *t, ck_shape s, ck_tensor *out);
/* Rows [start, start+count) of the first axis. */
ck_tensor ck_tensor_rows(const ck_tensor *t, int64_t start, int64_t count);
/* A tensor whose data lives in an arena (zeroed). */
int ck_tensor_arena(ck_arena *a, ck_dtype dt, ck_shape s, ck_tensor *out);

/* ---- printing ---- */
/* "name float32 (2, 3):" then the values, one line per last-axis row; only
 * the first 64 values of a longer tensor. f NULL: stdout. */
void ck_tensor_print(const ck_tensor *t, const char *name, FILE *f);

#endif
