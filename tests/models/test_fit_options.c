/* fit's options against values worked out by hand: fields left out mean
 * Keras's defaults (shuffling happens, progress is printed), callbacks
 * given without a count are refused, validation_split takes the last rows
 * before shuffling, sample_weight and class_weight weight the loss as
 * Keras's SUM_OVER_BATCH_SIZE, several outputs with loss_weights and
 * Keras's log names, int32 targets, monitors that improve upward. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "ck_model.h"
#include "ck_test_dir.h"

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
TestSuite(fit_options, .init = setup, .fini = teardown);

#define NEAR(a, b) cr_assert(fabs((a) - (b)) <= 1e-5 * (1 + fabs(b)), "%.9g vs %.9g", (double)(a), (double)(b))

/* y = w x with one weight and no bias, in session t */
static ck_model *one_weight(ck_session *t, float w, const char *name)
{
    ck_sym *x = ck_Input(t, ck_shape_of(1, 1), CK_F32, "x");
    ck_layer *d = ck_Dense(t, 1, NULL, name);
    ck_layer_set_use_bias(d, 0);
    ck_sym *y = ck_call1(d, x);
    ck_model *m = ck_Model(t, &x, 1, &y, 1, NULL);
    cr_assert_not_null(m, "%s", ck_error());
    ck_layer_weight(d, 0)->value.f[0] = w;
    return m;
}

/* x = 1..n, y = 0: with w fixed, sample i's squared error is (w x_i)^2 */
enum { N = 10 };
static float xs[N], zeros[N];
static ck_tensor x_all, y_all;
static void make_rows(void)
{
    for (int i = 0; i < N; i++) xs[i] = (float)(i + 1), zeros[i] = 0;
    x_all = ck_tensor_view(CK_F32, ck_shape_of(2, N, 1), xs);
    y_all = ck_tensor_view(CK_F32, ck_shape_of(2, N, 1), zeros);
}

/* the weight after one epoch of SGD, batch 1, in a fresh session */
static float weight_after_epoch(const ck_fit_args *args)
{
    ck_session *t = ck_session_new(11);
    ck_model *m = one_weight(t, 0.3f, "w");
    cr_assert_eq(ck_compile(m, "mse", ck_SGD(0.001f, 0), NULL, 0), 0);
    float ys[N];
    for (int i = 0; i < N; i++) ys[i] = (float)(i % 3); /* the order of the steps matters */
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, N, 1), ys);
    ck_history *h = ck_fit(m, &x_all, 1, &y, args);
    cr_assert_not_null(h, "%s", ck_error());
    float w = ck_model_weight(m, 0)->value.f[0];
    ck_history_free(h);
    ck_session_free(t);
    return w;
}

Test(fit_options, shuffle_is_on_when_left_out)
{
    make_rows();
    float in_order = weight_after_epoch(&(ck_fit_args){.batch_size = 1, .shuffle = CK_FALSE, .verbose = CK_SILENT});
    float left_out = weight_after_epoch(&(ck_fit_args){.batch_size = 1, .verbose = CK_SILENT});
    float on = weight_after_epoch(&(ck_fit_args){.batch_size = 1, .shuffle = CK_TRUE, .verbose = CK_SILENT});
    cr_assert_eq(left_out, on, "left out: %.9g, CK_TRUE: %.9g", left_out, on);
    cr_assert_neq(left_out, in_order, "shuffling changed nothing: %.9g", in_order);
    /* a value that is neither is refused */
    ck_model *m = one_weight(s, 1, "w");
    ck_compile(m, "mse", ck_SGD(0.1f, 0), NULL, 0);
    cr_assert_null(ck_fit(m, &x_all, 1, &y_all, &(ck_fit_args){.shuffle = 2}));
    cr_assert(strstr(ck_error(), "shuffle"), "%s", ck_error());
}

/* what fit prints to stdout with these args */
static void fit_output(ck_model *m, const ck_fit_args *args, char *buf, size_t n)
{
    FILE *tmp = tmpfile();
    cr_assert_not_null(tmp);
    fflush(stdout);
    int saved = dup(1);
    dup2(fileno(tmp), 1);
    ck_history *h = ck_fit(m, &x_all, 1, &y_all, args);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    cr_assert_not_null(h, "%s", ck_error());
    ck_history_free(h);
    rewind(tmp);
    size_t got = fread(buf, 1, n - 1, tmp);
    buf[got] = 0;
    fclose(tmp);
}

Test(fit_options, verbose_left_out_prints_progress)
{
    make_rows();
    ck_model *m = one_weight(s, 0.5f, "w");
    ck_compile(m, "mse", ck_SGD(0.001f, 0), (const char *[]){"mae"}, 1);
    char out[4096];
    fit_output(m, &(ck_fit_args){.epochs = 2}, out, sizeof out);
    cr_assert(strstr(out, "Epoch 1/2") && strstr(out, "Epoch 2/2"), "%s", out);
    cr_assert(strstr(out, "1/1 [==============================]") && strstr(out, " - mae: "), "%s", out);
    fit_output(m, NULL, out, sizeof out); /* no args at all: Keras's defaults too */
    cr_assert(strstr(out, "Epoch 1/1"), "%s", out);
    fit_output(m, &(ck_fit_args){.epochs = 2, .verbose = CK_SILENT}, out, sizeof out);
    cr_assert_str_eq(out, "");
    fit_output(m, &(ck_fit_args){.epochs = 1, .verbose = CK_ONE_LINE}, out, sizeof out);
    cr_assert(strstr(out, "Epoch 1/1\n1/1 [") && !strchr(out, '\r'), "%s", out);
}

/* CK_FIT_ARGS: written as in Python, verbose=0 is silent and verbose=2 one
 * line per epoch; left out, it is 1 */
Test(fit_options, verbose_written_with_ck_fit_args_means_what_it_says)
{
    make_rows();
    ck_model *m = one_weight(s, 0.5f, "w");
    ck_compile(m, "mse", ck_SGD(0.001f, 0), (const char *[]){"mae"}, 1);
    char out[4096];
    fit_output(m, CK_FIT_ARGS(.epochs = 2, .verbose = 0), out, sizeof out);
    cr_assert_str_eq(out, "");
    fit_output(m, CK_FIT_ARGS(.epochs = 1, .verbose = 2), out, sizeof out);
    cr_assert(strstr(out, "Epoch 1/1\n1/1 [") && !strchr(out, '\r'), "%s", out);
    fit_output(m, CK_FIT_ARGS(.epochs = 2), out, sizeof out);
    cr_assert(strstr(out, "Epoch 1/2") && strstr(out, "Epoch 2/2"), "%s", out);
    fit_output(m, CK_FIT_ARGS(), out, sizeof out);
    cr_assert(strstr(out, "Epoch 1/1"), "%s", out);
}

static int epochs_seen;
static int count_epoch(ck_callback *cb, ck_model *m, const ck_epoch_log *log)
{
    (void)cb, (void)m, (void)log;
    epochs_seen++;
    return 0;
}

Test(fit_options, callbacks_without_a_count_are_refused)
{
    make_rows();
    ck_model *m = one_weight(s, 0.5f, "w");
    ck_compile(m, "mse", ck_SGD(0.001f, 0), NULL, 0);
    ck_callback counter = {.name = "counter", .on_epoch_end = count_epoch};
    cr_assert_null(
        ck_fit(m, &x_all, 1, &y_all, &(ck_fit_args){.callbacks = (ck_callback *[]){&counter}, .verbose = CK_SILENT}));
    cr_assert(strstr(ck_error(), "n_callbacks = 0"), "%s", ck_error());
    ck_error_clear();
    epochs_seen = 0;
    ck_history *h =
        ck_fit(m, &x_all, 1, &y_all, &(ck_fit_args){.epochs = 3, .verbose = CK_SILENT, CK_CALLBACKS(&counter)});
    cr_assert_not_null(h, "%s", ck_error());
    cr_assert_eq(epochs_seen, 3);
    ck_history_free(h);
}

Test(fit_options, validation_split_takes_the_last_rows_before_shuffling)
{
    make_rows();
    ck_model *m = one_weight(s, 0.5f, "w");
    ck_compile(m, "mse", ck_SGD(1e-30f, 0), NULL, 0); /* the weight stays 0.5 */
    /* floor(10 * 0.75) = 7 training rows (x 1..7), validation x 8, 9, 10 */
    ck_history *h =
        ck_fit(m, &x_all, 1, &y_all,
               &(ck_fit_args){.epochs = 2, .validation_split = 0.25, .batch_size = 3, .verbose = CK_SILENT});
    cr_assert_not_null(h, "%s", ck_error());
    for (int e = 0; e < 2; e++) {
        NEAR(h->epochs[e].loss, 0.25 * (1 + 4 + 9 + 16 + 25 + 36 + 49) / 7);
        NEAR(h->epochs[e].val_loss, 0.25 * (64 + 81 + 100) / 3);
    }
    ck_history_free(h);
    cr_assert_null(ck_fit(m, &x_all, 1, &y_all, &(ck_fit_args){.validation_split = 1.0, .verbose = CK_SILENT}));
    cr_assert(strstr(ck_error(), "validation_split"), "%s", ck_error());
    ck_error_clear();
    cr_assert_null(ck_fit(m, &x_all, 1, &y_all, &(ck_fit_args){.validation_split = 0.95, .verbose = CK_SILENT}));
    cr_assert(strstr(ck_error(), "not enough"), "%s", ck_error());
}

Test(fit_options, sample_weight_scales_each_sample_in_loss_and_evaluate)
{
    make_rows();
    ck_model *m = one_weight(s, 0.5f, "w");
    ck_compile(m, "mse", ck_SGD(1e-30f, 0), NULL, 0);
    float w[N];
    double weighted = 0;
    for (int i = 0; i < N; i++) {
        w[i] = (float)(i % 4);
        weighted += w[i] * 0.25 * xs[i] * xs[i];
    }
    ck_tensor sw = ck_tensor_view(CK_F32, ck_shape_of(1, N), w);
    /* one batch: sum(w l) / N; in batches of 4, 4, 2: each batch's
     * sum(w l) / its size, averaged by size: the same total over N */
    for (int batch = N; batch >= 4; batch -= 6) {
        ck_history *h = ck_fit(m, &x_all, 1, &y_all,
                               &(ck_fit_args){.batch_size = batch, .sample_weight = &sw, .verbose = CK_SILENT});
        cr_assert_not_null(h, "%s", ck_error());
        NEAR(h->epochs[0].loss, weighted / N);
        ck_history_free(h);
    }
    double out[1];
    cr_assert_eq(ck_evaluate_ex(m, &x_all, 1, &y_all, &(ck_evaluate_args){.batch_size = 3, .sample_weight = &sw}, out),
                 0, "%s", ck_error());
    NEAR(out[0], weighted / N);
    float bad[N] = {NAN};
    ck_tensor sb = ck_tensor_view(CK_F32, ck_shape_of(1, N), bad);
    cr_assert_null(ck_fit(m, &x_all, 1, &y_all, &(ck_fit_args){.sample_weight = &sb, .verbose = CK_SILENT}));
}

Test(fit_options, class_weight_weights_by_class_and_not_validation)
{
    make_rows();
    ck_model *m = one_weight(s, 0.5f, "w");
    ck_compile(m, "mse", ck_SGD(1e-30f, 0), NULL, 0);
    /* targets 0 / 1 by parity; class 1 weighs 3; sample weights 2 on the first half */
    float y[N], sw[N];
    double want = 0, val = 0;
    for (int i = 0; i < N; i++) {
        y[i] = (float)(i % 2);
        sw[i] = i < N / 2 ? 2.0f : 1.0f;
        double err = 0.5 * xs[i] - y[i];
        want += sw[i] * (y[i] == 1 ? 3 : 1) * err * err;
        val += err * err;
    }
    ck_tensor yt = ck_tensor_view(CK_F32, ck_shape_of(2, N, 1), y), swt = ck_tensor_view(CK_F32, ck_shape_of(1, N), sw);
    ck_history *h = ck_fit(m, &x_all, 1, &yt,
                           &(ck_fit_args){.class_weight = (float[]){1, 3},
                                          .n_class_weight = 2,
                                          .sample_weight = &swt,
                                          .val_x = &x_all,
                                          .val_y = &yt,
                                          .verbose = CK_SILENT});
    cr_assert_not_null(h, "%s", ck_error());
    NEAR(h->epochs[0].loss, want / N);
    NEAR(h->epochs[0].val_loss, val / N);
    ck_history_free(h);
    /* a class with no weight is refused */
    cr_assert_null(ck_fit(m, &x_all, 1, &yt,
                          &(ck_fit_args){.class_weight = (float[]){1}, .n_class_weight = 1, .verbose = CK_SILENT}));
    cr_assert(strstr(ck_error(), "class 1"), "%s", ck_error());
}

Test(fit_options, several_outputs_log_keras_names_and_weight_losses)
{
    make_rows();
    ck_sym *x = ck_Input(s, ck_shape_of(1, 1), CK_F32, "x");
    ck_layer *da = ck_Dense(s, 1, NULL, "a"), *db = ck_Dense(s, 1, NULL, "b");
    ck_layer_set_use_bias(da, 0);
    ck_layer_set_use_bias(db, 0);
    ck_sym *outs[2] = {ck_call1(da, x), ck_call1(db, x)};
    ck_model *m = ck_Model(s, &x, 1, outs, 2, "two");
    cr_assert_not_null(m, "%s", ck_error());
    ck_layer_weight(da, 0)->value.f[0] = 0.5f;
    ck_layer_weight(db, 0)->value.f[0] = -1.0f;
    cr_assert_eq(ck_compile_ex(m, ck_SGD(1e-30f, 0),
                               &(ck_compile_args){CK_LOSSES({.name = "mse"}, {.name = "mae"}),
                                                  .loss_weights = (float[]){1.0f, 0.5f},
                                                  CK_METRICS({.name = "mae"}, {.name = "mse", .output = "b"})}),
                 0, "%s", ck_error());
    const char *names[8];
    cr_assert_eq(ck_model_metrics_names(m, names, 8), 6);
    static const char *const want[] = {"loss", "a_loss", "b_loss", "a_mae", "b_mae", "b_mse"};
    for (int i = 0; i < 6; i++) cr_assert_str_eq(names[i], want[i]);
    /* targets 0: a's error .5 x (mse .25 x^2, mae .5 x), b's error -x (mae x, mse x^2) */
    double a_mse = 0, a_mae = 0, b_mae = 0, b_mse = 0;
    for (int i = 0; i < N; i++) {
        a_mse += 0.25 * xs[i] * xs[i] / N, a_mae += 0.5 * xs[i] / N;
        b_mae += xs[i] / N, b_mse += (double)xs[i] * xs[i] / N;
    }
    ck_tensor ys[2] = {y_all, y_all};
    ck_history *h =
        ck_fit(m, &x_all, 1, ys, &(ck_fit_args){.batch_size = 4, .val_x = &x_all, .val_y = ys, .verbose = CK_SILENT});
    cr_assert_not_null(h, "%s", ck_error());
    double v;
    NEAR(h->epochs[0].loss, a_mse + 0.5 * b_mae);
    NEAR(h->epochs[0].val_loss, a_mse + 0.5 * b_mae);
    const char *keys[] = {"a_loss", "b_loss", "a_mae", "b_mae", "b_mse", "val_a_loss", "val_b_mse"};
    const double vals[] = {a_mse, b_mae, a_mae, b_mae, b_mse, a_mse, b_mse};
    for (int i = 0; i < 7; i++) {
        cr_assert_eq(ck_log_value(m, &h->epochs[0], keys[i], &v), 0, "%s: %s", keys[i], ck_error());
        NEAR(v, vals[i]);
    }
    cr_assert_str_eq(h->metric_names[0], "a_loss");
    ck_history_free(h);
    double out[6];
    cr_assert_eq(ck_evaluate(m, &x_all, 1, ys, 3, out), 0, "%s", ck_error());
    const double ev[] = {a_mse + 0.5 * b_mae, a_mse, b_mae, a_mae, b_mae, b_mse};
    for (int i = 0; i < 6; i++) NEAR(out[i], ev[i]);
    ck_tensor *pred[2];
    cr_assert_eq(ck_predict_outputs(m, &x_all, 1, 4, pred), 0, "%s", ck_error());
    for (int i = 0; i < N; i++) cr_assert(pred[0]->f[i] == 0.5f * xs[i] && pred[1]->f[i] == -xs[i]);
    ck_tensor_free(pred[0]);
    ck_tensor_free(pred[1]);
    /* one loss for all outputs; a wrong count or output name is refused */
    cr_assert_eq(ck_compile(m, "mse", ck_SGD(0.1f, 0), NULL, 0), 0, "%s", ck_error());
    cr_assert_eq(ck_compile_ex(m, ck_SGD(0.1f, 0),
                               &(ck_compile_args){CK_LOSSES({.name = "mse"}, {.name = "mae"}, {.name = "mse"})}),
                 -1);
    cr_assert(strstr(ck_error(), "3 losses for 2 outputs"), "%s", ck_error());
    ck_error_clear();
    cr_assert_eq(ck_compile_ex(m, ck_SGD(0.1f, 0),
                               &(ck_compile_args){.loss = "mse", CK_METRICS({.name = "mae", .output = "c"})}),
                 -1);
    cr_assert(strstr(ck_error(), "output 'c'"), "%s", ck_error());
}

Test(fit_options, loss_options_only_where_keras_takes_them)
{
    ck_model *m = one_weight(s, 1, "w");
    cr_assert_eq(ck_compile_ex(m, ck_SGD(0.1f, 0), &(ck_compile_args){CK_LOSSES({.name = "mse", .from_logits = 1})}),
                 -1);
    cr_assert(strstr(ck_error(), "from_logits"), "%s", ck_error());
    ck_error_clear();
    cr_assert_eq(ck_compile_ex(m, ck_SGD(0.1f, 0),
                               &(ck_compile_args){
                                   CK_LOSSES({.name = "sparse_categorical_crossentropy", .label_smoothing = 0.1f})}),
                 -1);
    cr_assert(strstr(ck_error(), "label_smoothing"), "%s", ck_error());
    ck_error_clear();
    cr_assert_eq(ck_compile_ex(m, ck_SGD(0.1f, 0), &(ck_compile_args){CK_LOSSES(ck_BinaryCrossentropy(0, 1.5f))}), -1);
    ck_error_clear();
    cr_assert_eq(ck_compile_ex(m, ck_SGD(0.1f, 0), &(ck_compile_args){CK_LOSSES({.name = "mae", .delta = 2})}), -1);
    ck_error_clear();
    cr_assert_eq(
        ck_compile_ex(m, ck_SGD(0.1f, 0),
                      &(ck_compile_args){.loss = "mse", .losses = (ck_loss[]){{.name = "mse"}}, .n_losses = 1}),
        -1);
    ck_error_clear();
    cr_assert_eq(ck_compile_ex(m, ck_SGD(0.1f, 0), &(ck_compile_args){CK_LOSSES(ck_Huber(2))}), 0, "%s", ck_error());
}

Test(fit_options, int32_targets_for_sparse_crossentropy)
{
    /* 3 classes by the sign pattern of two features */
    enum { M = 60 };
    float x[2 * M];
    int32_t ids[M];
    for (int i = 0; i < M; i++) {
        ids[i] = i % 3;
        x[2 * i] = ids[i] == 1 ? 1.0f : -1.0f;
        x[2 * i + 1] = ids[i] == 2 ? 1.0f : -1.0f;
    }
    ck_sym *in = ck_Input(s, ck_shape_of(1, 2), CK_F32, "x");
    ck_sym *out = ck_call1(ck_Dense(s, 3, "softmax", "probs"), in);
    ck_model *m = ck_Model(s, &in, 1, &out, 1, NULL);
    cr_assert_eq(ck_compile(m, "sparse_categorical_crossentropy", ck_Adam(0.1f), (const char *[]){"accuracy"}, 1), 0,
                 "%s", ck_error());
    ck_tensor xt = ck_tensor_view(CK_F32, ck_shape_of(2, M, 2), x), yt = ck_tensor_view(CK_I32, ck_shape_of(1, M), ids);
    ck_history *h = ck_fit(m, &xt, 1, &yt, &(ck_fit_args){.epochs = 30, .batch_size = 10, .verbose = CK_SILENT});
    cr_assert_not_null(h, "%s", ck_error());
    double acc;
    cr_assert_eq(ck_log_value(m, &h->epochs[h->n_epochs - 1], "accuracy", &acc), 0, "%s", ck_error());
    cr_assert_eq(acc, 1.0);
    cr_assert_lt(h->epochs[h->n_epochs - 1].loss, 0.5 * h->epochs[0].loss);
    ck_history_free(h);
    /* an id out of range, or a float target that is not a whole number, is refused before training */
    ids[5] = 3;
    cr_assert_null(ck_fit(m, &xt, 1, &yt, &(ck_fit_args){.verbose = CK_SILENT}));
    cr_assert(strstr(ck_error(), "value 5 is 3"), "%s", ck_error());
    ck_error_clear();
    float fids[M] = {0.5f};
    ck_tensor ft = ck_tensor_view(CK_F32, ck_shape_of(1, M), fids);
    cr_assert_null(ck_fit(m, &xt, 1, &ft, &(ck_fit_args){.verbose = CK_SILENT}));
}

Test(fit_options, accuracy_and_auc_monitors_improve_upward)
{
    make_rows();
    ck_model *m = one_weight(s, 0.5f, "w");
    ck_compile(m, "mse", ck_SGD(0.1f, 0), NULL, 0);
    static const char *const monitors[] = {"val_accuracy", "val_auc", "val_sparse_categorical_accuracy", "val_loss"};
    /* rising then falling: a max monitor's best is epoch 3 (stop at 5 with
     * patience 2); a min monitor's best is epoch 1 (stop at 3) */
    const double seq[] = {0.5, 0.6, 0.7, 0.65, 0.66, 0.9};
    for (int k = 0; k < 4; k++) {
        ck_callback *es = ck_EarlyStopping(monitors[k], 2, 0, 0);
        ck_history_free(ck_fit(m, &x_all, 1, &y_all, &(ck_fit_args){.verbose = CK_SILENT})); /* clears the stop flag */
        cr_assert_eq(es->on_train_begin(es, m), 0);
        int stopped = 0;
        for (int e = 1; e <= 6 && !stopped; e++) {
            const char *key = monitors[k];
            ck_epoch_log log = {.epoch = e, .loss = 1, .val_loss = seq[e - 1], .n_values = 1};
            log.keys[0] = key;
            log.values[0] = seq[e - 1];
            cr_assert_eq(es->on_epoch_end(es, m, &log), 0, "%s", ck_error());
            if (ck_model_stop_requested(m)) stopped = e;
        }
        cr_assert_eq(stopped, k < 3 ? 5 : 3, "%s stopped at %d", monitors[k], stopped);
        ck_callback_free(es);
    }
}

Test(fit_options, callbacks_monitor_and_log_every_metric)
{
    /* two separable blobs, a sigmoid classifier with accuracy and AUC */
    enum { M = 80 };
    float x[M], y[M];
    for (int i = 0; i < M; i++) {
        y[i] = (float)(i % 2);
        x[i] = (y[i] ? 1.0f : -1.0f) * (0.5f + (float)(i % 7) / 7);
    }
    ck_sym *in = ck_Input(s, ck_shape_of(1, 1), CK_F32, "x");
    ck_sym *out = ck_call1(ck_Dense(s, 1, "sigmoid", "p"), in);
    ck_model *m = ck_Model(s, &in, 1, &out, 1, NULL);
    cr_assert_eq(ck_compile(m, "binary_crossentropy", ck_Adam(0.05f), (const char *[]){"accuracy", "AUC"}, 2), 0, "%s",
                 ck_error());
    char dir[] = "/tmp/ck_fitopt_XXXXXX", csv[64], ckpt[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(csv, sizeof csv, "%s/log.csv", dir);
    snprintf(ckpt, sizeof ckpt, "%s/best.safetensors", dir);
    ck_callback *logger = ck_CSVLogger(csv), *best = ck_ModelCheckpoint(ckpt, "val_auc", 1, 1, 0),
                *early = ck_EarlyStopping("val_accuracy", 3, 0, 1);
    ck_tensor xt = ck_tensor_view(CK_F32, ck_shape_of(2, M, 1), x),
              yt = ck_tensor_view(CK_F32, ck_shape_of(2, M, 1), y);
    ck_history *h = ck_fit(m, &xt, 1, &yt,
                           &(ck_fit_args){.epochs = 40,
                                          .batch_size = 16,
                                          .validation_split = 0.25,
                                          .verbose = CK_SILENT,
                                          CK_CALLBACKS(logger, best, early)});
    cr_assert_not_null(h, "%s", ck_error());
    /* accuracy reaches 1 and stays: EarlyStopping on val_accuracy (upward) stops 3 epochs later */
    cr_assert(h->stopped_early, "ran %d epochs", h->n_epochs);
    FILE *f = fopen(csv, "r");
    char header[256] = "";
    cr_assert_not_null(fgets(header, sizeof header, f));
    fclose(f);
    cr_assert_str_eq(header, "epoch,accuracy,auc,loss,val_accuracy,val_auc,val_loss\n");
    cr_assert_eq(access(ckpt, F_OK), 0);
    double auc;
    cr_assert_eq(ck_log_value(m, &h->epochs[h->n_epochs - 1], "val_auc", &auc), 0, "%s", ck_error());
    cr_assert_eq(auc, 1.0);
    ck_history_free(h);
    ck_callback_free(logger);
    ck_callback_free(best);
    ck_callback_free(early);
    ck_test_dir_remove(dir);
}
