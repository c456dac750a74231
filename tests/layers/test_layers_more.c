/* Flatten, RepeatVector, Permute, Dot, GlobalAveragePooling1D and
 * GlobalMaxPooling1D: shapes, masks, errors, values worked out here, and
 * ck_gradcheck through each layer call. Also per-layer get/set_weights and
 * get_config. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ck_gradcheck.h"
#include "ck_model.h"

static ck_session *s;
static ck_tape *t;
static void setup(void)
{
    s = ck_session_new(9);
    t = ck_tape_new();
    ck_error_clear();
}
static void teardown(void)
{
    ck_tape_free(t);
    ck_session_free(s);
    ck_error_clear();
}
TestSuite(more, .init = setup, .fini = teardown);

static void expect_shape(const ck_sym *x, ck_shape want)
{
    char a[64], b[64];
    cr_assert_not_null(x, "%s", ck_error() ? ck_error() : "");
    cr_expect(ck_shape_eq(ck_sym_shape(x), want), "shape %s, want %s", ck_shape_str(ck_sym_shape(x), a, sizeof a),
              ck_shape_str(want, b, sizeof b));
}

static void expect_error(const char *part)
{
    cr_expect(ck_error() && strstr(ck_error(), part), "error '%s', want '%s'", ck_error() ? ck_error() : "(none)",
              part);
    ck_error_clear();
}

/* Run a one-input model on values (rows of the given per-sample shape). */
static ck_node *run1(ck_sym *x, ck_sym *y, ck_shape batch_shape, const float *values)
{
    ck_model *m = ck_Model(s, &x, 1, &y, 1, NULL);
    cr_assert_not_null(m, "%s", ck_error());
    ck_tensor v = ck_tensor_view(CK_F32, batch_shape, (void *)values);
    ck_node *in = ck_const(t, &v);
    ck_node *out = ck_model_call(m, t, &in, 1, 0);
    cr_assert_not_null(out, "%s", ck_error());
    return out;
}

static void expect_values(const ck_node *n, const float *want, int count)
{
    cr_assert_eq(n->value.size, count);
    for (int k = 0; k < count; k++)
        cr_expect(fabsf(n->value.f[k] - want[k]) < 1e-5f, "[%d] = %g, want %g", k, (double)n->value.f[k],
                  (double)want[k]);
}

static const float V12[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

static ck_node *row_sums(ck_tape *tape, ck_node *const *in, int n, void *user)
{
    (void)n;
    (void)user;
    return ck_sum(tape, in[0], 1, 0);
}

Test(more, flatten_repeat_vector_permute_shapes_and_values)
{
    ck_sym *x = ck_Input(s, ck_shape_of(2, 3, 2), CK_F32, "x");
    ck_layer *fl = ck_Flatten(s, NULL);
    cr_expect_str_eq(ck_layer_name(fl), "flatten");
    ck_sym *flat = ck_call1(fl, x);
    expect_shape(flat, ck_shape_of(2, -1, 6));
    expect_values(run1(x, flat, ck_shape_of(3, 2, 3, 2), V12), V12, 12);
    /* (None,) -> (None, 1) */
    ck_sym *rank1 = ck_call1(ck_Lambda(s, row_sums, NULL, NULL), flat);
    expect_shape(rank1, ck_shape_of(1, -1));
    expect_shape(ck_call1(ck_Flatten(s, NULL), rank1), ck_shape_of(2, -1, 1));

    ck_sym *v = ck_Input(s, ck_shape_of(1, 3), CK_F32, "v");
    ck_sym *rep = ck_call1(ck_RepeatVector(s, 2, NULL), v);
    expect_shape(rep, ck_shape_of(3, -1, 2, 3));
    expect_values(run1(v, rep, ck_shape_of(2, 2, 3), V12), (float[]){1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6}, 12);

    ck_sym *perm = ck_call1(ck_Permute(s, (const int[]){2, 1}, 2, NULL), x);
    expect_shape(perm, ck_shape_of(3, -1, 2, 3));
    expect_values(run1(x, perm, ck_shape_of(3, 2, 3, 2), V12), (float[]){1, 3, 5, 2, 4, 6, 7, 9, 11, 8, 10, 12}, 12);
}

Test(more, reshaping_errors)
{
    ck_sym *x = ck_Input(s, ck_shape_of(2, 3, 2), CK_F32, "x");
    cr_expect_null(ck_call1(ck_RepeatVector(s, 2, "rv"), x));
    expect_error("layer 'rv' (RepeatVector): input (None, 3, 2): expects (batch, features): 2 dims, got 3");
    cr_expect_null(ck_RepeatVector(s, 0, NULL));
    expect_error("n must be >= 1");
    cr_expect_null(ck_Permute(s, (const int[]){1, 1}, 2, NULL));
    expect_error("a permutation of 1..2");
    cr_expect_null(ck_Permute(s, (const int[]){0, 1}, 2, NULL));
    expect_error("axis 0 is the batch");
    cr_expect_null(ck_call1(ck_Permute(s, (const int[]){1}, 1, "p"), x));
    expect_error("dims has 1 axes but the input has 2 after the batch");
    cr_expect_null(ck_Reshape(s, ck_shape_of(3, 65536, 65536, 2), NULL));
    expect_error("values per sample");
}

/* ---- Dot ---- */

Test(more, dot_rank2_plain_and_cosine)
{
    ck_sym *a = ck_Input(s, ck_shape_of(1, 3), CK_F32, "a"), *b = ck_Input(s, ck_shape_of(1, 3), CK_F32, "b");
    ck_sym *pair[2] = {a, b};
    ck_sym *dot = ck_call(ck_Dot(s, 1, 1, 0, NULL), pair, 2), *cos = ck_call(ck_Dot(s, -1, -1, 1, "cos"), pair, 2);
    expect_shape(dot, ck_shape_of(2, -1, 1));
    ck_sym *outs[2] = {dot, cos};
    ck_model *m = ck_Model(s, pair, 2, outs, 2, NULL);
    cr_assert_not_null(m, "%s", ck_error());
    const float av[6] = {1, 2, 2, 3, 0, 4}, bv[6] = {2, 0, 1, -4, 1, 3};
    ck_tensor ta = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 3), (void *)av);
    ck_tensor tb = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 3), (void *)bv);
    ck_node *in[2] = {ck_const(t, &ta), ck_const(t, &tb)};
    expect_values(ck_model_call(m, t, in, 2, 0), (float[]){4, 0}, 2);
    /* cosine: 4 / (3 sqrt 5) and 0 / (5 sqrt 26) */
    ck_model *mc = ck_Model(s, pair, 2, &cos, 1, NULL);
    expect_values(ck_model_call(mc, t, in, 2, 0), (float[]){(float)(4 / (3 * sqrt(5.0))), 0}, 2);
}

Test(more, dot_rank3_pairs_of_rows)
{
    ck_sym *a = ck_Input(s, ck_shape_of(2, 2, 3), CK_F32, "a"), *b = ck_Input(s, ck_shape_of(2, 3, 3), CK_F32, "b");
    ck_sym *v = ck_Input(s, ck_shape_of(1, 2), CK_F32, "v");
    ck_sym *ab[2] = {a, b}, *av[2] = {a, v};
    ck_sym *rows = ck_call(ck_Dot(s, 2, 2, 0, NULL), ab, 2); /* (None, 2, 3) */
    ck_sym *cols = ck_call(ck_Dot(s, 1, 1, 0, NULL), ab, 2); /* axis 1: (2) vs (3) */
    cr_expect_null(cols);
    expect_error("dimension incompatibility: 2 (axis 1 of input 0) != 3 (axis 1 of input 1)");
    ck_sym *with_v = ck_call(ck_Dot(s, 1, 1, 0, NULL), av, 2); /* (None, 2, 3) . (None, 2) along 1 -> (None, 3) */
    expect_shape(rows, ck_shape_of(3, -1, 2, 3));
    expect_shape(with_v, ck_shape_of(2, -1, 3));
    const float A[6] = {1, 0, 2, -1, 1, 1}, Bv[9] = {1, 1, 1, 0, 2, 0, 3, 0, -1}, Vv[2] = {2, -1};
    ck_tensor ta = ck_tensor_view(CK_F32, ck_shape_of(3, 1, 2, 3), (void *)A);
    ck_tensor tb = ck_tensor_view(CK_F32, ck_shape_of(3, 1, 3, 3), (void *)Bv);
    ck_tensor tv = ck_tensor_view(CK_F32, ck_shape_of(2, 1, 2), (void *)Vv);
    ck_node *in_ab[2] = {ck_const(t, &ta), ck_const(t, &tb)}, *in_av[2] = {ck_const(t, &ta), ck_const(t, &tv)};
    /* rows of A against rows of B: [[3, 0, 1], [1, 2, -4]] */
    expect_values(ck_model_call(ck_Model(s, ab, 2, &rows, 1, NULL), t, in_ab, 2, 0), (float[]){3, 0, 1, 1, 2, -4}, 6);
    /* columns of A against v: 2 [1, 0, 2] - [-1, 1, 1] = [3, -1, 3] */
    expect_values(ck_model_call(ck_Model(s, av, 2, &with_v, 1, NULL), t, in_av, 2, 0), (float[]){3, -1, 3}, 3);
}

Test(more, dot_errors)
{
    ck_sym *a = ck_Input(s, ck_shape_of(1, 3), CK_F32, "a"), *c = ck_Input(s, ck_shape_of(3, 2, 2, 2), CK_F32, "c");
    cr_expect_null(ck_Dot(s, 0, 1, 0, NULL));
    expect_error("axis 0 is the batch");
    ck_sym *ac[2] = {a, c};
    cr_expect_null(ck_call(ck_Dot(s, 1, 1, 0, "d"), ac, 2));
    expect_error("input 1 has 4 dims; Dot takes inputs of 2 or 3 dims");
    cr_expect_null(ck_call(ck_Dot(s, 1, 1, 0, NULL), &a, 1));
    expect_error("expects 2 inputs, got 1");
    ck_sym *aa[2] = {a, a};
    cr_expect_null(ck_call(ck_Dot(s, 2, 1, 0, NULL), aa, 2));
    expect_error("axis 2 is out of range for input 0 of 2 dims");
}

/* ---- global pooling ---- */

Test(more, global_pooling_with_and_without_a_mask)
{
    ck_sym *ids = ck_Input(s, ck_shape_of(1, 3), CK_I32, "ids");
    ck_layer *emb = ck_Embedding(s, 4, 2, 1, NULL);
    ck_sym *e = ck_call1(emb, ids); /* (None, 3, 2), mask ids != 0 */
    ck_layer *avg_l = ck_GlobalAveragePooling1D(s, NULL), *max_l = ck_GlobalMaxPooling1D(s, NULL);
    cr_expect_str_eq(ck_layer_name(avg_l), "global_average_pooling1d");
    cr_expect_str_eq(ck_layer_name(max_l), "global_max_pooling1d");
    ck_sym *outs[2] = {ck_call1(avg_l, e), ck_call1(max_l, e)};
    expect_shape(outs[0], ck_shape_of(2, -1, 2));
    cr_expect_not(ck_sym_has_mask(outs[0]), "pooling consumes the mask");
    const float table[8] = {100, 100, 1, -2, 3, 4, -5, 6}; /* row 0 (padding) would dominate a max */
    memcpy(ck_layer_weight(emb, 0)->value.f, table, sizeof table);
    ck_model *m = ck_Model(s, &ids, 1, outs, 2, NULL);
    cr_assert_not_null(m, "%s", ck_error());
    const int32_t id_data[6] = {1, 2, 0, 0, 0, 0}; /* two real steps; none */
    ck_tensor tid = ck_tensor_view(CK_I32, ck_shape_of(2, 2, 3), (void *)id_data);
    ck_node *in = ck_const(t, &tid);
    expect_values(ck_model_call(m, t, &in, 1, 0), (float[]){2, 1, 0, 0}, 4);
    ck_sym *mx = outs[1];
    ck_model *mm = ck_Model(s, &ids, 1, &mx, 1, NULL);
    expect_values(ck_model_call(mm, t, &in, 1, 0), (float[]){3, 4, 0, 0}, 4);
    /* without a mask every step counts */
    ck_sym *f = ck_Input(s, ck_shape_of(2, 3, 2), CK_F32, "f");
    ck_sym *plain[2] = {ck_call1(ck_GlobalAveragePooling1D(s, NULL), f), ck_call1(ck_GlobalMaxPooling1D(s, NULL), f)};
    expect_values(run1(f, plain[0], ck_shape_of(3, 2, 3, 2), V12), (float[]){3, 4, 9, 10}, 4);
    expect_values(run1(f, plain[1], ck_shape_of(3, 2, 3, 2), V12), (float[]){5, 6, 11, 12}, 4);
    cr_expect_null(ck_call1(ck_GlobalMaxPooling1D(s, "g"), ck_Input(s, ck_shape_of(1, 3), CK_F32, NULL)));
    expect_error("layer 'g' (GlobalMaxPooling1D): input (None, 3): expects (batch, steps, features): 3 dims, got 2");
}

/* ---- ck_gradcheck through each layer call ---- */

typedef struct call_case {
    ck_model *m;
    int n_in;
} call_case;

static ck_node *run(ck_tape *tape, ck_node *const *in, int n, void *user)
{
    (void)n;
    call_case *c = user;
    return ck_model_call(c->m, tape, in, c->n_in, 1);
}

static void gradcheck_call(ck_layer *l, const ck_shape *shapes, int n_in, uint64_t seed)
{
    ck_rng r;
    ck_rng_seed(&r, seed);
    ck_sym *xs[2];
    ck_node *p[2];
    for (int i = 0; i < n_in; i++) {
        ck_shape per_sample = {shapes[i].ndim - 1, {0}};
        for (int d = 1; d < shapes[i].ndim; d++) per_sample.d[d - 1] = shapes[i].d[d];
        xs[i] = ck_Input(s, per_sample, CK_F32, NULL);
        ck_tensor *v = ck_tensor_uniform(shapes[i], -0.9f, 0.9f, &r);
        for (int64_t k = 0; k < v->size; k++) v->f[k] += v->f[k] >= 0 ? 0.1f : -0.1f; /* away from 0 */
        p[i] = ck_param(v, "x");
    }
    ck_sym *y = ck_call(l, xs, n_in);
    call_case c = {ck_Model(s, xs, n_in, &y, 1, NULL), n_in};
    cr_assert_not_null(c.m, "%s", ck_error());
    ck_gradcheck_result res;
    cr_assert_eq(ck_gradcheck(run, &c, p, n_in, 0, 0, 0, &res), 0, "%s", ck_error());
    cr_expect(res.ok, "%s: worst input %d [%ld]: analytic %g numeric %g", ck_layer_type(l), res.worst_input,
              res.worst_index, res.worst_analytic, res.worst_numeric);
    for (int i = 0; i < n_in; i++) ck_param_free(p[i]);
}

Test(more, gradcheck_through_the_layers)
{
    const ck_shape b3[1] = {ck_shape_of(3, 2, 3, 4)}, b2[1] = {ck_shape_of(2, 3, 4)};
    gradcheck_call(ck_Flatten(s, NULL), b3, 1, 1);
    gradcheck_call(ck_RepeatVector(s, 3, NULL), b2, 1, 2);
    gradcheck_call(ck_Permute(s, (const int[]){2, 1}, 2, NULL), b3, 1, 3);
    gradcheck_call(ck_GlobalAveragePooling1D(s, NULL), b3, 1, 4);
    gradcheck_call(ck_GlobalMaxPooling1D(s, NULL), b3, 1, 5);
    const ck_shape two2[2] = {ck_shape_of(2, 3, 4), ck_shape_of(2, 3, 4)};
    const ck_shape two3[2] = {ck_shape_of(3, 2, 3, 4), ck_shape_of(3, 2, 2, 4)};
    const ck_shape mixed[2] = {ck_shape_of(3, 2, 4, 3), ck_shape_of(2, 2, 4)};
    gradcheck_call(ck_Dot(s, 1, 1, 0, NULL), two2, 2, 6);
    gradcheck_call(ck_Dot(s, 1, 1, 1, NULL), two2, 2, 7);
    gradcheck_call(ck_Dot(s, 2, 2, 0, NULL), two3, 2, 8);
    gradcheck_call(ck_Dot(s, 2, 2, 1, NULL), two3, 2, 9);
    gradcheck_call(ck_Dot(s, 1, 1, 1, NULL), mixed, 2, 10);
}

Test(more, masked_pooling_gradients)
{
    /* through an Embedding with mask_zero: only real steps get gradient */
    ck_sym *ids = ck_Input(s, ck_shape_of(1, 3), CK_I32, "ids");
    ck_layer *emb = ck_Embedding(s, 5, 2, 1, NULL);
    ck_sym *e = ck_call1(emb, ids);
    for (int which = 0; which < 2; which++) {
        ck_layer *pool = which ? ck_GlobalMaxPooling1D(s, NULL) : ck_GlobalAveragePooling1D(s, NULL);
        ck_sym *y = ck_call1(pool, e);
        ck_model *m = ck_Model(s, &ids, 1, &y, 1, NULL);
        const int32_t id_data[6] = {1, 2, 0, 3, 3, 4};
        ck_tensor tid = ck_tensor_view(CK_I32, ck_shape_of(2, 2, 3), (void *)id_data);
        ck_node *table = ck_layer_weight(emb, 0);
        ck_zero_grad(&table, 1);
        ck_tape_reset(t);
        ck_node *in = ck_const(t, &tid);
        ck_node *out = ck_model_call(m, t, &in, 1, 1);
        cr_assert_not_null(out, "%s", ck_error());
        ck_node *loss = ck_sum(t, ck_sum(t, out, 1, 0), 0, 0);
        cr_assert_eq(ck_backward(t, loss), 0, "%s", ck_error());
        for (int k = 0; k < 2; k++) cr_expect_eq(table->grad[k], 0.0f, "row 0 is padding: no gradient");
    }
}

/* ---- get_weights / set_weights / get_config ---- */

Test(more, layer_get_and_set_weights)
{
    ck_layer *d = ck_Dense(s, 2, NULL, "d");
    int n = -1;
    cr_expect_null(ck_layer_get_weights(d, &n), "not built yet");
    cr_expect_eq(n, 0);
    cr_assert_not_null(ck_call1(d, ck_Input(s, ck_shape_of(1, 3), CK_F32, "x")));
    ck_tensor **w = ck_layer_get_weights(d, &n);
    cr_assert_eq(n, 2);
    cr_expect(ck_shape_eq(w[0]->shape, ck_shape_of(2, 3, 2)));
    cr_expect(ck_shape_eq(w[1]->shape, ck_shape_of(1, 2)));
    cr_expect_eq(memcmp(w[0]->f, ck_layer_weight(d, 0)->value.f, 6 * sizeof(float)), 0);
    w[0]->f[0] = 42.0f; /* a copy: the layer does not change */
    cr_expect_neq(ck_layer_weight(d, 0)->value.f[0], 42.0f);
    w[1]->f[1] = -3.0f;
    cr_assert_eq(ck_layer_set_weights(d, (const ck_tensor *const *)w, 2), 0, "%s", ck_error());
    cr_expect_eq(ck_layer_weight(d, 0)->value.f[0], 42.0f);
    cr_expect_eq(ck_layer_weight(d, 1)->value.f[1], -3.0f);
    /* the wrong count or shape changes nothing */
    cr_expect_eq(ck_layer_set_weights(d, (const ck_tensor *const *)w, 1), -1);
    expect_error("layer 'd' (Dense) expects 2 weights, got a list of 1");
    ck_tensor *wrong = ck_tensor_zeros(ck_shape_of(2, 2, 2));
    const ck_tensor *bad[2] = {wrong, w[1]};
    ck_layer_weight(d, 1)->value.f[0] = 7.0f;
    cr_expect_eq(ck_layer_set_weights(d, bad, 2), -1);
    expect_error("weight 'd/kernel' has shape (3, 2), the given array has shape (2, 2)");
    cr_expect_eq(ck_layer_weight(d, 1)->value.f[0], 7.0f);
    ck_tensor_free(wrong);
    ck_weights_free(w, n);
}

Test(more, configs_name_each_setting)
{
    ck_layer *layers[6] = {
        ck_Dot(s, 2, 1, 1, NULL), ck_RepeatVector(s, 3, NULL),    ck_Permute(s, (const int[]){2, 1}, 2, NULL),
        ck_Flatten(s, NULL),      ck_GlobalMaxPooling1D(s, NULL), ck_LayerNormalization_ex(s, -1, 1e-5f, 1, 0, NULL)};
    const char *want[6] = {
        "{\"name\":\"dot\",\"trainable\":true,\"dtype\":\"float32\",\"axes\":[2,1],\"normalize\":true}",
        "{\"name\":\"repeat_vector\",\"trainable\":true,\"dtype\":\"float32\",\"n\":3}",
        "{\"name\":\"permute\",\"trainable\":true,\"dtype\":\"float32\",\"dims\":[2,1]}",
        "{\"name\":\"flatten\",\"trainable\":true,\"dtype\":\"float32\",\"data_format\":\"channels_last\"}",
        "{\"name\":\"global_max_pooling1d\",\"trainable\":true,\"dtype\":\"float32\",\"data_format\":\"channels_last\","
        "\"keepdims\":false}",
        "{\"name\":\"layer_normalization\",\"trainable\":true,\"dtype\":\"float32\",\"axis\":-1,\"epsilon\":1e-05,"
        "\"center\":true,\"scale\":false,\"gamma_regularizer\":null,\"beta_regularizer\":null}",
    };
    for (int i = 0; i < 6; i++) {
        char *c = ck_layer_get_config(layers[i]);
        cr_expect_str_eq(c, want[i]);
        free(c);
    }
    ck_layer *unnamed = ck_Lambda(s, row_sums, NULL, "anon");
    cr_expect_null(ck_layer_get_config(unnamed));
    expect_error("layer 'anon' (Lambda) has a function without a name");
}

/* Inverted dropout in training (Keras's tf.nn.dropout): each value is kept
 * with probability 1 - rate and then scaled by 1 / (1 - rate), or zeroed.
 * With rate 0.25 on 4000 ones, every output is 0 or exactly 4/3, and the
 * zeroed share is 0.25 give or take 4 standard deviations (sqrt(0.25 *
 * 0.75 / 4000) = 0.007); the mean stays near 1. Outside training, x. */
Test(more, dropout_in_training_zeroes_rate_and_scales_the_rest)
{
    enum { N = 4000 };
    static float ones[N];
    for (int k = 0; k < N; k++) ones[k] = 1.0f;
    ck_sym *x = ck_Input(s, ck_shape_of(1, N), CK_F32, "x");
    ck_sym *y = ck_call1(ck_Dropout(s, 0.25f, NULL), x);
    ck_model *m = ck_Model(s, &x, 1, &y, 1, NULL);
    cr_assert_not_null(m, "%s", ck_error());
    ck_tensor v = ck_tensor_view(CK_F32, ck_shape_of(2, 1, N), ones);
    ck_node *in = ck_const(t, &v);
    ck_node *out = ck_model_call(m, t, &in, 1, 1);
    cr_assert_not_null(out, "%s", ck_error());
    int zeros = 0;
    double sum = 0;
    for (int k = 0; k < N; k++) {
        float o = out->value.f[k];
        cr_assert(o == 0.0f || o == 1.0f / 0.75f, "[%d] = %.9g: neither 0 nor 1 / (1 - rate)", k, (double)o);
        zeros += o == 0.0f;
        sum += o;
    }
    double share = (double)zeros / N;
    cr_expect(share > 0.25 - 4 * 0.007 && share < 0.25 + 4 * 0.007, "zeroed share %g, want 0.25", share);
    cr_expect(fabs(sum / N - 1.0) < 4 * 0.01, "mean %g, want about 1", sum / N);
    out = ck_model_call(m, t, &in, 1, 0);
    cr_assert_not_null(out, "%s", ck_error());
    for (int k = 0; k < N; k++) cr_assert_eq(out->value.f[k], 1.0f);
}
