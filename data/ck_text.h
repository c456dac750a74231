/* ck_text.h - Keras's text preprocessing: Tokenizer and pad_sequences.
 *
 * The notebook turns each movie's genre string "Animation|Children's|Comedy"
 * into three ids:
 *
 *     ck_tokenizer *tok = ck_tokenizer_new(15, '|', 1);     // num_words, split, lower
 *     ck_tokenizer_fit(tok, genre_texts, n_movies);
 *     ck_sequences seqs;
 *     ck_tokenizer_texts_to_sequences(tok, genre_texts, n_movies, &seqs);
 *     int32_t *genre = ck_pad_sequences(&seqs, 3, CK_PAD_POST, CK_PAD_PRE, 0);
 *     // genre (n_movies, 3): "Animation|Children's|Comedy" -> [9, 2, 0] on ml-1m
 *     // (animation has index 15 >= num_words, so it is dropped)
 *
 * Semantics (keras.preprocessing.text.Tokenizer):
 *  - a text is lower-cased (if `lower`), every character of `filters` is
 *    replaced by `split`, then it is split on `split` and empty words dropped;
 *  - fit counts words over all texts (repeated fits keep counting);
 *    word_index orders words by descending count, ties in order of first
 *    appearance, indices starting at 1;
 *  - texts_to_sequences drops words not in word_index and, when num_words > 0,
 *    words whose index is >= num_words (so at most num_words - 1 survive).
 * Differences from Keras: lower-casing is ASCII only (bytes >= 0x80 are kept
 * as they are), there is no oov_token and no char_level mode.
 * A tokenizer keeps scratch state: use one from one thread at a time. */
#ifndef CK_TEXT_H
#define CK_TEXT_H

#include <stdint.h>

typedef struct ck_tokenizer ck_tokenizer;

/* num_words <= 0: keep every word. split: the separator character (Keras's
 * default is ' '; the notebook uses '|'). lower: 1 to lower-case ASCII.
 * filters: none (the notebook's filters=''); see ck_tokenizer_set_filters. */
ck_tokenizer *ck_tokenizer_new(int num_words, char split, int lower);
void ck_tokenizer_free(ck_tokenizer *t);
/* Characters replaced by `split` before splitting (Keras's `filters`);
 * NULL or "" for none. Call before fitting. */
int ck_tokenizer_set_filters(ck_tokenizer *t, const char *filters);

/* Count the words of n texts (NUL-terminated) and rebuild word_index. */
int ck_tokenizer_fit(ck_tokenizer *t, const char *const *texts, int64_t n);

/* ---- word_index ---- */
/* Number of distinct words seen (the size of word_index). */
int ck_tokenizer_n_words(const ck_tokenizer *t);
/* The index of `word` (1-based), or 0 when the word was never seen. The word
 * is looked up as given (not lower-cased). */
int ck_tokenizer_index(const ck_tokenizer *t, const char *word);
/* The word with index i (1 <= i <= n_words), or NULL. Iterate word_index in
 * order with  for (i = 1; i <= ck_tokenizer_n_words(t); i++). */
const char *ck_tokenizer_word(const ck_tokenizer *t, int i);
/* How many times the word with index i was counted (0 if i is out of range). */
int64_t ck_tokenizer_count(const ck_tokenizer *t, int i);
/* num_words as given to ck_tokenizer_new. */
int ck_tokenizer_num_words(const ck_tokenizer *t);

/* ---- sequences: n ragged int32 lists ---- */
typedef struct ck_sequences {
    int64_t n;        /* number of sequences */
    int64_t *offsets; /* (n + 1): sequence i is ids[offsets[i] .. offsets[i+1]) */
    int32_t *ids;     /* (offsets[n]) */
} ck_sequences;

/* out: the word ids of each text, in text order (Keras texts_to_sequences).
 * Free with ck_sequences_free. */
int ck_tokenizer_texts_to_sequences(const ck_tokenizer *t, const char *const *texts, int64_t n, ck_sequences *out);
void ck_sequences_free(ck_sequences *s);

/* The length of the longest sequence (Keras's maxlen=None), 0 if none. */
int64_t ck_sequences_longest(const ck_sequences *s);

/* Keras pad_sequences: returns a heap (n, maxlen) int32 array (free()), or
 * NULL (message set). maxlen >= 1. A sequence longer than maxlen loses its
 * first entries (truncating PRE, Keras's default) or its last ones (POST); a
 * shorter one is filled with `value` after its ids (padding POST) or before
 * them (PRE). */
typedef enum ck_pad_side { CK_PAD_PRE = 0, CK_PAD_POST = 1 } ck_pad_side;
int32_t *ck_pad_sequences(const ck_sequences *seqs, int maxlen, ck_pad_side padding, ck_pad_side truncating,
                          int32_t value);

#endif
