/* losses.c - the losses compile accepts, by Keras name and alias. Each
 * builds the batch's scalar loss on the tape from autograd ops, so its
 * gradient comes from the op table like any other. */
#include <stdio.h>
#include <strings.h>

#include "ck_kernels.h"
#include "ck_model_internal.h"

/* mean((y_pred - y_true)^2) over every element: the mse op */
static ck_node *mean_squared_error(ck_tape *t, ck_node *y_true, ck_node *y_pred) { return ck_mse(t, y_pred, y_true); }

static double mean_squared_error_f64(const ck_node *y_true, const ck_node *y_pred)
{
    return ck_k_mean_squared_error(y_pred->value.f, y_true->value.f, y_pred->value.size);
}

static const ck_loss_spec losses[] = {
    {"mean_squared_error", "mse", mean_squared_error, mean_squared_error_f64},
};
enum { N_LOSSES = sizeof losses / sizeof losses[0] };

const ck_loss_spec *ck_loss_lookup(const char *name)
{
    if (!name) return NULL;
    for (int i = 0; i < N_LOSSES; i++)
        if (!strcasecmp(name, losses[i].name) || (losses[i].alias && !strcasecmp(name, losses[i].alias)))
            return &losses[i];
    return NULL;
}

void ck_loss_names(char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < N_LOSSES && used < n; i++) {
        used += (size_t)snprintf(buf + used, n - used, "%s\"%s\"", i ? ", " : "", losses[i].name);
        if (losses[i].alias && used < n) used += (size_t)snprintf(buf + used, n - used, ", \"%s\"", losses[i].alias);
    }
}
