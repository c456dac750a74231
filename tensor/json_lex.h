/* json_lex.h - the JSON lexing that tensor/'s two JSON readers share (not
 * installed): json_read.c builds a tree (model configs), safetensors.c
 * streams a header without building one, so that a hostile 100 MB header
 * costs no memory beyond the tensors it describes.
 *
 * A lexer is a (start, p, end) triple over text that need not be
 * NUL-terminated; every read checks p < end first. The functions return NULL
 * on success and otherwise a short description of what is wrong ("bad escape
 * in a string"), leaving the caller to say where (x->p - x->start). */
#ifndef CK_JSON_LEX_H
#define CK_JSON_LEX_H

typedef struct ck_json_lex {
    const char *start, *p, *end;
} ck_json_lex;

/* Past spaces, tabs and line ends. */
void ck_json_lex_ws(ck_json_lex *x);

/* The string whose opening quote is at x->p, decoded into a fresh heap C
 * string (UTF-8) in *out, or only skipped when out is NULL. Refuses control
 * characters, bad escapes, lone surrogates and an escaped NUL (which would
 * cut the C string short). */
const char *ck_json_lex_string(ck_json_lex *x, char **out);

/* Past a number of JSON's grammar, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?,
 * starting at x->p; its text is what x->p moved over. */
const char *ck_json_lex_number(ck_json_lex *x);

/* Past `word` (true, false, null) if the text at x->p is it: 1, else 0. */
int ck_json_lex_literal(ck_json_lex *x, const char *word);

#endif
