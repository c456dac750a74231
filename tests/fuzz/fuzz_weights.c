/* fuzz_weights.c - libFuzzer target for the safetensors reader and
 * ck_load_weights. The input is a weights file:
 *  1. ck_safetensors_parse on it; when it parses, every entry is copied out
 *     (the ranges must lie inside the data block);
 *  2. ck_load_weights of the same bytes (via a temp file) into a small FM
 *     model; when it fails, the model's weights must be unchanged.
 * The seed corpus holds checkpoints of exactly this model. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_fm.h"
#include "ck_safetensors.h"
#include "fuzz_files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The model in the seeds: n_uid 3, n_mid 4, 14 genres, k 2. */
static ck_model *fuzz_model(void)
{
    static ck_session *s;
    static ck_fm fm;
    if (!s) {
        s = ck_session_new(7);
        ck_fm_config c = {.n_uid = 3, .n_mid = 4, .n_genre = 14, .k = 2};
        if (!s || ck_fm_model(s, &c, &fm) < 0) {
            fprintf(stderr, "%s\n", ck_error());
            abort();
        }
    }
    return fm.fm_model;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ck_error_clear();
    ck_safetensors *st = ck_safetensors_parse(data, size);
    if (!st) {
        if (!ck_error()) abort();
    } else {
        for (int i = 0; i < st->n; i++) {
            const ck_st_entry *e = &st->entries[i];
            if (e->offset > st->data_size || e->nbytes > st->data_size - e->offset) abort();
            unsigned char *dst = malloc(e->nbytes ? e->nbytes : 1);
            if (!dst) abort();
            if (ck_safetensors_copy(st, i, dst) < 0) abort();
            free(dst);
        }
        ck_safetensors_free(st);
    }
    ck_error_clear();

    ck_model *m = fuzz_model();
    long n = ck_count_params(m);
    float *before = malloc(sizeof *before * (size_t)n), *after = malloc(sizeof *after * (size_t)n);
    if (!before || !after || ck_model_get_weights(m, before) < 0) abort();
    char path[128];
    snprintf(path, sizeof path, "%s/w.safetensors", fuzz_temp_dir());
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size)) abort();
    fclose(f);
    if (ck_load_weights(m, path) < 0) {
        if (!ck_error() || ck_model_get_weights(m, after) < 0) abort();
        if (memcmp(before, after, sizeof *before * (size_t)n) != 0) {
            fprintf(stderr, "failed load changed the weights\n");
            abort();
        }
    }
    free(before);
    free(after);
    ck_error_clear();
    return 0;
}
