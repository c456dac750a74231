/* fm_movielens - the Keras notebook "Factorization Machines with Keras", in C.
 *
 *   fm_movielens [train] [--data DIR] ...      train, checkpoint the best weights
 *   fm_movielens recommend --user UID ...       top-N unrated movies for a user
 *
 * The notebook's cells, in order: load and merge the data, tokenize and pad
 * the genres, split 80/20, build fm_model from layers, summary, compile with
 * MSE + Adam, fit with ModelCheckpoint + EarlyStopping. See
 * docs/fm-under-the-hood.md for the walk-through. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_fm.h"
#include "ck_kernels.h"
#include "ck_movielens.h"
#include "learning_curve.h"
#include "fm_cli.h"
#include "fm_common.h"

/* A user callback: the history CSV, one line per epoch, flushed as it goes
 * so a killed run keeps what it did. */
typedef struct history_csv { FILE *f; const char *path; } history_csv;

static int history_epoch_end(ck_callback *cb, ck_model *m, const ck_epoch_log *e)
{
    (void)m;
    history_csv *h = cb->state;
    if (fprintf(h->f, "%d,%.6f,%.6f,%.4f\n", e->epoch, e->loss, e->val_loss, e->train_seconds) < 0 ||
        fflush(h->f) != 0)
        return ck_fail("history: cannot write '%s'", h->path);
    return 0;
}

static int train(const fm_options *o)
{
    ck_movielens data = {0};
    ck_movielens_batch train_rows = {0}, val_rows = {0};
    ck_session *s = NULL;
    ck_history *hist = NULL;
    ck_callback *ckpt = NULL, *early = NULL, *nan_stop = NULL;
    history_csv hcsv = {0};
    ck_callback hist_cb = {.name = "history_csv", .state = &hcsv, .on_epoch_end = history_epoch_end};
    int status = EXIT_FAILURE_;

    /* ratings = merge(merge(ratings, users), movies); genres tokenized and padded */
    if (fm_load_data(o, &data) < 0) { status = fm_report("fm_movielens", EXIT_BAD_INPUT, "cannot load the data"); goto done; }
    /* train_test_split(test_size=0.2, random_state=7) */
    /* the split reorders data's rows in place; train_rows and val_rows are views into data */
    if (ck_movielens_split_rows(&data, o->val_split, o->seed, &train_rows, &val_rows) < 0) {
        status = fm_report("fm_movielens", EXIT_BAD_INPUT, "cannot split the data");
        goto done;
    }
    if (!o->quiet)
        printf("split: %lld training rows, %lld validation rows (seed %u)\n",
               (long long)train_rows.n, (long long)val_rows.n, (unsigned)o->seed);

    /* fm_model_1d, fm_model_2d, fm_model = fm_model(n_uid, n_mid, n_genre, k) */
    ck_fm fm;
    ck_fm_config cfg = fm_config(o, &data);
    s = ck_session_new(o->seed);
    if (!s || ck_fm_model(s, &cfg, &fm) < 0) { status = fm_report("fm_movielens", EXIT_FAILURE_, "cannot build the model"); goto done; }
    if (!o->quiet) {
        printf("genre pooling: %s\n", ck_genre_pool_name(cfg.genre_pool));
        ck_summary(fm.fm_model, stdout);
    }
    if (o->graph && ck_plot_model(fm.fm_model, o->graph) < 0) {
        status = fm_report("fm_movielens", EXIT_FAILURE_, "cannot write the graph");
        goto done;
    }
    if (o->summary_only) { status = EXIT_OK; goto done; }

    /* fm_model.compile(loss='MSE', optimizer=Adam(lr)) */
    if (ck_compile(fm.fm_model, "mse", ck_Adam((float)o->lr), NULL, 0) < 0) {
        status = fm_report("fm_movielens", EXIT_FAILURE_, "compile failed");
        goto done;
    }
    /* ModelCheckpoint(save_best_only=True, save_weights_only=True), EarlyStopping(patience) */
    if (fm_ensure_parent_dir(o->checkpoint) < 0) { status = fm_report("fm_movielens", EXIT_BAD_INPUT, "bad --checkpoint"); goto done; }
    ckpt = ck_ModelCheckpoint(o->checkpoint, "val_loss", 1, 1, !o->quiet);
    early = ck_EarlyStopping("val_loss", o->patience, 0.0, 0);
    /* TerminateOnNaN: a diverged run (e.g. --lr 1e6) stops at its first NaN/Inf
     * batch; ModelCheckpoint never saves a NaN val_loss, so the best stays. */
    nan_stop = ck_TerminateOnNaN();
    ck_callback *cbs[4] = {nan_stop, ckpt, early, &hist_cb};
    int n_cbs = 3;
    if (o->history) {
        hcsv.path = o->history;
        hcsv.f = fopen(o->history, "w");
        if (!hcsv.f) {
            ck_fail("cannot open '%s' for writing: %s", o->history, strerror(errno));
            status = fm_report("fm_movielens", EXIT_BAD_INPUT, "bad --history");
            goto done;
        }
        fprintf(hcsv.f, "epoch,loss,val_loss,train_seconds\n");
        n_cbs = 4;
    }
    if (!ckpt || !early || !nan_stop) { status = fm_report("fm_movielens", EXIT_FAILURE_, "cannot make the callbacks"); goto done; }

    /* fm_model.fit(train_x, train_y, epochs, batch_size, validation_data, callbacks) */
    hist = ck_fit(fm.fm_model, train_rows.x, CK_ML_N_INPUTS, &train_rows.y, &(ck_fit_args){
        .epochs = o->epochs, .batch_size = o->batch, .shuffle = 1,
        .val_x = val_rows.x, .val_y = &val_rows.y,
        .callbacks = cbs, .n_callbacks = n_cbs, .verbose = !o->quiet});
    if (!hist) { status = fm_report("fm_movielens", EXIT_FAILURE_, "training failed"); goto done; }

    int best = -1;
    for (int e = 0; e < hist->n_epochs; e++)
        if (isfinite(hist->epochs[e].val_loss) &&
            (best < 0 || hist->epochs[e].val_loss < hist->epochs[best].val_loss)) best = e;
    if (o->plot) {
        double loss[hist->n_epochs > 0 ? hist->n_epochs : 1], val[hist->n_epochs > 0 ? hist->n_epochs : 1];
        for (int e = 0; e < hist->n_epochs; e++) { loss[e] = hist->epochs[e].loss; val[e] = hist->epochs[e].val_loss; }
        if (plot_learning_curve(o->plot, loss, val, hist->n_epochs, "FM on MovieLens: MSE per epoch") < 0) {
            status = fm_report("fm_movielens", EXIT_FAILURE_, "cannot write the plot");
            goto done;
        }
    }
    const ck_epoch_log *last = hist->n_epochs > 0 ? &hist->epochs[hist->n_epochs - 1] : NULL;
    if (last && !isfinite(last->loss)) {
        fprintf(stderr, "fm_movielens: the training loss became %s in epoch %d (learning rate %g too "
                        "large?); training stopped (TerminateOnNaN)", isnan(last->loss) ? "NaN" : "infinite",
                last->epoch, o->lr);
        if (best >= 0 && isfinite(hist->epochs[best].val_loss))
            fprintf(stderr, "; %s keeps the best weights, from epoch %d (val_loss %.4f)\n", o->checkpoint,
                    hist->epochs[best].epoch, hist->epochs[best].val_loss);
        else
            fprintf(stderr, "; this run saved no checkpoint (an existing %s is left as it was)\n",
                    o->checkpoint);
        goto done;
    }
    if (best < 0 || !isfinite(hist->epochs[best].val_loss)) {
        fprintf(stderr, "fm_movielens: training produced no finite val_loss\n");
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

typedef struct scored { int mid; float rating; } scored;

static int by_rating_desc(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->rating != y->rating) return x->rating < y->rating ? 1 : -1;
    return x->mid - y->mid;
}

static int recommend(const fm_options *o)
{
    ck_movielens data = {0};
    ck_session *s = NULL;
    ck_tensor *pred = NULL;
    float *occ = NULL;
    int32_t *uid = NULL, *mid = NULL, *genre = NULL;
    char *seen = NULL;
    scored *cand = NULL;
    int status = EXIT_FAILURE_;

    if (fm_load_data(o, &data) < 0) { status = fm_report("fm_movielens", EXIT_BAD_INPUT, "cannot load the data"); goto done; }
    if (o->user > data.n_uid || !data.user_present[o->user]) {
        fprintf(stderr, "fm_movielens: user %ld is not in the data (user ids 1..%d)\n", o->user, data.n_uid);
        status = EXIT_BAD_INPUT;
        goto done;
    }
    ck_fm fm;
    ck_fm_config cfg = fm_config(o, &data);
    s = ck_session_new(o->seed);
    if (!s || ck_fm_model(s, &cfg, &fm) < 0) { status = fm_report("fm_movielens", EXIT_FAILURE_, "cannot build the model"); goto done; }
    if (ck_load_weights(fm.fm_model, o->checkpoint) < 0) {
        status = fm_report("fm_movielens", EXIT_BAD_INPUT, "cannot load the checkpoint");
        goto done;
    }

    /* Candidates: movies in the movies table the user has not rated. */
    int n_mid = data.n_mid, L = data.maxlen, n = 0;
    seen = calloc((size_t)n_mid + 1, 1);
    occ = malloc(sizeof *occ * ((size_t)n_mid + 1));
    uid = malloc(sizeof *uid * ((size_t)n_mid + 1));
    mid = malloc(sizeof *mid * ((size_t)n_mid + 1));
    genre = malloc(sizeof *genre * ((size_t)n_mid + 1) * (size_t)L);
    cand = malloc(sizeof *cand * ((size_t)n_mid + 1));
    if (!seen || !occ || !uid || !mid || !genre || !cand) { ck_fail("out of memory"); status = fm_report("fm_movielens", EXIT_FAILURE_, "recommend"); goto done; }
    for (int64_t r = 0; r < data.n; r++)
        if (data.uid[r] == o->user) seen[data.mid[r]] = 1;
    for (int m = 1; m <= n_mid; m++) {
        if (!data.movie_present[m] || seen[m]) continue;
        occ[n] = data.user_occupation[o->user];
        uid[n] = (int32_t)o->user;
        mid[n] = m;
        memcpy(genre + (size_t)n * L, data.movie_genre + (size_t)m * L, sizeof *genre * (size_t)L);
        n++;
    }
    if (n == 0) { printf("user %ld has rated every movie\n", o->user); status = EXIT_OK; goto done; }
    ck_tensor x[CK_ML_N_INPUTS] = {
        ck_tensor_view(CK_F32, ck_shape_of(2, n, 1), occ),
        ck_tensor_view(CK_I32, ck_shape_of(2, n, 1), uid),
        ck_tensor_view(CK_I32, ck_shape_of(2, n, 1), mid),
        ck_tensor_view(CK_I32, ck_shape_of(2, n, L), genre),
    };
    /* fm_model.predict(x) */
    pred = ck_predict(fm.fm_model, x, CK_ML_N_INPUTS, 2048);
    if (!pred) { status = fm_report("fm_movielens", EXIT_FAILURE_, "predict failed"); goto done; }
    for (int i = 0; i < n; i++) cand[i] = (scored){mid[i], pred->f[i]};
    qsort(cand, (size_t)n, sizeof *cand, by_rating_desc);
    int top = o->top < n ? o->top : n;
    printf("top %d movies for user %ld (not yet rated), by predicted rating:\n", top, o->user);
    for (int i = 0; i < top; i++)
        printf("%3d. %5.2f  %s  [%s]\n", i + 1, cand[i].rating,
               data.title[cand[i].mid] ? data.title[cand[i].mid] : "?",
               data.movie_genres_text[cand[i].mid] ? data.movie_genres_text[cand[i].mid] : "");
    status = EXIT_OK;

done:
    ck_tensor_free(pred);
    free(seen); free(occ); free(uid); free(mid); free(genre); free(cand);
    ck_session_free(s);
    ck_movielens_free(&data);
    return status;
}

int main(int argc, char **argv)
{
    fm_options o;
    char err[512];
    if (fm_parse_args(argc, argv, &o, err, sizeof err) < 0) {
        fprintf(stderr, "fm_movielens: %s\n%s", err, fm_usage);
        return EXIT_BAD_INPUT;
    }
    if (o.command == FM_HELP) { fputs(fm_usage, stdout); return EXIT_OK; }
    /* --threads N: threads for the library's parallel loops (0: the build's default) */
    ck_set_num_threads(o.threads);
    return o.command == FM_RECOMMEND ? recommend(&o) : train(&o);
}
