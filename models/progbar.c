/* progbar.c - Keras's Progbar: on a terminal, a bar redrawn in place with
 * the running loss and an ETA; otherwise (a pipe, a log file) one line per
 * epoch with the epoch's logs. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ck_model_internal.h"

enum { BAR_WIDTH = 30 };
static const double REDRAW_SECONDS = 0.05; /* at most 20 redraws a second */

double ck_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Keras prints 4 decimals, or scientific notation for small values. */
static void print_value(const char *key, double v)
{
    if (fabs(v) > 1e-3 || v == 0.0)
        printf(" - %s: %.4f", key, v);
    else
        printf(" - %s: %.4e", key, v);
}

static void print_bar(const ck_progbar *p, int64_t done)
{
    int width = (int)(BAR_WIDTH * done / p->total), digits = snprintf(NULL, 0, "%lld", (long long)p->total);
    /* on a terminal the bar redraws itself; in a file each bar is a line */
    printf("%s%*lld/%lld [", p->tty ? "\r" : "", digits, (long long)done, (long long)p->total);
    for (int i = 0; i < BAR_WIDTH; i++)
        putchar(i < width - 1 ? '=' : i == width - 1 ? (done < p->total ? '>' : '=') : '.');
    printf("]");
}

void ck_progbar_start(ck_progbar *p, int epoch, int epochs)
{
    if (p->on) {
        printf("Epoch %d/%d\n", epoch, epochs);
        fflush(stdout);
    }
    p->start = ck_now_seconds();
    p->last_draw = 0;
}

void ck_progbar_update(ck_progbar *p, int64_t done, double loss)
{
    if (!p->on || !p->tty) return;
    double t = ck_now_seconds();
    if (t - p->last_draw < REDRAW_SECONDS && done < p->total) return;
    p->last_draw = t;
    print_bar(p, done);
    double eta = (t - p->start) / (double)done * (double)(p->total - done);
    if (eta > 3600)
        printf(" - ETA: %d:%02d:%02d", (int)eta / 3600, (int)eta % 3600 / 60, (int)eta % 60);
    else if (eta > 60)
        printf(" - ETA: %d:%02d", (int)eta / 60, (int)eta % 60);
    else
        printf(" - ETA: %ds", (int)eta);
    print_value("loss", loss);
    printf("\033[K"); /* clear what a longer previous line left */
    fflush(stdout);
}

/* Whether key is a training metric with a val_ twin in the log. */
static int has_val_twin(const ck_epoch_log *log, const char *key)
{
    for (int i = 0; i < log->n_values; i++)
        if (!strncmp(log->keys[i], "val_", 4) && !strcmp(log->keys[i] + 4, key)) return 1;
    return 0;
}

/* The bar at 100%, the time per step, then the epoch's logs in Keras's
 * order: loss, metrics, val_loss, val_ metrics, then what callbacks
 * logged ("lr"). */
void ck_progbar_end(const ck_progbar *p, const ck_epoch_log *log)
{
    if (!p->on) return;
    double elapsed = ck_now_seconds() - p->start, per_step = log->train_seconds / (double)p->total;
    print_bar(p, p->total);
    printf(" - %.0fs", elapsed);
    if (per_step >= 1)
        printf(" %.0fs/step", per_step);
    else if (per_step >= 1e-3)
        printf(" %.0fms/step", per_step * 1e3);
    else
        printf(" %.0fus/step", per_step * 1e6);
    print_value("loss", log->loss);
    /* the log's order, with val_loss before the first val_ metric, or
     * before the first value callbacks added (a key without a val_ twin) */
    int val_loss_due = p->has_validation;
    for (int i = 0; i < log->n_values; i++) {
        const char *key = log->keys[i];
        if (val_loss_due && (!strncmp(key, "val_", 4) || !has_val_twin(log, key))) {
            print_value("val_loss", log->val_loss);
            val_loss_due = 0;
        }
        print_value(key, log->values[i]);
    }
    if (val_loss_due) print_value("val_loss", log->val_loss);
    if (p->tty) printf("\033[K");
    printf("\n");
    fflush(stdout);
}
