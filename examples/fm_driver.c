/* fm_driver.c - the FM examples' shared driver (see fm_driver.h). The
 * notebook's cells, in order: load the data, tokenize and pad the genres,
 * merge, split 80/20, build the model from layers, compile with MSE + Adam,
 * fit with ModelCheckpoint + EarlyStopping; then, apart from the notebook,
 * the summary before training and recommendations from the saved weights.
 * See docs/fm-under-the-hood.md for the walk-through. */
#include "fm_driver.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ck_kernels.h"
#include "learning_curve.h"

/* The batch size for predictions (recommend). */
enum { PREDICT_BATCH = 2048 };

/* "prog: what: <library message>" on stderr; clears the message; returns status. */
static int report(const fm_program *p, int status, const char *what)
{
    fprintf(stderr, "%s: %s%s%s\n", p->name, what, ck_error() ? ": " : "", ck_error() ? ck_error() : "");
    ck_error_clear();
    return status;
}

int fm_load_data(const fm_options *o, ck_movielens *d)
{
    if (o->data_dir) {
        if (ck_movielens_load(o->data_dir, d) < 0) return -1;
        if (!o->quiet)
            printf("data: %s (%s): %lld ratings, %lld users, %lld movies; n_uid %d, n_mid %d\n", o->data_dir, d->format,
                   (long long)d->n, (long long)d->n_users, (long long)d->n_movies, d->n_uid, d->n_mid);
        return 0;
    }
    if (ck_movielens_synthetic(o->seed, CK_ML_SYNTH_DEFAULT_USERS, CK_ML_SYNTH_DEFAULT_MOVIES,
                               CK_ML_SYNTH_DEFAULT_RATINGS, d) < 0)
        return -1;
    if (!o->quiet)
        printf("data: no --data given, so training on a MovieLens-like dataset generated in memory\n"
               "      (%d users, %d movies, %d ratings; seed %u). For the real thing, download\n"
               "      https://files.grouplens.org/datasets/movielens/ml-1m.zip, unzip it and run\n"
               "      with --data ml-1m\n",
               CK_ML_SYNTH_DEFAULT_USERS, CK_ML_SYNTH_DEFAULT_MOVIES, CK_ML_SYNTH_DEFAULT_RATINGS, (unsigned)o->seed);
    return 0;
}

ck_fm_config fm_config(const fm_options *o, const ck_movielens *d)
{
    return (ck_fm_config){
        .n_uid = d->n_uid,
        .n_mid = d->n_mid,
        .n_genre = d->n_genre,
        .k = o->k,
        .genre_pool = o->genre_pool_notebook ? CK_GENRE_POOL_NOTEBOOK : CK_GENRE_POOL_MASKED,
    };
}

/* mkdir of a file's parent directory (one level, like the notebook's ./model). */
static int ensure_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;
    char dir[4096];
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir) return ck_fail("path too long: %s", path);
    memcpy(dir, path, n);
    dir[n] = 0;
    if (mkdir(dir, 0777) < 0 && errno != EEXIST)
        return ck_fail("cannot create directory '%s': %s", dir, strerror(errno));
    return 0;
}

/* ---- train ---- */

/* A user callback: the history CSV (epoch,loss,val_loss,train_seconds), one
 * line per epoch, flushed as it goes so a killed run keeps what it did. */
typedef struct history_csv {
    FILE *f;
    const char *path;
} history_csv;

static int history_epoch_end(ck_callback *cb, ck_model *m, const ck_epoch_log *e)
{
    (void)m;
    history_csv *h = cb->state;
    if (fprintf(h->f, "%d,%.6f,%.6f,%.4f\n", e->epoch, e->loss, e->val_loss, e->train_seconds) < 0 || fflush(h->f) != 0)
        return ck_fail("history: cannot write '%s'", h->path);
    return 0;
}

/* The epoch with the lowest finite val_loss, or -1. */
static int best_epoch(const ck_history *h)
{
    int best = -1;
    for (int e = 0; e < h->n_epochs; e++)
        if (isfinite(h->epochs[e].val_loss) && (best < 0 || h->epochs[e].val_loss < h->epochs[best].val_loss)) best = e;
    return best;
}

static int write_plot(const fm_program *p, const char *path, const ck_history *h)
{
    int n = h->n_epochs > 0 ? h->n_epochs : 1;
    double *loss = malloc(sizeof *loss * (size_t)n), *val = malloc(sizeof *val * (size_t)n);
    int rc = loss && val ? 0 : ck_fail("out of memory");
    for (int e = 0; !rc && e < h->n_epochs; e++) {
        loss[e] = h->epochs[e].loss;
        val[e] = h->epochs[e].val_loss;
    }
    char title[128];
    snprintf(title, sizeof title, "%s on MovieLens: MSE per epoch", p->model_title);
    if (!rc) rc = plot_learning_curve(path, loss, val, h->n_epochs, title);
    free(loss);
    free(val);
    return rc;
}

/* Why a run ended without a finite best val_loss, on stderr. */
static void report_divergence(const fm_program *p, const fm_options *o, const char *checkpoint, const ck_history *h,
                              int best)
{
    const ck_epoch_log *last = h->n_epochs > 0 ? &h->epochs[h->n_epochs - 1] : NULL;
    if (last && !isfinite(last->loss)) {
        fprintf(stderr,
                "%s: the training loss became %s in epoch %d (learning rate %g too large?); training "
                "stopped (TerminateOnNaN)",
                p->name, isnan(last->loss) ? "NaN" : "infinite", last->epoch, o->lr);
        if (best >= 0)
            fprintf(stderr, "; %s keeps the best weights, from epoch %d (val_loss %.4f)\n", checkpoint,
                    h->epochs[best].epoch, h->epochs[best].val_loss);
        else
            fprintf(stderr, "; this run saved no checkpoint (an existing %s is left as it was)\n", checkpoint);
        return;
    }
    fprintf(stderr, "%s: training produced no finite val_loss\n", p->name);
}

static int train(const fm_program *p, const fm_options *o)
{
    ck_movielens data = {0};
    ck_movielens_batch train_rows = {0}, val_rows = {0};
    ck_session *s = NULL;
    ck_history *hist = NULL;
    ck_callback *ckpt = NULL, *early = NULL, *nan_stop = NULL;
    history_csv hcsv = {0};
    ck_callback hist_cb = {.name = "history_csv", .state = &hcsv, .on_epoch_end = history_epoch_end};
    const char *checkpoint = o->checkpoint ? o->checkpoint : p->default_checkpoint;
    int status = EXIT_FAILURE_;

    /* genres tokenized and padded; ratings = merge(merge(ratings, users), movies) */
    if (fm_load_data(o, &data) < 0) {
        status = report(p, EXIT_BAD_INPUT, "cannot load the data");
        goto done;
    }
    /* train_test_split(test_size=0.2, random_state=7): reorders data's rows
     * in place; train_rows and val_rows are views into data */
    if (ck_movielens_split_rows(&data, o->val_split, o->seed, &train_rows, &val_rows) < 0) {
        status = report(p, EXIT_BAD_INPUT, "cannot split the data");
        goto done;
    }
    if (!o->quiet)
        printf("split: %lld training rows, %lld validation rows (seed %u)\n", (long long)train_rows.n,
               (long long)val_rows.n, (unsigned)o->seed);

    /* model = fm_model(n_uid, n_mid, n_genre, k) (or DeepFM) */
    ck_fm_config cfg = fm_config(o, &data);
    s = ck_session_new(o->seed);
    ck_model *model = s ? p->build(s, &cfg) : NULL;
    if (!model) {
        status = report(p, EXIT_FAILURE_, "cannot build the model");
        goto done;
    }
    if (!o->quiet) {
        printf("genre pooling: %s\n", ck_genre_pool_name(cfg.genre_pool));
        ck_summary(model, stdout);
    }
    if (o->graph && ck_plot_model(model, o->graph) < 0) {
        status = report(p, EXIT_FAILURE_, "cannot write the graph");
        goto done;
    }
    if (o->summary_only) {
        status = EXIT_OK;
        goto done;
    }

    /* model.compile(loss='MSE', optimizer=Adam(lr)) */
    if ((o->tile_rows >= 0 && ck_model_set_tile_rows(model, o->tile_rows) < 0) ||
        ck_compile(model, "MSE", ck_Adam((float)o->lr), NULL, 0) < 0) {
        status = report(p, EXIT_FAILURE_, "compile failed");
        goto done;
    }
    /* ModelCheckpoint(save_best_only=True, save_weights_only=True), EarlyStopping(patience) */
    if (ensure_parent_dir(checkpoint) < 0) {
        status = report(p, EXIT_BAD_INPUT, "bad --checkpoint");
        goto done;
    }
    ckpt = ck_ModelCheckpoint(checkpoint, "val_loss", 1, 1, !o->quiet);
    early = ck_EarlyStopping("val_loss", o->patience, 0.0, 0);
    /* TerminateOnNaN: a diverged run (e.g. --lr 1e6) stops at its first NaN/Inf
     * batch; ModelCheckpoint never saves a NaN val_loss, so the best stays. */
    nan_stop = ck_TerminateOnNaN();
    if (!ckpt || !early || !nan_stop) {
        status = report(p, EXIT_FAILURE_, "cannot make the callbacks");
        goto done;
    }
    ck_callback *cbs[4] = {nan_stop, ckpt, early, &hist_cb};
    int n_cbs = 3;
    if (o->history) {
        hcsv.path = o->history;
        hcsv.f = fopen(o->history, "w");
        if (!hcsv.f) {
            ck_fail("cannot open '%s' for writing: %s", o->history, strerror(errno));
            status = report(p, EXIT_BAD_INPUT, "bad --history");
            goto done;
        }
        fprintf(hcsv.f, "epoch,loss,val_loss,train_seconds\n");
        n_cbs = 4;
    }

    /* model.fit(train_x, train_y, epochs, batch_size, validation_data, callbacks) */
    hist = ck_fit(model, train_rows.x, CK_ML_N_INPUTS, &train_rows.y,
                  CK_FIT_ARGS(.epochs = o->epochs, .batch_size = o->batch, .shuffle = true, .val_x = val_rows.x,
                              .val_y = &val_rows.y, .callbacks = cbs, .n_callbacks = n_cbs,
                              .verbose = o->quiet ? CK_SILENT : CK_PROGRESS));
    if (!hist) {
        status = report(p, EXIT_FAILURE_, "training failed");
        goto done;
    }
    int best = best_epoch(hist);
    if (o->plot && write_plot(p, o->plot, hist) < 0) {
        status = report(p, EXIT_FAILURE_, "cannot write the plot");
        goto done;
    }
    if (best < 0 || !isfinite(hist->epochs[hist->n_epochs - 1].loss)) {
        report_divergence(p, o, checkpoint, hist, best);
        goto done;
    }
    printf("best val_loss: %.4f (RMSE %.4f) at epoch %d/%d\n", hist->epochs[best].val_loss,
           sqrt(hist->epochs[best].val_loss), hist->epochs[best].epoch, hist->n_epochs);
    status = EXIT_OK;

done:
    if (hcsv.f) fclose(hcsv.f);
    ck_history_free(hist);
    ck_callback_free(ckpt);
    ck_callback_free(early);
    ck_callback_free(nan_stop);
    ck_session_free(s);
    ck_movielens_batch_free(&train_rows);
    ck_movielens_batch_free(&val_rows);
    ck_movielens_free(&data);
    return status;
}

/* ---- recommend ---- */

typedef struct scored {
    int mid;
    float rating;
} scored;

static int by_rating_desc(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->rating != y->rating) return x->rating < y->rating ? 1 : -1;
    return x->mid - y->mid;
}

/* The model's four inputs for every movie the user has not rated: (n, 1)
 * occupation, uid, mid and (n, maxlen) genres, in heap arrays. */
typedef struct candidates {
    int n;
    float *occ;
    int32_t *uid, *mid, *genre;
} candidates;

static void candidates_free(candidates *c)
{
    free(c->occ);
    free(c->uid);
    free(c->mid);
    free(c->genre);
}

static int unrated_movies(const ck_movielens *d, long user, candidates *c)
{
    int n_mid = d->n_mid, L = d->maxlen;
    char *seen = calloc((size_t)n_mid + 1, 1);
    c->occ = malloc(sizeof *c->occ * ((size_t)n_mid + 1));
    c->uid = malloc(sizeof *c->uid * ((size_t)n_mid + 1));
    c->mid = malloc(sizeof *c->mid * ((size_t)n_mid + 1));
    c->genre = malloc(sizeof *c->genre * ((size_t)n_mid + 1) * (size_t)L);
    if (!seen || !c->occ || !c->uid || !c->mid || !c->genre) {
        free(seen);
        return ck_fail("out of memory");
    }
    for (int64_t r = 0; r < d->n; r++)
        if (d->uid[r] == user) seen[d->mid[r]] = 1;
    c->n = 0;
    for (int m = 1; m <= n_mid; m++) {
        if (!d->movie_present[m] || seen[m]) continue;
        c->occ[c->n] = d->user_occupation[user];
        c->uid[c->n] = (int32_t)user;
        c->mid[c->n] = m;
        memcpy(c->genre + (size_t)c->n * L, d->movie_genre + (size_t)m * L, sizeof *c->genre * (size_t)L);
        c->n++;
    }
    free(seen);
    return 0;
}

static int recommend(const fm_program *p, const fm_options *o)
{
    ck_movielens data = {0};
    ck_session *s = NULL;
    ck_tensor *pred = NULL;
    candidates cand = {0};
    scored *ranked = NULL;
    const char *checkpoint = o->checkpoint ? o->checkpoint : p->default_checkpoint;
    int status = EXIT_FAILURE_;

    if (fm_load_data(o, &data) < 0) {
        status = report(p, EXIT_BAD_INPUT, "cannot load the data");
        goto done;
    }
    if (o->user > data.n_uid || !data.user_present[o->user]) {
        fprintf(stderr, "%s: user %ld is not in the data (user ids 1..%d)\n", p->name, o->user, data.n_uid);
        status = EXIT_BAD_INPUT;
        goto done;
    }
    ck_fm_config cfg = fm_config(o, &data);
    s = ck_session_new(o->seed);
    ck_model *model = s ? p->build(s, &cfg) : NULL;
    if (!model) {
        status = report(p, EXIT_FAILURE_, "cannot build the model");
        goto done;
    }
    if (ck_load_weights(model, checkpoint) < 0) {
        status = report(p, EXIT_BAD_INPUT, "cannot load the checkpoint");
        goto done;
    }
    if (unrated_movies(&data, o->user, &cand) < 0) {
        status = report(p, EXIT_FAILURE_, "recommend");
        goto done;
    }
    if (cand.n == 0) {
        printf("user %ld has rated every movie\n", o->user);
        status = EXIT_OK;
        goto done;
    }
    int n = cand.n, L = data.maxlen;
    ck_tensor x[CK_ML_N_INPUTS] = {
        ck_tensor_view(CK_F32, ck_shape_of(2, n, 1), cand.occ),
        ck_tensor_view(CK_I32, ck_shape_of(2, n, 1), cand.uid),
        ck_tensor_view(CK_I32, ck_shape_of(2, n, 1), cand.mid),
        ck_tensor_view(CK_I32, ck_shape_of(2, n, L), cand.genre),
    };
    /* model.predict(x) */
    pred = ck_predict(model, x, CK_ML_N_INPUTS, PREDICT_BATCH);
    ranked = malloc(sizeof *ranked * (size_t)n);
    if (!pred || !ranked) {
        status = report(p, EXIT_FAILURE_, "predict failed");
        goto done;
    }
    for (int i = 0; i < n; i++) ranked[i] = (scored){cand.mid[i], pred->f[i]};
    qsort(ranked, (size_t)n, sizeof *ranked, by_rating_desc);
    int top = o->top < n ? o->top : n;
    printf("top %d movies for user %ld (not yet rated), by predicted rating:\n", top, o->user);
    for (int i = 0; i < top; i++) {
        int m = ranked[i].mid;
        printf("%3d. %5.2f  %s  [%s]\n", i + 1, ranked[i].rating, data.title[m] ? data.title[m] : "?",
               data.movie_genres_text[m] ? data.movie_genres_text[m] : "");
    }
    status = EXIT_OK;

done:
    ck_tensor_free(pred);
    free(ranked);
    candidates_free(&cand);
    ck_session_free(s);
    ck_movielens_free(&data);
    return status;
}

int fm_main(int argc, char **argv, const fm_program *p)
{
    fm_options o;
    char err[512];
    if (fm_parse_args(argc, argv, &o, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", p->name, err);
        fm_print_usage(stderr, p->name, p->default_checkpoint);
        return EXIT_BAD_INPUT;
    }
    if (o.command == FM_HELP) {
        fm_print_usage(stdout, p->name, p->default_checkpoint);
        return EXIT_OK;
    }
    /* --threads N: threads for the library's parallel loops (0: the build's default) */
    ck_set_num_threads(o.threads);
    return o.command == FM_RECOMMEND ? recommend(p, &o) : train(p, &o);
}
