/* movielens_prepare.c - the raw tables every source fills, and what the
 * notebook does with them once read (see ck_movielens.h):
 *
 *     genres: Tokenizer(num_words=15, split='|', lower=True, filters='')
 *             fit on the movies table, texts_to_sequences,
 *             pad_sequences(maxlen=3, padding='post')
 *     rows:   merge(merge(ratings, users, on uid), movies, on mid), both
 *             inner joins, in pandas (< 2.2) order
 *
 * and the dataset's own lifetime (ck_movielens_free). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

#include "ck_error.h"
#include "ck_movielens_internal.h"

#define GENRE_SPLIT '|'   /* Tokenizer(split='|') */
#define GENRE_LOWER 1     /* Tokenizer(lower=True) */
#define GENRE_PAD_VALUE 0 /* pad_sequences(value=0): id 0 is padding */

/* ------------------------------------------------------------------ tables */

void ck_ml_tables_free(ck_ml_tables *t)
{
    free(t->rating_uid);
    free(t->rating_mid);
    free(t->rating);
    free(t->user_id);
    free(t->user_occ);
    free(t->user_line);
    free(t->movie_id);
    free(t->movie_line);
    free(t->title_at);
    free(t->genres_at);
    arrfree(t->text);
    memset(t, 0, sizeof *t);
}

void *ck_ml_alloc_array(int64_t n, size_t size)
{
    if (n < 0 || (uint64_t)n > SIZE_MAX / size) return NULL;
    size_t bytes = (size_t)n * size;
    return malloc(bytes ? bytes : 1);
}

void *ck_ml_calloc_array(int64_t n, size_t size)
{
    if (n < 0 || (uint64_t)n > SIZE_MAX / size) return NULL;
    return calloc(n ? (size_t)n : 1, size);
}

int ck_ml_alloc_users(ck_ml_tables *t, int64_t cap, const char *source)
{
    t->user_id = ck_ml_alloc_array(cap, sizeof *t->user_id);
    t->user_occ = ck_ml_alloc_array(cap, sizeof *t->user_occ);
    t->user_line = ck_ml_alloc_array(cap, sizeof *t->user_line);
    if (!t->user_id || !t->user_occ || !t->user_line)
        return ck_fail("movielens: out of memory for %lld users of %s", (long long)cap, source);
    return 0;
}

int ck_ml_alloc_movies(ck_ml_tables *t, int64_t cap, const char *source)
{
    t->movie_id = ck_ml_alloc_array(cap, sizeof *t->movie_id);
    t->movie_line = ck_ml_alloc_array(cap, sizeof *t->movie_line);
    t->title_at = ck_ml_alloc_array(cap, sizeof *t->title_at);
    t->genres_at = ck_ml_alloc_array(cap, sizeof *t->genres_at);
    if (!t->movie_id || !t->movie_line || !t->title_at || !t->genres_at)
        return ck_fail("movielens: out of memory for %lld movies of %s", (long long)cap, source);
    return 0;
}

size_t ck_ml_text_append(ck_ml_tables *t, const char *s, size_t len)
{
    size_t at = (size_t)arrlen(t->text);
    if (len) memcpy(arraddnptr(t->text, len), s, len);
    arrput(t->text, '\0');
    return at;
}

size_t ck_ml_text_append_latin1(ck_ml_tables *t, const char *s, size_t len)
{
    size_t at = (size_t)arrlen(t->text);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            arrput(t->text, (char)c);
        } else {
            arrput(t->text, (char)(0xc0 | (c >> 6)));
            arrput(t->text, (char)(0x80 | (c & 0x3f)));
        }
    }
    arrput(t->text, '\0');
    return at;
}

/* ------------------------------------------------------------------ ids */

/* A table's ids: present[id] = 1 and row_of[id] = its row, for ids 0..max. */
typedef struct id_index {
    int32_t max;      /* largest id of the table */
    int64_t *row_of;  /* (max + 1) set where present */
    uint8_t *present; /* (max + 1) */
} id_index;

static void id_index_free(id_index *ix)
{
    free(ix->row_of);
    free(ix->present);
}

/* Indexes the ids id (n) of one table; a second row with the same id fails,
 * naming both lines of `file`. what: "user" or "movie". */
static int index_ids(const int32_t *id, const int64_t *line, int64_t n, const char *file, const char *what,
                     id_index *ix)
{
    ix->max = 0;
    for (int64_t i = 0; i < n; i++)
        if (id[i] > ix->max) ix->max = id[i];
    ix->row_of = ck_ml_alloc_array((int64_t)ix->max + 1, sizeof *ix->row_of);
    ix->present = ck_ml_calloc_array((int64_t)ix->max + 1, 1);
    if (!ix->row_of || !ix->present) return ck_fail("movielens: out of memory for the users and movies tables");
    for (int64_t i = 0; i < n; i++) {
        int32_t v = id[i];
        if (ix->present[v])
            return ck_fail("movielens: %s line %lld: duplicate %s id %d (first on line %lld)", file, (long long)line[i],
                           what, (int)v, (long long)line[ix->row_of[v]]);
        ix->present[v] = 1;
        ix->row_of[v] = i;
    }
    return 0;
}

/* ------------------------------------------------------------------ genres */

/* The notebook's Tokenizer and pad_sequences on the movies table's genre
 * strings, in file order. *rows: (n_movies, CK_ML_MAXLEN) genre ids, heap,
 * in movies-table order. The fitted tokenizer stays in out. */
static int tokenize_genres(const ck_ml_tables *t, ck_movielens *out, int32_t **rows)
{
    const char **texts = ck_ml_alloc_array(t->n_movies, sizeof *texts);
    if (!texts) return ck_fail("movielens: out of memory for %lld genre strings", (long long)t->n_movies);
    for (int64_t i = 0; i < t->n_movies; i++) texts[i] = t->text + t->genres_at[i];
    ck_sequences seqs = {0};
    out->genre_tokenizer = ck_tokenizer_new(CK_ML_NUM_WORDS, GENRE_SPLIT, GENRE_LOWER);
    if (out->genre_tokenizer && ck_tokenizer_fit(out->genre_tokenizer, texts, t->n_movies) == 0 &&
        ck_tokenizer_texts_to_sequences(out->genre_tokenizer, texts, t->n_movies, &seqs) == 0)
        *rows = ck_pad_sequences(&seqs, CK_ML_MAXLEN, CK_PAD_POST, CK_PAD_PRE, GENRE_PAD_VALUE);
    free(texts);
    ck_sequences_free(&seqs);
    return *rows ? 0 : -1;
}

/* ------------------------------------------------------------------ merge */

/* The row order of a pandas (< 2.2) inner merge of `rows` (indices into key)
 * with a table whose keys are unique: rows whose key is not present are
 * dropped; the rest are grouped by key, groups in order of the key's first
 * appearance, rows inside a group in their previous order. A counting sort:
 * number the groups, count their rows, then place each row.
 * out may not alias rows. Returns the number of rows kept, or -1. */
static int64_t grouped_inner_order(const int32_t *key, const int64_t *rows, int64_t n, const id_index *table,
                                   int64_t *out)
{
    const int32_t max_key = table->max;
    int32_t *group_of_key = ck_ml_alloc_array((int64_t)max_key + 1, sizeof *group_of_key);
    int64_t *start = ck_ml_calloc_array((int64_t)max_key + 2, sizeof *start);
    if (!group_of_key || !start) {
        free(group_of_key);
        free(start);
        return ck_fail("movielens: out of memory merging %lld rows", (long long)n);
    }
    for (int32_t k = 0; k <= max_key; k++) group_of_key[k] = -1;
    int32_t n_groups = 0;
    for (int64_t i = 0; i < n; i++) {
        int32_t k = key[rows[i]];
        if (k > max_key || !table->present[k]) continue;
        if (group_of_key[k] < 0) group_of_key[k] = n_groups++;
        start[group_of_key[k] + 1]++;
    }
    for (int32_t g = 0; g < n_groups; g++) start[g + 1] += start[g];
    int64_t kept = start[n_groups];
    for (int64_t i = 0; i < n; i++) {
        int32_t k = key[rows[i]];
        if (k > max_key || !table->present[k]) continue;
        out[start[group_of_key[k]]++] = rows[i];
    }
    free(group_of_key);
    free(start);
    return kept;
}

/* merge(merge(ratings, users, on uid), movies, on mid): *order (heap, room
 * for every rating) gets in its first *n entries the ratings-file row of
 * each merged row, in the merge's order. */
static int merge_order(const ck_ml_tables *t, const id_index *users, const id_index *movies, int64_t **order,
                       int64_t *n)
{
    int64_t n_raw = t->n_ratings;
    int64_t *after_users = ck_ml_alloc_array(n_raw, sizeof *after_users);
    int64_t *merged = ck_ml_alloc_array(n_raw, sizeof *merged);
    if (!after_users || !merged) {
        free(after_users);
        free(merged);
        return ck_fail("movielens: out of memory for %lld rows", (long long)n_raw);
    }
    for (int64_t i = 0; i < n_raw; i++) /* the ratings in file order, to start from */
        merged[i] = i;
    int64_t n_users = grouped_inner_order(t->rating_uid, merged, n_raw, users, after_users);
    int64_t kept = n_users < 0 ? -1 : grouped_inner_order(t->rating_mid, after_users, n_users, movies, merged);
    free(after_users); /* before the rows are allocated: keeps the loader's peak memory down */
    if (kept == 0)
        ck_fail("movielens: no rating has both its user in %s and its movie in %s", t->users_file, t->movies_file);
    if (kept <= 0) {
        free(merged);
        return -1;
    }
    *order = merged;
    *n = kept;
    return 0;
}

/* ------------------------------------------------------------------ layout */

/* The per-movie and per-user tables of out, indexed by id (n_mid + 1 and
 * n_uid + 1 entries), zeroed. */
static int alloc_id_tables(ck_movielens *out)
{
    int64_t movies = (int64_t)out->n_mid + 1, users = (int64_t)out->n_uid + 1;
    out->title = ck_ml_calloc_array(movies, sizeof *out->title);
    out->movie_genres_text = ck_ml_calloc_array(movies, sizeof *out->movie_genres_text);
    out->movie_genre = ck_ml_calloc_array(movies, CK_ML_MAXLEN * sizeof *out->movie_genre);
    out->movie_present = ck_ml_calloc_array(movies, sizeof *out->movie_present);
    out->user_occupation = ck_ml_calloc_array(users, sizeof *out->user_occupation);
    out->user_present = ck_ml_calloc_array(users, sizeof *out->user_present);
    if (!out->title || !out->movie_genres_text || !out->movie_genre || !out->movie_present || !out->user_occupation ||
        !out->user_present)
        return ck_fail("movielens: out of memory for %lld merged rows", (long long)out->n);
    return 0;
}

/* The merged rows: row i is ratings-file row order[i] (out->n rows). Laid
 * out one column at a time, and each ratings column is freed as soon as the
 * last column that reads it is done (the 1-byte ratings last): the loader's
 * peak is then the merged rows, the order and one byte per rating, not both
 * tables in full. genre_rows: (n_movies, maxlen) in movies-table order. */
static int lay_out_rows(ck_ml_tables *t, const int64_t *order, const id_index *users, const id_index *movies,
                        const int32_t *genre_rows, ck_movielens *out)
{
    const int64_t n = out->n;
    if (!(out->genre = ck_ml_alloc_array(n, CK_ML_MAXLEN * sizeof *out->genre)) ||
        !(out->mid = ck_ml_alloc_array(n, sizeof *out->mid)))
        goto no_memory;
    for (int64_t i = 0; i < n; i++) {
        if (i + CK_ML_PREFETCH_AHEAD < n) CK_ML_PREFETCH(&t->rating_mid[order[i + CK_ML_PREFETCH_AHEAD]]);
        int32_t m = t->rating_mid[order[i]];
        out->mid[i] = m;
        const int32_t *genre = genre_rows + movies->row_of[m] * CK_ML_MAXLEN;
        for (int k = 0; k < CK_ML_MAXLEN; k++) out->genre[i * CK_ML_MAXLEN + k] = genre[k];
    }
    free(t->rating_mid);
    t->rating_mid = NULL;

    if (!(out->occupation = ck_ml_alloc_array(n, sizeof *out->occupation)) ||
        !(out->uid = ck_ml_alloc_array(n, sizeof *out->uid)))
        goto no_memory;
    for (int64_t i = 0; i < n; i++) {
        if (i + CK_ML_PREFETCH_AHEAD < n) CK_ML_PREFETCH(&t->rating_uid[order[i + CK_ML_PREFETCH_AHEAD]]);
        int32_t u = t->rating_uid[order[i]];
        out->uid[i] = u;
        out->occupation[i] = t->user_occ[users->row_of[u]];
    }
    free(t->rating_uid);
    t->rating_uid = NULL;

    if (!(out->rating = ck_ml_alloc_array(n, sizeof *out->rating))) goto no_memory;
    for (int64_t i = 0; i < n; i++) {
        if (i + CK_ML_PREFETCH_AHEAD < n) CK_ML_PREFETCH(&t->rating[order[i + CK_ML_PREFETCH_AHEAD]]);
        out->rating[i] = (float)t->rating[order[i]];
    }
    free(t->rating);
    t->rating = NULL;
    return 0;
no_memory:
    return ck_fail("movielens: out of memory for %lld merged rows", (long long)n);
}

/* Every user and movie of the tables into out's per-id tables. The titles
 * and genre strings point into the text array, which out now owns. */
static void fill_id_tables(ck_ml_tables *t, const int32_t *genre_rows, ck_movielens *out)
{
    for (int64_t i = 0; i < t->n_users; i++) {
        out->user_present[t->user_id[i]] = 1;
        out->user_occupation[t->user_id[i]] = t->user_occ[i];
    }
    for (int64_t i = 0; i < t->n_movies; i++) {
        int32_t m = t->movie_id[i];
        out->movie_present[m] = 1;
        out->title[m] = t->text + t->title_at[i];
        out->movie_genres_text[m] = t->text + t->genres_at[i];
        memcpy(out->movie_genre + (int64_t)m * CK_ML_MAXLEN, genre_rows + i * CK_ML_MAXLEN,
               CK_ML_MAXLEN * sizeof *out->movie_genre);
    }
    out->storage_ = t->text;
    t->text = NULL;
}

int ck_ml_prepare(ck_ml_tables *t, const char *format, ck_movielens *out)
{
    id_index users = {0}, movies = {0};
    int32_t *genre_rows = NULL; /* (n_movies, maxlen) in movies-table order */
    int64_t *order = NULL, n = 0;
    int rc = -1;
    if (index_ids(t->user_id, t->user_line, t->n_users, t->users_file, "user", &users) < 0 ||
        index_ids(t->movie_id, t->movie_line, t->n_movies, t->movies_file, "movie", &movies) < 0 ||
        tokenize_genres(t, out, &genre_rows) < 0 || merge_order(t, &users, &movies, &order, &n) < 0)
        goto done;
    out->n = n;
    out->n_uid = users.max; /* the merged ids are ids of the tables */
    out->n_mid = movies.max;
    if (alloc_id_tables(out) < 0 || lay_out_rows(t, order, &users, &movies, genre_rows, out) < 0) goto done;
    fill_id_tables(t, genre_rows, out);
    out->n_genre = CK_ML_N_GENRE;
    out->maxlen = CK_ML_MAXLEN;
    out->n_ratings_raw = t->n_ratings;
    out->n_users = t->n_users;
    out->n_movies = t->n_movies;
    snprintf(out->format, sizeof out->format, "%s", format);
    rc = 0;
done:
    id_index_free(&users);
    id_index_free(&movies);
    free(genre_rows);
    free(order);
    return rc;
}

void ck_movielens_free(ck_movielens *d)
{
    if (!d) return;
    free(d->occupation);
    free(d->uid);
    free(d->mid);
    free(d->genre);
    free(d->rating);
    free(d->title);
    free(d->movie_genres_text);
    free(d->movie_genre);
    free(d->movie_present);
    free(d->user_occupation);
    free(d->user_present);
    ck_tokenizer_free(d->genre_tokenizer);
    char *text = d->storage_;
    arrfree(text);
    memset(d, 0, sizeof *d);
}
