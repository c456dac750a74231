/* movielens.c - MovieLens loaders, the notebook's merge and split, and a
 * synthetic MovieLens-like dataset; see ck_movielens.h.
 *
 * Every loader fills the same raw tables (ratings, users, movies); one
 * function, prepare(), then does what the notebook does with pandas and
 * Keras: tokenize the genres, merge, and lay out the rows. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L   /* fileno, fstat */
#endif
#include "ck_movielens.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <stb_ds.h>

#include "ck_error.h"
#include "ck_rng.h"
#include "ck_split.h"

/* Rows are read in a random order in a few places (the merge's final
 * layout, gather); asking for a row some iterations ahead hides most of the
 * memory latency. */
#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)0)
#endif
#define PREFETCH_AHEAD 16

#define MAX_GENRES 64          /* u.genre entries (ml-100k has 19) */
#define MAX_FIELDS (5 + MAX_GENRES + 1)
#define MAX_OCCUPATIONS 1000   /* u.occupation entries (ml-100k has 21) */

/* ------------------------------------------------------------------ tables */

/* The three tables as read from the files, before the merge. Text (titles
 * and genre strings) lives in one growing byte array; rows refer to it by
 * offset because the array moves as it grows. */
typedef struct ml_tables {
    int64_t n_ratings;
    int32_t *rating_uid, *rating_mid;   /* (n_ratings) */
    uint8_t *rating;                    /* (n_ratings) 1..5 */

    int64_t n_users;
    int32_t *user_id;                   /* (n_users) in file order */
    float *user_occ;                    /* (n_users) */
    int64_t *user_line;                 /* (n_users) line in the file, for messages */

    int64_t n_movies;
    int32_t *movie_id;                  /* (n_movies) in file order */
    int64_t *movie_line;                /* (n_movies) */
    size_t *title_at, *genres_at;       /* (n_movies) offsets into text */
    char *text;                         /* stb_ds array of NUL-terminated strings */

    const char *users_file, *movies_file;   /* names for messages */
} ml_tables;

static void tables_free(ml_tables *t)
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

/* malloc(n * size) with the product checked; n may be 0. */
static void *alloc_array(int64_t n, size_t size)
{
    if (n < 0 || (uint64_t)n > SIZE_MAX / size)
        return NULL;
    size_t bytes = (size_t)n * size;
    return malloc(bytes ? bytes : 1);
}

static void *calloc_array(int64_t n, size_t size)
{
    if (n < 0 || (uint64_t)n > SIZE_MAX / size)
        return NULL;
    return calloc(n ? (size_t)n : 1, size);
}

/* Append s[0..len) and a NUL to the text array; returns its offset. */
static size_t text_append(ml_tables *t, const char *s, size_t len)
{
    size_t at = (size_t)arrlen(t->text);
    if (len)
        memcpy(arraddnptr(t->text, len), s, len);
    arrput(t->text, '\0');
    return at;
}

/* Append latin-1 bytes as UTF-8: bytes >= 0x80 become two bytes. */
static size_t text_append_latin1(ml_tables *t, const char *s, size_t len)
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

/* ------------------------------------------------------------------ files */

typedef struct span { const char *s; size_t len; } span;

static char *join_path(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    int slash = a > 0 && dir[a - 1] != '/';
    char *p = malloc(a + (size_t)slash + b + 1);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    if (slash)
        p[a] = '/';
    memcpy(p + a + (size_t)slash, name, b + 1);
    return p;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The whole file in one heap buffer (one read: the parsers then walk it). */
static int read_whole_file(const char *path, char **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ck_fail("movielens: cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return ck_fail("movielens: %s is not a regular file", path);
    }
    if (st.st_size <= 0) {
        fclose(f);
        return ck_fail("movielens: %s is empty", path);
    }
    if ((uint64_t)st.st_size >= SIZE_MAX / 4) {
        fclose(f);
        return ck_fail("movielens: %s is too large (%lld bytes)", path, (long long)st.st_size);
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        fclose(f);
        return ck_fail("movielens: out of memory reading %s (%zu bytes)", path, n);
    }
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    if (got != n) {
        free(buf);
        return ck_fail("movielens: short read on %s (%zu of %zu bytes)", path, got, n);
    }
    buf[n] = '\0';
    *data = buf;
    *size = n;
    return 0;
}

static int64_t count_lines(const char *buf, size_t size)
{
    int64_t n = 1;
    const char *p = buf, *end = buf + size;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

/* Walks a buffer line by line: the line without '\n' and one trailing '\r'. */
typedef struct line_reader {
    const char *path;
    const char *p, *end;
    int64_t lineno;
} line_reader;

static int next_line(line_reader *r, span *line)
{
    if (r->p >= r->end)
        return 0;
    const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
    const char *stop = nl ? nl : r->end;
    line->s = r->p;
    line->len = (size_t)(stop - r->p);
    if (line->len > 0 && line->s[line->len - 1] == '\r')
        line->len--;
    r->p = nl ? nl + 1 : r->end;
    r->lineno++;
    return 1;
}

static int is_blank(span line)
{
    for (size_t i = 0; i < line.len; i++)
        if (line.s[i] != ' ' && line.s[i] != '\t')
            return 0;
    return 1;
}

/* Splits line on sep. Stores at most max fields, returns how many there are. */
static int split_fields(span line, const char *sep, span *fields, int max)
{
    size_t seplen = strlen(sep);
    int n = 0;
    size_t start = 0, i = 0;
    while (i + seplen <= line.len) {
        if (memcmp(line.s + i, sep, seplen) == 0) {
            if (n < max)
                fields[n] = (span){line.s + start, i - start};
            if (n < INT_MAX - 1)
                n++;
            i += seplen;
            start = i;
        } else {
            i++;
        }
    }
    if (n < max)
        fields[n] = (span){line.s + start, line.len - start};
    return n + 1;
}

/* A field value fit for a message: at most 32 characters, bytes outside
 * printable ASCII as \xNN. */
static const char *show(span v, char *buf, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < v.len && o + 8 < cap; i++) {
        if (i == 32) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        unsigned char c = (unsigned char)v.s[i];
        if (c >= 0x20 && c < 0x7f && c != '\'')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
    }
    buf[o] = '\0';
    return buf;
}

static int field_error(const line_reader *r, int field, const char *name, span v,
                       const char *problem)
{
    char shown[160];
    return ck_fail("movielens: %s line %lld: field %d (%s) '%s' %s", r->path,
                   (long long)r->lineno, field, name, show(v, shown, sizeof shown), problem);
}

static int count_error(const line_reader *r, int want, const char *sep, int got)
{
    return ck_fail("movielens: %s line %lld: expected %d fields separated by '%s', found %d",
                   r->path, (long long)r->lineno, want, sep[0] == '\t' ? "\\t" : sep, got);
}

/* Parses a decimal integer in [lo, hi] (optional '-', digits only). */
static int parse_int(const line_reader *r, int field, const char *name, span v,
                     int64_t lo, int64_t hi, int64_t *out)
{
    size_t i = 0;
    int negative = 0;
    if (v.len > 0 && v.s[0] == '-') {
        negative = 1;
        i = 1;
    }
    if (i == v.len)
        return field_error(r, field, name, v, "is not an integer");
    int64_t x = 0;
    int too_big = 0;
    for (; i < v.len; i++) {
        unsigned d = (unsigned)(unsigned char)v.s[i] - '0';
        if (d > 9)
            return field_error(r, field, name, v, "is not an integer");
        if (x > (INT64_MAX - 9) / 10)
            too_big = 1;    /* keep scanning: a later non-digit is the better message */
        else
            x = x * 10 + (int64_t)d;
    }
    if (negative)
        x = -x;
    if (too_big || x < lo || x > hi) {
        char range[80];
        snprintf(range, sizeof range, "is not in %lld..%lld", (long long)lo, (long long)hi);
        return field_error(r, field, name, v, range);
    }
    *out = x;
    return 0;
}

static int parse_id(const line_reader *r, int field, const char *name, span v, int32_t *out)
{
    int64_t x;
    if (parse_int(r, field, name, v, 1, CK_ML_MAX_ID, &x) < 0)
        return -1;
    *out = (int32_t)x;
    return 0;
}

static int check_no_nul(const line_reader *r, int field, const char *name, span v)
{
    if (memchr(v.s, '\0', v.len))
        return field_error(r, field, name, v, "contains a NUL byte");
    return 0;
}

/* ------------------------------------------------------------------ ratings */

/* uid SEP mid SEP rating SEP timestamp, the careful way: used for any line
 * the fast path in parse_ratings does not accept. Returns 1 for a rating,
 * 0 for a blank line, -1 on error. */
static int rating_line_slow(const line_reader *r, span line, const char *sep,
                            int32_t *uid, int32_t *mid, uint8_t *rating)
{
    if (is_blank(line))
        return 0;
    span f[4];
    int nf = split_fields(line, sep, f, 4);
    if (nf != 4)
        return count_error(r, 4, sep, nf);
    int64_t value, timestamp;
    if (parse_id(r, 1, "user id", f[0], uid) < 0 || parse_id(r, 2, "movie id", f[1], mid) < 0 ||
        parse_int(r, 3, "rating", f[2], 1, 5, &value) < 0 ||
        parse_int(r, 4, "timestamp", f[3], 0, 999999999999999999, &timestamp) < 0)
        return -1;
    *rating = (uint8_t)value;
    return 1;
}

/* Up to max_digits decimal digits at p; NULL if there is none. */
static inline const char *scan_digits(const char *p, const char *end, int max_digits,
                                      int64_t *value)
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

static inline const char *scan_sep(const char *p, const char *end, const char *sep,
                                   size_t seplen)
{
    if (!p || (size_t)(end - p) < seplen || p[0] != sep[0] || (seplen == 2 && p[1] != sep[1]))
        return NULL;
    return p + seplen;
}

/* Parses the ratings file held in buf. The hot loop reads the common
 * well-formed line with hand-written digit scanning; anything unusual (blank
 * line, spaces, bad value) goes to rating_line_slow, which accepts the same
 * lines and explains the rest. */
static int parse_ratings(const char *path, const char *buf, size_t size, const char *sep,
                         ml_tables *t)
{
    int64_t cap = count_lines(buf, size);
    t->rating_uid = alloc_array(cap, sizeof *t->rating_uid);
    t->rating_mid = alloc_array(cap, sizeof *t->rating_mid);
    t->rating = alloc_array(cap, sizeof *t->rating);
    if (!t->rating_uid || !t->rating_mid || !t->rating)
        return ck_fail("movielens: out of memory for %lld ratings of %s", (long long)cap, path);
    size_t seplen = strlen(sep);
    line_reader r = {path, buf, buf + size, 0};
    int64_t n = 0;
    while (r.p < r.end) {
        const char *end = r.end;
        int64_t u, m, v, ts;
        const char *q = scan_digits(r.p, end, 8, &u);
        q = scan_sep(q, end, sep, seplen);
        q = q ? scan_digits(q, end, 8, &m) : NULL;
        q = scan_sep(q, end, sep, seplen);
        q = q ? scan_digits(q, end, 1, &v) : NULL;
        q = scan_sep(q, end, sep, seplen);
        q = q ? scan_digits(q, end, 18, &ts) : NULL;
        if (q && q < end && *q == '\r')
            q++;
        if (q && (q == end || *q == '\n') && u >= 1 && u <= CK_ML_MAX_ID && m >= 1 &&
            m <= CK_ML_MAX_ID && v >= 1 && v <= 5) {
            t->rating_uid[n] = (int32_t)u;
            t->rating_mid[n] = (int32_t)m;
            t->rating[n] = (uint8_t)v;
            n++;
            r.p = q == end ? end : q + 1;
            r.lineno++;
            continue;
        }
        span line;
        next_line(&r, &line);
        int got = rating_line_slow(&r, line, sep, &t->rating_uid[n], &t->rating_mid[n],
                                   &t->rating[n]);
        if (got < 0)
            return -1;
        n += got;
    }
    if (n == 0)
        return ck_fail("movielens: %s has no ratings", path);
    t->n_ratings = n;
    return 0;
}

/* ------------------------------------------------------------------ users */

/* Allocates the users arrays for at most cap rows. */
static int alloc_users(ml_tables *t, int64_t cap, const char *path)
{
    t->user_id = alloc_array(cap, sizeof *t->user_id);
    t->user_occ = alloc_array(cap, sizeof *t->user_occ);
    t->user_line = alloc_array(cap, sizeof *t->user_line);
    if (!t->user_id || !t->user_occ || !t->user_line)
        return ck_fail("movielens: out of memory for %lld users of %s", (long long)cap, path);
    return 0;
}

static int alloc_movies(ml_tables *t, int64_t cap, const char *path)
{
    t->movie_id = alloc_array(cap, sizeof *t->movie_id);
    t->movie_line = alloc_array(cap, sizeof *t->movie_line);
    t->title_at = alloc_array(cap, sizeof *t->title_at);
    t->genres_at = alloc_array(cap, sizeof *t->genres_at);
    if (!t->movie_id || !t->movie_line || !t->title_at || !t->genres_at)
        return ck_fail("movielens: out of memory for %lld movies of %s", (long long)cap, path);
    return 0;
}

/* ml-1m users.dat: uid::gender::age::occupation::zip. Only the id and the
 * occupation are used (and checked). */
static int parse_users_1m(const char *path, const char *buf, size_t size, ml_tables *t)
{
    if (alloc_users(t, count_lines(buf, size), path) < 0)
        return -1;
    line_reader r = {path, buf, buf + size, 0};
    span line, f[5];
    while (next_line(&r, &line)) {
        if (is_blank(line))
            continue;
        int nf = split_fields(line, "::", f, 5);
        if (nf != 5)
            return count_error(&r, 5, "::", nf);
        int64_t occupation;
        if (parse_id(&r, 1, "user id", f[0], &t->user_id[t->n_users]) < 0 ||
            parse_int(&r, 4, "occupation", f[3], 0, 20, &occupation) < 0)
            return -1;
        t->user_occ[t->n_users] = (float)occupation;
        t->user_line[t->n_users] = r.lineno;
        t->n_users++;
    }
    if (t->n_users == 0)
        return ck_fail("movielens: %s has no users", path);
    return 0;
}

/* ml-1m movies.dat: mid::title::genres (titles in latin-1). */
static int parse_movies_1m(const char *path, const char *buf, size_t size, ml_tables *t)
{
    if (alloc_movies(t, count_lines(buf, size), path) < 0)
        return -1;
    line_reader r = {path, buf, buf + size, 0};
    span line, f[3];
    while (next_line(&r, &line)) {
        if (is_blank(line))
            continue;
        int nf = split_fields(line, "::", f, 3);
        if (nf != 3)
            return count_error(&r, 3, "::", nf);
        int64_t k = t->n_movies;
        if (parse_id(&r, 1, "movie id", f[0], &t->movie_id[k]) < 0 ||
            check_no_nul(&r, 2, "title", f[1]) < 0 || check_no_nul(&r, 3, "genres", f[2]) < 0)
            return -1;
        t->movie_line[k] = r.lineno;
        t->title_at[k] = text_append_latin1(t, f[1].s, f[1].len);
        t->genres_at[k] = text_append_latin1(t, f[2].s, f[2].len);
        t->n_movies++;
    }
    if (t->n_movies == 0)
        return ck_fail("movielens: %s has no movies", path);
    return 0;
}

/* ml-100k u.occupation: one name per line (surrounding blanks dropped); the
 * numeric occupation is the name's position. */
typedef struct name_list { span names[MAX_OCCUPATIONS]; int n; } name_list;

static span trim(span v)
{
    while (v.len && (v.s[0] == ' ' || v.s[0] == '\t'))
        v.s++, v.len--;
    while (v.len && (v.s[v.len - 1] == ' ' || v.s[v.len - 1] == '\t'))
        v.len--;
    return v;
}

static int span_eq(span a, span b)
{
    return a.len == b.len && memcmp(a.s, b.s, a.len) == 0;
}

static int parse_occupations(const char *path, const char *buf, size_t size, name_list *occ)
{
    line_reader r = {path, buf, buf + size, 0};
    span line;
    occ->n = 0;
    while (next_line(&r, &line)) {
        span name = trim(line);
        if (name.len == 0)
            continue;
        if (occ->n == MAX_OCCUPATIONS)
            return ck_fail("movielens: %s line %lld: more than %d occupations", path,
                           (long long)r.lineno, MAX_OCCUPATIONS);
        for (int i = 0; i < occ->n; i++)
            if (span_eq(occ->names[i], name)) {
                char shown[160];
                return ck_fail("movielens: %s line %lld: occupation '%s' is listed twice",
                               path, (long long)r.lineno, show(name, shown, sizeof shown));
            }
        occ->names[occ->n++] = name;
    }
    if (occ->n == 0)
        return ck_fail("movielens: %s has no occupations", path);
    return 0;
}

/* ml-100k u.user: uid|age|gender|occupation name|zip. */
static int parse_users_100k(const char *path, const char *buf, size_t size,
                            const name_list *occ, const char *occ_path, ml_tables *t)
{
    if (alloc_users(t, count_lines(buf, size), path) < 0)
        return -1;
    line_reader r = {path, buf, buf + size, 0};
    span line, f[5];
    while (next_line(&r, &line)) {
        if (is_blank(line))
            continue;
        int nf = split_fields(line, "|", f, 5);
        if (nf != 5)
            return count_error(&r, 5, "|", nf);
        if (parse_id(&r, 1, "user id", f[0], &t->user_id[t->n_users]) < 0)
            return -1;
        int found = -1;
        for (int i = 0; i < occ->n && found < 0; i++)
            if (span_eq(occ->names[i], f[3]))
                found = i;
        if (found < 0) {
            char problem[1200];
            snprintf(problem, sizeof problem, "is not listed in %s", occ_path);
            return field_error(&r, 4, "occupation", f[3], problem);
        }
        t->user_occ[t->n_users] = (float)found;
        t->user_line[t->n_users] = r.lineno;
        t->n_users++;
    }
    if (t->n_users == 0)
        return ck_fail("movielens: %s has no users", path);
    return 0;
}

/* ml-100k u.genre: name|index, indices 0..G-1 each exactly once. */
typedef struct genre_list { span names[MAX_GENRES]; int n; } genre_list;

static int parse_genres(const char *path, const char *buf, size_t size, genre_list *g)
{
    line_reader r = {path, buf, buf + size, 0};
    span line, f[2];
    int seen[MAX_GENRES] = {0};
    g->n = 0;
    while (next_line(&r, &line)) {
        if (is_blank(line))
            continue;
        int nf = split_fields(line, "|", f, 2);
        if (nf != 2)
            return count_error(&r, 2, "|", nf);
        int64_t index;
        if (parse_int(&r, 2, "genre index", f[1], 0, MAX_GENRES - 1, &index) < 0 ||
            check_no_nul(&r, 1, "genre name", f[0]) < 0)
            return -1;
        if (f[0].len == 0)
            return field_error(&r, 1, "genre name", f[0], "is empty");
        if (seen[index])
            return field_error(&r, 2, "genre index", f[1], "is listed twice");
        seen[index] = 1;
        g->names[index] = f[0];
        g->n++;
    }
    if (g->n == 0)
        return ck_fail("movielens: %s has no genres", path);
    for (int i = 0; i < g->n; i++)
        if (!seen[i])
            return ck_fail("movielens: %s: genre index %d is missing (found %d genres)", path,
                           i, g->n);
    return 0;
}

/* ml-100k u.item: mid|title|date|video date|url|G flags. */
static int parse_items(const char *path, const char *buf, size_t size, const genre_list *g,
                       ml_tables *t)
{
    if (alloc_movies(t, count_lines(buf, size), path) < 0)
        return -1;
    line_reader r = {path, buf, buf + size, 0};
    span line, f[MAX_FIELDS];
    const int want = 5 + g->n;
    char *genres = NULL;    /* stb_ds array: "Action|Comedy" being assembled */
    while (next_line(&r, &line)) {
        if (is_blank(line))
            continue;
        int nf = split_fields(line, "|", f, MAX_FIELDS);
        if (nf != want) {
            arrfree(genres);
            return count_error(&r, want, "|", nf);
        }
        int64_t k = t->n_movies;
        if (parse_id(&r, 1, "movie id", f[0], &t->movie_id[k]) < 0 ||
            check_no_nul(&r, 2, "title", f[1]) < 0) {
            arrfree(genres);
            return -1;
        }
        if (genres)   /* empty it, keep the capacity */
            arrdeln(genres, 0, arrlen(genres));
        for (int i = 0; i < g->n; i++) {
            span flag = f[5 + i];
            if (flag.len != 1 || (flag.s[0] != '0' && flag.s[0] != '1')) {
                char name[160];
                snprintf(name, sizeof name, "genre flag %.*s", (int)(g->names[i].len < 100 ? g->names[i].len : 100),
                         g->names[i].s);
                arrfree(genres);
                return field_error(&r, 6 + i, name, flag, "is not 0 or 1");
            }
            if (flag.s[0] == '1') {
                if (arrlen(genres))
                    arrput(genres, '|');
                memcpy(arraddnptr(genres, g->names[i].len), g->names[i].s, g->names[i].len);
            }
        }
        t->movie_line[k] = r.lineno;
        t->title_at[k] = text_append_latin1(t, f[1].s, f[1].len);
        t->genres_at[k] = text_append_latin1(t, genres, (size_t)arrlen(genres));
        t->n_movies++;
    }
    arrfree(genres);
    if (t->n_movies == 0)
        return ck_fail("movielens: %s has no movies", path);
    return 0;
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
    int32_t *group_of_key = alloc_array((int64_t)max_key + 1, sizeof *group_of_key);
    int64_t *start = calloc_array((int64_t)max_key + 2, sizeof *start);
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

/* Tokenize, merge and lay out: everything the notebook does after reading
 * the three tables. Takes the text array from t and frees its ratings columns. */
static int prepare(ml_tables *t, const char *format, ck_movielens *out)
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
    user_row = alloc_array((int64_t)max_user + 1, sizeof *user_row);
    movie_row = alloc_array((int64_t)max_movie + 1, sizeof *movie_row);
    user_present = calloc_array((int64_t)max_user + 1, 1);
    movie_present = calloc_array((int64_t)max_movie + 1, 1);
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
    genre_texts = alloc_array(t->n_movies, sizeof *genre_texts);
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
    order = alloc_array(n_raw, sizeof *order);
    order2 = alloc_array(n_raw, sizeof *order2);
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
    out->title = calloc_array((int64_t)n_mid + 1, sizeof *out->title);
    out->movie_genres_text = calloc_array((int64_t)n_mid + 1, sizeof *out->movie_genres_text);
    out->movie_genre = calloc_array((int64_t)n_mid + 1, CK_ML_MAXLEN * sizeof *out->movie_genre);
    out->movie_present = calloc_array((int64_t)n_mid + 1, sizeof *out->movie_present);
    out->user_occupation = calloc_array((int64_t)n_uid + 1, sizeof *out->user_occupation);
    out->user_present = calloc_array((int64_t)n_uid + 1, sizeof *out->user_present);
    if (!out->title || !out->movie_genres_text || !out->movie_genre || !out->movie_present ||
        !out->user_occupation || !out->user_present)
        goto no_memory;
    if (!(out->genre = alloc_array(n, CK_ML_MAXLEN * sizeof *out->genre)) ||
        !(out->mid = alloc_array(n, sizeof *out->mid)))
        goto no_memory;
    for (int64_t i = 0; i < n; i++) {
        if (i + PREFETCH_AHEAD < n)
            PREFETCH(&t->rating_mid[order2[i + PREFETCH_AHEAD]]);
        int32_t m = t->rating_mid[order2[i]];
        out->mid[i] = m;
        const int32_t *genre = movie_genre_rows + movie_row[m] * CK_ML_MAXLEN;
        for (int k = 0; k < CK_ML_MAXLEN; k++)
            out->genre[i * CK_ML_MAXLEN + k] = genre[k];
    }
    free(t->rating_mid);
    t->rating_mid = NULL;

    if (!(out->occupation = alloc_array(n, sizeof *out->occupation)) ||
        !(out->uid = alloc_array(n, sizeof *out->uid)))
        goto no_memory;
    for (int64_t i = 0; i < n; i++) {
        if (i + PREFETCH_AHEAD < n)
            PREFETCH(&t->rating_uid[order2[i + PREFETCH_AHEAD]]);
        int32_t u = t->rating_uid[order2[i]];
        out->uid[i] = u;
        out->occupation[i] = t->user_occ[user_row[u]];
    }
    free(t->rating_uid);
    t->rating_uid = NULL;

    if (!(out->rating = alloc_array(n, sizeof *out->rating)))
        goto no_memory;
    for (int64_t i = 0; i < n; i++) {
        if (i + PREFETCH_AHEAD < n)
            PREFETCH(&t->rating[order2[i + PREFETCH_AHEAD]]);
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

/* ------------------------------------------------------------------ loaders */

typedef struct loaded_file { char *path, *data; size_t size; } loaded_file;

static int load_file(const char *dir, const char *name, loaded_file *f)
{
    f->path = join_path(dir, name);
    if (!f->path)
        return ck_fail("movielens: out of memory");
    return read_whole_file(f->path, &f->data, &f->size);
}

static void unload_file(loaded_file *f)
{
    free(f->path);
    free(f->data);
    memset(f, 0, sizeof *f);
}

static int load_ml1m(const char *dir, ml_tables *t, ck_movielens *out)
{
    loaded_file ratings = {0}, users = {0}, movies = {0};
    int rc = -1;
    if (load_file(dir, "ratings.dat", &ratings) < 0 ||
        parse_ratings(ratings.path, ratings.data, ratings.size, "::", t) < 0)
        goto done;
    unload_file(&ratings);   /* keep peak memory down */
    if (load_file(dir, "users.dat", &users) < 0 ||
        parse_users_1m(users.path, users.data, users.size, t) < 0 ||
        load_file(dir, "movies.dat", &movies) < 0 ||
        parse_movies_1m(movies.path, movies.data, movies.size, t) < 0)
        goto done;
    t->users_file = users.path;
    t->movies_file = movies.path;
    rc = prepare(t, "ml-1m", out);
done:
    unload_file(&ratings);
    unload_file(&users);
    unload_file(&movies);
    return rc;
}

static int load_ml100k(const char *dir, ml_tables *t, ck_movielens *out)
{
    loaded_file ratings = {0}, users = {0}, items = {0}, occupations = {0}, genres = {0};
    name_list *occ = malloc(sizeof *occ);
    genre_list *g = malloc(sizeof *g);
    int rc = -1;
    if (!occ || !g) {
        ck_fail("movielens: out of memory");
        goto done;
    }
    if (load_file(dir, "u.data", &ratings) < 0 ||
        parse_ratings(ratings.path, ratings.data, ratings.size, "\t", t) < 0)
        goto done;
    unload_file(&ratings);
    if (load_file(dir, "u.occupation", &occupations) < 0 ||
        parse_occupations(occupations.path, occupations.data, occupations.size, occ) < 0 ||
        load_file(dir, "u.user", &users) < 0 ||
        parse_users_100k(users.path, users.data, users.size, occ, occupations.path, t) < 0 ||
        load_file(dir, "u.genre", &genres) < 0 ||
        parse_genres(genres.path, genres.data, genres.size, g) < 0 ||
        load_file(dir, "u.item", &items) < 0 ||
        parse_items(items.path, items.data, items.size, g, t) < 0)
        goto done;
    t->users_file = users.path;
    t->movies_file = items.path;
    rc = prepare(t, "ml-100k", out);
done:
    unload_file(&ratings);
    unload_file(&users);
    unload_file(&items);
    unload_file(&occupations);
    unload_file(&genres);
    free(occ);
    free(g);
    return rc;
}

int ck_movielens_load(const char *dir, ck_movielens *out)
{
    if (!out)
        return ck_fail("movielens_load: output is NULL");
    memset(out, 0, sizeof *out);
    if (!dir)
        return ck_fail("movielens_load: directory is NULL");
    struct stat st;
    if (stat(dir, &st) != 0)
        return ck_fail("movielens: cannot open directory %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ck_fail("movielens: %s is not a directory", dir);

    char *ratings_1m = join_path(dir, "ratings.dat"), *ratings_100k = join_path(dir, "u.data");
    int is_1m = ratings_1m && file_exists(ratings_1m);
    int is_100k = ratings_100k && file_exists(ratings_100k);
    free(ratings_1m);
    free(ratings_100k);
    if (!is_1m && !is_100k)
        return ck_fail("movielens: %s has neither ratings.dat (ml-1m) nor u.data (ml-100k)", dir);

    ml_tables t = {0};
    int rc = is_1m ? load_ml1m(dir, &t, out) : load_ml100k(dir, &t, out);
    tables_free(&t);
    if (rc < 0)
        ck_movielens_free(out);
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
    ml_tables t = {0};
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
    if (alloc_users(&t, n_users, "synthetic users") < 0)
        goto done;
    user_bias = alloc_array(n_users, sizeof *user_bias);
    user_factor = alloc_array(n_users, SYN_RANK * sizeof *user_factor);
    user_weight = alloc_array(n_users, sizeof *user_weight);
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
    if (alloc_movies(&t, n_movies, "synthetic movies") < 0)
        goto done;
    movie_bias = alloc_array(n_movies, sizeof *movie_bias);
    movie_factor = alloc_array(n_movies, SYN_RANK * sizeof *movie_factor);
    movie_genre_effect = alloc_array(n_movies, sizeof *movie_genre_effect);
    movie_cumulative = alloc_array(n_movies, sizeof *movie_cumulative);
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
        t.title_at[m] = text_append(&t, title, (size_t)title_len);
        t.genres_at[m] = text_append(&t, genres, len);
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
    quota = calloc_array(n_users, sizeof *quota);
    t.rating_uid = alloc_array(n_ratings, sizeof *t.rating_uid);
    t.rating_mid = alloc_array(n_ratings, sizeof *t.rating_mid);
    t.rating = alloc_array(n_ratings, sizeof *t.rating);
    taken_by = calloc_array((int64_t)n_movies, sizeof *taken_by);
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
    rc = prepare(&t, "synthetic", out);
done:
    tables_free(&t);
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

/* ------------------------------------------------------------------ split */

int ck_movielens_split(int64_t n, double val_fraction, uint32_t seed, int64_t **train_idx,
                       int64_t *n_train, int64_t **val_idx, int64_t *n_val)
{
    if (!train_idx || !n_train || !val_idx || !n_val)
        return ck_fail("movielens_split: an output pointer is NULL");
    *train_idx = *val_idx = NULL;
    *n_train = *n_val = 0;
    if (n < 1)
        return ck_fail("movielens_split: n = %lld, need at least 1 row", (long long)n);
    if (!(val_fraction >= 0.0 && val_fraction < 1.0))
        return ck_fail("movielens_split: val_fraction = %g, must be in [0, 1)", val_fraction);
    if (n - ck_train_test_split_n_test(n, val_fraction) < 1)
        return ck_fail("movielens_split: val_fraction = %g leaves no training rows of %lld",
                       val_fraction, (long long)n);
    if (val_fraction > 0.0)
        return ck_train_test_split_indices(n, val_fraction, seed, train_idx, n_train, val_idx,
                                           n_val);
    /* no validation rows (sklearn refuses test_size 0): every row trains,
     * in the permutation's order; the empty validation list is still a
     * heap pointer, like any other */
    int64_t *all = alloc_array(n, sizeof *all), *none = alloc_array(0, sizeof *none);
    if (!all || !none) {
        free(all);
        free(none);
        return ck_fail("movielens_split: out of memory for %lld rows", (long long)n);
    }
    if (ck_train_test_split_order(n, 0, seed, all) < 0) {
        free(all);
        free(none);
        return -1;
    }
    *train_idx = all;
    *n_train = n;
    *val_idx = none;
    return 0;
}

/* ------------------------------------------------------------------ split in place */

/* Reorders the rows of a (n, width) array of 4-byte elements so that row i
 * becomes the old row order[i]. One column at a time through tmp (n), so the
 * extra memory is n elements whatever the width. */
static void reorder_rows(void *data, int64_t n, int width, const int64_t *order, uint32_t *tmp)
{
    unsigned char *bytes = data;
    const size_t row_bytes = (size_t)width * 4;
    for (int k = 0; k < width; k++) {
        unsigned char *column = bytes + (size_t)k * 4;
        for (int64_t i = 0; i < n; i++) {
            if (i + PREFETCH_AHEAD < n)
                PREFETCH(column + (size_t)order[i + PREFETCH_AHEAD] * row_bytes);
            memcpy(&tmp[i], column + (size_t)order[i] * row_bytes, 4);
        }
        for (int64_t i = 0; i < n; i++)
            memcpy(column + (size_t)i * row_bytes, &tmp[i], 4);
    }
}

static ck_tensor view_2d(ck_dtype dtype, int rows, int cols, void *data);

/* The batch of rows [first, first + n) of d, as views into d's arrays. */
static void view_rows(const ck_movielens *d, int64_t first, int64_t n, ck_movielens_batch *out)
{
    const int L = d->maxlen, rows = (int)n;
    memset(out, 0, sizeof *out);
    out->n = n;
    out->x[CK_ML_OCCUPATION] = view_2d(CK_F32, rows, 1, d->occupation + first);
    out->x[CK_ML_UID] = view_2d(CK_I32, rows, 1, d->uid + first);
    out->x[CK_ML_MID] = view_2d(CK_I32, rows, 1, d->mid + first);
    out->x[CK_ML_GENRE] = view_2d(CK_I32, rows, L, d->genre + first * L);
    out->y = view_2d(CK_F32, rows, 1, d->rating + first);
}

int ck_movielens_split_rows(ck_movielens *d, double val_fraction, uint32_t seed,
                            ck_movielens_batch *train, ck_movielens_batch *val)
{
    if (!train || !val)
        return ck_fail("movielens_split_rows: an output batch is NULL");
    memset(train, 0, sizeof *train);
    memset(val, 0, sizeof *val);
    if (!d || !d->uid)
        return ck_fail("movielens_split_rows: dataset is NULL or empty");
    int64_t n = d->n;
    if (n < 1 || n > INT_MAX)
        return ck_fail("movielens_split_rows: n = %lld rows, need 1..%d", (long long)n, INT_MAX);
    if (!(val_fraction >= 0.0 && val_fraction < 1.0))
        return ck_fail("movielens_split_rows: val_fraction = %g, must be in [0, 1)", val_fraction);
    /* the same counts and rows as ck_movielens_split */
    int64_t n_val = ck_train_test_split_n_test(n, val_fraction);
    int64_t n_train = n - n_val;
    if (n_train < 1)
        return ck_fail("movielens_split_rows: val_fraction = %g leaves no training rows of %lld",
                       val_fraction, (long long)n);
    int64_t *order = alloc_array(n, sizeof *order);   /* training rows, then validation */
    uint32_t *tmp = alloc_array(n, sizeof *tmp);
    if (!order || !tmp) {
        free(order);
        free(tmp);
        return ck_fail("movielens_split_rows: out of memory for %lld rows", (long long)n);
    }
    if (ck_train_test_split_order(n, n_val, seed, order) < 0) {
        free(order);
        free(tmp);
        return -1;
    }
    reorder_rows(d->occupation, n, 1, order, tmp);
    reorder_rows(d->uid, n, 1, order, tmp);
    reorder_rows(d->mid, n, 1, order, tmp);
    reorder_rows(d->genre, n, d->maxlen, order, tmp);
    reorder_rows(d->rating, n, 1, order, tmp);
    free(order);
    free(tmp);
    view_rows(d, 0, n_train, train);
    view_rows(d, n_train, n_val, val);
    return 0;
}

/* ------------------------------------------------------------------ gather */

static ck_tensor view_2d(ck_dtype dtype, int rows, int cols, void *data)
{
    ck_tensor v;
    memset(&v, 0, sizeof v);
    v.dtype = dtype;
    v.shape.ndim = 2;
    v.shape.d[0] = rows;
    v.shape.d[1] = cols;
    v.size = (int64_t)rows * cols;
    v.data = data;
    v.owns = 0;
    return v;
}

int ck_movielens_gather(const ck_movielens *d, const int64_t *idx, int64_t n,
                        ck_movielens_batch *out)
{
    if (!out)
        return ck_fail("movielens_gather: output is NULL");
    memset(out, 0, sizeof *out);
    if (!d || !d->uid)
        return ck_fail("movielens_gather: dataset is NULL or empty");
    if (n < 0 || n > INT_MAX || (n > 0 && !idx))
        return ck_fail("movielens_gather: invalid index list (n = %lld)", (long long)n);
    for (int64_t i = 0; i < n; i++)
        if (idx[i] < 0 || idx[i] >= d->n)
            return ck_fail("movielens_gather: index %lld at position %lld is not in [0, %lld)",
                           (long long)idx[i], (long long)i, (long long)d->n);
    const int L = d->maxlen;
    /* one block: occupation (n) | uid (n) | mid (n) | genre (n, L) | rating (n),
     * all 4-byte elements */
    float *block = alloc_array(n, (size_t)(4 + L) * 4);
    if (!block)
        return ck_fail("movielens_gather: out of memory for %lld rows", (long long)n);
    float *occupation = block;
    int32_t *uid = (int32_t *)(block + n);
    int32_t *mid = uid + n;
    int32_t *genre = mid + n;
    float *rating = (float *)(genre + n * L);
    for (int64_t i = 0; i < n; i++) {
        if (i + PREFETCH_AHEAD < n) {
            int64_t ahead = idx[i + PREFETCH_AHEAD];
            PREFETCH(&d->occupation[ahead]);
            PREFETCH(&d->uid[ahead]);
            PREFETCH(&d->mid[ahead]);
            PREFETCH(&d->genre[ahead * L]);
            PREFETCH(&d->rating[ahead]);
        }
        int64_t row = idx[i];
        occupation[i] = d->occupation[row];
        uid[i] = d->uid[row];
        mid[i] = d->mid[row];
        for (int k = 0; k < L; k++)
            genre[i * L + k] = d->genre[row * L + k];
        rating[i] = d->rating[row];
    }
    int rows = (int)n;
    out->n = n;
    out->x[CK_ML_OCCUPATION] = view_2d(CK_F32, rows, 1, occupation);
    out->x[CK_ML_UID] = view_2d(CK_I32, rows, 1, uid);
    out->x[CK_ML_MID] = view_2d(CK_I32, rows, 1, mid);
    out->x[CK_ML_GENRE] = view_2d(CK_I32, rows, L, genre);
    out->y = view_2d(CK_F32, rows, 1, rating);
    out->storage_ = block;
    return 0;
}

void ck_movielens_batch_free(ck_movielens_batch *b)
{
    if (!b)
        return;
    free(b->storage_);
    memset(b, 0, sizeof *b);
}
