/* Every optimizer's update over several steps with changing gradients,
 * against Keras 2.11+'s update_step written out again here in double
 * (tf_keras/optimizers/, one file per class), to float rounding; clipnorm, global_clipnorm,
 * clipvalue and weight decay as the base Optimizer applies them; the
 * learning rate set between steps keeps the state. The optimizer is driven
 * directly (attach once as compile does, then one apply per step) with
 * gradients written into the weights. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ck_model_internal.h"

enum { N = 4, STEPS = 5 };
static const float W0[N] = {0.5f, -1.0f, 2.0f, 0.25f};

/* Changing sign and size from step to step; the last steps are small so
 * that amsgrad's v_hat differs from v. */
static float grad_at(int t, int k)
{
    double size = t <= 2 ? 1.5 : 0.2;
    return (float)(size * (k + 1) * sin(1.3 * k + 0.9 * t + 0.4));
}

/* Keras's settings for one run; the reference reads only what it needs. */
typedef struct hp {
    double lr, b1, b2, eps, rho, momentum, wd, init;
    int nesterov, centered, amsgrad;
    double clipnorm, clipvalue;
} hp;

/* the reference's weights and state arrays (a, b, c in each formula's order) */
typedef struct ref {
    double w[N], a[N], b[N], c[N];
    double u_product;
} ref;
typedef void (*ref_step)(ref *r, const double *g, int t, const hp *h);

/* ---- the Keras formulas (dense update_step), t = iterations + 1 ---- */

static void ref_sgd(ref *r, const double *g, int t, const hp *h)
{
    (void)t;
    for (int k = 0; k < N; k++) {
        if (h->momentum > 0) {
            r->a[k] = -g[k] * h->lr + r->a[k] * h->momentum;
            r->w[k] += h->nesterov ? -g[k] * h->lr + r->a[k] * h->momentum : r->a[k];
        } else
            r->w[k] += -g[k] * h->lr;
    }
}

static void ref_rmsprop(ref *r, const double *g, int t, const hp *h)
{
    (void)t;
    for (int k = 0; k < N; k++) {
        r->a[k] = h->rho * r->a[k] + (1 - h->rho) * g[k] * g[k];
        double denominator = r->a[k] + h->eps;
        if (h->centered) {
            r->c[k] = h->rho * r->c[k] + (1 - h->rho) * g[k];
            denominator = r->a[k] - r->c[k] * r->c[k] + h->eps;
        }
        double increment = h->lr * g[k] / sqrt(denominator);
        if (h->momentum > 0) {
            r->b[k] = h->momentum * r->b[k] + increment;
            r->w[k] -= r->b[k];
        } else
            r->w[k] -= increment;
    }
}

static void ref_adagrad(ref *r, const double *g, int t, const hp *h)
{
    for (int k = 0; k < N; k++) {
        if (t == 1) r->a[k] = h->init;
        r->a[k] += g[k] * g[k];
        r->w[k] -= h->lr * g[k] / sqrt(r->a[k] + h->eps);
    }
}

static void ref_adam(ref *r, const double *g, int t, const hp *h)
{
    double alpha = h->lr * sqrt(1 - pow(h->b2, t)) / (1 - pow(h->b1, t));
    for (int k = 0; k < N; k++) {
        r->a[k] += (g[k] - r->a[k]) * (1 - h->b1);
        r->b[k] += (g[k] * g[k] - r->b[k]) * (1 - h->b2);
        double v = r->b[k];
        if (h->amsgrad) v = r->c[k] = fmax(r->c[k], r->b[k]);
        r->w[k] -= (r->a[k] * alpha) / (sqrt(v) + h->eps);
    }
}

static void ref_adamax(ref *r, const double *g, int t, const hp *h)
{
    for (int k = 0; k < N; k++) {
        r->a[k] += (g[k] - r->a[k]) * (1 - h->b1);
        r->b[k] = fmax(h->b2 * r->b[k], fabs(g[k]));
        r->w[k] -= (h->lr * r->a[k]) / ((1 - pow(h->b1, t)) * (r->b[k] + h->eps));
    }
}

static void ref_nadam(ref *r, const double *g, int t, const hp *h)
{
    double u_t = h->b1 * (1 - 0.5 * pow(0.96, t)), u_t_1 = h->b1 * (1 - 0.5 * pow(0.96, t + 1));
    if (t == 1) r->u_product = 1;
    r->u_product *= u_t;
    double u_product_t_1 = r->u_product * u_t_1;
    for (int k = 0; k < N; k++) {
        r->a[k] += (g[k] - r->a[k]) * (1 - h->b1);
        r->b[k] += (g[k] * g[k] - r->b[k]) * (1 - h->b2);
        double m_hat = u_t_1 * r->a[k] / (1 - u_product_t_1) + (1 - u_t) * g[k] / (1 - r->u_product);
        double v_hat = r->b[k] / (1 - pow(h->b2, t));
        r->w[k] -= (m_hat * h->lr) / (sqrt(v_hat) + h->eps);
    }
}

/* The base Optimizer before update_step: clip (clipnorm wins over
 * clipvalue), then w -= w * wd * lr. */
static void ref_before(ref *r, double *g, const hp *h)
{
    double sum = 0;
    for (int k = 0; k < N; k++) sum += g[k] * g[k];
    for (int k = 0; k < N; k++) {
        if (h->clipnorm > 0)
            g[k] = g[k] * h->clipnorm / fmax(sqrt(sum), h->clipnorm);
        else if (h->clipvalue > 0)
            g[k] = fmin(fmax(g[k], -h->clipvalue), h->clipvalue);
        r->w[k] -= r->w[k] * h->wd * h->lr;
    }
}

/* ---- the driver ---- */

static ck_node *new_weight(const float *w0, int n, const char *name)
{
    ck_node *p = ck_param(ck_tensor_from_data(ck_shape_of(1, n), w0), name);
    cr_assert_not_null(p, "%s", ck_error());
    return p;
}

/* STEPS steps of o against the reference; returns the reference's state */
static ref run_against(ck_optimizer *o, ref_step step, const hp *h, double tolerance)
{
    cr_assert_not_null(o, "%s", ck_error());
    ck_node *p = new_weight(W0, N, "w");
    cr_assert_eq(ck_optimizer_attach(o, &p, 1), 0, "%s", ck_error());
    ref r = {0};
    for (int k = 0; k < N; k++) r.w[k] = W0[k];
    for (int t = 1; t <= STEPS; t++) {
        double g[N];
        for (int k = 0; k < N; k++) g[k] = p->grad[k] = grad_at(t, k);
        ck_optimizer_apply(o, &p);
        ref_before(&r, g, h);
        step(&r, g, t, h);
        for (int k = 0; k < N; k++) {
            double error = fabs(p->value.f[k] - r.w[k]);
            cr_assert(error <= tolerance * fmax(1.0, fabs(r.w[k])), "%s step %d, w[%d]: %.9g, Keras %.9g",
                      ck_optimizer_name(o), t, k, (double)p->value.f[k], r.w[k]);
            cr_assert_eq(p->grad[k], 0.0f, "the step consumes the gradient");
        }
    }
    cr_assert_eq(ck_optimizer_iterations(o), STEPS);
    /* the weights really moved: the comparison above was not vacuous */
    double moved = 0;
    for (int k = 0; k < N; k++) moved += fabs(r.w[k] - W0[k]);
    cr_assert_gt(moved, 0.05);
    ck_param_free(p);
    ck_optimizer_free(o);
    return r;
}

/* float32 rounding over a few steps of O(1) values */
static const double TOL = 1e-6;

static void setup(void) { ck_error_clear(); }
TestSuite(optimizers, .init = setup, .fini = setup);

Test(optimizers, sgd_plain_momentum_and_nesterov)
{
    run_against(ck_SGD(0.1f, 0), ref_sgd, &(hp){.lr = 0.1}, TOL);
    run_against(ck_SGD(0.1f, 0.9f), ref_sgd, &(hp){.lr = 0.1, .momentum = 0.9}, TOL);
    run_against(ck_optimizer_with(ck_SGD(0.1f, 0.9f), &(ck_optimizer_args){.nesterov = 1}), ref_sgd,
                &(hp){.lr = 0.1, .momentum = 0.9, .nesterov = 1}, TOL);
}

Test(optimizers, rmsprop_defaults_momentum_and_centered)
{
    const hp defaults = {.lr = 0.05, .rho = 0.9, .eps = 1e-7};
    run_against(ck_RMSprop(0.05f), ref_rmsprop, &defaults, TOL);
    /* a large epsilon makes its place (inside the square root) visible */
    run_against(ck_RMSprop_ex(0.05f, 0.8f, 0.5f, 0.3f), ref_rmsprop,
                &(hp){.lr = 0.05, .rho = 0.8, .momentum = 0.5, .eps = 0.3}, TOL);
    run_against(ck_optimizer_with(ck_RMSprop(0.05f), &(ck_optimizer_args){.centered = 1}), ref_rmsprop,
                &(hp){.lr = 0.05, .rho = 0.9, .eps = 1e-7, .centered = 1}, TOL);
    run_against(ck_optimizer_with(ck_RMSprop_ex(0.05f, 0.8f, 0.5f, 0.3f), &(ck_optimizer_args){.centered = 1}),
                ref_rmsprop, &(hp){.lr = 0.05, .rho = 0.8, .momentum = 0.5, .eps = 0.3, .centered = 1}, TOL);
}

Test(optimizers, adagrad_accumulator_starts_at_its_initial_value)
{
    run_against(ck_Adagrad(0.1f), ref_adagrad, &(hp){.lr = 0.1, .init = 0.1, .eps = 1e-7}, TOL);
    run_against(ck_Adagrad_ex(0.1f, 0.5f, 0.2f), ref_adagrad, &(hp){.lr = 0.1, .init = 0.5, .eps = 0.2}, TOL);
}

Test(optimizers, adam_and_amsgrad)
{
    const hp adam = {.lr = 0.1, .b1 = 0.9, .b2 = 0.999, .eps = 1e-7};
    run_against(ck_Adam(0.1f), ref_adam, &adam, TOL);
    run_against(ck_Adam_ex(0.1f, 0.8f, 0.99f, 0.1f), ref_adam, &(hp){.lr = 0.1, .b1 = 0.8, .b2 = 0.99, .eps = 0.1},
                TOL);
    /* beta_2 0.9: v forgets the large early gradients within the run */
    ref r = run_against(ck_optimizer_with(ck_Adam_ex(0.1f, 0.9f, 0.9f, 1e-7f), &(ck_optimizer_args){.amsgrad = 1}),
                        ref_adam, &(hp){.lr = 0.1, .b1 = 0.9, .b2 = 0.9, .eps = 1e-7, .amsgrad = 1}, TOL);
    int differs = 0; /* v_hat held an earlier, larger v: amsgrad mattered */
    for (int k = 0; k < N; k++) differs |= r.c[k] > r.b[k] * 1.2;
    cr_assert(differs);
}

Test(optimizers, adam_is_bit_for_bit_its_float_formula)
{
    /* the FM's results depend on this arithmetic: lr_t in double, then
     * m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g g; w -= lr_t m / (sqrt(v) + eps) in float */
    ck_optimizer *o = ck_Adam(0.01f);
    ck_node *p = new_weight(W0, N, "w");
    cr_assert_eq(ck_optimizer_attach(o, &p, 1), 0);
    float w[N], m[N] = {0}, v[N] = {0};
    const float b1 = 0.9f, b2 = 0.999f, eps = 1e-7f;
    memcpy(w, W0, sizeof w);
    for (int t = 1; t <= STEPS; t++) {
        float lr_t = (float)(0.01f * sqrt(1.0 - pow(b2, t)) / (1.0 - pow(b1, t)));
        for (int k = 0; k < N; k++) {
            float g = p->grad[k] = grad_at(t, k);
            m[k] = b1 * m[k] + (1.0f - b1) * g;
            v[k] = b2 * v[k] + (1.0f - b2) * g * g;
            w[k] -= lr_t * m[k] / (sqrtf(v[k]) + eps);
        }
        ck_optimizer_apply(o, &p);
        for (int k = 0; k < N; k++) cr_assert_eq(p->value.f[k], w[k], "step %d, w[%d]", t, k);
    }
    ck_param_free(p);
    ck_optimizer_free(o);
}

Test(optimizers, adamw_decay_is_decoupled)
{
    run_against(ck_AdamW(0.1f, CK_ADAMW_WEIGHT_DECAY), ref_adam,
                &(hp){.lr = 0.1, .b1 = 0.9, .b2 = 0.999, .eps = 1e-7, .wd = 0.004}, TOL);
    run_against(ck_AdamW_ex(0.1f, 0.5f, 0.8f, 0.99f, 0.1f), ref_adam,
                &(hp){.lr = 0.1, .b1 = 0.8, .b2 = 0.99, .eps = 0.1, .wd = 0.5}, TOL);
    /* zero gradients: Adam's step is 0, only the decay acts, w (1 - wd lr)^t
     * exactly; an L2 term in the gradient would instead move w by about lr
     * per step through Adam's normalisation */
    ck_optimizer *o = ck_AdamW(0.1f, 0.5f);
    cr_assert_str_eq(ck_optimizer_name(o), "AdamW");
    ck_node *p = new_weight(W0, N, "w");
    cr_assert_eq(ck_optimizer_attach(o, &p, 1), 0);
    for (int t = 1; t <= 3; t++) {
        ck_optimizer_apply(o, &p);
        for (int k = 0; k < N; k++)
            cr_assert_float_eq(p->value.f[k], W0[k] * pow(1 - 0.5 * 0.1, t), 1e-6, "step %d", t);
    }
    ck_param_free(p);
    ck_optimizer_free(o);
}

Test(optimizers, adamax)
{
    run_against(ck_Adamax(0.1f), ref_adamax, &(hp){.lr = 0.1, .b1 = 0.9, .b2 = 0.999, .eps = 1e-7}, TOL);
    run_against(ck_Adamax_ex(0.1f, 0.7f, 0.9f, 0.3f), ref_adamax, &(hp){.lr = 0.1, .b1 = 0.7, .b2 = 0.9, .eps = 0.3},
                TOL);
}

Test(optimizers, nadam)
{
    run_against(ck_Nadam(0.1f), ref_nadam, &(hp){.lr = 0.1, .b1 = 0.9, .b2 = 0.999, .eps = 1e-7}, TOL);
    run_against(ck_Nadam_ex(0.1f, 0.7f, 0.9f, 0.3f), ref_nadam, &(hp){.lr = 0.1, .b1 = 0.7, .b2 = 0.9, .eps = 0.3},
                TOL);
}

Test(optimizers, weight_decay_for_any_optimizer)
{
    run_against(ck_optimizer_with(ck_SGD(0.1f, 0.9f), &(ck_optimizer_args){.weight_decay = 0.3f}), ref_sgd,
                &(hp){.lr = 0.1, .momentum = 0.9, .wd = 0.3}, TOL);
    run_against(ck_optimizer_with(ck_RMSprop(0.05f), &(ck_optimizer_args){.weight_decay = 0.3f}), ref_rmsprop,
                &(hp){.lr = 0.05, .rho = 0.9, .eps = 1e-7, .wd = 0.3}, TOL);
}

Test(optimizers, clipnorm_and_clipvalue_per_weight)
{
    /* the step-1 gradients have norm ~6.4 and the later ones ~0.9: clipnorm
     * 1.0 clips some steps and leaves others */
    run_against(ck_optimizer_with(ck_SGD(0.1f, 0.5f), &(ck_optimizer_args){.clipnorm = 1.0f}), ref_sgd,
                &(hp){.lr = 0.1, .momentum = 0.5, .clipnorm = 1.0}, TOL);
    run_against(ck_optimizer_with(ck_Adam(0.1f), &(ck_optimizer_args){.clipvalue = 0.5f}), ref_adam,
                &(hp){.lr = 0.1, .b1 = 0.9, .b2 = 0.999, .eps = 1e-7, .clipvalue = 0.5}, TOL);
    /* Keras applies clipnorm and then no clipvalue */
    run_against(ck_optimizer_with(ck_SGD(0.1f, 0), &(ck_optimizer_args){.clipnorm = 1.0f, .clipvalue = 0.01f}), ref_sgd,
                &(hp){.lr = 0.1, .clipnorm = 1.0}, TOL);
    /* and the decay after the clipping */
    run_against(ck_optimizer_with(ck_AdamW(0.1f, 0.2f), &(ck_optimizer_args){.clipnorm = 0.5f}), ref_adam,
                &(hp){.lr = 0.1, .b1 = 0.9, .b2 = 0.999, .eps = 1e-7, .wd = 0.2, .clipnorm = 0.5}, TOL);
}

Test(optimizers, clipnorm_is_per_weight_global_clipnorm_over_all)
{
    /* two weights: a = (3, 4) (norm 5), b = (0.6, 0.8) (norm 1); SGD lr 1 */
    const float a0[2] = {0, 0}, b0[2] = {0, 0}, ga[2] = {3, 4}, gb[2] = {0.6f, 0.8f};
    for (int global = 0; global <= 1; global++) {
        ck_optimizer_args args = {.clipnorm = global ? 0 : 2.0f, .global_clipnorm = global ? 2.0f : 0};
        ck_optimizer *o = ck_optimizer_with(ck_SGD(1.0f, 0), &args);
        ck_node *p[2] = {new_weight(a0, 2, "a"), new_weight(b0, 2, "b")};
        cr_assert_eq(ck_optimizer_attach(o, p, 2), 0);
        memcpy(p[0]->grad, ga, sizeof ga);
        memcpy(p[1]->grad, gb, sizeof gb);
        ck_optimizer_apply(o, p);
        /* per weight: a scaled by 2/5, b (norm 1 <= 2) kept;
         * global: norm sqrt(25 + 1), both scaled by 2 / sqrt(26) */
        double sa = global ? 2 / sqrt(26) : 2.0 / 5, sb = global ? 2 / sqrt(26) : 1;
        for (int k = 0; k < 2; k++) {
            cr_assert_float_eq(p[0]->value.f[k], -ga[k] * sa, 1e-6, "global %d a[%d]", global, k);
            cr_assert_float_eq(p[1]->value.f[k], -gb[k] * sb, 1e-6, "global %d b[%d]", global, k);
        }
        ck_param_free(p[0]);
        ck_param_free(p[1]);
        ck_optimizer_free(o);
    }
}

Test(optimizers, set_learning_rate_keeps_adams_moments)
{
    /* lr 0.1 for two steps, then 0.02: the same as Keras's formula with the
     * moments carried on and lr changed at step 3 */
    ck_optimizer *o = ck_Adam(0.1f);
    ck_node *p = new_weight(W0, N, "w");
    cr_assert_eq(ck_optimizer_attach(o, &p, 1), 0);
    ref r = {0};
    for (int k = 0; k < N; k++) r.w[k] = W0[k];
    hp h = {.lr = 0.1f, .b1 = 0.9, .b2 = 0.999, .eps = 1e-7}; /* the floats the optimizer holds */
    for (int t = 1; t <= STEPS; t++) {
        if (t == 3) {
            cr_assert_eq(ck_optimizer_set_learning_rate(o, 0.02f), 0);
            h.lr = 0.02f;
        }
        cr_assert_float_eq(ck_optimizer_learning_rate(o), h.lr, 1e-9);
        double g[N];
        for (int k = 0; k < N; k++) g[k] = p->grad[k] = grad_at(t, k);
        ck_optimizer_apply(o, &p);
        ref_adam(&r, g, t, &h);
        for (int k = 0; k < N; k++)
            cr_assert(fabs(p->value.f[k] - r.w[k]) <= TOL * fmax(1, fabs(r.w[k])), "step %d, w[%d]: %.9g vs %.9g", t, k,
                      (double)p->value.f[k], r.w[k]);
    }
    ck_param_free(p);
    ck_optimizer_free(o);
}

Test(optimizers, bad_settings_are_refused_with_a_message)
{
    cr_assert_null(ck_optimizer_with(ck_Adam(0.1f), &(ck_optimizer_args){.nesterov = 1}));
    cr_assert(strstr(ck_error(), "Adam: has no 'nesterov' setting (SGD only)"), "%s", ck_error());
    ck_error_clear();
    cr_assert_null(ck_optimizer_with(ck_SGD(0.1f, 0), &(ck_optimizer_args){.amsgrad = 1}));
    cr_assert(strstr(ck_error(), "SGD: has no 'amsgrad' setting (Adam and AdamW only)"), "%s", ck_error());
    ck_error_clear();
    cr_assert_null(ck_optimizer_with(ck_SGD(0.1f, 0), &(ck_optimizer_args){.clipnorm = 1, .global_clipnorm = 1}));
    cr_assert(strstr(ck_error(), "at most one of clipnorm and global_clipnorm"), "%s", ck_error());
    ck_error_clear();
    cr_assert_null(ck_optimizer_with(ck_Nadam(0.1f), &(ck_optimizer_args){.clipvalue = -1}));
    cr_assert(strstr(ck_error(), "Nadam: clipvalue must be finite and >= 0 (0: off), got -1"), "%s", ck_error());
    ck_error_clear();
    cr_assert_null(ck_RMSprop_ex(0.1f, 1.0f, 0, 1e-7f));
    cr_assert(strstr(ck_error(), "RMSprop: need learning_rate > 0, rho and momentum in [0, 1)"), "%s", ck_error());
    ck_error_clear();
    cr_assert_null(ck_Adagrad_ex(0.1f, -1, 1e-7f));
    cr_assert(strstr(ck_error(), "Adagrad: need"), "%s", ck_error());
    ck_error_clear();
    cr_assert_null(ck_AdamW(0.1f, -0.1f));
    cr_assert(strstr(ck_error(), "AdamW: weight_decay must be finite and >= 0, got -0.1"), "%s", ck_error());
    ck_error_clear();
    /* NULL flows through: the first message stays */
    cr_assert_null(ck_optimizer_with(ck_Adamax(-1), &(ck_optimizer_args){.clipnorm = 1}));
    cr_assert(strstr(ck_error(), "Adamax: need learning_rate > 0"), "%s", ck_error());
    ck_error_clear();
    /* the learning rate */
    ck_optimizer *o = ck_SGD(0.1f, 0);
    cr_assert_eq(ck_optimizer_set_learning_rate(o, NAN), -1);
    cr_assert(strstr(ck_error(), "SGD: the learning rate must be finite and >= 0, got nan"), "%s", ck_error());
    cr_assert_float_eq(ck_optimizer_learning_rate(o), 0.1f, 0);
    /* settings after compile: the optimizer belongs to the model, left alone */
    ck_node *p = new_weight(W0, N, "w");
    cr_assert_eq(ck_optimizer_attach(o, &p, 1), 0);
    ck_error_clear();
    cr_assert_null(ck_optimizer_with(o, &(ck_optimizer_args){.clipnorm = 1}));
    cr_assert(strstr(ck_error(), "SGD: settings must be given before compile"), "%s", ck_error());
    cr_assert_str_eq(ck_optimizer_name(o), "SGD");
    ck_param_free(p);
    ck_optimizer_free(o);
}

Test(optimizers, class_names_are_keras_names)
{
    ck_optimizer *all[] = {ck_SGD(0.1f, 0),        ck_RMSprop(0.1f), ck_Adagrad(0.1f), ck_Adam(0.1f),
                           ck_AdamW(0.1f, 0.004f), ck_Adamax(0.1f),  ck_Nadam(0.1f)};
    const char *names[] = {"SGD", "RMSprop", "Adagrad", "Adam", "AdamW", "Adamax", "Nadam"};
    for (int i = 0; i < 7; i++) {
        cr_assert_str_eq(ck_optimizer_name(all[i]), names[i]);
        cr_assert_float_eq(ck_optimizer_learning_rate(all[i]), 0.1f, 0);
        ck_optimizer_free(all[i]);
    }
}
