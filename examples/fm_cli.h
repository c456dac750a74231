/* fm_cli.h - command-line options of the FM examples (fm_movielens,
 * deepfm), parsed without side effects so the parser can be tested and
 * fuzzed on its own. The options are listed once, in fm_cli.c's table,
 * which both the parser and the usage text read. */
#ifndef FM_CLI_H
#define FM_CLI_H

#include <stdint.h>
#include <stdio.h>

typedef enum fm_command { FM_TRAIN, FM_RECOMMEND, FM_EXPORT, FM_HELP } fm_command;

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
    int overwrite; /* replace an existing better checkpoint of the same model and data */
} fm_options;

/* Fills *o from argv (argv[0] is the program). Returns 0, or -1 with a
 * one-line reason in err. */
int fm_parse_args(int argc, char **argv, fm_options *o, char *err, int err_size);
/* The usage text for program `prog` whose default checkpoint is
 * default_checkpoint, generated from the option table. */
void fm_print_usage(FILE *f, const char *prog, const char *default_checkpoint);

#endif
