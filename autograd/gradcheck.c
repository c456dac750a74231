/* gradcheck.c - analytic gradients against central differences
 * (see ck_gradcheck.h for the criterion). */
#include "ck_gradcheck.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GRADCHECK_SEED 0x5eedULL
#define DEFAULT_EPS 1e-3
#define DEFAULT_ATOL 1e-3
#define DEFAULT_RTOL 5e-3
/* Round-off of the outputs a perturbation reaches, in units of FLT_EPSILON
 * times their |out * w| (see ck_gradcheck.h). */
#define NOISE_ULPS 4.0
/* Below this, differences are doubles' own round-off. */
#define ABS_FLOOR 1e-12

/* What the check gathers about one input, element by element. */
typedef struct input_check {
    float *analytic; /* from backward */
    double *numeric; /* central difference */
    double *noise;   /* its estimated round-off */
    double scale;    /* max |numeric| over the input */
} input_check;

/* Fill the tape's memory with NaN: a value or gradient an op promised (by
 * its flags) to write whole but did not then shows up as NaN. */
static void poison_tape(ck_tape *t)
{
    size_t bytes = ck_tape_arena(t)->high_water;
    ck_tape_reset(t);
    float *all = ck_tape_alloc(t, bytes);
    if (all)
        for (size_t k = 0; k < bytes / sizeof(float); k++) all[k] = NAN;
    ck_tape_reset(t);
}

/* Fixed weights: 1 for a scalar output, else magnitudes in [0.5, 1.5) with
 * random signs, so every output element matters. NULL when out of memory. */
static float *loss_weights(int64_t out_size)
{
    float *w = malloc((size_t)(out_size > 0 ? out_size : 1) * sizeof *w);
    if (!w) return NULL;
    ck_rng rng;
    ck_rng_seed(&rng, GRADCHECK_SEED);
    for (int64_t k = 0; k < out_size; k++) {
        float magnitude = 0.5f + ck_rng_uniform(&rng);
        w[k] = out_size == 1 ? 1.0f : (ck_rng_u32(&rng) & 1u) ? magnitude : -magnitude;
    }
    return w;
}

/* Build, then backward seeded with w (made on the first call) into the
 * inputs' gradients, zeroed first. 0, or -1 with a message. */
static int analytic_pass(ck_tape *t, ck_build_fn build, void *user, ck_node *const *inputs, int n, float **w,
                         int64_t *out_size)
{
    ck_zero_grad(inputs, n);
    ck_tape_reset(t);
    ck_node *out = build(t, inputs, n, user);
    if (!out) {
        ck_error_prefix("gradcheck: build failed: ");
        return -1;
    }
    if (out->value.dtype != CK_F32) return ck_fail("gradcheck: output must be float32");
    if (!*w) {
        *out_size = out->value.size;
        if (!(*w = loss_weights(*out_size))) return ck_fail("gradcheck: out of memory");
    }
    if (out->value.size != *out_size) return ck_fail("gradcheck: the output changed size between builds");
    if (ck_backward_seed(t, out, *w) < 0) {
        ck_error_prefix("gradcheck: ");
        return -1;
    }
    return 0;
}

/* Build the graph (forward only) and copy its output into out; -1 when the
 * graph could not be built or changed size. */
static int evaluate(ck_tape *t, ck_build_fn build, void *user, ck_node *const *inputs, int n, float *out,
                    int64_t out_size)
{
    ck_tape_reset(t);
    ck_node *node = build(t, inputs, n, user);
    if (!node || node->value.dtype != CK_F32 || node->value.size != out_size) return -1;
    memcpy(out, node->value.f, (size_t)out_size * sizeof(float));
    return 0;
}

/* Central differences of sum(out * w) for every element of every input,
 * with their noise and each input's scale. out_up, out_down: scratch of
 * out_size floats. 0, or -1 with a message. */
static int numeric_pass(ck_tape *t, ck_build_fn build, void *user, ck_node *const *inputs, int n, const float *w,
                        int64_t out_size, double eps, float *out_up, float *out_down, input_check *checks)
{
    for (int k = 0; k < n; k++) {
        float *x = inputs[k]->value.f;
        for (int64_t j = 0; j < inputs[k]->value.size; j++) {
            const float original = x[j];
            const float up = (float)((double)original + eps);
            const float down = (float)((double)original - eps);
            x[j] = up;
            int rc = evaluate(t, build, user, inputs, n, out_up, out_size);
            x[j] = down;
            rc |= evaluate(t, build, user, inputs, n, out_down, out_size);
            x[j] = original;
            if (rc) return ck_fail("gradcheck: build failed while perturbing input %d element %ld", k, (long)j);
            /* Outputs that x_j does not reach come out bit-identical and
             * cancel exactly; the others carry round-off. */
            double difference = 0.0, magnitude = 0.0;
            for (int64_t i = 0; i < out_size; i++) {
                difference += ((double)out_up[i] - (double)out_down[i]) * (double)w[i];
                if (out_up[i] != out_down[i])
                    magnitude += fmax(fabs((double)out_up[i]), fabs((double)out_down[i])) * fabs((double)w[i]);
            }
            /* Divide by the step actually taken after float rounding. */
            double step = (double)up - (double)down;
            checks[k].numeric[j] = difference / step;
            checks[k].noise[j] = NOISE_ULPS * FLT_EPSILON * magnitude / step;
            checks[k].scale = fmax(checks[k].scale, fabs(checks[k].numeric[j]));
        }
    }
    return 0;
}

/* Apply the criterion to every element and fill res. */
static void compare(ck_node *const *inputs, int n, input_check *checks, double atol, double rtol,
                    ck_gradcheck_result *res)
{
    double largest = 0.0; /* the scale of an input whose gradient is all 0 */
    for (int k = 0; k < n; k++) largest = fmax(largest, checks[k].scale);
    for (int k = 0; k < n; k++) {
        const input_check *c = &checks[k];
        double scale = c->scale > 0.0 ? c->scale : largest;
        for (int64_t j = 0; j < inputs[k]->value.size; j++) {
            double a = c->analytic[j], num = c->numeric[j];
            double abs_err = fabs(a - num);
            double allowed = rtol * fmax(fabs(a), fabs(num)) + atol * scale + c->noise[j] + ABS_FLOOR;
            double ratio = isnan(abs_err) ? INFINITY : abs_err / allowed;
            res->n_checked++;
            res->max_abs_err = fmax(res->max_abs_err, abs_err);
            res->max_rel_err = fmax(res->max_rel_err, abs_err / fmax(fabs(num), 1e-8));
            if (ratio > 1.0) {
                res->n_failed++;
                res->ok = 0;
            }
            if (res->worst_index < 0 || ratio > res->worst_ratio) {
                res->worst_ratio = ratio;
                res->worst_input = k;
                res->worst_index = (long)j;
                res->worst_analytic = a;
                res->worst_numeric = num;
                res->worst_scale = scale;
            }
        }
    }
}

int ck_gradcheck(ck_build_fn build, void *user, ck_node *const *inputs, int n, double eps, double atol, double rtol,
                 ck_gradcheck_result *res)
{
    if (!build || !res || (n > 0 && !inputs) || n < 0) return ck_fail("gradcheck: build, inputs or result is NULL");
    for (int k = 0; k < n; k++) {
        if (!inputs[k]) return ck_fail("gradcheck: input %d is NULL", k);
        if (inputs[k]->value.dtype != CK_F32 || !inputs[k]->grad)
            return ck_fail("gradcheck: input %d must be a float32 parameter (ck_param)", k);
    }
    if (eps <= 0) eps = DEFAULT_EPS;
    if (atol <= 0) atol = DEFAULT_ATOL;
    if (rtol <= 0) rtol = DEFAULT_RTOL;
    memset(res, 0, sizeof *res);
    res->ok = 1;
    res->worst_input = -1;
    res->worst_index = -1;

    ck_tape *t = ck_tape_new();
    if (!t) return -1;
    int status = -1, previous_grad, rc;
    float *w = NULL, *out_up = NULL, *out_down = NULL;
    int64_t out_size = 0;
    input_check *checks = calloc((size_t)(n > 0 ? n : 1), sizeof *checks);
    if (!checks) goto out_of_memory;
    for (int k = 0; k < n; k++) {
        size_t size = (size_t)(inputs[k]->value.size > 0 ? inputs[k]->value.size : 1);
        checks[k].analytic = malloc(size * sizeof(float));
        checks[k].numeric = malloc(size * sizeof(double));
        checks[k].noise = malloc(size * sizeof(double));
        if (!checks[k].analytic || !checks[k].numeric || !checks[k].noise) goto out_of_memory;
    }

    /* Analytic: the first pass sizes the tape's memory, the second runs on
     * that memory filled with NaN. */
    if (analytic_pass(t, build, user, inputs, n, &w, &out_size) < 0) goto done;
    poison_tape(t);
    if (analytic_pass(t, build, user, inputs, n, &w, &out_size) < 0) goto done;
    for (int k = 0; k < n; k++)
        memcpy(checks[k].analytic, inputs[k]->grad, (size_t)inputs[k]->value.size * sizeof(float));

    out_up = malloc((size_t)(out_size > 0 ? out_size : 1) * sizeof(float));
    out_down = malloc((size_t)(out_size > 0 ? out_size : 1) * sizeof(float));
    if (!out_up || !out_down) goto out_of_memory;
    previous_grad = ck_tape_set_grad(t, 0);
    rc = numeric_pass(t, build, user, inputs, n, w, out_size, eps, out_up, out_down, checks);
    ck_tape_set_grad(t, previous_grad);
    if (rc < 0) goto done;
    compare(inputs, n, checks, atol, rtol, res);
    status = 0;
    goto done;

out_of_memory:
    ck_fail("gradcheck: out of memory");
done:
    if (checks)
        for (int k = 0; k < n; k++) {
            free(checks[k].analytic);
            free(checks[k].numeric);
            free(checks[k].noise);
        }
    free(checks);
    free(w);
    free(out_up);
    free(out_down);
    ck_tape_free(t);
    return status;
}
