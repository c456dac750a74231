/* keras_classifier.c - classifiers written as a Keras user writes them,
 * built against the installed library with pkg-config alone (CI does it,
 * .ci/run's install check):
 *
 *     cc keras_classifier.c $(pkg-config --cflags --libs ckeras)
 *
 * Three models on generated blobs (no data files), each
 * Dense(16, relu) -> Dense(k, activation), fit with validation data and
 * EarlyStopping(val_loss, restore_best_weights):
 *  1. binary: Dense(1, sigmoid), "binary_crossentropy", float32 0/1 targets;
 *  2. softmax, "categorical_crossentropy", one-hot float32 targets;
 *  3. softmax, "sparse_categorical_crossentropy", int32 class ids;
 * all with metrics {"accuracy"}. Exit status 0 when every model reaches
 * 90% validation accuracy. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <ckeras.h>

enum { N_TRAIN = 600, N_VAL = 200, N_FEATURES = 4, MAX_CLASSES = 3 };
static const double MIN_ACCURACY = 0.9;

/* Gaussian blobs: class c has mean 2 on feature c (and 0 elsewhere), sd 0.7 */
static void make_blobs(ck_rng *rng, int n, int n_classes, float *x, int32_t *label)
{
    for (int i = 0; i < n; i++) {
        label[i] = (int32_t)ck_rng_below(rng, (uint32_t)n_classes);
        for (int j = 0; j < N_FEATURES; j++)
            x[i * N_FEATURES + j] = (j == label[i] ? 2.0f : 0.0f) + 0.7f * ck_rng_normal(rng);
    }
}

typedef enum target_kind { BINARY, ONE_HOT, CLASS_IDS } target_kind;

/* The targets as the loss wants them: (n, 1) 0/1, (n, k) one-hot or (n,) ids. */
static ck_tensor *targets(const int32_t *label, int n, int n_classes, target_kind kind)
{
    if (kind == CLASS_IDS) return ck_tensor_from_ids(ck_shape_of(1, n), label);
    int width = kind == BINARY ? 1 : n_classes;
    ck_tensor *y = ck_tensor_zeros(ck_shape_of(2, n, width));
    for (int i = 0; y && i < n; i++)
        y->f[i * width + (kind == BINARY ? 0 : label[i])] = kind == BINARY ? (float)label[i] : 1.0f;
    return y;
}

static int run(const char *loss, target_kind kind)
{
    int n_classes = kind == BINARY ? 2 : MAX_CLASSES;
    static float x_train[N_TRAIN * N_FEATURES], x_val[N_VAL * N_FEATURES];
    static int32_t l_train[N_TRAIN], l_val[N_VAL];
    ck_rng rng;
    ck_rng_seed(&rng, 42);
    make_blobs(&rng, N_TRAIN, n_classes, x_train, l_train);
    make_blobs(&rng, N_VAL, n_classes, x_val, l_val);
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, N_TRAIN, N_FEATURES), x_train);
    ck_tensor vx = ck_tensor_view(CK_F32, ck_shape_of(2, N_VAL, N_FEATURES), x_val);
    ck_tensor *y = targets(l_train, N_TRAIN, n_classes, kind), *vy = targets(l_val, N_VAL, n_classes, kind);

    /* model = Sequential([Dense(16, activation='relu'), Dense(k, activation=...)]) */
    ck_session *s = ck_session_new(7);
    ck_sym *in = ck_Input(s, ck_shape_of(1, N_FEATURES), CK_F32, NULL);
    ck_sym *h = ck_call1(ck_Dense(s, 16, "relu", NULL), in);
    ck_sym *out =
        ck_call1(ck_Dense(s, kind == BINARY ? 1 : n_classes, kind == BINARY ? "sigmoid" : "softmax", NULL), h);
    ck_model *model = ck_Model(s, &in, 1, &out, 1, NULL);
    /* model.compile(optimizer=Adam(1e-3), loss=..., metrics=['accuracy']) */
    ck_callback *early = ck_EarlyStopping("val_loss", 5, 0, 1);
    ck_history *hist = NULL;
    double scores[2] = {0, 0};
    int ok = model && y && vy && early &&
             ck_compile(model, loss, ck_Adam(1e-3f), (const char *[]){"accuracy"}, 1) == 0 &&
             /* model.fit(x, y, epochs=50, validation_data=(vx, vy), callbacks=[early], verbose=0) */
             (hist = ck_fit(model, &x, 1, y,
                            CK_FIT_ARGS(.epochs = 50, .val_x = &vx, .val_y = vy, .verbose = 0, CK_CALLBACKS(early)))) !=
                 NULL &&
             ck_evaluate(model, &vx, 1, vy, 0, scores) == 0;
    if (!ok)
        fprintf(stderr, "%s: %s\n", loss, ck_error());
    else
        printf("%-32s %d epochs, val_loss %.4f, val_accuracy %.4f\n", loss, hist->n_epochs, scores[0], scores[1]);
    ok = ok && scores[1] >= MIN_ACCURACY;
    ck_history_free(hist);
    ck_callback_free(early);
    ck_session_free(s);
    ck_tensor_free(y);
    ck_tensor_free(vy);
    return ok;
}

int main(void)
{
    int ok = run("binary_crossentropy", BINARY);
    ok &= run("categorical_crossentropy", ONE_HOT);
    ok &= run("sparse_categorical_crossentropy", CLASS_IDS);
    return ok ? 0 : 1;
}
