/* Freezing (Keras's trainable, taking effect at the next compile), the
 * summary's trainable counts, BatchNormalization inside fit, and the l1,
 * l2, l1_l2 regularizers in the loss and its gradient, against values
 * computed here. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_model.h"
#include "ck_model_internal.h"

static ck_session *s;
static void setup(void)
{
    s = ck_session_new(3);
    ck_error_clear();
}
static void teardown(void)
{
    ck_session_free(s);
    ck_error_clear();
}
TestSuite(trainable, .init = setup, .fini = teardown);

enum { N = 32, F = 3 };

typedef struct data {
    ck_tensor *x, *y;
} data;

static data make_data(uint64_t seed)
{
    ck_rng r;
    ck_rng_seed(&r, seed);
    data d = {ck_tensor_uniform(ck_shape_of(2, N, F), -1, 1, &r), ck_tensor_new(CK_F32, ck_shape_of(2, N, 1))};
    for (int i = 0; i < N; i++) d.y->f[i] = d.x->f[i * F] - 2 * d.x->f[i * F + 1] + 0.5f;
    return d;
}

static void data_free(data d)
{
    ck_tensor_free(d.x);
    ck_tensor_free(d.y);
}

static void fit(ck_model *m, data d, int epochs)
{
    ck_fit_args args = {.epochs = epochs, .batch_size = 8, .shuffle = 1};
    ck_history *h = ck_fit(m, d.x, 1, d.y, &args);
    cr_assert_not_null(h, "%s", ck_error());
    ck_history_free(h);
}

/* x -> first (Dense 4) -> second (Dense 1) */
static ck_model *two_dense(ck_layer **first, ck_layer **second)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, F), CK_F32, "x");
    *first = ck_Dense(s, 4, "tanh", "first");
    *second = ck_Dense(s, 1, NULL, "second");
    ck_sym *y = ck_call1(*second, ck_call1(*first, x));
    ck_model *m = ck_Model(s, &x, 1, &y, 1, NULL);
    cr_assert_not_null(m, "%s", ck_error());
    return m;
}

static float *copy_weights(const ck_layer *l, int i)
{
    const ck_node *w = ck_layer_weight(l, i);
    float *c = malloc(sizeof(float) * (size_t)w->value.size);
    memcpy(c, w->value.f, sizeof(float) * (size_t)w->value.size);
    return c;
}

static int unchanged(const ck_layer *l, int i, const float *before)
{
    const ck_node *w = ck_layer_weight(l, i);
    return memcmp(w->value.f, before, sizeof(float) * (size_t)w->value.size) == 0;
}

Test(trainable, a_frozen_layer_is_bit_identical_after_fit_and_costs_no_work)
{
    ck_layer *first, *second;
    ck_model *m = two_dense(&first, &second);
    cr_expect(ck_layer_trainable(first));
    ck_layer_set_trainable(first, 0);
    cr_expect_not(ck_layer_trainable(first));
    cr_assert_eq(ck_compile(m, "mse", ck_Adam(0.05f), NULL, 0), 0, "%s", ck_error());
    cr_expect_eq(m->n_train_params, 2, "only second's kernel and bias reach the optimizer");
    cr_expect_eq(m->opt->n_weights, 2);
    float *k0 = copy_weights(first, 0), *b0 = copy_weights(first, 1), *k1 = copy_weights(second, 0);
    data d = make_data(1);
    fit(m, d, 3);
    cr_expect(unchanged(first, 0, k0) && unchanged(first, 1, b0), "the frozen layer changed");
    cr_expect_not(unchanged(second, 0, k1), "the trainable layer did not train");
    cr_expect_null(ck_layer_weight(first, 0)->grad, "a frozen weight has no gradient for backward to fill");
    cr_expect_not_null(ck_layer_weight(second, 0)->grad);
    /* save and load weights still cover every weight */
    cr_expect_eq(ck_model_n_weights(m), 4);
    free(k0);
    free(b0);
    free(k1);
    data_free(d);
}

Test(trainable, the_flag_takes_effect_at_the_next_compile)
{
    ck_layer *first, *second;
    ck_model *m = two_dense(&first, &second);
    cr_assert_eq(ck_compile(m, "mse", ck_SGD(0.1f, 0), NULL, 0), 0);
    ck_layer_set_trainable(first, 0); /* after compile: fit still trains it (Keras's rule) */
    float *k0 = copy_weights(first, 0);
    data d = make_data(2);
    fit(m, d, 1);
    cr_expect_not(unchanged(first, 0, k0), "changed before recompiling");
    free(k0);
    cr_assert_eq(ck_compile(m, "mse", ck_SGD(0.1f, 0), NULL, 0), 0);
    k0 = copy_weights(first, 0);
    fit(m, d, 1);
    cr_expect(unchanged(first, 0, k0), "frozen after recompiling");
    /* unfreeze: trains again after the next compile */
    ck_layer_set_trainable(first, 1);
    cr_assert_eq(ck_compile(m, "mse", ck_SGD(0.1f, 0), NULL, 0), 0);
    fit(m, d, 1);
    cr_expect_not(unchanged(first, 0, k0));
    free(k0);
    data_free(d);
}

static long summary_count(const ck_model *m, const char *label)
{
    char buf[16384] = {0};
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    cr_assert_eq(ck_summary(m, f), 0);
    fclose(f);
    const char *p = strstr(buf, label);
    cr_assert_not_null(p, "%s", buf);
    long v = 0;
    for (p += strlen(label); *p && *p != '\n'; p++)
        if (*p >= '0' && *p <= '9') v = 10 * v + (*p - '0');
    return v;
}

Test(trainable, summary_counts_frozen_and_non_trainable_weights)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, F), CK_F32, "x");
    ck_layer *d1 = ck_Dense(s, 4, NULL, NULL), *bn = ck_BatchNormalization(s, NULL), *d2 = ck_Dense(s, 1, NULL, NULL);
    ck_sym *y = ck_call1(d2, ck_call1(bn, ck_call1(d1, x)));
    ck_model *m = ck_Model(s, &x, 1, &y, 1, NULL);
    long total = (F * 4 + 4) + 4 * 4 + (4 + 1);
    cr_expect_eq(summary_count(m, "Total params: "), total);
    cr_expect_eq(summary_count(m, "Non-trainable params: "), 8, "moving mean and variance");
    cr_expect_eq(summary_count(m, "Trainable params: "), total - 8);
    ck_layer_set_trainable(d1, 0); /* the summary follows the flags at once, as Keras's */
    cr_expect_eq(summary_count(m, "Non-trainable params: "), 8 + 16);
    cr_expect_eq(ck_count_trainable_params(m), total - 24);
    ck_model_set_trainable(m, 0);
    cr_expect_eq(summary_count(m, "Trainable params: "), 0);
    cr_expect_eq(summary_count(m, "Non-trainable params: "), total);
}

Test(trainable, batch_norm_in_fit_updates_its_moving_statistics_unless_frozen)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, F), CK_F32, "x");
    ck_layer *bn = ck_BatchNormalization(s, NULL);
    ck_sym *y = ck_call1(ck_Dense(s, 1, NULL, NULL), ck_call1(bn, x));
    ck_model *m = ck_Model(s, &x, 1, &y, 1, NULL);
    cr_assert_eq(ck_compile(m, "mse", ck_Adam(0.01f), NULL, 0), 0);
    data d = make_data(3);
    ck_fit_args one_batch = {.epochs = 1, .batch_size = N, .shuffle = 0};
    ck_history *h = ck_fit(m, d.x, 1, d.y, &one_batch);
    cr_assert_not_null(h, "%s", ck_error());
    ck_history_free(h);
    /* one step on the whole data: moving = 0.01 * batch statistic (+ 0.99 for the variance) */
    for (int c = 0; c < F; c++) {
        double mean = 0, var = 0;
        for (int i = 0; i < N; i++) mean += d.x->f[i * F + c] / N;
        for (int i = 0; i < N; i++) var += (d.x->f[i * F + c] - mean) * (d.x->f[i * F + c] - mean) / N;
        cr_expect(fabs(ck_layer_weight(bn, 2)->value.f[c] - 0.01 * mean) < 1e-6);
        cr_expect(fabs(ck_layer_weight(bn, 3)->value.f[c] - (0.99 + 0.01 * var)) < 1e-6);
    }
    /* frozen: inference mode in fit, as Keras 2's BatchNormalization */
    ck_layer_set_trainable(bn, 0);
    cr_assert_eq(ck_compile(m, "mse", ck_Adam(0.01f), NULL, 0), 0);
    float *mm = copy_weights(bn, 2), *mv = copy_weights(bn, 3), *gamma = copy_weights(bn, 0);
    fit(m, d, 2);
    cr_expect(unchanged(bn, 2, mm) && unchanged(bn, 3, mv) && unchanged(bn, 0, gamma));
    free(mm);
    free(mv);
    free(gamma);
    data_free(d);
}

/* ---- regularizers ---- */

Test(trainable, regularizer_objects_and_settings)
{
    ck_regularizer a = ck_l1(CK_REGULARIZER_DEFAULT), b = ck_l1_l2(0.5f, 0.25f);
    cr_expect(a.l1 == 0.01f && a.l2 == 0.0f);
    cr_expect(b.l1 == 0.5f && b.l2 == 0.25f);
    ck_layer *d = ck_Dense(s, 2, NULL, NULL);
    cr_expect_eq(ck_layer_set_regularizer(d, "kernel_regularizer", ck_l2(0.1f)), 0);
    cr_expect_eq(ck_layer_set_regularizer(d, "kernel_regularizer", b), 0); /* replaces */
    cr_expect_eq(ck_layer_regularizer(d, "kernel_regularizer").l1, 0.5f);
    cr_expect_eq(ck_layer_regularizer(d, "bias_regularizer").l1, 0.0f);
    cr_expect_eq(ck_layer_set_regularizer(d, "embeddings_regularizer", a), -1);
    cr_expect(strstr(ck_error(), "has no 'embeddings_regularizer'; it has kernel_regularizer, bias_regularizer"), "%s",
              ck_error());
    ck_error_clear();
    cr_expect_eq(ck_layer_set_regularizer(d, "kernel_regularizer", ck_l1(-1.0f)), -1);
    ck_error_clear();
    cr_expect_eq(ck_layer_set_regularizer(ck_Add(s, NULL), "kernel_regularizer", a), -1);
    ck_error_clear();
    ck_layer *e = ck_Embedding(s, 5, 2, 0, NULL);
    cr_expect_eq(ck_layer_set_l2(e, 0.3f), 0, "the old form sets embeddings_regularizer");
    cr_expect_eq(ck_layer_regularizer(e, "embeddings_regularizer").l2, 0.3f);
    cr_expect_eq(ck_layer_set_regularizer(ck_BatchNormalization(s, NULL), "gamma_regularizer", a), 0);
}

/* x (N, 2) -> Dense(1) with known weights; loss = mse + penalties. */
Test(trainable, l1_l2_penalties_add_to_the_loss_and_gradient)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, 2), CK_F32, "x");
    ck_layer *d = ck_Dense(s, 1, NULL, NULL);
    ck_sym *y = ck_call1(d, x);
    ck_model *m = ck_Model(s, &x, 1, &y, 1, NULL);
    const float w0[2] = {0.5f, -0.25f}, b0 = 0.125f, lr = 0.1f;
    const float l1k = 0.05f, l2k = 0.2f, l1b = 0.3f;
    memcpy(ck_layer_weight(d, 0)->value.f, w0, sizeof w0);
    ck_layer_weight(d, 1)->value.f[0] = b0;
    cr_assert_eq(ck_layer_set_regularizer(d, "kernel_regularizer", ck_l1_l2(l1k, l2k)), 0);
    cr_assert_eq(ck_layer_set_regularizer(d, "bias_regularizer", ck_l1(l1b)), 0);
    cr_assert_eq(ck_compile(m, "mse", ck_SGD(lr, 0), NULL, 0), 0);
    const float xs[8] = {1, 2, -1, 0.5f, 0, 1, 2, -2}, ys[4] = {1, 0, -1, 0.5f};
    ck_tensor tx = ck_tensor_view(CK_F32, ck_shape_of(2, 4, 2), (void *)xs);
    ck_tensor ty = ck_tensor_view(CK_F32, ck_shape_of(2, 4, 1), (void *)ys);
    double penalty = l1k * (0.5 + 0.25) + l2k * (0.25 + 0.0625) + l1b * 0.125;
    double mse = 0, gw[2] = {0}, gb = 0;
    for (int i = 0; i < 4; i++) {
        double err = xs[2 * i] * w0[0] + xs[2 * i + 1] * w0[1] + b0 - ys[i];
        mse += err * err / 4;
        gw[0] += 2 * err * xs[2 * i] / 4;
        gw[1] += 2 * err * xs[2 * i + 1] / 4;
        gb += 2 * err / 4;
    }
    double out[1];
    cr_assert_eq(ck_evaluate(m, &tx, 1, &ty, 4, out), 0, "%s", ck_error());
    cr_expect(fabs(out[0] - (mse + penalty)) < 1e-6, "evaluate %g, want %g", out[0], mse + penalty);
    ck_fit_args one_step = {.epochs = 1, .batch_size = 4, .shuffle = 0};
    ck_history *h = ck_fit(m, &tx, 1, &ty, &one_step);
    cr_assert_not_null(h, "%s", ck_error());
    cr_expect(fabs(h->epochs[0].loss - (mse + penalty)) < 1e-6, "fit's loss %g, want %g", h->epochs[0].loss,
              mse + penalty);
    ck_history_free(h);
    /* SGD: w -= lr (dmse/dw + l1 sign(w) + 2 l2 w) */
    double want_w0 = w0[0] - lr * (gw[0] + l1k + 2 * l2k * w0[0]);
    double want_w1 = w0[1] - lr * (gw[1] - l1k + 2 * l2k * w0[1]);
    double want_b = b0 - lr * (gb + l1b);
    cr_expect(fabs(ck_layer_weight(d, 0)->value.f[0] - want_w0) < 1e-6, "w0 %g want %g",
              (double)ck_layer_weight(d, 0)->value.f[0], want_w0);
    cr_expect(fabs(ck_layer_weight(d, 0)->value.f[1] - want_w1) < 1e-6);
    cr_expect(fabs(ck_layer_weight(d, 1)->value.f[0] - want_b) < 1e-6);
}

Test(trainable, a_frozen_regularised_layer_still_counts_in_the_loss)
{
    /* Keras adds every layer's regularization losses; a frozen one's is a constant */
    ck_layer *first, *second;
    ck_model *m = two_dense(&first, &second);
    ck_layer_set_regularizer(first, "kernel_regularizer", ck_l2(1.0f));
    ck_layer_set_trainable(first, 0);
    cr_assert_eq(ck_compile(m, "mse", ck_SGD(0.01f, 0), NULL, 0), 0);
    double sq = 0;
    const ck_node *k = ck_layer_weight(first, 0);
    for (int i = 0; i < k->value.size; i++) sq += (double)k->value.f[i] * k->value.f[i];
    cr_expect(fabs(ck_regularization_penalty(m, 0) - sq) < 1e-9);
}
