/* fm_driver.h - the one driver behind the FM examples (fm_movielens,
 * deepfm): options, data, training with the notebook's callbacks, the
 * history, plot and graph files, recommendations, and the export to ONNX
 * (`export --onnx FILE`). A program gives it its name, its default
 * checkpoint and the function that builds its model from the FM's
 * settings; everything else is shared. */
#ifndef FM_DRIVER_H
#define FM_DRIVER_H

#include "ck_fm.h"
#include "ck_movielens.h"
#include "fm_cli.h"

#include <stddef.h>

enum { EXIT_OK = 0, EXIT_FAILURE_ = 1, EXIT_BAD_INPUT = 2 };
/* room for a checkpoint path made by fm_checkpoint_path */
enum { FM_PATH_BYTES = 4096 };

typedef struct fm_program {
    const char *name;               /* "fm_movielens": messages and usage */
    const char *model_title;        /* "FM": the learning curve's title */
    const char *default_checkpoint; /* "models/fm.safetensors" */
    /* the model to train or to recommend with; NULL with a message */
    ck_model *(*build)(ck_session *s, const ck_fm_config *c);
} fm_program;

/* main() of an FM example: parse argv, then train, recommend or export.
 * Returns the exit status. */
int fm_main(int argc, char **argv, const fm_program *p);

/* --data DIR (format detected), or the generated dataset; says which
 * unless --quiet. */
int fm_load_data(const fm_options *o, ck_movielens *d);
/* The notebook's fm_model parameters from the data and the options (the
 * objective sets the output's activation). */
ck_fm_config fm_config(const fm_options *o, const ck_movielens *d);
/* --checkpoint, or the program's default: "models/fm.safetensors" for the
 * notebook preset and the rating objective, "models/fm_tuned.safetensors",
 * "models/fm_like.safetensors", "models/fm_tuned_like.safetensors" for the
 * others (buf holds them). */
const char *fm_checkpoint_path(const fm_program *p, const fm_options *o, char *buf, size_t size);

/* A movie and the model's output for it: the predicted rating, or the
 * like-probability. */
typedef struct fm_scored {
    int mid;
    float score;
} fm_scored;
/* recommend's ranking: every movie of d the user has not rated, with the
 * model's output, best first (ties: lower movie id first). *ranked is a
 * heap array of *n_ranked (free()); NULL and 0 when the user rated every
 * movie. -1 (message) on an unknown user or a failed predict. */
int fm_rank_unrated(ck_model *model, const ck_movielens *d, long user, fm_scored **ranked, int *n_ranked);
/* The training run (fm_train.c); returns the exit status. */
int fm_train(const fm_program *p, const fm_options *o);
/* "prog: what: <library message>" on stderr; clears the message; returns
 * status. */
int fm_report(const fm_program *p, int status, const char *what);

#endif
