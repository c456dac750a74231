/* ck_movielens_internal.h - what the MovieLens files of data/ share
 * (internal: not installed).
 *
 * Every source of ratings fills the same raw tables (ck_ml_tables): the
 * ml-1m reader (movielens_1m.c), the ml-100k reader (movielens_100k.c) and
 * the generator (movielens_synthetic.c). One function, ck_ml_prepare
 * (movielens_prepare.c), then does what the notebook does with pandas and
 * Keras: tokenize the genres, merge, and lay out the rows. The split and
 * gather (movielens_split.c) work on the prepared rows. */
#ifndef CK_MOVIELENS_INTERNAL_H
#define CK_MOVIELENS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ck_movielens.h"

/* Rows are read in a random order in a few places (the merge's final
 * layout, the split, gather); asking for a row some iterations ahead hides
 * most of the memory latency. */
#if defined(__GNUC__)
#define CK_ML_PREFETCH(p) __builtin_prefetch(p)
#else
#define CK_ML_PREFETCH(p) ((void)0)
#endif
#define CK_ML_PREFETCH_AHEAD 16

#define CK_ML_MIN_STARS 1 /* ratings are whole stars 1..5 */
#define CK_ML_MAX_STARS 5
#define CK_ML1M_OCCUPATIONS 21 /* ml-1m users.dat occupations are 0..20 */

/* The three tables as read from the files, before the merge. Text (titles
 * and genre strings) lives in one growing byte array; rows refer to it by
 * offset because the array moves as it grows. */
typedef struct ck_ml_tables {
    int64_t n_ratings;
    int32_t *rating_uid, *rating_mid; /* (n_ratings) */
    uint8_t *rating;                  /* (n_ratings) 1..5 */

    int64_t n_users;
    int32_t *user_id;   /* (n_users) in file order */
    float *user_occ;    /* (n_users) */
    int64_t *user_line; /* (n_users) line in the file, for messages */

    int64_t n_movies;
    int32_t *movie_id;            /* (n_movies) in file order */
    int64_t *movie_line;          /* (n_movies) */
    size_t *title_at, *genres_at; /* (n_movies) offsets into text */
    char *text;                   /* stb_ds array of NUL-terminated strings */

    const char *users_file, *movies_file; /* names for messages */
} ck_ml_tables;

void ck_ml_tables_free(ck_ml_tables *t);

/* malloc / calloc of n elements of size bytes with the product checked
 * (NULL when it overflows); n may be 0. */
void *ck_ml_alloc_array(int64_t n, size_t size);
void *ck_ml_calloc_array(int64_t n, size_t size);

/* Room for at most cap users / movies; `source` names the file in the
 * out-of-memory message. */
int ck_ml_alloc_users(ck_ml_tables *t, int64_t cap, const char *source);
int ck_ml_alloc_movies(ck_ml_tables *t, int64_t cap, const char *source);

/* Append s[0..len) and a NUL to t->text; returns its offset. The latin-1
 * variant writes bytes >= 0x80 as UTF-8 (two bytes each). */
size_t ck_ml_text_append(ck_ml_tables *t, const char *s, size_t len);
size_t ck_ml_text_append_latin1(ck_ml_tables *t, const char *s, size_t len);

/* Tokenize, merge and lay out: everything the notebook does after reading
 * the three tables, into out (zeroed by the caller). format: "ml-1m",
 * "ml-100k" or "synthetic". Takes t->text and frees the ratings columns. */
int ck_ml_prepare(ck_ml_tables *t, const char *format, ck_movielens *out);

/* ---- the readers (movielens_load.c, movielens_1m.c, movielens_100k.c) ---- */

/* The ratings file of either format, uid SEP mid SEP rating SEP timestamp
 * (sep "::" for ml-1m ratings.dat, "\t" for ml-100k u.data). */
struct ck_ml_file;
int ck_ml_parse_ratings(const struct ck_ml_file *f, const char *sep, ck_ml_tables *t);

/* Read the directory's files into t, then ck_ml_prepare into out. */
int ck_ml_load_1m(const char *dir, ck_ml_tables *t, ck_movielens *out);
int ck_ml_load_100k(const char *dir, ck_ml_tables *t, ck_movielens *out);

#endif
