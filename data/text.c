/* text.c - Keras Tokenizer and pad_sequences; see ck_text.h. */
#include "ck_text.h"

#include <stdlib.h>
#include <string.h>

#include <stb_ds.h>

#include "ck_error.h"

typedef struct word_slot {
    char *key;
    int value;
} word_slot; /* word -> slot */

struct ck_tokenizer {
    int num_words;
    char split;
    int lower;
    unsigned char is_filter[256]; /* 1: byte is replaced by `split` */
    word_slot *slot_of;           /* stb_ds string map */
    /* words in order of first appearance ("slots") */
    char **words;       /* stb_ds array */
    int64_t *counts;    /* stb_ds array, parallel to words */
    int *index_of_slot; /* (n) 1-based word_index of each slot */
    int *slot_of_index; /* (n + 1) slot of word_index i; [0] unused */
    /* scratch for assembling one word (grown, never a fixed size) */
    char *word;
    size_t word_cap;
};

ck_tokenizer *ck_tokenizer_new(int num_words, char split, int lower)
{
    if (split == '\0') {
        ck_fail("tokenizer: the split character must not be NUL");
        return NULL;
    }
    ck_tokenizer *t = calloc(1, sizeof *t);
    if (!t) {
        ck_fail("tokenizer: out of memory");
        return NULL;
    }
    t->num_words = num_words > 0 ? num_words : 0;
    t->split = split;
    t->lower = lower != 0;
    sh_new_strdup(t->slot_of);
    return t;
}

void ck_tokenizer_free(ck_tokenizer *t)
{
    if (!t) return;
    shfree(t->slot_of);
    arrfree(t->words); /* the strings are owned by slot_of (strdup mode) */
    arrfree(t->counts);
    free(t->index_of_slot);
    free(t->slot_of_index);
    free(t->word);
    free(t);
}

int ck_tokenizer_set_filters(ck_tokenizer *t, const char *filters)
{
    if (!t) return ck_fail("tokenizer_set_filters: tokenizer is NULL");
    memset(t->is_filter, 0, sizeof t->is_filter);
    for (const unsigned char *c = (const unsigned char *)(filters ? filters : ""); *c; c++) t->is_filter[*c] = 1;
    return 0;
}

/* The byte as the tokenizer sees it: lower-cased, filters mapped to split. */
static unsigned char normalize(const ck_tokenizer *t, unsigned char c)
{
    if (t->lower && c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
    if (t->is_filter[c]) c = (unsigned char)t->split;
    return c;
}

static int ensure_word_cap(ck_tokenizer *t, size_t need)
{
    if (need <= t->word_cap) return 0;
    size_t cap = t->word_cap ? t->word_cap : 32;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) return ck_fail("tokenizer: word too long");
        cap *= 2;
    }
    char *w = realloc(t->word, cap);
    if (!w) return ck_fail("tokenizer: out of memory for a word of %zu bytes", need);
    t->word = w;
    t->word_cap = cap;
    return 0;
}

/* Calls on_word(t, ctx) for each non-empty word of text, the word being in
 * t->word (NUL-terminated). Returns -1 if on_word does. */
static int for_each_word(ck_tokenizer *t, const char *text, int (*on_word)(ck_tokenizer *t, void *ctx), void *ctx)
{
    const unsigned char *p = (const unsigned char *)text;
    const unsigned char sep = (unsigned char)t->split;
    while (*p) {
        while (*p && normalize(t, *p) == sep) p++;
        const unsigned char *start = p;
        while (*p && normalize(t, *p) != sep) p++;
        size_t len = (size_t)(p - start);
        if (len == 0) break;
        if (ensure_word_cap(t, len + 1) < 0) return -1;
        for (size_t k = 0; k < len; k++) t->word[k] = (char)normalize(t, start[k]);
        t->word[len] = '\0';
        if (on_word(t, ctx) < 0) return -1;
    }
    return 0;
}

static int count_word(ck_tokenizer *t, void *ctx)
{
    (void)ctx;
    ptrdiff_t at = shgeti(t->slot_of, t->word);
    if (at >= 0) {
        t->counts[t->slot_of[at].value]++;
        return 0;
    }
    if (arrlen(t->words) >= 0x7fffffff - 1) return ck_fail("tokenizer: more than 2^31 distinct words");
    int slot = (int)arrlen(t->words);
    shput(t->slot_of, t->word, slot);
    /* keep a pointer to the map's own copy of the key */
    arrput(t->words, t->slot_of[shgeti(t->slot_of, t->word)].key);
    arrput(t->counts, 1);
    return 0;
}

/* word_index order: descending count, then first appearance (slot). */
typedef struct ranked_word {
    int64_t count;
    int slot;
} ranked_word;
static int by_count_then_slot(const void *a, const void *b)
{
    const ranked_word *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return (x->slot > y->slot) - (x->slot < y->slot);
}

static int rebuild_index(ck_tokenizer *t)
{
    size_t n = (size_t)arrlen(t->words);
    int *slot_of_index = malloc((n + 1) * sizeof *slot_of_index);
    int *index_of_slot = malloc((n ? n : 1) * sizeof *index_of_slot);
    ranked_word *ranked = malloc((n ? n : 1) * sizeof *ranked);
    if (!slot_of_index || !index_of_slot || !ranked) {
        free(slot_of_index);
        free(index_of_slot);
        free(ranked);
        return ck_fail("tokenizer: out of memory for %zu words", n);
    }
    for (size_t s = 0; s < n; s++) ranked[s] = (ranked_word){t->counts[s], (int)s};
    qsort(ranked, n, sizeof *ranked, by_count_then_slot);
    slot_of_index[0] = -1;
    for (size_t i = 1; i <= n; i++) {
        slot_of_index[i] = ranked[i - 1].slot;
        index_of_slot[ranked[i - 1].slot] = (int)i;
    }
    free(ranked);
    free(t->slot_of_index);
    free(t->index_of_slot);
    t->slot_of_index = slot_of_index;
    t->index_of_slot = index_of_slot;
    return 0;
}

int ck_tokenizer_fit(ck_tokenizer *t, const char *const *texts, int64_t n)
{
    if (!t) return ck_fail("tokenizer_fit: tokenizer is NULL");
    if (n < 0 || (n > 0 && !texts)) return ck_fail("tokenizer_fit: invalid texts (n = %lld)", (long long)n);
    for (int64_t i = 0; i < n; i++) {
        if (!texts[i]) return ck_fail("tokenizer_fit: text %lld is NULL", (long long)i);
        if (for_each_word(t, texts[i], count_word, NULL) < 0) return -1;
    }
    return rebuild_index(t);
}

int ck_tokenizer_n_words(const ck_tokenizer *t) { return (t && t->slot_of_index) ? (int)arrlen(t->words) : 0; }

int ck_tokenizer_num_words(const ck_tokenizer *t) { return t ? t->num_words : 0; }

int ck_tokenizer_index(const ck_tokenizer *t, const char *word)
{
    if (!t || !word || !t->index_of_slot) return 0;
    /* shgeti does not modify the map; the cast only drops const for stb_ds */
    ck_tokenizer *mt = (ck_tokenizer *)t;
    ptrdiff_t at = shgeti(mt->slot_of, word);
    return at < 0 ? 0 : t->index_of_slot[mt->slot_of[at].value];
}

const char *ck_tokenizer_word(const ck_tokenizer *t, int i)
{
    if (i < 1 || i > ck_tokenizer_n_words(t)) return NULL;
    return t->words[t->slot_of_index[i]];
}

int64_t ck_tokenizer_count(const ck_tokenizer *t, int i)
{
    if (i < 1 || i > ck_tokenizer_n_words(t)) return 0;
    return t->counts[t->slot_of_index[i]];
}

/* ---- texts_to_sequences ---- */

typedef struct seq_builder {
    int32_t *ids;
} seq_builder; /* stb_ds array */

static int append_id(ck_tokenizer *t, void *ctx)
{
    seq_builder *b = ctx;
    int index = ck_tokenizer_index(t, t->word);
    if (index == 0 || (t->num_words > 0 && index >= t->num_words)) return 0;
    arrput(b->ids, index);
    return 0;
}

int ck_tokenizer_texts_to_sequences(const ck_tokenizer *t, const char *const *texts, int64_t n, ck_sequences *out)
{
    if (!out) return ck_fail("texts_to_sequences: output is NULL");
    memset(out, 0, sizeof *out);
    if (!t) return ck_fail("texts_to_sequences: tokenizer is NULL");
    if (n < 0 || (n > 0 && !texts)) return ck_fail("texts_to_sequences: invalid texts (n = %lld)", (long long)n);
    if ((uint64_t)n >= SIZE_MAX / sizeof(int64_t) - 1)
        return ck_fail("texts_to_sequences: too many texts (%lld)", (long long)n);
    int64_t *offsets = malloc((size_t)(n + 1) * sizeof *offsets);
    if (!offsets) return ck_fail("texts_to_sequences: out of memory for %lld texts", (long long)n);
    /* the word scratch buffer is mutable state; the word_index is not touched */
    ck_tokenizer *mt = (ck_tokenizer *)t;
    seq_builder b = {NULL};
    offsets[0] = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!texts[i]) {
            free(offsets);
            arrfree(b.ids);
            return ck_fail("texts_to_sequences: text %lld is NULL", (long long)i);
        }
        if (for_each_word(mt, texts[i], append_id, &b) < 0) {
            free(offsets);
            arrfree(b.ids);
            return -1;
        }
        offsets[i + 1] = (int64_t)arrlen(b.ids);
    }
    size_t total = (size_t)offsets[n];
    int32_t *ids = malloc((total ? total : 1) * sizeof *ids);
    if (!ids) {
        free(offsets);
        arrfree(b.ids);
        return ck_fail("texts_to_sequences: out of memory for %zu ids", total);
    }
    if (total) memcpy(ids, b.ids, total * sizeof *ids);
    arrfree(b.ids);
    out->n = n;
    out->offsets = offsets;
    out->ids = ids;
    return 0;
}

void ck_sequences_free(ck_sequences *s)
{
    if (!s) return;
    free(s->offsets);
    free(s->ids);
    memset(s, 0, sizeof *s);
}

int64_t ck_sequences_longest(const ck_sequences *s)
{
    int64_t longest = 0;
    if (!s || !s->offsets) return 0;
    for (int64_t i = 0; i < s->n; i++)
        if (s->offsets[i + 1] - s->offsets[i] > longest) longest = s->offsets[i + 1] - s->offsets[i];
    return longest;
}

int32_t *ck_pad_sequences(const ck_sequences *seqs, int maxlen, ck_pad_side padding, ck_pad_side truncating,
                          int32_t value)
{
    if (!seqs || (seqs->n > 0 && (!seqs->offsets || !seqs->ids)) || seqs->n < 0) {
        ck_fail("pad_sequences: sequences are NULL or invalid");
        return NULL;
    }
    if (maxlen < 1) {
        ck_fail("pad_sequences: maxlen = %d, must be >= 1", maxlen);
        return NULL;
    }
    if ((padding != CK_PAD_PRE && padding != CK_PAD_POST) || (truncating != CK_PAD_PRE && truncating != CK_PAD_POST)) {
        ck_fail("pad_sequences: padding and truncating must be CK_PAD_PRE or CK_PAD_POST");
        return NULL;
    }
    int64_t n = seqs->n;
    if ((uint64_t)n > SIZE_MAX / sizeof(int32_t) / (size_t)maxlen) {
        ck_fail("pad_sequences: (%lld, %d) is too large", (long long)n, maxlen);
        return NULL;
    }
    size_t cells = (size_t)n * (size_t)maxlen;
    int32_t *x = malloc((cells ? cells : 1) * sizeof *x); /* x (n, maxlen) */
    if (!x) {
        ck_fail("pad_sequences: out of memory for (%lld, %d)", (long long)n, maxlen);
        return NULL;
    }
    for (size_t c = 0; c < cells; c++) x[c] = value;
    for (int64_t i = 0; i < n; i++) {
        const int32_t *s = seqs->ids + seqs->offsets[i];
        int64_t len = seqs->offsets[i + 1] - seqs->offsets[i];
        if (len < 0 || seqs->offsets[i] < 0) {
            free(x);
            ck_fail("pad_sequences: offsets of sequence %lld are not increasing", (long long)i);
            return NULL;
        }
        int64_t keep = len < maxlen ? len : maxlen;
        /* truncating PRE keeps the last `keep` ids, POST the first ones */
        const int32_t *from = truncating == CK_PAD_PRE ? s + (len - keep) : s;
        int32_t *row = x + (size_t)i * (size_t)maxlen;
        int32_t *to = padding == CK_PAD_POST ? row : row + (maxlen - keep);
        memcpy(to, from, (size_t)keep * sizeof *to);
    }
    return x;
}
