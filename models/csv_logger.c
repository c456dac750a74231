/* csv_logger.c - Keras's CSVLogger: one CSV line per epoch with every
 * logged value. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_callbacks_internal.h"

/* longest logged key: an output's name (as long as a layer name) + a metric's */
enum { CK_MAX_KEY = 160 };

typedef struct csv_logger {
    char *path;
    FILE *f;
    int wrote_header;
    int n_keys;
    char keys[CK_MAX_LOGS + 2][CK_MAX_KEY]; /* the header's keys, sorted */
} csv_logger;

static int csv_train_begin(ck_callback *cb, ck_model *m)
{
    (void)m;
    csv_logger *c = cb->state;
    if (c->f) fclose(c->f);
    c->f = fopen(c->path, "w");
    c->wrote_header = 0;
    if (!c->f) return ck_fail("CSVLogger: cannot create '%s'", c->path);
    return 0;
}

static int by_key(const void *a, const void *b) { return strcmp(a, b); }

/* The shortest text that reads back as the same double, as Python prints. */
static void shortest(double v, char *buf, size_t n)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

static int csv_epoch_end(ck_callback *cb, ck_model *m, const ck_epoch_log *log)
{
    csv_logger *c = cb->state;
    if (!c->f) return ck_fail("CSVLogger: file is not open (on_train_begin was not called)");
    if (!c->wrote_header) {
        c->n_keys = 0;
        /* the first epoch's keys: loss, val_loss (with validation data)
         * and every other logged value */
        snprintf(c->keys[c->n_keys++], sizeof c->keys[0], "loss");
        if (m->has_validation || !isnan(log->val_loss)) snprintf(c->keys[c->n_keys++], sizeof c->keys[0], "val_loss");
        for (int k = 0; k < log->n_values; k++) snprintf(c->keys[c->n_keys++], sizeof c->keys[0], "%s", log->keys[k]);
        qsort(c->keys, (size_t)c->n_keys, sizeof c->keys[0], by_key);
        fprintf(c->f, "epoch");
        for (int k = 0; k < c->n_keys; k++) fprintf(c->f, ",%s", c->keys[k]);
        fprintf(c->f, "\n");
        c->wrote_header = 1;
    }
    fprintf(c->f, "%d", log->epoch - 1);
    for (int k = 0; k < c->n_keys; k++) {
        double v;
        char b[40];
        if (ck_log_value(m, log, c->keys[k], &v)) return -1;
        shortest(v, b, sizeof b);
        fprintf(c->f, ",%s", b);
    }
    fprintf(c->f, "\n");
    return fflush(c->f) ? ck_fail("CSVLogger: write error on '%s'", c->path) : 0;
}

static int csv_train_end(ck_callback *cb, ck_model *m)
{
    (void)m;
    csv_logger *c = cb->state;
    int rc = c->f && fclose(c->f) ? ck_fail("CSVLogger: write error on '%s'", c->path) : 0;
    c->f = NULL;
    return rc;
}

static void csv_free(ck_callback *cb)
{
    csv_logger *c = cb->state;
    if (!c) return;
    if (c->f) fclose(c->f);
    free(c->path);
    free(c);
}

ck_callback *ck_CSVLogger(const char *path)
{
    if (!path) {
        ck_fail("CSVLogger: path is NULL");
        return NULL;
    }
    ck_callback *cb = ck_callback_new("CSVLogger", sizeof(csv_logger));
    if (!cb) return NULL;
    csv_logger *c = cb->state;
    cb->on_train_begin = csv_train_begin;
    cb->on_epoch_end = csv_epoch_end;
    cb->on_train_end = csv_train_end;
    cb->free = csv_free;
    c->path = strdup(path);
    if (!c->path) {
        ck_callback_free(cb);
        ck_fail("CSVLogger: out of memory");
        return NULL;
    }
    return cb;
}
