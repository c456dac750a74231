/* fm_common.c - the parts of fm_movielens and deepfm that are the same. */
#include "fm_common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int fm_report(const char *prog, int status, const char *what)
{
    fprintf(stderr, "%s: %s%s%s\n", prog, what, ck_error() ? ": " : "", ck_error() ? ck_error() : "");
    ck_error_clear();
    return status;
}

int fm_load_data(const fm_options *o, ck_movielens *d)
{
    if (o->data_dir) {
        if (ck_movielens_load(o->data_dir, d) < 0) return -1;
        if (!o->quiet)
            printf("data: %s (%s): %lld ratings, %lld users, %lld movies; n_uid %d, n_mid %d\n",
                   o->data_dir, d->format, (long long)d->n, (long long)d->n_users,
                   (long long)d->n_movies, d->n_uid, d->n_mid);
        return 0;
    }
    if (ck_movielens_synthetic(o->seed, CK_ML_SYNTH_DEFAULT_USERS, CK_ML_SYNTH_DEFAULT_MOVIES,
                               CK_ML_SYNTH_DEFAULT_RATINGS, d) < 0) return -1;
    if (!o->quiet)
        printf("data: no --data given, so training on a MovieLens-like dataset generated in memory\n"
               "      (%d users, %d movies, %d ratings; seed %u). For the real thing, download\n"
               "      https://files.grouplens.org/datasets/movielens/ml-1m.zip, unzip it and run\n"
               "      with --data ml-1m\n",
               CK_ML_SYNTH_DEFAULT_USERS, CK_ML_SYNTH_DEFAULT_MOVIES, CK_ML_SYNTH_DEFAULT_RATINGS,
               (unsigned)o->seed);
    return 0;
}

ck_fm_config fm_config(const fm_options *o, const ck_movielens *d)
{
    return (ck_fm_config){
        .n_uid = d->n_uid, .n_mid = d->n_mid, .n_genre = d->n_genre, .k = o->k,
        .genre_pool = o->genre_pool_notebook ? CK_GENRE_POOL_NOTEBOOK : CK_GENRE_POOL_MASKED,
    };
}

int fm_ensure_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;
    char dir[4096];
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir) return ck_fail("path too long: %s", path);
    memcpy(dir, path, n);
    dir[n] = 0;
    if (mkdir(dir, 0777) < 0 && errno != EEXIST)
        return ck_fail("cannot create directory '%s': %s", dir, strerror(errno));
    return 0;
}
