/* classify.c - a Keras-style classifier on one of scikit-learn's small
 * datasets (the CSV files in data/sklearn/), as a Keras user would write it:
 *
 *     X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=seed)
 *     scaler = StandardScaler().fit(X_train)            # training rows' statistics
 *     model = Sequential([Dense(16, activation='relu'), Dense(1, activation='sigmoid')])
 *     model.compile(optimizer=Adam(1e-3), loss='binary_crossentropy', metrics=['accuracy'])
 *     model.fit(X_train, y_train, epochs=200, batch_size=32, validation_data=(X_test, y_test),
 *               callbacks=[EarlyStopping('val_loss', patience=10, restore_best_weights=True)])
 *
 * The recipe follows the file (data/sklearn/README.md): breast_cancer:
 * Dense(16, relu) -> Dense(1, sigmoid), binary crossentropy; wine, iris:
 * Dense(16, relu) -> Dense(3, softmax), sparse categorical crossentropy;
 * digits: Dense(64, relu) -> Dropout(0.2) -> Dense(10, softmax), sparse
 * categorical crossentropy. Another file gets the binary recipe with two
 * classes, the softmax one otherwise. The last line printed is
 *
 *     val_accuracy: X (val_loss Y) at epoch N
 *
 * for the weights the model ends with (the best epoch's, restored).
 * Exit status: 0 success, 2 bad arguments or data, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_csv.h"
#include "ck_split.h"
#include "ckeras.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_BAD_INPUT = 2 };
static const char *const DEFAULT_DATA = "data/sklearn/breast_cancer.csv";
static const double TEST_SIZE = 0.2;
static const float LEARNING_RATE = 1e-3f;
enum { PATIENCE = 10 };

typedef struct options {
    const char *data;
    unsigned long seed;
    int epochs, batch, hidden, quiet;
    double dropout; /* < 0: the recipe's */
} options;

/* the model for one dataset: hidden units, dropout, and the output */
typedef struct recipe {
    int hidden;
    float dropout;
    int binary; /* Dense(1, sigmoid) + binary crossentropy; else softmax + sparse CE */
} recipe;

static void usage(FILE *f)
{
    fprintf(f,
            "classify [--data FILE.csv] [--seed 7] [--epochs 200] [--batch 32] [--hidden N] [--dropout R] "
            "[--quiet]\n  --data: a scikit-learn CSV (default %s)\n",
            DEFAULT_DATA);
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, options *o)
{
    *o = (options){DEFAULT_DATA, 7, 200, CK_DEFAULT_BATCH_SIZE, 0, 0, -1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (!strcmp(a, "--quiet")) {
            o->quiet = 1;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return 1;
        if (!v) return fprintf(stderr, "classify: %s needs a value\n", a), -1;
        i++;
        if (!strcmp(a, "--data"))
            o->data = v;
        else if (!strcmp(a, "--seed") && !parse_long(v, 0, 4294967295L, &n))
            o->seed = (unsigned long)n;
        else if (!strcmp(a, "--epochs") && !parse_long(v, 1, 1000000, &n))
            o->epochs = (int)n;
        else if (!strcmp(a, "--batch") && !parse_long(v, 1, 1 << 20, &n))
            o->batch = (int)n;
        else if (!strcmp(a, "--hidden") && !parse_long(v, 1, 1 << 16, &n))
            o->hidden = (int)n;
        else if (!strcmp(a, "--dropout")) {
            char *end;
            o->dropout = strtod(v, &end);
            if (!*v || *end || !(o->dropout >= 0 && o->dropout < 1))
                return fprintf(stderr, "classify: --dropout %s: a rate in [0, 1)\n", v), -1;
        } else
            return fprintf(stderr, "classify: bad option or value: %s %s\n", a, v), -1;
    }
    return 0;
}

/* data/sklearn/README.md's recipe for the file */
static recipe choose_recipe(const char *path, int n_classes)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (!strncmp(base, "digits", 6)) return (recipe){64, 0.2f, 0};
    return (recipe){16, 0.0f, n_classes == 2};
}

/* Rows idx of x and y; the labels as float32 (n, 1) for a binary model,
 * int32 (n,) class ids otherwise. */
static int take(const ck_csv_dataset *d, const int64_t *idx, int64_t n, int binary, ck_tensor **x, ck_tensor **y)
{
    *x = ck_take_rows(d->x, idx, n);
    *y = binary ? ck_tensor_new(CK_F32, ck_shape_of(2, (int)n, 1)) : ck_take_rows(d->y, idx, n);
    if (!*x || !*y) return -1;
    if (binary)
        for (int64_t i = 0; i < n; i++) (*y)->f[i] = (float)d->y->i[idx[i]];
    return 0;
}

static ck_model *build_model(ck_session *s, int n_features, int n_classes, const recipe *r)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, n_features), CK_F32, "features");
    ck_sym *h = ck_call1(ck_Dense(s, r->hidden, "relu", "hidden"), x);
    if (r->dropout > 0) h = ck_call1(ck_Dropout(s, r->dropout, "dropout"), h);
    ck_sym *y = ck_call1(ck_Dense(s, r->binary ? 1 : n_classes, r->binary ? "sigmoid" : "softmax", "output"), h);
    return ck_Model(s, &x, 1, &y, 1, "classifier");
}

/* The epoch whose weights the model ends with: EarlyStopping restores the
 * first epoch with the lowest val_loss when it stops training. */
static int final_epoch(const ck_history *h)
{
    if (!h->stopped_early) return h->epochs[h->n_epochs - 1].epoch;
    int best = 0;
    for (int e = 1; e < h->n_epochs; e++)
        if (h->epochs[e].val_loss < h->epochs[best].val_loss) best = e;
    return h->epochs[best].epoch;
}

static int train(const options *o, const ck_csv_dataset *d)
{
    recipe r = choose_recipe(o->data, d->n_classes);
    if (o->hidden) r.hidden = o->hidden;
    if (o->dropout >= 0) r.dropout = (float)o->dropout;
    int64_t *train_idx = NULL, *test_idx = NULL, n_train, n_test;
    ck_tensor *x_train = NULL, *y_train = NULL, *x_test = NULL, *y_test = NULL;
    ck_standard_scaler scaler = {0};
    ck_session *s = NULL;
    ck_callback *early = NULL;
    ck_history *h = NULL;
    int status = EXIT_FAILED;
    /* train_test_split(test_size=0.2, random_state=seed), then the
     * training rows' mean and std for both parts */
    if (ck_train_test_split_indices(d->n_samples, TEST_SIZE, (uint32_t)o->seed, &train_idx, &n_train, &test_idx,
                                    &n_test) < 0 ||
        take(d, train_idx, n_train, r.binary, &x_train, &y_train) < 0 ||
        take(d, test_idx, n_test, r.binary, &x_test, &y_test) < 0 || ck_standard_scaler_fit(&scaler, x_train) < 0 ||
        ck_standard_scaler_transform(&scaler, x_train) < 0 || ck_standard_scaler_transform(&scaler, x_test) < 0)
        goto done;
    s = ck_session_new(o->seed);
    ck_model *m = s ? build_model(s, d->n_features, d->n_classes, &r) : NULL;
    if (!m || ck_compile(m, r.binary ? "binary_crossentropy" : "sparse_categorical_crossentropy",
                         ck_Adam(LEARNING_RATE), (const char *[]){"accuracy"}, 1) < 0)
        goto done;
    if (!o->quiet) ck_summary(m, stdout);
    if (!(early = ck_EarlyStopping("val_loss", PATIENCE, 0, 1))) goto done;
    h = ck_fit(m, x_train, 1, y_train,
               CK_FIT_ARGS(.epochs = o->epochs, .batch_size = o->batch, .val_x = x_test, .val_y = y_test,
                           .verbose = o->quiet ? CK_SILENT : CK_PROGRESS, CK_CALLBACKS(early)));
    double scores[2];
    if (!h || ck_evaluate(m, x_test, 1, y_test, o->batch, scores) < 0) goto done;
    printf("val_accuracy: %.4f (val_loss %.4f) at epoch %d\n", scores[1], scores[0], final_epoch(h));
    status = EXIT_OK;
done:
    if (status != EXIT_OK) fprintf(stderr, "classify: %s\n", ck_error() ? ck_error() : "failed");
    ck_history_free(h);
    ck_callback_free(early);
    ck_session_free(s);
    ck_standard_scaler_free(&scaler);
    ck_tensor_free(x_train);
    ck_tensor_free(y_train);
    ck_tensor_free(x_test);
    ck_tensor_free(y_test);
    free(train_idx);
    free(test_idx);
    return status;
}

int main(int argc, char **argv)
{
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc) {
        usage(rc > 0 ? stdout : stderr);
        return rc > 0 ? EXIT_OK : EXIT_BAD_INPUT;
    }
    ck_csv_dataset d;
    if (ck_csv_load_sklearn(o.data, &d) < 0) {
        fprintf(stderr, "classify: %s\n", ck_error());
        if (!strcmp(o.data, DEFAULT_DATA))
            fprintf(stderr, "classify: run from the repository's root, or give --data\n");
        return EXIT_BAD_INPUT;
    }
    if (!o.quiet)
        printf("%s: %lld samples, %d features, %d classes\n", o.data, (long long)d.n_samples, d.n_features,
               d.n_classes);
    rc = train(&o, &d);
    ck_csv_dataset_free(&d);
    return rc;
}
