/* json_lex.c - JSON strings, numbers and literals for both readers of
 * tensor/ (json_lex.h). */
#include <stdlib.h>
#include <string.h>

#include "json_lex.h"

void ck_json_lex_ws(ck_json_lex *x)
{
    while (x->p < x->end && (*x->p == ' ' || *x->p == '\t' || *x->p == '\n' || *x->p == '\r')) x->p++;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* UTF-8 for code point cp into u; returns the length (1 to 4). */
static int utf8(unsigned cp, unsigned char u[4])
{
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | (cp >> 6));
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | (cp >> 12));
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    u[0] = (unsigned char)(0xF0 | (cp >> 18));
    u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The escape after a backslash (x->p is past the backslash): its code point. */
static int escape(ck_json_lex *x, unsigned *cp)
{
    if (x->p >= x->end) return -1;
    char e = *x->p++;
    switch (e) {
    case '"': *cp = '"'; return 0;
    case '\\': *cp = '\\'; return 0;
    case '/': *cp = '/'; return 0;
    case 'b': *cp = '\b'; return 0;
    case 'f': *cp = '\f'; return 0;
    case 'n': *cp = '\n'; return 0;
    case 'r': *cp = '\r'; return 0;
    case 't': *cp = '\t'; return 0;
    case 'u': break;
    default: return -1;
    }
    if (x->end - x->p < 4 || hex4(x->p, cp)) return -1;
    x->p += 4;
    if (*cp >= 0xDC00 && *cp <= 0xDFFF) return -1; /* a low surrogate alone */
    if (*cp >= 0xD800 && *cp <= 0xDBFF) {          /* a high one needs its low one */
        unsigned lo;
        if (x->end - x->p < 6 || x->p[0] != '\\' || x->p[1] != 'u' || hex4(x->p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
            return -1;
        x->p += 6;
        *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    return *cp == 0 ? -1 : 0;
}

const char *ck_json_lex_string(ck_json_lex *x, char **out)
{
    if (x->p >= x->end || *x->p != '"') return "expected a string";
    x->p++;
    /* the decoded text is never longer than the escaped text up to the
     * closing quote (or the end, for an unterminated string); sizing by the
     * rest of the text instead made many short strings cost its size each */
    const char *close = x->p;
    while (close < x->end && *close != '"') close += *close == '\\' && close + 1 < x->end ? 2 : 1;
    char *s = out ? malloc((size_t)((close < x->end ? close : x->end) - x->p) + 1) : NULL;
    if (out && !s) return "out of memory";
    const char *why = NULL;
    size_t n = 0;
    while (!why) {
        if (x->p >= x->end) {
            why = "unterminated string";
            break;
        }
        unsigned char c = (unsigned char)*x->p++;
        if (c == '"') break;
        if (c < 0x20) {
            why = "control character in a string";
        } else if (c != '\\') {
            if (s) s[n] = (char)c;
            n++;
        } else {
            unsigned cp;
            unsigned char u[4];
            if (escape(x, &cp)) {
                why = "bad escape in a string";
                break;
            }
            int len = utf8(cp, u);
            if (s) memcpy(s + n, u, (size_t)len);
            n += (size_t)len;
        }
    }
    if (why) {
        free(s);
        return why;
    }
    if (s) {
        s[n] = 0;
        *out = s;
    }
    return NULL;
}

static int digits(ck_json_lex *x)
{
    const char *first = x->p;
    while (x->p < x->end && *x->p >= '0' && *x->p <= '9') x->p++;
    return x->p > first ? 0 : -1;
}

const char *ck_json_lex_number(ck_json_lex *x)
{
    if (x->p < x->end && *x->p == '-') x->p++;
    if (x->p < x->end && *x->p == '0')
        x->p++;
    else if (digits(x))
        return "bad number";
    if (x->p < x->end && *x->p == '.') {
        x->p++;
        if (digits(x)) return "bad number";
    }
    if (x->p < x->end && (*x->p == 'e' || *x->p == 'E')) {
        x->p++;
        if (x->p < x->end && (*x->p == '+' || *x->p == '-')) x->p++;
        if (digits(x)) return "bad number";
    }
    return NULL;
}

int ck_json_lex_literal(ck_json_lex *x, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(x->end - x->p) < n || memcmp(x->p, word, n)) return 0;
    x->p += n;
    return 1;
}
