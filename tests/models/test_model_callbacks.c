/* EarlyStopping and ModelCheckpoint driven by scripted val_loss sequences,
 * checked against Keras's rules worked out by hand; CSVLogger's file. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_model.h"
#include "ck_safetensors.h"
#include "ck_test_dir.h"

static ck_session *s;
static ck_model *m;
static char dir[64];

static void setup(void)
{
    ck_error_clear();
    s = ck_session_new(3);
    ck_sym *x = ck_Input(s, ck_shape_of(1, 2), CK_F32, "x");
    ck_sym *y = ck_call1(ck_Dense(s, 1, NULL, "d"), x);
    m = ck_Model(s, &x, 1, &y, 1, NULL);
    ck_compile(m, "mse", ck_SGD(0.1f, 0), (const char *[]){"mae"}, 1);
    ck_test_dir_make(dir, sizeof dir, NULL, "ck_cb");
}

static void teardown(void)
{
    ck_test_dir_remove(dir);
    ck_session_free(s);
    ck_error_clear();
}
TestSuite(callbacks, .init = setup, .fini = teardown);

static void clear_stop(void)
{
    /* fit clears the stop flag; with validation data, val_* stay defined */
    float xd[2] = {0, 0}, yd[1] = {0};
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, 1, 2), xd);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, 1, 1), yd);
    ck_history_free(
        ck_fit(m, &x, 1, &y, CK_FIT_ARGS(.epochs = 1, .val_x = &x, .val_y = &y, .shuffle = false, .verbose = 0)));
    cr_assert(!ck_model_stop_requested(m));
}

Test(callbacks, early_stopping_patience)
{
    /* best 1.0, 0.9 (wait 0), 0.95 (wait 1), 0.91 (wait 2 >= 2: stop at 4) */
    double seq[] = {1.0, 0.9, 0.95, 0.91, 0.92, 0.85, 0.9};
    ck_callback *es = ck_EarlyStopping("val_loss", 2, 0, 0);
    clear_stop();
    cr_assert_eq(es->on_train_begin(es, m), 0);
    int stopped = 0;
    for (int e = 1; e <= 7 && !stopped; e++) {
        ck_epoch_log log = {.epoch = e, .loss = 1, .val_loss = seq[e - 1]};
        cr_assert_eq(es->on_epoch_end(es, m, &log), 0);
        if (ck_model_stop_requested(m)) stopped = e;
    }
    cr_assert_eq(stopped, 4);
    ck_callback_free(es);
}

Test(callbacks, early_stopping_min_delta)
{
    /* min_delta 0.02: 1.0 best; 0.99 no (wait 1); 0.97 yes; 0.96 no (1);
     * 0.90 yes; 0.89 no (1); 0.88 no (2): stop at 7 */
    double seq[] = {1.0, 0.99, 0.97, 0.96, 0.90, 0.89, 0.88, 0.5};
    ck_callback *es = ck_EarlyStopping("val_loss", 2, -0.02, 0); /* sign ignored, as in Keras */
    clear_stop();
    cr_assert_eq(es->on_train_begin(es, m), 0);
    int stopped = 0;
    for (int e = 1; e <= 8 && !stopped; e++) {
        ck_epoch_log log = {.epoch = e, .loss = 1, .val_loss = seq[e - 1]};
        cr_assert_eq(es->on_epoch_end(es, m, &log), 0);
        if (ck_model_stop_requested(m)) stopped = e;
    }
    cr_assert_eq(stopped, 7);
    ck_callback_free(es);
}

Test(callbacks, early_stopping_first_epoch_counts_even_if_nan_later_and_restores_best)
{
    /* weights are set to a per-epoch value before each epoch end; the best
     * epoch is 2, stop at 4 with patience 2, and the weights of epoch 2 come back */
    double seq[] = {0.8, 0.7, NAN, 0.75};
    ck_callback *es = ck_EarlyStopping("val_loss", 2, 0, 1);
    clear_stop();
    cr_assert_eq(es->on_train_begin(es, m), 0);
    int n = (int)ck_count_params(m), stopped = 0;
    float w[3];
    for (int e = 1; e <= 4 && !stopped; e++) {
        for (int i = 0; i < n; i++) w[i] = (float)(10 * e + i);
        ck_model_set_weights(m, w);
        ck_epoch_log log = {.epoch = e, .loss = 1, .val_loss = seq[e - 1]};
        cr_assert_eq(es->on_epoch_end(es, m, &log), 0);
        if (ck_model_stop_requested(m)) stopped = e;
    }
    cr_assert_eq(stopped, 4);
    ck_model_get_weights(m, w);
    for (int i = 0; i < n; i++) cr_assert_eq(w[i], (float)(20 + i));
    ck_callback_free(es);
}

/* Runs scripted epochs first..last of one fit: weights set to 10 e + i
 * before each epoch end (so restored weights name their epoch); returns the
 * epoch training stopped at, 0 when it did not stop. */
static int scripted_fit(ck_callback *cb, const double *val_loss, int epochs)
{
    clear_stop();
    cr_assert_eq(cb->on_train_begin(cb, m), 0, "%s", ck_error() ? ck_error() : "");
    int n = (int)ck_count_params(m);
    float w[3];
    for (int e = 1; e <= epochs; e++) {
        for (int i = 0; i < n; i++) w[i] = (float)(10 * e + i);
        ck_model_set_weights(m, w);
        ck_epoch_log log = {.epoch = e, .loss = 1, .val_loss = val_loss[e - 1]};
        cr_assert_eq(cb->on_epoch_end(cb, m, &log), 0, "%s", ck_error() ? ck_error() : "");
        if (ck_model_stop_requested(m)) return e;
    }
    return 0;
}

/* The epoch whose weights the model holds (10 e + i, see scripted_fit). */
static int weights_epoch(void)
{
    float w[3];
    ck_model_get_weights(m, w);
    int e = (int)(w[0] / 10);
    for (int i = 0; i < (int)ck_count_params(m); i++) cr_assert_eq(w[i], (float)(10 * e + i));
    return e;
}

Test(callbacks, early_stopping_all_nan_restores_the_first_epoch_as_keras)
{
    /* tf.keras 2.5-2.15 EarlyStopping.on_epoch_end: best_weights is None at
     * epoch 0, so it keeps epoch 0's weights; NaN - min_delta < inf is
     * False, so wait = epoch + 1 and the stop comes when wait >= patience
     * and epoch > 0; the stop restores those first weights */
    double nan4[] = {NAN, NAN, NAN, NAN, NAN};
    ck_callback *es = ck_EarlyStopping("val_loss", 3, 0, 1);
    cr_assert_eq(scripted_fit(es, nan4, 5), 3);
    cr_assert_eq(weights_epoch(), 1);
    ck_callback_free(es);
    /* patience 0 and 1: never at the first epoch, so at the second */
    for (int patience = 0; patience <= 1; patience++) {
        es = ck_EarlyStopping("val_loss", patience, 0, 1);
        cr_assert_eq(scripted_fit(es, nan4, 5), 2, "patience %d", patience);
        cr_assert_eq(weights_epoch(), 1, "patience %d", patience);
        ck_callback_free(es);
    }
    /* without restore_best_weights the last epoch's weights stay */
    es = ck_EarlyStopping("val_loss", 2, 0, 0);
    cr_assert_eq(scripted_fit(es, nan4, 5), 2);
    cr_assert_eq(weights_epoch(), 2);
    ck_callback_free(es);
    /* a NaN first epoch, then real values: the first real one is the best */
    double late[] = {NAN, 0.5, 0.6, 0.7};
    es = ck_EarlyStopping("val_loss", 2, 0, 1);
    cr_assert_eq(scripted_fit(es, late, 4), 4);
    cr_assert_eq(weights_epoch(), 2);
    ck_callback_free(es);
}

Test(callbacks, early_stopping_starts_afresh_in_every_fit)
{
    /* Keras resets wait, best and best_weights in on_train_begin: the second
     * fit's 0.9 improves on inf (not on the first fit's 0.5), so with
     * patience 2 it stops at its epoch 3 and restores its own epoch 1 */
    ck_callback *es = ck_EarlyStopping("val_loss", 2, 0, 1);
    double first[] = {0.5, 0.4}, second[] = {0.9, 0.95, 0.97, 0.99};
    cr_assert_eq(scripted_fit(es, first, 2), 0);
    cr_assert_eq(scripted_fit(es, second, 4), 3);
    cr_assert_eq(weights_epoch(), 1);
    ck_callback_free(es);
}

Test(callbacks, early_stopping_unknown_monitor_is_an_error)
{
    ck_callback *es = ck_EarlyStopping("val_acc", 2, 0, 0);
    cr_assert_eq(es->on_train_begin(es, m), 0);
    ck_epoch_log log = {.epoch = 1, .loss = 1, .val_loss = 1};
    cr_assert_eq(es->on_epoch_end(es, m, &log), -1);
    cr_assert(strstr(ck_error(), "'val_acc' is not logged (available: loss, mae, val_loss, val_mae)"), "%s",
              ck_error());
    ck_callback_free(es);
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

Test(callbacks, checkpoint_saves_first_and_improving_epochs)
{
    /* strict improvement, no min_delta: saves at 1, 2 and 5 (0.9 at 4 ties) */
    double seq[] = {1.0, 0.9, 0.95, 0.9, 0.85};
    char tmpl[128], path[160];
    snprintf(tmpl, sizeof tmpl, "%s/w_{epoch:02d}.safetensors", dir);
    ck_callback *ck = ck_ModelCheckpoint(tmpl, "val_loss", 1, 1, 0);
    clear_stop(); /* a fit with validation data: val_loss is logged */
    cr_assert_eq(ck->on_train_begin(ck, m), 0, "%s", ck_error());
    for (int e = 1; e <= 5; e++) {
        ck_epoch_log log = {.epoch = e, .loss = 1, .val_loss = seq[e - 1]};
        cr_assert_eq(ck->on_epoch_end(ck, m, &log), 0, "%s", ck_error() ? ck_error() : "");
    }
    int saved[6] = {0, 1, 1, 0, 0, 1};
    for (int e = 1; e <= 5; e++) {
        snprintf(path, sizeof path, "%s/w_%02d.safetensors", dir, e);
        cr_assert_eq(exists(path), saved[e], "epoch %d", e);
    }
    /* no temporary file left behind */
    char cmd[200];
    snprintf(cmd, sizeof cmd, "ls -A %s | grep -q '\\.tmp\\.'", dir);
    cr_assert_neq(system(cmd), 0, "a temporary file was left in %s", dir);
    ck_callback_free(ck);
}

Test(callbacks, checkpoint_best_persists_across_fits)
{
    /* Keras 2 sets ModelCheckpoint.best in __init__ only: the second fit on
     * the same callback saves only what beats the first fit's best 0.4, so
     * its epochs 1 (NaN: never better) and 2 (0.45) are not saved, 3 (0.3) is */
    char tmpl[128], path[160];
    snprintf(tmpl, sizeof tmpl, "%s/w_{epoch:02d}.safetensors", dir);
    ck_callback *ck = ck_ModelCheckpoint(tmpl, "val_loss", 1, 1, 0);
    double first[] = {0.5, 0.4}, second[] = {NAN, 0.45, 0.3};
    cr_assert_eq(scripted_fit(ck, first, 2), 0);
    for (int e = 1; e <= 2; e++) {
        snprintf(path, sizeof path, "%s/w_%02d.safetensors", dir, e);
        cr_assert(exists(path), "first fit, epoch %d", e);
        cr_assert_eq(unlink(path), 0);
    }
    cr_assert_eq(scripted_fit(ck, second, 3), 0);
    int saved[4] = {0, 0, 0, 1};
    for (int e = 1; e <= 3; e++) {
        snprintf(path, sizeof path, "%s/w_%02d.safetensors", dir, e);
        cr_assert_eq(exists(path), saved[e], "second fit, epoch %d", e);
    }
    ck_callback_free(ck);
}

Test(callbacks, checkpoint_every_epoch_and_value_in_name)
{
    char tmpl[128], path[160];
    snprintf(tmpl, sizeof tmpl, "%s/e{epoch}-{val_loss:.2f}.st", dir);
    ck_callback *ck = ck_ModelCheckpoint(tmpl, "val_loss", 0, 1, 0);
    clear_stop();
    cr_assert_eq(ck->on_train_begin(ck, m), 0, "%s", ck_error());
    double seq[] = {0.5, 0.75};
    for (int e = 1; e <= 2; e++) {
        ck_epoch_log log = {.epoch = e, .loss = 1, .val_loss = seq[e - 1]};
        cr_assert_eq(ck->on_epoch_end(ck, m, &log), 0, "%s", ck_error() ? ck_error() : "");
    }
    snprintf(path, sizeof path, "%s/e1-0.50.st", dir);
    cr_assert(exists(path), "%s", path);
    snprintf(path, sizeof path, "%s/e2-0.75.st", dir);
    cr_assert(exists(path), "%s", path);
    ck_callback_free(ck);
}

Test(callbacks, fit_with_early_stopping_checkpoint_and_csv)
{
    /* validation targets that the model cannot fit: val_loss stops improving */
    enum { N = 32 };
    float xd[2 * N], yd[N], vy[N];
    for (int i = 0; i < N; i++) {
        xd[2 * i] = (float)(i % 4) / 4;
        xd[2 * i + 1] = (float)(i % 3) / 3;
        yd[i] = xd[2 * i] + xd[2 * i + 1];
        vy[i] = (i % 2) ? 5.0f : -5.0f;
    }
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, N, 2), xd);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, N, 1), yd);
    ck_tensor v = ck_tensor_view(CK_F32, ck_shape_of(2, N, 1), vy);
    char csv[128], best[128];
    snprintf(csv, sizeof csv, "%s/log.csv", dir);
    snprintf(best, sizeof best, "%s/best.safetensors", dir);
    ck_callback *es = ck_EarlyStopping("val_loss", 2, 0, 1);
    ck_callback *ck = ck_ModelCheckpoint(best, "val_loss", 1, 1, 0);
    ck_callback *lg = ck_CSVLogger(csv);
    ck_history *h = ck_fit(m, &x, 1, &y,
                           CK_FIT_ARGS(.epochs = 50, .batch_size = 8, .val_x = &x, .val_y = &v,
                                       .callbacks = (ck_callback *[]){es, ck, lg}, .n_callbacks = 3, .shuffle = false,
                                       .verbose = 0));
    cr_assert_not_null(h, "%s", ck_error());
    cr_assert(h->stopped_early);
    /* replay Keras's rule over the recorded val_loss */
    double bestv = INFINITY;
    int wait = 0, stop = 0;
    for (int e = 0; e < h->n_epochs && !stop; e++) {
        if (h->epochs[e].val_loss < bestv) {
            bestv = h->epochs[e].val_loss;
            wait = 0;
        } else if (++wait >= 2)
            stop = e + 1;
    }
    cr_assert_eq(stop, h->n_epochs);
    FILE *f = fopen(csv, "r");
    cr_assert_not_null(f);
    char line[256];
    cr_assert_not_null(fgets(line, sizeof line, f));
    cr_assert_str_eq(line, "epoch,loss,mae,val_loss,val_mae\n");
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        int epoch;
        double loss, mae, vl, vm;
        cr_assert_eq(sscanf(line, "%d,%lf,%lf,%lf,%lf", &epoch, &loss, &mae, &vl, &vm), 5);
        cr_assert_eq(epoch, rows);
        cr_assert_eq(vl, h->epochs[rows].val_loss);
        rows++;
    }
    fclose(f);
    cr_assert_eq(rows, h->n_epochs);
    /* restore_best_weights: the model now has the checkpointed (best) weights */
    double out[2];
    cr_assert_eq(ck_evaluate(m, &x, 1, &v, 8, out), 0);
    cr_assert_float_eq(out[0], bestv, 1e-9);
    ck_history_free(h);
    ck_callback_free(es);
    ck_callback_free(ck);
    ck_callback_free(lg);
}

/* ---- issue 14 ---- */

/* The text of a file, or "" when it does not exist. */
static void read_text(const char *p, char *out, size_t n)
{
    out[0] = '\0';
    FILE *f = fopen(p, "r");
    if (!f) return;
    size_t got = fread(out, 1, n - 1, f);
    out[got] = '\0';
    fclose(f);
}

/* Keras's initial_value_threshold: nothing is saved until the monitor beats
 * it; every file records what it is in its __metadata__. */
Test(callbacks, checkpoint_initial_value_threshold_and_metadata)
{
    double seq[] = {1.0, 0.9, 0.7, 0.75, 0.6}, threshold = 0.8;
    char tmpl[128], path[160];
    snprintf(tmpl, sizeof tmpl, "%s/w_{epoch}.safetensors", dir);
    ck_callback *ck = ck_ModelCheckpoint_ex(&(ck_model_checkpoint_args){.filepath = tmpl,
                                                                        .save_best_only = 1,
                                                                        .initial_value_threshold = &threshold,
                                                                        .meta_keys = (const char *[]){"run"},
                                                                        .meta_values = (const char *[]){"a"},
                                                                        .n_meta = 1});
    cr_assert_not_null(ck, "%s", ck_error());
    clear_stop();
    cr_assert_eq(ck->on_train_begin(ck, m), 0, "%s", ck_error());
    for (int e = 1; e <= 5; e++) {
        ck_epoch_log log = {.epoch = e, .loss = 1, .val_loss = seq[e - 1]};
        cr_assert_eq(ck->on_epoch_end(ck, m, &log), 0, "%s", ck_error() ? ck_error() : "");
    }
    int saved[6] = {0, 0, 0, 1, 0, 1}; /* 1.0 and 0.9 do not beat 0.8; 0.75 does not beat 0.7 */
    for (int e = 1; e <= 5; e++) {
        snprintf(path, sizeof path, "%s/w_%d.safetensors", dir, e);
        cr_assert_eq(exists(path), saved[e], "epoch %d", e);
    }
    ck_safetensors *st = ck_safetensors_load(path);
    cr_assert_not_null(st, "%s", ck_error());
    cr_expect_str_eq(ck_safetensors_meta(st, "model"), ck_model_name(m));
    cr_expect_str_eq(ck_safetensors_meta(st, "epoch"), "5");
    cr_expect_str_eq(ck_safetensors_meta(st, "monitor"), "val_loss");
    cr_expect_str_eq(ck_safetensors_meta(st, "monitor_value"), "0.6");
    cr_expect_str_eq(ck_safetensors_meta(st, "run"), "a");
    ck_safetensors_free(st);
    ck_callback_free(ck);
    /* refused: a NaN threshold, the callback's own metadata keys */
    double nan_threshold = NAN;
    cr_expect_null(ck_ModelCheckpoint_ex(
        &(ck_model_checkpoint_args){.filepath = tmpl, .initial_value_threshold = &nan_threshold}));
    ck_error_clear();
    cr_expect_null(ck_ModelCheckpoint_ex(&(ck_model_checkpoint_args){
        .filepath = tmpl, .meta_keys = (const char *[]){"epoch"}, .meta_values = (const char *[]){"1"}, .n_meta = 1}));
    cr_expect(strstr(ck_error(), "'epoch' is written by the callback itself"), "%s", ck_error());
}

static int epochs_seen;
static int count_epoch(ck_callback *cb, ck_model *mm, const ck_epoch_log *log)
{
    (void)cb, (void)mm, (void)log;
    epochs_seen++;
    return 0;
}

/* issue 14, problem 3: a bad template was found when epoch 1 ended. Now
 * its syntax is refused when the callback is made, and a field that is not
 * logged when fit begins: no epoch runs. */
Test(callbacks, checkpoint_template_errors_fail_before_the_first_epoch)
{
    const char *bad[][2] = {{"w{epoch", "unclosed '{'"},
                            {"w}", "'}' without '{'"},
                            {"w{}", "empty field"},
                            {"w{epoch:.2f}", "the epoch is an integer"},
                            {"w{val_loss:d}", "a value takes"},
                            {"w{epoch:123d}", "at most 2 digits"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect_null(ck_ModelCheckpoint(bad[i][0], "val_loss", 1, 1, 0), "accepted %s", bad[i][0]);
        cr_expect(ck_error() && strstr(ck_error(), bad[i][1]), "%s: %s", bad[i][0], ck_error());
        ck_error_clear();
    }
    float xd[4] = {0, 1, 1, 0}, yd[2] = {1, 2};
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 2), xd);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 1), yd);
    char tmpl[128];
    snprintf(tmpl, sizeof tmpl, "%s/w_{val_acc:.2f}.st", dir);
    ck_callback *ck = ck_ModelCheckpoint(tmpl, "val_loss", 1, 1, 0);
    cr_assert_not_null(ck, "%s", ck_error());
    ck_callback counter = {.name = "counter", .on_epoch_end = count_epoch};
    epochs_seen = 0;
    ck_history *h = ck_fit(
        m, &x, 1, &y,
        &(ck_fit_args){
            .epochs = 3, .val_x = &x, .val_y = &y, .callbacks = (ck_callback *[]){ck, &counter}, .n_callbacks = 2});
    cr_assert_null(h);
    cr_expect(strstr(ck_error(), "field '{val_acc}'") && strstr(ck_error(), "'val_acc' is not logged"), "%s",
              ck_error());
    cr_expect_eq(epochs_seen, 0);
    ck_error_clear();
    ck_callback_free(ck);
    /* a monitor that is not logged (no validation data) */
    snprintf(tmpl, sizeof tmpl, "%s/w.st", dir);
    ck = ck_ModelCheckpoint(tmpl, "val_loss", 1, 1, 0);
    h = ck_fit(m, &x, 1, &y,
               &(ck_fit_args){.epochs = 3, .callbacks = (ck_callback *[]){ck, &counter}, .n_callbacks = 2});
    cr_assert_null(h);
    cr_expect(strstr(ck_error(), "monitor: 'val_loss' is not logged"), "%s", ck_error());
    cr_expect_eq(epochs_seen, 0);
    ck_error_clear();
    ck_callback_free(ck);
}

Test(callbacks, checkpoint_filepath_formats_as_python)
{
    const char *keys[] = {"loss", "val_loss"};
    double values[] = {0.1, 0.5};
    char out[64];
    cr_assert_eq(ck_checkpoint_filepath("m{epoch:03d}-{val_loss:.2f}-{loss}-{val_loss:e}.st", 7, keys, values, 2, out,
                                        sizeof out),
                 0, "%s", ck_error());
    cr_expect_str_eq(out, "m007-0.50-0.1-5.000000e-01.st");
    cr_expect_eq(ck_checkpoint_filepath("{loss:.2f}{loss:.2f}{loss:.2f}", 1, keys, values, 2, out, 8), -1);
    cr_expect(strstr(ck_error(), "too long"), "%s", ck_error());
    ck_error_clear();
}

/* issue 14: CSVLogger truncated an earlier log when training began; now the
 * file is replaced, atomically, once the first epoch has a line. */
Test(callbacks, csv_logger_keeps_an_earlier_file_until_the_first_epoch)
{
    char csv[128], text[512], missing[160];
    snprintf(csv, sizeof csv, "%s/log.csv", dir);
    FILE *f = fopen(csv, "w");
    fputs("earlier log\n", f);
    fclose(f);
    ck_callback *lg = ck_CSVLogger(csv);
    clear_stop();
    cr_assert_eq(lg->on_train_begin(lg, m), 0, "%s", ck_error());
    read_text(csv, text, sizeof text);
    cr_expect_str_eq(text, "earlier log\n");
    ck_epoch_log log = {.epoch = 1, .loss = 0.5, .val_loss = 0.25};
    log.keys[0] = "mae", log.values[0] = 0.125, log.keys[1] = "val_mae", log.values[1] = 1.0 / 3, log.n_values = 2;
    cr_assert_eq(lg->on_epoch_end(lg, m, &log), 0, "%s", ck_error());
    read_text(csv, text, sizeof text);
    cr_expect_str_eq(text, "epoch,loss,mae,val_loss,val_mae\n0,0.5,0.125,0.25,0.3333333333333333\n");
    ck_callback_free(lg);
    /* a path that cannot be written fails when training begins */
    snprintf(missing, sizeof missing, "%s/gone/log.csv", dir);
    lg = ck_CSVLogger(missing);
    cr_assert_eq(lg->on_train_begin(lg, m), -1);
    cr_expect(strstr(ck_error(), "CSVLogger: cannot write") && strstr(ck_error(), "No such file or directory"), "%s",
              ck_error());
    ck_error_clear();
    ck_callback_free(lg);
}
