/* compile.c - Keras's model.compile: resolve the loss and metrics by name,
 * read the layers' trainable flags and regularizers, attach the
 * optimizer's per-weight state to the trainable weights. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_model_internal.h"

static void forget_compile(ck_model *m)
{
    ck_optimizer_free(m->opt);
    m->opt = NULL;
    for (int i = 0; i < CK_MAX_METRICS; i++) {
        free(m->val_metric_names[i]);
        m->val_metric_names[i] = NULL;
    }
    m->n_metrics = 0;
    m->compiled = 0;
}

int ck_compile(ck_model *m, const char *loss, ck_optimizer *opt, const char *const *metrics, int n_metrics)
{
    char names[256];
    if (!opt) {
        if (!ck_error()) ck_fail("compile: optimizer is NULL");
        return -1;
    }
    if (!m) {
        ck_optimizer_free(opt);
        return ck_fail("compile: model is NULL");
    }
    int rc = 0;
    const ck_loss_spec *loss_spec = ck_loss_lookup(loss);
    if (!loss)
        rc = ck_fail("compile: loss is NULL");
    else if (!loss_spec) {
        ck_loss_names(names, sizeof names);
        rc = ck_fail("compile: unknown loss '%s' (use %s)", loss, names);
    } else if (m->n_out != 1)
        rc = ck_fail("compile: model '%s' has %d outputs; training supports one", m->name, m->n_out);
    else if (n_metrics < 0 || n_metrics > CK_MAX_METRICS || (n_metrics > 0 && !metrics))
        rc = ck_fail("compile: between 0 and %d metrics, got %d", CK_MAX_METRICS, n_metrics);
    const ck_metric_spec *specs[CK_MAX_METRICS];
    for (int i = 0; !rc && i < n_metrics; i++) {
        if (!metrics[i])
            rc = ck_fail("compile: metric %d is NULL", i);
        else if (!(specs[i] = ck_metric_lookup(metrics[i]))) {
            ck_metric_names(names, sizeof names);
            rc = ck_fail("compile: unknown metric '%s' (use %s)", metrics[i], names);
        }
    }
    if (!rc) rc = ck_model_collect_trainable(m);
    if (!rc && ck_optimizer_attach(opt, m->train_params, m->n_train_params)) {
        forget_compile(m); /* the earlier optimizer's state no longer matches the trainable weights */
        rc = -1;
    }
    if (rc) {
        ck_optimizer_free(opt);
        return -1;
    }

    forget_compile(m);
    m->opt = opt;
    m->loss = loss_spec;
    for (int i = 0; i < n_metrics; i++) {
        char val_name[64];
        snprintf(val_name, sizeof val_name, "val_%s", specs[i]->name);
        m->metrics[i] = specs[i];
        m->metric_names[i] = specs[i]->name;
        if (!(m->val_metric_names[i] = strdup(val_name))) {
            forget_compile(m);
            return ck_fail("compile: out of memory");
        }
        m->n_metrics++;
    }
    m->compiled = 1;
    return 0;
}
