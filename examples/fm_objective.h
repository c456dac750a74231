/* fm_objective.h - what --objective and a preset's settings mean for the
 * FM examples' training: the targets, the model's output, the loss and
 * metrics, the value the callbacks watch, L2, the learning-rate schedule,
 * and the held-out rows that choose the epoch. fm_train.c runs them in
 * the notebook's order. */
#ifndef FM_OBJECTIVE_H
#define FM_OBJECTIVE_H

#include "ck_model.h"
#include "ck_movielens.h"
#include "fm_cli.h"

/* --objective like: a rating of 4 or 5 is a like (1), 1..3 is not (0). */
#define FM_LIKE_MIN_RATING 4.0f
/* y[i] = y[i] >= FM_LIKE_MIN_RATING ? 1 : 0, in place: the ratings become
 * the like objective's targets. */
void fm_like_targets(float *y, int64_t n);

/* --occupation-scale: the occupation input (a raw number 0..20 in the
 * notebook) times scale, in the rows and in the per-user table recommend
 * reads. 1 leaves the data as they are. */
void fm_scale_occupation(ck_movielens *d, double scale);

enum { FM_MAX_METRICS = 2 };

/* How an objective trains and what it reports. */
typedef struct fm_objective_spec {
    const char *loss;              /* compile's loss, by Keras name */
    const char *output_activation; /* of fm_output / deepfm_output (NULL: linear) */
    const char *metrics[FM_MAX_METRICS];
    int n_metrics;
    /* what EarlyStopping and ModelCheckpoint watch ("val_loss", "val_mse",
     * "val_auc": the last is maximised, by Keras's rule) */
    const char *monitor;
    /* the last line: "best <score_name>: X (<second_name> Y) at epoch N/M",
     * X the value of the logged key `score`, Y of `second` (or sqrt(X),
     * the RMSE, when second is NULL) */
    const char *score, *score_name, *second, *second_name;
} fm_objective_spec;

/* The spec for o's objective. The rating objective with L2 watches
 * val_mse: Keras's val_loss then includes the L2 penalty, not only the
 * error. Without L2 it is the notebook's (MSE, val_loss, no metric). */
fm_objective_spec fm_objective_for(const fm_options *o);

/* Keras's l2(o->l2_embeddings) on every Embedding of m and
 * l2(o->l2_dense) on every Dense kernel (the factors that are > 0). */
int fm_set_l2(ck_model *m, const fm_options *o);

/* Adam(o->lr), with o's learning-rate schedule over steps of
 * ceil(n_train / o->batch) per epoch. NULL (message) on a bad setting. */
ck_optimizer *fm_optimizer(const fm_options *o, int64_t n_train);

/* Rows d[0, n_first) (the training rows after an earlier split) split
 * again like ck_movielens_split_rows: reordered in place, *train and *val
 * are views. The rows from n_first on are left as they are. */
int fm_split_first_rows(ck_movielens *d, int64_t n_first, double val_fraction, uint32_t seed, ck_movielens_batch *train,
                        ck_movielens_batch *val);

/* Keras's rule for mode 'auto': monitors holding "acc" or "auc" are
 * maximised, the others minimised. */
int fm_monitor_is_max(const char *monitor);
/* a is a better value of monitor than b (strictly). */
int fm_better(const char *monitor, double a, double b);
/* The 0-based epoch of h whose `monitor` is best (lowest, or highest for
 * "auc" / "acc" monitors), -1 when none is finite. */
int fm_best_epoch(const ck_model *m, const ck_history *h, const char *monitor);

/* out[i] of ck_evaluate for the logged key `key` (its "val_" dropped), or
 * NAN when the model does not log it. */
double fm_evaluated(const ck_model *m, const double *out, const char *key);

#endif
