/* Every loss by its Keras formula, computed again here in double from the
 * formula (not from the library): values, Keras's clipping by 1e-7,
 * from_logits, label smoothing, sample weights, the gradients that matter
 * (crossentropy from logits: softmax - y), and the names compile accepts. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ck_model.h"

static void setup(void) { ck_error_clear(); }
TestSuite(losses, .init = setup);

/* Keras's clip bounds as float32 computes them */
static const double EPS = (double)1e-7f, ONE_MINUS_EPS = (double)(1.0f - 1e-7f);
static double clip(double p, double lo, double hi) { return p < lo ? lo : p > hi ? hi : p; }
static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
static double sigmoid(double x) { return 1 / (1 + exp(-x)); }

/* ck_loss_call on a (b, k) batch (k = 0: y_pred is (b,)); y_true may be
 * int32 ids (ids != NULL) or, with float_ids, (b,) float32 ids; grad
 * (b * k) gets d loss / d y_pred if given */
typedef struct batch {
    int b, k;
    const float *y_true;
    const int32_t *ids;
    const float *y_pred, *weights;
    int float_ids;
} batch;

static double run(ck_loss loss, batch in, float *grad)
{
    ck_tape *t = ck_tape_new();
    ck_shape ps = in.k ? ck_shape_of(2, in.b, in.k) : ck_shape_of(1, in.b);
    ck_tensor yt = in.ids         ? ck_tensor_view(CK_I32, ck_shape_of(1, in.b), (void *)in.ids)
                   : in.float_ids ? ck_tensor_view(CK_F32, ck_shape_of(1, in.b), (void *)in.y_true)
                                  : ck_tensor_view(CK_F32, ps, (void *)in.y_true);
    ck_tensor w = ck_tensor_view(CK_F32, ck_shape_of(1, in.b), (void *)in.weights);
    ck_node *pred = ck_param(ck_tensor_from_data(ps, in.y_pred), "y_pred");
    ck_node *value = ck_loss_call(t, &loss, ck_const(t, &yt), pred, in.weights ? ck_const(t, &w) : NULL);
    cr_assert_not_null(value, "%s", ck_error());
    cr_assert_eq(value->value.shape.ndim, 0);
    double v = value->value.f[0];
    if (grad) {
        cr_assert_eq(ck_backward(t, value), 0, "%s", ck_error());
        memcpy(grad, pred->grad, sizeof(float) * (size_t)pred->value.size);
    }
    ck_param_free(pred);
    ck_tape_free(t);
    return v;
}

#define NEAR(a, b) cr_assert(fabs((a) - (b)) <= 2e-6 * (1 + fabs(b)), "%.9g vs %.9g", (double)(a), (double)(b))

Test(losses, mean_squared_and_absolute_error)
{
    const float y[] = {1, 2, 3, 4}, p[] = {1.5f, 2, 2, 5};
    batch in = {.b = 2, .k = 2, .y_true = y, .y_pred = p};
    /* squared errors .25 0 | 1 1: per sample .125, 1 */
    NEAR(run((ck_loss){.name = "mse"}, in, NULL), (0.25 + 0 + 1 + 1) / 4);
    NEAR(run((ck_loss){.name = "MSE"}, in, NULL), 0.5625);
    NEAR(run(ck_MeanAbsoluteError(), in, NULL), (0.5 + 0 + 1 + 1) / 4);
    /* weighted: sum(w * per_sample) / 2 */
    const float w[] = {2, 0.5f};
    in.weights = w;
    NEAR(run((ck_loss){.name = "mean_squared_error"}, in, NULL), (2 * 0.125 + 0.5 * 1.0) / 2);
    NEAR(run((ck_loss){.name = "mae"}, in, NULL), (2 * 0.25 + 0.5 * 1.0) / 2);
}

Test(losses, mse_gradient_is_2_error_over_n)
{
    const float y[] = {1, 2, 3, 4}, p[] = {1.5f, 2, 2, 5};
    float g[4];
    run((ck_loss){.name = "mse"}, (batch){.b = 2, .k = 2, .y_true = y, .y_pred = p}, g);
    for (int k = 0; k < 4; k++) NEAR(g[k], 2.0 * (p[k] - y[k]) / 4);
}

Test(losses, percentage_and_logarithmic_errors)
{
    /* 100 * mean(|y - p| / max(|y|, eps)): .5, .25 | a zero target divides by eps */
    const float y[] = {2, -4, 0, 1}, p[] = {1, -5, 0.5f, 1};
    batch in = {.b = 2, .k = 2, .y_true = y, .y_pred = p};
    double zero_target = 0.5 / EPS;
    NEAR(run((ck_loss){.name = "mape"}, in, NULL), 100 * ((0.5 + 0.25) / 2 + (zero_target + 0) / 2) / 2);
    /* mean((log(max(p, eps) + 1) - log(max(y, eps) + 1))^2) */
    const float ys[] = {1, 0}, ps[] = {3, -1};
    double d0 = log(4.0) - log(2.0), d1 = log(EPS + 1) - log(EPS + 1);
    NEAR(run((ck_loss){.name = "msle"}, (batch){.b = 1, .k = 2, .y_true = ys, .y_pred = ps}, NULL),
         (d0 * d0 + d1 * d1) / 2);
}

Test(losses, huber_quadratic_then_linear)
{
    const float y[] = {0, 0, 0}, p[] = {0.5f, 2, -3};
    batch in = {.b = 1, .k = 3, .y_true = y, .y_pred = p};
    /* delta 1: .5 e^2 inside, delta |e| - .5 delta^2 outside */
    NEAR(run((ck_loss){.name = "huber"}, in, NULL), (0.125 + (2 - 0.5) + (3 - 0.5)) / 3);
    /* delta 2: e = .5 and 2 are inside, 3 outside */
    NEAR(run(ck_Huber(2.0f), in, NULL), (0.125 + 2.0 + (2 * 3 - 2)) / 3);
}

Test(losses, log_cosh)
{
    const float y[] = {0, 1}, p[] = {0.5f, -2};
    NEAR(run((ck_loss){.name = "logcosh"}, (batch){.b = 1, .k = 2, .y_true = y, .y_pred = p}, NULL),
         (log(cosh(0.5)) + log(cosh(-3.0))) / 2);
    /* no overflow far out: log cosh(100) = 100 - log 2 */
    const float far[] = {100};
    NEAR(run((ck_loss){.name = "log_cosh"}, (batch){.b = 1, .k = 1, .y_true = y, .y_pred = far}, NULL), 100 - log(2.0));
}

/* Keras 2: p = clip(p, eps, 1 - eps); -(y log(p + eps) + (1 - y) log(1 - p + eps)) */
static double bce(double y, double p)
{
    p = clip((float)p, EPS, ONE_MINUS_EPS);
    return -(y * log(p + EPS) + (1 - y) * log(1 - p + EPS));
}

Test(losses, binary_crossentropy_clips_probabilities_at_1e7)
{
    const float y[] = {1, 0, 1, 0}, p[] = {0.9f, 0.2f, 0.0f, 1.0f};
    double want = (bce(1, 0.9f) + bce(0, 0.2f) + bce(1, 0) + bce(0, 1)) / 4;
    NEAR(run((ck_loss){.name = "binary_crossentropy"}, (batch){.b = 1, .k = 4, .y_true = y, .y_pred = p}, NULL), want);
    /* p = 0 with y = 1: -log(1e-7 + 1e-7), finite */
    NEAR(bce(1, 0), -log(2 * EPS));
    /* outside the clip range the gradient is 0 (TF's clip_by_value) */
    float g[4];
    run((ck_loss){.name = "binary_crossentropy"}, (batch){.b = 1, .k = 4, .y_true = y, .y_pred = p}, g);
    cr_assert_eq(g[2], 0.0f);
    cr_assert_eq(g[3], 0.0f);
    NEAR(g[0], -1.0 / (0.9f + EPS) / 4); /* d/dp of -log(p + eps), over 4 values */
}

Test(losses, binary_crossentropy_label_smoothing_and_logits)
{
    const float y[] = {1, 0, 1}, p[] = {0.9f, 0.2f, 0.6f}, z[] = {2, -1, 0};
    /* y' = y (1 - .2) + .1 */
    double want = (bce(0.9, 0.9f) + bce(0.1, 0.2f) + bce(0.9, 0.6f)) / 3;
    NEAR(run(ck_BinaryCrossentropy(0, 0.2f), (batch){.b = 1, .k = 3, .y_true = y, .y_pred = p}, NULL), want);
    /* from logits: softplus(z) - z y, and the gradient (sigmoid(z) - y) / n */
    float g[3];
    want = (softplus(2) - 2 + softplus(-1) + softplus(0)) / 3;
    NEAR(run(ck_BinaryCrossentropy(1, 0), (batch){.b = 1, .k = 3, .y_true = y, .y_pred = z}, g), want);
    for (int k = 0; k < 3; k++) NEAR(g[k], (sigmoid(z[k]) - y[k]) / 3);
    /* logits and smoothing together */
    want = (softplus(2) - 2 * 0.9 + softplus(-1) + 1 * 0.1 + softplus(0)) / 3;
    NEAR(run(ck_BinaryCrossentropy(1, 0.2f), (batch){.b = 1, .k = 3, .y_true = y, .y_pred = z}, NULL), want);
    /* far logits stay finite */
    const float big[] = {100, -100, 0};
    NEAR(run(ck_BinaryCrossentropy(1, 0), (batch){.b = 1, .k = 3, .y_true = y, .y_pred = big}, NULL),
         (0 + 0 + log(2.0)) / 3);
}

Test(losses, categorical_crossentropy_normalises_and_clips)
{
    const float y[] = {0, 1, 0, 0, 1, 0}, p[] = {0.2f, 0.5f, 0.3f, 1, 0, 0};
    /* second sample: the target's probability 0 is clipped to 1e-7 */
    NEAR(run((ck_loss){.name = "categorical_crossentropy"}, (batch){.b = 2, .k = 3, .y_true = y, .y_pred = p}, NULL),
         (-log(0.5) - log(EPS)) / 2);
    /* unnormalised rows are divided by their sum first: (1, 2, 1) -> .5 */
    const float q[] = {1, 2, 1};
    NEAR(run((ck_loss){.name = "categorical_crossentropy"}, (batch){.b = 1, .k = 3, .y_true = y, .y_pred = q}, NULL),
         -log(0.5));
    /* smoothing .3 over 3 classes: y' = y * .7 + .1 */
    NEAR(run(ck_CategoricalCrossentropy(0, 0.3f), (batch){.b = 1, .k = 3, .y_true = y, .y_pred = p}, NULL),
         -(0.1 * log(0.2) + 0.8 * log(0.5) + 0.1 * log(0.3)));
}

Test(losses, categorical_crossentropy_from_logits_gradient_is_softmax_minus_y)
{
    const float y[] = {0, 0, 1, 1, 0, 0}, z[] = {1, 2, 3, 0, 0, 0};
    double lse0 = log(exp(1.0) + exp(2.0) + exp(3.0)), lse1 = log(3.0);
    float g[6];
    NEAR(run(ck_CategoricalCrossentropy(1, 0), (batch){.b = 2, .k = 3, .y_true = y, .y_pred = z}, g),
         ((lse0 - 3) + (lse1 - 0)) / 2);
    for (int k = 0; k < 6; k++) {
        double softmax = exp(z[k] - (k < 3 ? lse0 : lse1));
        NEAR(g[k], (softmax - y[k]) / 2);
    }
}

Test(losses, sparse_categorical_crossentropy_takes_int32_ids)
{
    const int32_t ids[] = {2, 0};
    const float z[] = {1, 2, 3, 0, 0, 0}, p[] = {0.2f, 0.3f, 0.5f, 0.25f, 0.25f, 0.5f};
    double lse0 = log(exp(1.0) + exp(2.0) + exp(3.0));
    float g[6];
    NEAR(run(ck_SparseCategoricalCrossentropy(1), (batch){.b = 2, .k = 3, .ids = ids, .y_pred = z}, g),
         ((lse0 - 3) + log(3.0)) / 2);
    for (int k = 0; k < 6; k++) {
        double softmax = k < 3 ? exp(z[k] - lse0) : 1.0 / 3, onehot = (k == 2 || k == 3);
        NEAR(g[k], (softmax - onehot) / 2);
    }
    /* probabilities: -log(p[id]) */
    NEAR(run((ck_loss){.name = "sparse_categorical_crossentropy"}, (batch){.b = 2, .k = 3, .ids = ids, .y_pred = p},
             NULL),
         (-log(0.5) - log(0.25)) / 2);
    /* ids as whole float32 numbers, weighted */
    const float fids[] = {2, 0}, w[] = {1, 3};
    NEAR(run((ck_loss){.name = "sparse_categorical_crossentropy"},
             (batch){.b = 2, .k = 3, .y_true = fids, .y_pred = p, .weights = w, .float_ids = 1}, NULL),
         (-log(0.5) - 3 * log(0.25)) / 2);
    /* an id out of range is refused, naming it */
    const int32_t bad[] = {3, 0};
    ck_tape *t = ck_tape_new();
    ck_tensor tb = ck_tensor_view(CK_I32, ck_shape_of(1, 2), (void *)bad),
              tp = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 3), (void *)p);
    cr_assert_null(ck_loss_call(t, &(ck_loss){.name = "sparse_categorical_crossentropy"}, ck_const(t, &tb),
                                ck_const(t, &tp), NULL));
    cr_assert(strstr(ck_error(), "class id 3"), "%s", ck_error());
    ck_tape_free(t);
}

Test(losses, kl_divergence_and_poisson)
{
    const float y[] = {0.5f, 0.5f, 0, 1}, p[] = {0.25f, 0.75f, 0.5f, 0.5f};
    /* sum(clip(y) log(clip(y) / clip(p))): y = 0 is clipped to 1e-7 */
    double kl0 = 0.5 * log(0.5 / 0.25) + 0.5 * log(0.5 / 0.75), kl1 = EPS * log(EPS / 0.5) + log(1 / 0.5);
    for (const char *const *n =
             (const char *const[]){"kld", "KLD", "kl_divergence", "kullback_leibler_divergence", NULL};
         *n; n++)
        NEAR(run((ck_loss){.name = *n}, (batch){.b = 2, .k = 2, .y_true = y, .y_pred = p}, NULL), (kl0 + kl1) / 2);
    /* mean(p - y log(p + eps)) */
    const float yp[] = {1, 2}, pp[] = {2, 0.5f};
    NEAR(run(ck_Poisson(), (batch){.b = 1, .k = 2, .y_true = yp, .y_pred = pp}, NULL),
         ((2 - log(2 + EPS)) + (0.5 - 2 * log(0.5 + EPS))) / 2);
}

Test(losses, hinge_maps_01_labels_to_pm1)
{
    const float y01[] = {0, 1}, ypm[] = {-1, 1}, p[] = {0.3f, 0.4f};
    /* -1: max(1 + .3, 0) = 1.3; 1: max(1 - .4, 0) = .6 */
    NEAR(run(ck_Hinge(), (batch){.b = 1, .k = 2, .y_true = y01, .y_pred = p}, NULL), (1.3 + 0.6) / 2);
    NEAR(run(ck_Hinge(), (batch){.b = 1, .k = 2, .y_true = ypm, .y_pred = p}, NULL), (1.3 + 0.6) / 2);
    NEAR(run(ck_SquaredHinge(), (batch){.b = 1, .k = 2, .y_true = y01, .y_pred = p}, NULL),
         (1.3 * 1.3 + 0.6 * 0.6) / 2);
    /* labels that are not all 0/1 are used as they are: y = 2 */
    const float y2[] = {0, 2};
    NEAR(run(ck_Hinge(), (batch){.b = 1, .k = 2, .y_true = y2, .y_pred = p}, NULL), (1.0 + 0.2) / 2);
}

static ck_node *half_abs_error(ck_tape *t, ck_node *y_true, ck_node *y_pred, void *user)
{
    float scale = *(const float *)user;
    return ck_scale(t, ck_mean(t, ck_abs(t, ck_sub(t, y_pred, y_true)), -1, 0), scale);
}

Test(losses, user_loss_is_reduced_like_the_built_in_ones)
{
    const float y[] = {1, 2, 3, 4}, p[] = {1.5f, 2, 2, 5}, w[] = {2, 0.5f};
    float half = 0.5f;
    NEAR(run(ck_custom_loss(half_abs_error, &half, "half_mae"),
             (batch){.b = 2, .k = 2, .y_true = y, .y_pred = p, .weights = w}, NULL),
         0.5 * (2 * 0.25 + 0.5 * 1.0) / 2);
}

Test(losses, names_are_keras_names_in_any_case)
{
    const float y[] = {1}, p[] = {3};
    static const char *const names[] = {"mean_squared_error", "mse", "MSE", "MeanSquaredError", "Mean_Squared_Error"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        NEAR(run((ck_loss){.name = names[i]}, (batch){.b = 1, .k = 1, .y_true = y, .y_pred = p}, NULL), 4.0);
    static const char *const others[] = {"mae",     "MAE",   "mape",          "MAPE",        "msle",
                                         "MSLE",    "huber", "log_cosh",      "logcosh",     "BinaryCrossentropy",
                                         "poisson", "hinge", "squared_hinge", "KLDivergence"};
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        ck_tape *t = ck_tape_new();
        ck_tensor ty = ck_tensor_view(CK_F32, ck_shape_of(2, 1, 1), (void *)y);
        cr_assert_not_null(ck_loss_call(t, &(ck_loss){.name = others[i]}, ck_const(t, &ty), ck_const(t, &ty), NULL),
                           "%s: %s", others[i], ck_error());
        ck_tape_free(t);
    }
    ck_tape *t = ck_tape_new();
    ck_tensor ty = ck_tensor_view(CK_F32, ck_shape_of(2, 1, 1), (void *)y);
    cr_assert_null(ck_loss_call(t, &(ck_loss){.name = "cosine"}, ck_const(t, &ty), ck_const(t, &ty), NULL));
    cr_assert(strstr(ck_error(), "unknown loss 'cosine'"), "%s", ck_error());
    ck_tape_free(t);
}
