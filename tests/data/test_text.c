/* Keras Tokenizer and pad_sequences: word order, cutoff, lower-casing,
 * padding and truncation, checked against hand-counted examples. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_error.h"
#include "ck_text.h"

/* word_index as "word=index ..." for compact comparisons */
static void word_index_str(const ck_tokenizer *t, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 1; i <= ck_tokenizer_n_words(t); i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s=%d", i > 1 ? " " : "", ck_tokenizer_word(t, i),
                              ck_tokenizer_index(t, ck_tokenizer_word(t, i)));
}

static void expect_seq(const ck_sequences *s, int64_t i, const int32_t *want, int64_t len)
{
    cr_assert_eq(s->offsets[i + 1] - s->offsets[i], len, "sequence %lld has length %lld, want %lld", (long long)i,
                 (long long)(s->offsets[i + 1] - s->offsets[i]), (long long)len);
    for (int64_t k = 0; k < len; k++)
        cr_expect_eq(s->ids[s->offsets[i] + k], want[k], "sequence %lld [%lld]", (long long)i, (long long)k);
}

Test(tokenizer, ties_keep_first_seen_order)
{
    /* counts: b 2, a 2, c 2, d 1; first seen b, a, c, d */
    const char *texts[] = {"b|a", "a|c", "c|b|d"};
    ck_tokenizer *t = ck_tokenizer_new(0, '|', 1);
    cr_assert_not_null(t);
    cr_assert_eq(ck_tokenizer_fit(t, texts, 3), 0);
    char buf[256];
    word_index_str(t, buf, sizeof buf);
    cr_expect_str_eq(buf, "b=1 a=2 c=3 d=4");
    cr_expect_eq(ck_tokenizer_count(t, 1), 2);
    cr_expect_eq(ck_tokenizer_count(t, 4), 1);
    cr_expect_eq(ck_tokenizer_count(t, 5), 0);
    cr_expect_null(ck_tokenizer_word(t, 0));
    cr_expect_null(ck_tokenizer_word(t, 5));
    cr_expect_eq(ck_tokenizer_index(t, "zzz"), 0);
    ck_tokenizer_free(t);
}

Test(tokenizer, higher_count_first)
{
    /* the ml-1m-like case: drama 3, comedy 2, action 1, animation 1 */
    const char *texts[] = {"Animation|Comedy", "Drama", "Comedy|Drama", "Action|Drama"};
    ck_tokenizer *t = ck_tokenizer_new(15, '|', 1);
    cr_assert_eq(ck_tokenizer_fit(t, texts, 4), 0);
    char buf[256];
    word_index_str(t, buf, sizeof buf);
    cr_expect_str_eq(buf, "drama=1 comedy=2 animation=3 action=4");
    cr_expect_eq(ck_tokenizer_n_words(t), 4);
    cr_expect_eq(ck_tokenizer_num_words(t), 15);
    ck_tokenizer_free(t);
}

/* lower=True lower-cases exactly 'A'..'Z' (both ends), and leaves '@' and
 * '[' (the bytes just outside) alone */
Test(tokenizer, lower_covers_a_to_z_inclusive)
{
    const char *texts[] = {"AZ|az|Az|aZ", "@[|@["};
    ck_tokenizer *t = ck_tokenizer_new(0, '|', 1);
    cr_assert_eq(ck_tokenizer_fit(t, texts, 2), 0);
    cr_expect_eq(ck_tokenizer_n_words(t), 2);
    cr_expect_eq(ck_tokenizer_index(t, "az"), 1);
    cr_expect_eq(ck_tokenizer_count(t, 1), 4);
    cr_expect_eq(ck_tokenizer_index(t, "@["), 2);
    cr_expect_eq(ck_tokenizer_count(t, 2), 2);
    ck_tokenizer_free(t);
}

Test(tokenizer, lower_and_case_sensitive)
{
    const char *texts[] = {"Drama|DRAMA|drama", "Sci-Fi"};
    ck_tokenizer *lower = ck_tokenizer_new(0, '|', 1);
    cr_assert_eq(ck_tokenizer_fit(lower, texts, 2), 0);
    cr_expect_eq(ck_tokenizer_n_words(lower), 2);
    cr_expect_eq(ck_tokenizer_index(lower, "drama"), 1);
    cr_expect_eq(ck_tokenizer_count(lower, 1), 3);
    cr_expect_eq(ck_tokenizer_index(lower, "sci-fi"), 2);
    cr_expect_eq(ck_tokenizer_index(lower, "Drama"), 0); /* lookups are as given */

    ck_tokenizer *exact = ck_tokenizer_new(0, '|', 0);
    cr_assert_eq(ck_tokenizer_fit(exact, texts, 2), 0);
    char buf[256];
    word_index_str(exact, buf, sizeof buf);
    cr_expect_str_eq(buf, "Drama=1 DRAMA=2 drama=3 Sci-Fi=4");
    ck_tokenizer_free(lower);
    ck_tokenizer_free(exact);
}

Test(tokenizer, num_words_drops_index_at_or_above)
{
    /* a 4, b 3, c 2, d 1 -> a=1 b=2 c=3 d=4; num_words 3 keeps only 1 and 2 */
    const char *texts[] = {"a|b|c|d", "a|b|c", "a|b", "a", "d|c|b|a|e"};
    ck_tokenizer *t = ck_tokenizer_new(3, '|', 1);
    cr_assert_eq(ck_tokenizer_fit(t, texts, 4), 0); /* the fifth text is not fitted */
    ck_sequences s;
    cr_assert_eq(ck_tokenizer_texts_to_sequences(t, texts, 5, &s), 0);
    cr_assert_eq(s.n, 5);
    expect_seq(&s, 0, (int32_t[]){1, 2}, 2);
    expect_seq(&s, 1, (int32_t[]){1, 2}, 2);
    expect_seq(&s, 2, (int32_t[]){1, 2}, 2);
    expect_seq(&s, 3, (int32_t[]){1}, 1);
    expect_seq(&s, 4, (int32_t[]){2, 1}, 2); /* 'e' is unknown, d and c cut */
    ck_sequences_free(&s);
    ck_tokenizer_free(t);
}

Test(tokenizer, empty_words_and_texts)
{
    const char *texts[] = {"||a||", "", "|", "b|a"};
    ck_tokenizer *t = ck_tokenizer_new(0, '|', 1);
    cr_assert_eq(ck_tokenizer_fit(t, texts, 4), 0);
    cr_expect_eq(ck_tokenizer_n_words(t), 2);
    ck_sequences s;
    cr_assert_eq(ck_tokenizer_texts_to_sequences(t, texts, 4, &s), 0);
    expect_seq(&s, 0, (int32_t[]){1}, 1);
    expect_seq(&s, 1, NULL, 0);
    expect_seq(&s, 2, NULL, 0);
    expect_seq(&s, 3, (int32_t[]){2, 1}, 2);
    cr_expect_eq(ck_sequences_longest(&s), 2);
    ck_sequences_free(&s);
    ck_tokenizer_free(t);
}

Test(tokenizer, filters_become_separators)
{
    /* Keras-style sentence tokenizing: split ' ', filters ",." */
    const char *texts[] = {"The cat, the hat.", "A cat"};
    ck_tokenizer *t = ck_tokenizer_new(0, ' ', 1);
    cr_assert_eq(ck_tokenizer_set_filters(t, ",."), 0);
    cr_assert_eq(ck_tokenizer_fit(t, texts, 2), 0);
    char buf[256];
    word_index_str(t, buf, sizeof buf);
    cr_expect_str_eq(buf, "the=1 cat=2 hat=3 a=4");
    ck_tokenizer_free(t);
}

Test(tokenizer, repeated_fit_accumulates)
{
    const char *first[] = {"x|y"}, *second[] = {"y|z", "z"};
    ck_tokenizer *t = ck_tokenizer_new(0, '|', 1);
    cr_assert_eq(ck_tokenizer_fit(t, first, 1), 0);
    char buf[256];
    word_index_str(t, buf, sizeof buf);
    cr_expect_str_eq(buf, "x=1 y=2");
    cr_assert_eq(ck_tokenizer_fit(t, second, 2), 0); /* x 1, y 2, z 2 */
    word_index_str(t, buf, sizeof buf);
    cr_expect_str_eq(buf, "y=1 z=2 x=3");
    ck_tokenizer_free(t);
}

Test(tokenizer, long_words_are_kept_whole)
{
    size_t n = 100000;
    char *text = malloc(2 * n + 2);
    memset(text, 'q', n);
    text[n] = '|';
    memset(text + n + 1, 'r', n);
    text[2 * n + 1] = '\0';
    const char *texts[] = {text};
    ck_tokenizer *t = ck_tokenizer_new(0, '|', 1);
    cr_assert_eq(ck_tokenizer_fit(t, texts, 1), 0);
    cr_assert_eq(ck_tokenizer_n_words(t), 2);
    cr_expect_eq(strlen(ck_tokenizer_word(t, 1)), n);
    cr_expect_eq(ck_tokenizer_word(t, 2)[n - 1], 'r');
    ck_tokenizer_free(t);
    free(text);
}

Test(tokenizer, errors)
{
    cr_expect_null(ck_tokenizer_new(0, '\0', 1));
    cr_expect_str_eq(ck_error(), "tokenizer: the split character must not be NUL");
    ck_error_clear();
    ck_tokenizer *t = ck_tokenizer_new(0, '|', 1);
    const char *texts[] = {"a", NULL};
    cr_expect_eq(ck_tokenizer_fit(t, texts, 2), -1);
    cr_expect_str_eq(ck_error(), "tokenizer_fit: text 1 is NULL");
    ck_error_clear();
    ck_sequences s;
    cr_expect_eq(ck_tokenizer_texts_to_sequences(NULL, texts, 1, &s), -1);
    cr_expect_str_eq(ck_error(), "texts_to_sequences: tokenizer is NULL");
    cr_expect_null(s.ids);
    ck_error_clear();
    ck_tokenizer_free(t);
}

/* ---- pad_sequences ---- */

static ck_sequences make_seqs(void)
{
    /* [1 2 3 4 5], [6], [], [7 8 9] */
    static int64_t offsets[] = {0, 5, 6, 6, 9};
    static int32_t ids[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    return (ck_sequences){4, offsets, ids};
}

static void expect_rows(const int32_t *x, const int32_t *want, int n)
{
    for (int i = 0; i < n; i++) cr_expect_eq(x[i], want[i], "cell %d: %d, want %d", i, x[i], want[i]);
}

Test(pad_sequences, post_padding_pre_truncating) /* the notebook's call */
{
    ck_sequences s = make_seqs();
    int32_t *x = ck_pad_sequences(&s, 3, CK_PAD_POST, CK_PAD_PRE, 0);
    cr_assert_not_null(x);
    expect_rows(x, (int32_t[]){3, 4, 5, 6, 0, 0, 0, 0, 0, 7, 8, 9}, 12);
    free(x);
}

Test(pad_sequences, pre_padding_post_truncating_value)
{
    ck_sequences s = make_seqs();
    int32_t *x = ck_pad_sequences(&s, 4, CK_PAD_PRE, CK_PAD_POST, -1);
    cr_assert_not_null(x);
    expect_rows(x, (int32_t[]){1, 2, 3, 4, -1, -1, -1, 6, -1, -1, -1, -1, -1, 7, 8, 9}, 16);
    free(x);
}

Test(pad_sequences, keras_defaults_pre_pre)
{
    ck_sequences s = make_seqs();
    int32_t *x = ck_pad_sequences(&s, 2, CK_PAD_PRE, CK_PAD_PRE, 0);
    cr_assert_not_null(x);
    expect_rows(x, (int32_t[]){4, 5, 0, 6, 0, 0, 8, 9}, 8);
    free(x);
    cr_expect_eq(ck_sequences_longest(&s), 5);
}

Test(pad_sequences, errors)
{
    ck_sequences s = make_seqs();
    cr_expect_null(ck_pad_sequences(&s, 0, CK_PAD_POST, CK_PAD_PRE, 0));
    cr_expect_str_eq(ck_error(), "pad_sequences: maxlen = 0, must be >= 1");
    ck_error_clear();
    cr_expect_null(ck_pad_sequences(NULL, 3, CK_PAD_POST, CK_PAD_PRE, 0));
    cr_expect_str_eq(ck_error(), "pad_sequences: sequences are NULL or invalid");
    ck_error_clear();
    int64_t bad_offsets[] = {0, 3, 1};
    int32_t ids[] = {1, 2, 3};
    ck_sequences bad = {2, bad_offsets, ids};
    cr_expect_null(ck_pad_sequences(&bad, 3, CK_PAD_POST, CK_PAD_PRE, 0));
    cr_expect_str_eq(ck_error(), "pad_sequences: offsets of sequence 1 are not increasing");
    ck_error_clear();
}

Test(pad_sequences, tokenizer_to_padded_ids)
{
    /* ml-1m's first movies: with num_words 15 animation (index 15) is dropped */
    const char *texts[] = {"Animation|Children's|Comedy", "Adventure|Children's|Fantasy", "Comedy|Romance"};
    ck_tokenizer *t = ck_tokenizer_new(3, '|', 1); /* children's=1 comedy=2 kept */
    cr_assert_eq(ck_tokenizer_fit(t, texts, 3), 0);
    char buf[256];
    word_index_str(t, buf, sizeof buf);
    cr_expect_str_eq(buf, "children's=1 comedy=2 animation=3 adventure=4 fantasy=5 romance=6");
    ck_sequences s;
    cr_assert_eq(ck_tokenizer_texts_to_sequences(t, texts, 3, &s), 0);
    int32_t *x = ck_pad_sequences(&s, 3, CK_PAD_POST, CK_PAD_PRE, 0);
    expect_rows(x, (int32_t[]){1, 2, 0, 1, 0, 0, 2, 0, 0}, 9);
    free(x);
    ck_sequences_free(&s);
    ck_tokenizer_free(t);
}
