/* fm_cli.c - argument parsing for the FM examples: strict (every value
 * checked, unknown options refused), no allocation, no global state. Every
 * option is one row of `options` below; the parser and the usage text both
 * read it. */
#include "fm_cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum opt_kind {
    OPT_FLAG,   /* no value: sets an int to 1 */
    OPT_INT,    /* int in [lo, hi] */
    OPT_LONG,   /* long in [lo, hi] */
    OPT_SEED,   /* uint32_t in [0, 2^32 - 1] */
    OPT_DOUBLE, /* double in [dlo, dhi], ends excluded where open_lo / open_hi */
    OPT_PATH,   /* a non-empty string */
    OPT_POOL    /* masked | notebook */
} opt_kind;

/* Which commands take an option (bits). */
enum { ON_TRAIN = 1, ON_RECOMMEND = 2, ON_EXPORT = 4, ON_BOTH = ON_TRAIN | ON_RECOMMEND, ON_ALL = 7 };

typedef struct opt_spec {
    const char *name; /* "--epochs" */
    opt_kind kind;
    size_t offset;        /* of the field in fm_options */
    long lo, hi;          /* OPT_INT, OPT_LONG */
    double dlo, dhi;      /* OPT_DOUBLE */
    int open_lo, open_hi; /* OPT_DOUBLE: lo / hi themselves refused */
    int commands;         /* ON_TRAIN, ON_RECOMMEND, ON_EXPORT, or several */
    const char *usage;    /* "[--epochs 30]" */
} opt_spec;

#define FIELD(f) offsetof(fm_options, f)
static const opt_spec options[] = {
    {"--data", OPT_PATH, FIELD(data_dir), 0, 0, 0, 0, 0, 0, ON_ALL, "[--data DIR]"},
    {"--epochs", OPT_INT, FIELD(epochs), 1, 100000, 0, 0, 0, 0, ON_TRAIN, "[--epochs 30]"},
    {"--batch", OPT_INT, FIELD(batch), 1, 1 << 20, 0, 0, 0, 0, ON_TRAIN, "[--batch 2048]"},
    {"--k", OPT_INT, FIELD(k), 1, 4096, 0, 0, 0, 0, ON_ALL, "[--k 20]"},
    {"--lr", OPT_DOUBLE, FIELD(lr), 0, 0, 1e-12, 1e6, 0, 0, ON_TRAIN, "[--lr 0.001]"},
    {"--patience", OPT_INT, FIELD(patience), 0, 100000, 0, 0, 0, 0, ON_TRAIN, "[--patience 3]"},
    {"--seed", OPT_SEED, FIELD(seed), 0, 0, 0, 0, 0, 0, ON_ALL, "[--seed 7]"},
    {"--val-split", OPT_DOUBLE, FIELD(val_split), 0, 0, 0.0, 1.0, 1, 1, ON_TRAIN, "[--val-split 0.2]"},
    {"--genre-pool", OPT_POOL, FIELD(genre_pool_notebook), 0, 0, 0, 0, 0, 0, ON_ALL, "[--genre-pool masked|notebook]"},
    {"--checkpoint", OPT_PATH, FIELD(checkpoint), 0, 0, 0, 0, 0, 0, ON_ALL, "[--checkpoint FILE]"},
    {"--history", OPT_PATH, FIELD(history), 0, 0, 0, 0, 0, 0, ON_TRAIN, "[--history FILE.csv]"},
    {"--plot", OPT_PATH, FIELD(plot), 0, 0, 0, 0, 0, 0, ON_TRAIN, "[--plot FILE.svg]"},
    {"--graph", OPT_PATH, FIELD(graph), 0, 0, 0, 0, 0, 0, ON_TRAIN, "[--graph FILE.dot]"},
    {"--threads", OPT_INT, FIELD(threads), 1, 256, 0, 0, 0, 0, ON_ALL, "[--threads N]"},
    {"--tile-rows", OPT_INT, FIELD(tile_rows), 0, 1 << 20, 0, 0, 0, 0, ON_TRAIN, "[--tile-rows 256]"},
    {"--overwrite", OPT_FLAG, FIELD(overwrite), 0, 0, 0, 0, 0, 0, ON_TRAIN, "[--overwrite]"},
    {"--summary-only", OPT_FLAG, FIELD(summary_only), 0, 0, 0, 0, 0, 0, ON_TRAIN, "[--summary-only]"},
    {"--quiet", OPT_FLAG, FIELD(quiet), 0, 0, 0, 0, 0, 0, ON_ALL, "[--quiet]"},
    {"--user", OPT_LONG, FIELD(user), 1, INT_MAX, 0, 0, 0, 0, ON_RECOMMEND, "--user UID"},
    {"--top", OPT_INT, FIELD(top), 1, 1000000, 0, 0, 0, 0, ON_RECOMMEND, "[--top 10]"},
    {"--onnx", OPT_PATH, FIELD(onnx), 0, 0, 0, 0, 0, 0, ON_EXPORT, "--onnx FILE.onnx"},
};
enum { N_OPTIONS = sizeof options / sizeof options[0] };

static const fm_options defaults = {
    .command = FM_TRAIN,
    .epochs = 30,
    .batch = 2048,
    .k = 20,
    .patience = 3,
    .top = 10,
    .threads = 0,
    .tile_rows = -1,
    .user = -1,
    .lr = 0.001,
    .val_split = 0.2,
    .seed = 7,
};

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

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* Store the value v of option spec into o, or explain why it is refused. */
static int set_value(const opt_spec *spec, const char *v, fm_options *o, char *err, int n)
{
    char *field = (char *)o + spec->offset;
    long l;
    double d;
    switch (spec->kind) {
    case OPT_FLAG: *(int *)field = 1; return 0;
    case OPT_INT:
    case OPT_LONG:
        if (parse_long(v, spec->lo, spec->hi, &l) < 0)
            return fail(err, n, "%s: '%s' is not an integer in [%ld, %ld]", spec->name, v, spec->lo, spec->hi);
        if (spec->kind == OPT_INT)
            *(int *)field = (int)l;
        else
            *(long *)field = l;
        return 0;
    case OPT_SEED:
        if (parse_long(v, 0, 4294967295L, &l) < 0)
            return fail(err, n, "%s: '%s' is not an integer in [0, 4294967295]", spec->name, v);
        *(uint32_t *)field = (uint32_t)l;
        return 0;
    case OPT_DOUBLE:
        if (parse_double(v, &d) < 0 || d < spec->dlo || d > spec->dhi || (spec->open_lo && d == spec->dlo) ||
            (spec->open_hi && d == spec->dhi))
            return fail(err, n, "%s: '%s' is not a number in %s%g, %g%s", spec->name, v, spec->open_lo ? "(" : "[",
                        spec->dlo, spec->dhi, spec->open_hi ? ")" : "]");
        *(double *)field = d;
        return 0;
    case OPT_POOL:
        if (!strcmp(v, "masked"))
            *(int *)field = 0;
        else if (!strcmp(v, "notebook"))
            *(int *)field = 1;
        else
            return fail(err, n, "%s: '%s' is not 'masked' or 'notebook'", spec->name, v);
        return 0;
    case OPT_PATH:
        if (!*v) return fail(err, n, "%s: empty value", spec->name);
        *(const char **)field = v;
        return 0;
    }
    return fail(err, n, "%s: unknown option kind", spec->name);
}

static const char *command_name(int on)
{
    return on == ON_RECOMMEND ? "recommend" : on == ON_EXPORT ? "export" : "training";
}

int fm_parse_args(int argc, char **argv, fm_options *o, char *err, int err_size)
{
    *o = defaults;
    int i = 1;
    if (argc > 1 && argv[1] && strcmp(argv[1], "train") == 0)
        i = 2;
    else if (argc > 1 && argv[1] && strcmp(argv[1], "recommend") == 0) {
        o->command = FM_RECOMMEND;
        i = 2;
    } else if (argc > 1 && argv[1] && strcmp(argv[1], "export") == 0) {
        o->command = FM_EXPORT;
        i = 2;
    }
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!a) return fail(err, err_size, "argument %d is NULL", i);
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            o->command = FM_HELP;
            return 0;
        }
        if (strncmp(a, "--", 2) != 0) return fail(err, err_size, "unexpected argument '%s'", a);
        const opt_spec *spec = NULL;
        for (int j = 0; j < N_OPTIONS && !spec; j++)
            if (!strcmp(a, options[j].name)) spec = &options[j];
        if (!spec) return fail(err, err_size, "unknown option '%s' (see --help)", a);
        int on = o->command == FM_RECOMMEND ? ON_RECOMMEND : o->command == FM_EXPORT ? ON_EXPORT : ON_TRAIN;
        if (!(spec->commands & on))
            return fail(err, err_size, "option %s does not apply to %s (see --help)", a, command_name(on));
        const char *v = NULL;
        if (spec->kind != OPT_FLAG) {
            if (i + 1 >= argc || !argv[i + 1]) return fail(err, err_size, "option %s needs a value", a);
            v = argv[++i];
        }
        if (set_value(spec, v, o, err, err_size) < 0) return -1;
    }
    if (o->command == FM_RECOMMEND && o->user < 0) return fail(err, err_size, "recommend needs --user UID");
    if (o->command == FM_EXPORT && !o->onnx) return fail(err, err_size, "export needs --onnx FILE.onnx");
    return 0;
}

/* "  prog [train] [--data DIR] ..." wrapped at 100 columns, with the options
 * of `command` in table order. */
static void print_command(FILE *f, const char *lead, const char *prog, const char *command, int on)
{
    int indent = (int)strlen(prog) + 7, col = fprintf(f, "%s %s %s", lead, prog, command);
    for (int j = 0; j < N_OPTIONS; j++) {
        if (!(options[j].commands & on)) continue;
        int len = (int)strlen(options[j].usage) + 1;
        if (col + len > 100) col = fprintf(f, "\n%*s", indent, "") - 1;
        col += fprintf(f, " %s", options[j].usage);
    }
    fprintf(f, "\n");
}

void fm_print_usage(FILE *f, const char *prog, const char *default_checkpoint)
{
    print_command(f, "usage:", prog, "[train]", ON_TRAIN);
    print_command(f, "      ", prog, "recommend", ON_RECOMMEND);
    print_command(f, "      ", prog, "export", ON_EXPORT);
    fprintf(f,
            "       %s --help\n"
            "\n"
            "Trains a Factorization Machine model (the Keras notebook's graph: 1st + 2nd order, MSE,\n"
            "Adam, EarlyStopping, ModelCheckpoint) on MovieLens, or recommends movies with a trained\n"
            "one, or exports a trained one to ONNX for ONNX Runtime or any engine that reads ONNX\n"
            "(docs/serving.md; give export the --data, --k and --genre-pool it was trained with).\n"
            "DIR holds ml-1m (ratings.dat, users.dat, movies.dat) or ml-100k (u.data, u.user,\n"
            "u.item, u.occupation). Without --data it trains on a MovieLens-like dataset generated\n"
            "in memory. The checkpoint defaults to %s (it may hold {epoch:02d} or\n"
            "{val_loss:.4f}); only a model better than the untrained one, and than an existing\n"
            "checkpoint of the same model and data, replaces it (--overwrite: better than the\n"
            "untrained one is enough). Every output path is checked before the data is loaded.\n"
            "Exit status: 0 success; 2 bad arguments, bad data or a bad output path (nothing is\n"
            "written); 1 other failure, among them a run that diverged.\n",
            prog, default_checkpoint);
}
