/* ck_movielens.h - the FM notebook's data pipeline: MovieLens loaders, the
 * merge, the train/validation split and a synthetic MovieLens-like dataset.
 *
 *     ck_movielens d;
 *     if (ck_movielens_load("data/ml-1m", &d) < 0)        // or ck_movielens_synthetic
 *         fprintf(stderr, "%s\n", ck_error());
 *     ck_movielens_batch train, val;                   // sklearn's rows, as views
 *     ck_movielens_split_rows(&d, 0.2, 7, &train, &val);   // into d (no copy)
 *     ck_fit(model, train.x, CK_ML_N_INPUTS, &train.y, CK_FIT_ARGS(
 *         .val_x = val.x, .val_y = &val.y, ...));
 *
 * What the notebook does, reproduced row for row (checked against
 * the PyTorch replica torch_fm.py: its prepare() on ml-100k and on a
 * synthetic ml-1m gives the same arrays):
 *  - genres: Tokenizer(num_words=15, split='|', lower=True, filters='') fit on
 *    the movies table's genre strings in file order, texts_to_sequences,
 *    pad_sequences(maxlen=3, padding='post') (truncating 'pre': the LAST 3);
 *  - rows = merge(merge(ratings, users, on uid), movies, on mid), both inner
 *    joins, in pandas (< 2.2) order: the rows of each key together, keys in
 *    order of first appearance, rows of one key in their previous order;
 *  - inputs: occupation as a raw number (float), uid, mid, the 3 genre ids;
 *    target: the rating;
 *  - n_uid = max user id (ratings and users table), n_mid = max movie id
 *    (ratings and movies table); embeddings get n_uid + 1 / n_mid + 1 rows;
 *  - split: sklearn train_test_split(test_size, random_state=seed).
 *
 * Formats (detected from the directory):
 *  - ml-1m:   ratings.dat  uid::mid::rating::timestamp
 *             users.dat    uid::gender::age::occupation(0..20)::zip
 *             movies.dat   mid::title::Genre1|Genre2   (titles in latin-1)
 *  - ml-100k: u.data       uid<TAB>mid<TAB>rating<TAB>timestamp
 *             u.user       uid|age|gender|occupation name|zip
 *             u.occupation one occupation name per line (its 0-based line
 *                          number is the numeric occupation)
 *             u.genre      name|index   (index 0..G-1)
 *             u.item       mid|title|date|video date|url|G flags 0/1
 *                          (genre text: the flagged names in u.genre order)
 * Rules: ids are integers in 1..10,000,000; ratings integers in 1..5; a user
 * or movie id appears at most once in its table; blank lines are skipped;
 * CRLF line ends and a missing final newline are accepted. Any other
 * deviation fails with a message naming the file, the line and the field,
 * e.g. "movielens: data/ratings.dat line 12: field 3 (rating) '7' is not in 1..5". */
#ifndef CK_MOVIELENS_H
#define CK_MOVIELENS_H

#include <stdint.h>

#include "ck_tensor.h"
#include "ck_text.h"

#define CK_ML_MAX_ID 10000000 /* larger ids are rejected (they size arrays) */
#define CK_ML_NUM_WORDS 15    /* Tokenizer(num_words=15) */
#define CK_ML_MAXLEN 3        /* pad_sequences(maxlen=3) */
#define CK_ML_N_GENRE 14      /* notebook: n_genre = 14 (ids 1..14, 0 = padding) */

/* The size of the examples' generated dataset when no --data is given
 * (ml-1m: 6,040 users, 3,706 rated movies, 1,000,209 ratings). */
#define CK_ML_SYNTH_DEFAULT_USERS 2000
#define CK_ML_SYNTH_DEFAULT_MOVIES 1500
#define CK_ML_SYNTH_DEFAULT_RATINGS 200000

typedef struct ck_movielens {
    /* merged rows, in the notebook's order */
    int64_t n;
    float *occupation; /* (n) the user's occupation, as a number */
    int32_t *uid;      /* (n) */
    int32_t *mid;      /* (n) */
    int32_t *genre;    /* (n, maxlen) padded genre ids */
    float *rating;     /* (n) 1..5 */

    int n_uid, n_mid; /* largest user / movie id */
    int n_genre;      /* CK_ML_N_GENRE */
    int maxlen;       /* CK_ML_MAXLEN */

    /* per movie, indexed by movie id 0..n_mid (for recommendations) */
    char **title;             /* (n_mid + 1) UTF-8 title, NULL when absent */
    int32_t *movie_genre;     /* (n_mid + 1, maxlen) padded genre ids, 0 when absent */
    char **movie_genres_text; /* (n_mid + 1) genre string as in the file ("Comedy|Drama"), NULL when absent */
    int *movie_present;       /* (n_mid + 1) 1 if the movie is in the movies table */
    /* per user, indexed by user id 0..n_uid */
    float *user_occupation; /* (n_uid + 1) 0 when absent */
    int *user_present;      /* (n_uid + 1) 1 if the user is in the users table */

    int64_t n_ratings_raw;         /* rows of the ratings file before the merge */
    int64_t n_users, n_movies;     /* rows of the users / movies tables */
    ck_tokenizer *genre_tokenizer; /* the fitted tokenizer: word_index for reports */
    char format[12];               /* "ml-1m", "ml-100k" or "synthetic" */

    void *storage_; /* private: title bytes */
} ck_movielens;

/* Load the MovieLens directory `dir` (ml-1m or ml-100k, detected by
 * ratings.dat / u.data) and prepare the notebook's rows. On error returns -1,
 * sets the message and leaves *out empty (safe to ck_movielens_free). */
int ck_movielens_load(const char *dir, ck_movielens *out);

/* A synthetic MovieLens-like dataset made in memory, deterministic in seed
 * (ck_rng), with the ml-1m schema: users with occupations 0..20, movies with
 * 1-3 of the 18 ml-1m genres and titles "Synthetic Movie 12 (1987)", integer
 * ratings 1..5 with learnable structure (user and movie biases, occupation
 * and genre effects, a rank-4 user x movie interaction, noise). Each user
 * rates a movie at most once. It then goes through the same tokenizer and
 * merge as real data. Sizes: n_users >= 1, n_movies >= 1,
 * 1 <= n_ratings <= min(n_users * n_movies, 2^31 - 1); rating mean about
 * 3.57 (ml-1m: 3.58). The examples use (seed, CK_ML_SYNTH_DEFAULT_USERS,
 * CK_ML_SYNTH_DEFAULT_MOVIES, CK_ML_SYNTH_DEFAULT_RATINGS). */
int ck_movielens_synthetic(uint64_t seed, int n_users, int n_movies, int64_t n_ratings, ck_movielens *out);

void ck_movielens_free(ck_movielens *d);

/* sklearn train_test_split(test_size=val_fraction, random_state=seed) on n
 * rows (ck_train_test_split_indices, ck_split.h): p = numpy
 * RandomState(seed).permutation(n); the validation rows are
 * p[0 .. ceil(val_fraction * n)), the training rows the rest of p, in that
 * order. val_fraction in [0, 1) (0, which sklearn refuses: no validation
 * rows, the training rows are all of p); at least one training row must
 * remain. *train_idx and *val_idx are heap arrays (free()). */
int ck_movielens_split(int64_t n, double val_fraction, uint32_t seed, int64_t **train_idx, int64_t *n_train,
                       int64_t **val_idx, int64_t *n_val);

/* The model's inputs, in the notebook's order. */
enum { CK_ML_OCCUPATION = 0, CK_ML_UID = 1, CK_ML_MID = 2, CK_ML_GENRE = 3, CK_ML_N_INPUTS = 4 };

/* Rows for fit/evaluate: x and y are views on memory owned by the batch
 * (ck_movielens_gather; free with ck_movielens_batch_free) or by the dataset
 * (ck_movielens_split_rows). */
typedef struct ck_movielens_batch {
    int64_t n;
    ck_tensor x[CK_ML_N_INPUTS]; /* occupation (n, 1) F32, uid (n, 1) I32,
                                     mid (n, 1) I32, genre (n, maxlen) I32 */
    ck_tensor y;                 /* rating (n, 1) F32 */
    void *storage_;              /* private */
} ck_movielens_batch;

/* The same split as ck_movielens_split + ck_movielens_gather, without a copy:
 * reorders d's rows in place so that they are the training rows (in the
 * order ck_movielens_split gives them) followed by the validation rows (in
 * theirs), and returns *train and *val as views into d's arrays: they are
 * valid while d is and must not outlive it (ck_movielens_batch_free on them
 * is allowed and frees nothing). Afterwards d's rows are no longer in the
 * notebook's merge order. Extra memory while it runs: 12 bytes per row.
 * On error d is unchanged and both batches are empty. */
int ck_movielens_split_rows(ck_movielens *d, double val_fraction, uint32_t seed, ck_movielens_batch *train,
                            ck_movielens_batch *val);

/* out: the rows d[idx[0]], ..., d[idx[n-1]]. Every index must be in [0, d->n). */
int ck_movielens_gather(const ck_movielens *d, const int64_t *idx, int64_t n, ck_movielens_batch *out);
void ck_movielens_batch_free(ck_movielens_batch *b);

#endif
