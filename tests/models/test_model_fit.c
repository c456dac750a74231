/* Training: Adam and SGD against Keras's formulas by hand, linear
 * regression, XOR, reproducibility, epoch loss, evaluate and callbacks. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ck_model.h"

static ck_session *s;
static void setup(void)
{
    s = ck_session_new(7);
    ck_error_clear();
}
static void teardown(void)
{
    ck_session_free(s);
    ck_error_clear();
}
TestSuite(fit, .init = setup, .fini = teardown);

/* y = w * x with one weight, x = 1, y = 0: loss = w^2, gradient 2w. */
static ck_model *one_weight(float w0)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, 1), CK_F32, "x");
    ck_layer *d = ck_Dense(s, 1, NULL, "w");
    ck_layer_set_use_bias(d, 0);
    ck_sym *y = ck_call1(d, x);
    ck_model *m = ck_Model(s, &x, 1, &y, 1, NULL);
    cr_assert_not_null(m, "%s", ck_error());
    ck_layer_weight(d, 0)->value.f[0] = w0;
    return m;
}

static float one = 1.0f, zero = 0.0f;

Test(fit, adam_first_steps_match_keras_formula)
{
    ck_model *m = one_weight(0.5f);
    cr_assert_eq(ck_compile(m, "mse", ck_Adam(0.1f), NULL, 0), 0);
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, 1, 1), &one);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, 1, 1), &zero);
    /* by hand: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
     * lr_t = lr sqrt(1-b2^t)/(1-b1^t); w -= lr_t m / (sqrt(v) + 1e-7) */
    double w = 0.5, mo = 0, v = 0;
    for (int t = 1; t <= 3; t++) {
        ck_history *h = ck_fit(m, &x, 1, &y, CK_FIT_ARGS(.epochs = 1, .batch_size = 1, .verbose = 0, .shuffle = false));
        cr_assert_not_null(h, "%s", ck_error());
        cr_assert_float_eq(h->epochs[0].loss, w * w, 1e-6); /* loss before the step */
        double g = 2 * w;
        mo = 0.9 * mo + 0.1 * g;
        v = 0.999 * v + 0.001 * g * g;
        double lr_t = 0.1 * sqrt(1 - pow(0.999, t)) / (1 - pow(0.9, t));
        w -= lr_t * mo / (sqrt(v) + 1e-7);
        cr_assert_float_eq(ck_model_weight(m, 0)->value.f[0], w, 1e-6, "step %d: %f vs %f", t,
                           ck_model_weight(m, 0)->value.f[0], w);
        ck_history_free(h);
    }
}

Test(fit, sgd_momentum_matches_keras_formula)
{
    ck_model *m = one_weight(1.0f);
    cr_assert_eq(ck_compile(m, "mse", ck_SGD(0.1f, 0.9f), NULL, 0), 0);
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, 1, 1), &one);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, 1, 1), &zero);
    ck_history *h = ck_fit(m, &x, 1, &y, CK_FIT_ARGS(.epochs = 3, .batch_size = 1, .shuffle = false, .verbose = 0));
    cr_assert_not_null(h, "%s", ck_error());
    double w = 1.0, vel = 0;
    for (int t = 0; t < 3; t++) {
        cr_assert_float_eq(h->epochs[t].loss, w * w, 1e-6);
        vel = 0.9 * vel - 0.1 * (2 * w);
        w += vel;
    }
    cr_assert_float_eq(ck_model_weight(m, 0)->value.f[0], w, 1e-6);
    ck_history_free(h);
}

/* y = 2 x0 - 3 x1 + 0.5 on 256 generated points */
static void linear_data(float *x, float *y, int n, uint64_t seed)
{
    ck_rng r;
    ck_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        x[2 * i] = ck_rng_uniform(&r) * 2 - 1;
        x[2 * i + 1] = ck_rng_uniform(&r) * 2 - 1;
        y[i] = 2 * x[2 * i] - 3 * x[2 * i + 1] + 0.5f;
    }
}

static ck_model *linear_model(ck_session *ss)
{
    ck_sym *x = ck_Input(ss, ck_shape_of(1, 2), CK_F32, "x");
    ck_sym *y = ck_call1(ck_Dense(ss, 1, NULL, "linear"), x);
    return ck_Model(ss, &x, 1, &y, 1, NULL);
}

Test(fit, linear_regression_recovers_weights)
{
    static float xd[512], yd[256];
    linear_data(xd, yd, 256, 3);
    ck_model *m = linear_model(s);
    cr_assert_eq(ck_compile(m, "mse", ck_SGD(0.1f, 0.9f), (const char *[]){"mae"}, 1), 0);
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, 256, 2), xd);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(1, 256), yd); /* (N,) against (None, 1) */
    ck_history *h = ck_fit(m, &x, 1, &y, CK_FIT_ARGS(.epochs = 60, .batch_size = 32, .shuffle = true, .verbose = 0));
    cr_assert_not_null(h, "%s", ck_error());
    const float *k = ck_model_weight(m, 0)->value.f, *b = ck_model_weight(m, 1)->value.f;
    cr_assert_float_eq(k[0], 2.0f, 1e-3);
    cr_assert_float_eq(k[1], -3.0f, 1e-3);
    cr_assert_float_eq(b[0], 0.5f, 1e-3);
    cr_assert_lt(h->epochs[59].loss, 1e-6);
    cr_assert_str_eq(h->metric_names[0], "mae");
    double out[2];
    cr_assert_eq(ck_evaluate(m, &x, 1, &y, 100, out), 0);
    /* evaluate against a loop over the predictions */
    ck_tensor *p = ck_predict(m, &x, 1, 7);
    double se = 0, ae = 0;
    for (int i = 0; i < 256; i++) {
        se += (p->f[i] - yd[i]) * (p->f[i] - yd[i]);
        ae += fabs(p->f[i] - yd[i]);
    }
    cr_assert_float_eq(out[0], se / 256, 1e-9);
    cr_assert_float_eq(out[1], ae / 256, 1e-7);
    ck_tensor_free(p);
    ck_history_free(h);
}

Test(fit, epoch_loss_is_the_mean_over_samples_with_a_short_last_batch)
{
    /* lr tiny so the weights barely move: the epoch loss is the sample mean
     * of the per-batch losses, 5 samples in batches of 2, 2, 1 */
    float xd[5] = {1, 2, 3, 4, 5}, yd[5] = {0, 0, 0, 0, 0};
    ck_model *m = one_weight(1.0f);
    cr_assert_eq(ck_compile(m, "mse", ck_SGD(1e-30f, 0), NULL, 0), 0);
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, 5, 1), xd);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, 5, 1), yd);
    ck_history *h = ck_fit(m, &x, 1, &y, CK_FIT_ARGS(.epochs = 1, .batch_size = 2, .shuffle = false, .verbose = 0));
    cr_assert_not_null(h);
    double expect = ((1 + 4) / 2.0 * 2 + (9 + 16) / 2.0 * 2 + 25) / 5;
    cr_assert_float_eq(h->epochs[0].loss, expect, 1e-5);
    ck_history_free(h);
}

Test(fit, mlp_learns_xor)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, 2), CK_F32, "x");
    ck_sym *h1 = ck_call1(ck_Dense(s, 8, "tanh", NULL), x);
    ck_sym *y = ck_call1(ck_Dense(s, 1, "sigmoid", NULL), h1);
    ck_model *m = ck_Model(s, &x, 1, &y, 1, "xor");
    cr_assert_eq(ck_compile(m, "mse", ck_Adam(0.05f), NULL, 0), 0);
    float xd[8] = {0, 0, 0, 1, 1, 0, 1, 1}, yd[4] = {0, 1, 1, 0};
    ck_tensor xt = ck_tensor_view(CK_F32, ck_shape_of(2, 4, 2), xd);
    ck_tensor yt = ck_tensor_view(CK_F32, ck_shape_of(2, 4, 1), yd);
    ck_history *h = ck_fit(m, &xt, 1, &yt, CK_FIT_ARGS(.epochs = 500, .batch_size = 4, .shuffle = false, .verbose = 0));
    cr_assert_not_null(h, "%s", ck_error());
    ck_tensor *p = ck_predict(m, &xt, 1, 4);
    for (int i = 0; i < 4; i++) cr_assert(fabsf(p->f[i] - yd[i]) < 0.2f, "xor[%d] = %f", i, p->f[i]);
    ck_tensor_free(p);
    ck_history_free(h);
}

static void train_linear(uint64_t seed, float *weights, double *losses)
{
    static float xd[512], yd[256];
    linear_data(xd, yd, 256, 3);
    ck_session *ss = ck_session_new(seed);
    ck_model *m = linear_model(ss);
    ck_compile(m, "mse", ck_Adam(0.01f), NULL, 0);
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, 256, 2), xd);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, 256, 1), yd);
    ck_history *h = ck_fit(m, &x, 1, &y, CK_FIT_ARGS(.epochs = 3, .batch_size = 10, .shuffle = true, .verbose = 0));
    cr_assert_not_null(h);
    for (int e = 0; e < 3; e++) losses[e] = h->epochs[e].loss;
    ck_model_get_weights(m, weights);
    ck_history_free(h);
    ck_session_free(ss);
}

Test(fit, same_seed_same_bits)
{
    float w1[3], w2[3], w3[3];
    double l1[3], l2[3], l3[3];
    train_linear(11, w1, l1);
    train_linear(11, w2, l2);
    train_linear(12, w3, l3);
    cr_assert_eq(memcmp(w1, w2, sizeof w1), 0);
    cr_assert_eq(memcmp(l1, l2, sizeof l1), 0);
    cr_assert_neq(memcmp(w1, w3, sizeof w1), 0);
}

Test(fit, mixed_int_and_float_inputs)
{
    /* y = table[id] + 2 * v : an Embedding and a float feature */
    ck_sym *id = ck_Input(s, ck_shape_of(1, 1), CK_I32, "id");
    ck_sym *v = ck_Input(s, ck_shape_of(1, 1), CK_F32, "v");
    ck_sym *e = ck_call1(ck_Reshape(s, ck_shape_of(1, 1), NULL), ck_call1(ck_Embedding(s, 3, 1, 0, "emb"), id));
    ck_sym *dv = ck_call1(ck_Dense(s, 1, NULL, "dv"), v);
    ck_sym *y = ck_call(ck_Add(s, NULL), (ck_sym *[]){e, dv}, 2);
    ck_model *m = ck_Model(s, (ck_sym *[]){id, v}, 2, &y, 1, NULL);
    cr_assert_not_null(m, "%s", ck_error());
    cr_assert_eq(ck_compile(m, "mse", ck_Adam(0.05f), NULL, 0), 0);
    enum { N = 60 };
    int32_t ids[N];
    float vs[N], ys[N], table[3] = {1, -1, 0.5f};
    for (int i = 0; i < N; i++) {
        ids[i] = i % 3;
        vs[i] = (float)(i % 7) / 7;
        ys[i] = table[i % 3] + 2 * vs[i];
    }
    ck_tensor x[2] = {ck_tensor_view(CK_I32, ck_shape_of(2, N, 1), ids),
                      ck_tensor_view(CK_F32, ck_shape_of(2, N, 1), vs)};
    ck_tensor yt = ck_tensor_view(CK_F32, ck_shape_of(2, N, 1), ys);
    ck_history *h =
        ck_fit(m, x, 2, &yt,
               CK_FIT_ARGS(.epochs = 300, .batch_size = 16, .shuffle = true, .val_x = x, .val_y = &yt, .verbose = 0));
    cr_assert_not_null(h, "%s", ck_error());
    cr_assert_lt(h->epochs[299].val_loss, 1e-3);
    cr_assert_float_eq(ck_model_weight(m, 1)->value.f[0] /* dv/kernel */, 2.0f, 0.05);
    ck_history_free(h);
}

static int batches_seen;
static int count_batches(ck_callback *cb, ck_model *m, int batch, double loss)
{
    (void)cb;
    (void)loss;
    if (++batches_seen == 3) ck_model_stop_training(m);
    cr_assert_lt(batch, 3);
    return 0;
}

Test(fit, user_callback_can_stop_and_nan_terminates)
{
    static float xd[20], yd[20];
    for (int i = 0; i < 20; i++) {
        xd[i] = (float)i;
        yd[i] = (float)i;
    }
    ck_model *m = one_weight(0.0f);
    cr_assert_eq(ck_compile(m, "mse", ck_SGD(0.001f, 0), NULL, 0), 0);
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, 20, 1), xd);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, 20, 1), yd);
    ck_callback user = {.name = "counter", .on_batch_end = count_batches};
    ck_history *h = ck_fit(m, &x, 1, &y,
                           CK_FIT_ARGS(.epochs = 5, .batch_size = 2, .callbacks = (ck_callback *[]){&user},
                                       .n_callbacks = 1, .shuffle = false, .verbose = 0));
    cr_assert_not_null(h, "%s", ck_error());
    cr_assert_eq(batches_seen, 3);
    cr_assert_eq(h->n_epochs, 1);
    cr_assert(h->stopped_early);
    ck_history_free(h);

    yd[5] = NAN;
    ck_callback *nan_cb = ck_TerminateOnNaN();
    h = ck_fit(m, &x, 1, &y,
               CK_FIT_ARGS(.epochs = 5, .batch_size = 4, .callbacks = (ck_callback *[]){nan_cb}, .n_callbacks = 1,
                           .shuffle = false, .verbose = 0));
    cr_assert_not_null(h, "%s", ck_error());
    cr_assert_eq(h->n_epochs, 1);
    cr_assert(h->stopped_early);
    cr_assert(isnan(h->epochs[0].loss));
    ck_history_free(h);
    ck_callback_free(nan_cb);
}

static int fail_epoch(ck_callback *cb, ck_model *m, const ck_epoch_log *log)
{
    (void)cb;
    (void)m;
    (void)log;
    return ck_fail("disk full");
}

Test(fit, failing_callback_aborts_fit_with_its_message)
{
    ck_model *m = one_weight(1.0f);
    ck_compile(m, "mse", ck_SGD(0.1f, 0), NULL, 0);
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, 1, 1), &one);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, 1, 1), &zero);
    ck_callback bad = {.name = "bad", .on_epoch_end = fail_epoch};
    cr_assert_null(ck_fit(m, &x, 1, &y,
                          CK_FIT_ARGS(.epochs = 2, .callbacks = (ck_callback *[]){&bad}, .n_callbacks = 1,
                                      .shuffle = false, .verbose = 0)));
    cr_assert(strstr(ck_error(), "callback 'bad': disk full"), "%s", ck_error());
}

Test(fit, l2_adds_to_loss_and_gradient)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, 1), CK_F32, "x");
    ck_layer *d = ck_Dense(s, 1, NULL, "w");
    ck_layer_set_use_bias(d, 0);
    cr_assert_eq(ck_layer_set_l2(d, 0.5f), 0);
    ck_sym *y = ck_call1(d, x);
    ck_model *m = ck_Model(s, &x, 1, &y, 1, NULL);
    ck_layer_weight(d, 0)->value.f[0] = 1.0f;
    ck_compile(m, "mse", ck_SGD(0.1f, 0), NULL, 0);
    ck_tensor xt = ck_tensor_view(CK_F32, ck_shape_of(2, 1, 1), &one);
    ck_tensor yt = ck_tensor_view(CK_F32, ck_shape_of(2, 1, 1), &zero);
    ck_history *h = ck_fit(m, &xt, 1, &yt, CK_FIT_ARGS(.epochs = 1, .batch_size = 1, .shuffle = false, .verbose = 0));
    /* loss = w^2 + 0.5 w^2 = 1.5; gradient 2w + 2 * 0.5 w = 3; w = 1 - 0.3 */
    cr_assert_float_eq(h->epochs[0].loss, 1.5, 1e-6);
    cr_assert_float_eq(ck_layer_weight(d, 0)->value.f[0], 0.7f, 1e-6);
    ck_history_free(h);
}
