/* error.c - the per-thread pending error message (see ck_error.h). */
#include "ck_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CK_ERROR_CAP 1024

static _Thread_local char pending_message[CK_ERROR_CAP];
static _Thread_local int has_pending;

const char *ck_error(void) { return has_pending ? pending_message : NULL; }

void ck_error_clear(void)
{
    has_pending = 0;
    pending_message[0] = '\0';
}

int ck_vfail(const char *fmt, va_list ap)
{
    /* The first message is the one that names the real cause: keep it. */
    if (has_pending) return -1;
    vsnprintf(pending_message, sizeof pending_message, fmt, ap);
    has_pending = 1;
    return -1;
}

int ck_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ck_vfail(fmt, ap);
    va_end(ap);
    return -1;
}

void ck_error_prefix(const char *fmt, ...)
{
    if (!has_pending) return;
    char prefix[CK_ERROR_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);

    /* Shift the message right by the prefix length (truncating at the end),
     * then copy the prefix in front. */
    size_t prefix_len = strlen(prefix), message_len = strlen(pending_message);
    if (prefix_len > CK_ERROR_CAP - 1) prefix_len = CK_ERROR_CAP - 1;
    if (prefix_len + message_len > CK_ERROR_CAP - 1) message_len = CK_ERROR_CAP - 1 - prefix_len;
    memmove(pending_message + prefix_len, pending_message, message_len);
    memcpy(pending_message, prefix, prefix_len);
    pending_message[prefix_len + message_len] = '\0';
}

const char *ck_shortest_double(double v, char *buf, int size)
{
    enum { MAX_DIGITS = 17 }; /* every double reads back from 17 significant digits */
    if (!buf || size < 1) return buf;
    for (int prec = 1; prec <= MAX_DIGITS; prec++) {
        snprintf(buf, (size_t)size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break; /* NaN never compares equal: it ends at 17 digits, "nan" */
    }
    return buf;
}
