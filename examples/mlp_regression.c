/* mlp_regression.c - compose your own model with the functional API.
 *
 * Two inputs - three float features and a category id - go through an MLP
 * and an Embedding, are concatenated, and predict
 *     y = sin(2 x0) + x1 * x2 + offset[category] + noise.
 * The data are generated, so the example runs anywhere in a few seconds.
 *
 *     ./mlp_regression            (prints the summary, trains, evaluates) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ck_model.h"

enum { N_TRAIN = 4000, N_VAL = 1000, N_CATEGORIES = 8 };

static void make_data(ck_rng *r, int n, float *x, int32_t *cat, float *y)
{
    static const float offset[N_CATEGORIES] = {-1.0f, -0.5f, 0.0f, 0.3f, 0.6f, 0.9f, 1.2f, 1.5f};
    for (int i = 0; i < n; i++) {
        float *xi = x + 3 * i;
        for (int k = 0; k < 3; k++) xi[k] = 2.0f * ck_rng_uniform(r) - 1.0f;
        cat[i] = (int32_t)ck_rng_below(r, N_CATEGORIES);
        y[i] = sinf(2.0f * xi[0]) + xi[1] * xi[2] + offset[cat[i]] + 0.05f * ck_rng_normal(r);
    }
}

int main(void)
{
    static float x_train[3 * N_TRAIN], y_train[N_TRAIN], x_val[3 * N_VAL], y_val[N_VAL];
    static int32_t c_train[N_TRAIN], c_val[N_VAL];
    ck_rng data_rng;
    ck_rng_seed(&data_rng, 2024);
    make_data(&data_rng, N_TRAIN, x_train, c_train, y_train);
    make_data(&data_rng, N_VAL, x_val, c_val, y_val);

    /* ---- the model: Input -> Dense -> Dense, Input -> Embedding, Concatenate -> Dense ---- */
    ck_session *s = ck_session_new(7);
    ck_sym *features = ck_Input(s, ck_shape_of(1, 3), CK_F32, "features");                 /* (None, 3) */
    ck_sym *category = ck_Input(s, ck_shape_of(1, 1), CK_I32, "category");                 /* (None, 1) */
    ck_sym *h = ck_call1(ck_Dense(s, 32, "tanh", "hidden_1"), features);                   /* (None, 32) */
    h = ck_call1(ck_Dense(s, 32, "tanh", "hidden_2"), h);                                  /* (None, 32) */
    ck_sym *e = ck_call1(ck_Embedding(s, N_CATEGORIES, 4, 0, "category_embed"), category); /* (None, 1, 4) */
    e = ck_call1(ck_Reshape(s, ck_shape_of(1, 4), "flatten"), e);                          /* (None, 4) */
    ck_sym *both = ck_call(ck_Concatenate(s, -1, "concat"), (ck_sym *[]){h, e}, 2);        /* (None, 36) */
    ck_sym *y = ck_call1(ck_Dense(s, 1, NULL, "prediction"), both);                        /* (None, 1) */
    ck_model *model = ck_Model(s, (ck_sym *[]){features, category}, 2, &y, 1, "mlp_regression");
    if (!model || ck_compile(model, "mse", ck_Adam(0.005f), (const char *[]){"mae"}, 1)) {
        fprintf(stderr, "%s\n", ck_error());
        ck_session_free(s);
        return 1;
    }
    ck_summary(model, stdout);

    /* ---- training with early stopping on the validation loss ---- */
    ck_tensor x[2] = {ck_tensor_view(CK_F32, ck_shape_of(2, N_TRAIN, 3), x_train),
                      ck_tensor_view(CK_I32, ck_shape_of(2, N_TRAIN, 1), c_train)};
    ck_tensor vx[2] = {ck_tensor_view(CK_F32, ck_shape_of(2, N_VAL, 3), x_val),
                       ck_tensor_view(CK_I32, ck_shape_of(2, N_VAL, 1), c_val)};
    ck_tensor yt = ck_tensor_view(CK_F32, ck_shape_of(2, N_TRAIN, 1), y_train);
    ck_tensor vy = ck_tensor_view(CK_F32, ck_shape_of(2, N_VAL, 1), y_val);
    ck_callback *early = ck_EarlyStopping("val_loss", 5, 1e-4, 1);
    ck_history *hist =
        ck_fit(model, x, 2, &yt,
               /* shuffled, with progress: Keras's defaults */
               CK_FIT_ARGS(.epochs = 60, .batch_size = 64, .val_x = vx, .val_y = &vy, CK_CALLBACKS(early)));
    if (!hist) {
        fprintf(stderr, "%s\n", ck_error());
        ck_callback_free(early);
        ck_session_free(s);
        return 1;
    }

    double scores[2];
    ck_evaluate(model, vx, 2, &vy, 256, scores);
    printf("\n%d epochs%s; validation mse %.4f, mae %.4f (noise variance 0.0025)\n", hist->n_epochs,
           hist->stopped_early ? " (early stopping)" : "", scores[0], scores[1]);

    ck_tensor *pred = ck_predict(model, vx, 2, 256);
    for (int i = 0; pred && i < 3; i++) printf("sample %d: predicted %+.3f, true %+.3f\n", i, pred->f[i], y_val[i]);
    ck_tensor_free(pred);
    ck_history_free(hist);
    ck_callback_free(early);
    ck_session_free(s);
    return 0;
}
