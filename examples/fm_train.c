/* fm_train.c - the FM examples' training run (see fm_driver.h). The
 * notebook's cells, in order: load the data, tokenize and pad the genres,
 * merge, split 80/20, build the model from layers, compile with MSE + Adam,
 * fit with ModelCheckpoint + EarlyStopping; apart from the notebook, the
 * summary before training.
 *
 * Around them, what makes a run safe to repeat: every output path is
 * checked before the data is loaded (fm_outputs.h); the untrained model is
 * evaluated once, and ModelCheckpoint saves only a model better than it
 * (and, unless --overwrite, better than an existing checkpoint of the same
 * model and data); a run that diverges exits 1 and leaves the checkpoint
 * as it was. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fm_driver.h"
#include "fm_outputs.h"
#include "learning_curve.h"

/* Everything a run holds, freed by run_free. */
typedef struct train_run {
    ck_movielens data;
    ck_movielens_batch train_rows, val_rows;
    ck_session *s;
    ck_model *model;
    fm_meta meta;
    ck_history *hist;
    fm_history hcsv;
    ck_callback *ckpt, *early, *nan_stop;
} train_run;

static void run_free(train_run *r)
{
    fm_history_free(&r->hcsv);
    ck_history_free(r->hist);
    ck_callback_free(r->ckpt);
    ck_callback_free(r->early);
    ck_callback_free(r->nan_stop);
    ck_session_free(r->s);
    ck_movielens_batch_free(&r->train_rows);
    ck_movielens_batch_free(&r->val_rows);
    ck_movielens_free(&r->data);
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

/* The data (fingerprinted before the split reorders it), the split, the
 * model, its summary and graph. Returns an exit status, EXIT_OK to go on. */
static int prepare(const fm_program *p, const fm_options *o, train_run *r)
{
    /* genres tokenized and padded; ratings = merge(merge(ratings, users), movies) */
    if (fm_load_data(o, &r->data) < 0) return fm_report(p, EXIT_BAD_INPUT, "cannot load the data");
    uint64_t fingerprint = fm_data_fingerprint(&r->data);
    /* train_test_split(test_size=0.2, random_state=7): reorders data's rows
     * in place; train_rows and val_rows are views into data */
    if (ck_movielens_split_rows(&r->data, o->val_split, o->seed, &r->train_rows, &r->val_rows) < 0)
        return fm_report(p, EXIT_BAD_INPUT, "cannot split the data");
    if (!o->quiet)
        printf("split: %lld training rows, %lld validation rows (seed %u)\n", (long long)r->train_rows.n,
               (long long)r->val_rows.n, (unsigned)o->seed);
    /* model = fm_model(n_uid, n_mid, n_genre, k) (or DeepFM) */
    ck_fm_config cfg = fm_config(o, &r->data);
    fm_make_meta(o, &cfg, r->data.maxlen, fingerprint, &r->meta);
    r->s = ck_session_new(o->seed);
    r->model = r->s ? p->build(r->s, &cfg) : NULL;
    if (!r->model) return fm_report(p, EXIT_FAILURE_, "cannot build the model");
    if (!o->quiet) {
        printf("genre pooling: %s\n", ck_genre_pool_name(cfg.genre_pool));
        ck_summary(r->model, stdout);
    }
    if (o->graph && ck_plot_model(r->model, o->graph) < 0) return fm_report(p, EXIT_FAILURE_, "cannot write the graph");
    return EXIT_OK;
}

/* The lowest val_loss ModelCheckpoint must beat to save: the untrained
 * model's, or an existing checkpoint's of the same model and data when it
 * is lower (unless --overwrite). Says what it found. */
static double save_threshold(const fm_program *p, const fm_options *o, const char *checkpoint, double untrained,
                             const fm_meta *meta, const ck_model *model, fm_previous *prev)
{
    memset(prev, 0, sizeof *prev);
    if (!strchr(checkpoint, '{')) fm_previous_checkpoint(checkpoint, ck_model_name(model), meta, prev);
    if (prev->exists && !prev->same)
        printf("%s: %s exists but is not a checkpoint of this model and data (%s): this run's best replaces it\n",
               p->name, checkpoint, prev->why);
    if (!prev->same) return untrained;
    if (o->overwrite) {
        printf("%s: %s holds this model and data at val_loss %.6g (epoch %d); --overwrite: this run's best replaces "
               "it\n",
               p->name, checkpoint, prev->value, prev->epoch);
        return untrained;
    }
    if (!o->quiet)
        printf("%s: %s holds this model and data at val_loss %.6g (epoch %d): only a better model replaces it "
               "(--overwrite replaces it anyway)\n",
               p->name, checkpoint, prev->value, prev->epoch);
    return prev->value < untrained ? prev->value : untrained;
}

/* ModelCheckpoint(save_best_only=True, save_weights_only=True,
 * initial_value_threshold=threshold), EarlyStopping(patience),
 * TerminateOnNaN: a run that diverges (e.g. --lr 1e6) stops at its first
 * NaN/Inf batch. */
static int make_callbacks(const fm_program *p, const fm_options *o, const char *checkpoint, double threshold,
                          train_run *r)
{
    r->ckpt = ck_ModelCheckpoint_ex(&(ck_model_checkpoint_args){.filepath = checkpoint,
                                                                .monitor = "val_loss",
                                                                .save_best_only = 1,
                                                                .save_weights_only = 1,
                                                                .verbose = !o->quiet,
                                                                .initial_value_threshold = &threshold,
                                                                .meta_keys = r->meta.keys,
                                                                .meta_values = r->meta.value_ptrs,
                                                                .n_meta = r->meta.n});
    r->early = ck_EarlyStopping("val_loss", o->patience, 0.0, 0);
    r->nan_stop = ck_TerminateOnNaN();
    if (!r->ckpt || !r->early || !r->nan_stop) return fm_report(p, EXIT_FAILURE_, "cannot make the callbacks");
    return EXIT_OK;
}

/* What the checkpoint holds after a run whose best epoch is best (-1: none). */
static void say_checkpoint(FILE *f, const char *checkpoint, const ck_history *h, int best, double threshold,
                           const fm_previous *prev)
{
    if (best >= 0 && h->epochs[best].val_loss < threshold)
        fprintf(f, "%s holds this run's best weights, from epoch %d (val_loss %.4f)\n", checkpoint,
                h->epochs[best].epoch, h->epochs[best].val_loss);
    else if (prev->same)
        fprintf(f, "%s keeps the earlier checkpoint (val_loss %.6g, epoch %d); this run saved nothing\n", checkpoint,
                prev->value, prev->epoch);
    else if (prev->exists)
        fprintf(f, "this run saved no checkpoint (%s is left as it was)\n", checkpoint);
    else
        fprintf(f, "this run saved no checkpoint\n");
}

/* A diverged run: the loss became NaN/Inf (TerminateOnNaN stopped it), or
 * no epoch beat the untrained model. 1 if so, after saying why. */
static int diverged(const fm_program *p, const fm_options *o, const char *checkpoint, const ck_history *h, int best,
                    double untrained, double threshold, const fm_previous *prev)
{
    const ck_epoch_log *last = h->n_epochs > 0 ? &h->epochs[h->n_epochs - 1] : NULL;
    if (last && !isfinite(last->loss))
        fprintf(stderr,
                "%s: training diverged: the training loss became %s in epoch %d (learning rate %g too large?); "
                "training stopped (TerminateOnNaN); ",
                p->name, isnan(last->loss) ? "NaN" : "infinite", last->epoch, o->lr);
    else if (best < 0)
        fprintf(stderr, "%s: training diverged: no epoch has a finite val_loss (learning rate %g too large?); ",
                p->name, o->lr);
    else if (!(h->epochs[best].val_loss < untrained))
        fprintf(stderr,
                "%s: training diverged: the best val_loss, %.6g (epoch %d), is no better than the untrained "
                "model's %.6g (learning rate %g too large?); ",
                p->name, h->epochs[best].val_loss, h->epochs[best].epoch, untrained, o->lr);
    else
        return 0;
    say_checkpoint(stderr, checkpoint, h, best, threshold, prev);
    return 1;
}

int fm_train(const fm_program *p, const fm_options *o)
{
    train_run r = {0};
    ck_callback hist_cb = fm_history_callback(&r.hcsv);
    const char *checkpoint = o->checkpoint ? o->checkpoint : p->default_checkpoint;
    fm_previous prev;
    double untrained = NAN;

    /* every output is checked before the data is loaded: a bad one costs
     * nothing and changes nothing */
    if (fm_check_outputs(o, checkpoint) < 0) return fm_report(p, EXIT_BAD_INPUT, "bad output");
    int status = prepare(p, o, &r);
    if (status != EXIT_OK || o->summary_only) goto done;

    /* model.compile(loss='MSE', optimizer=Adam(lr)) */
    status = EXIT_FAILURE_;
    if ((o->tile_rows >= 0 && ck_model_set_tile_rows(r.model, o->tile_rows) < 0) ||
        ck_compile(r.model, "MSE", ck_Adam((float)o->lr), NULL, 0) < 0) {
        status = fm_report(p, EXIT_FAILURE_, "compile failed");
        goto done;
    }
    /* the untrained model's val_loss: a run must beat it to save */
    if (ck_evaluate(r.model, r.val_rows.x, CK_ML_N_INPUTS, &r.val_rows.y, o->batch, &untrained) < 0) {
        status = fm_report(p, EXIT_FAILURE_, "cannot evaluate the untrained model");
        goto done;
    }
    if (!o->quiet) printf("untrained model: val_loss %.4f\n", untrained);
    double threshold = save_threshold(p, o, checkpoint, untrained, &r.meta, r.model, &prev);
    if (fm_make_checkpoint_dir(checkpoint) < 0) {
        status = fm_report(p, EXIT_BAD_INPUT, "bad --checkpoint");
        goto done;
    }
    if ((status = make_callbacks(p, o, checkpoint, threshold, &r)) != EXIT_OK) goto done;
    status = EXIT_FAILURE_;
    ck_callback *cbs[4] = {r.nan_stop, r.ckpt, r.early, &hist_cb};
    r.hcsv.path = o->history;

    /* model.fit(train_x, train_y, epochs, batch_size, validation_data, callbacks) */
    r.hist = ck_fit(r.model, r.train_rows.x, CK_ML_N_INPUTS, &r.train_rows.y,
                    CK_FIT_ARGS(.epochs = o->epochs, .batch_size = o->batch, .shuffle = true, .val_x = r.val_rows.x,
                                .val_y = &r.val_rows.y, .callbacks = cbs, .n_callbacks = o->history ? 4 : 3,
                                .verbose = o->quiet ? 0 : 1));
    if (!r.hist) {
        status = fm_report(p, EXIT_FAILURE_, "training failed");
        goto done;
    }
    int best = best_epoch(r.hist);
    if (o->plot && write_plot(p, o->plot, r.hist) < 0) {
        status = fm_report(p, EXIT_FAILURE_, "cannot write the plot");
        goto done;
    }
    if (diverged(p, o, checkpoint, r.hist, best, untrained, threshold, &prev)) goto done;
    printf("best val_loss: %.4f (RMSE %.4f) at epoch %d/%d\n", r.hist->epochs[best].val_loss,
           sqrt(r.hist->epochs[best].val_loss), r.hist->epochs[best].epoch, r.hist->n_epochs);
    if (!(r.hist->epochs[best].val_loss < threshold) || !o->quiet)
        say_checkpoint(stdout, checkpoint, r.hist, best, threshold, &prev);
    status = EXIT_OK;
done:
    run_free(&r);
    return status;
}
