/* ck_movielens_fields.h - the line and field reader shared by the MovieLens
 * parsers (internal: not installed). A file is read whole into memory and
 * walked line by line; a line is split on a separator into fields; fields
 * are checked with messages that name the file, the line and the field:
 *
 *     movielens: data/ratings.dat line 12: field 3 (rating) '7' is not in 1..5
 *
 * Field numbers in messages are 1-based, as a reader counts them. */
#ifndef CK_MOVIELENS_FIELDS_H
#define CK_MOVIELENS_FIELDS_H

#include <stddef.h>
#include <stdint.h>

/* s[0 .. len) inside a file's buffer; not NUL-terminated. */
typedef struct ck_ml_span {
    const char *s;
    size_t len;
} ck_ml_span;

/* ---- files ---- */

/* The largest MovieLens file read (each is read whole into memory); a
 * larger one is refused before a byte is read. ml-1m's largest file,
 * ratings.dat, is 24 MB for 1,000,209 ratings: 4 GiB holds about 170 times
 * as many, far beyond any MovieLens release in these formats. */
#define CK_ML_MAX_FILE_BYTES ((uint64_t)4 << 30)

/* dir/name as a heap string (free()), or NULL when out of memory. */
char *ck_ml_join_path(const char *dir, const char *name);
/* 1 if something (of any kind) is at path. */
int ck_ml_file_exists(const char *path);

/* A file of a MovieLens directory, read whole (NUL-terminated at data[size]). */
typedef struct ck_ml_file {
    char *path, *data;
    size_t size;
} ck_ml_file;

/* Reads dir/name into f with ck_io_read_regular_file. Fails (message)
 * when it cannot be opened, is not a regular file (checked without
 * blocking), is empty or larger than CK_ML_MAX_FILE_BYTES. f->path is set
 * even on failure; ck_ml_unload_file frees both. */
int ck_ml_load_file(const char *dir, const char *name, ck_ml_file *f);
void ck_ml_unload_file(ck_ml_file *f);

/* Lines in buf, counting a last line without '\n': an upper bound on the
 * rows a parser will store. */
int64_t ck_ml_count_lines(const char *buf, size_t size);

/* ---- lines ---- */

/* Walks a file's buffer line by line. */
typedef struct ck_ml_lines {
    const char *path;    /* for messages */
    const char *p, *end; /* the rest of the buffer */
    int64_t lineno;      /* 1-based number of the line last returned */
} ck_ml_lines;

ck_ml_lines ck_ml_lines_of(const ck_ml_file *f);
/* The next line without its '\n' and one trailing '\r'; 0 at the end. */
int ck_ml_next_line(ck_ml_lines *r, ck_ml_span *line);
/* 1 if the line holds nothing but spaces and tabs (such lines are skipped). */
int ck_ml_is_blank(ck_ml_span line);

/* ---- fields ---- */

/* Splits line on sep (one or more characters). Stores at most max fields in
 * fields and returns how many there are, so a wrong count can be reported. */
int ck_ml_split_fields(ck_ml_span line, const char *sep, ck_ml_span *fields, int max);
/* v without surrounding spaces and tabs. */
ck_ml_span ck_ml_trim(ck_ml_span v);
int ck_ml_span_eq(ck_ml_span a, ck_ml_span b);

/* ---- checks; each returns 0 or -1 with the message set ---- */

/* A value fit for a message, in buf (160 bytes are enough): at most 32 characters, bytes
 * outside printable ASCII as \xNN. */
const char *ck_ml_show(ck_ml_span v, char *buf, size_t cap);
/* "movielens: PATH line L: field F (NAME) 'VALUE' PROBLEM" */
int ck_ml_field_error(const ck_ml_lines *r, int field, const char *name, ck_ml_span v, const char *problem);
/* "movielens: PATH line L: expected WANT fields separated by 'SEP', found GOT" */
int ck_ml_count_error(const ck_ml_lines *r, int want, const char *sep, int got);
/* A decimal integer in [lo, hi] (optional '-', digits only). */
int ck_ml_parse_int(const ck_ml_lines *r, int field, const char *name, ck_ml_span v, int64_t lo, int64_t hi,
                    int64_t *out);
/* A user or movie id: an integer in 1..CK_ML_MAX_ID. */
int ck_ml_parse_id(const ck_ml_lines *r, int field, const char *name, ck_ml_span v, int32_t *out);
/* Text that becomes a C string (a title, a genre name) may not hold a NUL. */
int ck_ml_check_no_nul(const ck_ml_lines *r, int field, const char *name, ck_ml_span v);

#endif
