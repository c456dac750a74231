/* optimizers.c - Adam and SGD with Keras's update rules. Each optimizer is
 * a class (name, state arrays per weight, update of one weight tensor); the
 * loops are in tensor/ck_kernels.h. Updates consume (zero) the gradients,
 * which saves a separate zeroing pass before the next backward. */
#include <math.h>
#include <stdlib.h>

#include "ck_kernels.h"
#include "ck_model_internal.h"

static ck_optimizer *optimizer_new(const ck_optimizer_class *cls, float learning_rate)
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

/* ---- Adam ----
 * Keras folds the bias correction into the step size once per step and
 * keeps epsilon outside it:
 *   lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t);  w -= lr_t * m / (sqrt(v) + eps)
 * Dense like Keras: every row's moments decay every step, touched or not. */

static void adam_begin_step(ck_optimizer *o)
{
    double t = (double)o->iterations;
    o->cfg.adam.lr_t =
        (float)(o->learning_rate * sqrt(1.0 - pow(o->cfg.adam.beta_2, t)) / (1.0 - pow(o->cfg.adam.beta_1, t)));
}

static void adam_update(const ck_optimizer *o, float *w, float *g, float *const *slots, int64_t n)
{
    ck_k_adam(w, slots[0], slots[1], g, n, o->cfg.adam.lr_t, o->cfg.adam.beta_1, o->cfg.adam.beta_2,
              o->cfg.adam.epsilon);
}

static const ck_optimizer_class adam_class = {"Adam", 2, adam_begin_step, adam_update};

ck_optimizer *ck_Adam_ex(float learning_rate, float beta_1, float beta_2, float epsilon)
{
    if (!(learning_rate > 0.0f) || !(beta_1 >= 0.0f && beta_1 < 1.0f) || !(beta_2 >= 0.0f && beta_2 < 1.0f) ||
        !(epsilon >= 0.0f)) {
        ck_fail("Adam: need learning_rate > 0, beta_1 and beta_2 in [0, 1), epsilon >= 0; got %g, %g, %g, %g",
                (double)learning_rate, (double)beta_1, (double)beta_2, (double)epsilon);
        return NULL;
    }
    ck_optimizer *o = optimizer_new(&adam_class, learning_rate);
    if (!o) return NULL;
    o->cfg.adam.beta_1 = beta_1;
    o->cfg.adam.beta_2 = beta_2;
    o->cfg.adam.epsilon = epsilon;
    return o;
}

ck_optimizer *ck_Adam(float learning_rate) { return ck_Adam_ex(learning_rate, 0.9f, 0.999f, 1e-7f); }

/* ---- SGD: velocity = momentum * velocity - lr * g; w += velocity ---- */

static void sgd_update(const ck_optimizer *o, float *w, float *g, float *const *slots, int64_t n)
{
    ck_k_sgd(w, slots[0], g, n, o->learning_rate, o->cfg.sgd.momentum);
}

static const ck_optimizer_class sgd_class = {"SGD", 1, NULL, sgd_update};

ck_optimizer *ck_SGD(float learning_rate, float momentum)
{
    if (!(learning_rate > 0.0f) || !(momentum >= 0.0f && momentum < 1.0f)) {
        ck_fail("SGD: need learning_rate > 0 and momentum in [0, 1); got %g, %g", (double)learning_rate,
                (double)momentum);
        return NULL;
    }
    ck_optimizer *o = optimizer_new(&sgd_class, learning_rate);
    if (o) o->cfg.sgd.momentum = momentum;
    return o;
}

/* ---- common ---- */

const char *ck_optimizer_name(const ck_optimizer *o) { return o ? o->cls->name : NULL; }

void ck_optimizer_free(ck_optimizer *o)
{
    if (!o) return;
    if (o->slots)
        for (int i = 0; i < o->n_weights * o->cls->n_slots; i++) free(o->slots[i]);
    free(o->slots);
    free(o);
}

int ck_optimizer_attach(ck_optimizer *o, ck_node *const *params, int n)
{
    int n_slots = o->cls->n_slots;
    o->n_weights = n;
    o->slots = calloc((size_t)(n * n_slots > 0 ? n * n_slots : 1), sizeof(float *));
    if (!o->slots) return ck_fail("%s: out of memory", o->cls->name);
    for (int i = 0; i < n; i++) {
        size_t size = (size_t)params[i]->value.size;
        for (int s = 0; s < n_slots; s++)
            if (!(o->slots[i * n_slots + s] = calloc(size ? size : 1, sizeof(float))))
                return ck_fail("%s: out of memory", o->cls->name);
    }
    return 0;
}

void ck_optimizer_apply(ck_optimizer *o, ck_node *const *params)
{
    o->iterations++;
    if (o->cls->begin_step) o->cls->begin_step(o);
    int n_slots = o->cls->n_slots;
    for (int i = 0; i < o->n_weights; i++)
        if (params[i]->grad)
            o->cls->update(o, params[i]->value.f, params[i]->grad, o->slots + i * n_slots, params[i]->value.size);
}
