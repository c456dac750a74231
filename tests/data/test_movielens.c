/* MovieLens loaders, merge order, gather, the synthetic dataset, and the
 * message of every kind of malformed input. Each test writes its own tiny
 * dataset into a fresh temporary directory; expected rows are worked out by
 * hand in the comments. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_error.h"
#include "ck_movielens.h"
#include "ck_test_dir.h"

/* ---- a temporary directory per test ---- */

static char dir[64];

static void make_dir(void) { ck_test_dir_make(dir, sizeof dir, NULL, "ck_movielens"); }

static void remove_dir(void) { ck_test_dir_remove(dir); }

TestSuite(ml1m, .init = make_dir, .fini = remove_dir);
TestSuite(ml100k, .init = make_dir, .fini = remove_dir);
TestSuite(malformed, .init = make_dir, .fini = remove_dir);
TestSuite(synthetic);

static void write_bytes(const char *name, const char *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void write_text(const char *name, const char *text) { write_bytes(name, text, strlen(text)); }

/* ---- ml-1m ---- */

/* 7 ratings; user 2 and movie 40 are missing from the tables. CRLF on some
 * lines, a blank line, and no final newline. */
#define ML1M_RATINGS                           \
    "3::20::4::978300760\r\n" /* r0 */         \
    "1::10::5::978300761\n"   /* r1 */         \
    "2::30::3::978300762\r\n" /* r2 no user */ \
    "\n"                                       \
    "3::10::2::978300763\n" /* r3 */           \
    "1::40::1::978300764\n" /* r4 no movie */  \
    "4::20::5::978300765\n" /* r5 */           \
    "1::20::3::978300766"   /* r6 */
#define ML1M_USERS "1::F::1::10::48067\n3::M::25::7::55117\r\n4::M::45::0::02460\n"
/* genre counts: drama 3, comedy 1, action 1, crime 1, thriller 1 ->
 * drama 1, comedy 2, action 3, crime 4, thriller 5 (ties in first-seen order).
 * movie 10: [2 1 0]; movie 20: action crime thriller drama -> last 3 [4 5 1];
 * movie 30: [1 0 0]. The title of 10 has a latin-1 e-acute (0xe9). */
#define ML1M_MOVIES                                  \
    "10::Caf\xe9 Society (1995)::Comedy|Drama\n"     \
    "20::Heat (1995)::Action|Crime|Thriller|Drama\n" \
    "30::Nobody (2000)::Drama\n"

static void write_ml1m(void)
{
    write_text("ratings.dat", ML1M_RATINGS);
    write_text("users.dat", ML1M_USERS);
    write_text("movies.dat", ML1M_MOVIES);
}

Test(ml1m, merge_order_and_values)
{
    write_ml1m();
    ck_movielens d;
    int rc = ck_movielens_load(dir, &d);
    cr_assert_eq(rc, 0, "%s", ck_error());
    /* merge on uid: groups u3 [r0 r3], u1 [r1 r4 r6], u4 [r5] (r2 dropped)
     * merge on mid: groups m20 [r0 r6 r5], m10 [r3 r1] (r4 dropped) */
    const int32_t uid[] = {3, 1, 4, 3, 1}, mid[] = {20, 20, 20, 10, 10};
    const float rating[] = {4, 3, 5, 2, 5}, occ[] = {7, 10, 0, 7, 10};
    const int32_t genre[] = {4, 5, 1, 4, 5, 1, 4, 5, 1, 2, 1, 0, 2, 1, 0};
    cr_assert_eq(d.n, 5);
    for (int i = 0; i < 5; i++) {
        cr_expect_eq(d.uid[i], uid[i], "row %d uid", i);
        cr_expect_eq(d.mid[i], mid[i], "row %d mid", i);
        cr_expect_eq(d.rating[i], rating[i], "row %d rating", i);
        cr_expect_eq(d.occupation[i], occ[i], "row %d occupation", i);
    }
    for (int i = 0; i < 15; i++) cr_expect_eq(d.genre[i], genre[i], "genre cell %d", i);
    cr_expect_eq(d.n_uid, 4);
    cr_expect_eq(d.n_mid, 30);
    cr_expect_eq(d.n_genre, 14);
    cr_expect_eq(d.maxlen, 3);
    cr_expect_eq(d.n_ratings_raw, 7);
    cr_expect_eq(d.n_users, 3);
    cr_expect_eq(d.n_movies, 3);
    cr_expect_str_eq(d.format, "ml-1m");
    cr_expect_eq(ck_tokenizer_index(d.genre_tokenizer, "drama"), 1);
    cr_expect_eq(ck_tokenizer_index(d.genre_tokenizer, "thriller"), 5);

    /* per-movie and per-user tables */
    cr_expect_str_eq(d.title[10], "Caf\xc3\xa9 Society (1995)"); /* UTF-8 */
    cr_expect_str_eq(d.title[30], "Nobody (2000)");
    cr_expect_null(d.title[11]);
    cr_expect_str_eq(d.movie_genres_text[20], "Action|Crime|Thriller|Drama");
    cr_expect(d.movie_present[30] && !d.movie_present[29] && !d.movie_present[0]);
    cr_expect_eq(d.movie_genre[30 * 3 + 0], 1);
    cr_expect_eq(d.movie_genre[30 * 3 + 1], 0);
    cr_expect_eq(d.movie_genre[10 * 3 + 0], 2);
    cr_expect(d.user_present[1] && !d.user_present[2] && d.user_present[4]);
    cr_expect_eq(d.user_occupation[3], 7);
    ck_movielens_free(&d);
    cr_expect_null(d.uid);
}

Test(ml1m, gather_rows_into_tensors)
{
    write_ml1m();
    ck_movielens d;
    cr_assert_eq(ck_movielens_load(dir, &d), 0, "%s", ck_error());
    ck_movielens_batch b;
    cr_assert_eq(ck_movielens_gather(&d, (int64_t[]){4, 0}, 2, &b), 0);
    cr_expect_eq(b.n, 2);
    cr_expect_eq(b.x[CK_ML_OCCUPATION].dtype, CK_F32);
    cr_expect_eq(b.x[CK_ML_GENRE].dtype, CK_I32);
    cr_expect_eq(b.x[CK_ML_GENRE].shape.ndim, 2);
    cr_expect_eq(b.x[CK_ML_GENRE].shape.d[0], 2);
    cr_expect_eq(b.x[CK_ML_GENRE].shape.d[1], 3);
    cr_expect_eq(b.x[CK_ML_UID].shape.d[1], 1);
    cr_expect_eq(b.y.size, 2);
    /* row 4 = (u1, m10, 5, occ 10, [2 1 0]); row 0 = (u3, m20, 4, occ 7, [4 5 1]) */
    cr_expect_eq(b.x[CK_ML_UID].i[0], 1);
    cr_expect_eq(b.x[CK_ML_UID].i[1], 3);
    cr_expect_eq(b.x[CK_ML_MID].i[0], 10);
    cr_expect_eq(b.x[CK_ML_MID].i[1], 20);
    cr_expect_eq(b.x[CK_ML_OCCUPATION].f[0], 10.0f);
    cr_expect_eq(b.x[CK_ML_OCCUPATION].f[1], 7.0f);
    const int32_t g[] = {2, 1, 0, 4, 5, 1};
    for (int i = 0; i < 6; i++) cr_expect_eq(b.x[CK_ML_GENRE].i[i], g[i]);
    cr_expect_eq(b.y.f[0], 5.0f);
    cr_expect_eq(b.y.f[1], 4.0f);
    ck_movielens_batch_free(&b);

    cr_expect_eq(ck_movielens_gather(&d, (int64_t[]){0, 5}, 2, &b), -1);
    cr_expect_str_eq(ck_error(), "movielens_gather: index 5 at position 1 is not in [0, 5)");
    ck_error_clear();
    ck_movielens_free(&d);
}

Test(ml1m, long_title_is_kept_whole)
{
    size_t len = 200000;
    char *movies = malloc(len + 64);
    int o = sprintf(movies, "10::");
    memset(movies + o, 'T', len);
    strcpy(movies + o + len, "::Drama\n");
    write_text("ratings.dat", "1::10::3::0\n");
    write_text("users.dat", "1::F::1::10::48067\n");
    write_text("movies.dat", movies);
    ck_movielens d;
    cr_assert_eq(ck_movielens_load(dir, &d), 0, "%s", ck_error());
    cr_expect_eq(strlen(d.title[10]), len);
    ck_movielens_free(&d);
    free(movies);
}

/* pandas' (< 2.2) inner-merge order, the slow obvious way: for each key in
 * order of first appearance, the rows with that key in their order. */
static int reference_merge(const int *key, const int *rows, int n, const char *present, int *out)
{
    int kept = 0;
    char *done = calloc(1000, 1);
    for (int i = 0; i < n; i++) {
        int k = key[rows[i]];
        if (!present[k] || done[k]) continue;
        done[k] = 1;
        for (int j = i; j < n; j++)
            if (key[rows[j]] == k) out[kept++] = rows[j];
    }
    free(done);
    return kept;
}

Test(ml1m, merge_order_matches_reference_loop)
{
    enum { N = 3000 };
    static int uid[N], mid[N], stars[N], rows[N], once[N], twice[N];
    char user_present[1000] = {0}, movie_present[1000] = {0};
    unsigned state = 12345; /* a small LCG, so the data are the same every run */
#define NEXT(m) ((state = state * 1103515245u + 12345u) >> 16) % (m)
    char *ratings = malloc(N * 32), *p = ratings;
    for (int i = 0; i < N; i++) {
        uid[i] = 1 + (int)NEXT(60);
        mid[i] = 1 + (int)NEXT(80);
        stars[i] = 1 + (int)NEXT(5);
        p += sprintf(p, "%d::%d::%d::97830%04d\n", uid[i], mid[i], stars[i], i);
    }
    char users[4096] = "", movies[8192] = "";
    for (int u = 60; u >= 1; u--) /* every 7th user is missing; file order reversed */
        if (u % 7) {
            user_present[u] = 1;
            sprintf(users + strlen(users), "%d::M::25::%d::00000\n", u, u % 21);
        }
    for (int m = 1; m <= 80; m++)
        if (m % 9) {
            movie_present[m] = 1;
            sprintf(movies + strlen(movies), "%d::Movie %d (1999)::Drama\n", m, m);
        }
    write_text("ratings.dat", ratings);
    write_text("users.dat", users);
    write_text("movies.dat", movies);
    free(ratings);
    for (int i = 0; i < N; i++) rows[i] = i;
    int n1 = reference_merge(uid, rows, N, user_present, once);
    int n2 = reference_merge(mid, once, n1, movie_present, twice);

    ck_movielens d;
    cr_assert_eq(ck_movielens_load(dir, &d), 0, "%s", ck_error());
    cr_assert_eq(d.n, n2);
    cr_assert_lt(n2, N); /* some rows were dropped */
    for (int i = 0; i < n2; i++) {
        int r = twice[i];
        cr_assert_eq(d.uid[i], uid[r], "row %d", i);
        cr_assert_eq(d.mid[i], mid[r], "row %d", i);
        cr_assert_eq(d.rating[i], (float)stars[r], "row %d", i);
        cr_assert_eq(d.occupation[i], (float)(uid[r] % 21), "row %d", i);
    }
    ck_movielens_free(&d);
#undef NEXT
}

/* ---- ml-100k ---- */

static void write_ml100k(void)
{
    write_text("u.occupation", "administrator\nartist\ndoctor\n"); /* 0 1 2 */
    write_text("u.genre", "unknown|0\nAction|1\nComedy|2\nDrama|3\n\n");
    /* genre texts: "Comedy", "Action|Comedy|Drama", "unknown"
     * -> comedy 1, action 2, drama 3, unknown 4 */
    write_text("u.item", "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|1|0\n"
                         "2|GoldenEye (1995)|01-Jan-1995||http://y|0|1|1|1\r\n"
                         "3|Odd (1995)|01-Jan-1995||http://z|1|0|0|0");
    write_text("u.user", "1|24|M|artist|85711\n2|53|F|doctor|94043\n");
    write_text("u.data", "2\t3\t1\t881250949\n"   /* r0 */
                         "1\t1\t5\t881250950\n"   /* r1 */
                         "3\t2\t4\t881250951\n"   /* r2 no user */
                         "1\t2\t2\t881250952\r\n" /* r3 */
                         "2\t1\t3\t881250953\n"); /* r4 */
}

Test(ml100k, merge_order_and_values)
{
    write_ml100k();
    ck_movielens d;
    cr_assert_eq(ck_movielens_load(dir, &d), 0, "%s", ck_error());
    /* on uid: u2 [r0 r4], u1 [r1 r3]; on mid: m3 [r0], m1 [r4 r1], m2 [r3] */
    const int32_t uid[] = {2, 2, 1, 1}, mid[] = {3, 1, 1, 2};
    const float rating[] = {1, 3, 5, 2}, occ[] = {2, 2, 1, 1};
    const int32_t genre[] = {4, 0, 0, 1, 0, 0, 1, 0, 0, 2, 1, 3};
    cr_assert_eq(d.n, 4);
    for (int i = 0; i < 4; i++) {
        cr_expect_eq(d.uid[i], uid[i], "row %d uid", i);
        cr_expect_eq(d.mid[i], mid[i], "row %d mid", i);
        cr_expect_eq(d.rating[i], rating[i], "row %d rating", i);
        cr_expect_eq(d.occupation[i], occ[i], "row %d occupation", i);
    }
    for (int i = 0; i < 12; i++) cr_expect_eq(d.genre[i], genre[i], "genre cell %d", i);
    cr_expect_eq(d.n_uid, 2);
    cr_expect_eq(d.n_mid, 3);
    cr_expect_str_eq(d.format, "ml-100k");
    cr_expect_str_eq(d.title[2], "GoldenEye (1995)");
    cr_expect_str_eq(d.movie_genres_text[2], "Action|Comedy|Drama");
    cr_expect_str_eq(d.movie_genres_text[3], "unknown");
    cr_expect_eq(ck_tokenizer_index(d.genre_tokenizer, "unknown"), 4);
    ck_movielens_free(&d);
}

/* ---- malformed input: every case names the file and line ---- */

/* Loads dir and checks it fails with exactly `want` (after "DIR/" expansion:
 * a '@' in want stands for the directory). */
static void expect_load_error(const char *want)
{
    char expanded[1024];
    size_t o = 0;
    for (const char *p = want; *p && o + 64 < sizeof expanded; p++) {
        if (*p == '@')
            o += (size_t)snprintf(expanded + o, sizeof expanded - o, "%s", dir);
        else
            expanded[o++] = *p;
    }
    expanded[o] = '\0';
    ck_movielens d;
    ck_error_clear();
    cr_assert_eq(ck_movielens_load(dir, &d), -1, "loaded, expected: %s", expanded);
    cr_assert_not_null(ck_error());
    cr_expect_str_eq(ck_error(), expanded);
    cr_expect_eq(d.n, 0);
    cr_expect_null(d.uid);
    ck_error_clear();
}

/* ml-1m with one file replaced */
static void ml1m_with(const char *name, const char *content)
{
    write_ml1m();
    write_text(name, content);
}

Test(malformed, missing_directory_and_files)
{
    ck_movielens d;
    cr_expect_eq(ck_movielens_load("/nonexistent/ck_ml", &d), -1);
    cr_expect_str_eq(ck_error(), "movielens: cannot open directory /nonexistent/ck_ml: "
                                 "No such file or directory");
    ck_error_clear();
    expect_load_error("movielens: @ has neither ratings.dat (ml-1m) nor u.data (ml-100k)");
    write_text("ratings.dat", "1::10::3::0\n");
    expect_load_error("movielens: cannot open @/users.dat: No such file or directory");
    write_text("users.dat", ML1M_USERS);
    expect_load_error("movielens: cannot open @/movies.dat: No such file or directory");
    char file[128];
    snprintf(file, sizeof file, "%s/users.dat", dir);
    cr_expect_eq(ck_movielens_load(file, &d), -1);
    cr_expect(strstr(ck_error(), "users.dat is not a directory") != NULL, "%s", ck_error());
    ck_error_clear();
}

Test(malformed, empty_files)
{
    ml1m_with("ratings.dat", "");
    expect_load_error("movielens: @/ratings.dat is empty");
    ml1m_with("ratings.dat", "\n\r\n  \n");
    expect_load_error("movielens: @/ratings.dat has no ratings");
    ml1m_with("users.dat", "\n");
    expect_load_error("movielens: @/users.dat has no users");
    ml1m_with("movies.dat", "");
    expect_load_error("movielens: @/movies.dat is empty");
}

Test(malformed, field_counts)
{
    ml1m_with("ratings.dat", "1::10::3::0\n1::10::5\n");
    expect_load_error("movielens: @/ratings.dat line 2: expected 4 fields separated by '::', found 3");
    ml1m_with("ratings.dat", "1::10::3::0::7\n");
    expect_load_error("movielens: @/ratings.dat line 1: expected 4 fields separated by '::', found 5");
    ml1m_with("users.dat", "1::F::1::10\n");
    expect_load_error("movielens: @/users.dat line 1: expected 5 fields separated by '::', found 4");
    ml1m_with("movies.dat", "10::A Title\n");
    expect_load_error("movielens: @/movies.dat line 1: expected 3 fields separated by '::', found 2");
    ml1m_with("movies.dat", "10::A::B::Drama\n");
    expect_load_error("movielens: @/movies.dat line 1: expected 3 fields separated by '::', found 4");
}

Test(malformed, numbers)
{
    ml1m_with("ratings.dat", "1::x10::3::0\n");
    expect_load_error("movielens: @/ratings.dat line 1: field 2 (movie id) 'x10' is not an integer");
    ml1m_with("ratings.dat", "1:: 10::3::0\n");
    expect_load_error("movielens: @/ratings.dat line 1: field 2 (movie id) ' 10' is not an integer");
    ml1m_with("ratings.dat", "::10::3::0\n");
    expect_load_error("movielens: @/ratings.dat line 1: field 1 (user id) '' is not an integer");
    ml1m_with("ratings.dat", "1::10::3::abc\n");
    expect_load_error("movielens: @/ratings.dat line 1: field 4 (timestamp) 'abc' is not an integer");
    ml1m_with("ratings.dat", "1::10::4.5::0\n");
    expect_load_error("movielens: @/ratings.dat line 1: field 3 (rating) '4.5' is not an integer");
    ml1m_with("users.dat", "1::F::1::ten::48067\n");
    expect_load_error("movielens: @/users.dat line 1: field 4 (occupation) 'ten' is not an integer");
    ml1m_with("users.dat", "1::F::1::21::48067\n");
    expect_load_error("movielens: @/users.dat line 1: field 4 (occupation) '21' is not in 0..20");
}

Test(malformed, ids_and_ratings_out_of_range)
{
    ml1m_with("ratings.dat", "1::10::3::0\r\n\n-1::10::3::0\n");
    expect_load_error("movielens: @/ratings.dat line 3: field 1 (user id) '-1' is not in 1..10000000");
    ml1m_with("ratings.dat", "0::10::3::0\n");
    expect_load_error("movielens: @/ratings.dat line 1: field 1 (user id) '0' is not in 1..10000000");
    ml1m_with("ratings.dat", "10000001::10::3::0\n");
    expect_load_error("movielens: @/ratings.dat line 1: field 1 (user id) '10000001' is not in 1..10000000");
    ml1m_with("ratings.dat", "1::99999999999999999999999::3::0\n");
    expect_load_error("movielens: @/ratings.dat line 1: field 2 (movie id) "
                      "'99999999999999999999999' is not in 1..10000000");
    ml1m_with("ratings.dat", "1::10::6::0\n");
    expect_load_error("movielens: @/ratings.dat line 1: field 3 (rating) '6' is not in 1..5");
    ml1m_with("ratings.dat", "1::10::0::0\n");
    expect_load_error("movielens: @/ratings.dat line 1: field 3 (rating) '0' is not in 1..5");
    ml1m_with("movies.dat", "-5::Heat (1995)::Drama\n");
    expect_load_error("movielens: @/movies.dat line 1: field 1 (movie id) '-5' is not in 1..10000000");
    /* the largest id is fine */
    ml1m_with("ratings.dat", "10000000::10::3::0\n");
    write_text("users.dat", "10000000::F::1::10::48067\n");
    ck_movielens d;
    cr_assert_eq(ck_movielens_load(dir, &d), 0, "%s", ck_error());
    cr_expect_eq(d.n_uid, 10000000);
    ck_movielens_free(&d);
}

Test(malformed, long_field_is_shown_shortened)
{
    size_t n = 100000;
    char *line = malloc(n + 32);
    memset(line, '7', n);
    strcpy(line + n, "::10::3::0\n");
    ml1m_with("ratings.dat", line);
    expect_load_error("movielens: @/ratings.dat line 1: field 1 (user id) "
                      "'77777777777777777777777777777777...' is not in 1..10000000");
    free(line);
}

Test(malformed, duplicates)
{
    ml1m_with("users.dat", "1::F::1::10::48067\n3::M::25::7::55117\n\n1::M::45::0::02460\n");
    expect_load_error("movielens: @/users.dat line 4: duplicate user id 1 (first on line 1)");
    ml1m_with("movies.dat", "10::A (1995)::Drama\n20::B (1995)::Drama\n20::C (1995)::Comedy\n");
    expect_load_error("movielens: @/movies.dat line 3: duplicate movie id 20 (first on line 2)");
}

Test(malformed, nul_bytes_and_binary)
{
    write_ml1m();
    write_bytes("movies.dat", "10::A\0B::Drama\n", 15);
    expect_load_error("movielens: @/movies.dat line 1: field 2 (title) 'A\\x00B' contains a NUL byte");
    write_bytes("ratings.dat", "1::1\xff::3::0\n", 13);
    expect_load_error("movielens: @/ratings.dat line 1: field 2 (movie id) '1\\xff' is not an integer");
}

Test(malformed, nothing_left_after_merge)
{
    ml1m_with("ratings.dat", "2::10::3::0\n1::40::3::0\n");
    expect_load_error("movielens: no rating has both its user in @/users.dat and its movie in "
                      "@/movies.dat");
}

Test(malformed, ml100k_files)
{
    write_ml100k();
    write_text("u.user", "1|24|M|artist|85711\n2|53|F|pilot|94043\n");
    expect_load_error("movielens: @/u.user line 2: field 4 (occupation) 'pilot' is not listed in "
                      "@/u.occupation");
    write_ml100k();
    write_text("u.item", "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|1|0\n"
                         "2|GoldenEye (1995)|01-Jan-1995||http://y|0|2|1|1\n");
    expect_load_error("movielens: @/u.item line 2: field 7 (genre flag Action) '2' is not 0 or 1");
    write_ml100k();
    write_text("u.item", "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|1\n");
    expect_load_error("movielens: @/u.item line 1: expected 9 fields separated by '|', found 8");
    write_ml100k();
    write_text("u.data", "1\t1\t5\n");
    expect_load_error("movielens: @/u.data line 1: expected 4 fields separated by '\\t', found 3");
    write_ml100k();
    write_text("u.genre", "unknown|0\nAction|2\n");
    expect_load_error("movielens: @/u.genre: genre index 1 is missing (found 2 genres)");
    write_ml100k(); /* 64 genres at most (indices 0..63): 64 is the first refused */
    write_text("u.genre", "unknown|0\nAction|64\n");
    expect_load_error("movielens: @/u.genre line 2: field 2 (genre index) '64' is not in 0..63");
    write_ml100k();
    write_text("u.occupation", "artist\nartist\n");
    expect_load_error("movielens: @/u.occupation line 2: occupation 'artist' is listed twice");
}

/* ---- synthetic ---- */

Test(synthetic, deterministic_in_seed)
{
    ck_movielens a, b, c;
    cr_assert_eq(ck_movielens_synthetic(42, 200, 150, 5000, &a), 0, "%s", ck_error());
    cr_assert_eq(ck_movielens_synthetic(42, 200, 150, 5000, &b), 0);
    cr_assert_eq(ck_movielens_synthetic(43, 200, 150, 5000, &c), 0);
    cr_assert_eq(a.n, b.n);
    int same_as_c = a.n == c.n;
    for (int64_t i = 0; i < a.n; i++) {
        cr_assert_eq(a.uid[i], b.uid[i]);
        cr_assert_eq(a.mid[i], b.mid[i]);
        cr_assert_eq(a.rating[i], b.rating[i]);
        cr_assert_eq(a.occupation[i], b.occupation[i]);
        if (same_as_c && (a.mid[i] != c.mid[i] || a.rating[i] != c.rating[i])) same_as_c = 0;
    }
    cr_expect_not(same_as_c, "seeds 42 and 43 gave the same data");
    for (int m = 1; m <= 150; m++) cr_assert_str_eq(a.title[m], b.title[m]);
    ck_movielens_free(&a);
    ck_movielens_free(&b);
    ck_movielens_free(&c);
}

Test(synthetic, schema_and_statistics)
{
    const int U = 300, M = 200;
    const int64_t R = 20000;
    ck_movielens d;
    cr_assert_eq(ck_movielens_synthetic(7, U, M, R, &d), 0, "%s", ck_error());
    cr_expect_str_eq(d.format, "synthetic");
    cr_assert_eq(d.n, R); /* every user and movie exists: nothing is dropped */
    cr_expect_eq(d.n_uid, U);
    cr_expect_eq(d.n_mid, M);
    cr_expect_eq(d.n_users, U);
    cr_expect_eq(d.n_movies, M);
    char *rated = calloc((size_t)(U + 1) * (M + 1), 1);
    double sum = 0, sum2 = 0;
    int hist[6] = {0};
    for (int64_t i = 0; i < d.n; i++) {
        int u = d.uid[i], m = d.mid[i];
        cr_assert(u >= 1 && u <= U && m >= 1 && m <= M, "row %lld: uid %d mid %d", (long long)i, u, m);
        cr_assert_eq(rated[u * (M + 1) + m], 0, "user %d rates movie %d twice", u, m);
        rated[u * (M + 1) + m] = 1;
        float r = d.rating[i];
        cr_assert(r == 1 || r == 2 || r == 3 || r == 4 || r == 5, "rating %g", r);
        hist[(int)r]++;
        sum += r;
        sum2 += r * r;
        cr_assert_eq(d.occupation[i], d.user_occupation[u]);
        cr_assert(d.occupation[i] >= 0 && d.occupation[i] <= 20 && d.occupation[i] == (int)d.occupation[i]);
        for (int k = 0; k < 3; k++) {
            int g = d.genre[i * 3 + k];
            cr_assert(g >= 0 && g <= d.n_genre, "genre id %d", g);
            cr_assert_eq(g, d.movie_genre[m * 3 + k]);
        }
    }
    double mean = sum / (double)d.n, var = sum2 / (double)d.n - mean * mean;
    cr_expect(mean > 3.0 && mean < 4.0, "mean rating %g", mean);
    cr_expect(var > 0.5 && var < 2.0, "rating variance %g", var);
    for (int s = 1; s <= 5; s++) cr_expect_gt(hist[s], 0, "no rating %d", s);
    free(rated);
    /* movies: "Synthetic Movie m (year)" and 1-3 genres from the ml-1m names */
    for (int m = 1; m <= M; m++) {
        int id, year;
        char close;
        cr_assert(d.movie_present[m]);
        cr_assert_eq(sscanf(d.title[m], "Synthetic Movie %d (%d%c", &id, &year, &close), 3, "%s", d.title[m]);
        cr_expect_eq(id, m);
        cr_expect(year >= 1920 && year <= 2000 && close == ')');
        int bars = 0;
        for (const char *p = d.movie_genres_text[m]; *p; p++) bars += *p == '|';
        cr_expect(bars <= 2 && d.movie_genres_text[m][0] != '\0', "%s", d.movie_genres_text[m]);
    }
    /* the genre vocabulary is a subset of the 18 ml-1m genres, drama/comedy first */
    int n_words = ck_tokenizer_n_words(d.genre_tokenizer);
    cr_expect(n_words >= 15 && n_words <= 18, "%d genres", n_words);
    cr_expect_str_eq(ck_tokenizer_word(d.genre_tokenizer, 1), "drama");
    ck_movielens_free(&d);
}

Test(synthetic, users_can_rate_every_movie)
{
    ck_movielens d;
    cr_assert_eq(ck_movielens_synthetic(1, 3, 4, 12, &d), 0, "%s", ck_error());
    cr_assert_eq(d.n, 12);
    ck_movielens_free(&d);
}

Test(synthetic, bad_sizes)
{
    ck_movielens d;
    cr_expect_eq(ck_movielens_synthetic(1, 3, 4, 13, &d), -1);
    cr_expect_str_eq(ck_error(), "movielens_synthetic: n_ratings = 13 must be in "
                                 "1..min(n_users * n_movies, 2^31 - 1) = 12");
    ck_error_clear();
    cr_expect_eq(ck_movielens_synthetic(1, 0, 4, 1, &d), -1);
    cr_expect_str_eq(ck_error(), "movielens_synthetic: n_users = 0 and n_movies = 4 must be in 1..10000000");
    ck_error_clear();
}
