/* EarlyStopping and ModelCheckpoint driven by scripted val_loss sequences,
 * checked against Keras's rules worked out by hand; CSVLogger's file. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_model.h"

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
    snprintf(dir, sizeof dir, "/tmp/ck_cb_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
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
    ck_history_free(ck_fit(m, &x, 1, &y, &(ck_fit_args){.epochs = 1, .val_x = &x, .val_y = &y}));
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
                           &(ck_fit_args){.epochs = 50,
                                          .batch_size = 8,
                                          .val_x = &x,
                                          .val_y = &v,
                                          .callbacks = (ck_callback *[]){es, ck, lg},
                                          .n_callbacks = 3});
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
