/* bench_dense.c - training speed of two dense models, for bench/bench_all.py
 * (their PyTorch replica is bench/torch_dense.py):
 *
 *   mlp     Dense(512, relu) -> Dense(512, relu) -> Dense(10, softmax) on
 *           60,000 synthetic rows of 784 features in [0, 1), 10 classes;
 *           sparse categorical crossentropy, Adam(1e-3), batch 256.
 *   digits  examples/classify.c's digits model: Dense(64, relu) ->
 *           Dropout(0.2) -> Dense(10, softmax) on the 1,437 training rows of
 *           data/sklearn/digits.csv (train_test_split 0.2, standardised),
 *           batch 32; metrics ['accuracy'] as classify compiles it.
 *
 * Both shuffle every epoch (Keras's default) and validate nothing: the
 * figure is fit's training time per epoch (ck_epoch_log.train_seconds).
 *
 *     bench_dense mlp|digits [--epochs 5] [--threads 1] [--data digits.csv]
 *
 * prints one line per epoch and "SUMMARY model=.. threads=.. median_s=..",
 * the median over the epochs from the second on (the first warms caches). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_csv.h"
#include "ck_split.h"
#include "ckeras.h"

enum { MLP_ROWS = 60000, MLP_FEATURES = 784, MLP_HIDDEN = 512, N_CLASSES = 10, MLP_BATCH = 256 };
enum { DIGITS_HIDDEN = 64, DIGITS_BATCH = 32 };
static const float DIGITS_DROPOUT = 0.2f;
static const float LEARNING_RATE = 1e-3f;
static const double TEST_SIZE = 0.2;
static const uint32_t SEED = 7;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* 60,000 rows of uniform features and uniform labels (speed only). */
static int mlp_data(ck_tensor **x, ck_tensor **y)
{
    *x = ck_tensor_new(CK_F32, ck_shape_of(2, MLP_ROWS, MLP_FEATURES));
    *y = ck_tensor_new(CK_I32, ck_shape_of(1, MLP_ROWS));
    if (!*x || !*y) return -1;
    ck_rng rng;
    ck_rng_seed(&rng, SEED);
    for (int64_t i = 0; i < (*x)->size; i++) (*x)->f[i] = ck_rng_uniform(&rng);
    for (int64_t i = 0; i < (*y)->size; i++) (*y)->i[i] = (int32_t)ck_rng_below(&rng, N_CLASSES);
    return 0;
}

static ck_model *mlp_model(ck_session *s)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, MLP_FEATURES), CK_F32, "pixels");
    ck_sym *h = ck_call1(ck_Dense(s, MLP_HIDDEN, "relu", "hidden_1"), x);
    h = ck_call1(ck_Dense(s, MLP_HIDDEN, "relu", "hidden_2"), h);
    ck_sym *y = ck_call1(ck_Dense(s, N_CLASSES, "softmax", "output"), h);
    return ck_Model(s, &x, 1, &y, 1, "mlp");
}

/* classify.c's digits rows: the training part of the split, standardised. */
static int digits_data(const char *path, ck_tensor **x, ck_tensor **y)
{
    ck_csv_dataset d;
    int64_t *train_idx = NULL, *test_idx = NULL, n_train, n_test;
    ck_standard_scaler scaler = {0};
    if (ck_csv_load_sklearn(path, &d) < 0) return -1;
    int rc = ck_train_test_split_indices(d.n_samples, TEST_SIZE, SEED, &train_idx, &n_train, &test_idx, &n_test);
    if (!rc) {
        *x = ck_take_rows(d.x, train_idx, n_train);
        *y = ck_take_rows(d.y, train_idx, n_train);
        rc = !*x || !*y || ck_standard_scaler_fit(&scaler, *x) < 0 || ck_standard_scaler_transform(&scaler, *x) < 0;
    }
    ck_standard_scaler_free(&scaler);
    ck_csv_dataset_free(&d);
    free(train_idx);
    free(test_idx);
    return rc ? -1 : 0;
}

static ck_model *digits_model(ck_session *s, int n_features)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, n_features), CK_F32, "features");
    ck_sym *h = ck_call1(ck_Dense(s, DIGITS_HIDDEN, "relu", "hidden"), x);
    h = ck_call1(ck_Dropout(s, DIGITS_DROPOUT, "dropout"), h);
    ck_sym *y = ck_call1(ck_Dense(s, N_CLASSES, "softmax", "output"), h);
    return ck_Model(s, &x, 1, &y, 1, "classifier");
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "mlp") && strcmp(argv[1], "digits"))) {
        fprintf(stderr, "usage: bench_dense mlp|digits [--epochs 5] [--threads 1] [--data digits.csv]\n");
        return 2;
    }
    int mlp = !strcmp(argv[1], "mlp"), epochs = 5, threads = 1;
    const char *data = "data/sklearn/digits.csv";
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--epochs"))
            epochs = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--data"))
            data = argv[i + 1];
        else {
            fprintf(stderr, "bench_dense: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (epochs < 2 || threads < 1) {
        fprintf(stderr, "bench_dense: --epochs must be >= 2, --threads >= 1\n");
        return 2;
    }
    ck_set_num_threads(threads);
    ck_tensor *x = NULL, *y = NULL;
    ck_session *s = NULL;
    ck_history *h = NULL;
    int status = 1;
    if ((mlp ? mlp_data(&x, &y) : digits_data(data, &x, &y)) < 0) goto done;
    s = ck_session_new(SEED);
    ck_model *m = !s ? NULL : mlp ? mlp_model(s) : digits_model(s, x->shape.d[1]);
    if (!m || ck_compile(m, "sparse_categorical_crossentropy", ck_Adam(LEARNING_RATE),
                         mlp ? NULL : (const char *[]){"accuracy"}, mlp ? 0 : 1) < 0)
        goto done;
    h = ck_fit(m, x, 1, y, CK_FIT_ARGS(.epochs = epochs, .batch_size = mlp ? MLP_BATCH : DIGITS_BATCH, .verbose = 0));
    if (!h) goto done;
    double *seconds = malloc(sizeof(double) * (size_t)h->n_epochs);
    if (!seconds) goto done;
    for (int e = 0; e < h->n_epochs; e++) {
        seconds[e] = h->epochs[e].train_seconds;
        printf("epoch %d loss %.4f train_s %.4f\n", e + 1, h->epochs[e].loss, seconds[e]);
    }
    qsort(seconds + 1, (size_t)(h->n_epochs - 1), sizeof(double), cmp_double);
    printf("SUMMARY model=%s threads=%d median_s=%.5f\n", argv[1], threads, seconds[1 + (h->n_epochs - 1) / 2]);
    free(seconds);
    status = 0;
done:
    if (status) fprintf(stderr, "bench_dense: %s\n", ck_error() ? ck_error() : "failed");
    ck_history_free(h);
    ck_session_free(s);
    ck_tensor_free(x);
    ck_tensor_free(y);
    return status;
}
