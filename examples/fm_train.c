/* fm_train.c - the FM examples' training run (see fm_driver.h). The
 * notebook's cells, in order: load the data, tokenize and pad the genres,
 * merge, split 80/20, build the model from layers, compile with MSE + Adam,
 * fit with ModelCheckpoint + EarlyStopping; apart from the notebook, the
 * summary before training. --objective and --preset change the targets,
 * the loss, metrics and monitor, L2, the schedule and which rows choose the
 * epoch (fm_objective.h); the notebook preset runs the notebook's cells.
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
#include "fm_objective.h"
#include "fm_outputs.h"
#include "learning_curve.h"

/* The batch size for evaluating the best weights on the reported rows. */
enum { EVAL_BATCH = 2048 };

/* The rows of a run, as views into the dataset. */
typedef struct fm_rows {
    ck_movielens_batch fit;      /* what fit trains on */
    ck_movielens_batch watched;  /* fit's validation data: what the callbacks watch */
    ck_movielens_batch reported; /* what the last line reports */
    int held_out;                /* watched are held-out training rows, not the reported ones */
} fm_rows;

/* Everything a run holds, freed by run_free. */
typedef struct train_run {
    ck_movielens data;
    fm_rows rows;
    fm_objective_spec spec;
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
    ck_movielens_free(&r->data);
}

/* The value of the monitor in epoch e's logs (NaN when not logged). */
static double monitored(const train_run *r, int e)
{
    double v = NAN;
    if (ck_log_value(r->model, &r->hist->epochs[e], r->spec.monitor, &v) < 0) ck_error_clear();
    return v;
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

/* train_test_split(test_size=0.2, random_state=7) of data into r's rows
 * (views into data, whose rows it reorders in place), then the search's
 * and the preset's splits of the training rows. */
static int split_rows(const fm_options *o, ck_movielens *data, fm_rows *r)
{
    ck_movielens_batch train_rows, val_rows;
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

/* The data (fingerprinted as loaded, before the objective's targets, the
 * occupation scale and the split change it), the split, the model, its
 * summary and graph. Returns an exit status, EXIT_OK to go on. */
static int prepare(const fm_program *p, const fm_options *o, train_run *r)
{
    /* genres tokenized and padded; ratings = merge(merge(ratings, users), movies) */
    if (fm_load_data(o, &r->data) < 0) return fm_report(p, EXIT_BAD_INPUT, "cannot load the data");
    uint64_t fingerprint = fm_data_fingerprint(&r->data);
    /* --objective like: the target is rating >= 4 */
    if (o->objective == FM_OBJECTIVE_LIKE) fm_like_targets(r->data.rating, r->data.n);
    fm_scale_occupation(&r->data, o->occupation_scale);
    if (split_rows(o, &r->data, &r->rows) < 0) return fm_report(p, EXIT_BAD_INPUT, "cannot split the data");
    /* model = fm_model(n_uid, n_mid, n_genre, k) (or DeepFM) */
    ck_fm_config cfg = fm_config(o, &r->data);
    fm_make_meta(o, &cfg, r->data.maxlen, fingerprint, &r->meta);
    r->s = ck_session_new(o->seed);
    r->model = r->s ? p->build(r->s, &cfg) : NULL;
    if (!r->model || fm_set_l2(r->model, o) < 0) return fm_report(p, EXIT_FAILURE_, "cannot build the model");
    if (!o->quiet) {
        printf("genre pooling: %s\n", ck_genre_pool_name(cfg.genre_pool));
        ck_summary(r->model, stdout);
    }
    if (o->graph && ck_plot_model(r->model, o->graph) < 0) return fm_report(p, EXIT_FAILURE_, "cannot write the graph");
    return EXIT_OK;
}

/* The value of the monitor ModelCheckpoint must beat to save: the
 * untrained model's, or an existing checkpoint's of the same model and data
 * when it is better (unless --overwrite). Says what it found. */
static double save_threshold(const fm_program *p, const fm_options *o, const char *checkpoint, double untrained,
                             const char *monitor, const fm_meta *meta, const ck_model *model, fm_previous *prev)
{
    memset(prev, 0, sizeof *prev);
    if (!strchr(checkpoint, '{')) fm_previous_checkpoint(checkpoint, ck_model_name(model), monitor, meta, prev);
    if (prev->exists && !prev->same)
        printf("%s: %s exists but is not a checkpoint of this model and data (%s): this run's best replaces it\n",
               p->name, checkpoint, prev->why);
    if (!prev->same) return untrained;
    if (o->overwrite) {
        printf("%s: %s holds this model and data at %s %.6g (epoch %d); --overwrite: this run's best replaces "
               "it\n",
               p->name, checkpoint, monitor, prev->value, prev->epoch);
        return untrained;
    }
    if (!o->quiet)
        printf("%s: %s holds this model and data at %s %.6g (epoch %d): only a better model replaces it "
               "(--overwrite replaces it anyway)\n",
               p->name, checkpoint, monitor, prev->value, prev->epoch);
    return fm_better(monitor, prev->value, untrained) ? prev->value : untrained;
}

/* ModelCheckpoint(save_best_only=True, save_weights_only=True,
 * initial_value_threshold=threshold), EarlyStopping(patience) (with
 * restore_best_weights when held-out training rows choose the epoch, as
 * Keras's does it), TerminateOnNaN: a run that diverges (e.g. --lr 1e6)
 * stops at its first NaN/Inf batch. All on the objective's monitor. */
static int make_callbacks(const fm_program *p, const fm_options *o, const char *checkpoint, double threshold,
                          train_run *r)
{
    r->ckpt = ck_ModelCheckpoint_ex(&(ck_model_checkpoint_args){.filepath = checkpoint,
                                                                .monitor = r->spec.monitor,
                                                                .save_best_only = 1,
                                                                .save_weights_only = 1,
                                                                .verbose = !o->quiet,
                                                                .initial_value_threshold = &threshold,
                                                                .meta_keys = r->meta.keys,
                                                                .meta_values = r->meta.value_ptrs,
                                                                .n_meta = r->meta.n});
    r->early = ck_EarlyStopping(r->spec.monitor, o->patience, 0.0, r->rows.held_out);
    r->nan_stop = ck_TerminateOnNaN();
    if (!r->ckpt || !r->early || !r->nan_stop) return fm_report(p, EXIT_FAILURE_, "cannot make the callbacks");
    return EXIT_OK;
}

/* What the checkpoint holds after r's run whose best epoch is best (-1:
 * none). */
static void say_checkpoint(FILE *f, const char *checkpoint, const train_run *r, int best, double threshold,
                           const fm_previous *prev)
{
    const char *monitor = r->spec.monitor;
    if (best >= 0 && fm_better(monitor, monitored(r, best), threshold))
        fprintf(f, "%s holds this run's best weights, from epoch %d (%s %.4f)\n", checkpoint,
                r->hist->epochs[best].epoch, monitor, monitored(r, best));
    else if (prev->same)
        fprintf(f, "%s keeps the earlier checkpoint (%s %.6g, epoch %d); this run saved nothing\n", checkpoint, monitor,
                prev->value, prev->epoch);
    else if (prev->exists)
        fprintf(f, "this run saved no checkpoint (%s is left as it was)\n", checkpoint);
    else
        fprintf(f, "this run saved no checkpoint\n");
}

/* A diverged run: the loss became NaN/Inf (TerminateOnNaN stopped it), or
 * no epoch beat the untrained model. 1 if so, after saying why. */
static int diverged(const fm_program *p, const fm_options *o, const char *checkpoint, const train_run *r, int best,
                    double untrained, double threshold, const fm_previous *prev)
{
    const ck_history *h = r->hist;
    const char *monitor = r->spec.monitor;
    const ck_epoch_log *last = h->n_epochs > 0 ? &h->epochs[h->n_epochs - 1] : NULL;
    if (last && !isfinite(last->loss))
        fprintf(stderr,
                "%s: training diverged: the training loss became %s in epoch %d (learning rate %g too large?); "
                "training stopped (TerminateOnNaN); ",
                p->name, isnan(last->loss) ? "NaN" : "infinite", last->epoch, o->lr);
    else if (best < 0)
        fprintf(stderr, "%s: training diverged: no epoch has a finite %s (learning rate %g too large?); ", p->name,
                monitor, o->lr);
    else if (!fm_better(monitor, monitored(r, best), untrained))
        fprintf(stderr,
                "%s: training diverged: the best %s, %.6g (epoch %d), is no better than the untrained "
                "model's %.6g (learning rate %g too large?); ",
                p->name, monitor, monitored(r, best), h->epochs[best].epoch, untrained, o->lr);
    else
        return 0;
    say_checkpoint(stderr, checkpoint, r, best, threshold, prev);
    return 1;
}

/* The last line, "best val_loss: X (RMSE Y) at epoch N/M" (or val_auc and
 * logloss), from the best epoch's logs, or, when held-out training rows
 * chose the epoch, from the reported rows evaluated with the best epoch's
 * weights (EarlyStopping restored them, or they are the last ones). */
static int report_result(const fm_program *p, const train_run *r, int best)
{
    const fm_objective_spec *spec = &r->spec;
    const ck_epoch_log *e = &r->hist->epochs[best];
    double score = NAN, second = NAN;
    if (!r->rows.held_out) {
        if (ck_log_value(r->model, e, spec->score, &score) < 0 ||
            (spec->second && ck_log_value(r->model, e, spec->second, &second) < 0))
            return fm_report(p, EXIT_FAILURE_, "cannot read the best epoch's logs");
    } else {
        double out[1 + CK_MAX_OUTPUTS + CK_MAX_METRICS];
        const ck_movielens_batch *rep = &r->rows.reported;
        if (ck_evaluate(r->model, rep->x, CK_ML_N_INPUTS, &rep->y, EVAL_BATCH, out) < 0)
            return fm_report(p, EXIT_FAILURE_, "cannot evaluate the best weights");
        printf("held-out training rows: best %s %.4f at epoch %d; with those weights, the %lld validation rows:\n",
               spec->monitor, monitored(r, best), e->epoch, (long long)rep->n);
        score = fm_evaluated(r->model, out, spec->score);
        if (spec->second) second = fm_evaluated(r->model, out, spec->second);
    }
    if (!spec->second) second = sqrt(score);
    printf("best %s: %.4f (%s %.4f) at epoch %d/%d\n", spec->score_name, score, spec->second_name, second, e->epoch,
           r->hist->n_epochs);
    return EXIT_OK;
}

/* A callback keeping the weights of the epoch with the best monitor, so
 * that the reported rows are evaluated with them whether or not
 * EarlyStopping stopped the run (Keras's restore_best_weights only acts at
 * an early stop), and whatever the checkpoint policy saved. */
typedef struct best_weights {
    const char *monitor;
    double best;
    float *w; /* ck_count_params values */
    int have;
} best_weights;

static int keep_best(ck_callback *cb, ck_model *m, const ck_epoch_log *e)
{
    best_weights *b = cb->state;
    double v;
    if (ck_log_value(m, e, b->monitor, &v) < 0) {
        ck_error_clear(); /* an epoch cut short by TerminateOnNaN logs no validation */
        return 0;
    }
    if (!isfinite(v) || (b->have && !fm_better(b->monitor, v, b->best))) return 0;
    b->best = v;
    b->have = 1;
    return ck_model_get_weights(m, b->w);
}

/* compile with the objective's loss, metrics and the optimizer; the
 * untrained model's value of the monitor on the watched rows, which a run
 * must beat to save. Returns an exit status. */
static int compile_run(const fm_program *p, const fm_options *o, train_run *r, double *untrained)
{
    /* model.compile(loss='MSE', optimizer=Adam(lr)) (or the like objective's) */
    const fm_objective_spec *spec = &r->spec;
    if (o->tile_rows >= 0 && ck_model_set_tile_rows(r->model, o->tile_rows) < 0)
        return fm_report(p, EXIT_FAILURE_, "bad --tile-rows");
    if (ck_compile(r->model, spec->loss, fm_optimizer(o, r->rows.fit.n), spec->n_metrics ? spec->metrics : NULL,
                   spec->n_metrics) < 0)
        return fm_report(p, EXIT_FAILURE_, "compile failed");
    double out[1 + CK_MAX_OUTPUTS + CK_MAX_METRICS];
    const ck_movielens_batch *w = &r->rows.watched;
    if (ck_evaluate(r->model, w->x, CK_ML_N_INPUTS, &w->y, o->batch, out) < 0)
        return fm_report(p, EXIT_FAILURE_, "cannot evaluate the untrained model");
    *untrained = fm_evaluated(r->model, out, spec->monitor);
    if (!o->quiet) printf("untrained model: %s %.4f\n", spec->monitor, *untrained);
    return EXIT_OK;
}

int fm_train(const fm_program *p, const fm_options *o)
{
    train_run r = {.spec = fm_objective_for(o)};
    best_weights keeper = {.monitor = r.spec.monitor};
    ck_callback hist_cb = fm_history_callback(&r.hcsv);
    ck_callback keep_cb = {.name = "best_weights", .state = &keeper, .on_epoch_end = keep_best};
    char path[FM_PATH_BYTES];
    const char *checkpoint = fm_checkpoint_path(p, o, path, sizeof path);
    fm_previous prev;
    double untrained = NAN;

    /* every output is checked before the data is loaded: a bad one costs
     * nothing and changes nothing */
    if (fm_check_outputs(o, checkpoint) < 0) return fm_report(p, EXIT_BAD_INPUT, "bad output");
    int status = prepare(p, o, &r);
    if (status != EXIT_OK || o->summary_only) goto done;
    if ((status = compile_run(p, o, &r, &untrained)) != EXIT_OK) goto done;
    status = EXIT_FAILURE_;
    double threshold = save_threshold(p, o, checkpoint, untrained, r.spec.monitor, &r.meta, r.model, &prev);
    if (fm_make_checkpoint_dir(checkpoint) < 0) {
        status = fm_report(p, EXIT_BAD_INPUT, "bad --checkpoint");
        goto done;
    }
    if ((status = make_callbacks(p, o, checkpoint, threshold, &r)) != EXIT_OK) goto done;
    status = EXIT_FAILURE_;
    /* the history and, when held-out rows choose the epoch, the best weights' keeper */
    ck_callback *cbs[5] = {r.nan_stop, r.ckpt, r.early};
    int n_cbs = 3;
    if (o->history) cbs[n_cbs++] = &hist_cb;
    if (r.rows.held_out) {
        keeper.w = malloc(sizeof *keeper.w * (size_t)(ck_count_params(r.model) + 1));
        if (!keeper.w) {
            status = fm_report(p, EXIT_FAILURE_, "out of memory");
            goto done;
        }
        cbs[n_cbs++] = &keep_cb;
    }
    r.hcsv.path = o->history;
    r.hcsv.metrics = r.spec.metrics;
    r.hcsv.n_metrics = r.spec.n_metrics;

    /* model.fit(train_x, train_y, epochs, batch_size, validation_data, callbacks) */
    r.hist = ck_fit(r.model, r.rows.fit.x, CK_ML_N_INPUTS, &r.rows.fit.y,
                    CK_FIT_ARGS(.epochs = o->epochs, .batch_size = o->batch, .shuffle = true, .val_x = r.rows.watched.x,
                                .val_y = &r.rows.watched.y, .callbacks = cbs, .n_callbacks = n_cbs,
                                .verbose = o->quiet ? 0 : 1));
    if (!r.hist) {
        status = fm_report(p, EXIT_FAILURE_, "training failed");
        goto done;
    }
    int best = fm_best_epoch(r.model, r.hist, r.spec.monitor);
    if (o->plot && write_plot(p, o, o->plot, r.hist) < 0) {
        status = fm_report(p, EXIT_FAILURE_, "cannot write the plot");
        goto done;
    }
    if (diverged(p, o, checkpoint, &r, best, untrained, threshold, &prev)) goto done;
    if (keeper.have && ck_model_set_weights(r.model, keeper.w) < 0) {
        status = fm_report(p, EXIT_FAILURE_, "cannot restore the best weights");
        goto done;
    }
    if ((status = report_result(p, &r, best)) != EXIT_OK) goto done;
    if (!fm_better(r.spec.monitor, monitored(&r, best), threshold) || !o->quiet)
        say_checkpoint(stdout, checkpoint, &r, best, threshold, &prev);
done:
    free(keeper.w);
    run_free(&r);
    return status;
}
