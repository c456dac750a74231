/* movielens_synthetic.c - ck_movielens_synthetic: a MovieLens-like dataset
 * made in memory with the ml-1m schema and planted, learnable structure. It
 * fills the same raw tables as the file readers and goes through the same
 * ck_ml_prepare, so the model cannot tell it from real data by its shape. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_error.h"
#include "ck_movielens_internal.h"
#include "ck_rng.h"

/* ------------------------------------------------------------------ synthetic */

/* The 18 ml-1m genres, and how many ml-1m movies carry each: the synthetic
 * movies draw their genres with these weights, so the tokenizer sees a
 * similar ranking (and the same cutoff drops the rarest ones). */
static const char *const ML1M_GENRES[18] = {
    "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical",
    "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western"};
static const double ML1M_GENRE_MOVIES[18] = {503, 283, 105, 251, 1200, 211, 127, 1603, 68,
                                             44,  343, 114, 106, 471, 276,  492, 143, 68};

#define SYN_RANK 4

/* Index i with probability proportional to weight[i] (cumulative weights). */
static int64_t draw_weighted(ck_rng *r, const double *cumulative, int64_t n)
{
    double x = (double)ck_rng_uniform(r) * cumulative[n - 1];
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (cumulative[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

int ck_movielens_synthetic(uint64_t seed, int n_users, int n_movies, int64_t n_ratings,
                           ck_movielens *out)
{
    if (!out)
        return ck_fail("movielens_synthetic: output is NULL");
    memset(out, 0, sizeof *out);
    if (n_users < 1 || n_users > CK_ML_MAX_ID || n_movies < 1 || n_movies > CK_ML_MAX_ID)
        return ck_fail("movielens_synthetic: n_users = %d and n_movies = %d must be in 1..%d",
                       n_users, n_movies, CK_ML_MAX_ID);
    if (n_ratings < 1 || n_ratings > (int64_t)n_users * n_movies || n_ratings > INT32_MAX)
        return ck_fail("movielens_synthetic: n_ratings = %lld must be in 1..min(n_users * "
                       "n_movies, 2^31 - 1) = %lld",
                       (long long)n_ratings,
                       (long long)((int64_t)n_users * n_movies < INT32_MAX
                                       ? (int64_t)n_users * n_movies : INT32_MAX));

    ck_rng r;
    ck_rng_seed(&r, seed);
    ck_ml_tables t = {0};
    t.users_file = "synthetic users";
    t.movies_file = "synthetic movies";
    int rc = -1;
    float *user_bias = NULL, *user_factor = NULL, *movie_bias = NULL, *movie_factor = NULL;
    float *movie_genre_effect = NULL;
    double *user_weight = NULL, *movie_cumulative = NULL;
    int64_t *quota = NULL;
    int32_t *taken_by = NULL;

    /* planted effects: occupation and genre */
    float occupation_effect[21], genre_effect[18];
    for (int i = 0; i < 21; i++)
        occupation_effect[i] = 0.15f * ck_rng_normal(&r);
    for (int i = 0; i < 18; i++)
        genre_effect[i] = 0.3f * ck_rng_normal(&r);

    /* ---- users ---- */
    if (ck_ml_alloc_users(&t, n_users, "synthetic users") < 0)
        goto done;
    user_bias = ck_ml_alloc_array(n_users, sizeof *user_bias);
    user_factor = ck_ml_alloc_array(n_users, SYN_RANK * sizeof *user_factor);
    user_weight = ck_ml_alloc_array(n_users, sizeof *user_weight);
    if (!user_bias || !user_factor || !user_weight) {
        ck_fail("movielens_synthetic: out of memory for %d users", n_users);
        goto done;
    }
    for (int u = 0; u < n_users; u++) {
        t.user_id[u] = u + 1;
        t.user_occ[u] = (float)ck_rng_below(&r, 21);
        t.user_line[u] = u + 1;
        user_bias[u] = 0.4f * ck_rng_normal(&r);
        for (int k = 0; k < SYN_RANK; k++)
            user_factor[u * SYN_RANK + k] = 0.5f * ck_rng_normal(&r);
        user_weight[u] = exp(0.8 * ck_rng_normal(&r));   /* log-normal activity */
    }
    t.n_users = n_users;

    /* ---- movies: 1-3 distinct genres, a title, a bias, factors, popularity ---- */
    if (ck_ml_alloc_movies(&t, n_movies, "synthetic movies") < 0)
        goto done;
    movie_bias = ck_ml_alloc_array(n_movies, sizeof *movie_bias);
    movie_factor = ck_ml_alloc_array(n_movies, SYN_RANK * sizeof *movie_factor);
    movie_genre_effect = ck_ml_alloc_array(n_movies, sizeof *movie_genre_effect);
    movie_cumulative = ck_ml_alloc_array(n_movies, sizeof *movie_cumulative);
    if (!movie_bias || !movie_factor || !movie_genre_effect || !movie_cumulative) {
        ck_fail("movielens_synthetic: out of memory for %d movies", n_movies);
        goto done;
    }
    double genre_cumulative[18], total = 0;
    for (int g = 0; g < 18; g++)
        genre_cumulative[g] = total += ML1M_GENRE_MOVIES[g];
    double popularity_total = 0;
    for (int m = 0; m < n_movies; m++) {
        float draw = ck_rng_uniform(&r);
        int n_genres = draw < 0.5f ? 1 : draw < 0.85f ? 2 : 3;
        int has[18] = {0};
        for (int k = 0; k < n_genres;) {
            int64_t g = draw_weighted(&r, genre_cumulative, 18);
            if (!has[g]) {
                has[g] = 1;
                k++;
            }
        }
        char genres[256], title[64];
        size_t len = 0;
        float effect = 0;
        for (int g = 0; g < 18; g++)     /* alphabetical, like movies.dat */
            if (has[g]) {
                len += (size_t)snprintf(genres + len, sizeof genres - len, "%s%s",
                                        len ? "|" : "", ML1M_GENRES[g]);
                effect += genre_effect[g];
            }
        int title_len = snprintf(title, sizeof title, "Synthetic Movie %d (%d)", m + 1,
                                 1920 + (int)ck_rng_below(&r, 81));
        t.movie_id[m] = m + 1;
        t.movie_line[m] = m + 1;
        t.title_at[m] = ck_ml_text_append(&t, title, (size_t)title_len);
        t.genres_at[m] = ck_ml_text_append(&t, genres, len);
        movie_genre_effect[m] = effect / (float)n_genres;
        movie_bias[m] = 0.5f * ck_rng_normal(&r);
        for (int k = 0; k < SYN_RANK; k++)
            movie_factor[m * SYN_RANK + k] = 0.5f * ck_rng_normal(&r);
        popularity_total += exp(1.0 * ck_rng_normal(&r));
        movie_cumulative[m] = popularity_total;
    }
    t.n_movies = n_movies;

    /* ---- how many ratings each user gives: proportional to activity,
     * at most n_movies, summing to n_ratings ---- */
    quota = ck_ml_calloc_array(n_users, sizeof *quota);
    t.rating_uid = ck_ml_alloc_array(n_ratings, sizeof *t.rating_uid);
    t.rating_mid = ck_ml_alloc_array(n_ratings, sizeof *t.rating_mid);
    t.rating = ck_ml_alloc_array(n_ratings, sizeof *t.rating);
    taken_by = ck_ml_calloc_array((int64_t)n_movies, sizeof *taken_by);
    if (!quota || !t.rating_uid || !t.rating_mid || !t.rating || !taken_by) {
        ck_fail("movielens_synthetic: out of memory for %lld ratings", (long long)n_ratings);
        goto done;
    }
    double weight_total = 0;
    for (int u = 0; u < n_users; u++)
        weight_total += user_weight[u];
    int64_t assigned = 0;
    for (int u = 0; u < n_users; u++) {
        int64_t q = (int64_t)floor((double)n_ratings * user_weight[u] / weight_total);
        quota[u] = q < n_movies ? q : n_movies;
        assigned += quota[u];
    }
    while (assigned < n_ratings)      /* hand out the rest one by one */
        for (int u = 0; u < n_users && assigned < n_ratings; u++)
            if (quota[u] < n_movies) {
                quota[u]++;
                assigned++;
            }

    /* ---- the ratings, user by user (sorted by uid, like ratings.dat) ---- */
    int64_t n = 0;
    for (int u = 0; u < n_users; u++) {
        for (int64_t j = 0; j < quota[u]; j++) {
            /* a popular movie this user has not rated yet: redraw a few
             * times, then take the next free one */
            int64_t m = draw_weighted(&r, movie_cumulative, n_movies);
            for (int attempt = 0; taken_by[m] == u + 1 && attempt < 32; attempt++)
                m = draw_weighted(&r, movie_cumulative, n_movies);
            while (taken_by[m] == u + 1)
                m = (m + 1) % n_movies;
            taken_by[m] = u + 1;

            float score = 3.85f + user_bias[u] + movie_bias[m] +
                          occupation_effect[(int)t.user_occ[u]] + movie_genre_effect[m];
            for (int k = 0; k < SYN_RANK; k++)
                score += user_factor[u * SYN_RANK + k] * movie_factor[m * SYN_RANK + k];
            score += 0.7f * ck_rng_normal(&r);
            long stars = lroundf(score);
            t.rating_uid[n] = u + 1;
            t.rating_mid[n] = (int32_t)m + 1;
            t.rating[n] = (uint8_t)(stars < 1 ? 1 : stars > 5 ? 5 : stars);
            n++;
        }
    }
    t.n_ratings = n;
    rc = ck_ml_prepare(&t, "synthetic", out);
done:
    ck_ml_tables_free(&t);
    free(user_bias);
    free(user_factor);
    free(user_weight);
    free(movie_bias);
    free(movie_factor);
    free(movie_genre_effect);
    free(movie_cumulative);
    free(quota);
    free(taken_by);
    if (rc < 0)
        ck_movielens_free(out);
    return rc;
}
