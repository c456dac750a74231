/* rss_epochs - does training hold its memory steady? Trains the notebook's
 * FM the way examples/fm_movielens.c does (80/20 split, batch 2048, Adam
 * 0.001, shuffle, validation every epoch) and reads the resident set size
 * from /proc/self/statm in a user callback after every epoch.
 *     rss_epochs [DIR|-] EPOCHS [MAX_GROWTH_PERCENT]
 * DIR: an ml-1m / ml-100k directory; "-": the example's built-in generated
 * data. Fails (exit 1) if RSS after the last epoch exceeds RSS after epoch 1
 * by more than MAX_GROWTH_PERCENT (default 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_fm.h"
#include "ck_movielens.h"

static long resident_kib(void)
{
    long pages_total = 0, pages_resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    if (fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = -1;
    fclose(f);
    return pages_resident < 0 ? -1 : pages_resident * (sysconf(_SC_PAGESIZE) / 1024);
}

typedef struct rss_log {
    long *kib;
    int n;
} rss_log;

static int rss_epoch_end(ck_callback *cb, ck_model *m, const ck_epoch_log *e)
{
    (void)m;
    rss_log *r = cb->state;
    r->kib[r->n++] = resident_kib();
    printf("epoch %3d: loss %.4f val_loss %.4f rss %ld KiB\n", e->epoch, e->loss, e->val_loss, r->kib[r->n - 1]);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: rss_epochs DIR|- EPOCHS [MAX_GROWTH_PERCENT]\n");
        return 2;
    }
    int epochs = atoi(argv[2]);
    double max_growth = argc > 3 ? atof(argv[3]) : 1.0;
    if (epochs < 1) {
        fprintf(stderr, "rss_epochs: EPOCHS must be >= 1\n");
        return 2;
    }
    ck_movielens d;
    int rc = strcmp(argv[1], "-") ? ck_movielens_load(argv[1], &d)
                                  : ck_movielens_synthetic(7, CK_ML_SYNTH_DEFAULT_USERS, CK_ML_SYNTH_DEFAULT_MOVIES,
                                                           CK_ML_SYNTH_DEFAULT_RATINGS, &d);
    if (rc < 0) {
        fprintf(stderr, "rss_epochs: %s\n", ck_error());
        return 2;
    }
    int64_t *tr, *va, n_tr, n_va;
    ck_movielens_batch train = {0}, val = {0};
    ck_session *s = ck_session_new(7);
    ck_fm fm;
    ck_fm_config cfg = {.n_uid = d.n_uid, .n_mid = d.n_mid, .n_genre = d.n_genre, .k = 20};
    if (ck_movielens_split(d.n, 0.2, 7, &tr, &n_tr, &va, &n_va) < 0 || ck_movielens_gather(&d, tr, n_tr, &train) < 0 ||
        ck_movielens_gather(&d, va, n_va, &val) < 0 || !s || ck_fm_model(s, &cfg, &fm) < 0 ||
        ck_compile(fm.fm_model, "mse", ck_Adam(0.001f), NULL, 0) < 0) {
        fprintf(stderr, "rss_epochs: %s\n", ck_error());
        return 1;
    }
    rss_log log = {calloc((size_t)epochs, sizeof(long)), 0};
    ck_callback cb = {.name = "rss", .state = &log, .on_epoch_end = rss_epoch_end};
    ck_history *h =
        ck_fit(fm.fm_model, train.x, CK_ML_N_INPUTS, &train.y,
               CK_FIT_ARGS(.epochs = epochs, .batch_size = 2048, .shuffle = true, .val_x = val.x, .val_y = &val.y,
                           .callbacks = (ck_callback *[]){&cb}, .n_callbacks = 1, .verbose = 0));
    if (!h) {
        fprintf(stderr, "rss_epochs: %s\n", ck_error());
        return 1;
    }
    double growth = 100.0 * (double)(log.kib[log.n - 1] - log.kib[0]) / (double)log.kib[0];
    printf("rss after epoch 1: %ld KiB, after epoch %d: %ld KiB, growth %+.3f%% (limit %.2f%%)\n", log.kib[0], log.n,
           log.kib[log.n - 1], growth, max_growth);
    ck_history_free(h);
    free(log.kib);
    ck_session_free(s);
    ck_movielens_batch_free(&train);
    ck_movielens_batch_free(&val);
    free(tr);
    free(va);
    ck_movielens_free(&d);
    return growth <= max_growth ? 0 : 1;
}
