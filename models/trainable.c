/* trainable.c - which weights train (Keras's layer.trainable, read at
 * compile), the regularization losses, and the trainable counts. */
#include <math.h>
#include <string.h>

#include "ck_model_internal.h"

int ck_model_collect_trainable(ck_model *m)
{
    int k = 0;
    m->n_train_params = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const ck_layer *l = m->layers[i];
        for (int j = 0; j < l->n_weights; j++, k++) {
            char argument[64];
            snprintf(argument, sizeof argument, "%s_regularizer", ck_layer_weight_role(l, j));
            m->regularizers[k] = ck_layer_regularizer(l, argument);
            m->param_trainable[k] = (unsigned char)ck_layer_weight_trainable(l, j);
            if (m->param_trainable[k]) m->train_params[m->n_train_params++] = m->params[k];
        }
    }
    for (int i = 0; i < m->n_steps; i++) m->steps[i].trainable = m->steps[i].layer->trainable;
    return 0;
}

int ck_model_apply_trainable(ck_model *m)
{
    for (int i = 0; i < m->n_params; i++)
        if (ck_param_set_requires_grad(m->params[i], m->param_trainable[i])) return -1;
    return 0;
}

double ck_regularization_penalty(const ck_model *m, int add_gradient)
{
    double penalty = 0;
    for (int i = 0; i < m->n_params; i++) {
        ck_regularizer r = m->regularizers[i];
        if (r.l1 == 0.0f && r.l2 == 0.0f) continue;
        int64_t n = m->params[i]->value.size;
        float *w = m->params[i]->value.f, *g = add_gradient ? m->params[i]->grad : NULL;
        if (r.l2 != 0.0f) { /* l2 sum(w^2); d/dw = 2 l2 w */
            double sum = 0;
            for (int64_t k = 0; k < n; k++) sum += (double)w[k] * w[k];
            penalty += r.l2 * sum;
            for (int64_t k = 0; g && k < n; k++) g[k] += 2.0f * r.l2 * w[k];
        }
        if (r.l1 != 0.0f) { /* l1 sum|w|; d/dw = l1 sign(w), 0 at 0 as TensorFlow's abs */
            double sum = 0;
            for (int64_t k = 0; k < n; k++) sum += fabs((double)w[k]);
            penalty += r.l1 * sum;
            for (int64_t k = 0; g && k < n; k++) g[k] += w[k] > 0.0f ? r.l1 : w[k] < 0.0f ? -r.l1 : 0.0f;
        }
    }
    return penalty;
}

long ck_count_trainable_params(const ck_model *m)
{
    long n = 0;
    for (int i = 0; m && i < m->n_layers; i++) n += ck_layer_count_trainable_params(m->layers[i]);
    return n;
}

int ck_model_set_trainable(ck_model *m, int trainable)
{
    if (!m) return ck_fail("model_set_trainable: model is NULL");
    for (int i = 0; i < m->n_layers; i++) ck_layer_set_trainable(m->layers[i], trainable);
    return 0;
}
