/* fm_cli.h - command-line options of the FM examples (fm_movielens,
 * deepfm), parsed without side effects so the parser can be tested and
 * fuzzed on its own. The options are listed once, in fm_cli.c's table,
 * which both the parser and the usage text read. */
#ifndef FM_CLI_H
#define FM_CLI_H

#include <stdint.h>
#include <stdio.h>

typedef enum fm_command { FM_TRAIN, FM_RECOMMEND, FM_EXPORT, FM_HELP } fm_command;
/* --preset: where the training settings' defaults come from (fm_presets.c) */
typedef enum fm_preset_id { FM_PRESET_NOTEBOOK = 0, FM_PRESET_TUNED, FM_N_PRESETS } fm_preset_id;
/* --objective: what the model predicts */
typedef enum fm_objective {
    FM_OBJECTIVE_RATING = 0, /* the rating 1..5: MSE, the notebook's */
    FM_OBJECTIVE_LIKE,       /* rating >= 4: a probability, binary crossentropy, AUC */
    FM_N_OBJECTIVES
} fm_objective;
/* --lr-schedule: the learning rate over the steps (keras.optimizers.schedules) */
typedef enum fm_lr_schedule {
    FM_LR_CONSTANT = 0, /* --lr throughout, the notebook's */
    FM_LR_EXPONENTIAL,  /* ExponentialDecay: times --lr-decay per epoch */
    FM_LR_COSINE        /* CosineDecay from --lr to 0 over --epochs epochs */
} fm_lr_schedule;

typedef struct fm_options {
    fm_command command;
    const char *data_dir; /* NULL: built-in generated data */
    int epochs, batch, k, patience, top, threads;
    long user; /* recommend: the user id (-1: not given) */
    double lr, val_split;
    uint32_t seed;
    int genre_pool_notebook; /* 0 masked (default), 1 notebook */
    const char *checkpoint;  /* NULL: the program's default */
    const char *history, *plot, *graph;
    const char *onnx; /* export: the ONNX file to write */
    int summary_only, quiet;
    int tile_rows; /* rows per training tile (a power of two, 0: whole batches); -1: the library's default */
    int preset;    /* fm_preset_id */
    int objective; /* fm_objective */
    /* what the notebook leaves out; the preset gives their defaults: */
    double l2_embeddings, l2_dense; /* Keras l2(factor) on every Embedding / Dense kernel */
    int lr_schedule;                /* fm_lr_schedule */
    double lr_decay;                /* FM_LR_EXPONENTIAL: the factor per epoch, in (0, 1] */
    double occupation_scale;        /* the occupation input times this (the notebook: 1, raw 0..20) */
    /* share of the training rows held out (train_test_split again, same
     * seed) to choose the epoch: EarlyStopping and ModelCheckpoint watch
     * them, and the validation rows are only evaluated at the end, with the
     * best epoch's weights. 0: they watch the validation rows (the notebook) */
    double early_stop_split;
    /* --inner-split: the hyperparameter search's protocol: the validation
     * rows are set aside unseen and everything runs on the training rows
     * alone, split again in the same way */
    int inner_split;
    /* bit j: the j-th option of the table was given (fm_cli.c); the preset
     * fills the settings that were not */
    uint64_t given;
    int overwrite; /* replace an existing better checkpoint of the same model and data */
} fm_options;

/* Fills *o from argv (argv[0] is the program). Returns 0, or -1 with a
 * one-line reason in err. */
int fm_parse_args(int argc, char **argv, fm_options *o, char *err, int err_size);
/* The usage text for program `prog` whose default checkpoint is
 * default_checkpoint, generated from the option table. */
void fm_print_usage(FILE *f, const char *prog, const char *default_checkpoint);

#endif
