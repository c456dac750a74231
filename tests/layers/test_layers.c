/* Layers: names, shapes, weights, masks, shared layers and graph-building
 * errors. Values are checked against loops written here. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ck_model.h"

static ck_session *s;
static void setup(void)
{
    s = ck_session_new(42);
    ck_error_clear();
}
static void teardown(void)
{
    ck_session_free(s);
    ck_error_clear();
}
TestSuite(layers, .init = setup, .fini = teardown);

static void expect_shape(const ck_sym *x, int ndim, const int *dims)
{
    cr_assert_not_null(x, "%s", ck_error() ? ck_error() : "");
    ck_shape sh = ck_sym_shape(x);
    cr_assert_eq(sh.ndim, ndim);
    for (int i = 0; i < ndim; i++) cr_assert_eq(sh.d[i], dims[i], "dim %d: %d != %d", i, sh.d[i], dims[i]);
}

Test(layers, keras_default_names)
{
    ck_sym *a = ck_Input(s, ck_shape_of(1, 3), CK_F32, NULL);
    ck_sym *b = ck_Input(s, ck_shape_of(1, 3), CK_F32, NULL);
    cr_assert_str_eq(ck_layer_name(ck_sym_layer(a)), "input_1");
    cr_assert_str_eq(ck_layer_name(ck_sym_layer(b)), "input_2");
    cr_assert_str_eq(ck_layer_name(ck_Dense(s, 2, NULL, NULL)), "dense");
    cr_assert_str_eq(ck_layer_name(ck_Dense(s, 2, NULL, NULL)), "dense_1");
    cr_assert_str_eq(ck_layer_name(ck_Dense(s, 2, NULL, "mine")), "mine");
    cr_assert_str_eq(ck_layer_name(ck_Dense(s, 2, NULL, NULL)), "dense_2");
    cr_assert_str_eq(ck_layer_name(ck_Embedding(s, 5, 2, 0, NULL)), "embedding");
    cr_assert_str_eq(ck_layer_name(ck_Concatenate(s, -1, NULL)), "concatenate");
    cr_assert_str_eq(ck_layer_type(ck_Add(s, NULL)), "Add");
    cr_assert_eq(ck_session_layer(s, "mine") != NULL, 1);
}

Test(layers, dense_shapes_weights_and_glorot_range)
{
    ck_sym *x = ck_Input(s, ck_shape_of(2, 4, 5), CK_F32, "x");
    ck_layer *d = ck_Dense(s, 3, "relu", NULL);
    ck_sym *y = ck_call1(d, x);
    expect_shape(y, 3, (int[]){-1, 4, 3});
    cr_assert_eq(ck_layer_n_weights(d), 2);
    cr_assert_eq(ck_layer_count_params(d), 5 * 3 + 3);
    ck_node *k = ck_layer_weight(d, 0), *b = ck_layer_weight(d, 1);
    cr_assert_str_eq(k->name, "dense/kernel");
    cr_assert_str_eq(b->name, "dense/bias");
    float limit = sqrtf(6.0f / 8.0f);
    int nonzero = 0;
    for (int i = 0; i < 15; i++) {
        cr_assert(fabsf(k->value.f[i]) <= limit);
        nonzero += k->value.f[i] != 0.0f;
    }
    cr_assert_gt(nonzero, 10);
    for (int i = 0; i < 3; i++) cr_assert_eq(b->value.f[i], 0.0f);
}

Test(layers, dense_without_bias_and_settings_errors)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, 4), CK_F32, "x");
    ck_layer *d = ck_Dense(s, 2, NULL, NULL);
    cr_assert_eq(ck_layer_set_use_bias(d, 0), 0);
    cr_assert_not_null(ck_call1(d, x));
    cr_assert_eq(ck_layer_count_params(d), 8);
    cr_assert_eq(ck_layer_set_use_bias(d, 1), -1);
    cr_assert(strstr(ck_error(), "already built"), "%s", ck_error());
    ck_error_clear();
    cr_assert_eq(ck_layer_set_use_bias(ck_Add(s, NULL), 0), -1);
    ck_error_clear();
    cr_assert_null(ck_Dense(s, 0, NULL, NULL));
    ck_error_clear();
    cr_assert_null(ck_Dense(s, 2, "swishy", NULL));
    cr_assert(strstr(ck_error(), "unknown activation 'swishy'"), "%s", ck_error());
}

Test(layers, shared_layer_reuses_weights)
{
    ck_sym *a = ck_Input(s, ck_shape_of(1, 3), CK_F32, "a");
    ck_sym *b = ck_Input(s, ck_shape_of(1, 3), CK_F32, "b");
    ck_layer *d = ck_Dense(s, 2, NULL, "shared");
    ck_sym *ya = ck_call1(d, a), *yb = ck_call1(d, b);
    cr_assert_not_null(ya);
    cr_assert_not_null(yb);
    cr_assert_eq(ck_layer_n_calls(d), 2);
    cr_assert_eq(ck_layer_n_weights(d), 2);
    /* a third call with another feature size is an error naming the layer */
    ck_sym *c = ck_Input(s, ck_shape_of(1, 4), CK_F32, "c");
    cr_assert_null(ck_call1(d, c));
    cr_assert(strstr(ck_error(), "layer 'shared' (Dense): input (None, 4): "), "%s", ck_error());
}

Test(layers, concatenate_shapes_and_error_message)
{
    ck_sym *a = ck_Input(s, ck_shape_of(2, 1, 20), CK_F32, "a");
    ck_sym *b = ck_Input(s, ck_shape_of(1, 21), CK_F32, "b");
    ck_sym *c = ck_Input(s, ck_shape_of(2, 3, 20), CK_F32, "c");
    expect_shape(ck_call(ck_Concatenate(s, 1, NULL), (ck_sym *[]){a, c}, 2), 3, (int[]){-1, 4, 20});
    cr_assert_null(ck_call(ck_Concatenate(s, 1, "concat_embed_2d"), (ck_sym *[]){a, b}, 2));
    cr_assert(strstr(ck_error(), "layer 'concat_embed_2d' (Concatenate): inputs (None, 1, 20), (None, 21): "), "%s",
              ck_error());
    ck_error_clear();
    cr_assert_null(ck_call(ck_Concatenate(s, -1, "cat2"), (ck_sym *[]){a, c}, 2));
    cr_assert(strstr(ck_error(), "layer 'cat2' (Concatenate): inputs (None, 1, 20), (None, 3, 20)"), "%s", ck_error());
}

static ck_node *sum_axis1(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    (void)user;
    return ck_sum(t, in[0], 1, 0);
}

Test(layers, lambda_rank1_output_and_reshape)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, 5), CK_F32, "x");
    ck_sym *sum = ck_call1(ck_Lambda(s, sum_axis1, NULL, "sum_of_tensors"), x);
    expect_shape(sum, 1, (int[]){-1});
    ck_sym *r = ck_call1(ck_Reshape(s, ck_shape_of(1, 1), NULL), sum);
    expect_shape(r, 2, (int[]){-1, 1});
    ck_sym *r2 = ck_call1(ck_Reshape(s, ck_shape_of(2, -1, 1), NULL), x);
    expect_shape(r2, 3, (int[]){-1, 5, 1});
    cr_assert_null(ck_call1(ck_Reshape(s, ck_shape_of(1, 4), "bad_reshape"), x));
    cr_assert(strstr(ck_error(), "layer 'bad_reshape' (Reshape): input (None, 5): cannot reshape 5 values"), "%s",
              ck_error());
}

Test(layers, merges_check_shapes_and_arity)
{
    ck_sym *a = ck_Input(s, ck_shape_of(1, 3), CK_F32, "a");
    ck_sym *b = ck_Input(s, ck_shape_of(1, 4), CK_F32, "b");
    ck_sym *one = ck_Input(s, ck_shape_of(1, 1), CK_F32, "one");
    expect_shape(ck_call(ck_Multiply(s, NULL), (ck_sym *[]){a, one}, 2), 2, (int[]){-1, 3});
    cr_assert_null(ck_call(ck_Add(s, "plus"), (ck_sym *[]){a, b}, 2));
    cr_assert(strstr(ck_error(), "layer 'plus' (Add): inputs (None, 3), (None, 4): shapes do not match on axis 1"),
              "%s", ck_error());
    ck_error_clear();
    cr_assert_null(ck_call(ck_Subtract(s, "minus"), (ck_sym *[]){a, a, a}, 3));
    cr_assert(strstr(ck_error(), "expects 2 inputs, got 3"), "%s", ck_error());
}

Test(layers, embedding_mask_flows_into_mean_pool)
{
    ck_sym *ids = ck_Input(s, ck_shape_of(1, 3), CK_I32, "genres");
    ck_layer *emb = ck_Embedding(s, 6, 2, 1, "genre_embed");
    ck_sym *e = ck_call1(emb, ids);
    expect_shape(e, 3, (int[]){-1, 3, 2});
    cr_assert(ck_sym_has_mask(e));
    ck_sym *masked = ck_call1(ck_MeanPool(s, 1, 0, CK_POOL_AUTO, "masked"), e);
    ck_sym *plain = ck_call1(ck_MeanPool(s, 1, 0, CK_POOL_PLAIN, "plain"), e);
    expect_shape(masked, 2, (int[]){-1, 2});
    cr_assert(!ck_sym_has_mask(masked));
    ck_model *m = ck_Model(s, &ids, 1, (ck_sym *[]){masked}, 1, NULL);
    ck_model *mp = ck_Model(s, &ids, 1, (ck_sym *[]){plain}, 1, NULL);
    cr_assert_not_null(m, "%s", ck_error());
    cr_assert_str_eq(ck_model_name(m), "model");
    cr_assert_str_eq(ck_model_name(mp), "model_1");
    int32_t id_data[6] = {3, 1, 0, 0, 0, 0}; /* row 1 is all padding */
    ck_tensor x = ck_tensor_view(CK_I32, ck_shape_of(2, 2, 3), id_data);
    ck_tensor *p = ck_predict(m, &x, 1, 2), *pp = ck_predict(mp, &x, 1, 2);
    cr_assert_not_null(p, "%s", ck_error());
    const float *w = ck_layer_weight(emb, 0)->value.f; /* (6, 2) */
    for (int d = 0; d < 2; d++) {
        cr_assert_float_eq(p->f[d], (w[3 * 2 + d] + w[1 * 2 + d]) / 2, 1e-6);
        cr_assert_float_eq(p->f[2 + d], 0.0f, 1e-7); /* no id: 0, not NaN */
        cr_assert_float_eq(pp->f[d], (w[6 + d] + w[2 + d] + w[d]) / 3, 1e-6);
        cr_assert_float_eq(pp->f[2 + d], w[d], 1e-6);
    }
    for (int i = 0; i < 12; i++) cr_assert(fabsf(w[i]) <= 0.05f);
    ck_tensor_free(p);
    ck_tensor_free(pp);
}

Test(layers, masked_pool_needs_a_mask)
{
    ck_sym *x = ck_Input(s, ck_shape_of(2, 3, 2), CK_F32, "x");
    cr_assert_null(ck_call1(ck_MeanPool(s, 1, 0, CK_POOL_MASKED, "mp"), x));
    cr_assert(strstr(ck_error(), "layer 'mp' (MeanPool): input (None, 3, 2): masked mean pooling needs"), "%s",
              ck_error());
}

Test(layers, dtype_errors)
{
    ck_sym *f = ck_Input(s, ck_shape_of(1, 3), CK_F32, "f");
    ck_sym *i = ck_Input(s, ck_shape_of(1, 3), CK_I32, "i");
    cr_assert_null(ck_call1(ck_Embedding(s, 4, 2, 0, "emb"), f));
    cr_assert(strstr(ck_error(), "layer 'emb' (Embedding): input (None, 3): Embedding needs int32 ids"), "%s",
              ck_error());
    ck_error_clear();
    cr_assert_null(ck_call1(ck_Dense(s, 2, NULL, "d"), i));
    cr_assert(strstr(ck_error(), "layer 'd' (Dense)"), "%s", ck_error());
}

Test(layers, null_arguments)
{
    cr_assert_null(ck_call1(NULL, NULL));
    cr_assert_not_null(ck_error());
    ck_error_clear();
    cr_assert_null(ck_Input(NULL, ck_shape_of(1, 3), CK_F32, NULL));
    ck_error_clear();
    cr_assert_null(ck_Dense(NULL, 3, NULL, NULL));
    ck_error_clear();
    /* the first message survives a chain of NULLs */
    ck_sym *x = ck_Input(s, ck_shape_of(1, 3), CK_F32, "x");
    ck_sym *bad = ck_call1(ck_Dense(s, -1, NULL, NULL), x);
    ck_sym *worse = ck_call1(ck_Dense(s, 2, NULL, NULL), bad);
    cr_assert_null(worse);
    cr_assert(strstr(ck_error(), "units must be > 0, got -1"), "%s", ck_error());
    ck_error_clear();
    cr_assert_null(ck_Lambda(s, NULL, NULL, NULL));
    ck_error_clear();
    cr_assert_null(ck_Dropout(s, 1.0f, NULL));
    ck_error_clear();
    cr_assert_null(ck_Input(s, ck_shape_of(1, 0), CK_F32, NULL));
}

static ck_node *drop_batch(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    (void)user;
    return ck_sum(t, in[0], 0, 0);
}

Test(layers, lambda_must_keep_the_batch_dim)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, 3), CK_F32, "x");
    cr_assert_null(ck_call1(ck_Lambda(s, drop_batch, NULL, "bad_lambda"), x));
    cr_assert(strstr(ck_error(), "layer 'bad_lambda' (Lambda)"), "%s", ck_error());
    cr_assert(strstr(ck_error(), "batch dim"), "%s", ck_error());
}

Test(layers, dropout_only_in_training_and_activation)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, 4), CK_F32, "x");
    ck_sym *y = ck_call1(ck_Activation(s, "relu", NULL), ck_call1(ck_Dropout(s, 0.5f, NULL), x));
    ck_model *m = ck_Model(s, &x, 1, &y, 1, NULL);
    cr_assert_not_null(m, "%s", ck_error());
    float data[4] = {-1, 2, -3, 4};
    ck_tensor t = ck_tensor_view(CK_F32, ck_shape_of(2, 1, 4), data);
    ck_tensor *p = ck_predict(m, &t, 1, 8);
    cr_assert_not_null(p);
    float expect[4] = {0, 2, 0, 4};
    for (int i = 0; i < 4; i++) cr_assert_eq(p->f[i], expect[i]);
    ck_tensor_free(p);
}

/* Add's output mask is the AND of its inputs' masks (Keras's
 * _Merge.compute_mask: K.all over the masks): with ids a = (1, 0, 2) and
 * b = (1, 3, 0), only position 0 is unmasked in both, so the masked mean
 * is the sum of the two embeddings' rows 1 at position 0 alone. */
Test(layers, add_ands_its_inputs_masks)
{
    ck_sym *a = ck_Input(s, ck_shape_of(1, 3), CK_I32, "a"), *b = ck_Input(s, ck_shape_of(1, 3), CK_I32, "b");
    ck_layer *ea = ck_Embedding(s, 4, 2, 1, "ea"), *eb = ck_Embedding(s, 4, 2, 1, "eb");
    ck_sym *sum = ck_call(ck_Add(s, NULL), (ck_sym *[]){ck_call1(ea, a), ck_call1(eb, b)}, 2);
    cr_assert(ck_sym_has_mask(sum));
    ck_sym *pooled = ck_call1(ck_MeanPool(s, 1, 0, CK_POOL_AUTO, "pool"), sum);
    ck_model *m = ck_Model(s, (ck_sym *[]){a, b}, 2, &pooled, 1, NULL);
    cr_assert_not_null(m, "%s", ck_error());
    int32_t ad[3] = {1, 0, 2}, bd[3] = {1, 3, 0};
    ck_tensor xa = ck_tensor_view(CK_I32, ck_shape_of(2, 1, 3), ad),
              xb = ck_tensor_view(CK_I32, ck_shape_of(2, 1, 3), bd);
    ck_tensor *p = ck_predict(m, (ck_tensor[]){xa, xb}, 2, 1);
    cr_assert_not_null(p, "%s", ck_error());
    const float *wa = ck_layer_weight(ea, 0)->value.f, *wb = ck_layer_weight(eb, 0)->value.f; /* (4, 2) */
    for (int d = 0; d < 2; d++) cr_expect_float_eq(p->f[d], wa[2 + d] + wb[2 + d], 1e-6);
    ck_tensor_free(p);
}
