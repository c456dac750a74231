/* optimizers.c - what every optimizer shares, as Keras 2.11+'s base
 * Optimizer (tf_keras/optimizers/optimizer.py): the learning rate (a
 * settable constant or a schedule), the keyword settings, the per-weight
 * state, and the step of apply_gradients:
 *   lr = schedule(iterations)                      (with a schedule)
 *   clip the gradients: clipnorm per weight, else global_clipnorm over all,
 *     else clipvalue per element                   (_clip_gradients)
 *   w -= w * weight_decay * lr                     (_apply_weight_decay)
 *   iterations += 1; each weight's update          (update_step)
 * The classes are in optimizers_sgd.c and optimizers_adam.c, their loops
 * in tensor/kernels_optimizer.c. Updates consume (zero) the gradients,
 * which saves a separate zeroing pass before the next backward. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_model_internal.h"

ck_optimizer *ck_optimizer_new(const ck_optimizer_class *cls, float learning_rate)
{
    ck_optimizer *o = calloc(1, sizeof *o);
    if (!o) {
        ck_fail("%s: out of memory", cls->name);
        return NULL;
    }
    o->cls = cls;
    o->learning_rate = learning_rate;
    return o;
}

/* ---- settings ---- */

static int check_switches(const ck_optimizer *o, const ck_optimizer_args *a)
{
    static const struct {
        unsigned bit;
        const char *name, *owners;
    } switches[] = {{CK_OPT_NESTEROV, "nesterov", "SGD"},
                    {CK_OPT_CENTERED, "centered", "RMSprop"},
                    {CK_OPT_AMSGRAD, "amsgrad", "Adam and AdamW"}};
    const int on[] = {a->nesterov, a->centered, a->amsgrad};
    for (size_t i = 0; i < sizeof switches / sizeof switches[0]; i++)
        if (on[i] && !(o->cls->accepts & switches[i].bit))
            return ck_fail("%s: has no '%s' setting (%s only)", o->cls->name, switches[i].name, switches[i].owners);
    return 0;
}

static int check_args(const ck_optimizer *o, const ck_optimizer_args *a)
{
    const char *name = o->cls->name;
    if (o->slots) return ck_fail("%s: settings must be given before compile", name);
    if (check_switches(o, a)) return -1;
    const float values[] = {a->weight_decay, a->clipnorm, a->global_clipnorm, a->clipvalue};
    const char *names[] = {"weight_decay", "clipnorm", "global_clipnorm", "clipvalue"};
    for (int i = 0; i < 4; i++)
        if (!(values[i] >= 0.0f) || isinf(values[i]))
            return ck_fail("%s: %s must be finite and >= 0 (0: off), got %g", name, names[i], (double)values[i]);
    if (a->clipnorm > 0.0f && a->global_clipnorm > 0.0f)
        return ck_fail("%s: at most one of clipnorm and global_clipnorm can be set; got clipnorm=%g, "
                       "global_clipnorm=%g",
                       name, (double)a->clipnorm, (double)a->global_clipnorm);
    return 0;
}

ck_optimizer *ck_optimizer_with(ck_optimizer *o, const ck_optimizer_args *a)
{
    if (!o || !a) return o;
    if (check_args(o, a)) {
        if (!o->slots) ck_optimizer_free(o); /* an attached one belongs to its model */
        return NULL;
    }
    o->switches = (a->nesterov ? CK_OPT_NESTEROV : 0u) | (a->centered ? CK_OPT_CENTERED : 0u) |
                  (a->amsgrad ? CK_OPT_AMSGRAD : 0u);
    if (a->weight_decay > 0.0f) o->weight_decay = a->weight_decay;
    o->clipnorm = a->clipnorm;
    o->global_clipnorm = a->global_clipnorm;
    o->clipvalue = a->clipvalue;
    return o;
}

/* ---- the learning rate ---- */

ck_optimizer *ck_optimizer_with_schedule(ck_optimizer *o, ck_lr_schedule *schedule)
{
    if (!o || !schedule) {
        ck_optimizer_free(o);
        ck_lr_schedule_free(schedule);
        if (!ck_error()) ck_fail("optimizer with schedule: %s is NULL", o ? "the schedule" : "the optimizer");
        return NULL;
    }
    ck_lr_schedule_free(o->schedule);
    o->schedule = schedule;
    o->learning_rate = ck_lr_schedule_value(schedule, o->iterations);
    return o;
}

float ck_optimizer_learning_rate(const ck_optimizer *o)
{
    if (!o) {
        ck_fail("optimizer learning_rate: optimizer is NULL");
        return NAN;
    }
    return o->learning_rate;
}

int ck_optimizer_set_learning_rate(ck_optimizer *o, float lr)
{
    if (!o) return ck_fail("optimizer set_learning_rate: optimizer is NULL");
    if (o->schedule)
        return ck_fail("%s: this optimizer was created with a LearningRateSchedule (%s) as its learning rate, "
                       "hence its learning rate is not settable; create it with a constant learning rate instead",
                       o->cls->name, ck_lr_schedule_name(o->schedule));
    if (!(lr >= 0.0f) || isinf(lr))
        return ck_fail("%s: the learning rate must be finite and >= 0, got %g", o->cls->name, (double)lr);
    o->learning_rate = lr;
    return 0;
}

long ck_optimizer_iterations(const ck_optimizer *o) { return o ? o->iterations : 0; }

const char *ck_optimizer_name(const ck_optimizer *o) { return o ? o->cls->name : NULL; }

void ck_format_shortest(double v, int as_float, char *buf, size_t n)
{
    const int max_digits = as_float ? 9 : 17; /* enough for any float / double */
    for (int digits = 1; digits <= max_digits; digits++) {
        snprintf(buf, n, "%.*g", digits, v);
        if (as_float ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v) return;
    }
}

/* ---- state ---- */

void ck_optimizer_free(ck_optimizer *o)
{
    if (!o) return;
    if (o->slots)
        for (int i = 0; i < o->n_weights * o->n_slots; i++) free(o->slots[i]);
    free(o->slots);
    ck_lr_schedule_free(o->schedule);
    free(o);
}

int ck_optimizer_attach(ck_optimizer *o, ck_node *const *params, int n)
{
    int n_slots = o->cls->n_slots(o);
    o->n_weights = n;
    o->n_slots = n_slots;
    o->slots = calloc((size_t)(n * n_slots > 0 ? n * n_slots : 1), sizeof(float *));
    if (!o->slots) return ck_fail("%s: out of memory", o->cls->name);
    for (int i = 0; i < n; i++) {
        size_t size = (size_t)params[i]->value.size;
        for (int s = 0; s < n_slots; s++) {
            float *slot = calloc(size ? size : 1, sizeof(float));
            if (!(o->slots[i * n_slots + s] = slot)) return ck_fail("%s: out of memory", o->cls->name);
            if (o->slot_init[s] != 0.0f) ck_k_fill(slot, (int64_t)size, o->slot_init[s]);
        }
    }
    return 0;
}

/* ---- the step ---- */

/* Keras's _clip_gradients: clipnorm wins, then global_clipnorm, then
 * clipvalue; only one of them is applied. */
static void clip_gradients(const ck_optimizer *o, ck_node *const *params)
{
    if (o->clipnorm > 0.0f) {
        for (int i = 0; i < o->n_weights; i++)
            if (params[i]->grad) {
                float norm = (float)sqrt(ck_k_sum_squares(params[i]->grad, params[i]->value.size));
                ck_k_clip_by_norm(params[i]->grad, params[i]->value.size, o->clipnorm, norm);
            }
    } else if (o->global_clipnorm > 0.0f) {
        double sum = 0.0;
        for (int i = 0; i < o->n_weights; i++)
            if (params[i]->grad) sum += ck_k_sum_squares(params[i]->grad, params[i]->value.size);
        /* tf.clip_by_global_norm: scale = c * min(1 / norm, 1 / c), NaN if
         * the norm is not finite */
        float norm = (float)sqrt(sum), c = o->global_clipnorm;
        float scale = c * fminf(1.0f / norm, 1.0f / c) + (norm - norm);
        for (int i = 0; i < o->n_weights; i++)
            if (params[i]->grad) ck_k_scale_in_place(params[i]->grad, params[i]->value.size, scale);
    } else if (o->clipvalue > 0.0f) {
        for (int i = 0; i < o->n_weights; i++)
            if (params[i]->grad) ck_k_clip_by_value(params[i]->grad, params[i]->value.size, o->clipvalue);
    }
}

int ck_optimizer_reads_gradients(const ck_optimizer *o)
{
    return o->clipnorm > 0.0f || o->global_clipnorm > 0.0f || o->clipvalue > 0.0f;
}

void ck_optimizer_begin(ck_optimizer *o, ck_node *const *params)
{
    /* Keras evaluates the schedule at the step count before this step */
    if (o->schedule) o->learning_rate = ck_lr_schedule_value(o->schedule, o->iterations);
    clip_gradients(o, params);
    if (o->weight_decay > 0.0f)
        for (int i = 0; i < o->n_weights; i++)
            if (params[i]->grad)
                ck_k_weight_decay(params[i]->value.f, params[i]->value.size, o->weight_decay, o->learning_rate);
    o->iterations++;
    if (o->cls->begin_step) o->cls->begin_step(o);
}

void ck_optimizer_update_span(const ck_optimizer *o, ck_node *const *params, int i, int64_t begin, int64_t end)
{
    float *slots[CK_OPTIMIZER_MAX_SLOTS];
    for (int s = 0; s < o->n_slots; s++) slots[s] = o->slots[i * o->n_slots + s] + begin;
    o->cls->update(o, params[i]->value.f + begin, params[i]->grad + begin, slots, end - begin);
}

void ck_optimizer_apply(ck_optimizer *o, ck_node *const *params)
{
    ck_optimizer_begin(o, params);
    for (int i = 0; i < o->n_weights; i++)
        if (params[i]->grad) ck_optimizer_update_span(o, params, i, 0, params[i]->value.size);
}
