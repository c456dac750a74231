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

#include "fm_presets.h"

typedef enum opt_kind {
    OPT_FLAG,   /* no value: sets an int to 1 */
    OPT_INT,    /* int in [lo, hi] */
    OPT_LONG,   /* long in [lo, hi] */
    OPT_SEED,   /* uint32_t in [0, 2^32 - 1] */
    OPT_DOUBLE, /* double in [dlo, dhi], ends excluded where open_lo / open_hi */
    OPT_PATH,   /* a non-empty string */
    OPT_CHOICE  /* one of the row's names: an int, the name's index */
} opt_kind;

/* Which commands take an option (bits). */
enum { ON_TRAIN = 1, ON_RECOMMEND = 2, ON_EXPORT = 4, ON_ALL = ON_TRAIN | ON_RECOMMEND | ON_EXPORT };

typedef struct opt_spec {
    const char *name; /* "--epochs" */
    opt_kind kind;
    size_t offset;              /* of the field in fm_options */
    long lo, hi;                /* OPT_INT, OPT_LONG */
    double dlo, dhi;            /* OPT_DOUBLE */
    int open_lo, open_hi;       /* OPT_DOUBLE: lo / hi themselves refused */
    int commands;               /* ON_TRAIN, ON_RECOMMEND, ON_EXPORT, or several */
    const char *usage;          /* "[--epochs 30]" */
    const char *const *choices; /* OPT_CHOICE: the names, NULL-terminated */
    int from_preset;            /* the default comes from --preset (fm_presets.c) */
} opt_spec;

static const char *const genre_pool_names[] = {"masked", "notebook", NULL};

#define FIELD(f) offsetof(fm_options, f)
static const opt_spec options[] = {
    {"--data", OPT_PATH, FIELD(data_dir), 0, 0, 0, 0, 0, 0, ON_ALL, "[--data DIR]", NULL, 0},
    {"--preset", OPT_CHOICE, FIELD(preset), 0, 0, 0, 0, 0, 0, ON_ALL, "[--preset notebook|tuned]", fm_preset_names, 0},
    {"--objective", OPT_CHOICE, FIELD(objective), 0, 0, 0, 0, 0, 0, ON_ALL, "[--objective rating|like]",
     fm_objective_names, 0},
    {"--epochs", OPT_INT, FIELD(epochs), 1, 100000, 0, 0, 0, 0, ON_TRAIN, "[--epochs 30]", NULL, 1},
    {"--batch", OPT_INT, FIELD(batch), 1, 1 << 20, 0, 0, 0, 0, ON_TRAIN, "[--batch 2048]", NULL, 1},
    {"--k", OPT_INT, FIELD(k), 1, 4096, 0, 0, 0, 0, ON_ALL, "[--k 20]", NULL, 1},
    {"--lr", OPT_DOUBLE, FIELD(lr), 0, 0, 1e-12, 1e6, 0, 0, ON_TRAIN, "[--lr 0.001]", NULL, 1},
    {"--lr-schedule", OPT_CHOICE, FIELD(lr_schedule), 0, 0, 0, 0, 0, 0, ON_TRAIN,
     "[--lr-schedule constant|exponential|cosine]", fm_lr_schedule_names, 1},
    {"--lr-decay", OPT_DOUBLE, FIELD(lr_decay), 0, 0, 0.0, 1.0, 1, 0, ON_TRAIN, "[--lr-decay 1]", NULL, 1},
    {"--l2-embeddings", OPT_DOUBLE, FIELD(l2_embeddings), 0, 0, 0.0, 1e6, 0, 0, ON_TRAIN, "[--l2-embeddings 0]", NULL,
     1},
    {"--l2-dense", OPT_DOUBLE, FIELD(l2_dense), 0, 0, 0.0, 1e6, 0, 0, ON_TRAIN, "[--l2-dense 0]", NULL, 1},
    {"--occupation-scale", OPT_DOUBLE, FIELD(occupation_scale), 0, 0, 0.0, 1e6, 0, 0, ON_ALL, "[--occupation-scale 1]",
     NULL, 1},
    {"--patience", OPT_INT, FIELD(patience), 0, 100000, 0, 0, 0, 0, ON_TRAIN, "[--patience 3]", NULL, 1},
    {"--early-stop-split", OPT_DOUBLE, FIELD(early_stop_split), 0, 0, 0.0, 1.0, 0, 1, ON_TRAIN,
     "[--early-stop-split 0]", NULL, 1},
    {"--seed", OPT_SEED, FIELD(seed), 0, 0, 0, 0, 0, 0, ON_ALL, "[--seed 7]", NULL, 0},
    {"--val-split", OPT_DOUBLE, FIELD(val_split), 0, 0, 0.0, 1.0, 1, 1, ON_TRAIN, "[--val-split 0.2]", NULL, 0},
    {"--inner-split", OPT_FLAG, FIELD(inner_split), 0, 0, 0, 0, 0, 0, ON_TRAIN, "[--inner-split]", NULL, 0},
    {"--genre-pool", OPT_CHOICE, FIELD(genre_pool_notebook), 0, 0, 0, 0, 0, 0, ON_ALL, "[--genre-pool masked|notebook]",
     genre_pool_names, 0},
    {"--checkpoint", OPT_PATH, FIELD(checkpoint), 0, 0, 0, 0, 0, 0, ON_ALL, "[--checkpoint FILE]", NULL, 0},
    {"--history", OPT_PATH, FIELD(history), 0, 0, 0, 0, 0, 0, ON_TRAIN, "[--history FILE.csv]", NULL, 0},
    {"--plot", OPT_PATH, FIELD(plot), 0, 0, 0, 0, 0, 0, ON_TRAIN, "[--plot FILE.svg]", NULL, 0},
    {"--graph", OPT_PATH, FIELD(graph), 0, 0, 0, 0, 0, 0, ON_TRAIN, "[--graph FILE.dot]", NULL, 0},
    {"--tile-rows", OPT_INT, FIELD(tile_rows), 0, 1 << 20, 0, 0, 0, 0, ON_TRAIN, "[--tile-rows 512]", NULL, 0},
    {"--threads", OPT_INT, FIELD(threads), 1, 256, 0, 0, 0, 0, ON_ALL, "[--threads N]", NULL, 0},
    {"--overwrite", OPT_FLAG, FIELD(overwrite), 0, 0, 0, 0, 0, 0, ON_TRAIN, "[--overwrite]", NULL, 0},
    {"--summary-only", OPT_FLAG, FIELD(summary_only), 0, 0, 0, 0, 0, 0, ON_TRAIN, "[--summary-only]", NULL, 0},
    {"--quiet", OPT_FLAG, FIELD(quiet), 0, 0, 0, 0, 0, 0, ON_ALL, "[--quiet]", NULL, 0},
    {"--user", OPT_LONG, FIELD(user), 1, INT_MAX, 0, 0, 0, 0, ON_RECOMMEND, "--user UID", NULL, 0},
    {"--top", OPT_INT, FIELD(top), 1, 1000000, 0, 0, 0, 0, ON_RECOMMEND, "[--top 10]", NULL, 0},
    {"--onnx", OPT_PATH, FIELD(onnx), 0, 0, 0, 0, 0, 0, ON_EXPORT, "--onnx FILE.onnx", NULL, 0},
};
enum { N_OPTIONS = sizeof options / sizeof options[0] };
_Static_assert(N_OPTIONS <= 64, "fm_options.given has one bit per option");

/* The options not from the preset; the preset's fill the rest. */
static const fm_options defaults = {
    .command = FM_TRAIN,
    .preset = FM_PRESET_NOTEBOOK,
    .objective = FM_OBJECTIVE_RATING,
    .top = 10,
    .threads = 0,
    .tile_rows = -1,
    .user = -1,
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
    case OPT_CHOICE:
        for (int i = 0; spec->choices[i]; i++)
            if (!strcmp(v, spec->choices[i])) {
                *(int *)field = i;
                return 0;
            }
        return fail(err, n, "%s: '%s' is not one of %s", spec->name, v, spec->usage);
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

/* Every option the preset gives and the command line did not. */
static void fill_from_preset(fm_options *o)
{
    const fm_preset *p = fm_preset_find(o->preset, o->objective);
    for (int j = 0; j < N_OPTIONS; j++) {
        if (!options[j].from_preset || (o->given >> j & 1)) continue;
        char *to = (char *)o + options[j].offset;
        const char *from = (const char *)p->settings + options[j].offset;
        memcpy(to, from, options[j].kind == OPT_DOUBLE ? sizeof(double) : sizeof(int));
    }
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
        o->given |= UINT64_C(1) << (spec - options);
    }
    if (o->command == FM_RECOMMEND && o->user < 0) return fail(err, err_size, "recommend needs --user UID");
    if (o->command == FM_EXPORT && !o->onnx) return fail(err, err_size, "export needs --onnx FILE.onnx");
    fill_from_preset(o);
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

/* " --k 64 --batch 1024 ...": the options a preset sets, with its values. */
static void print_preset(FILE *f, const fm_options *settings)
{
    int col = 0;
    for (int j = 0; j < N_OPTIONS; j++) {
        const opt_spec *spec = &options[j];
        if (!spec->from_preset) continue;
        const char *field = (const char *)settings + spec->offset;
        char value[64];
        if (spec->kind == OPT_DOUBLE)
            snprintf(value, sizeof value, "%g", *(const double *)field);
        else if (spec->kind == OPT_CHOICE)
            snprintf(value, sizeof value, "%s", spec->choices[*(const int *)field]);
        else
            snprintf(value, sizeof value, "%d", *(const int *)field);
        if (col > 70) col = fprintf(f, "\n ") - 1;
        col += fprintf(f, " %s %s", spec->name, value);
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
            "(docs/serving.md; give export the --data and the model options it was trained with: --preset,\n"
            "--objective, --k, --genre-pool, --occupation-scale).\n"
            "DIR holds ml-1m (ratings.dat, users.dat, movies.dat) or ml-100k (u.data, u.user,\n"
            "u.item, u.occupation). Without --data it trains on a MovieLens-like dataset generated\n"
            "in memory.\n"
            "\n"
            "--preset notebook (the default) is the notebook's settings, the defaults shown above.\n"
            "--preset tuned is the same graph with what the notebook leaves out, as a search on the\n"
            "training rows chose it (docs/fm-under-the-hood.md, section 19): the occupation scaled\n"
            "to 0..1, L2 on the embeddings and Dense kernels, another k and batch size, and the\n"
            "epoch chosen on held-out training rows, the validation rows evaluated once:\n ",
            prog);
    print_preset(f, fm_preset_find(FM_PRESET_TUNED, FM_OBJECTIVE_RATING)->settings);
    fprintf(f,
            "An option given on the command line wins over the preset.\n"
            "\n"
            "--objective rating (the default) predicts the rating (MSE). --objective like predicts\n"
            "P(rating >= 4): a sigmoid output, binary crossentropy, AUC and logloss, EarlyStopping\n"
            "and ModelCheckpoint on val_auc.\n"
            "\n"
            "The checkpoint defaults to %s (it may hold {epoch:02d} or\n"
            "{val_loss:.4f}), with _tuned and/or _like before the extension for the other presets\n"
            "and objectives. Only a model better than the untrained one, and than an existing\n"
            "checkpoint of the same model and data, replaces it (--overwrite: better than the\n"
            "untrained one is enough). Every output path is checked before the data is loaded.\n"
            "recommend needs the --preset, --objective, --k, --occupation-scale and --genre-pool the\n"
            "checkpoint was trained with.\n"
            "Exit status: 0 success; 2 bad arguments, bad data or a bad output path (nothing is\n"
            "written); 1 other failure, among them a run that diverged.\n",
            default_checkpoint);
}
