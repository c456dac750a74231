/* schedules.c - keras.optimizers.schedules: ExponentialDecay,
 * PiecewiseConstantDecay and CosineDecay (Keras 2,
 * tf_keras/optimizers/schedules/learning_rate_schedule.py), each computed
 * in float32 as Keras computes it. An optimizer evaluates its schedule at
 * its iteration count before each step (optimizers.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ck_model_internal.h"

static const float PI_F = 3.14159265358979323846f;

struct ck_lr_schedule {
    const char *name; /* Keras's class name */
    float (*value)(const ck_lr_schedule *s, long step);
    float initial_learning_rate;
    long decay_steps;
    float decay_rate; /* ExponentialDecay */
    int staircase;
    float alpha; /* CosineDecay */
    int n_boundaries;
    long *boundaries; /* PiecewiseConstantDecay: n_boundaries, then n_boundaries + 1 values */
    float *values;
};

static ck_lr_schedule *schedule_new(const char *name, float (*value)(const ck_lr_schedule *, long))
{
    ck_lr_schedule *s = calloc(1, sizeof *s);
    if (!s) {
        ck_fail("%s: out of memory", name);
        return NULL;
    }
    s->name = name;
    s->value = value;
    return s;
}

static int finite_nonnegative(float v) { return v >= 0.0f && !isinf(v); }

/* ---- ExponentialDecay: initial * rate ^ (step / decay_steps) ---- */

static float exponential_value(const ck_lr_schedule *s, long step)
{
    float p = (float)step / (float)s->decay_steps;
    if (s->staircase) p = floorf(p);
    return s->initial_learning_rate * powf(s->decay_rate, p);
}

ck_lr_schedule *ck_ExponentialDecay(float initial_learning_rate, long decay_steps, float decay_rate, int staircase)
{
    if (!finite_nonnegative(initial_learning_rate) || decay_steps <= 0 || !(decay_rate > 0.0f) || isinf(decay_rate)) {
        ck_fail("ExponentialDecay: need initial_learning_rate >= 0, decay_steps > 0 and decay_rate > 0; got %g, %ld, "
                "%g",
                (double)initial_learning_rate, decay_steps, (double)decay_rate);
        return NULL;
    }
    ck_lr_schedule *s = schedule_new("ExponentialDecay", exponential_value);
    if (!s) return NULL;
    s->initial_learning_rate = initial_learning_rate;
    s->decay_steps = decay_steps;
    s->decay_rate = decay_rate;
    s->staircase = staircase != 0;
    return s;
}

/* ---- PiecewiseConstantDecay: a step function over the boundaries ---- */

static float piecewise_value(const ck_lr_schedule *s, long step)
{
    int i = 0; /* the first boundary at or after step: values[i] */
    while (i < s->n_boundaries && step > s->boundaries[i]) i++;
    return s->values[i];
}

ck_lr_schedule *ck_PiecewiseConstantDecay(const long *boundaries, int n_boundaries, const float *values)
{
    const char *name = "PiecewiseConstantDecay";
    if (n_boundaries < 0 || (n_boundaries > 0 && !boundaries) || !values) {
        ck_fail("%s: need n_boundaries >= 0 boundaries and n_boundaries + 1 values, got %d and %s", name, n_boundaries,
                values ? "values" : "NULL");
        return NULL;
    }
    for (int i = 0; i <= n_boundaries; i++)
        if (!finite_nonnegative(values[i])) {
            ck_fail("%s: values[%d] = %g; learning rates must be finite and >= 0", name, i, (double)values[i]);
            return NULL;
        }
    for (int i = 1; i < n_boundaries; i++)
        if (boundaries[i] <= boundaries[i - 1]) {
            ck_fail("%s: boundaries must be strictly increasing; boundaries[%d] = %ld after %ld", name, i,
                    boundaries[i], boundaries[i - 1]);
            return NULL;
        }
    ck_lr_schedule *s = schedule_new(name, piecewise_value);
    if (!s) return NULL;
    s->n_boundaries = n_boundaries;
    s->boundaries = malloc(sizeof(long) * (size_t)(n_boundaries + 1));
    s->values = malloc(sizeof(float) * (size_t)(n_boundaries + 1));
    if (!s->boundaries || !s->values) {
        ck_lr_schedule_free(s);
        ck_fail("%s: out of memory", name);
        return NULL;
    }
    if (n_boundaries > 0) memcpy(s->boundaries, boundaries, sizeof(long) * (size_t)n_boundaries);
    memcpy(s->values, values, sizeof(float) * (size_t)(n_boundaries + 1));
    return s;
}

/* ---- CosineDecay: half a cosine from initial down to alpha * initial ---- */

static float cosine_value(const ck_lr_schedule *s, long step)
{
    const float decay_steps = (float)s->decay_steps, clamped = fminf((float)step, decay_steps);
    const float completed_fraction = clamped / decay_steps;
    const float cosine_decayed = 0.5f * (1.0f + cosf(PI_F * completed_fraction));
    const float decayed = (1.0f - s->alpha) * cosine_decayed + s->alpha;
    return s->initial_learning_rate * decayed;
}

ck_lr_schedule *ck_CosineDecay(float initial_learning_rate, long decay_steps, float alpha)
{
    if (!finite_nonnegative(initial_learning_rate) || decay_steps <= 0 || !finite_nonnegative(alpha)) {
        ck_fail("CosineDecay: need initial_learning_rate >= 0, decay_steps > 0 and alpha >= 0; got %g, %ld, %g",
                (double)initial_learning_rate, decay_steps, (double)alpha);
        return NULL;
    }
    ck_lr_schedule *s = schedule_new("CosineDecay", cosine_value);
    if (!s) return NULL;
    s->initial_learning_rate = initial_learning_rate;
    s->decay_steps = decay_steps;
    s->alpha = alpha;
    return s;
}

/* ---- common ---- */

float ck_lr_schedule_value(const ck_lr_schedule *s, long step)
{
    if (!s) {
        ck_fail("learning rate schedule is NULL");
        return NAN;
    }
    return s->value(s, step);
}

const char *ck_lr_schedule_name(const ck_lr_schedule *s) { return s ? s->name : NULL; }

void ck_lr_schedule_free(ck_lr_schedule *s)
{
    if (!s) return;
    free(s->boundaries);
    free(s->values);
    free(s);
}
