/* fm_tiny (examples/fm_tiny.c, printed by fm_tiny_step and quoted in
 * docs/fm-under-the-hood.md) against the FM worked out independently here:
 * plain loops in double over the same batch and weights, with the
 * derivatives written out by hand (g_hat = 2 (y_hat - y) / B, each field's
 * g (s - v_i), the scatter-add into embedding rows, Keras's Adam at t = 1). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "fm_tiny.h"

enum { B = FM_TINY_ROWS, K = FM_TINY_K, L = FM_TINY_GENRES, FIELDS = 4 };
/* the rows of each embedding table: ids 0..n */
enum { UIDS = FM_TINY_N_UID + 1, MIDS = FM_TINY_N_MID + 1, GENRES = FM_TINY_N_GENRE + 1 };

/* float32 forward and backward against double: a few ulps of O(1) values */
#define TOL 1e-5

typedef struct expected {
    double y_1d[B], y_2d[B], y_hat[B], loss;
    double v[B][FIELDS][K], g_v[B][FIELDS][K]; /* concat_embed_2d: value, gradient */
    /* weight gradients */
    double d_dense_1d_kernel, d_dense_1d_bias, d_embed_1d_uid[UIDS], d_embed_1d_mid[MIDS], d_embed_1d_genre[GENRES];
    double d_dense_2d_kernel[K], d_dense_2d_bias[K], d_embed_2d_uid[UIDS][K], d_embed_2d_mid[MIDS][K],
        d_embed_2d_genre[GENRES][K], d_output_kernel[2], d_output_bias;
} expected;

static const float *w(const char *name)
{
    for (int i = 0; i < fm_tiny_n_weights; i++)
        if (strcmp(fm_tiny_weights[i].name, name) == 0) return fm_tiny_weights[i].values;
    cr_assert_fail("no weight %s", name);
    return NULL;
}

/* Slot l of row r takes part in the genre mean, and with what weight. */
static double slot_weight(int r, int l, ck_genre_pool pool)
{
    if (pool == CK_GENRE_POOL_NOTEBOOK) return 1.0 / L; /* K.mean: every slot, padding too */
    int count = 0;
    for (int j = 0; j < L; j++) count += fm_tiny_genre[r][j] != 0;
    return fm_tiny_genre[r][l] != 0 ? 1.0 / count : 0.0;
}

static void work_out(expected *e, ck_genre_pool pool)
{
    memset(e, 0, sizeof *e);
    const float *k1 = w("num_dense_1d_fea4/kernel"), *b1 = w("num_dense_1d_fea4/bias");
    const float *u1 = w("cat_embed_1d_uid/embeddings"), *m1 = w("cat_embed_1d_mid/embeddings");
    const float *g1 = w("cat_embed_1d_genre/embeddings"), *k2 = w("num_dense_2d_fea3/kernel");
    const float *b2 = w("num_dense_2d_fea3/bias"), *u2 = w("cat_embed_2d_uid/embeddings");
    const float *m2 = w("cat_embed_2d_mid/embeddings"), *g2 = w("cat_embed_2d_genre/embeddings");
    const float *ko = w("fm_output/kernel"), *bo = w("fm_output/bias");
    double s[B][K];
    for (int r = 0; r < B; r++) {
        double occ = fm_tiny_occupation[r];
        int uid = fm_tiny_uid[r], mid = fm_tiny_mid[r];
        /* first order: w occ + b + user bias + movie bias + mean genre bias */
        e->y_1d[r] = occ * k1[0] + b1[0] + u1[uid] + m1[mid];
        for (int l = 0; l < L; l++) e->y_1d[r] += slot_weight(r, l, pool) * g1[fm_tiny_genre[r][l]];
        /* second order: the 4 field vectors, then all pairwise dot products
         * counted directly (not with the identity the model uses) */
        for (int f = 0; f < K; f++) {
            e->v[r][0][f] = occ * k2[f] + b2[f];
            e->v[r][1][f] = u2[uid * K + f];
            e->v[r][2][f] = m2[mid * K + f];
            for (int l = 0; l < L; l++) e->v[r][3][f] += slot_weight(r, l, pool) * g2[fm_tiny_genre[r][l] * K + f];
        }
        for (int i = 0; i < FIELDS; i++)
            for (int j = i + 1; j < FIELDS; j++)
                for (int f = 0; f < K; f++) e->y_2d[r] += e->v[r][i][f] * e->v[r][j][f];
        e->y_hat[r] = ko[0] * e->y_1d[r] + ko[1] * e->y_2d[r] + bo[0];
        e->loss += (e->y_hat[r] - fm_tiny_rating[r]) * (e->y_hat[r] - fm_tiny_rating[r]) / B;
        for (int f = 0; f < K; f++) {
            s[r][f] = 0;
            for (int i = 0; i < FIELDS; i++) s[r][f] += e->v[r][i][f];
        }
    }
    for (int r = 0; r < B; r++) {
        double occ = fm_tiny_occupation[r];
        int uid = fm_tiny_uid[r], mid = fm_tiny_mid[r];
        double g_hat = 2 * (e->y_hat[r] - fm_tiny_rating[r]) / B; /* d mean((y_hat - y)^2) / d y_hat */
        double g_1d = g_hat * ko[0], g_2d = g_hat * ko[1];
        e->d_output_kernel[0] += g_hat * e->y_1d[r];
        e->d_output_kernel[1] += g_hat * e->y_2d[r];
        e->d_output_bias += g_hat;
        e->d_dense_1d_kernel += g_1d * occ;
        e->d_dense_1d_bias += g_1d;
        e->d_embed_1d_uid[uid] += g_1d;
        e->d_embed_1d_mid[mid] += g_1d;
        for (int l = 0; l < L; l++) e->d_embed_1d_genre[fm_tiny_genre[r][l]] += slot_weight(r, l, pool) * g_1d;
        /* d y_2d / d v_i = s - v_i: the sum of the OTHER fields' vectors */
        for (int i = 0; i < FIELDS; i++)
            for (int f = 0; f < K; f++) e->g_v[r][i][f] = g_2d * (s[r][f] - e->v[r][i][f]);
        for (int f = 0; f < K; f++) {
            e->d_dense_2d_kernel[f] += e->g_v[r][0][f] * occ;
            e->d_dense_2d_bias[f] += e->g_v[r][0][f];
            e->d_embed_2d_uid[uid][f] += e->g_v[r][1][f];
            e->d_embed_2d_mid[mid][f] += e->g_v[r][2][f];
            for (int l = 0; l < L; l++)
                e->d_embed_2d_genre[fm_tiny_genre[r][l]][f] += slot_weight(r, l, pool) * e->g_v[r][3][f];
        }
    }
}

static void expect_close(double got, double want, const char *what)
{
    cr_expect(fabs(got - want) <= TOL * fmax(1.0, fabs(want)), "%s: got %.9g, want %.9g", what, got, want);
}

static void expect_grad(const fm_tiny *t, const char *name, const double *want, int n)
{
    int index;
    ck_node *node = fm_tiny_weight_node(t, name, &index);
    cr_assert_not_null(node, "no weight %s", name);
    cr_assert_eq(node->value.size, n, "%s has %lld values", name, (long long)node->value.size);
    for (int j = 0; j < n; j++) {
        char what[96];
        snprintf(what, sizeof what, "d loss / d %s[%d]", name, j);
        expect_close(t->weight_grad[index][j], want[j], what);
    }
}

static void check_pool(ck_genre_pool pool)
{
    fm_tiny t;
    cr_assert_eq(fm_tiny_run(&t, pool), 0, "%s", ck_error());
    expected e;
    work_out(&e, pool);

    const ck_node *y_1d = fm_tiny_find(&t, "fm_1d_output")->node, *y_2d = fm_tiny_find(&t, "fm_2d_output")->node;
    const ck_node *v = fm_tiny_find(&t, "concat_embed_2d")->node;
    for (int r = 0; r < B; r++) {
        expect_close(y_1d->value.f[r], e.y_1d[r], "y_1d");
        expect_close(y_2d->value.f[r], e.y_2d[r], "y_2d (pairs counted one by one)");
        expect_close(t.prediction->value.f[r], e.y_hat[r], "y_hat");
        for (int i = 0; i < FIELDS; i++)
            for (int f = 0; f < K; f++) {
                expect_close(v->value.f[(r * FIELDS + i) * K + f], e.v[r][i][f], "v_i");
                expect_close(v->grad[(r * FIELDS + i) * K + f], e.g_v[r][i][f], "g (s - v_i)");
            }
    }
    expect_close(t.loss->value.f[0], e.loss, "loss");

    expect_grad(&t, "num_dense_1d_fea4/kernel", &e.d_dense_1d_kernel, 1);
    expect_grad(&t, "num_dense_1d_fea4/bias", &e.d_dense_1d_bias, 1);
    expect_grad(&t, "cat_embed_1d_uid/embeddings", e.d_embed_1d_uid, UIDS);
    expect_grad(&t, "cat_embed_1d_mid/embeddings", e.d_embed_1d_mid, MIDS);
    expect_grad(&t, "cat_embed_1d_genre/embeddings", e.d_embed_1d_genre, GENRES);
    expect_grad(&t, "num_dense_2d_fea3/kernel", e.d_dense_2d_kernel, K);
    expect_grad(&t, "num_dense_2d_fea3/bias", e.d_dense_2d_bias, K);
    expect_grad(&t, "cat_embed_2d_uid/embeddings", &e.d_embed_2d_uid[0][0], UIDS * K);
    expect_grad(&t, "cat_embed_2d_mid/embeddings", &e.d_embed_2d_mid[0][0], MIDS * K);
    expect_grad(&t, "cat_embed_2d_genre/embeddings", &e.d_embed_2d_genre[0][0], GENRES * K);
    expect_grad(&t, "fm_output/kernel", e.d_output_kernel, 2);
    expect_grad(&t, "fm_output/bias", &e.d_output_bias, 1);

    /* the model itself agrees with the op-by-op graph, and fit's loss with both */
    cr_expect_eq(t.model_max_diff, 0.0, "ck_model_call differs by %g", t.model_max_diff);
    expect_close(t.fit_loss, e.loss, "fit's loss");

    /* Keras's Adam, t = 1: m = 0.1 g, v = 0.001 g^2,
     * lr_t = 0.001 sqrt(0.001) / 0.1, w -= lr_t m / (sqrt(v) + 1e-7) */
    const double lr_t = FM_TINY_LR * sqrt(1 - 0.999) / (1 - 0.9);
    for (int f = 0; f < K; f++) {
        double g = e.d_embed_2d_mid[FM_TINY_ADAM_ROW][f];
        double before = w(FM_TINY_ADAM_WEIGHT)[FM_TINY_ADAM_ROW * K + f];
        double after = before - lr_t * (0.1 * g) / (sqrt(0.001 * g * g) + 1e-7);
        expect_close(t.adam_grad[f], g, "Adam's g");
        expect_close(t.adam_before[f], before, "the row before the step");
        expect_close(t.adam_after[f], after, "the row after fit's Adam step");
    }
    fm_tiny_free(&t);
}

Test(fm_tiny_step, masked_mean_matches_independent_loops) { check_pool(CK_GENRE_POOL_MASKED); }

Test(fm_tiny_step, notebook_mean_matches_independent_loops) { check_pool(CK_GENRE_POOL_NOTEBOOK); }

/* The first Adam step moves a weight by almost exactly lr, whatever the size
 * of its gradient: the doc's explanation of the slow first epochs. */
Test(fm_tiny_step, first_adam_step_is_lr_times_sign)
{
    fm_tiny t;
    cr_assert_eq(fm_tiny_run(&t, CK_GENRE_POOL_MASKED), 0, "%s", ck_error());
    for (int f = 0; f < K; f++) {
        double moved = t.adam_after[f] - t.adam_before[f];
        cr_expect(fabs(fabs(moved) - FM_TINY_LR) < 1e-6, "moved %g", moved);
        cr_expect((moved > 0) == (t.adam_grad[f] < 0), "against the gradient");
    }
    fm_tiny_free(&t);
}
