/* gradcheck.c - analytic gradients against central differences
 * (see ck_gradcheck.h). */
#include "ck_gradcheck.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GRADCHECK_SEED 0x5eedULL

/* loss = sum(out * w), in double; NaN when the graph could not be built. */
static double evaluate(ck_tape *t, ck_build_fn build, void *user, ck_node *const *inputs, int n,
                       const float *w, int64_t w_size)
{
    ck_tape_reset(t);
    ck_node *out = build(t, inputs, n, user);
    if (!out || out->value.dtype != CK_F32 || out->value.size != w_size) return NAN;
    double loss = 0.0;
    for (int64_t k = 0; k < w_size; k++) loss += (double)out->value.f[k] * (double)w[k];
    return loss;
}

int ck_gradcheck(ck_build_fn build, void *user, ck_node *const *inputs, int n,
                 double eps, double atol, double rtol, ck_gradcheck_result *res)
{
    if (!build || !res || (n > 0 && !inputs) || n < 0)
        return ck_fail("gradcheck: build, inputs or result is NULL");
    for (int k = 0; k < n; k++) {
        if (!inputs[k]) return ck_fail("gradcheck: input %d is NULL", k);
        if (inputs[k]->value.dtype != CK_F32 || !inputs[k]->grad)
            return ck_fail("gradcheck: input %d must be a float32 parameter (ck_param)", k);
    }
    if (eps <= 0) eps = 1e-3;
    if (atol <= 0) atol = 1e-3;
    if (rtol <= 0) rtol = 1e-2;
    memset(res, 0, sizeof *res);
    res->ok = 1;
    res->worst_input = -1;
    res->worst_index = -1;

    ck_tape *t = ck_tape_new();
    if (!t) return -1;
    int status = -1;
    float *w = NULL;
    float **analytic = calloc((size_t)(n > 0 ? n : 1), sizeof *analytic);
    if (!analytic) {
        ck_fail("gradcheck: out of memory");
        goto done;
    }

    /* Analytic pass: backward seeded with w gives d sum(out * w) / d input. */
    ck_zero_grad(inputs, n);
    ck_node *out = build(t, inputs, n, user);
    if (!out) {
        ck_error_prefix("gradcheck: build failed: ");
        goto done;
    }
    if (out->value.dtype != CK_F32) {
        ck_fail("gradcheck: output must be float32");
        goto done;
    }
    int64_t out_size = out->value.size;
    w = malloc((size_t)(out_size > 0 ? out_size : 1) * sizeof *w);
    if (!w) {
        ck_fail("gradcheck: out of memory");
        goto done;
    }
    if (out_size == 1) {
        w[0] = 1.0f;
    } else { /* fixed weights in [0.5, 1.5) with random signs: every output matters */
        ck_rng rng;
        ck_rng_seed(&rng, GRADCHECK_SEED);
        for (int64_t k = 0; k < out_size; k++) {
            float magnitude = 0.5f + ck_rng_uniform(&rng);
            w[k] = (ck_rng_u32(&rng) & 1u) ? magnitude : -magnitude;
        }
    }
    if (ck_backward_seed(t, out, w) < 0) {
        ck_error_prefix("gradcheck: ");
        goto done;
    }
    for (int k = 0; k < n; k++) {
        int64_t size = inputs[k]->value.size;
        analytic[k] = malloc((size_t)(size > 0 ? size : 1) * sizeof(float));
        if (!analytic[k]) {
            ck_fail("gradcheck: out of memory");
            goto done;
        }
        memcpy(analytic[k], inputs[k]->grad, (size_t)size * sizeof(float));
    }

    /* Numeric pass: forward only, each element moved by +-eps then restored. */
    int previous_grad = ck_tape_set_grad(t, 0);
    double worst_violation = -INFINITY;
    for (int k = 0; k < n; k++) {
        float *x = inputs[k]->value.f;
        for (int64_t j = 0; j < inputs[k]->value.size; j++) {
            const float original = x[j];
            const float up = (float)((double)original + eps);
            const float down = (float)((double)original - eps);
            x[j] = up;
            double loss_up = evaluate(t, build, user, inputs, n, w, out_size);
            x[j] = down;
            double loss_down = evaluate(t, build, user, inputs, n, w, out_size);
            x[j] = original;
            if (isnan(loss_up) || isnan(loss_down)) {
                ck_tape_set_grad(t, previous_grad);
                ck_fail("gradcheck: build failed while perturbing input %d element %ld", k, (long)j);
                goto done;
            }
            /* Divide by the step actually taken after float rounding. */
            double numeric = (loss_up - loss_down) / ((double)up - (double)down);
            double a = analytic[k][j];
            double abs_err = fabs(a - numeric);
            double rel_err = abs_err / fmax(fabs(numeric), 1e-8);
            double allowed = atol + rtol * fabs(numeric);
            res->n_checked++;
            if (abs_err > res->max_abs_err) res->max_abs_err = abs_err;
            if (rel_err > res->max_rel_err) res->max_rel_err = rel_err;
            if (!(abs_err <= allowed)) {
                res->n_failed++;
                res->ok = 0;
            }
            if (abs_err - allowed > worst_violation) {
                worst_violation = abs_err - allowed;
                res->worst_input = k;
                res->worst_index = (long)j;
                res->worst_analytic = a;
                res->worst_numeric = numeric;
            }
        }
    }
    ck_tape_set_grad(t, previous_grad);
    status = 0;

done:
    if (analytic)
        for (int k = 0; k < n; k++) free(analytic[k]);
    free(analytic);
    free(w);
    ck_tape_free(t);
    return status;
}
