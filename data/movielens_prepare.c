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
    if (n < 0 || (uint64_t)n > SIZE_MAX / size)
        return NULL;
    size_t bytes = (size_t)n * size;
    return malloc(bytes ? bytes : 1);
}

void *ck_ml_calloc_array(int64_t n, size_t size)
{
    if (n < 0 || (uint64_t)n > SIZE_MAX / size)
        return NULL;
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
    if (len)
        memcpy(arraddnptr(t->text, len), s, len);
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

/* ------------------------------------------------------------------ prepare */

/* The row order of a pandas (< 2.2) inner merge of `rows` (indices into key)
 * with a table whose keys are unique: rows whose key is not present are
 * dropped; the rest are grouped by key, groups in order of the key's first
 * appearance, rows inside a group in their previous order. A counting sort:
 * number the groups, count their rows, then place each row.
 * out may not alias rows. Returns the number of rows kept, or -1. */
static int64_t grouped_inner_order(const int32_t *key, const int64_t *rows, int64_t n,
                                   const uint8_t *present, int32_t max_key, int64_t *out)
{
    int32_t *group_of_key = ck_ml_alloc_array((int64_t)max_key + 1, sizeof *group_of_key);
    int64_t *start = ck_ml_calloc_array((int64_t)max_key + 2, sizeof *start);
    if (!group_of_key || !start) {
        free(group_of_key);
        free(start);
        return ck_fail("movielens: out of memory merging %lld rows", (long long)n);
    }
    for (int32_t k = 0; k <= max_key; k++)
        group_of_key[k] = -1;
    int32_t n_groups = 0;
    for (int64_t i = 0; i < n; i++) {
        int32_t k = key[rows[i]];
        if (k > max_key || !present[k])
            continue;
        if (group_of_key[k] < 0)
            group_of_key[k] = n_groups++;
        start[group_of_key[k] + 1]++;
    }
    for (int32_t g = 0; g < n_groups; g++)
        start[g + 1] += start[g];
    int64_t kept = start[n_groups];
    for (int64_t i = 0; i < n; i++) {
        int32_t k = key[rows[i]];
        if (k > max_key || !present[k])
            continue;
        out[start[group_of_key[k]]++] = rows[i];
    }
    free(group_of_key);
    free(start);
    return kept;
}

int ck_ml_prepare(ck_ml_tables *t, const char *format, ck_movielens *out)
{
    int rc = -1;
    int64_t *order = NULL, *order2 = NULL;
    uint8_t *user_present = NULL, *movie_present = NULL;
    int64_t *user_row = NULL, *movie_row = NULL;
    const char **genre_texts = NULL;
    int32_t *movie_genre_rows = NULL;
    ck_sequences seqs = {0};

    /* ---- ids of the tables; no id twice ---- */
    int32_t max_user = 0, max_movie = 0;
    for (int64_t i = 0; i < t->n_users; i++)
        if (t->user_id[i] > max_user)
            max_user = t->user_id[i];
    for (int64_t i = 0; i < t->n_movies; i++)
        if (t->movie_id[i] > max_movie)
            max_movie = t->movie_id[i];
    user_row = ck_ml_alloc_array((int64_t)max_user + 1, sizeof *user_row);
    movie_row = ck_ml_alloc_array((int64_t)max_movie + 1, sizeof *movie_row);
    user_present = ck_ml_calloc_array((int64_t)max_user + 1, 1);
    movie_present = ck_ml_calloc_array((int64_t)max_movie + 1, 1);
    if (!user_row || !movie_row || !user_present || !movie_present) {
        ck_fail("movielens: out of memory for the users and movies tables");
        goto done;
    }
    for (int64_t i = 0; i < t->n_users; i++) {
        int32_t id = t->user_id[i];
        if (user_present[id]) {
            ck_fail("movielens: %s line %lld: duplicate user id %d (first on line %lld)",
                    t->users_file, (long long)t->user_line[i], (int)id,
                    (long long)t->user_line[user_row[id]]);
            goto done;
        }
        user_present[id] = 1;
        user_row[id] = i;
    }
    for (int64_t i = 0; i < t->n_movies; i++) {
        int32_t id = t->movie_id[i];
        if (movie_present[id]) {
            ck_fail("movielens: %s line %lld: duplicate movie id %d (first on line %lld)",
                    t->movies_file, (long long)t->movie_line[i], (int)id,
                    (long long)t->movie_line[movie_row[id]]);
            goto done;
        }
        movie_present[id] = 1;
        movie_row[id] = i;
    }

    /* ---- genres: Tokenizer(num_words=15, split='|', lower) on the movies table ---- */
    genre_texts = ck_ml_alloc_array(t->n_movies, sizeof *genre_texts);
    if (!genre_texts) {
        ck_fail("movielens: out of memory for %lld genre strings", (long long)t->n_movies);
        goto done;
    }
    for (int64_t i = 0; i < t->n_movies; i++)
        genre_texts[i] = t->text + t->genres_at[i];
    out->genre_tokenizer = ck_tokenizer_new(CK_ML_NUM_WORDS, '|', 1);
    if (!out->genre_tokenizer || ck_tokenizer_fit(out->genre_tokenizer, genre_texts, t->n_movies) < 0 ||
        ck_tokenizer_texts_to_sequences(out->genre_tokenizer, genre_texts, t->n_movies, &seqs) < 0)
        goto done;
    movie_genre_rows = ck_pad_sequences(&seqs, CK_ML_MAXLEN, CK_PAD_POST, CK_PAD_PRE, 0);
    if (!movie_genre_rows)   /* (n_movies, maxlen), in movies-table order */
        goto done;

    /* ---- merge(ratings, users, on uid), then merge(., movies, on mid) ---- */
    int64_t n_raw = t->n_ratings;
    order = ck_ml_alloc_array(n_raw, sizeof *order);
    order2 = ck_ml_alloc_array(n_raw, sizeof *order2);
    if (!order || !order2) {
        ck_fail("movielens: out of memory for %lld rows", (long long)n_raw);
        goto done;
    }
    for (int64_t i = 0; i < n_raw; i++)
        order2[i] = i;
    int64_t n1 = grouped_inner_order(t->rating_uid, order2, n_raw, user_present, max_user, order);
    if (n1 < 0)
        goto done;
    int64_t n = grouped_inner_order(t->rating_mid, order, n1, movie_present, max_movie, order2);
    if (n < 0)
        goto done;
    if (n == 0) {
        ck_fail("movielens: no rating has both its user in %s and its movie in %s",
                t->users_file, t->movies_file);
        goto done;
    }
    free(order);   /* before the rows are allocated: keeps the loader's peak memory down */
    order = NULL;

    /* ---- the rows: order2[i] is the ratings-file row of merged row i ----
     * Laid out one column at a time, and each ratings column is freed as soon
     * as the last column that reads it is done (the 1-byte ratings last): the
     * loader's peak is then the merged rows, the order and one byte per rating,
     * not both tables in full. */
    int32_t n_uid = max_user, n_mid = max_movie;   /* merged ids are in the tables */
    out->n = n;
    out->title = ck_ml_calloc_array((int64_t)n_mid + 1, sizeof *out->title);
    out->movie_genres_text = ck_ml_calloc_array((int64_t)n_mid + 1, sizeof *out->movie_genres_text);
    out->movie_genre = ck_ml_calloc_array((int64_t)n_mid + 1, CK_ML_MAXLEN * sizeof *out->movie_genre);
    out->movie_present = ck_ml_calloc_array((int64_t)n_mid + 1, sizeof *out->movie_present);
    out->user_occupation = ck_ml_calloc_array((int64_t)n_uid + 1, sizeof *out->user_occupation);
    out->user_present = ck_ml_calloc_array((int64_t)n_uid + 1, sizeof *out->user_present);
    if (!out->title || !out->movie_genres_text || !out->movie_genre || !out->movie_present ||
        !out->user_occupation || !out->user_present)
        goto no_memory;
    if (!(out->genre = ck_ml_alloc_array(n, CK_ML_MAXLEN * sizeof *out->genre)) ||
        !(out->mid = ck_ml_alloc_array(n, sizeof *out->mid)))
        goto no_memory;
    for (int64_t i = 0; i < n; i++) {
        if (i + CK_ML_PREFETCH_AHEAD < n)
            CK_ML_PREFETCH(&t->rating_mid[order2[i + CK_ML_PREFETCH_AHEAD]]);
        int32_t m = t->rating_mid[order2[i]];
        out->mid[i] = m;
        const int32_t *genre = movie_genre_rows + movie_row[m] * CK_ML_MAXLEN;
        for (int k = 0; k < CK_ML_MAXLEN; k++)
            out->genre[i * CK_ML_MAXLEN + k] = genre[k];
    }
    free(t->rating_mid);
    t->rating_mid = NULL;

    if (!(out->occupation = ck_ml_alloc_array(n, sizeof *out->occupation)) ||
        !(out->uid = ck_ml_alloc_array(n, sizeof *out->uid)))
        goto no_memory;
    for (int64_t i = 0; i < n; i++) {
        if (i + CK_ML_PREFETCH_AHEAD < n)
            CK_ML_PREFETCH(&t->rating_uid[order2[i + CK_ML_PREFETCH_AHEAD]]);
        int32_t u = t->rating_uid[order2[i]];
        out->uid[i] = u;
        out->occupation[i] = t->user_occ[user_row[u]];
    }
    free(t->rating_uid);
    t->rating_uid = NULL;

    if (!(out->rating = ck_ml_alloc_array(n, sizeof *out->rating)))
        goto no_memory;
    for (int64_t i = 0; i < n; i++) {
        if (i + CK_ML_PREFETCH_AHEAD < n)
            CK_ML_PREFETCH(&t->rating[order2[i + CK_ML_PREFETCH_AHEAD]]);
        out->rating[i] = (float)t->rating[order2[i]];
    }
    free(t->rating);
    t->rating = NULL;

    for (int64_t i = 0; i < t->n_users; i++) {
        out->user_present[t->user_id[i]] = 1;
        out->user_occupation[t->user_id[i]] = t->user_occ[i];
    }
    /* titles point into the text array, which the dataset now owns */
    for (int64_t i = 0; i < t->n_movies; i++) {
        int32_t m = t->movie_id[i];
        out->movie_present[m] = 1;
        out->title[m] = t->text + t->title_at[i];
        out->movie_genres_text[m] = t->text + t->genres_at[i];
        memcpy(out->movie_genre + (int64_t)m * CK_ML_MAXLEN, movie_genre_rows + i * CK_ML_MAXLEN,
               CK_ML_MAXLEN * sizeof *out->movie_genre);
    }
    out->storage_ = t->text;
    t->text = NULL;
    out->n_uid = n_uid;
    out->n_mid = n_mid;
    out->n_genre = CK_ML_N_GENRE;
    out->maxlen = CK_ML_MAXLEN;
    out->n_ratings_raw = n_raw;
    out->n_users = t->n_users;
    out->n_movies = t->n_movies;
    snprintf(out->format, sizeof out->format, "%s", format);
    rc = 0;
    goto done;
no_memory:
    ck_fail("movielens: out of memory for %lld merged rows", (long long)out->n);
done:
    free(order);
    free(order2);
    free(user_present);
    free(movie_present);
    free(user_row);
    free(movie_row);
    free(genre_texts);
    free(movie_genre_rows);
    ck_sequences_free(&seqs);
    return rc;
}

void ck_movielens_free(ck_movielens *d)
{
    if (!d)
        return;
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
