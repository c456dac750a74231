/* compile.c - Keras's model.compile: resolve each output's loss and the
 * metrics by name, name what fit will log (Keras's names: "loss",
 * "<output>_loss", "accuracy" or "<output>_accuracy"), read the layers'
 * trainable flags and regularizers, attach the optimizer's per-weight state
 * to the trainable weights. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_model_internal.h"

static void forget_compile(ck_model *m)
{
    ck_optimizer_free(m->opt);
    m->opt = NULL;
    for (int o = 0; o < CK_MAX_OUTPUTS; o++) {
        free(m->losses[o].name);
        free(m->losses[o].val_name);
        memset(&m->losses[o], 0, sizeof m->losses[o]);
    }
    ck_metrics_free(m);
    for (int k = 0; k < CK_MAX_METRICS; k++) {
        free(m->metrics[k].name);
        free(m->metrics[k].val_name);
        memset(&m->metrics[k], 0, sizeof m->metrics[k]);
    }
    m->n_metrics = 0;
    m->n_names = 0;
    m->compiled = 0;
}

void ck_compile_free(ck_model *m) { forget_compile(m); }

static const char *output_name(const ck_model *m, int o) { return m->outputs[o]->layer->name; }

/* A Keras class name ("BinaryCrossentropy") as opposed to a function name
 * or an upper-case alias ("MSE"): logged as the function name. */
static int is_class_name(const char *name)
{
    if (!isupper((unsigned char)name[0])) return 0;
    for (const char *p = name; *p; p++)
        if (islower((unsigned char)*p)) return 1;
    return 0;
}

/* one output's loss: a user loss, or a known name with options it takes */
static int resolve_loss(ck_output_loss *out, const ck_loss *loss, int o)
{
    char names[1024];
    out->cfg = *loss;
    out->cfg.name = NULL;
    if (loss->fn) return 0;
    if (!loss->name) return ck_fail("compile: the loss of output %d has neither a name nor a function", o);
    if (!(out->spec = ck_loss_lookup(loss->name))) {
        ck_loss_names(names, sizeof names);
        return ck_fail("compile: unknown loss '%s' (use %s, or a user loss)", loss->name, names);
    }
    int crossentropy = (out->spec->flags & CK_LOSS_CROSSENTROPY) != 0;
    if (loss->from_logits && !crossentropy)
        return ck_fail("compile: loss '%s' takes no from_logits (only the crossentropies do)", loss->name);
    if (loss->label_smoothing != 0.0f && (!crossentropy || (out->spec->flags & CK_LOSS_SPARSE)))
        return ck_fail("compile: loss '%s' takes no label_smoothing (binary and categorical crossentropy do)",
                       loss->name);
    if (!(loss->label_smoothing >= 0.0f && loss->label_smoothing <= 1.0f))
        return ck_fail("compile: label_smoothing = %g must be in [0, 1]", (double)loss->label_smoothing);
    if (loss->delta != 0.0f && (!(out->spec->flags & CK_LOSS_DELTA) || !(loss->delta > 0)))
        return ck_fail("compile: delta = %g: only huber takes a delta, and it must be > 0", (double)loss->delta);
    return 0;
}

static int resolve_losses(ck_model *m, const ck_compile_args *a)
{
    if (a->loss && a->losses) return ck_fail("compile: give loss (a name) or losses (objects), not both");
    if (!a->loss && !a->losses) {
        if (a->n_losses) return ck_fail("compile: n_losses = %d but losses is NULL", a->n_losses);
        return ck_fail("compile: no loss given");
    }
    if (a->losses && a->n_losses != 1 && a->n_losses != m->n_out)
        return ck_fail("compile: %d losses for %d outputs (give 1 for all, or 1 per output)", a->n_losses, m->n_out);
    for (int o = 0; o < m->n_out; o++) {
        ck_loss by_name = {.name = a->loss};
        const ck_loss *loss = a->loss ? &by_name : &a->losses[a->n_losses == 1 ? 0 : o];
        if (resolve_loss(&m->losses[o], loss, o)) return -1;
        float w = a->loss_weights ? a->loss_weights[o] : 1.0f;
        if (!isfinite(w)) return ck_fail("compile: loss_weights[%d] = %g is not finite", o, (double)w);
        m->losses[o].weight = w;
        if (m->n_out > 1) {
            char buf[256];
            snprintf(buf, sizeof buf, "%s_loss", output_name(m, o));
            m->losses[o].name = strdup(buf);
            snprintf(buf, sizeof buf, "val_%s_loss", output_name(m, o));
            m->losses[o].val_name = strdup(buf);
            if (!m->losses[o].name || !m->losses[o].val_name) return ck_fail("compile: out of memory");
        }
    }
    return 0;
}

/* What a metric is, and the name it logs (before any output prefix). */
static int resolve_metric(ck_metric_slot *slot, const ck_metric *metric, const char **logged)
{
    char names[1024];
    slot->cfg = *metric;
    slot->cfg.name = slot->cfg.output = NULL;
    if (metric->fn) {
        *logged = metric->name ? metric->name : "custom_metric";
        return 0;
    }
    if (!metric->name) return ck_fail("compile: a metric has neither a name nor a function");
    *logged = metric->name;
    if ((slot->spec = ck_metric_lookup(metric->name))) {
        if (slot->spec->class_name && !strcmp(metric->name, slot->spec->class_name)) *logged = slot->spec->name;
    } else if ((slot->loss = ck_loss_lookup(metric->name))) {
        if (is_class_name(metric->name)) *logged = slot->loss->name;
    } else {
        ck_metric_names(names, sizeof names);
        return ck_fail("compile: unknown metric '%s' (use %s)", metric->name, names);
    }
    if (metric->k < 0) return ck_fail("compile: metric '%s': k = %d must be >= 1 (0 for 5)", metric->name, metric->k);
    return 0;
}

static int output_index(const ck_model *m, const char *name)
{
    for (int o = 0; o < m->n_out; o++)
        if (!strcmp(name, output_name(m, o))) return o;
    return -1;
}

static int add_metric(ck_model *m, const ck_metric *metric, int o)
{
    if (m->n_metrics == CK_MAX_METRICS)
        return ck_fail("compile: more than %d metrics over all outputs", CK_MAX_METRICS);
    ck_metric_slot *slot = &m->metrics[m->n_metrics];
    const char *logged = NULL;
    if (resolve_metric(slot, metric, &logged)) return -1;
    slot->output = o;
    char buf[256];
    if (m->n_out > 1)
        snprintf(buf, sizeof buf, "%s_%s", output_name(m, o), logged);
    else
        snprintf(buf, sizeof buf, "%s", logged);
    for (int k = 0; k < m->n_metrics; k++)
        if (!strcmp(m->metrics[k].name, buf)) return ck_fail("compile: metric '%s' is given twice", buf);
    for (int q = 0; q < m->n_out; q++)
        if (m->losses[q].name && !strcmp(m->losses[q].name, buf))
            return ck_fail("compile: metric name '%s' is also a loss's", buf);
    slot->name = strdup(buf);
    snprintf(buf, sizeof buf, "val_%s", slot->name ? slot->name : "");
    slot->val_name = strdup(buf);
    m->n_metrics++;
    if (!slot->name || !slot->val_name) return ck_fail("compile: out of memory");
    return 0;
}

/* Keras orders metrics by output, then as listed. */
static int resolve_metrics(ck_model *m, const ck_compile_args *a)
{
    if (a->n_metrics < 0 || (a->n_metrics > 0 && !a->metrics) || (a->metrics && a->n_metrics == 0))
        return ck_fail("compile: metrics = %s with n_metrics = %d", a->metrics ? "(list)" : "NULL", a->n_metrics);
    for (int i = 0; i < a->n_metrics; i++)
        if (a->metrics[i].output && output_index(m, a->metrics[i].output) < 0)
            return ck_fail("compile: metric %d is for output '%s', which model '%s' does not have", i,
                           a->metrics[i].output, m->name);
    for (int o = 0; o < m->n_out; o++)
        for (int i = 0; i < a->n_metrics; i++)
            if (!a->metrics[i].output || output_index(m, a->metrics[i].output) == o)
                if (add_metric(m, &a->metrics[i], o)) return -1;
    return 0;
}

static void list_names(ck_model *m)
{
    m->names[m->n_names++] = "loss";
    for (int o = 0; o < m->n_out && m->n_out > 1; o++) m->names[m->n_names++] = m->losses[o].name;
    for (int k = 0; k < m->n_metrics; k++) m->names[m->n_names++] = m->metrics[k].name;
}

int ck_compile_ex(ck_model *m, ck_optimizer *opt, const ck_compile_args *args)
{
    if (!opt) {
        if (!ck_error()) ck_fail("compile: optimizer is NULL");
        return -1;
    }
    if (!m || !args) {
        ck_optimizer_free(opt);
        return ck_fail("compile: %s is NULL", !m ? "model" : "args");
    }
    if (m->n_out > CK_MAX_OUTPUTS) {
        ck_optimizer_free(opt);
        return ck_fail("compile: model '%s' has %d outputs; at most %d train", m->name, m->n_out, CK_MAX_OUTPUTS);
    }
    if (ck_model_collect_trainable(m) || ck_optimizer_attach(opt, m->train_params, m->n_train_params)) {
        forget_compile(m); /* the trainable list changed: an earlier optimizer's state no longer matches it */
        ck_optimizer_free(opt);
        return -1;
    }
    forget_compile(m);
    m->opt = opt;
    if (resolve_losses(m, args) || resolve_metrics(m, args)) {
        forget_compile(m);
        return -1;
    }
    list_names(m);
    m->compiled = 1;
    return 0;
}

int ck_compile(ck_model *m, const char *loss, ck_optimizer *opt, const char *const *metrics, int n_metrics)
{
    if (!loss) {
        ck_optimizer_free(opt);
        return ck_fail("compile: loss is NULL");
    }
    if (n_metrics < 0 || n_metrics > CK_MAX_METRICS || (n_metrics > 0 && !metrics)) {
        ck_optimizer_free(opt);
        return ck_fail("compile: between 0 and %d metrics, got %d", CK_MAX_METRICS, n_metrics);
    }
    ck_metric objects[CK_MAX_METRICS];
    for (int i = 0; i < n_metrics; i++) {
        if (!metrics[i]) {
            ck_optimizer_free(opt);
            return ck_fail("compile: metric %d is NULL", i);
        }
        objects[i] = (ck_metric){.name = metrics[i]};
    }
    return ck_compile_ex(
        m, opt, &(ck_compile_args){.loss = loss, .metrics = n_metrics ? objects : NULL, .n_metrics = n_metrics});
}

int ck_model_metrics_names(const ck_model *m, const char **names, int max)
{
    if (!m || !m->compiled) return ck_fail("metrics_names: the model is %s", m ? "not compiled" : "NULL");
    for (int i = 0; i < m->n_names && i < max; i++) names[i] = m->names[i];
    return m->n_names;
}

ck_optimizer *ck_model_optimizer(const ck_model *m) { return m ? m->opt : NULL; }
