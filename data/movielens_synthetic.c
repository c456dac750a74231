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

/* ------------------------------------------------------------------ the model */

/* The 18 ml-1m genres, and how many ml-1m movies carry each: the synthetic
 * movies draw their genres with these weights, so the tokenizer sees a
 * similar ranking (and the same cutoff drops the rarest ones). */
enum { SYN_GENRES = 18 };
static const char *const ML1M_GENRES[SYN_GENRES] = {
    "Action",    "Adventure", "Animation", "Children's", "Comedy",  "Crime",  "Documentary", "Drama", "Fantasy",
    "Film-Noir", "Horror",    "Musical",   "Mystery",    "Romance", "Sci-Fi", "Thriller",    "War",   "Western"};
static const double ML1M_GENRE_MOVIES[SYN_GENRES] = {503, 283, 105, 251, 1200, 211, 127, 1603, 68,
                                                     44,  343, 114, 106, 471,  276, 492, 143,  68};

enum {
    SYN_OCCUPATIONS = CK_ML1M_OCCUPATIONS, /* occupations 0..20, uniform */
    SYN_RANK = 4,                          /* the user x movie interaction: <user, movie> factors */
    SYN_MAX_GENRES_PER_MOVIE = 3,
    SYN_REDRAWS = 32,          /* popular draws of an already rated movie before probing */
    SYN_GENRES_TEXT_MAX = 256, /* "Action|Adventure|Animation" and the like */
    SYN_TITLE_MAX = 64,        /* "Synthetic Movie 1500 (1987)" */
};

/* Every number the generator draws with, in one place. A rating is
 *
 *     stars = clamp(round(score_base + user bias + movie bias
 *                         + occupation effect + mean effect of the movie's genres
 *                         + <user factors, movie factors> + noise), 1, 5)
 *
 * each term a normal draw with the scale below (fixed per user, movie,
 * occupation or genre; the noise fresh for every rating). Who rates what:
 * a user's number of ratings is proportional to a log-normal activity, a
 * movie is picked with probability proportional to a log-normal popularity.
 * Changing any value changes every dataset the seed makes. */
static const struct synthetic_model {
    float score_base;       /* rating mean about 3.57 (ml-1m: 3.58) after round, clamp */
    float occupation_scale; /* the 21 occupation effects */
    float genre_scale;      /* the 18 genre effects */
    float user_bias_scale, movie_bias_scale;
    float factor_scale; /* each of the SYN_RANK factors, users and movies alike */
    float noise_scale;
    double activity_log_scale;   /* activity = exp(this * normal) */
    double popularity_log_scale; /* popularity = exp(this * normal) */
    /* genres per movie: P(1) = 0.5, P(2) = 0.35, P(3) = 0.15, as cumulative probabilities */
    float genre_count_cumulative[SYN_MAX_GENRES_PER_MOVIE];
    int first_year, last_year; /* release years in the titles, uniform */
} MODEL = {
    .score_base = 3.85f,
    .occupation_scale = 0.15f,
    .genre_scale = 0.3f,
    .user_bias_scale = 0.4f,
    .movie_bias_scale = 0.5f,
    .factor_scale = 0.5f,
    .noise_scale = 0.7f,
    .activity_log_scale = 0.8,
    .popularity_log_scale = 1.0,
    .genre_count_cumulative = {0.5f, 0.85f, 1.0f},
    .first_year = 1920,
    .last_year = 2000,
};

/* The hidden structure the ratings are drawn from. */
typedef struct planted {
    float occupation_effect[SYN_OCCUPATIONS];
    float genre_effect[SYN_GENRES];
    float *user_bias;          /* (n_users) */
    float *user_factor;        /* (n_users, SYN_RANK) */
    double *user_activity;     /* (n_users) */
    float *movie_bias;         /* (n_movies) */
    float *movie_factor;       /* (n_movies, SYN_RANK) */
    float *movie_genre_effect; /* (n_movies) mean effect of the movie's genres */
    double *movie_popularity;  /* (n_movies) cumulative, for draw_weighted */
} planted;

static void planted_free(planted *p)
{
    free(p->user_bias);
    free(p->user_factor);
    free(p->user_activity);
    free(p->movie_bias);
    free(p->movie_factor);
    free(p->movie_genre_effect);
    free(p->movie_popularity);
}

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

/* ------------------------------------------------------------------ users, movies */

/* Users 1..n_users: an occupation, a bias, factors and an activity each. */
static int make_users(ck_rng *r, int n_users, ck_ml_tables *t, planted *p)
{
    if (ck_ml_alloc_users(t, n_users, "synthetic users") < 0) return -1;
    p->user_bias = ck_ml_alloc_array(n_users, sizeof *p->user_bias);
    p->user_factor = ck_ml_alloc_array(n_users, SYN_RANK * sizeof *p->user_factor);
    p->user_activity = ck_ml_alloc_array(n_users, sizeof *p->user_activity);
    if (!p->user_bias || !p->user_factor || !p->user_activity)
        return ck_fail("movielens_synthetic: out of memory for %d users", n_users);
    for (int u = 0; u < n_users; u++) {
        t->user_id[u] = u + 1;
        t->user_occ[u] = (float)ck_rng_below(r, SYN_OCCUPATIONS);
        t->user_line[u] = u + 1;
        p->user_bias[u] = MODEL.user_bias_scale * ck_rng_normal(r);
        for (int k = 0; k < SYN_RANK; k++) p->user_factor[u * SYN_RANK + k] = MODEL.factor_scale * ck_rng_normal(r);
        p->user_activity[u] = exp(MODEL.activity_log_scale * ck_rng_normal(r));
    }
    t->n_users = n_users;
    return 0;
}

/* has[g] = 1 for the movie's genres: 1 to 3 distinct ones, drawn with the
 * ml-1m genres' frequencies. Returns how many. */
static int draw_genres(ck_rng *r, const double *genre_cumulative, int has[SYN_GENRES])
{
    float draw = ck_rng_uniform(r);
    int n_genres = 1;
    while (n_genres < SYN_MAX_GENRES_PER_MOVIE && draw >= MODEL.genre_count_cumulative[n_genres - 1]) n_genres++;
    for (int k = 0; k < n_genres;) {
        int64_t g = draw_weighted(r, genre_cumulative, SYN_GENRES);
        if (!has[g]) {
            has[g] = 1;
            k++;
        }
    }
    return n_genres;
}

/* Movies 1..n_movies: genres, a title, a bias, factors and a popularity each. */
static int make_movies(ck_rng *r, int n_movies, ck_ml_tables *t, planted *p)
{
    if (ck_ml_alloc_movies(t, n_movies, "synthetic movies") < 0) return -1;
    p->movie_bias = ck_ml_alloc_array(n_movies, sizeof *p->movie_bias);
    p->movie_factor = ck_ml_alloc_array(n_movies, SYN_RANK * sizeof *p->movie_factor);
    p->movie_genre_effect = ck_ml_alloc_array(n_movies, sizeof *p->movie_genre_effect);
    p->movie_popularity = ck_ml_alloc_array(n_movies, sizeof *p->movie_popularity);
    if (!p->movie_bias || !p->movie_factor || !p->movie_genre_effect || !p->movie_popularity)
        return ck_fail("movielens_synthetic: out of memory for %d movies", n_movies);
    double genre_cumulative[SYN_GENRES], total = 0;
    for (int g = 0; g < SYN_GENRES; g++) genre_cumulative[g] = total += ML1M_GENRE_MOVIES[g];
    const uint32_t n_years = (uint32_t)(MODEL.last_year - MODEL.first_year + 1);
    double popularity_total = 0;
    for (int m = 0; m < n_movies; m++) {
        int has[SYN_GENRES] = {0};
        int n_genres = draw_genres(r, genre_cumulative, has);
        char genres[SYN_GENRES_TEXT_MAX], title[SYN_TITLE_MAX];
        size_t len = 0;
        float effect = 0;
        for (int g = 0; g < SYN_GENRES; g++) /* alphabetical, like movies.dat */
            if (has[g]) {
                len += (size_t)snprintf(genres + len, sizeof genres - len, "%s%s", len ? "|" : "", ML1M_GENRES[g]);
                effect += p->genre_effect[g];
            }
        int title_len = snprintf(title, sizeof title, "Synthetic Movie %d (%d)", m + 1,
                                 MODEL.first_year + (int)ck_rng_below(r, n_years));
        t->movie_id[m] = m + 1;
        t->movie_line[m] = m + 1;
        t->title_at[m] = ck_ml_text_append(t, title, (size_t)title_len);
        t->genres_at[m] = ck_ml_text_append(t, genres, len);
        p->movie_genre_effect[m] = effect / (float)n_genres;
        p->movie_bias[m] = MODEL.movie_bias_scale * ck_rng_normal(r);
        for (int k = 0; k < SYN_RANK; k++) p->movie_factor[m * SYN_RANK + k] = MODEL.factor_scale * ck_rng_normal(r);
        popularity_total += exp(MODEL.popularity_log_scale * ck_rng_normal(r));
        p->movie_popularity[m] = popularity_total;
    }
    t->n_movies = n_movies;
    return 0;
}

/* ------------------------------------------------------------------ ratings */

/* quota[u] (n_users): how many ratings user u gives, proportional to the
 * activity, at most n_movies, summing to n_ratings. */
static void assign_quotas(const double *activity, int n_users, int n_movies, int64_t n_ratings, int64_t *quota)
{
    double activity_total = 0;
    for (int u = 0; u < n_users; u++) activity_total += activity[u];
    int64_t assigned = 0;
    for (int u = 0; u < n_users; u++) {
        int64_t q = (int64_t)floor((double)n_ratings * activity[u] / activity_total);
        quota[u] = q < n_movies ? q : n_movies;
        assigned += quota[u];
    }
    while (assigned < n_ratings) /* hand out the rest one by one */
        for (int u = 0; u < n_users && assigned < n_ratings; u++)
            if (quota[u] < n_movies) {
                quota[u]++;
                assigned++;
            }
}

/* The ratings, user by user (sorted by uid, like ratings.dat); a user rates
 * a movie at most once. */
static int make_ratings(ck_rng *r, int n_users, int n_movies, int64_t n_ratings, const planted *p, ck_ml_tables *t)
{
    int64_t *quota = ck_ml_calloc_array(n_users, sizeof *quota);
    int32_t *taken_by = ck_ml_calloc_array(n_movies, sizeof *taken_by); /* last rater, 1-based */
    t->rating_uid = ck_ml_alloc_array(n_ratings, sizeof *t->rating_uid);
    t->rating_mid = ck_ml_alloc_array(n_ratings, sizeof *t->rating_mid);
    t->rating = ck_ml_alloc_array(n_ratings, sizeof *t->rating);
    if (!quota || !t->rating_uid || !t->rating_mid || !t->rating || !taken_by) {
        free(quota);
        free(taken_by);
        return ck_fail("movielens_synthetic: out of memory for %lld ratings", (long long)n_ratings);
    }
    assign_quotas(p->user_activity, n_users, n_movies, n_ratings, quota);
    int64_t n = 0;
    for (int u = 0; u < n_users; u++) {
        for (int64_t j = 0; j < quota[u]; j++) {
            /* a popular movie this user has not rated yet: redraw a few
             * times, then take the next free one */
            int64_t m = draw_weighted(r, p->movie_popularity, n_movies);
            for (int attempt = 0; taken_by[m] == u + 1 && attempt < SYN_REDRAWS; attempt++)
                m = draw_weighted(r, p->movie_popularity, n_movies);
            while (taken_by[m] == u + 1) m = (m + 1) % n_movies;
            taken_by[m] = u + 1;

            float score = MODEL.score_base + p->user_bias[u] + p->movie_bias[m] +
                          p->occupation_effect[(int)t->user_occ[u]] + p->movie_genre_effect[m];
            for (int k = 0; k < SYN_RANK; k++)
                score += p->user_factor[u * SYN_RANK + k] * p->movie_factor[m * SYN_RANK + k];
            score += MODEL.noise_scale * ck_rng_normal(r);
            long stars = lroundf(score);
            t->rating_uid[n] = u + 1;
            t->rating_mid[n] = (int32_t)m + 1;
            t->rating[n] = (uint8_t)(stars < CK_ML_MIN_STARS   ? CK_ML_MIN_STARS
                                     : stars > CK_ML_MAX_STARS ? CK_ML_MAX_STARS
                                                               : stars);
            n++;
        }
    }
    t->n_ratings = n;
    free(quota);
    free(taken_by);
    return 0;
}

/* ------------------------------------------------------------------ the dataset */

int ck_movielens_synthetic(uint64_t seed, int n_users, int n_movies, int64_t n_ratings, ck_movielens *out)
{
    if (!out) return ck_fail("movielens_synthetic: output is NULL");
    memset(out, 0, sizeof *out);
    if (n_users < 1 || n_users > CK_ML_MAX_ID || n_movies < 1 || n_movies > CK_ML_MAX_ID)
        return ck_fail("movielens_synthetic: n_users = %d and n_movies = %d must be in 1..%d", n_users, n_movies,
                       CK_ML_MAX_ID);
    int64_t pairs = (int64_t)n_users * n_movies;
    if (n_ratings < 1 || n_ratings > pairs || n_ratings > INT32_MAX)
        return ck_fail("movielens_synthetic: n_ratings = %lld must be in 1..min(n_users * "
                       "n_movies, 2^31 - 1) = %lld",
                       (long long)n_ratings, (long long)(pairs < INT32_MAX ? pairs : INT32_MAX));

    ck_rng r;
    ck_rng_seed(&r, seed);
    ck_ml_tables t = {0};
    t.users_file = "synthetic users";
    t.movies_file = "synthetic movies";
    planted p = {0};
    /* the draws' order is the dataset: effects, users, movies, then ratings */
    for (int i = 0; i < SYN_OCCUPATIONS; i++) p.occupation_effect[i] = MODEL.occupation_scale * ck_rng_normal(&r);
    for (int i = 0; i < SYN_GENRES; i++) p.genre_effect[i] = MODEL.genre_scale * ck_rng_normal(&r);
    int rc = -1;
    if (make_users(&r, n_users, &t, &p) == 0 && make_movies(&r, n_movies, &t, &p) == 0 &&
        make_ratings(&r, n_users, n_movies, n_ratings, &p, &t) == 0)
        rc = ck_ml_prepare(&t, "synthetic", out);
    ck_ml_tables_free(&t);
    planted_free(&p);
    if (rc < 0) ck_movielens_free(out);
    return rc;
}
