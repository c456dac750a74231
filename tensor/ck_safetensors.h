/* ck_safetensors.h - read and write the safetensors format, so weights can
 * be opened from Python (safetensors, numpy) and PyTorch.
 *
 * The file is: 8 bytes little-endian u64 N, then N bytes of JSON
 *     {"__metadata__": {...},
 *      "dense/kernel": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]}, ...}
 * then the raw little-endian data; offsets count from the end of the header.
 *
 * The reader treats the file as hostile: every length, offset, dim and JSON
 * token is bounds-checked, data ranges must tile the data block exactly (no
 * overlap, no hole), and any violation is an error with a message, never a
 * crash. Only F32 and I32 tensors of at most CK_MAX_DIMS dims are accepted. */
#ifndef CK_SAFETENSORS_H
#define CK_SAFETENSORS_H

#include "ck_tensor.h"

typedef struct ck_st_entry {
    char *name;
    ck_dtype dtype;
    ck_shape shape;
    uint64_t offset; /* into data */
    uint64_t nbytes;
} ck_st_entry;

typedef struct ck_safetensors {
    int n;
    ck_st_entry *entries;      /* in file order */
    unsigned char *bytes;      /* the whole file (owned) */
    const unsigned char *data; /* the data block inside bytes */
    uint64_t data_size;
    /* __metadata__'s string entries, in file order (other values skipped) */
    int n_meta;
    char **meta_keys, **meta_values;
    int has_meta_; /* private: __metadata__ seen */
} ck_safetensors;

/* Parse a file held in memory (copied). NULL with a message on any error. */
ck_safetensors *ck_safetensors_parse(const void *bytes, size_t n);
/* Read and parse a file: refused without blocking if it is not a regular
 * file (ck_io.h); the header length is checked against the file's size,
 * and the header against it, before the data is read. */
ck_safetensors *ck_safetensors_load(const char *path);
void ck_safetensors_free(ck_safetensors *st);
/* The __metadata__ value of key, or NULL. */
const char *ck_safetensors_meta(const ck_safetensors *st, const char *key);
/* Index of the tensor called name, or -1. */
int ck_safetensors_find(const ck_safetensors *st, const char *name);
/* Copy entry i into dst (which holds the entry's element count), converting
 * from little-endian. */
int ck_safetensors_copy(const ck_safetensors *st, int i, void *dst);

/* Write n named tensors (F32 or I32) atomically with ck_io_writer (a
 * unique temporary file, fsync, rename, fsync of the directory), so a crash
 * or a concurrent writer leaves a whole old or new file; a path that is not
 * a regular file is refused. __metadata__ holds "format": "pt" and
 * "writer": "ckeras". */
int ck_safetensors_save(const char *path, const char *const *names, const ck_tensor *const *tensors, int n);
/* The same, with n_meta more string entries in __metadata__ (keys unique,
 * not "format" or "writer"). */
int ck_safetensors_save_meta(const char *path, const char *const *names, const ck_tensor *const *tensors, int n,
                             const char *const *meta_keys, const char *const *meta_values, int n_meta);

#endif
