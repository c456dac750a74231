/* fm_cli.c - argument parsing for fm_movielens: strict (every value checked,
 * unknown options refused), no allocation, no global state. */
#include "fm_cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char fm_usage[] =
    "usage: fm_movielens [train] [--data DIR] [--epochs 30] [--batch 2048] [--k 20] [--lr 0.001]\n"
    "                    [--patience 3] [--seed 7] [--val-split 0.2] [--genre-pool masked|notebook]\n"
    "                    [--checkpoint models/fm.safetensors] [--history FILE.csv] [--plot FILE.svg]\n"
    "                    [--graph FILE.dot] [--threads N] [--summary-only] [--quiet]\n"
    "       fm_movielens recommend [--data DIR] [--checkpoint FILE] --user UID [--top 10]\n"
    "                    [--k 20] [--genre-pool masked|notebook] [--seed 7]\n"
    "       fm_movielens --help\n"
    "\n"
    "Trains the Keras notebook's Factorization Machine (1st + 2nd order, MSE, Adam,\n"
    "EarlyStopping, ModelCheckpoint) on MovieLens. DIR holds ml-1m (ratings.dat, users.dat,\n"
    "movies.dat) or ml-100k (u.data, u.user, u.item, u.occupation). Without --data it\n"
    "trains on a MovieLens-like dataset generated in memory.\n"
    "Exit status: 0 success, 2 bad arguments or bad data, 1 other failure.\n";

static int fail(char *err, int n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int fm_parse_args(int argc, char **argv, fm_options *o, char *err, int err_size)
{
    *o = (fm_options){
        .command = FM_TRAIN, .epochs = 30, .batch = 2048, .k = 20, .patience = 3,
        .top = 10, .threads = 0, .user = -1, .lr = 0.001, .val_split = 0.2, .seed = 7,
        .checkpoint = "models/fm.safetensors",
    };
    int i = 1;
    if (argc > 1 && argv[1] && strcmp(argv[1], "train") == 0) i = 2;
    else if (argc > 1 && argv[1] && strcmp(argv[1], "recommend") == 0) { o->command = FM_RECOMMEND; i = 2; }

    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!a) return fail(err, err_size, "argument %d is NULL", i);
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { o->command = FM_HELP; return 0; }
        if (!strcmp(a, "--summary-only")) { o->summary_only = 1; continue; }
        if (!strcmp(a, "--quiet")) { o->quiet = 1; continue; }
        if (strncmp(a, "--", 2) != 0)
            return fail(err, err_size, "unexpected argument '%s'", a);
        static const char *const valued[] = {
            "--data", "--epochs", "--batch", "--k", "--lr", "--patience", "--seed", "--val-split",
            "--genre-pool", "--checkpoint", "--history", "--plot", "--graph", "--threads",
            "--user", "--top"};
        int known = 0;
        for (size_t j = 0; j < sizeof valued / sizeof *valued; j++) known |= !strcmp(a, valued[j]);
        if (!known) return fail(err, err_size, "unknown option '%s' (see --help)", a);
        if (i + 1 >= argc || !argv[i + 1])
            return fail(err, err_size, "option %s needs a value", a);
        const char *v = argv[++i];
        long n;
        double d;
#define INT_OPT(flag, field, lo, hi)                                                     \
        if (!strcmp(a, flag)) {                                                          \
            if (parse_long(v, lo, hi, &n) < 0)                                           \
                return fail(err, err_size, "%s: '%s' is not an integer in [%ld, %ld]",   \
                            flag, v, (long)(lo), (long)(hi));                            \
            o->field = (int)n; continue;                                                 \
        }
        INT_OPT("--epochs", epochs, 1, 100000)
        INT_OPT("--batch", batch, 1, 1 << 20)
        INT_OPT("--k", k, 1, 4096)
        INT_OPT("--patience", patience, 0, 100000)
        INT_OPT("--top", top, 1, 1000000)
        INT_OPT("--threads", threads, 1, 256)
#undef INT_OPT
        if (!strcmp(a, "--user")) {
            if (parse_long(v, 1, INT_MAX, &n) < 0)
                return fail(err, err_size, "--user: '%s' is not a user id >= 1", v);
            o->user = n; continue;
        }
        if (!strcmp(a, "--seed")) {
            if (parse_long(v, 0, 4294967295L, &n) < 0)
                return fail(err, err_size, "--seed: '%s' is not an integer in [0, 4294967295]", v);
            o->seed = (uint32_t)n; continue;
        }
        if (!strcmp(a, "--lr")) {
            if (parse_double(v, 1e-12, 1e6, &d) < 0)
                return fail(err, err_size, "--lr: '%s' is not a positive number", v);
            o->lr = d; continue;
        }
        if (!strcmp(a, "--val-split")) {
            if (parse_double(v, 0.0, 1.0, &d) < 0 || d <= 0.0 || d >= 1.0)
                return fail(err, err_size, "--val-split: '%s' is not a fraction in (0, 1)", v);
            o->val_split = d; continue;
        }
        if (!strcmp(a, "--genre-pool")) {
            if (!strcmp(v, "masked")) o->genre_pool_notebook = 0;
            else if (!strcmp(v, "notebook")) o->genre_pool_notebook = 1;
            else return fail(err, err_size, "--genre-pool: '%s' is not 'masked' or 'notebook'", v);
            continue;
        }
        if (!*v) return fail(err, err_size, "%s: empty value", a);
        if (!strcmp(a, "--data")) { o->data_dir = v; continue; }
        if (!strcmp(a, "--checkpoint")) { o->checkpoint = v; continue; }
        if (!strcmp(a, "--history")) { o->history = v; continue; }
        if (!strcmp(a, "--plot")) { o->plot = v; continue; }
        o->graph = v;   /* the last of the valued options */
    }
    if (o->command == FM_RECOMMEND && o->user < 0)
        return fail(err, err_size, "recommend needs --user UID");
    return 0;
}
