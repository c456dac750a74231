/* fm_outputs.h - the FM examples' output files and what a checkpoint
 * records about itself.
 *
 *  - fm_check_outputs: every output path (the checkpoint and its template,
 *    --history, --plot, --graph; export's --onnx: fm_check_export_output)
 *    is checked before any data is loaded, so a bad one costs nothing and
 *    changes nothing.
 *  - fm_history: the history CSV as a callback that rewrites the whole file
 *    atomically after every epoch (an earlier history stays until this run
 *    has a line to replace it with).
 *  - fm_meta: the checkpoint's identity in its safetensors __metadata__
 *    (the model's config, a fingerprint of the data, the split), used to
 *    keep a better checkpoint of the same model and data, and to refuse a
 *    checkpoint of another config in `recommend`. */
#ifndef FM_OUTPUTS_H
#define FM_OUTPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "ck_fm.h"
#include "ck_movielens.h"
#include "ckeras.h"
#include "fm_cli.h"

/* 0, or -1 with a message (the caller exits 2): the checkpoint template
 * (syntax and fields: {epoch}, {loss}, {val_loss}) and the path it gives
 * for epoch 1 (its directory may be missing: one level is created, like the
 * notebook's ./model, so its parent must be writable), and --history,
 * --plot, --graph (their directories must exist). None may exist as
 * anything but a regular file, two may not name the same file, and none
 * may be one of the --data files. Creates nothing. */
int fm_check_outputs(const fm_options *o, const char *checkpoint);
/* export: 0, or -1 with a message (the caller exits 2): --onnx may be
 * written (ck_io_check_output_path) and is neither the checkpoint it is
 * made from nor one of the --data files. Creates nothing. */
int fm_check_export_output(const fm_options *o, const char *checkpoint);
/* mkdir of the checkpoint's directory when missing (one level). */
int fm_make_checkpoint_dir(const char *checkpoint);

/* ---- the history CSV: epoch,loss,val_loss[,val_<metric>...],train_seconds ---- */
typedef struct fm_history {
    const char *path;
    const char *const *metrics; /* the compiled metrics' names ("auc"), logged as val_<name> */
    int n_metrics;
    char *text; /* the whole file so far */
    size_t len, cap;
} fm_history;
/* A callback writing h (h->path set) after every epoch. */
ck_callback fm_history_callback(fm_history *h);
void fm_history_free(fm_history *h);

/* ---- what a checkpoint is ---- */
enum { FM_META_MAX = 14, FM_META_VALUE = 40 };
typedef struct fm_meta {
    int n;
    const char *keys[FM_META_MAX];
    char values[FM_META_MAX][FM_META_VALUE];
    const char *value_ptrs[FM_META_MAX]; /* values[i], for ck_model_checkpoint_args */
} fm_meta;

/* A fingerprint of the dataset's rows (ids, occupations, genres, ratings,
 * in their order) and sizes: equal data give equal fingerprints. */
uint64_t fm_data_fingerprint(const ck_movielens *d);
/* The metadata a training run records: k, genre_pool, objective,
 * occupation_scale, n_uid, n_mid, n_genre, maxlen, data_fingerprint (of the
 * data as loaded, before the like targets and the occupation scale), seed,
 * val_split, early_stop_split, inner_split. (ModelCheckpoint adds model,
 * epoch, monitor and monitor_value.) */
void fm_make_meta(const fm_options *o, const ck_fm_config *c, int maxlen, uint64_t fingerprint, fm_meta *out);

/* An existing checkpoint at the path a run will save to. */
typedef struct fm_previous {
    int exists;   /* something is at the path */
    int same;     /* a checkpoint of this model, config, data and split */
    double value; /* its monitor's value (same only) */
    int epoch;
    char why[256]; /* exists && !same: why it is another one */
} fm_previous;
/* same needs the same monitor too ("val_loss", "val_auc", ...). */
void fm_previous_checkpoint(const char *path, const char *model_name, const char *monitor, const fm_meta *meta,
                            fm_previous *out);

/* recommend: 0 if the checkpoint's recorded config (model, k, genre_pool,
 * objective, occupation_scale, n_uid, n_mid, n_genre, maxlen; keys it
 * lacks are not compared) is this
 * run's, else -1 with the difference in why. *other_data: it records
 * another data fingerprint. */
int fm_checkpoint_fits(const ck_safetensors *st, const char *model_name, const fm_meta *meta, int *other_data,
                       char *why, size_t why_size);

#endif
