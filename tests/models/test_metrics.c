/* Every metric on hand-worked cases, through evaluate on an identity model
 * (its predictions are its inputs): accuracies and how "accuracy" is
 * resolved, top-k with ties, mae / mse / rmse, the exact AUC (a worked
 * case, ties, weights, one class only), sample weights, user metrics,
 * losses as metrics, and the logged names. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ck_model.h"

static ck_session *s;
static void setup(void)
{
    s = ck_session_new(7);
    ck_error_clear();
}
static void teardown(void)
{
    ck_session_free(s);
    ck_error_clear();
}
TestSuite(metrics, .init = setup, .fini = teardown);

/* y_pred = x: Input (None, k) -> Activation('linear') */
static ck_model *identity(int k)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, k), CK_F32, "x");
    ck_sym *y = ck_call1(ck_Activation(s, "linear", "out"), x);
    ck_model *m = ck_Model(s, &x, 1, &y, 1, NULL);
    cr_assert_not_null(m, "%s", ck_error());
    return m;
}

/* evaluate n samples of width k against float targets (or int32 ids) */
static void evaluate(ck_model *m, int n, int k, const float *pred, const float *y, const int32_t *ids,
                     const float *weights, int batch, double *out)
{
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, n, k), (void *)pred);
    ck_tensor t = ids ? ck_tensor_view(CK_I32, ck_shape_of(1, n), (void *)ids)
                      : ck_tensor_view(CK_F32, ck_shape_of(2, n, k), (void *)y);
    ck_tensor w = ck_tensor_view(CK_F32, ck_shape_of(1, n), (void *)weights);
    cr_assert_eq(ck_evaluate_ex(m, &x, 1, &t,
                                &(ck_evaluate_args){.batch_size = batch, .sample_weight = weights ? &w : NULL}, out),
                 0, "%s", ck_error());
}

static void compile(ck_model *m, const char *loss, const ck_metric *metrics, int n)
{
    cr_assert_eq(
        ck_compile_ex(m, ck_SGD(0.1f, 0), &(ck_compile_args){.loss = loss, .metrics = metrics, .n_metrics = n}), 0,
        "%s", ck_error());
}

#define NEAR(a, b) cr_assert(fabs((a) - (b)) <= 1e-6 * (1 + fabs(b)), "%.9g vs %.9g", (double)(a), (double)(b))

Test(metrics, binary_accuracy_threshold_and_resolution)
{
    ck_model *m = identity(1);
    /* p > .5: 1 0 0 0 against 1 0 1 0: 3 of 4 */
    const float p[] = {0.7f, 0.5f, 0.4f, 0.1f}, y[] = {1, 0, 1, 0};
    compile(m, "binary_crossentropy", (ck_metric[]){{.name = "accuracy"}, {.name = "acc"}, ck_BinaryAccuracy(0.45f)},
            3);
    double out[4];
    evaluate(m, 4, 1, p, y, NULL, NULL, 4, out);
    NEAR(out[1], 0.75);
    NEAR(out[2], 0.75);
    NEAR(out[3], 0.5); /* p > .45: 1 1 0 0 */
    const char *names[4];
    cr_assert_eq(ck_model_metrics_names(m, names, 4), 4);
    cr_assert_str_eq(names[0], "loss");
    cr_assert_str_eq(names[1], "accuracy"); /* logged as given */
    cr_assert_str_eq(names[2], "acc");
    cr_assert_str_eq(names[3], "binary_accuracy"); /* a class logs its Keras name */
    /* threshold 0 (for logits) is a threshold, not "unset" */
    compile(m, "mse", (ck_metric[]){ck_BinaryAccuracy(0.0f)}, 1);
    const float logits[] = {2, -1, -3, 0.5f};
    evaluate(m, 4, 1, logits, y, NULL, NULL, 4, out);
    NEAR(out[1], 0.5); /* > 0: 1 0 0 1 against 1 0 1 0 */
}

Test(metrics, weighted_accuracy)
{
    ck_model *m = identity(1);
    const float p[] = {0.7f, 0.5f, 0.4f, 0.1f}, y[] = {1, 0, 1, 0}, w[] = {1, 0, 3, 1};
    compile(m, "mse", (ck_metric[]){{.name = "accuracy"}}, 1);
    double out[2];
    /* hits 1 1 0 1 weighted 1 0 3 1: 2 / 5, in batches of 3 and 1 too */
    evaluate(m, 4, 1, p, y, NULL, w, 4, out);
    NEAR(out[1], 2.0 / 5);
    evaluate(m, 4, 1, p, y, NULL, w, 3, out);
    NEAR(out[1], 2.0 / 5);
}

Test(metrics, categorical_and_sparse_accuracy)
{
    ck_model *m = identity(3);
    const float p[] = {0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f, 0.3f, 0.3f, 0.4f, 0.4f, 0.4f, 0.2f};
    const float onehot[] = {0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0};
    const int32_t ids[] = {1, 1, 2, 1};
    /* argmax p: 1 0 2 0 (first of a tie); targets 1 1 2 1: 2 of 4 */
    compile(m, "categorical_crossentropy", (ck_metric[]){{.name = "accuracy"}, {.name = "categorical_accuracy"}}, 2);
    double out[3];
    evaluate(m, 4, 3, p, onehot, NULL, NULL, 4, out);
    NEAR(out[1], 0.5);
    NEAR(out[2], 0.5);
    compile(m, "sparse_categorical_crossentropy",
            (ck_metric[]){{.name = "accuracy"}, {.name = "sparse_categorical_accuracy"}}, 2);
    evaluate(m, 4, 3, p, NULL, ids, NULL, 4, out);
    NEAR(out[1], 0.5);
    NEAR(out[2], 0.5);
    /* with a loss that does not say: int32 ids make it sparse, one-hot categorical */
    compile(m, "mse", (ck_metric[]){{.name = "accuracy"}}, 1);
    evaluate(m, 4, 3, p, onehot, NULL, NULL, 2, out);
    NEAR(out[1], 0.5);
    /* a metric that cannot read the targets is refused */
    compile(m, "sparse_categorical_crossentropy", (ck_metric[]){{.name = "categorical_accuracy"}}, 1);
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, 4, 3), (void *)p);
    ck_tensor t = ck_tensor_view(CK_I32, ck_shape_of(1, 4), (void *)ids);
    cr_assert_eq(ck_evaluate(m, &x, 1, &t, 4, out), -1);
    cr_assert(strstr(ck_error(), "categorical_accuracy"), "%s", ck_error());
}

Test(metrics, binary_crossentropy_makes_accuracy_binary_for_several_columns)
{
    ck_model *m = identity(3);
    /* multi-label: elementwise p > .5 == y */
    const float p[] = {0.9f, 0.2f, 0.6f, 0.4f, 0.8f, 0.1f}, y[] = {1, 0, 0, 0, 1, 1};
    compile(m, "binary_crossentropy", (ck_metric[]){{.name = "accuracy"}}, 1);
    double out[2];
    evaluate(m, 2, 3, p, y, NULL, NULL, 2, out);
    NEAR(out[1], (2.0 / 3 + 2.0 / 3) / 2);
}

Test(metrics, top_k_counts_ties_at_the_boundary_as_in)
{
    ck_model *m = identity(4);
    const float p[] = {0.5f, 0.2f, 0.2f, 0.1f, 0.5f, 0.2f, 0.2f, 0.1f, 0.1f, 0.2f, 0.3f, 0.4f};
    const float y[] = {0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0};
    const int32_t ids[] = {2, 3, 0};
    /* k 2: class 2 (.2, one larger) in; class 3 (.1, three larger) out;
     * class 0 (.1, three larger) out */
    compile(m, "categorical_crossentropy", (ck_metric[]){ck_TopKCategoricalAccuracy(2)}, 1);
    double out[2];
    evaluate(m, 3, 4, p, y, NULL, NULL, 3, out);
    NEAR(out[1], 1.0 / 3);
    compile(m, "categorical_crossentropy", (ck_metric[]){{.name = "top_k_categorical_accuracy"}}, 1);
    evaluate(m, 3, 4, p, y, NULL, NULL, 3, out);
    NEAR(out[1], 1.0); /* k = 5 > 4 classes: always in */
    compile(m, "sparse_categorical_crossentropy", (ck_metric[]){ck_SparseTopKCategoricalAccuracy(2)}, 1);
    evaluate(m, 3, 4, p, NULL, ids, NULL, 3, out);
    NEAR(out[1], 1.0 / 3);
}

Test(metrics, mae_mse_rmse)
{
    ck_model *m = identity(2);
    const float p[] = {1.5f, 2, 2, 5}, y[] = {1, 2, 3, 4};
    compile(m, "mse",
            (ck_metric[]){{.name = "mae"},
                          {.name = "mse"},
                          {.name = "rmse"},
                          ck_RootMeanSquaredError(),
                          {.name = "mean_absolute_error"}},
            5);
    double out[6];
    evaluate(m, 2, 2, p, y, NULL, NULL, 1, out);
    NEAR(out[0], 0.5625);
    NEAR(out[1], 0.625);
    NEAR(out[2], 0.5625);
    NEAR(out[3], 0.75);
    NEAR(out[4], 0.75);
    NEAR(out[5], 0.625);
    const char *names[6];
    ck_model_metrics_names(m, names, 6);
    cr_assert_str_eq(names[3], "rmse");
    cr_assert_str_eq(names[4], "root_mean_squared_error");
    cr_assert_str_eq(names[5], "mean_absolute_error");
}

Test(metrics, auc_exact_on_a_hand_worked_case)
{
    ck_model *m = identity(1);
    compile(m, "binary_crossentropy", (ck_metric[]){ck_AUC()}, 1);
    double out[2];
    /* positives .35, .8; negatives .1, .4: .35 beats .1 only, .8 beats both: 3 of 4 pairs */
    const float p[] = {0.1f, 0.4f, 0.35f, 0.8f}, y[] = {0, 0, 1, 1};
    evaluate(m, 4, 1, p, y, NULL, NULL, 4, out);
    NEAR(out[1], 0.75);
    evaluate(m, 4, 1, p, y, NULL, NULL, 1, out); /* over batches: the same, all predictions kept */
    NEAR(out[1], 0.75);
    /* weights 2 1 1 1: pairs weighted w_pos * w_neg: (2 + 3) / (2 * 3) */
    const float w[] = {2, 1, 1, 1};
    evaluate(m, 4, 1, p, y, NULL, w, 3, out);
    NEAR(out[1], 5.0 / 6);
    /* a tie counts one half: positives .5, .9; negatives .5, .2: (0.5 + 1 + 2) / 4 */
    const float pt[] = {0.5f, 0.5f, 0.2f, 0.9f}, yt[] = {1, 0, 0, 1};
    evaluate(m, 4, 1, pt, yt, NULL, NULL, 2, out);
    NEAR(out[1], 0.875);
    const char *names[2];
    ck_model_metrics_names(m, names, 2);
    cr_assert_str_eq(names[1], "auc");
}

Test(metrics, auc_of_one_class_is_0_as_keras)
{
    ck_model *m = identity(1);
    compile(m, "mse", (ck_metric[]){{.name = "auc"}}, 1);
    double out[2];
    const float p[] = {0.1f, 0.4f, 0.35f}, ones[] = {1, 1, 1}, zeros[] = {0, 0, 0};
    evaluate(m, 3, 1, p, ones, NULL, NULL, 3, out);
    cr_assert_eq(out[1], 0.0);
    evaluate(m, 3, 1, p, zeros, NULL, NULL, 3, out);
    cr_assert_eq(out[1], 0.0);
}

Test(metrics, auc_ranks_any_scores_and_flattens_columns)
{
    ck_model *m = identity(2);
    compile(m, "mse", (ck_metric[]){{.name = "AUC"}}, 1);
    double out[2];
    /* logits: positives 3, -1; negatives -2, 0.5: 3 beats both, -1 beats -2: 3 / 4 */
    const float p[] = {3, -2, -1, 0.5f}, y[] = {1, 0, 1, 0};
    evaluate(m, 2, 2, p, y, NULL, NULL, 2, out);
    NEAR(out[1], 0.75);
}

/* per-sample |y - p| summed over the row, times a factor */
static ck_node *abs_sum(ck_tape *t, ck_node *y_true, ck_node *y_pred, void *user)
{
    return ck_scale(t, ck_sum(t, ck_abs(t, ck_sub(t, y_pred, y_true)), -1, 0), *(const float *)user);
}
/* the batch's mean as one value */
static ck_node *batch_mean_pred(ck_tape *t, ck_node *y_true, ck_node *y_pred, void *user)
{
    (void)y_true;
    (void)user;
    return ck_mean_all(t, y_pred);
}

Test(metrics, user_metrics_and_losses_as_metrics)
{
    ck_model *m = identity(2);
    float two = 2;
    compile(m, "mse",
            (ck_metric[]){ck_custom_metric(abs_sum, &two, "twice_abs"),
                          ck_custom_metric(batch_mean_pred, NULL, NULL),
                          {.name = "mean_squared_error"},
                          {.name = "MeanAbsoluteError"}},
            4);
    const float p[] = {1.5f, 2, 2, 5, 0, 0}, y[] = {1, 2, 3, 4, 0, 0}, w[] = {1, 2, 1};
    double out[5];
    /* per sample 2 * (.5, 2, 0) weighted 1 2 1: (1 + 8 + 0) / 4 */
    evaluate(m, 3, 2, p, y, NULL, w, 2, out);
    NEAR(out[1], 9.0 / 4);
    /* batch means of p, weighted by batch size: batches (1.5, 2, 2, 5), (0, 0) */
    NEAR(out[2], (2.625 * 2 + 0 * 1) / 3);
    const char *names[5];
    ck_model_metrics_names(m, names, 5);
    cr_assert_str_eq(names[1], "twice_abs");
    cr_assert_str_eq(names[2], "custom_metric");
    cr_assert_str_eq(names[4], "mean_absolute_error");

    ck_model *b = identity(1);
    compile(b, "binary_crossentropy", (ck_metric[]){{.name = "binary_crossentropy"}, {.name = "crossentropy"}}, 2);
    const float pb[] = {0.9f, 0.2f, 0.6f}, yb[] = {1, 0, 1};
    evaluate(b, 3, 1, pb, yb, NULL, NULL, 3, out);
    NEAR(out[1], out[0]);
    NEAR(out[2], out[0]);
}

Test(metrics, unknown_metric_and_duplicates_are_refused)
{
    ck_model *m = identity(1);
    cr_assert_eq(ck_compile(m, "mse", ck_SGD(0.1f, 0), (const char *[]){"precision_at_7"}, 1), -1);
    cr_assert(strstr(ck_error(), "unknown metric 'precision_at_7'"), "%s", ck_error());
    ck_error_clear();
    cr_assert_eq(ck_compile(m, "mse", ck_SGD(0.1f, 0), (const char *[]){"mae", "mae"}, 2), -1);
    cr_assert(strstr(ck_error(), "twice"), "%s", ck_error());
}
