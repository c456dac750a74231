/* ck_error.h - the library's error API.
 *
 * Every call that can fail returns NULL (pointers) or -1 (ints) and leaves a
 * readable message, e.g.
 *     add: shapes (2048, 20) and (2048, 21) do not broadcast
 * Only the FIRST message is kept until ck_error_clear(): a NULL input to an op
 * gives a NULL output without overwriting it, so one check after building a
 * whole graph or model is enough:
 *
 *     ck_node *y = ck_add(t, ck_matmul(t, x, w), b);
 *     if (!y) { fprintf(stderr, "%s\n", ck_error()); ck_error_clear(); }
 *
 * The message is per thread. Nothing in the library aborts, exits or asserts
 * on user input. */
#ifndef CK_ERROR_H
#define CK_ERROR_H

#include <stdarg.h>

/* The pending message, or NULL when there is none. */
const char *ck_error(void);
/* Forget the pending message (call after handling an error). */
void ck_error_clear(void);
/* Set the message (printf-style) unless one is already pending. Always
 * returns -1 so callers can write `return ck_fail(...)`. */
int ck_fail(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
int ck_vfail(const char *fmt, va_list ap);
/* Prefix the pending message with context ("layer 'dense_1' (Dense): ...").
 * Does nothing when no message is pending. */
void ck_error_prefix(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* The shortest text that reads back as the same double (as Python's
 * repr prints it: 0.9999999, not 1), in buf; returns buf. Values in
 * messages and metadata use it, so what is printed is what was meant. */
enum { CK_DOUBLE_TEXT = 32 }; /* bytes enough for any double */
const char *ck_shortest_double(double v, char *buf, int size);

#endif
