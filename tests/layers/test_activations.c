/* Activations by Keras name through Dense and Activation, and the LeakyReLU
 * layer: values against formulas evaluated here in double. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ck_model.h"

static ck_session *s;
static void setup(void)
{
    s = ck_session_new(42);
    ck_error_clear();
}
static void teardown(void)
{
    ck_session_free(s);
    ck_error_clear();
}
TestSuite(activations, .init = setup, .fini = teardown);

enum { ROWS = 2, IN = 3, UNITS = 4 };
static const float x_data[ROWS * IN] = {0.5f, -1.0f, 2.0f, -1.5f, 0.25f, 1.0f};
static const float kernel[IN * UNITS] = {0.3f, -0.8f, 1.2f, 0.05f, -0.6f, 0.9f, 0.4f, -1.1f, 0.7f, 0.2f, -0.5f, 1.3f};
static const float bias[UNITS] = {0.1f, -0.2f, 0.0f, 0.3f};

/* z = x @ kernel + bias, in double */
static void pre_activation(double z[ROWS][UNITS])
{
    for (int r = 0; r < ROWS; r++)
        for (int u = 0; u < UNITS; u++) {
            z[r][u] = bias[u];
            for (int i = 0; i < IN; i++) z[r][u] += (double)x_data[r * IN + i] * kernel[i * UNITS + u];
        }
}

static double sigmoid(double v) { return 1 / (1 + exp(-v)); }

/* Keras's definition of each activation, elementwise (softmax apart). */
static double reference(const char *name, double v)
{
    const double selu_alpha = 1.6732632423543772848170429916717, selu_scale = 1.0507009873554804934193349852946;
    if (!name || !strcmp(name, "linear")) return v;
    if (!strcmp(name, "relu")) return v > 0 ? v : 0;
    if (!strcmp(name, "sigmoid")) return sigmoid(v);
    if (!strcmp(name, "tanh")) return tanh(v);
    if (!strcmp(name, "softplus")) return log(1 + exp(v));
    if (!strcmp(name, "softsign")) return v / (1 + fabs(v));
    if (!strcmp(name, "elu")) return v > 0 ? v : exp(v) - 1;
    if (!strcmp(name, "selu")) return selu_scale * (v > 0 ? v : selu_alpha * (exp(v) - 1));
    if (!strcmp(name, "gelu")) return 0.5 * v * (1 + erf(v / sqrt(2.0)));
    if (!strcmp(name, "swish") || !strcmp(name, "silu")) return v * sigmoid(v);
    if (!strcmp(name, "exponential")) return exp(v);
    cr_assert_fail("no reference for %s", name);
    return 0;
}

static void expected_output(const char *name, float out[ROWS * UNITS])
{
    double z[ROWS][UNITS];
    pre_activation(z);
    for (int r = 0; r < ROWS; r++) {
        double total = 0;
        for (int u = 0; u < UNITS; u++) total += exp(z[r][u]);
        for (int u = 0; u < UNITS; u++)
            out[r * UNITS + u] =
                (float)(name && !strcmp(name, "softmax") ? exp(z[r][u]) / total : reference(name, z[r][u]));
    }
}

/* Input(3) -> Dense(4, activation) with the weights above; predict x. */
static ck_tensor *dense_predict(const char *activation)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, IN), CK_F32, NULL);
    ck_layer *d = ck_Dense(s, UNITS, activation, NULL);
    ck_sym *y = ck_call1(d, x);
    cr_assert_not_null(y, "%s: %s", activation ? activation : "NULL", ck_error() ? ck_error() : "");
    memcpy(ck_layer_weight(d, 0)->value.f, kernel, sizeof kernel);
    memcpy(ck_layer_weight(d, 1)->value.f, bias, sizeof bias);
    ck_model *m = ck_Model(s, &x, 1, &y, 1, NULL);
    cr_assert_not_null(m, "%s", ck_error());
    ck_tensor in = ck_tensor_view(CK_F32, ck_shape_of(2, ROWS, IN), (void *)x_data);
    ck_tensor *p = ck_predict(m, &in, 1, ROWS);
    cr_assert_not_null(p, "%s", ck_error());
    return p;
}

static void expect_close(const char *what, const float *got, const float *want, int n)
{
    for (int k = 0; k < n; k++)
        cr_expect(fabsf(got[k] - want[k]) <= 2e-6f * (1.0f + fabsf(want[k])), "%s [%d]: %.8g, expected %.8g", what, k,
                  (double)got[k], (double)want[k]);
}

Test(activations, every_keras_name_through_dense)
{
    const char *names[] = {NULL,       "linear", "relu", "sigmoid", "tanh",  "softmax", "softplus",
                           "softsign", "elu",    "selu", "gelu",    "swish", "silu",    "exponential"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        float want[ROWS * UNITS];
        expected_output(names[i], want);
        ck_tensor *p = dense_predict(names[i]);
        cr_assert_eq(p->size, ROWS * UNITS);
        expect_close(names[i] ? names[i] : "NULL", p->f, want, ROWS * UNITS);
        ck_tensor_free(p);
    }
}

Test(activations, softmax_rows_sum_to_one_and_activation_layer_agrees)
{
    ck_tensor *p = dense_predict("softmax");
    for (int r = 0; r < ROWS; r++) {
        float total = 0;
        for (int u = 0; u < UNITS; u++) total += p->f[r * UNITS + u];
        cr_expect(fabsf(total - 1.0f) < 1e-6f, "row %d sums to %g", r, (double)total);
    }
    ck_tensor_free(p);
    /* Activation("gelu") after a linear Dense: the same as Dense(..., "gelu") */
    ck_sym *x = ck_Input(s, ck_shape_of(1, IN), CK_F32, NULL);
    ck_layer *d = ck_Dense(s, UNITS, NULL, NULL);
    ck_sym *y = ck_call1(ck_Activation(s, "gelu", NULL), ck_call1(d, x));
    cr_assert_not_null(y, "%s", ck_error());
    memcpy(ck_layer_weight(d, 0)->value.f, kernel, sizeof kernel);
    memcpy(ck_layer_weight(d, 1)->value.f, bias, sizeof bias);
    ck_model *m = ck_Model(s, &x, 1, &y, 1, NULL);
    ck_tensor in = ck_tensor_view(CK_F32, ck_shape_of(2, ROWS, IN), (void *)x_data);
    ck_tensor *q = ck_predict(m, &in, 1, ROWS);
    cr_assert_not_null(q, "%s", ck_error());
    float want[ROWS * UNITS];
    expected_output("gelu", want);
    expect_close("Activation(gelu)", q->f, want, ROWS * UNITS);
    ck_tensor_free(q);
}

Test(activations, unknown_name_lists_the_known_ones)
{
    /* Keras 2 has no "leaky_relu" activation by name: LeakyReLU is a layer */
    cr_assert_null(ck_Dense(s, 2, "leaky_relu", NULL));
    cr_expect_str_eq(ck_error(), "Dense: unknown activation 'leaky_relu' (known: linear, relu, sigmoid, tanh, softmax, "
                                 "softplus, softsign, elu, selu, gelu, swish, silu, exponential)");
    ck_error_clear();
    cr_assert_null(ck_Activation(s, "Relu", NULL)); /* names are case-sensitive, as in Keras */
    cr_expect(strstr(ck_error(), "Activation: unknown activation 'Relu' (known: linear, relu,"), "%s", ck_error());
}

Test(activations, softmax_of_a_1d_tensor_is_an_error)
{
    ck_sym *x = ck_Input(s, ck_shape_of(0), CK_F32, "x");
    cr_assert_null(ck_call1(ck_Activation(s, "softmax", "act"), x));
    cr_expect_str_eq(ck_error(),
                     "layer 'act' (Activation): input (None,): cannot apply softmax to a 1-D tensor (only the batch "
                     "dim), as Keras");
}

Test(activations, leaky_relu_layer)
{
    ck_layer *l = ck_LeakyReLU(s, 0.3f, NULL);
    cr_assert_not_null(l, "%s", ck_error());
    cr_expect_str_eq(ck_layer_name(l), "leaky_re_lu"); /* Keras's default name */
    cr_expect_str_eq(ck_layer_type(l), "LeakyReLU");
    cr_expect_str_eq(ck_layer_name(ck_LeakyReLU(s, 0.3f, NULL)), "leaky_re_lu_1");
    ck_sym *x = ck_Input(s, ck_shape_of(1, 4), CK_F32, "x");
    ck_sym *y = ck_call1(l, x);
    cr_assert_not_null(y, "%s", ck_error());
    cr_expect_eq(ck_layer_n_weights(l), 0);
    ck_model *m = ck_Model(s, &x, 1, &y, 1, NULL);
    cr_assert_not_null(m, "%s", ck_error());
    const float data[4] = {-2, -0.5f, 0, 3};
    ck_tensor in = ck_tensor_view(CK_F32, ck_shape_of(2, 1, 4), (void *)data);
    ck_tensor *p = ck_predict(m, &in, 1, 1);
    cr_assert_not_null(p, "%s", ck_error());
    expect_close("LeakyReLU(0.3)", p->f, (float[]){-0.6f, -0.15f, 0, 3}, 4);
    ck_tensor_free(p);
    cr_expect_null(ck_LeakyReLU(s, NAN, NULL));
    cr_expect_str_eq(ck_error(), "LeakyReLU: alpha must be a finite number, got nan");
}

Test(activations, leaky_relu_passes_the_mask_through)
{
    ck_sym *ids = ck_Input(s, ck_shape_of(1, 5), CK_I32, "ids");
    ck_sym *e = ck_call1(ck_Embedding(s, 10, 3, 1, NULL), ids);
    ck_sym *y = ck_call1(ck_LeakyReLU(s, 0.1f, NULL), e);
    cr_assert_not_null(y, "%s", ck_error());
    cr_expect(ck_sym_has_mask(y));
    ck_sym *z = ck_call1(ck_Activation(s, "selu", NULL), y);
    cr_assert_not_null(z, "%s", ck_error());
    cr_expect(ck_sym_has_mask(z));
}
