/* movielens_load.c - ck_movielens_load: detects the format of a MovieLens
 * directory and hands it to its reader (movielens_1m.c, movielens_100k.c).
 * The ratings file has the same columns in both formats, so its parser,
 * the hot one (a million lines for ml-1m), is here for both. */
#include "ck_movielens.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ck_error.h"
#include "ck_movielens_fields.h"
#include "ck_movielens_internal.h"

#define ID_DIGITS 8 /* CK_ML_MAX_ID = 10,000,000 has 8 digits */
#define STARS_DIGITS 1
#define TIMESTAMP_DIGITS 18 /* timestamps are 0..MAX_TIMESTAMP (18 nines) */
#define MAX_TIMESTAMP 999999999999999999

/* uid SEP mid SEP rating SEP timestamp, the careful way: used for any line
 * the fast path in ck_ml_parse_ratings does not accept. Returns 1 for a
 * rating, 0 for a blank line, -1 on error. */
static int rating_line_slow(const ck_ml_lines *r, ck_ml_span line, const char *sep, int32_t *uid, int32_t *mid,
                            uint8_t *rating)
{
    if (ck_ml_is_blank(line)) return 0;
    ck_ml_span f[4];
    int nf = ck_ml_split_fields(line, sep, f, 4);
    if (nf != 4) return ck_ml_count_error(r, 4, sep, nf);
    int64_t value, timestamp;
    if (ck_ml_parse_id(r, 1, "user id", f[0], uid) < 0 || ck_ml_parse_id(r, 2, "movie id", f[1], mid) < 0 ||
        ck_ml_parse_int(r, 3, "rating", f[2], CK_ML_MIN_STARS, CK_ML_MAX_STARS, &value) < 0 ||
        ck_ml_parse_int(r, 4, "timestamp", f[3], 0, MAX_TIMESTAMP, &timestamp) < 0)
        return -1;
    *rating = (uint8_t)value;
    return 1;
}

/* Up to max_digits decimal digits at p; NULL if there is none. */
static inline const char *scan_digits(const char *p, const char *end, int max_digits, int64_t *value)
{
    const char *start = p;
    int64_t x = 0;
    while (p < end && p - start < max_digits && (unsigned)(*p - '0') <= 9) {
        x = x * 10 + (*p - '0');
        p++;
    }
    *value = x;
    return p > start ? p : NULL;
}

/* p past sep (1 or 2 characters), or NULL if sep is not at p. */
static inline const char *scan_sep(const char *p, const char *end, const char *sep, size_t seplen)
{
    if (!p || (size_t)(end - p) < seplen || p[0] != sep[0] || (seplen == 2 && p[1] != sep[1])) return NULL;
    return p + seplen;
}

/* The hot loop reads the common well-formed line with hand-written digit
 * scanning; anything unusual (blank line, spaces, bad value) goes to
 * rating_line_slow, which accepts the same lines and explains the rest. */
int ck_ml_parse_ratings(const ck_ml_file *file, const char *sep, ck_ml_tables *t)
{
    int64_t cap = ck_ml_count_lines(file->data, file->size);
    t->rating_uid = ck_ml_alloc_array(cap, sizeof *t->rating_uid);
    t->rating_mid = ck_ml_alloc_array(cap, sizeof *t->rating_mid);
    t->rating = ck_ml_alloc_array(cap, sizeof *t->rating);
    if (!t->rating_uid || !t->rating_mid || !t->rating)
        return ck_fail("movielens: out of memory for %lld ratings of %s", (long long)cap, file->path);
    size_t seplen = strlen(sep);
    ck_ml_lines r = ck_ml_lines_of(file);
    int64_t n = 0;
    while (r.p < r.end) {
        const char *end = r.end;
        int64_t u, m, v, ts;
        const char *q = scan_digits(r.p, end, ID_DIGITS, &u);
        q = scan_sep(q, end, sep, seplen);
        q = q ? scan_digits(q, end, ID_DIGITS, &m) : NULL;
        q = scan_sep(q, end, sep, seplen);
        q = q ? scan_digits(q, end, STARS_DIGITS, &v) : NULL;
        q = scan_sep(q, end, sep, seplen);
        q = q ? scan_digits(q, end, TIMESTAMP_DIGITS, &ts) : NULL;
        if (q && q < end && *q == '\r') q++;
        if (q && (q == end || *q == '\n') && u >= 1 && u <= CK_ML_MAX_ID && m >= 1 && m <= CK_ML_MAX_ID &&
            v >= CK_ML_MIN_STARS && v <= CK_ML_MAX_STARS) {
            t->rating_uid[n] = (int32_t)u;
            t->rating_mid[n] = (int32_t)m;
            t->rating[n] = (uint8_t)v;
            n++;
            r.p = q == end ? end : q + 1;
            r.lineno++;
            continue;
        }
        ck_ml_span line;
        ck_ml_next_line(&r, &line);
        int got = rating_line_slow(&r, line, sep, &t->rating_uid[n], &t->rating_mid[n], &t->rating[n]);
        if (got < 0) return -1;
        n += got;
    }
    if (n == 0) return ck_fail("movielens: %s has no ratings", file->path);
    t->n_ratings = n;
    return 0;
}

int ck_movielens_load(const char *dir, ck_movielens *out)
{
    if (!out) return ck_fail("movielens_load: output is NULL");
    memset(out, 0, sizeof *out);
    if (!dir) return ck_fail("movielens_load: directory is NULL");
    struct stat st;
    if (stat(dir, &st) != 0) return ck_fail("movielens: cannot open directory %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode)) return ck_fail("movielens: %s is not a directory", dir);

    char *ratings_1m = ck_ml_join_path(dir, "ratings.dat");
    char *ratings_100k = ck_ml_join_path(dir, "u.data");
    int is_1m = ratings_1m && ck_ml_file_exists(ratings_1m);
    int is_100k = ratings_100k && ck_ml_file_exists(ratings_100k);
    free(ratings_1m);
    free(ratings_100k);
    if (!is_1m && !is_100k) return ck_fail("movielens: %s has neither ratings.dat (ml-1m) nor u.data (ml-100k)", dir);

    ck_ml_tables t = {0};
    int rc = is_1m ? ck_ml_load_1m(dir, &t, out) : ck_ml_load_100k(dir, &t, out);
    ck_ml_tables_free(&t);
    if (rc < 0) ck_movielens_free(out);
    return rc;
}
