/* csv_logger.c - Keras's CSVLogger: one CSV line per epoch with every
 * logged value.
 *
 * The file is kept in memory and rewritten whole, atomically (ck_io.h), at
 * the end of every epoch, rather than appended to: appending would make the
 * file half-written while a line is written, and opening it for appending
 * at train begin would truncate an earlier run's log before this run had a
 * line to replace it with. A log is a few dozen bytes per epoch, so the
 * rewrite costs little next to an epoch. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_callbacks_internal.h"
#include "ck_io.h"

/* longest logged key: an output's name (as long as a layer name) + a metric's */
enum { CK_MAX_KEY = 160 };

typedef struct csv_logger {
    char *path;
    char *text; /* the whole file so far: rewritten at every epoch's end */
    size_t len, cap;
    int wrote_header;
    int n_keys;
    char keys[CK_MAX_LOGS + 2][CK_MAX_KEY]; /* the header's keys, sorted */
} csv_logger;

/* Nothing is written yet: an earlier file at path stays as it was until the
 * first epoch ends. The path is checked now, so a bad one fails before
 * training. */
static int csv_train_begin(ck_callback *cb, ck_model *m)
{
    (void)m;
    csv_logger *c = cb->state;
    c->len = 0;
    c->wrote_header = 0;
    if (ck_io_check_output_path(c->path) < 0) {
        ck_error_prefix("CSVLogger: ");
        return -1;
    }
    return 0;
}

/* printf onto the text; -1 when out of memory. */
static int put(csv_logger *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0) return -1;
    if (c->len + (size_t)need + 1 > c->cap) {
        size_t cap = (c->cap ? c->cap * 2 : 1024) + (size_t)need;
        char *grown = realloc(c->text, cap);
        if (!grown) return -1;
        c->text = grown;
        c->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(c->text + c->len, c->cap - c->len, fmt, ap);
    va_end(ap);
    c->len += (size_t)need;
    return 0;
}

static int by_key(const void *a, const void *b) { return strcmp(a, b); }

/* The epoch's line (after the header, the first time), then the whole
 * file rewritten atomically. */
static int csv_epoch_end(ck_callback *cb, ck_model *m, const ck_epoch_log *log)
{
    csv_logger *c = cb->state;
    int oom = 0;
    if (!c->wrote_header) {
        c->n_keys = 0;
        /* the first epoch's keys: loss, val_loss (with validation data)
         * and every other logged value */
        snprintf(c->keys[c->n_keys++], sizeof c->keys[0], "loss");
        if (m->has_validation || !isnan(log->val_loss)) snprintf(c->keys[c->n_keys++], sizeof c->keys[0], "val_loss");
        for (int k = 0; k < log->n_values; k++) snprintf(c->keys[c->n_keys++], sizeof c->keys[0], "%s", log->keys[k]);
        qsort(c->keys, (size_t)c->n_keys, sizeof c->keys[0], by_key);
        oom |= put(c, "epoch");
        for (int k = 0; k < c->n_keys; k++) oom |= put(c, ",%s", c->keys[k]);
        oom |= put(c, "\n");
        c->wrote_header = 1;
    }
    oom |= put(c, "%d", log->epoch - 1);
    for (int k = 0; k < c->n_keys; k++) {
        double v;
        char b[CK_DOUBLE_TEXT];
        if (ck_log_value(m, log, c->keys[k], &v)) return -1;
        oom |= put(c, ",%s", ck_shortest_double(v, b, sizeof b));
    }
    oom |= put(c, "\n");
    if (oom) return ck_fail("CSVLogger: out of memory");
    if (ck_io_write_file(c->path, c->text, c->len) < 0) {
        ck_error_prefix("CSVLogger: ");
        return -1;
    }
    return 0;
}

static void csv_free(ck_callback *cb)
{
    csv_logger *c = cb->state;
    if (!c) return;
    free(c->text);
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
    cb->free = csv_free;
    c->path = strdup(path);
    if (!c->path) {
        ck_callback_free(cb);
        ck_fail("CSVLogger: out of memory");
        return NULL;
    }
    return cb;
}
