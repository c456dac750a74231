/* fm_inspect - the notebook's FM before training, term by term.
 *
 *   fm_inspect [--data DIR] [--seed 7] [--genre-pool masked|notebook]
 *              [--occupation-scale X] [--epochs N] [--graph-1d FILE.dot]
 *              [--graph-2d FILE.dot]   (and fm_movielens's --k, --batch, --lr,
 *                                       --val-split, --threads, --quiet)
 *
 * Builds the model exactly as fm_movielens does (the same data, split,
 * session seed, hence the same initial weights) and prints, for the
 * untrained model: the mean rating, the MSE of predicting 0, the mean
 * prediction and the MSE on the training and validation rows, and where the
 * prediction comes from (fm_output's weights, the mean first- and
 * second-order terms, the occupation Dense's weight and its glorot limit).
 *
 * --occupation-scale X multiplies the occupation input by X before anything
 * is computed (0.05 maps 0..20 to 0..1): the docs' exercise on normalising
 * it. --epochs N then trains N epochs as fm_movielens does (batch 2048,
 * Adam 0.001, shuffled, no callbacks) and prints each epoch's loss and
 * val_loss. --graph-1d / --graph-2d write plot_model's DOT of the
 * sub-models fm_model_1d and fm_model_2d (the notebook's two parts). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_kernels.h" /* ck_set_num_threads */
#include "fm_driver.h"

enum { PREDICT_BATCH = 2048, MAX_ARGS = 64 };

typedef struct inspect_options {
    double occupation_scale;
    const char *graph_1d, *graph_2d;
    int train; /* --epochs was given */
} inspect_options;

/* Takes this program's own options out of argv; the rest are fm_movielens's. */
static int split_args(int argc, char **argv, inspect_options *io, int *n_rest, char **rest)
{
    *io = (inspect_options){.occupation_scale = 1.0};
    *n_rest = 0;
    rest[(*n_rest)++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--occupation-scale") && has_value) {
            char *end;
            io->occupation_scale = strtod(argv[++i], &end);
            if (*end || !isfinite(io->occupation_scale)) return -1;
        } else if (!strcmp(a, "--graph-1d") && has_value) {
            io->graph_1d = argv[++i];
        } else if (!strcmp(a, "--graph-2d") && has_value) {
            io->graph_2d = argv[++i];
        } else {
            if (!strcmp(a, "--epochs")) io->train = 1;
            if (*n_rest >= MAX_ARGS) return -1;
            rest[(*n_rest)++] = argv[i];
        }
    }
    return 0;
}

typedef struct moments {
    double mean_pred, sd_pred, mse, mean_y, mean_y2;
} moments;

/* Mean prediction and MSE of model m on rows b (and the ratings' mean and
 * mean square). */
static int measure(ck_model *m, const ck_movielens_batch *b, moments *out)
{
    ck_tensor *pred = ck_predict(m, b->x, CK_ML_N_INPUTS, PREDICT_BATCH);
    if (!pred) return -1;
    double sp = 0, sp2 = 0, se = 0, sy = 0, sy2 = 0;
    for (int64_t r = 0; r < b->n; r++) {
        double p = pred->f[r], y = b->y.f[r];
        sp += p;
        sp2 += p * p;
        se += (p - y) * (p - y);
        sy += y;
        sy2 += y * y;
    }
    ck_tensor_free(pred);
    double n = (double)b->n, mean = sp / n;
    *out = (moments){mean, sqrt(fmax(0.0, sp2 / n - mean * mean)), se / n, sy / n, sy2 / n};
    return 0;
}

static double mean_prediction(ck_model *m, const ck_movielens_batch *b)
{
    moments mo;
    return measure(m, b, &mo) < 0 ? NAN : mo.mean_pred;
}

static const float *weight_of(ck_session *s, const char *layer, int i)
{
    ck_node *w = ck_layer_weight(ck_session_layer(s, layer), i);
    return w ? w->value.f : NULL;
}

/* Keras's glorot_uniform limit for a Dense kernel (fan_in, fan_out). */
static double glorot_limit(int fan_in, int fan_out) { return sqrt(6.0 / (fan_in + fan_out)); }

static void mean_occupation(const ck_movielens_batch *b, double *mean, double *max)
{
    double s = 0, hi = 0;
    for (int64_t r = 0; r < b->n; r++) {
        s += b->x[CK_ML_OCCUPATION].f[r];
        hi = fmax(hi, b->x[CK_ML_OCCUPATION].f[r]);
    }
    *mean = s / (double)b->n;
    *max = hi;
}

static int report_untrained(ck_session *s, const ck_fm *fm, const ck_fm_config *c, const ck_movielens_batch *train,
                            const ck_movielens_batch *val)
{
    moments tr, va;
    if (measure(fm->fm_model, train, &tr) < 0 || measure(fm->fm_model, val, &va) < 0) return -1;
    printf("the untrained model (the initial weights of this seed):\n");
    printf("  %-44s %12s %12s\n", "", "train rows", "val rows");
    printf("  %-44s %12.4f %12.4f\n", "mean rating y", tr.mean_y, va.mean_y);
    printf("  %-44s %12.4f %12.4f\n", "mean y^2 (the MSE of always predicting 0)", tr.mean_y2, va.mean_y2);
    printf("  %-44s %12.4f %12.4f\n", "mean prediction", tr.mean_pred, va.mean_pred);
    printf("  %-44s %12.4f %12.4f\n", "standard deviation of the predictions", tr.sd_pred, va.sd_pred);
    printf("  %-44s %12.4f %12.4f\n", "MSE of the untrained model", tr.mse, va.mse);

    const float *k_occ = weight_of(s, "num_dense_1d_fea4", 0), *b_occ = weight_of(s, "num_dense_1d_fea4", 1);
    const float *w_out = weight_of(s, "fm_output", 0), *b_out = weight_of(s, "fm_output", 1);
    if (!k_occ || !b_occ || !w_out || !b_out) return -1;
    double occ_mean, occ_max;
    mean_occupation(val, &occ_mean, &occ_max);
    double y1 = mean_prediction(fm->fm_model_1d, val), y2 = mean_prediction(fm->fm_model_2d, val);
    printf("where the validation rows' mean prediction comes from:\n");
    printf("  occupation input: mean %.4f, largest %.4g (fed as a number)\n", occ_mean, occ_max);
    printf("  num_dense_1d_fea4: kernel %.4f (glorot_uniform, limit sqrt(6 / (1 + 1)) = %.4f), bias %.4g\n",
           (double)k_occ[0], glorot_limit(1, 1), (double)b_occ[0]);
    printf("    -> occupation term w * occ + b, mean %.4f\n", k_occ[0] * occ_mean + b_occ[0]);
    printf("  num_dense_2d_fea3: glorot limit sqrt(6 / (1 + %d)) = %.4f\n", c->k, glorot_limit(1, c->k));
    printf("  y_1d = fm_model_1d's output, mean %.4f; y_2d = fm_model_2d's output, mean %.4f\n", y1, y2);
    printf("  fm_output: y_hat = %.4f y_1d + %.4f y_2d + %.4g (kernel glorot limit sqrt(6 / (2 + 1)) = %.4f)\n",
           (double)w_out[0], (double)w_out[1], (double)b_out[0], glorot_limit(2, 1));
    printf("    -> mean prediction %.4f\n", w_out[0] * y1 + w_out[1] * y2 + b_out[0]);
    return 0;
}

static int train(ck_model *m, const fm_options *o, const ck_movielens_batch *train_rows,
                 const ck_movielens_batch *val_rows)
{
    if (ck_compile(m, "MSE", ck_Adam((float)o->lr), NULL, 0) < 0) return -1;
    ck_history *h = ck_fit(m, train_rows->x, CK_ML_N_INPUTS, &train_rows->y,
                           CK_FIT_ARGS(.epochs = o->epochs, .batch_size = o->batch, .shuffle = 1, .val_x = val_rows->x,
                                       .val_y = &val_rows->y, .verbose = 0));
    if (!h) return -1;
    printf("training (batch %d, Adam %g, no callbacks):\n", o->batch, o->lr);
    for (int e = 0; e < h->n_epochs; e++)
        printf("  epoch %d: loss %.4f  val_loss %.4f\n", h->epochs[e].epoch, h->epochs[e].loss, h->epochs[e].val_loss);
    ck_history_free(h);
    return 0;
}

int main(int argc, char **argv)
{
    inspect_options io;
    char *rest[MAX_ARGS + 1], err[512];
    int n_rest;
    fm_options o;
    if (split_args(argc, argv, &io, &n_rest, rest) < 0 || fm_parse_args(n_rest, rest, &o, err, sizeof err) < 0) {
        fprintf(stderr, "usage: fm_inspect [--data DIR] [--seed 7] [--genre-pool masked|notebook] "
                        "[--occupation-scale X] [--epochs N] [--graph-1d FILE] [--graph-2d FILE]\n");
        return EXIT_BAD_INPUT;
    }
    ck_set_num_threads(o.threads);
    ck_movielens data = {0};
    ck_movielens_batch train_rows = {0}, val_rows = {0};
    ck_session *s = NULL;
    int status = EXIT_FAILURE_;
    ck_fm fm;
    if (fm_load_data(&o, &data) < 0 ||
        ck_movielens_split_rows(&data, o.val_split, o.seed, &train_rows, &val_rows) < 0) {
        status = EXIT_BAD_INPUT;
        goto done;
    }
    /* the occupation column of every row (train and val are views into it) */
    for (int64_t r = 0; r < data.n; r++) data.occupation[r] *= (float)io.occupation_scale;
    ck_fm_config cfg = fm_config(&o, &data);
    s = ck_session_new(o.seed);
    if (!s || ck_fm_model(s, &cfg, &fm) < 0) goto done;
    if (io.graph_1d && ck_plot_model(fm.fm_model_1d, io.graph_1d) < 0) goto done;
    if (io.graph_2d && ck_plot_model(fm.fm_model_2d, io.graph_2d) < 0) goto done;
    printf("seed %u, genre pool %s, occupation scaled by %g; %lld training rows, %lld validation rows\n",
           (unsigned)o.seed, ck_genre_pool_name(cfg.genre_pool), io.occupation_scale, (long long)train_rows.n,
           (long long)val_rows.n);
    if (report_untrained(s, &fm, &cfg, &train_rows, &val_rows) < 0) goto done;
    if (io.train && train(fm.fm_model, &o, &train_rows, &val_rows) < 0) goto done;
    status = EXIT_OK;
done:
    if (status != EXIT_OK) fprintf(stderr, "fm_inspect: %s\n", ck_error() ? ck_error() : "failed");
    ck_session_free(s);
    ck_movielens_batch_free(&train_rows);
    ck_movielens_batch_free(&val_rows);
    ck_movielens_free(&data);
    return status;
}
