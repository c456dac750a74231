/* fuzz_csv.c - libFuzzer target for ck_csv_load_sklearn (data/ck_csv.h).
 * The input is one CSV file (written to a temp file: the reader takes a
 * path). Checks beyond "no crash": a failed load leaves a message and a
 * zeroed dataset; a successful one has x (n, F) finite, every label in
 * [0, n_classes), as many class names as classes when there is a header;
 * and the StandardScaler fitted on it gives finite values. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ck_csv.h"
#include "ck_error.h"
#include "fuzz_files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_loaded(const ck_csv_dataset *d)
{
    if (!d->x || !d->y || d->x->shape.d[0] != d->n_samples || d->x->shape.d[1] != d->n_features ||
        d->y->size != d->n_samples || d->n_classes < 1 || (d->has_header && !d->class_names)) {
        fprintf(stderr, "loaded dataset is inconsistent\n");
        abort();
    }
    for (int64_t k = 0; k < d->x->size; k++)
        if (!isfinite(d->x->f[k])) abort();
    for (int64_t i = 0; i < d->n_samples; i++)
        if (d->y->i[i] < 0 || d->y->i[i] >= d->n_classes) abort();
    ck_standard_scaler s;
    if (ck_standard_scaler_fit(&s, d->x) < 0) abort();
    ck_tensor *x = ck_tensor_copy(d->x);
    if (!x || ck_standard_scaler_transform(&s, x) < 0) abort();
    for (int64_t k = 0; k < x->size; k++)
        if (isnan(x->f[k])) abort();
    ck_tensor_free(x);
    ck_standard_scaler_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"data.csv"};
    const char *dir = fuzz_write_files(data, size, names, 1);
    char path[256];
    snprintf(path, sizeof path, "%s/data.csv", dir);
    ck_csv_dataset d;
    ck_error_clear();
    if (ck_csv_load_sklearn(path, &d) < 0) {
        if (!ck_error() || d.x || d.y || d.n_samples) {
            fprintf(stderr, "failed load without message or not empty\n");
            abort();
        }
    } else {
        if (ck_error()) {
            fprintf(stderr, "successful load left a message: %s\n", ck_error());
            abort();
        }
        check_loaded(&d);
    }
    ck_csv_dataset_free(&d);
    ck_error_clear();
    return 0;
}
