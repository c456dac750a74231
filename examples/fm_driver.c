/* fm_driver.c - the FM examples' shared driver (see fm_driver.h): the
 * data, the model's settings, recommendations from the saved weights, the
 * export to ONNX, and main. Training, the notebook's cells, is fm_train.c.
 * See docs/fm-under-the-hood.md for the walk-through. */
#include "fm_driver.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_kernels.h"
#include "ck_onnx.h"
#include "fm_objective.h"
#include "fm_outputs.h"
#include "fm_presets.h"

/* The batch size for predictions (recommend). */
enum { PREDICT_BATCH = 2048 };

int fm_report(const fm_program *p, int status, const char *what)
{
    fprintf(stderr, "%s: %s%s%s\n", p->name, what, ck_error() ? ": " : "", ck_error() ? ck_error() : "");
    ck_error_clear();
    return status;
}

int fm_load_data(const fm_options *o, ck_movielens *d)
{
    if (o->data_dir) {
        if (ck_movielens_load(o->data_dir, d) < 0) return -1;
        if (!o->quiet)
            printf("data: %s (%s): %lld ratings, %lld users, %lld movies; n_uid %d, n_mid %d\n", o->data_dir, d->format,
                   (long long)d->n, (long long)d->n_users, (long long)d->n_movies, d->n_uid, d->n_mid);
        return 0;
    }
    if (ck_movielens_synthetic(o->seed, CK_ML_SYNTH_DEFAULT_USERS, CK_ML_SYNTH_DEFAULT_MOVIES,
                               CK_ML_SYNTH_DEFAULT_RATINGS, d) < 0)
        return -1;
    if (!o->quiet)
        printf("data: no --data given, so training on a MovieLens-like dataset generated in memory\n"
               "      (%d users, %d movies, %d ratings; seed %u). For the real thing, download\n"
               "      https://files.grouplens.org/datasets/movielens/ml-1m.zip, unzip it and run\n"
               "      with --data ml-1m\n",
               CK_ML_SYNTH_DEFAULT_USERS, CK_ML_SYNTH_DEFAULT_MOVIES, CK_ML_SYNTH_DEFAULT_RATINGS, (unsigned)o->seed);
    return 0;
}

ck_fm_config fm_config(const fm_options *o, const ck_movielens *d)
{
    return (ck_fm_config){
        .n_uid = d->n_uid,
        .n_mid = d->n_mid,
        .n_genre = d->n_genre,
        .k = o->k,
        .genre_pool = o->genre_pool_notebook ? CK_GENRE_POOL_NOTEBOOK : CK_GENRE_POOL_MASKED,
        .output_activation = fm_objective_for(o).output_activation,
    };
}

const char *fm_checkpoint_path(const fm_program *p, const fm_options *o, char *buf, size_t size)
{
    if (o->checkpoint) return o->checkpoint;
    if (o->preset == FM_PRESET_NOTEBOOK && o->objective == FM_OBJECTIVE_RATING) return p->default_checkpoint;
    /* "models/fm.safetensors" -> "models/fm_tuned_like.safetensors" */
    const char *path = p->default_checkpoint, *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    int stem = dot && (!slash || dot > slash) ? (int)(dot - path) : (int)strlen(path);
    snprintf(buf, size, "%.*s%s%s%s", stem, path, o->preset == FM_PRESET_TUNED ? "_tuned" : "",
             o->objective == FM_OBJECTIVE_LIKE ? "_like" : "", path + stem);
    return buf;
}

/* ---- recommend ---- */

static int by_score_desc(const void *a, const void *b)
{
    const fm_scored *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return x->mid - y->mid;
}

/* The model's four inputs for every movie the user has not rated: (n, 1)
 * occupation, uid, mid and (n, maxlen) genres, in heap arrays. */
typedef struct candidates {
    int n;
    float *occ;
    int32_t *uid, *mid, *genre;
} candidates;

static void candidates_free(candidates *c)
{
    free(c->occ);
    free(c->uid);
    free(c->mid);
    free(c->genre);
}

static int unrated_movies(const ck_movielens *d, long user, candidates *c)
{
    int n_mid = d->n_mid, L = d->maxlen;
    char *seen = calloc((size_t)n_mid + 1, 1);
    c->occ = malloc(sizeof *c->occ * ((size_t)n_mid + 1));
    c->uid = malloc(sizeof *c->uid * ((size_t)n_mid + 1));
    c->mid = malloc(sizeof *c->mid * ((size_t)n_mid + 1));
    c->genre = malloc(sizeof *c->genre * ((size_t)n_mid + 1) * (size_t)L);
    if (!seen || !c->occ || !c->uid || !c->mid || !c->genre) {
        free(seen);
        return ck_fail("out of memory");
    }
    for (int64_t r = 0; r < d->n; r++)
        if (d->uid[r] == user) seen[d->mid[r]] = 1;
    c->n = 0;
    for (int m = 1; m <= n_mid; m++) {
        if (!d->movie_present[m] || seen[m]) continue;
        c->occ[c->n] = d->user_occupation[user];
        c->uid[c->n] = (int32_t)user;
        c->mid[c->n] = m;
        memcpy(c->genre + (size_t)c->n * L, d->movie_genre + (size_t)m * L, sizeof *c->genre * (size_t)L);
        c->n++;
    }
    free(seen);
    return 0;
}

int fm_rank_unrated(ck_model *model, const ck_movielens *d, long user, fm_scored **ranked, int *n_ranked)
{
    candidates cand = {0};
    ck_tensor *pred = NULL;
    *ranked = NULL;
    *n_ranked = 0;
    if (user < 1 || user > d->n_uid || !d->user_present[user])
        return ck_fail("user %ld is not in the data (user ids 1..%d)", user, d->n_uid);
    int rc = unrated_movies(d, user, &cand);
    int n = cand.n, L = d->maxlen;
    if (!rc && n > 0) {
        ck_tensor x[CK_ML_N_INPUTS] = {
            ck_tensor_view(CK_F32, ck_shape_of(2, n, 1), cand.occ),
            ck_tensor_view(CK_I32, ck_shape_of(2, n, 1), cand.uid),
            ck_tensor_view(CK_I32, ck_shape_of(2, n, 1), cand.mid),
            ck_tensor_view(CK_I32, ck_shape_of(2, n, L), cand.genre),
        };
        /* model.predict(x): (n, 1) ratings or like-probabilities */
        pred = ck_predict(model, x, CK_ML_N_INPUTS, PREDICT_BATCH);
        *ranked = malloc(sizeof **ranked * (size_t)n);
        if (!pred || !*ranked) rc = pred ? ck_fail("out of memory") : -1;
    }
    if (!rc && n > 0) {
        for (int i = 0; i < n; i++) (*ranked)[i] = (fm_scored){cand.mid[i], pred->f[i]};
        qsort(*ranked, (size_t)n, sizeof **ranked, by_score_desc);
        *n_ranked = n;
    }
    if (rc) {
        free(*ranked);
        *ranked = NULL;
    }
    ck_tensor_free(pred);
    candidates_free(&cand);
    return rc;
}

/* The checkpoint into model, after checking that its recorded config is
 * this run's (a checkpoint trained with another --genre-pool has the same
 * shapes: only its metadata tells). */
static int load_checkpoint(const fm_program *p, const fm_options *o, const ck_movielens *data, ck_model *model,
                           const ck_fm_config *cfg, const char *checkpoint, int *status)
{
    fm_meta meta;
    char why[256];
    int other_data = 0;
    fm_make_meta(o, cfg, data->maxlen, fm_data_fingerprint(data), &meta);
    ck_safetensors *st = ck_safetensors_load(checkpoint);
    if (!st) {
        ck_error_prefix("load_weights: ");
        *status = fm_report(p, EXIT_BAD_INPUT, "cannot load the checkpoint");
        return -1;
    }
    if (fm_checkpoint_fits(st, ck_model_name(model), &meta, &other_data, why, sizeof why) < 0) {
        fprintf(stderr, "%s: the checkpoint %s does not fit this run: %s\n", p->name, checkpoint, why);
        ck_safetensors_free(st);
        *status = EXIT_BAD_INPUT;
        return -1;
    }
    if (other_data)
        fprintf(stderr, "%s: note: %s was trained on other data than %s (the data fingerprints differ)\n", p->name,
                checkpoint, o->data_dir ? o->data_dir : "the generated dataset");
    int rc = ck_load_weights_from(model, st, checkpoint);
    ck_safetensors_free(st);
    if (rc < 0) *status = fm_report(p, EXIT_BAD_INPUT, "cannot load the checkpoint");
    return rc;
}

static int recommend(const fm_program *p, const fm_options *o)
{
    ck_movielens data = {0};
    ck_session *s = NULL;
    fm_scored *ranked = NULL;
    int n = 0, like = o->objective == FM_OBJECTIVE_LIKE;
    char path[FM_PATH_BYTES];
    const char *checkpoint = fm_checkpoint_path(p, o, path, sizeof path);
    int status = EXIT_FAILURE_;

    if (fm_load_data(o, &data) < 0) {
        status = fm_report(p, EXIT_BAD_INPUT, "cannot load the data");
        goto done;
    }
    if (o->user > data.n_uid || !data.user_present[o->user]) {
        fprintf(stderr, "%s: user %ld is not in the data (user ids 1..%d)\n", p->name, o->user, data.n_uid);
        status = EXIT_BAD_INPUT;
        goto done;
    }
    ck_fm_config cfg = fm_config(o, &data);
    s = ck_session_new(o->seed);
    ck_model *model = s ? p->build(s, &cfg) : NULL;
    if (!model) {
        status = fm_report(p, EXIT_FAILURE_, "cannot build the model");
        goto done;
    }
    if (load_checkpoint(p, o, &data, model, &cfg, checkpoint, &status) < 0) {
        fprintf(stderr,
                "%s: recommend needs the --preset, --objective, --k, --occupation-scale and --genre-pool "
                "the checkpoint was trained with\n",
                p->name);
        goto done;
    }
    /* the inputs as trained: the occupation scaled as the preset scaled it
     * (after the data's fingerprint, which is of the data as loaded) */
    fm_scale_occupation(&data, o->occupation_scale);
    if (fm_rank_unrated(model, &data, o->user, &ranked, &n) < 0) {
        status = fm_report(p, EXIT_FAILURE_, "recommend");
        goto done;
    }
    if (n == 0) {
        printf("user %ld has rated every movie\n", o->user);
        status = EXIT_OK;
        goto done;
    }
    int top = o->top < n ? o->top : n;
    printf("top %d movies for user %ld (not yet rated), by predicted %s (%s):\n", top, o->user,
           like ? "like-probability" : "rating", checkpoint);
    for (int i = 0; i < top; i++) {
        int m = ranked[i].mid;
        printf(like ? "%3d. %5.3f  %s  [%s]\n" : "%3d. %5.2f  %s  [%s]\n", i + 1, ranked[i].score,
               data.title[m] ? data.title[m] : "?", data.movie_genres_text[m] ? data.movie_genres_text[m] : "");
    }
    status = EXIT_OK;

done:
    free(ranked);
    ck_session_free(s);
    ck_movielens_free(&data);
    return status;
}

/* ---- export ---- */

/* The trained model as ONNX (ck_export_onnx): the data only gives the
 * model's sizes (ids per field), as for recommend, and the checkpoint must
 * record this run's config. The --onnx path is checked before the data is
 * loaded, as training checks its outputs. */
static int export_onnx(const fm_program *p, const fm_options *o)
{
    ck_movielens data = {0};
    ck_session *s = NULL;
    const char *checkpoint = o->checkpoint ? o->checkpoint : p->default_checkpoint;
    int status = EXIT_FAILURE_;
    if (!ck_onnx_available()) {
        ck_fail("this build has no ONNX support (meson -Donnx=enabled; see docs/serving.md)");
        return fm_report(p, EXIT_FAILURE_, "cannot export");
    }
    if (fm_check_export_output(o, checkpoint) < 0) return fm_report(p, EXIT_BAD_INPUT, "bad output");
    if (fm_load_data(o, &data) < 0) {
        status = fm_report(p, EXIT_BAD_INPUT, "cannot load the data");
        goto done;
    }
    ck_fm_config cfg = fm_config(o, &data);
    s = ck_session_new(o->seed);
    ck_model *model = s ? p->build(s, &cfg) : NULL;
    if (!model) {
        status = fm_report(p, EXIT_FAILURE_, "cannot build the model");
        goto done;
    }
    if (load_checkpoint(p, o, &data, model, &cfg, checkpoint, &status) < 0) goto done;
    if (ck_export_onnx(model, o->onnx, NULL) < 0) {
        status = fm_report(p, EXIT_FAILURE_, "cannot export");
        goto done;
    }
    if (!o->quiet)
        printf("exported %s (%s, %ld parameters) to %s: inputs input_fea3 (batch, 1) float32, input_uid, input_mid "
               "(batch, 1) int32, input_genre (batch, %d) int32; output %s (batch, 1) float32\n",
               ck_model_name(model), checkpoint, ck_count_params(model), o->onnx, data.maxlen,
               ck_layer_name(ck_model_layer(model, ck_model_n_layers(model) - 1)));
    status = EXIT_OK;

done:
    ck_session_free(s);
    ck_movielens_free(&data);
    return status;
}

int fm_main(int argc, char **argv, const fm_program *p)
{
    fm_options o;
    char err[512];
    if (fm_parse_args(argc, argv, &o, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", p->name, err);
        fm_print_usage(stderr, p->name, p->default_checkpoint);
        return EXIT_BAD_INPUT;
    }
    if (o.command == FM_HELP) {
        fm_print_usage(stdout, p->name, p->default_checkpoint);
        return EXIT_OK;
    }
    /* --threads N: threads for the library's parallel loops (0: the build's default) */
    ck_set_num_threads(o.threads);
    if (o.command == FM_EXPORT) return export_onnx(p, &o);
    return o.command == FM_RECOMMEND ? recommend(p, &o) : fm_train(p, &o);
}
