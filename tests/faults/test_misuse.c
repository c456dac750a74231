/* API misuse: every wrong call returns an error with a message saying what
 * and which values, never a crash. (fit before compile, wrong input count
 * and predict dtypes are in tests/models/test_model.c; these are the rest.) */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ck_model.h"

static ck_session *s;
static void setup(void)
{
    s = ck_session_new(1);
    ck_error_clear();
}
static void teardown(void)
{
    ck_session_free(s);
    ck_error_clear();
}
TestSuite(misuse, .init = setup, .fini = teardown);

#define expect_error(call_fails, fragment)                                                        \
    do {                                                                                          \
        cr_assert(call_fails, "%s should fail", #call_fails);                                     \
        cr_assert(ck_error() != NULL, "%s failed without a message", #call_fails);                \
        cr_assert(strstr(ck_error(), fragment), "message '%s' lacks '%s'", ck_error(), fragment); \
        ck_error_clear();                                                                         \
    } while (0)

/* y = Dense(1)(x), x (None, 2), compiled with SGD */
static ck_model *dense_model(void)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, 2), CK_F32, "x");
    ck_sym *y = ck_call1(ck_Dense(s, 1, NULL, "out"), x);
    ck_model *m = ck_Model(s, &x, 1, &y, 1, "dense");
    cr_assert_not_null(m, "%s", ck_error());
    cr_assert_eq(ck_compile(m, "mse", ck_SGD(0.1f, 0), NULL, 0), 0, "%s", ck_error());
    return m;
}

/* y = Dense(1)(Flatten-free mean of Embedding(5, 2)(ids)), ids (None, 1) int */
static ck_model *embedding_model(void)
{
    ck_sym *ids = ck_Input(s, ck_shape_of(1, 1), CK_I32, "ids");
    ck_sym *e = ck_call1(ck_Embedding(s, 5, 2, 0, "emb"), ids); /* (None, 1, 2) */
    ck_sym *r = ck_call1(ck_Reshape(s, ck_shape_of(1, 2), "flat"), e);
    ck_sym *y = ck_call1(ck_Dense(s, 1, NULL, "out"), r);
    ck_model *m = ck_Model(s, &ids, 1, &y, 1, "emb_model");
    cr_assert_not_null(m, "%s", ck_error());
    cr_assert_eq(ck_compile(m, "mse", ck_SGD(0.1f, 0), NULL, 0), 0, "%s", ck_error());
    return m;
}

Test(misuse, x_and_y_with_different_sample_counts)
{
    ck_model *m = dense_model();
    float xd[8] = {0}, yd[3] = {0};
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, 4, 2), xd);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, 3, 1), yd);
    expect_error(!ck_fit(m, &x, 1, &y, CK_FIT_ARGS(.epochs = 1, .batch_size = 2, .shuffle = false, .verbose = 0)), "4");
    double out[1];
    expect_error(ck_evaluate(m, &x, 1, &y, 2, out) < 0, "3");
}

Test(misuse, inputs_with_different_sample_counts)
{
    ck_sym *a = ck_Input(s, ck_shape_of(1, 2), CK_F32, "a");
    ck_sym *b = ck_Input(s, ck_shape_of(1, 2), CK_F32, "b");
    ck_sym *sum = ck_call(ck_Add(s, "sum"), (ck_sym *[]){a, b}, 2);
    ck_sym *y = ck_call1(ck_Dense(s, 1, NULL, "out"), sum);
    ck_model *m = ck_Model(s, (ck_sym *[]){a, b}, 2, &y, 1, "two");
    cr_assert_eq(ck_compile(m, "mse", ck_SGD(0.1f, 0), NULL, 0), 0);
    float ad[8] = {0}, bd[6] = {0}, yd[4] = {0};
    ck_tensor x[2] = {ck_tensor_view(CK_F32, ck_shape_of(2, 4, 2), ad),
                      ck_tensor_view(CK_F32, ck_shape_of(2, 3, 2), bd)};
    ck_tensor yt = ck_tensor_view(CK_F32, ck_shape_of(2, 4, 1), yd);
    expect_error(!ck_fit(m, x, 2, &yt, CK_FIT_ARGS(.epochs = 1, .shuffle = false, .verbose = 0)), "3");
    expect_error(!ck_predict(m, x, 2, 2), "3");
}

Test(misuse, validation_data_that_does_not_match)
{
    ck_model *m = dense_model();
    float xd[8] = {0}, yd[4] = {0}, vxd[6] = {0}, vyd[2] = {0};
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, 4, 2), xd);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, 4, 1), yd);
    ck_tensor vx = ck_tensor_view(CK_F32, ck_shape_of(2, 3, 2), vxd);
    ck_tensor vy = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 1), vyd);
    expect_error(
        !ck_fit(m, &x, 1, &y, CK_FIT_ARGS(.epochs = 1, .val_x = &vx, .val_y = &vy, .shuffle = false, .verbose = 0)),
        "3");
    ck_tensor vx3 = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 3), vxd);
    expect_error(
        !ck_fit(m, &x, 1, &y, CK_FIT_ARGS(.epochs = 1, .val_x = &vx3, .val_y = &vy, .shuffle = false, .verbose = 0)),
        "");
    expect_error(!ck_fit(m, &x, 1, &y, CK_FIT_ARGS(.epochs = 1, .val_x = &vx3, .shuffle = false, .verbose = 0)), "");
}

Test(misuse, target_shape_and_dtype)
{
    ck_model *m = dense_model();
    float xd[8] = {0}, yd[8] = {0};
    int32_t yi[4] = {0};
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, 4, 2), xd);
    ck_tensor y2 = ck_tensor_view(CK_F32, ck_shape_of(2, 4, 2), yd);
    ck_tensor yint = ck_tensor_view(CK_I32, ck_shape_of(2, 4, 1), yi);
    expect_error(!ck_fit(m, &x, 1, &y2, CK_FIT_ARGS(.epochs = 1, .shuffle = false, .verbose = 0)), "");
    expect_error(!ck_fit(m, &x, 1, &yint, CK_FIT_ARGS(.epochs = 1, .shuffle = false, .verbose = 0)), "");
    ck_tensor xint = ck_tensor_view(CK_I32, ck_shape_of(2, 4, 2), yi);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, 4, 1), yd);
    expect_error(!ck_fit(m, &xint, 1, &y, CK_FIT_ARGS(.epochs = 1, .shuffle = false, .verbose = 0)), "float32");
}

Test(misuse, null_arguments)
{
    ck_model *m = dense_model();
    float xd[8] = {0}, yd[4] = {0};
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, 4, 2), xd);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, 4, 1), yd);
    double out[1];
    expect_error(!ck_fit(NULL, &x, 1, &y, NULL), "");
    expect_error(!ck_fit(m, NULL, 1, &y, NULL), "");
    expect_error(!ck_fit(m, &x, 1, NULL, NULL), "");
    expect_error(!ck_fit(m, &x, 0, &y, NULL), "");
    expect_error(!ck_fit(m, &x, -1, &y, NULL), "");
    expect_error(ck_evaluate(NULL, &x, 1, &y, 2, out) < 0, "");
    expect_error(ck_evaluate(m, NULL, 1, &y, 2, out) < 0, "");
    expect_error(ck_evaluate(m, &x, 1, NULL, 2, out) < 0, "");
    expect_error(ck_evaluate(m, &x, 1, &y, 2, NULL) < 0, "");
    expect_error(!ck_predict(NULL, &x, 1, 2), "");
    expect_error(!ck_predict(m, NULL, 1, 2), "");
    expect_error(ck_save_weights(NULL, "w.safetensors") < 0, "");
    expect_error(ck_save_weights(m, NULL) < 0, "");
    expect_error(ck_load_weights(NULL, "w.safetensors") < 0, "");
    expect_error(ck_load_weights(m, NULL) < 0, "");
    expect_error(ck_model_get_weights(m, NULL) < 0, "");
    expect_error(ck_model_set_weights(m, NULL) < 0, "");
    expect_error(ck_model_get_weights(NULL, (float[3]){0}) < 0, "");
    expect_error(ck_compile(NULL, "mse", ck_SGD(0.1f, 0), NULL, 0) < 0, "");
    expect_error(ck_compile(m, NULL, ck_SGD(0.1f, 0), NULL, 0) < 0, "");
    expect_error(ck_compile(m, "mse", ck_SGD(0.1f, 0), (const char *[]){NULL}, 1) < 0, "");
    expect_error(ck_compile(m, "mse", ck_SGD(0.1f, 0), (const char *[]){"no_such_metric"}, 1) < 0, "no_such_metric");
    expect_error(ck_log_value(m, NULL, "loss", out) < 0, "");
    /* a NULL tensor inside the inputs array: data NULL */
    ck_tensor empty = {0};
    expect_error(!ck_fit(m, &empty, 1, &y, CK_FIT_ARGS(.epochs = 1, .shuffle = false, .verbose = 0)), "");
    expect_error(!ck_predict(m, &empty, 1, 2), "");
}

Test(misuse, bad_fit_settings)
{
    ck_model *m = dense_model();
    float xd[8] = {0}, yd[4] = {0};
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, 4, 2), xd);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, 4, 1), yd);
    expect_error(!ck_fit(m, &x, 1, &y, CK_FIT_ARGS(.epochs = -1, .shuffle = false, .verbose = 0)), "epochs = -1");
    expect_error(!ck_fit(m, &x, 1, &y, CK_FIT_ARGS(.epochs = 1, .batch_size = -5, .shuffle = false, .verbose = 0)),
                 "batch");
    expect_error(!ck_fit(m, &x, 1, &y, CK_FIT_ARGS(.epochs = 1, .n_callbacks = 1, .shuffle = false, .verbose = 0)),
                 "callback");
    expect_error(!ck_fit(m, &x, 1, &y,
                         CK_FIT_ARGS(.epochs = 1, .callbacks = (ck_callback *[]){NULL}, .n_callbacks = 1,
                                     .shuffle = false, .verbose = 0)),
                 "callback");
    double out[1];
    expect_error(ck_evaluate(m, &x, 1, &y, -3, out) < 0, "batch_size = -3");
    expect_error(!ck_predict(m, &x, 1, -1), "batch_size = -1");
    /* zero samples */
    ck_tensor x0 = ck_tensor_view(CK_F32, ck_shape_of(2, 0, 2), xd);
    ck_tensor y0 = ck_tensor_view(CK_F32, ck_shape_of(2, 0, 1), yd);
    expect_error(!ck_fit(m, &x0, 1, &y0, CK_FIT_ARGS(.epochs = 1, .shuffle = false, .verbose = 0)), "");
}

Test(misuse, embedding_ids_out_of_range)
{
    ck_model *m = embedding_model();
    int32_t ids[4] = {1, 2, 5, 0}, neg[4] = {1, -1, 2, 3};
    float yd[4] = {1, 2, 3, 4};
    ck_tensor x = ck_tensor_view(CK_I32, ck_shape_of(2, 4, 1), ids);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, 4, 1), yd);
    float before[32], after[32];
    long n = ck_count_params(m);
    cr_assert_leq(n, 32);
    cr_assert_eq(ck_model_get_weights(m, before), 0);
    expect_error(!ck_fit(m, &x, 1, &y, CK_FIT_ARGS(.epochs = 1, .batch_size = 4, .shuffle = false, .verbose = 0)), "5");
    expect_error(!ck_predict(m, &x, 1, 4), "5");
    ck_tensor xn = ck_tensor_view(CK_I32, ck_shape_of(2, 4, 1), neg);
    expect_error(!ck_predict(m, &xn, 1, 4), "-1");
    double out[1];
    expect_error(ck_evaluate(m, &xn, 1, &y, 4, out) < 0, "-1");
    cr_assert_eq(ck_model_get_weights(m, after), 0);
    cr_assert_eq(memcmp(before, after, sizeof(float) * (size_t)n), 0, "a refused batch changed the weights");
}

Test(misuse, layer_reused_on_an_incompatible_shape)
{
    ck_layer *dense = ck_Dense(s, 4, NULL, "shared");
    ck_sym *a = ck_Input(s, ck_shape_of(1, 3), CK_F32, "a");
    ck_sym *b = ck_Input(s, ck_shape_of(1, 5), CK_F32, "b");
    cr_assert_not_null(ck_call1(dense, a), "%s", ck_error());
    expect_error(!ck_call1(dense, b), "shared");
    ck_layer *emb = ck_Embedding(s, 10, 2, 0, "emb");
    ck_sym *ids = ck_Input(s, ck_shape_of(1, 1), CK_I32, "ids");
    cr_assert_not_null(ck_call1(emb, ids), "%s", ck_error());
    expect_error(!ck_call1(emb, a), "emb"); /* float input into an Embedding */
    ck_layer *cat = ck_Concatenate(s, -1, "cat");
    ck_sym *c3 = ck_Input(s, ck_shape_of(2, 2, 3), CK_F32, "c3");
    expect_error(!ck_call(cat, (ck_sym *[]){a, c3}, 2), "cat");
    expect_error(!ck_call(cat, NULL, 2), "");
    expect_error(!ck_call1(NULL, a), "");
    expect_error(!ck_call1(dense, NULL), "");
}

Test(misuse, compile_twice_and_fit_after_failed_compile)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, 2), CK_F32, "x");
    ck_sym *y = ck_call1(ck_Dense(s, 1, NULL, "out"), x);
    ck_model *m = ck_Model(s, &x, 1, &y, 1, "m");
    expect_error(ck_compile(m, "no_such_loss", ck_SGD(0.1f, 0), NULL, 0) < 0, "no_such_loss");
    float xd[4] = {1, 2, 3, 4}, yd[2] = {1, 2};
    ck_tensor xt = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 2), xd);
    ck_tensor yt = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 1), yd);
    expect_error(!ck_fit(m, &xt, 1, &yt, CK_FIT_ARGS(.epochs = 1, .shuffle = false, .verbose = 0)), "compile");
    cr_assert_eq(ck_compile(m, "mse", ck_SGD(0.1f, 0), NULL, 0), 0, "%s", ck_error());
    cr_assert_eq(ck_compile(m, "mse", ck_Adam(0.01f), NULL, 0), 0, "%s",
                 ck_error()); /* recompile: allowed as in Keras */
    ck_history *h = ck_fit(m, &xt, 1, &yt, CK_FIT_ARGS(.epochs = 2, .batch_size = 2, .shuffle = false, .verbose = 0));
    cr_assert_not_null(h, "%s", ck_error());
    cr_assert_eq(h->n_epochs, 2);
    ck_history_free(h);
}
