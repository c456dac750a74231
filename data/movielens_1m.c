/* movielens_1m.c - the ml-1m reader: ratings.dat, users.dat and movies.dat,
 * fields separated by "::", titles in latin-1 (see ck_movielens.h). */
#include <stdlib.h>

#include "ck_error.h"
#include "ck_movielens_fields.h"
#include "ck_movielens_internal.h"

#define ML1M_SEP "::"
enum { USER_FIELDS = 5, MOVIE_FIELDS = 3 };

/* users.dat: uid::gender::age::occupation::zip. Only the id and the
 * occupation are used (and checked). */
static int parse_users(const ck_ml_file *file, ck_ml_tables *t)
{
    if (ck_ml_alloc_users(t, ck_ml_count_lines(file->data, file->size), file->path) < 0) return -1;
    ck_ml_lines r = ck_ml_lines_of(file);
    ck_ml_span line, f[USER_FIELDS];
    while (ck_ml_next_line(&r, &line)) {
        if (ck_ml_is_blank(line)) continue;
        int nf = ck_ml_split_fields(line, ML1M_SEP, f, USER_FIELDS);
        if (nf != USER_FIELDS) return ck_ml_count_error(&r, USER_FIELDS, ML1M_SEP, nf);
        int64_t occupation;
        if (ck_ml_parse_id(&r, 1, "user id", f[0], &t->user_id[t->n_users]) < 0 ||
            ck_ml_parse_int(&r, 4, "occupation", f[3], 0, CK_ML1M_OCCUPATIONS - 1, &occupation) < 0)
            return -1;
        t->user_occ[t->n_users] = (float)occupation;
        t->user_line[t->n_users] = r.lineno;
        t->n_users++;
    }
    if (t->n_users == 0) return ck_fail("movielens: %s has no users", file->path);
    return 0;
}

/* movies.dat: mid::title::genres (titles in latin-1). */
static int parse_movies(const ck_ml_file *file, ck_ml_tables *t)
{
    if (ck_ml_alloc_movies(t, ck_ml_count_lines(file->data, file->size), file->path) < 0) return -1;
    ck_ml_lines r = ck_ml_lines_of(file);
    ck_ml_span line, f[MOVIE_FIELDS];
    while (ck_ml_next_line(&r, &line)) {
        if (ck_ml_is_blank(line)) continue;
        int nf = ck_ml_split_fields(line, ML1M_SEP, f, MOVIE_FIELDS);
        if (nf != MOVIE_FIELDS) return ck_ml_count_error(&r, MOVIE_FIELDS, ML1M_SEP, nf);
        int64_t k = t->n_movies;
        if (ck_ml_parse_id(&r, 1, "movie id", f[0], &t->movie_id[k]) < 0 ||
            ck_ml_check_no_nul(&r, 2, "title", f[1]) < 0 || ck_ml_check_no_nul(&r, 3, "genres", f[2]) < 0)
            return -1;
        t->movie_line[k] = r.lineno;
        t->title_at[k] = ck_ml_text_append_latin1(t, f[1].s, f[1].len);
        t->genres_at[k] = ck_ml_text_append_latin1(t, f[2].s, f[2].len);
        t->n_movies++;
    }
    if (t->n_movies == 0) return ck_fail("movielens: %s has no movies", file->path);
    return 0;
}

int ck_ml_load_1m(const char *dir, ck_ml_tables *t, ck_movielens *out)
{
    ck_ml_file ratings = {0}, users = {0}, movies = {0};
    int rc = -1;
    if (ck_ml_load_file(dir, "ratings.dat", &ratings) < 0 || ck_ml_parse_ratings(&ratings, ML1M_SEP, t) < 0) goto done;
    ck_ml_unload_file(&ratings); /* keep peak memory down */
    if (ck_ml_load_file(dir, "users.dat", &users) < 0 || parse_users(&users, t) < 0 ||
        ck_ml_load_file(dir, "movies.dat", &movies) < 0 || parse_movies(&movies, t) < 0)
        goto done;
    t->users_file = users.path;
    t->movies_file = movies.path;
    rc = ck_ml_prepare(t, "ml-1m", out);
done:
    ck_ml_unload_file(&ratings);
    ck_ml_unload_file(&users);
    ck_ml_unload_file(&movies);
    return rc;
}
