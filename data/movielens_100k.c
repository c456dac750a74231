/* movielens_100k.c - the ml-100k reader: u.data, u.occupation, u.user,
 * u.genre and u.item (see ck_movielens.h). Occupations are names here,
 * numbered by their line in u.occupation; a movie's genres are 0/1 flags,
 * turned back into the "Action|Comedy" text the ml-1m files hold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

#include "ck_error.h"
#include "ck_movielens_fields.h"
#include "ck_movielens_internal.h"

#define ML100K_RATINGS_SEP "\t"
#define ML100K_SEP "|"
#define MAX_GENRES 64        /* u.genre entries (ml-100k has 19) */
#define MAX_OCCUPATIONS 1000 /* u.occupation entries (ml-100k has 21) */
#define GENRE_NAME_SHOWN 100 /* characters of a genre name in a field name */
enum {
    USER_FIELDS = 5,
    GENRE_FIELDS = 2,
    ITEM_FIELDS_BEFORE_FLAGS = 5, /* mid|title|date|video date|url, then the flags */
    /* the longest valid u.item line, and one spare */
    MAX_ITEM_FIELDS = ITEM_FIELDS_BEFORE_FLAGS + MAX_GENRES + 1,
};

/* u.occupation: one name per line (surrounding blanks dropped); the
 * numeric occupation is the name's position. */
typedef struct name_list {
    ck_ml_span names[MAX_OCCUPATIONS];
    int n;
} name_list;

static int parse_occupations(const ck_ml_file *file, name_list *occ)
{
    ck_ml_lines r = ck_ml_lines_of(file);
    ck_ml_span line;
    occ->n = 0;
    while (ck_ml_next_line(&r, &line)) {
        ck_ml_span name = ck_ml_trim(line);
        if (name.len == 0) continue;
        if (occ->n == MAX_OCCUPATIONS)
            return ck_fail("movielens: %s line %lld: more than %d occupations", file->path, (long long)r.lineno,
                           MAX_OCCUPATIONS);
        for (int i = 0; i < occ->n; i++)
            if (ck_ml_span_eq(occ->names[i], name)) {
                char shown[160];
                return ck_fail("movielens: %s line %lld: occupation '%s' is listed twice", file->path,
                               (long long)r.lineno, ck_ml_show(name, shown, sizeof shown));
            }
        occ->names[occ->n++] = name;
    }
    if (occ->n == 0) return ck_fail("movielens: %s has no occupations", file->path);
    return 0;
}

/* u.user: uid|age|gender|occupation name|zip. */
static int parse_users(const ck_ml_file *file, const name_list *occ, const char *occ_path, ck_ml_tables *t)
{
    if (ck_ml_alloc_users(t, ck_ml_count_lines(file->data, file->size), file->path) < 0) return -1;
    ck_ml_lines r = ck_ml_lines_of(file);
    ck_ml_span line, f[USER_FIELDS];
    while (ck_ml_next_line(&r, &line)) {
        if (ck_ml_is_blank(line)) continue;
        int nf = ck_ml_split_fields(line, ML100K_SEP, f, USER_FIELDS);
        if (nf != USER_FIELDS) return ck_ml_count_error(&r, USER_FIELDS, ML100K_SEP, nf);
        if (ck_ml_parse_id(&r, 1, "user id", f[0], &t->user_id[t->n_users]) < 0) return -1;
        int found = -1;
        for (int i = 0; i < occ->n && found < 0; i++)
            if (ck_ml_span_eq(occ->names[i], f[3])) found = i;
        if (found < 0) {
            char problem[1200];
            snprintf(problem, sizeof problem, "is not listed in %s", occ_path);
            return ck_ml_field_error(&r, 4, "occupation", f[3], problem);
        }
        t->user_occ[t->n_users] = (float)found;
        t->user_line[t->n_users] = r.lineno;
        t->n_users++;
    }
    if (t->n_users == 0) return ck_fail("movielens: %s has no users", file->path);
    return 0;
}

/* u.genre: name|index, indices 0..G-1 each exactly once. */
typedef struct genre_list {
    ck_ml_span names[MAX_GENRES];
    int n;
} genre_list;

static int parse_genres(const ck_ml_file *file, genre_list *g)
{
    ck_ml_lines r = ck_ml_lines_of(file);
    ck_ml_span line, f[GENRE_FIELDS];
    int seen[MAX_GENRES] = {0};
    g->n = 0;
    while (ck_ml_next_line(&r, &line)) {
        if (ck_ml_is_blank(line)) continue;
        int nf = ck_ml_split_fields(line, ML100K_SEP, f, GENRE_FIELDS);
        if (nf != GENRE_FIELDS) return ck_ml_count_error(&r, GENRE_FIELDS, ML100K_SEP, nf);
        int64_t index;
        if (ck_ml_parse_int(&r, 2, "genre index", f[1], 0, MAX_GENRES - 1, &index) < 0 ||
            ck_ml_check_no_nul(&r, 1, "genre name", f[0]) < 0)
            return -1;
        if (f[0].len == 0) return ck_ml_field_error(&r, 1, "genre name", f[0], "is empty");
        if (seen[index]) return ck_ml_field_error(&r, 2, "genre index", f[1], "is listed twice");
        seen[index] = 1;
        g->names[index] = f[0];
        g->n++;
    }
    if (g->n == 0) return ck_fail("movielens: %s has no genres", file->path);
    for (int i = 0; i < g->n; i++)
        if (!seen[i]) return ck_fail("movielens: %s: genre index %d is missing (found %d genres)", file->path, i, g->n);
    return 0;
}

/* Appends to *genres ("Action|Comedy", an stb_ds array) the names of the
 * genres flagged 1 in flags (one field per genre, in u.genre order). */
static int flagged_genres(const ck_ml_lines *r, const ck_ml_span *flags, const genre_list *g, char **genres)
{
    for (int i = 0; i < g->n; i++) {
        ck_ml_span flag = flags[i];
        if (flag.len != 1 || (flag.s[0] != '0' && flag.s[0] != '1')) {
            char name[160];
            int shown = (int)(g->names[i].len < GENRE_NAME_SHOWN ? g->names[i].len : GENRE_NAME_SHOWN);
            snprintf(name, sizeof name, "genre flag %.*s", shown, g->names[i].s);
            return ck_ml_field_error(r, ITEM_FIELDS_BEFORE_FLAGS + 1 + i, name, flag, "is not 0 or 1");
        }
        if (flag.s[0] == '1') {
            if (arrlen(*genres)) arrput(*genres, '|');
            memcpy(arraddnptr(*genres, g->names[i].len), g->names[i].s, g->names[i].len);
        }
    }
    return 0;
}

/* u.item: mid|title|date|video date|url|G flags. */
static int parse_items(const ck_ml_file *file, const genre_list *g, ck_ml_tables *t)
{
    if (ck_ml_alloc_movies(t, ck_ml_count_lines(file->data, file->size), file->path) < 0) return -1;
    ck_ml_lines r = ck_ml_lines_of(file);
    ck_ml_span line, f[MAX_ITEM_FIELDS];
    const int want = ITEM_FIELDS_BEFORE_FLAGS + g->n;
    char *genres = NULL; /* stb_ds array: "Action|Comedy" being assembled */
    int rc = -1;
    while (ck_ml_next_line(&r, &line)) {
        if (ck_ml_is_blank(line)) continue;
        int nf = ck_ml_split_fields(line, ML100K_SEP, f, MAX_ITEM_FIELDS);
        if (nf != want) {
            ck_ml_count_error(&r, want, ML100K_SEP, nf);
            goto done;
        }
        int64_t k = t->n_movies;
        if (ck_ml_parse_id(&r, 1, "movie id", f[0], &t->movie_id[k]) < 0 ||
            ck_ml_check_no_nul(&r, 2, "title", f[1]) < 0)
            goto done;
        if (genres) /* empty it, keep the capacity */
            arrdeln(genres, 0, arrlen(genres));
        if (flagged_genres(&r, f + ITEM_FIELDS_BEFORE_FLAGS, g, &genres) < 0) goto done;
        t->movie_line[k] = r.lineno;
        t->title_at[k] = ck_ml_text_append_latin1(t, f[1].s, f[1].len);
        t->genres_at[k] = ck_ml_text_append_latin1(t, genres, (size_t)arrlen(genres));
        t->n_movies++;
    }
    if (t->n_movies == 0)
        ck_fail("movielens: %s has no movies", file->path);
    else
        rc = 0;
done:
    arrfree(genres);
    return rc;
}

int ck_ml_load_100k(const char *dir, ck_ml_tables *t, ck_movielens *out)
{
    ck_ml_file ratings = {0}, users = {0}, items = {0}, occupations = {0}, genres = {0};
    name_list *occ = malloc(sizeof *occ);
    genre_list *g = malloc(sizeof *g);
    int rc = -1;
    if (!occ || !g) {
        ck_fail("movielens: out of memory");
        goto done;
    }
    if (ck_ml_load_file(dir, "u.data", &ratings) < 0 || ck_ml_parse_ratings(&ratings, ML100K_RATINGS_SEP, t) < 0)
        goto done;
    ck_ml_unload_file(&ratings); /* keep peak memory down */
    if (ck_ml_load_file(dir, "u.occupation", &occupations) < 0 || parse_occupations(&occupations, occ) < 0 ||
        ck_ml_load_file(dir, "u.user", &users) < 0 || parse_users(&users, occ, occupations.path, t) < 0 ||
        ck_ml_load_file(dir, "u.genre", &genres) < 0 || parse_genres(&genres, g) < 0 ||
        ck_ml_load_file(dir, "u.item", &items) < 0 || parse_items(&items, g, t) < 0)
        goto done;
    t->users_file = users.path;
    t->movies_file = items.path;
    rc = ck_ml_prepare(t, "ml-100k", out);
done:
    ck_ml_unload_file(&ratings);
    ck_ml_unload_file(&users);
    ck_ml_unload_file(&items);
    ck_ml_unload_file(&occupations);
    ck_ml_unload_file(&genres);
    free(occ);
    free(g);
    return rc;
}
