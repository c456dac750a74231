/* ck_json.h - a small JSON writer and a bounds-checked JSON reader, for the
 * model architecture that ck_save_model stores (Keras's model.to_json()).
 *
 * Writer: appends to a growable buffer; commas and colons are placed for
 * you. Floats are written with the fewest digits that read back as the same
 * float32 ("0.99", not "0.99000001").
 *     ck_json_writer w;
 *     ck_json_writer_init(&w);
 *     ck_json_begin_object(&w);
 *     ck_json_key(&w, "units"); ck_json_int(&w, 32);
 *     ck_json_end_object(&w);
 *     char *text = ck_json_writer_take(&w);   // {"units":32}, heap; NULL if out of memory
 *
 * Reader: parses text of a given length (no NUL needed) into a tree the
 * caller frees with ck_json_free. The text is treated as hostile: every read
 * is bounds-checked, nesting is limited to CK_JSON_MAX_DEPTH, strings are
 * validated (escapes, surrogate pairs, no control characters, no NUL),
 * numbers follow JSON's grammar and must be finite, and an object may not
 * name a key twice. Any violation is an error naming the byte offset. */
#ifndef CK_JSON_H
#define CK_JSON_H

#include <stddef.h>

#define CK_JSON_MAX_DEPTH 64

/* ---- writer ---- */
typedef struct ck_json_writer {
    char *text;
    size_t len, cap;
    int oom;                                    /* a growth failed: ck_json_writer_take gives NULL */
    int depth;                                  /* open objects and arrays */
    unsigned char has_items[CK_JSON_MAX_DEPTH]; /* per depth: a comma goes before the next item */
    int after_key;                              /* the next value follows "key": */
} ck_json_writer;

void ck_json_writer_init(ck_json_writer *w);
/* The text written so far (heap, NUL-terminated; the caller frees it), and
 * the writer is empty again. NULL if memory ran out at any point or an
 * object or array is still open. */
char *ck_json_writer_take(ck_json_writer *w);
void ck_json_writer_free(ck_json_writer *w);
void ck_json_begin_object(ck_json_writer *w);
void ck_json_end_object(ck_json_writer *w);
void ck_json_begin_array(ck_json_writer *w);
void ck_json_end_array(ck_json_writer *w);
void ck_json_key(ck_json_writer *w, const char *key);
void ck_json_string(ck_json_writer *w, const char *s); /* NULL writes null */
void ck_json_int(ck_json_writer *w, long long v);
void ck_json_float(ck_json_writer *w, float v);   /* shortest text that reads back as v; null if not finite */
void ck_json_double(ck_json_writer *w, double v); /* shortest text that reads back as v; null if not finite */
void ck_json_bool(ck_json_writer *w, int v);
void ck_json_null(ck_json_writer *w);

/* ---- reader ---- */
typedef enum ck_json_type {
    CK_JSON_NULL = 0,
    CK_JSON_BOOL,
    CK_JSON_NUMBER,
    CK_JSON_STRING,
    CK_JSON_ARRAY,
    CK_JSON_OBJECT
} ck_json_type;

/* A parsed value. Read its fields directly or through the helpers below. */
typedef struct ck_json {
    ck_json_type type;
    int boolean;            /* CK_JSON_BOOL */
    double number;          /* CK_JSON_NUMBER */
    char *string;           /* CK_JSON_STRING: decoded UTF-8, NUL-terminated */
    int n;                  /* CK_JSON_ARRAY / CK_JSON_OBJECT: elements or members */
    struct ck_json **items; /* their values, in text order */
    char **keys;            /* CK_JSON_OBJECT: the members' keys */
} ck_json;

/* Parse exactly one JSON value filling text[0, n) (whitespace around it is
 * allowed). NULL with a message ("json: expected ':' at byte 12") on error. */
ck_json *ck_json_parse(const char *text, size_t n);
void ck_json_free(ck_json *v);
/* The member `key` of an object, or NULL (absent, or v is not an object). */
const ck_json *ck_json_get(const ck_json *v, const char *key);
/* Element i of an array, or NULL. */
const ck_json *ck_json_at(const ck_json *v, int i);
/* The value's string if it is one, else NULL. */
const char *ck_json_as_string(const ck_json *v);
/* 1 if v is a number with an integer value in [lo, hi] (stored in *out). */
int ck_json_as_int(const ck_json *v, long long lo, long long hi, long long *out);
/* "null", "boolean", "number", "string", "array", "object" */
const char *ck_json_type_name(ck_json_type t);

#endif
