/* history.c - what fit logs per epoch (Keras's logs dict and History):
 * looking a value up by its Keras key, and freeing a history. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_model_internal.h"

/* Whether the log has val_* keys: fit had validation data, or a log made
 * by hand carries a val_loss. */
static int has_validation(const ck_model *m, const ck_epoch_log *log)
{
    return m->has_validation || !isnan(log->val_loss);
}

/* "loss, mae, val_loss, val_mae": what a monitor may name (metrics_names,
 * and their val_ twins with validation data). */
static void available_keys(const ck_model *m, const ck_epoch_log *log, char *buf, size_t n)
{
    size_t used = (size_t)snprintf(buf, n, "loss");
    for (int k = 1; k < m->n_names && used < n; k++)
        used += (size_t)snprintf(buf + used, n - used, ", %s", m->names[k]);
    if (has_validation(m, log))
        for (int k = 0; k < m->n_names && used < n; k++)
            used += (size_t)snprintf(buf + used, n - used, ", val_%s", m->names[k]);
    /* anything else the log carries */
    for (int i = 0; i < log->n_values && used < n; i++) {
        const char *key = log->keys[i], *base = strncmp(key, "val_", 4) ? key : key + 4;
        int compiled = 0;
        for (int k = 0; k < m->n_names; k++) compiled |= !strcmp(base, m->names[k]);
        if (!compiled) used += (size_t)snprintf(buf + used, n - used, ", %s", key);
    }
}

int ck_log_value(const ck_model *m, const ck_epoch_log *log, const char *key, double *out)
{
    if (!m || !log || !key || !out) return ck_fail("log_value: NULL argument");
    int val = !strncmp(key, "val_", 4);
    char avail[1024];
    if (val && !has_validation(m, log)) return ck_fail("'%s' is not logged: fit has no validation data", key);
    if (!strcmp(key, "loss")) {
        *out = log->loss;
        return 0;
    }
    if (!strcmp(key, "val_loss")) {
        *out = log->val_loss;
        return 0;
    }
    for (int i = 0; i < log->n_values; i++)
        if (!strcmp(key, log->keys[i])) {
            *out = log->values[i];
            return 0;
        }
    available_keys(m, log, avail, sizeof avail);
    return ck_fail("'%s' is not logged (available: %s)", key, avail);
}

int ck_log_set(ck_epoch_log *log, const char *key, double value)
{
    if (!log || !key) return ck_fail("log_set: NULL argument");
    /* the two keys with fields of their own */
    double *field = !strcmp(key, "loss") ? &log->loss : !strcmp(key, "val_loss") ? &log->val_loss : NULL;
    if (field) {
        *field = value;
        return 0;
    }
    for (int i = 0; i < log->n_values; i++)
        if (!strcmp(log->keys[i], key)) {
            log->values[i] = value;
            return 0;
        }
    if (log->n_values >= CK_MAX_LOGS) return ck_fail("log_set: cannot log '%s': %d values already", key, CK_MAX_LOGS);
    log->keys[log->n_values] = key;
    log->values[log->n_values++] = value;
    return 0;
}

void ck_history_free(ck_history *h)
{
    if (!h) return;
    free(h->epochs);
    free(h->key_storage_);
    free(h);
}
