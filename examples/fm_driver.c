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
#include "fm_objective.h"
#include "fm_presets.h"
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
        .output_activation = fm_objective_for(o).output_activation,
    };
}

const char *fm_checkpoint_path(const fm_program *p, const fm_options *o, char *buf, size_t size)
{
    if (o->checkpoint) return o->checkpoint;
    if (o->preset == FM_PRESET_NOTEBOOK && o->objective == FM_OBJECTIVE_RATING) return p->default_checkpoint;
    /* "models/fm.safetensors" -> "models/fm_tuned_like.safetensors" */
    const char *path = p->default_checkpoint, *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    int stem = dot && (!slash || dot > slash) ? (int)(dot - path) : (int)strlen(path);
    snprintf(buf, size, "%.*s%s%s%s", stem, path, o->preset == FM_PRESET_TUNED ? "_tuned" : "",
             o->objective == FM_OBJECTIVE_LIKE ? "_like" : "", path + stem);
    return buf;
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

/* A user callback: the history CSV (epoch,loss,val_loss, then the
 * objective's validation metrics (val_auc, ...), then train_seconds), one
 * line per epoch, flushed as it goes so a killed run keeps what it did. */
typedef struct history_csv {
    FILE *f;
    const char *path;
    const fm_objective_spec *spec;
} history_csv;

static int history_header(history_csv *h)
{
    fprintf(h->f, "epoch,loss,val_loss");
    for (int i = 0; i < h->spec->n_metrics; i++) fprintf(h->f, ",val_%s", h->spec->metrics[i]);
    return fprintf(h->f, ",train_seconds\n") < 0 ? ck_fail("history: cannot write '%s'", h->path) : 0;
}

static int history_epoch_end(ck_callback *cb, ck_model *m, const ck_epoch_log *e)
{
    history_csv *h = cb->state;
    fprintf(h->f, "%d,%.6f,%.6f", e->epoch, e->loss, e->val_loss);
    for (int i = 0; i < h->spec->n_metrics; i++) {
        char key[64];
        double v = NAN;
        snprintf(key, sizeof key, "val_%s", h->spec->metrics[i]);
        if (ck_log_value(m, e, key, &v) < 0) ck_error_clear(); /* no validation in a NaN-stopped epoch */
        fprintf(h->f, ",%.6f", v);
    }
    if (fprintf(h->f, ",%.4f\n", e->train_seconds) < 0 || fflush(h->f) != 0)
        return ck_fail("history: cannot write '%s'", h->path);
    return 0;
}

static int write_plot(const fm_program *p, const fm_options *o, const char *path, const ck_history *h)
{
    int n = h->n_epochs > 0 ? h->n_epochs : 1;
    double *loss = malloc(sizeof *loss * (size_t)n), *val = malloc(sizeof *val * (size_t)n);
    int rc = loss && val ? 0 : ck_fail("out of memory");
    for (int e = 0; !rc && e < h->n_epochs; e++) {
        loss[e] = h->epochs[e].loss;
        val[e] = h->epochs[e].val_loss;
    }
    char title[128];
    snprintf(title, sizeof title, "%s on MovieLens: %s per epoch", p->model_title,
             o->objective == FM_OBJECTIVE_LIKE ? "logloss" : "MSE");
    if (!rc) rc = plot_learning_curve(path, loss, val, h->n_epochs, title);
    free(loss);
    free(val);
    return rc;
}

/* Why a run ended without a finite best value of the monitor, on stderr. */
static void report_divergence(const fm_program *p, const fm_options *o, const char *checkpoint, const ck_history *h,
                              int best, const char *monitor)
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
    fprintf(stderr, "%s: training produced no finite %s\n", p->name, monitor);
}

/* The rows of a run, as views into the dataset. */
typedef struct fm_rows {
    ck_movielens_batch fit;      /* what fit trains on */
    ck_movielens_batch watched;  /* fit's validation data: what the callbacks watch */
    ck_movielens_batch reported; /* what the last line reports */
    int held_out;                /* watched are held-out training rows, not the reported ones */
} fm_rows;

static int prepare_rows(const fm_options *o, ck_movielens *data, fm_rows *r)
{
    ck_movielens_batch train_rows, val_rows;
    /* train_test_split(test_size=0.2, random_state=7): reorders data's rows
     * in place; train_rows and val_rows are views into data */
    if (ck_movielens_split_rows(data, o->val_split, o->seed, &train_rows, &val_rows) < 0) return -1;
    int64_t n_set_aside = val_rows.n;
    /* --inner-split, the search's protocol: the validation rows are set
     * aside unseen, and the training rows are split again the same way */
    if (o->inner_split && fm_split_first_rows(data, train_rows.n, o->val_split, o->seed, &train_rows, &val_rows) < 0)
        return -1;
    *r = (fm_rows){.fit = train_rows, .watched = val_rows, .reported = val_rows};
    /* the preset's held-out training rows choose the epoch */
    if (o->early_stop_split > 0) {
        if (fm_split_first_rows(data, train_rows.n, o->early_stop_split, o->seed, &r->fit, &r->watched) < 0) return -1;
        r->held_out = 1;
    }
    if (o->quiet) return 0;
    if (o->inner_split)
        printf("inner split: the %lld validation rows are set aside unseen; the training rows split again:\n",
               (long long)n_set_aside);
    printf("split: %lld training rows, %lld validation rows (seed %u)\n", (long long)train_rows.n,
           (long long)val_rows.n, (unsigned)o->seed);
    if (r->held_out)
        printf("epoch chosen on %lld of the training rows held out (--early-stop-split %g); fit trains on %lld\n",
               (long long)r->watched.n, o->early_stop_split, (long long)r->fit.n);
    return 0;
}

/* The last line, "best val_loss: X (RMSE Y) at epoch N/M" (or val_auc and
 * logloss), from the best epoch's logs, or, when held-out training rows
 * chose the epoch, from the reported rows evaluated with the checkpoint
 * (the best epoch's weights). */
static int report_result(const fm_program *p, const fm_objective_spec *spec, ck_model *model, const ck_history *h,
                         int best, const fm_rows *rows, const char *checkpoint)
{
    const ck_epoch_log *e = &h->epochs[best];
    double score = NAN, second = NAN;
    if (!rows->held_out) {
        if (ck_log_value(model, e, spec->score, &score) < 0 ||
            (spec->second && ck_log_value(model, e, spec->second, &second) < 0))
            return report(p, EXIT_FAILURE_, "cannot read the best epoch's logs");
    } else {
        double out[1 + CK_MAX_OUTPUTS + CK_MAX_METRICS], watched;
        if (ck_log_value(model, e, spec->monitor, &watched) < 0 || ck_load_weights(model, checkpoint) < 0 ||
            ck_evaluate(model, rows->reported.x, CK_ML_N_INPUTS, &rows->reported.y, PREDICT_BATCH, out) < 0)
            return report(p, EXIT_FAILURE_, "cannot evaluate the best weights");
        printf("held-out training rows: best %s %.4f at epoch %d; with those weights, the %lld validation rows:\n",
               spec->monitor, watched, e->epoch, (long long)rows->reported.n);
        score = fm_evaluated(model, out, spec->score);
        if (spec->second) second = fm_evaluated(model, out, spec->second);
    }
    if (!spec->second) second = sqrt(score);
    printf("best %s: %.4f (%s %.4f) at epoch %d/%d\n", spec->score_name, score, spec->second_name, second, e->epoch,
           h->n_epochs);
    return EXIT_OK;
}

/* The notebook's callbacks on spec's monitor, in ckpt, early, nan_stop. */
static int make_callbacks(const fm_options *o, const fm_objective_spec *spec, const char *checkpoint, int held_out,
                          ck_callback **ckpt, ck_callback **early, ck_callback **nan_stop)
{
    /* ModelCheckpoint(save_best_only=True, save_weights_only=True), EarlyStopping(patience) */
    *ckpt = ck_ModelCheckpoint(checkpoint, spec->monitor, 1, 1, !o->quiet);
    /* held-out rows: restore_best_weights, as Keras's EarlyStopping does it */
    *early = ck_EarlyStopping(spec->monitor, o->patience, 0.0, held_out);
    /* TerminateOnNaN: a diverged run (e.g. --lr 1e6) stops at its first NaN/Inf
     * batch; ModelCheckpoint never saves a NaN val_loss, so the best stays. */
    *nan_stop = ck_TerminateOnNaN();
    return *ckpt && *early && *nan_stop ? 0 : -1;
}

static int train(const fm_program *p, const fm_options *o)
{
    ck_movielens data = {0};
    fm_rows rows = {0};
    ck_session *s = NULL;
    ck_history *hist = NULL;
    ck_callback *ckpt = NULL, *early = NULL, *nan_stop = NULL;
    const fm_objective_spec spec = fm_objective_for(o);
    history_csv hcsv = {.spec = &spec};
    ck_callback hist_cb = {.name = "history_csv", .state = &hcsv, .on_epoch_end = history_epoch_end};
    char path[4096];
    const char *checkpoint = fm_checkpoint_path(p, o, path, sizeof path);
    int status = EXIT_FAILURE_;

    /* genres tokenized and padded; ratings = merge(merge(ratings, users), movies) */
    if (fm_load_data(o, &data) < 0) {
        status = report(p, EXIT_BAD_INPUT, "cannot load the data");
        goto done;
    }
    /* --objective like: the target is rating >= 4 */
    if (o->objective == FM_OBJECTIVE_LIKE) fm_like_targets(data.rating, data.n);
    fm_scale_occupation(&data, o->occupation_scale);
    if (prepare_rows(o, &data, &rows) < 0) {
        status = report(p, EXIT_BAD_INPUT, "cannot split the data");
        goto done;
    }

    /* model = fm_model(n_uid, n_mid, n_genre, k) (or DeepFM) */
    ck_fm_config cfg = fm_config(o, &data);
    s = ck_session_new(o->seed);
    ck_model *model = s ? p->build(s, &cfg) : NULL;
    if (!model || fm_set_l2(model, o) < 0) {
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

    /* model.compile(loss='MSE', optimizer=Adam(lr)) (or the like objective's) */
    if (ck_compile(model, spec.loss, fm_optimizer(o, rows.fit.n), spec.n_metrics ? spec.metrics : NULL,
                   spec.n_metrics) < 0) {
        status = report(p, EXIT_FAILURE_, "compile failed");
        goto done;
    }
    if (ensure_parent_dir(checkpoint) < 0) {
        status = report(p, EXIT_BAD_INPUT, "bad --checkpoint");
        goto done;
    }
    if (make_callbacks(o, &spec, checkpoint, rows.held_out, &ckpt, &early, &nan_stop) < 0) {
        status = report(p, EXIT_FAILURE_, "cannot make the callbacks");
        goto done;
    }
    ck_callback *cbs[4] = {nan_stop, ckpt, early, &hist_cb};
    int n_cbs = 3;
    if (o->history) {
        hcsv.path = o->history;
        hcsv.f = fopen(o->history, "w");
        if (!hcsv.f) ck_fail("cannot open '%s' for writing: %s", o->history, strerror(errno));
        if (!hcsv.f || history_header(&hcsv) < 0) {
            status = report(p, EXIT_BAD_INPUT, "bad --history");
            goto done;
        }
        n_cbs = 4;
    }

    /* model.fit(train_x, train_y, epochs, batch_size, validation_data, callbacks) */
    hist = ck_fit(model, rows.fit.x, CK_ML_N_INPUTS, &rows.fit.y,
                  CK_FIT_ARGS(.epochs = o->epochs, .batch_size = o->batch, .shuffle = true, .val_x = rows.watched.x,
                              .val_y = &rows.watched.y, .callbacks = cbs, .n_callbacks = n_cbs,
                              .verbose = o->quiet ? CK_SILENT : CK_PROGRESS));
    if (!hist) {
        status = report(p, EXIT_FAILURE_, "training failed");
        goto done;
    }
    int best = fm_best_epoch(model, hist, spec.monitor);
    if (o->plot && write_plot(p, o, o->plot, hist) < 0) {
        status = report(p, EXIT_FAILURE_, "cannot write the plot");
        goto done;
    }
    if (best < 0 || !isfinite(hist->epochs[hist->n_epochs - 1].loss)) {
        report_divergence(p, o, checkpoint, hist, best, spec.monitor);
        goto done;
    }
    status = report_result(p, &spec, model, hist, best, &rows, checkpoint);

done:
    if (hcsv.f) fclose(hcsv.f);
    ck_history_free(hist);
    ck_callback_free(ckpt);
    ck_callback_free(early);
    ck_callback_free(nan_stop);
    ck_session_free(s);
    ck_movielens_free(&data);
    return status;
}

/* ---- recommend ---- */

static int by_score_desc(const void *a, const void *b)
{
    const fm_scored *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
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

int fm_rank_unrated(ck_model *model, const ck_movielens *d, long user, fm_scored **ranked, int *n_ranked)
{
    candidates cand = {0};
    ck_tensor *pred = NULL;
    *ranked = NULL;
    *n_ranked = 0;
    if (user < 1 || user > d->n_uid || !d->user_present[user])
        return ck_fail("user %ld is not in the data (user ids 1..%d)", user, d->n_uid);
    int rc = unrated_movies(d, user, &cand);
    int n = cand.n, L = d->maxlen;
    if (!rc && n > 0) {
        ck_tensor x[CK_ML_N_INPUTS] = {
            ck_tensor_view(CK_F32, ck_shape_of(2, n, 1), cand.occ),
            ck_tensor_view(CK_I32, ck_shape_of(2, n, 1), cand.uid),
            ck_tensor_view(CK_I32, ck_shape_of(2, n, 1), cand.mid),
            ck_tensor_view(CK_I32, ck_shape_of(2, n, L), cand.genre),
        };
        /* model.predict(x): (n, 1) ratings or like-probabilities */
        pred = ck_predict(model, x, CK_ML_N_INPUTS, PREDICT_BATCH);
        *ranked = malloc(sizeof **ranked * (size_t)n);
        if (!pred || !*ranked) rc = pred ? ck_fail("out of memory") : -1;
    }
    if (!rc && n > 0) {
        for (int i = 0; i < n; i++) (*ranked)[i] = (fm_scored){cand.mid[i], pred->f[i]};
        qsort(*ranked, (size_t)n, sizeof **ranked, by_score_desc);
        *n_ranked = n;
    }
    if (rc) {
        free(*ranked);
        *ranked = NULL;
    }
    ck_tensor_free(pred);
    candidates_free(&cand);
    return rc;
}

static int recommend(const fm_program *p, const fm_options *o)
{
    ck_movielens data = {0};
    ck_session *s = NULL;
    fm_scored *ranked = NULL;
    int n = 0, like = o->objective == FM_OBJECTIVE_LIKE;
    char path[4096];
    const char *checkpoint = fm_checkpoint_path(p, o, path, sizeof path);
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
    /* the model as trained: the same preset (k, occupation scale), objective
     * (output) and pool */
    fm_scale_occupation(&data, o->occupation_scale);
    ck_fm_config cfg = fm_config(o, &data);
    s = ck_session_new(o->seed);
    ck_model *model = s ? p->build(s, &cfg) : NULL;
    if (!model) {
        status = report(p, EXIT_FAILURE_, "cannot build the model");
        goto done;
    }
    if (ck_load_weights(model, checkpoint) < 0) {
        status = report(p, EXIT_BAD_INPUT, "cannot load the checkpoint");
        fprintf(stderr,
                "%s: recommend needs the --preset, --objective, --k, --occupation-scale and --genre-pool "
                "the checkpoint was trained with\n",
                p->name);
        goto done;
    }
    if (fm_rank_unrated(model, &data, o->user, &ranked, &n) < 0) {
        status = report(p, EXIT_FAILURE_, "recommend");
        goto done;
    }
    if (n == 0) {
        printf("user %ld has rated every movie\n", o->user);
        status = EXIT_OK;
        goto done;
    }
    int top = o->top < n ? o->top : n;
    printf("top %d movies for user %ld (not yet rated), by predicted %s (%s):\n", top, o->user,
           like ? "like-probability" : "rating", checkpoint);
    for (int i = 0; i < top; i++) {
        int m = ranked[i].mid;
        printf(like ? "%3d. %5.3f  %s  [%s]\n" : "%3d. %5.2f  %s  [%s]\n", i + 1, ranked[i].score,
               data.title[m] ? data.title[m] : "?", data.movie_genres_text[m] ? data.movie_genres_text[m] : "");
    }
    status = EXIT_OK;

done:
    free(ranked);
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
