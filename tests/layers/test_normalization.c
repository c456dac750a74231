/* BatchNormalization and LayerNormalization: shapes, weights, errors,
 * training and inference outputs, moving statistics and gradients, each
 * against numbers computed here in double. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ck_gradcheck.h"
#include "ck_model.h"

static ck_session *s;
static ck_tape *t;
static void setup(void)
{
    s = ck_session_new(5);
    t = ck_tape_new();
    ck_error_clear();
}
static void teardown(void)
{
    ck_tape_free(t);
    ck_session_free(s);
    ck_error_clear();
}
TestSuite(normalization, .init = setup, .fini = teardown);

enum { B = 5, C = 3 };
static const float X[B * C] = {0.5f, -1, 2, 1.5f, 0, -0.5f, -2, 1, 0.25f, 0.75f, 3, 1, -0.25f, -0.5f, 0};
static const double EPS = 1e-3;

/* A model x (None, C) -> layer, with gamma and beta set to known values. */
static ck_model *one_layer_model(ck_layer *l, const float *gamma, const float *beta)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, C), CK_F32, "x");
    ck_sym *y = ck_call1(l, x);
    ck_model *m = ck_Model(s, &x, 1, &y, 1, NULL);
    cr_assert_not_null(m, "%s", ck_error());
    memcpy(ck_layer_weight(l, 0)->value.f, gamma, sizeof(float) * C);
    memcpy(ck_layer_weight(l, 1)->value.f, beta, sizeof(float) * C);
    return m;
}

static ck_node *x_node(void)
{
    ck_tensor v = ck_tensor_view(CK_F32, ck_shape_of(2, B, C), (void *)X);
    return ck_const(t, &v);
}

static void column_stats(int c, double *mean, double *var)
{
    double sum = 0, sq = 0;
    for (int b = 0; b < B; b++) sum += X[b * C + c];
    *mean = sum / B;
    for (int b = 0; b < B; b++) sq += (X[b * C + c] - *mean) * (X[b * C + c] - *mean);
    *var = sq / B; /* biased, as Keras */
}

Test(normalization, batch_norm_weights_names_and_keras_defaults)
{
    ck_layer *bn = ck_BatchNormalization(s, NULL);
    cr_assert_str_eq(ck_layer_name(bn), "batch_normalization");
    ck_sym *x = ck_Input(s, ck_shape_of(2, 4, C), CK_F32, "x");
    ck_sym *y = ck_call1(bn, x);
    cr_assert_not_null(y, "%s", ck_error());
    cr_expect(ck_shape_eq(ck_sym_shape(y), ck_shape_of(3, -1, 4, C)));
    const char *names[4] = {"gamma", "beta", "moving_mean", "moving_variance"};
    const float init[4] = {1, 0, 0, 1};
    cr_assert_eq(ck_layer_n_weights(bn), 4);
    for (int i = 0; i < 4; i++) {
        char full[64];
        snprintf(full, sizeof full, "batch_normalization/%s", names[i]);
        cr_expect_str_eq(ck_layer_weight(bn, i)->name, full);
        cr_expect_eq(ck_layer_weight(bn, i)->value.f[C - 1], init[i]);
        cr_expect_eq(ck_layer_weight_trainable(bn, i), i < 2, "%s", names[i]);
    }
    cr_expect_null(ck_layer_weight(bn, 2)->grad, "moving statistics have no gradient");
    cr_expect_eq(ck_layer_count_params(bn), 4 * C);
    cr_expect_eq(ck_layer_count_trainable_params(bn), 2 * C);
    char *config = ck_layer_get_config(bn);
    cr_expect(strstr(config, "\"axis\":-1,\"momentum\":0.99,\"epsilon\":0.001,\"center\":true,\"scale\":true"), "%s",
              config);
    free(config);
    /* center and scale off: only the moving statistics */
    ck_layer *bare = ck_BatchNormalization_ex(s, -1, 0.9, 1e-3f, 0, 0, NULL);
    cr_assert_not_null(ck_call1(bare, x));
    cr_expect_eq(ck_layer_n_weights(bare), 2);
    cr_expect_str_eq(ck_layer_weight(bare, 0)->name, "batch_normalization_1/moving_mean");
}

Test(normalization, batch_norm_errors)
{
    cr_expect_null(ck_BatchNormalization_ex(s, 0, 0.99, 1e-3f, 1, 1, NULL));
    cr_expect(strstr(ck_error(), "axis 0 is the batch"), "%s", ck_error());
    ck_error_clear();
    cr_expect_null(ck_BatchNormalization_ex(s, -1, 1.5, 1e-3f, 1, 1, NULL));
    cr_expect(strstr(ck_error(), "momentum must be in [0, 1]"), "%s", ck_error());
    ck_error_clear();
    ck_sym *x = ck_Input(s, ck_shape_of(1, 3), CK_F32, "x");
    cr_expect_null(ck_call1(ck_BatchNormalization_ex(s, 2, 0.99, 1e-3f, 1, 1, "bn"), x));
    cr_expect(strstr(ck_error(), "layer 'bn' (BatchNormalization): input (None, 3): axis 2 is out of range"), "%s",
              ck_error());
    ck_error_clear();
    ck_layer *shared = ck_BatchNormalization(s, "shared");
    cr_assert_not_null(ck_call1(shared, x));
    cr_expect_null(ck_call1(shared, ck_Input(s, ck_shape_of(1, 4), CK_F32, "x4")));
    cr_expect(strstr(ck_error(), "built for 3 channels on axis 1, got 4"), "%s", ck_error());
    ck_error_clear();
    cr_expect_null(ck_call1(ck_BatchNormalization(s, NULL), ck_Input(s, ck_shape_of(1, 3), CK_I32, "ids")));
    cr_expect(strstr(ck_error(), "int32 ids"), "%s", ck_error());
}

Test(normalization, batch_norm_training_output_and_moving_statistics)
{
    const float gamma[C] = {1.5f, -1, 0.5f}, beta[C] = {0.1f, 0.2f, -0.3f};
    ck_layer *bn = ck_BatchNormalization(s, NULL);
    ck_model *m = one_layer_model(bn, gamma, beta);
    ck_node *x = x_node();
    ck_node *y = ck_model_call(m, t, &x, 1, 1);
    cr_assert_not_null(y, "%s", ck_error());
    for (int c = 0; c < C; c++) {
        double mean, var;
        column_stats(c, &mean, &var);
        for (int b = 0; b < B; b++) {
            double want = gamma[c] * (X[b * C + c] - mean) / sqrt(var + EPS) + beta[c];
            cr_expect(fabs(y->value.f[b * C + c] - want) < 1e-5, "y[%d, %d] = %g, want %g", b, c,
                      (double)y->value.f[b * C + c], want);
        }
        /* moving = moving - (moving - batch) * (1 - 0.99), from 0 and 1 */
        cr_expect(fabs(ck_layer_weight(bn, 2)->value.f[c] - 0.01 * mean) < 1e-6);
        cr_expect(fabs(ck_layer_weight(bn, 3)->value.f[c] - (1 - 0.01 * (1 - var))) < 1e-6);
    }
}

Test(normalization, batch_norm_inference_uses_the_moving_statistics_and_does_not_update_them)
{
    const float gamma[C] = {2, 1, 0.5f}, beta[C] = {0, 1, -1};
    const float mm[C] = {0.5f, -0.25f, 1}, mv[C] = {4, 0.5f, 2};
    ck_layer *bn = ck_BatchNormalization(s, NULL);
    ck_model *m = one_layer_model(bn, gamma, beta);
    memcpy(ck_layer_weight(bn, 2)->value.f, mm, sizeof mm);
    memcpy(ck_layer_weight(bn, 3)->value.f, mv, sizeof mv);
    ck_tensor xt = ck_tensor_view(CK_F32, ck_shape_of(2, B, C), (void *)X);
    ck_tensor *y = ck_predict(m, &xt, 1, 2); /* batches of 2: the batch does not matter */
    cr_assert_not_null(y, "%s", ck_error());
    for (int k = 0; k < B * C; k++) {
        int c = k % C;
        double want = gamma[c] * (X[k] - mm[c]) / sqrt(mv[c] + EPS) + beta[c];
        cr_expect(fabs(y->f[k] - want) < 1e-5, "y[%d] = %g, want %g", k, (double)y->f[k], want);
    }
    cr_expect_eq(memcmp(ck_layer_weight(bn, 2)->value.f, mm, sizeof mm), 0);
    cr_expect_eq(memcmp(ck_layer_weight(bn, 3)->value.f, mv, sizeof mv), 0);
    ck_tensor_free(y);
}

/* loss = sum(y * w): the gradients of gamma, beta and x from the formulas,
 * in double, against backward. */
static const float W[B * C] = {1, -2, 0.5f, 0.25f, 1, -1, 2, 0.5f, 1.5f, -0.75f, 0.3f, 1, 0.6f, -1.2f, 0.9f};

static void expect_grad(const float *got, const double *want, int n, const char *what)
{
    for (int k = 0; k < n; k++)
        cr_expect(fabs(got[k] - want[k]) < 1e-4 * (1 + fabs(want[k])), "%s[%d] = %g, want %g", what, k, (double)got[k],
                  want[k]);
}

static void backward_weighted(ck_node *y)
{
    cr_assert_not_null(y, "%s", ck_error());
    cr_assert_eq(ck_backward_seed(t, y, W), 0, "%s", ck_error());
}

Test(normalization, batch_norm_training_gradients_match_the_formula)
{
    const float gamma[C] = {1.5f, -1, 0.5f}, beta[C] = {0.1f, 0.2f, -0.3f};
    ck_layer *bn = ck_BatchNormalization(s, NULL);
    ck_model *m = one_layer_model(bn, gamma, beta);
    ck_node *x = ck_param(ck_tensor_from_data(ck_shape_of(2, B, C), X), "x");
    ck_zero_grad((ck_node *[]){ck_layer_weight(bn, 0), ck_layer_weight(bn, 1)}, 2);
    backward_weighted(ck_model_call(m, t, &x, 1, 1));
    double dgamma[C], dbeta[C], dx[B * C];
    for (int c = 0; c < C; c++) {
        double mean, var, sum_w = 0, sum_w_xhat = 0;
        column_stats(c, &mean, &var);
        double rstd = 1 / sqrt(var + EPS);
        for (int b = 0; b < B; b++) {
            sum_w += W[b * C + c];
            sum_w_xhat += W[b * C + c] * (X[b * C + c] - mean) * rstd;
        }
        dgamma[c] = sum_w_xhat;
        dbeta[c] = sum_w;
        for (int b = 0; b < B; b++) {
            double xhat = (X[b * C + c] - mean) * rstd;
            dx[b * C + c] = gamma[c] * rstd * (W[b * C + c] - sum_w / B - xhat * sum_w_xhat / B);
        }
    }
    expect_grad(ck_layer_weight(bn, 0)->grad, dgamma, C, "dgamma");
    expect_grad(ck_layer_weight(bn, 1)->grad, dbeta, C, "dbeta");
    expect_grad(x->grad, dx, B * C, "dx");
    ck_param_free(x);
}

Test(normalization, batch_norm_inference_gradients_match_the_formula)
{
    const float gamma[C] = {2, 1, 0.5f}, beta[C] = {0, 1, -1}, mm[C] = {0.5f, -0.25f, 1}, mv[C] = {4, 0.5f, 2};
    ck_layer *bn = ck_BatchNormalization(s, NULL);
    ck_model *m = one_layer_model(bn, gamma, beta);
    memcpy(ck_layer_weight(bn, 2)->value.f, mm, sizeof mm);
    memcpy(ck_layer_weight(bn, 3)->value.f, mv, sizeof mv);
    ck_node *x = ck_param(ck_tensor_from_data(ck_shape_of(2, B, C), X), "x");
    ck_zero_grad((ck_node *[]){ck_layer_weight(bn, 0), ck_layer_weight(bn, 1)}, 2);
    backward_weighted(ck_model_call(m, t, &x, 1, 0));
    double dgamma[C] = {0}, dbeta[C] = {0}, dx[B * C];
    for (int k = 0; k < B * C; k++) {
        int c = k % C;
        double rstd = 1 / sqrt(mv[c] + EPS);
        dgamma[c] += W[k] * (X[k] - mm[c]) * rstd;
        dbeta[c] += W[k];
        dx[k] = W[k] * gamma[c] * rstd;
    }
    expect_grad(ck_layer_weight(bn, 0)->grad, dgamma, C, "dgamma");
    expect_grad(ck_layer_weight(bn, 1)->grad, dbeta, C, "dbeta");
    expect_grad(x->grad, dx, B * C, "dx");
    ck_param_free(x);
}

/* ck_gradcheck through the layer call (x, gamma, beta), training and not. */
typedef struct call_case {
    ck_model *m;
    int training;
} call_case;

static ck_node *run(ck_tape *tape, ck_node *const *in, int n, void *user)
{
    (void)n;
    call_case *c = user;
    return ck_model_call(c->m, tape, in, 1, c->training);
}

static void gradcheck_layer(ck_layer *l, ck_shape x_shape, uint64_t seed, int training)
{
    ck_rng r;
    ck_rng_seed(&r, seed);
    ck_shape per_sample = x_shape;
    per_sample.ndim--;
    for (int d = 0; d < per_sample.ndim; d++) per_sample.d[d] = x_shape.d[d + 1];
    ck_sym *xs = ck_Input(s, per_sample, CK_F32, NULL);
    ck_sym *y = ck_call1(l, xs);
    call_case c = {ck_Model(s, &xs, 1, &y, 1, NULL), training};
    cr_assert_not_null(c.m, "%s", ck_error());
    for (int i = 0; i < 2; i++) /* gamma and beta away from their 1 and 0 */
        for (int k = 0; k < ck_layer_weight(l, i)->value.size; k++)
            ck_layer_weight(l, i)->value.f[k] += 0.3f * (float)(k + 1);
    ck_node *p[3] = {ck_param(ck_tensor_uniform(x_shape, -1, 1, &r), "x"), ck_layer_weight(l, 0),
                     ck_layer_weight(l, 1)};
    ck_gradcheck_result res;
    cr_assert_eq(ck_gradcheck(run, &c, p, 3, 0, 0, 0, &res), 0, "%s", ck_error());
    cr_expect(res.ok, "%s: worst input %d [%ld]: analytic %g numeric %g", ck_layer_type(l), res.worst_input,
              res.worst_index, res.worst_analytic, res.worst_numeric);
    ck_param_free(p[0]);
}

Test(normalization, gradcheck_through_the_layers)
{
    gradcheck_layer(ck_BatchNormalization(s, NULL), ck_shape_of(2, 6, 3), 1, 1);
    gradcheck_layer(ck_BatchNormalization(s, NULL), ck_shape_of(3, 3, 2, 4), 2, 1);
    gradcheck_layer(ck_BatchNormalization_ex(s, 1, 0.99, 1e-3f, 1, 1, NULL), ck_shape_of(3, 3, 4, 2), 3, 1);
    gradcheck_layer(ck_BatchNormalization(s, NULL), ck_shape_of(2, 6, 3), 4, 0);
    gradcheck_layer(ck_LayerNormalization(s, NULL), ck_shape_of(2, 4, 5), 5, 1);
    gradcheck_layer(ck_LayerNormalization_ex(s, 1, 1e-3f, 1, 1, NULL), ck_shape_of(3, 2, 4, 3), 6, 1);
}

Test(normalization, layer_norm_output_weights_and_mask)
{
    const float gamma[C] = {1, 2, -1}, beta[C] = {0, 0.5f, 1};
    ck_layer *ln = ck_LayerNormalization(s, NULL);
    cr_assert_str_eq(ck_layer_name(ln), "layer_normalization");
    ck_model *m = one_layer_model(ln, gamma, beta);
    cr_expect_eq(ck_layer_n_weights(ln), 2);
    cr_expect_str_eq(ck_layer_weight(ln, 1)->name, "layer_normalization/beta");
    ck_node *x = x_node();
    ck_node *y = ck_model_call(m, t, &x, 1, 1);
    cr_assert_not_null(y, "%s", ck_error());
    for (int b = 0; b < B; b++) {
        double mean = 0, var = 0;
        for (int c = 0; c < C; c++) mean += X[b * C + c] / C;
        for (int c = 0; c < C; c++) var += (X[b * C + c] - mean) * (X[b * C + c] - mean) / C;
        for (int c = 0; c < C; c++) {
            double want = gamma[c] * (X[b * C + c] - mean) / sqrt(var + EPS) + beta[c];
            cr_expect(fabs(y->value.f[b * C + c] - want) < 1e-5, "y[%d, %d]", b, c);
        }
    }
    /* a mask passes through, as Keras's */
    ck_sym *ids = ck_Input(s, ck_shape_of(1, 4), CK_I32, "ids");
    ck_sym *e = ck_call1(ck_LayerNormalization(s, NULL), ck_call1(ck_Embedding(s, 5, 3, 1, NULL), ids));
    cr_expect(ck_sym_has_mask(e));
    ck_sym *bn = ck_call1(ck_BatchNormalization(s, NULL), ck_call1(ck_Embedding(s, 5, 3, 1, NULL), ids));
    cr_expect(ck_sym_has_mask(bn));
    cr_expect_null(ck_LayerNormalization_ex(s, 1, 0.0f, 1, 1, NULL), "epsilon must be > 0");
}
