/* fm_outputs.c - the FM examples' output files and checkpoint identity
 * (see fm_outputs.h). */
#include "fm_outputs.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ck_io.h"

enum { PATH_BYTES = 4096 };

/* ------------------------------------------------------------ paths */

/* The directory part of path into out ("." when there is none). */
static void dir_part(const char *path, char *out, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, n, ".");
    else if (slash == path)
        snprintf(out, n, "/");
    else
        snprintf(out, n, "%.*s", (int)(slash - path), path);
}

/* The checkpoint's path for epoch 1: the template checked with the keys
 * the examples log. */
static int checkpoint_path(const char *checkpoint, char *out, size_t n)
{
    static const char *const keys[] = {"loss", "val_loss"};
    static const double values[] = {1.0, 1.0};
    if (ck_checkpoint_filepath(checkpoint, 1, keys, values, 2, out, n) < 0) {
        ck_error_prefix("--checkpoint: ");
        return -1;
    }
    return 0;
}

/* The checkpoint may go into a missing directory, which is then made (one
 * level): that directory's parent must take it. */
static int check_checkpoint(const char *path)
{
    char dir[PATH_BYTES];
    struct stat st;
    dir_part(path, dir, sizeof dir);
    if (stat(dir, &st) != 0 && errno == ENOENT) {
        if (ck_io_check_output_path(dir) < 0) {
            ck_error_prefix("--checkpoint %s: its directory cannot be made: ", path);
            return -1;
        }
        return 0;
    }
    if (ck_io_check_output_path(path) < 0) {
        ck_error_prefix("--checkpoint: ");
        return -1;
    }
    return 0;
}

/* The files of a MovieLens directory, which no output may overwrite. */
static const char *const DATA_FILES[] = {"ratings.dat", "users.dat", "movies.dat", "u.data",
                                         "u.user",      "u.item",    "u.genre",    "u.occupation"};
enum { N_DATA_FILES = sizeof DATA_FILES / sizeof DATA_FILES[0] };

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Two outputs on one file, or an output on a data file. */
static int check_distinct(const fm_options *o, const char *const *paths, const char *const *names, int n)
{
    for (int i = 0; i < n; i++) {
        if (!paths[i]) continue;
        for (int k = i + 1; k < n; k++)
            if (paths[k] && (!strcmp(paths[i], paths[k]) || same_file(paths[i], paths[k])))
                return ck_fail("%s and %s name the same file, %s", names[i], names[k], paths[i]);
        for (int f = 0; o->data_dir && f < N_DATA_FILES; f++) {
            char data[PATH_BYTES];
            snprintf(data, sizeof data, "%s/%s", o->data_dir, DATA_FILES[f]);
            if (same_file(paths[i], data)) return ck_fail("%s %s is the data file %s", names[i], paths[i], data);
        }
    }
    return 0;
}

int fm_check_outputs(const fm_options *o, const char *checkpoint)
{
    char ckpt[PATH_BYTES];
    if (checkpoint_path(checkpoint, ckpt, sizeof ckpt) < 0 || check_checkpoint(ckpt) < 0) return -1;
    const char *paths[] = {ckpt, o->history, o->plot, o->graph};
    const char *names[] = {"--checkpoint", "--history", "--plot", "--graph"};
    for (int i = 1; i < 4; i++)
        if (paths[i] && ck_io_check_output_path(paths[i]) < 0) {
            ck_error_prefix("%s: ", names[i]);
            return -1;
        }
    return check_distinct(o, paths, names, 4);
}

int fm_check_export_output(const fm_options *o, const char *checkpoint)
{
    if (ck_io_check_output_path(o->onnx) < 0) {
        ck_error_prefix("--onnx: ");
        return -1;
    }
    const char *paths[] = {o->onnx, checkpoint};
    const char *names[] = {"--onnx", "--checkpoint"};
    return check_distinct(o, paths, names, 2);
}

int fm_make_checkpoint_dir(const char *checkpoint)
{
    char path[PATH_BYTES], dir[PATH_BYTES];
    if (checkpoint_path(checkpoint, path, sizeof path) < 0) return -1;
    dir_part(path, dir, sizeof dir);
    if (mkdir(dir, 0777) < 0 && errno != EEXIST) return ck_fail("cannot create directory %s: %s", dir, strerror(errno));
    return 0;
}

/* ------------------------------------------------------------ history */

static int history_put(fm_history *h, const char *line)
{
    size_t n = strlen(line);
    if (h->len + n + 1 > h->cap) {
        size_t cap = (h->cap ? h->cap * 2 : 1024) + n;
        char *grown = realloc(h->text, cap);
        if (!grown) return ck_fail("history: out of memory");
        h->text = grown;
        h->cap = cap;
    }
    memcpy(h->text + h->len, line, n + 1);
    h->len += n;
    return 0;
}

static int history_header(fm_history *h)
{
    char name[80];
    if (history_put(h, "epoch,loss,val_loss") < 0) return -1;
    for (int i = 0; i < h->n_metrics; i++) {
        snprintf(name, sizeof name, ",val_%s", h->metrics[i]);
        if (history_put(h, name) < 0) return -1;
    }
    return history_put(h, ",train_seconds\n");
}

/* One line per epoch; the whole file rewritten atomically each time, so a
 * killed run keeps the epochs it finished and an earlier history is
 * replaced only once this run has its first line. */
static int history_epoch_end(ck_callback *cb, ck_model *m, const ck_epoch_log *e)
{
    fm_history *h = cb->state;
    if (h->len == 0 && history_header(h) < 0) return -1;
    char line[160];
    snprintf(line, sizeof line, "%d,%.6f,%.6f", e->epoch, e->loss, e->val_loss);
    if (history_put(h, line) < 0) return -1;
    for (int i = 0; i < h->n_metrics; i++) {
        char key[64];
        double v = NAN;
        snprintf(key, sizeof key, "val_%s", h->metrics[i]);
        if (ck_log_value(m, e, key, &v) < 0) ck_error_clear(); /* no validation in a NaN-stopped epoch */
        snprintf(line, sizeof line, ",%.6f", v);
        if (history_put(h, line) < 0) return -1;
    }
    snprintf(line, sizeof line, ",%.4f\n", e->train_seconds);
    if (history_put(h, line) < 0) return -1;
    if (ck_io_write_file(h->path, h->text, h->len) < 0) {
        ck_error_prefix("history: ");
        return -1;
    }
    return 0;
}

ck_callback fm_history_callback(fm_history *h)
{
    return (ck_callback){.name = "history_csv", .state = h, .on_epoch_end = history_epoch_end};
}

void fm_history_free(fm_history *h)
{
    free(h->text);
    h->text = NULL;
    h->len = h->cap = 0;
}

/* ------------------------------------------------------------ metadata */

/* Folds one 32-bit value into h (FxHash's step: rotate, xor, multiply). */
static uint64_t fold(uint64_t h, uint32_t v)
{
    const uint64_t k = 0x9E3779B97F4A7C15ull;
    return (((h << 5) | (h >> 59)) ^ v) * k;
}

static uint64_t fold_floats(uint64_t h, const float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], sizeof bits);
        h = fold(h, bits);
    }
    return h;
}

static uint64_t fold_ints(uint64_t h, const int32_t *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) h = fold(h, (uint32_t)x[i]);
    return h;
}

uint64_t fm_data_fingerprint(const ck_movielens *d)
{
    uint64_t h = fold(fold(0, (uint32_t)d->n), (uint32_t)((uint64_t)d->n >> 32));
    h = fold(fold(fold(fold(h, (uint32_t)d->n_uid), (uint32_t)d->n_mid), (uint32_t)d->n_genre), (uint32_t)d->maxlen);
    h = fold_floats(h, d->occupation, d->n);
    h = fold_ints(h, d->uid, d->n);
    h = fold_ints(h, d->mid, d->n);
    h = fold_ints(h, d->genre, d->n * d->maxlen);
    return fold_floats(h, d->rating, d->n);
}

static void meta_add(fm_meta *m, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void meta_add(fm_meta *m, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    m->keys[m->n] = key;
    vsnprintf(m->values[m->n], FM_META_VALUE, fmt, ap);
    m->value_ptrs[m->n] = m->values[m->n];
    m->n++;
    va_end(ap);
}

void fm_make_meta(const fm_options *o, const ck_fm_config *c, int maxlen, uint64_t fingerprint, fm_meta *out)
{
    char split[CK_DOUBLE_TEXT], scale[CK_DOUBLE_TEXT], early[CK_DOUBLE_TEXT];
    memset(out, 0, sizeof *out);
    meta_add(out, "k", "%d", c->k);
    meta_add(out, "genre_pool", "%s", ck_genre_pool_name(c->genre_pool));
    meta_add(out, "objective", "%s", o->objective == FM_OBJECTIVE_LIKE ? "like" : "rating");
    meta_add(out, "occupation_scale", "%s", ck_shortest_double(o->occupation_scale, scale, sizeof scale));
    meta_add(out, "n_uid", "%d", c->n_uid);
    meta_add(out, "n_mid", "%d", c->n_mid);
    meta_add(out, "n_genre", "%d", c->n_genre);
    meta_add(out, "maxlen", "%d", maxlen);
    meta_add(out, "data_fingerprint", "%016" PRIx64, fingerprint);
    meta_add(out, "seed", "%u", (unsigned)o->seed);
    meta_add(out, "val_split", "%s", ck_shortest_double(o->val_split, split, sizeof split));
    meta_add(out, "early_stop_split", "%s", ck_shortest_double(o->early_stop_split, early, sizeof early));
    meta_add(out, "inner_split", "%d", o->inner_split ? 1 : 0);
}

static const char *meta_value(const fm_meta *m, const char *key)
{
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->keys[i], key)) return m->values[i];
    return NULL;
}

/* The config keys recommend compares, and how a message shows them. */
static const struct {
    const char *key, *shown;
} CONFIG_KEYS[] = {{"model", "model"},
                   {"k", "--k"},
                   {"genre_pool", "--genre-pool"},
                   {"objective", "--objective"},
                   {"occupation_scale", "--occupation-scale"},
                   {"n_uid", "n_uid (data)"},
                   {"n_mid", "n_mid (data)"},
                   {"n_genre", "n_genre"},
                   {"maxlen", "maxlen"}};
enum { N_CONFIG_KEYS = sizeof CONFIG_KEYS / sizeof CONFIG_KEYS[0] };

/* The value this run has for key (model: the model's name). */
static const char *run_value(const fm_meta *meta, const char *model_name, const char *key)
{
    return !strcmp(key, "model") ? model_name : meta_value(meta, key);
}

int fm_checkpoint_fits(const ck_safetensors *st, const char *model_name, const fm_meta *meta, int *other_data,
                       char *why, size_t why_size)
{
    for (int i = 0; i < N_CONFIG_KEYS; i++) {
        const char *recorded = ck_safetensors_meta(st, CONFIG_KEYS[i].key);
        const char *ours = run_value(meta, model_name, CONFIG_KEYS[i].key);
        if (recorded && ours && strcmp(recorded, ours)) {
            snprintf(why, why_size, "it was trained with %s %.40s, this run has %s %.40s", CONFIG_KEYS[i].shown,
                     recorded, CONFIG_KEYS[i].shown, ours);
            return -1;
        }
    }
    const char *fp = ck_safetensors_meta(st, "data_fingerprint");
    *other_data = fp && strcmp(fp, meta_value(meta, "data_fingerprint")) != 0;
    return 0;
}

/* The keys that make two checkpoints comparable by their monitor's value
 * (the same model on the same watched rows). */
static const char *const SAME_KEYS[] = {"k",         "genre_pool",       "objective",  "occupation_scale", "n_uid",
                                        "n_mid",     "n_genre",          "maxlen",     "data_fingerprint", "seed",
                                        "val_split", "early_stop_split", "inner_split"};
enum { N_SAME_KEYS = sizeof SAME_KEYS / sizeof SAME_KEYS[0] };

static void compare_previous(const ck_safetensors *st, const char *model_name, const char *run_monitor,
                             const fm_meta *meta, fm_previous *out)
{
    const char *model = ck_safetensors_meta(st, "model"), *monitor = ck_safetensors_meta(st, "monitor");
    const char *value = ck_safetensors_meta(st, "monitor_value"), *epoch = ck_safetensors_meta(st, "epoch");
    if (!model || !monitor || !value || !epoch) {
        snprintf(out->why, sizeof out->why, "it records no model, epoch and monitor value");
        return;
    }
    if (strcmp(model, model_name) || strcmp(monitor, run_monitor)) {
        snprintf(out->why, sizeof out->why, "it is a checkpoint of %.40s by %.40s", model, monitor);
        return;
    }
    for (int i = 0; i < N_SAME_KEYS; i++) {
        const char *recorded = ck_safetensors_meta(st, SAME_KEYS[i]);
        if (!recorded || strcmp(recorded, meta_value(meta, SAME_KEYS[i]))) {
            snprintf(out->why, sizeof out->why, "it was trained with %s %.40s, this run has %.40s", SAME_KEYS[i],
                     recorded ? recorded : "(not recorded)", meta_value(meta, SAME_KEYS[i]));
            return;
        }
    }
    char *end;
    double v = strtod(value, &end);
    long e = strtol(epoch, NULL, 10);
    if (end == value || *end || !isfinite(v)) {
        snprintf(out->why, sizeof out->why, "its %.40s '%.40s' is not a number", monitor, value);
        return;
    }
    out->same = 1;
    out->value = v;
    out->epoch = (int)e;
}

void fm_previous_checkpoint(const char *path, const char *model_name, const char *monitor, const fm_meta *meta,
                            fm_previous *out)
{
    struct stat sb;
    memset(out, 0, sizeof *out);
    if (stat(path, &sb) != 0) return;
    out->exists = 1;
    ck_safetensors *st = ck_safetensors_load(path);
    if (!st) {
        snprintf(out->why, sizeof out->why, "it cannot be read as a checkpoint (%.200s)", ck_error());
        ck_error_clear();
        return;
    }
    compare_previous(st, model_name, monitor, meta, out);
    ck_safetensors_free(st);
}
