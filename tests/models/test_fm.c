/* The notebook's FM (models/fm.c): parameter count, summary, the 2nd-order
 * term against the explicit pairwise sum, the whole model's gradient, and a
 * short training run against the predict-the-mean baseline. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_fm.h"
#include "ck_gradcheck.h"
#include "ck_movielens.h"

static ck_session *s;
static void setup(void)
{
    s = ck_session_new(3);
    ck_error_clear();
}
static void teardown(void)
{
    ck_session_free(s);
    ck_error_clear();
}
TestSuite(fm, .init = setup, .fini = teardown);

static const float *weight(const char *layer, int i)
{
    ck_layer *l = ck_session_layer(s, layer);
    cr_assert(l, "no layer %s", layer);
    return ck_layer_weight(l, i)->value.f;
}

Test(fm, ml1m_shapes_have_210234_params_as_in_keras)
{
    ck_fm fm;
    ck_fm_config c = {.n_uid = 6040, .n_mid = 3952, .n_genre = 14, .k = 20};
    cr_assert_eq(ck_fm_model(s, &c, &fm), 0, "%s", ck_error());
    /* 1st order: Dense(1) on 1 input (2) + (6041 + 3953 + 15) x 1 embeddings */
    cr_assert_eq(ck_count_params(fm.fm_model_1d), 2 + 6041 + 3953 + 15);
    /* 2nd order: Dense(20) on 1 input (40) + (6041 + 3953 + 15) x 20 embeddings */
    cr_assert_eq(ck_count_params(fm.fm_model_2d), 40 + 20 * (6041 + 3953 + 15));
    cr_assert_eq(ck_count_params(fm.fm_model), 210234);
}

Test(fm, summary_lists_sum_of_tensors_once_with_its_three_calls)
{
    ck_fm fm;
    ck_fm_config c = {.n_uid = 6040, .n_mid = 3952, .n_genre = 14, .k = 20};
    cr_assert_eq(ck_fm_model(s, &c, &fm), 0, "%s", ck_error());
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    cr_assert_eq(ck_summary(fm.fm_model, f), 0);
    fclose(f);
    cr_assert(strstr(text, "Total params: 210,234\n"), "%s", text);
    char *row = strstr(text, "sum_of_tensors (Lambda)");
    cr_assert(row, "%s", text);
    cr_assert_null(strstr(row + 1, "sum_of_tensors (Lambda)"), "listed twice:\n%s", text);
    /* its row and the continuation rows before the next rule: the three inbound tensors */
    char *end = strstr(row, "\n____");
    cr_assert(end);
    *end = 0;
    cr_assert(strstr(row, "concat_embed_2d[0][0]"), "%s", row);
    cr_assert(strstr(row, "square_of_tensors[0][0]"), "%s", row);
    cr_assert(strstr(row, "lambda[0][0]"), "%s", row);
    free(text);
}

enum { B = 16, NU = 5, NM = 6, NG = 4, K = 3 };

/* Random inputs: occupation (B, 1), uid (B, 1), mid (B, 1), genre (B, 3)
 * with post padding, one row all padding. */
static void random_inputs(float *occ, int32_t *uid, int32_t *mid, int32_t *genre)
{
    ck_rng r;
    ck_rng_seed(&r, 11);
    for (int b = 0; b < B; b++) {
        occ[b] = (float)ck_rng_below(&r, 21);
        uid[b] = 1 + (int32_t)ck_rng_below(&r, NU);
        mid[b] = 1 + (int32_t)ck_rng_below(&r, NM);
        int n_real = b == 3 ? 0 : 1 + (int)ck_rng_below(&r, 3);
        for (int j = 0; j < 3; j++) genre[b * 3 + j] = j < n_real ? 1 + (int32_t)ck_rng_below(&r, NG) : 0;
    }
}

/* The small FM both checks below use. */
static void small_fm(ck_genre_pool pool, ck_fm *fm)
{
    ck_fm_config c = {.n_uid = NU, .n_mid = NM, .n_genre = NG, .k = K, .genre_pool = pool};
    cr_assert_eq(ck_fm_model(s, &c, fm), 0, "%s", ck_error());
}

/* The four input tensors, viewing the arrays random_inputs filled. */
static void input_views(ck_tensor x[4], float *occ, int32_t *uid, int32_t *mid, int32_t *genre)
{
    x[0] = ck_tensor_view(CK_F32, ck_shape_of(2, B, 1), occ);
    x[1] = ck_tensor_view(CK_I32, ck_shape_of(2, B, 1), uid);
    x[2] = ck_tensor_view(CK_I32, ck_shape_of(2, B, 1), mid);
    x[3] = ck_tensor_view(CK_I32, ck_shape_of(2, B, 3), genre);
}

/* sum over field pairs i < j of <v_i, v_j>, written the slow, obvious way */
static void check_second_order(ck_genre_pool pool)
{
    ck_fm fm;
    small_fm(pool, &fm);
    float occ[B];
    int32_t uid[B], mid[B], genre[B * 3];
    random_inputs(occ, uid, mid, genre);
    ck_tensor x[4];
    input_views(x, occ, uid, mid, genre);
    ck_tensor *y2 = ck_predict(fm.fm_model_2d, x, 4, 7); /* batches of 7: 7 + 7 + 2 */
    cr_assert(y2, "%s", ck_error());

    const float *kernel = weight("num_dense_2d_fea3", 0), *bias = weight("num_dense_2d_fea3", 1);
    const float *e_uid = weight("cat_embed_2d_uid", 0), *e_mid = weight("cat_embed_2d_mid", 0);
    const float *e_genre = weight("cat_embed_2d_genre", 0);
    for (int b = 0; b < B; b++) {
        double v[4][K];
        int n_real = 0;
        for (int j = 0; j < 3; j++) n_real += genre[b * 3 + j] != 0;
        for (int k = 0; k < K; k++) {
            v[0][k] = occ[b] * kernel[k] + bias[k];
            v[1][k] = e_uid[uid[b] * K + k];
            v[2][k] = e_mid[mid[b] * K + k];
            double sum = 0;
            for (int j = 0; j < 3; j++)
                if (pool == CK_GENRE_POOL_NOTEBOOK || genre[b * 3 + j] != 0) sum += e_genre[genre[b * 3 + j] * K + k];
            int count = pool == CK_GENRE_POOL_NOTEBOOK ? 3 : n_real;
            v[3][k] = count ? sum / count : 0.0;
        }
        double expect = 0;
        for (int i = 0; i < 4; i++)
            for (int j = i + 1; j < 4; j++)
                for (int k = 0; k < K; k++) expect += v[i][k] * v[j][k];
        cr_assert_float_eq(y2->f[b], expect, 1e-4 + 1e-4 * fabs(expect), "row %d: %g vs %g", b, y2->f[b], expect);
    }
    ck_tensor_free(y2);
}

Test(fm, second_order_equals_pairwise_sum_masked) { check_second_order(CK_GENRE_POOL_MASKED); }
Test(fm, second_order_equals_pairwise_sum_notebook) { check_second_order(CK_GENRE_POOL_NOTEBOOK); }

typedef struct fm_data {
    ck_model *model;
    ck_tensor x[4];
} fm_data;

static ck_node *fm_output(ck_tape *t, ck_node *const *weights, int n, void *user)
{
    (void)weights;
    (void)n; /* the weights are the model's own parameter nodes */
    fm_data *d = user;
    ck_node *in[4];
    for (int i = 0; i < 4; i++) in[i] = ck_const(t, &d->x[i]);
    return ck_model_call(d->model, t, in, 4, 0);
}

static void check_fm_gradient(ck_genre_pool pool)
{
    ck_fm fm;
    small_fm(pool, &fm);
    float occ[B];
    int32_t uid[B], mid[B], genre[B * 3];
    random_inputs(occ, uid, mid, genre);
    for (int b = 0; b < B; b++) occ[b] /= 20.0f; /* keep the Dense's output O(1) for float differences */
    fm_data d = {.model = fm.fm_model};
    input_views(d.x, occ, uid, mid, genre);
    int n = ck_model_n_weights(fm.fm_model);
    cr_assert_eq(n, 12);
    ck_node *w[12];
    for (int i = 0; i < n; i++) w[i] = ck_model_weight(fm.fm_model, i);
    ck_gradcheck_result r;
    cr_assert_eq(ck_gradcheck(fm_output, &d, w, n, 0, 0, 0, &r), 0, "%s", ck_error());
    cr_assert(r.ok, "input %d index %ld: analytic %g numeric %g (%ld of %ld failed)", r.worst_input, r.worst_index,
              r.worst_analytic, r.worst_numeric, r.n_failed, r.n_checked);
    cr_assert_eq(r.n_checked, (long)ck_count_params(fm.fm_model));
}

Test(fm, whole_model_passes_gradcheck_masked) { check_fm_gradient(CK_GENRE_POOL_MASKED); }
Test(fm, whole_model_passes_gradcheck_notebook) { check_fm_gradient(CK_GENRE_POOL_NOTEBOOK); }

Test(fm, short_training_on_generated_data_beats_the_mean)
{
    ck_movielens d;
    ck_movielens_batch tr_rows, va_rows;
    int64_t *tr, *va, n_tr, n_va;
    cr_assert_eq(ck_movielens_synthetic(5, 400, 300, 40000, &d), 0, "%s", ck_error());
    cr_assert_eq(ck_movielens_split(d.n, 0.2, 7, &tr, &n_tr, &va, &n_va), 0);
    cr_assert_eq(ck_movielens_gather(&d, tr, n_tr, &tr_rows), 0);
    cr_assert_eq(ck_movielens_gather(&d, va, n_va, &va_rows), 0);

    /* baseline: predict the training mean for every validation row */
    double mean = 0, base = 0;
    for (int64_t i = 0; i < n_tr; i++) mean += tr_rows.y.f[i];
    mean /= (double)n_tr;
    for (int64_t i = 0; i < n_va; i++) base += (va_rows.y.f[i] - mean) * (va_rows.y.f[i] - mean);
    base /= (double)n_va;

    ck_fm fm;
    ck_fm_config c = {.n_uid = d.n_uid, .n_mid = d.n_mid, .n_genre = d.n_genre, .k = 8};
    cr_assert_eq(ck_fm_model(s, &c, &fm), 0, "%s", ck_error());
    cr_assert_eq(ck_compile(fm.fm_model, "mse", ck_Adam(0.01f), NULL, 0), 0);
    ck_history *h = ck_fit(fm.fm_model, tr_rows.x, 4, &tr_rows.y,
                           CK_FIT_ARGS(.epochs = 8, .batch_size = 256, .shuffle = true, .val_x = va_rows.x,
                                       .val_y = &va_rows.y, .verbose = 0));
    cr_assert(h, "%s", ck_error());
    double best = INFINITY;
    for (int e = 0; e < h->n_epochs; e++) best = fmin(best, h->epochs[e].val_loss);
    cr_log_info("baseline %.4f, FM best val_loss %.4f", base, best);
    cr_assert_lt(best, 0.85 * base, "FM %.4f vs predict-the-mean %.4f", best, base);
    ck_history_free(h);
    ck_movielens_batch_free(&tr_rows);
    ck_movielens_batch_free(&va_rows);
    free(tr);
    free(va);
    ck_movielens_free(&d);
}

Test(fm, bad_config_is_an_error_not_a_crash)
{
    ck_fm fm;
    ck_fm_config c = {.n_uid = 0, .n_mid = 10, .n_genre = 14, .k = 20};
    cr_assert_eq(ck_fm_model(s, &c, &fm), -1);
    cr_assert_str_eq(ck_error(), "fm_model: n_uid 0, n_mid 10, n_genre 14 and k 20 must all be >= 1");
    ck_error_clear();
    cr_assert_eq(ck_fm_model(NULL, &c, &fm), -1);
    cr_assert_str_eq(ck_error(), "fm_model: NULL session");
}
