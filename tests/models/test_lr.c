/* The learning rate: keras.optimizers.schedules step by step against hand
 * values, an optimizer driven by a schedule, LearningRateScheduler and
 * ReduceLROnPlateau with scripted monitor values against Keras's rules
 * worked out by hand, "lr" in the history, CSVLogger and the progress line,
 * and a rate changed between fits keeping Adam's state. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_model_internal.h"
#include "ck_test_dir.h"

static ck_session *s;
static char dir[64];

static void setup(void)
{
    ck_error_clear();
    s = ck_session_new(3);
    ck_test_dir_make(dir, sizeof dir, NULL, "ck_lr");
}

static void teardown(void)
{
    ck_test_dir_remove(dir);
    ck_session_free(s);
    ck_error_clear();
}
TestSuite(lr, .init = setup, .fini = teardown);

/* y = Dense(1)(x), x (None, 2) */
static ck_model *small_model(ck_session *session, ck_optimizer *opt)
{
    ck_sym *x = ck_Input(session, ck_shape_of(1, 2), CK_F32, "x");
    ck_sym *y = ck_call1(ck_Dense(session, 1, NULL, "d"), x);
    ck_model *m = ck_Model(session, &x, 1, &y, 1, NULL);
    cr_assert_not_null(m, "%s", ck_error());
    cr_assert_eq(ck_compile(m, "mse", opt, (const char *[]){"mae"}, 1), 0, "%s", ck_error());
    return m;
}

enum { N = 32 };
static float xd[2 * N], yd[N], vy[N];
static ck_tensor x_all, y_all, v_all;

/* training targets the model can fit, validation targets it cannot */
static void make_data(void)
{
    for (int i = 0; i < N; i++) {
        xd[2 * i] = (float)(i % 4) / 4;
        xd[2 * i + 1] = (float)(i % 3) / 3;
        yd[i] = xd[2 * i] + xd[2 * i + 1];
        vy[i] = (i % 2) ? 5.0f : -5.0f;
    }
    x_all = ck_tensor_view(CK_F32, ck_shape_of(2, N, 2), xd);
    y_all = ck_tensor_view(CK_F32, ck_shape_of(2, N, 1), yd);
    v_all = ck_tensor_view(CK_F32, ck_shape_of(2, N, 1), vy);
}

/* ---- schedules ---- */

Test(lr, exponential_decay)
{
    ck_lr_schedule *smooth = ck_ExponentialDecay(0.1f, 10, 0.5f, 0);
    ck_lr_schedule *stairs = ck_ExponentialDecay(0.1f, 10, 0.5f, 1);
    cr_assert_str_eq(ck_lr_schedule_name(smooth), "ExponentialDecay");
    /* 0.1 * 0.5^(step / 10), and with floor() on the exponent */
    const long steps[] = {0, 5, 10, 19, 20, 25};
    const double smooth_want[] = {0.1, 0.07071067811865475, 0.05, 0.026794331177921, 0.025, 0.01767766952966369};
    const double stairs_want[] = {0.1, 0.1, 0.05, 0.05, 0.025, 0.025};
    for (int i = 0; i < 6; i++) {
        cr_assert_float_eq(ck_lr_schedule_value(smooth, steps[i]), smooth_want[i], 1e-8, "step %ld", steps[i]);
        cr_assert_float_eq(ck_lr_schedule_value(stairs, steps[i]), stairs_want[i], 1e-8, "step %ld", steps[i]);
    }
    ck_lr_schedule_free(smooth);
    ck_lr_schedule_free(stairs);
}

Test(lr, piecewise_constant_decay)
{
    /* values[0] through step 10 (inclusive), values[1] through 20, then values[2] */
    ck_lr_schedule *p = ck_PiecewiseConstantDecay((const long[]){10, 20}, 2, (const float[]){1.0f, 0.5f, 0.1f});
    const long steps[] = {0, 9, 10, 11, 20, 21, 1000};
    const float want[] = {1.0f, 1.0f, 1.0f, 0.5f, 0.5f, 0.1f, 0.1f};
    for (int i = 0; i < 7; i++) cr_assert_eq(ck_lr_schedule_value(p, steps[i]), want[i], "step %ld", steps[i]);
    ck_lr_schedule_free(p);
    ck_lr_schedule *constant = ck_PiecewiseConstantDecay(NULL, 0, (const float[]){0.25f});
    cr_assert_eq(ck_lr_schedule_value(constant, 123), 0.25f);
    ck_lr_schedule_free(constant);
}

Test(lr, cosine_decay)
{
    /* 0.5 (1 + cos(pi min(step, 100) / 100)), then (1 - alpha) that + alpha */
    ck_lr_schedule *c = ck_CosineDecay(1.0f, 100, 0.0f), *a = ck_CosineDecay(2.0f, 100, 0.2f);
    const long steps[] = {0, 25, 50, 75, 100, 150};
    const double want[] = {1.0, 0.8535533905932737, 0.5, 0.14644660940672627, 0.0, 0.0};
    for (int i = 0; i < 6; i++) {
        cr_assert_float_eq(ck_lr_schedule_value(c, steps[i]), want[i], 1e-6, "step %ld", steps[i]);
        cr_assert_float_eq(ck_lr_schedule_value(a, steps[i]), 2.0 * (0.8 * want[i] + 0.2), 1e-6, "step %ld", steps[i]);
    }
    ck_lr_schedule_free(c);
    ck_lr_schedule_free(a);
}

Test(lr, bad_schedules_are_refused)
{
    cr_assert_null(ck_ExponentialDecay(0.1f, 0, 0.5f, 0));
    cr_assert(strstr(ck_error(), "ExponentialDecay: need initial_learning_rate >= 0, decay_steps > 0"), "%s",
              ck_error());
    ck_error_clear();
    cr_assert_null(ck_PiecewiseConstantDecay((const long[]){5, 5}, 2, (const float[]){1, 2, 3}));
    cr_assert(strstr(ck_error(), "boundaries must be strictly increasing; boundaries[1] = 5 after 5"), "%s",
              ck_error());
    ck_error_clear();
    cr_assert_null(ck_CosineDecay(0.1f, 10, -1));
    cr_assert(strstr(ck_error(), "CosineDecay: need"), "%s", ck_error());
    ck_error_clear();
    /* a NULL schedule frees the optimizer and keeps the first message */
    cr_assert_null(ck_optimizer_with_schedule(ck_SGD(0.1f, 0), ck_CosineDecay(0.1f, 0, 0)));
    cr_assert(strstr(ck_error(), "CosineDecay: need"), "%s", ck_error());
}

Test(lr, optimizer_follows_its_schedule_at_its_iteration_count)
{
    /* SGD without momentum and a gradient of 1: each step moves w by the
     * rate of schedule(iterations before the step), as Keras */
    ck_lr_schedule *sched = ck_PiecewiseConstantDecay((const long[]){1, 3}, 2, (const float[]){0.1f, 0.05f, 0.01f});
    ck_optimizer *o = ck_optimizer_with_schedule(ck_SGD(1.0f, 0), sched);
    cr_assert_not_null(o, "%s", ck_error());
    cr_assert_eq(ck_optimizer_learning_rate(o), 0.1f); /* schedule(0) before the first step */
    ck_node *p = ck_param(ck_tensor_zeros(ck_shape_of(1, 1)), "w");
    cr_assert_eq(ck_optimizer_attach(o, &p, 1), 0);
    const float rates[] = {0.1f, 0.1f, 0.05f, 0.05f, 0.01f, 0.01f};
    double w = 0;
    for (int step = 0; step < 6; step++) {
        p->grad[0] = 1.0f;
        ck_optimizer_apply(o, &p);
        w -= rates[step];
        cr_assert_float_eq(p->value.f[0], w, 1e-6, "step %d", step);
        cr_assert_eq(ck_optimizer_learning_rate(o), rates[step], "the rate of step %d", step);
    }
    /* not settable, as Keras's TypeError */
    cr_assert_eq(ck_optimizer_set_learning_rate(o, 0.5f), -1);
    cr_assert(strstr(ck_error(), "SGD: this optimizer was created with a LearningRateSchedule "
                                 "(PiecewiseConstantDecay) as its learning rate, hence its learning rate is not "
                                 "settable"),
              "%s", ck_error());
    ck_param_free(p);
    ck_optimizer_free(o);
}

/* ---- LearningRateScheduler ---- */

typedef struct calls {
    int n, epochs[8];
    float lrs[8];
} calls;

/* Keras's docs example: keep the rate for 2 epochs, then lr * 0.5 */
static float halve_after_two(int epoch, float lr, void *user)
{
    calls *c = user;
    c->epochs[c->n] = epoch;
    c->lrs[c->n++] = lr;
    return epoch < 2 ? lr : lr * 0.5f;
}

Test(lr, scheduler_calls_schedule_with_epoch_and_current_rate)
{
    ck_model *m = small_model(s, ck_Adam(0.01f));
    calls c = {0};
    ck_callback *cb = ck_LearningRateScheduler(halve_after_two, &c, 0);
    const float after[] = {0.01f, 0.01f, 0.005f, 0.0025f};
    for (int epoch = 0; epoch < 4; epoch++) {
        cr_assert_eq(cb->on_epoch_begin(cb, m, epoch), 0, "%s", ck_error());
        cr_assert_eq(ck_optimizer_learning_rate(ck_model_optimizer(m)), after[epoch], "epoch %d", epoch);
        ck_epoch_log log = {.epoch = epoch + 1, .val_loss = NAN};
        cr_assert_eq(cb->add_logs(cb, m, &log), 0);
        double lr;
        cr_assert_eq(ck_log_value(m, &log, "lr", &lr), 0);
        cr_assert_eq(lr, (double)after[epoch]);
    }
    const float seen[] = {0.01f, 0.01f, 0.01f, 0.005f};
    cr_assert_eq(c.n, 4);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(c.epochs[i], i, "0-based epochs");
        cr_assert_eq(c.lrs[i], seen[i], "call %d", i);
    }
    ck_callback_free(cb);
}

static float nan_schedule(int epoch, float lr, void *user)
{
    (void)lr;
    (void)user;
    return epoch == 1 ? NAN : 0.1f;
}

Test(lr, scheduler_returning_nan_aborts_fit_with_a_message)
{
    make_data();
    ck_model *m = small_model(s, ck_SGD(0.1f, 0));
    ck_callback *cb = ck_LearningRateScheduler(nan_schedule, NULL, 0);
    ck_history *h = ck_fit(
        m, &x_all, 1, &y_all,
        CK_FIT_ARGS(.epochs = 3, .callbacks = (ck_callback *[]){cb}, .n_callbacks = 1, .shuffle = false, .verbose = 0));
    cr_assert_null(h);
    cr_assert(strstr(ck_error(), "callback 'LearningRateScheduler': the schedule returned nan for epoch 1 (0-based)"),
              "%s", ck_error());
    ck_callback_free(cb);
}

/* ---- ReduceLROnPlateau ---- */

/* One epoch of a callback on a scripted monitor value; returns the "lr"
 * it logged (the rate the epoch trained with). */
static double plateau_epoch(ck_callback *cb, ck_model *m, int epoch, double val_loss)
{
    ck_epoch_log log = {.epoch = epoch, .loss = 1, .val_loss = val_loss};
    cr_assert_eq(cb->add_logs(cb, m, &log), 0, "%s", ck_error());
    double lr;
    cr_assert_eq(ck_log_value(m, &log, "lr", &lr), 0);
    cr_assert_eq(cb->on_epoch_end(cb, m, &log), 0, "%s", ck_error());
    return lr;
}

Test(lr, reduce_on_plateau_patience_min_delta_cooldown_min_lr)
{
    /* factor 0.5, patience 2, min_delta 0.01, cooldown 2, min_lr 0.2; by hand:
     *  e1 1.0 best            e2 0.995 wait 1 (not < 0.99)   e3 0.98 best
     *  e4 0.975 wait 1        e5 0.99 wait 2: lr 0.5, cooldown 2, wait 0
     *  e6 cooldown 1, nothing e7 cooldown 0, wait 1          e8 wait 2: lr 0.25
     *  e9 0.5 best (cd 1)     e10 cd 0, wait 1               e11 wait 2: lr max(0.125, 0.2)
     *  e12 cd 1               e13 cd 0, wait 1               e14 wait 2, lr 0.2 not > min_lr: kept
     *  e15 NaN: wait 3, kept */
    make_data();
    ck_model *m = small_model(s, ck_SGD(1.0f, 0));
    /* a fit with validation data: val_* keys exist even when NaN */
    ck_history_free(ck_fit(m, &x_all, 1, &y_all,
                           CK_FIT_ARGS(.epochs = 1, .val_x = &x_all, .val_y = &v_all, .shuffle = false, .verbose = 0)));
    ck_callback *cb = ck_ReduceLROnPlateau("val_loss", 0.5f, 2, 0.01, 2, 0.2f);
    cr_assert_eq(cb->on_train_begin(cb, m), 0);
    const double seq[] = {1.0, 0.995, 0.98, 0.975, 0.99, 0.99, 0.99, 0.99, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, NAN};
    const float during[] = {1.0f,  1.0f,  1.0f,  1.0f, 1.0f, 0.5f, 0.5f, 0.5f,
                            0.25f, 0.25f, 0.25f, 0.2f, 0.2f, 0.2f, 0.2f};
    for (int e = 1; e <= 15; e++)
        cr_assert_eq(plateau_epoch(cb, m, e, seq[e - 1]), (double)during[e - 1], "epoch %d", e);
    cr_assert_eq(ck_optimizer_learning_rate(ck_model_optimizer(m)), 0.2f);
    /* a new fit starts over: best, wait and cooldown reset */
    cr_assert_eq(cb->on_train_begin(cb, m), 0);
    cr_assert_eq(plateau_epoch(cb, m, 1, 5.0), 0.2f);
    ck_callback_free(cb);
}

Test(lr, reduce_on_plateau_max_mode_for_accuracy_and_errors)
{
    ck_model *m = small_model(s, ck_SGD(1.0f, 0));
    /* "acc" in the name: higher is better; patience 1, min_delta 0 */
    ck_callback *cb = ck_ReduceLROnPlateau("acc", 0.1f, 1, 0, 0, 0);
    cr_assert_eq(cb->on_train_begin(cb, m), 0);
    const double acc[] = {0.5, 0.6, 0.6};
    const float during[] = {1.0f, 1.0f, 1.0f};
    for (int e = 1; e <= 3; e++) {
        ck_epoch_log log = {
            .epoch = e, .loss = 1, .val_loss = NAN, .n_values = 1, .keys = {"acc"}, .values = {acc[e - 1]}};
        cr_assert_eq(cb->add_logs(cb, m, &log), 0);
        cr_assert_eq(log.n_values, 2);
        cr_assert_str_eq(log.keys[1], "lr");
        cr_assert_eq(log.values[1], (double)during[e - 1]);
        cr_assert_eq(cb->on_epoch_end(cb, m, &log), 0, "%s", ck_error());
    }
    cr_assert_float_eq(ck_optimizer_learning_rate(ck_model_optimizer(m)), 0.1f, 0, "0.6 did not beat 0.6");
    ck_callback_free(cb);

    cr_assert_null(ck_ReduceLROnPlateau("val_loss", 1.0f, 10, 1e-4, 0, 0));
    cr_assert(strstr(ck_error(), "ReduceLROnPlateau: does not support a factor >= 1.0; got 1"), "%s", ck_error());
    ck_error_clear();
    cr_assert_null(ck_ReduceLROnPlateau_ex("val_loss", 0.1f, 10, 0, "up", 1e-4, 0, 0));
    cr_assert(strstr(ck_error(), "mode 'up' is unknown"), "%s", ck_error());
    ck_error_clear();
    /* an unknown monitor is an error, as for EarlyStopping */
    cb = ck_ReduceLROnPlateau("val_auc", 0.1f, 10, 1e-4, 0, 0);
    cr_assert_eq(cb->on_train_begin(cb, m), 0);
    ck_epoch_log log = {.epoch = 1, .loss = 1, .val_loss = 1};
    cr_assert_eq(cb->on_epoch_end(cb, m, &log), -1);
    cr_assert(strstr(ck_error(), "'val_auc' is not logged"), "%s", ck_error());
    ck_callback_free(cb);
}

Test(lr, reduce_on_plateau_refuses_a_scheduled_optimizer)
{
    make_data();
    ck_model *m = small_model(s, ck_optimizer_with_schedule(ck_SGD(0.1f, 0), ck_ExponentialDecay(0.1f, 10, 0.9f, 0)));
    /* patience 0: the first epoch without improvement (the second) reduces */
    ck_callback *cb = ck_ReduceLROnPlateau("loss", 0.5f, 0, 1e9, 0, 0);
    ck_history *h = ck_fit(
        m, &x_all, 1, &y_all,
        CK_FIT_ARGS(.epochs = 3, .callbacks = (ck_callback *[]){cb}, .n_callbacks = 1, .shuffle = false, .verbose = 0));
    cr_assert_null(h);
    cr_assert(strstr(ck_error(), "callback 'ReduceLROnPlateau': SGD: this optimizer was created with a "
                                 "LearningRateSchedule (ExponentialDecay)"),
              "%s", ck_error());
    ck_callback_free(cb);
}

/* ---- in fit: history, CSVLogger, progress line ---- */

Test(lr, lr_is_logged_in_history_csv_and_progress_line)
{
    make_data();
    ck_model *m = small_model(s, ck_SGD(0.1f, 0));
    /* min_delta 1e9: only the first epoch improves; patience 1: every later
     * epoch halves the rate, so "lr" is 0.1, 0.1, 0.05, 0.025 */
    ck_callback *plateau = ck_ReduceLROnPlateau("val_loss", 0.5f, 1, 1e9, 0, 0);
    char csv[128], out[128];
    snprintf(csv, sizeof csv, "%s/log.csv", dir);
    snprintf(out, sizeof out, "%s/stdout.txt", dir);
    ck_callback *logger = ck_CSVLogger(csv);
    /* the progress lines go to a file (not a terminal: one line per epoch) */
    fflush(stdout);
    int saved = dup(STDOUT_FILENO), fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(saved >= 0 && fd >= 0);
    dup2(fd, STDOUT_FILENO);
    ck_history *h = ck_fit(m, &x_all, 1, &y_all,
                           CK_FIT_ARGS(.epochs = 4, .batch_size = 8, .val_x = &x_all, .val_y = &v_all,
                                       .callbacks = (ck_callback *[]){logger, plateau}, .n_callbacks = 2, .verbose = 1,
                                       .shuffle = false));
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(fd);
    close(saved);
    cr_assert_not_null(h, "%s", ck_error());
    const float want[] = {0.1f, 0.1f, 0.05f, 0.025f};
    for (int e = 0; e < 4; e++) {
        double lr;
        cr_assert_eq(ck_log_value(m, &h->epochs[e], "lr", &lr), 0, "%s", ck_error());
        cr_assert_eq(lr, (double)want[e], "epoch %d", e + 1);
        cr_assert_str_eq(h->epochs[e].keys[h->epochs[e].n_values - 1], "lr", "after the metrics, as Keras");
    }
    /* CSVLogger comes first in the list and still sees "lr" */
    FILE *f = fopen(csv, "r");
    cr_assert_not_null(f);
    char line[256];
    cr_assert_not_null(fgets(line, sizeof line, f));
    cr_assert_str_eq(line, "epoch,loss,lr,mae,val_loss,val_mae\n");
    for (int e = 0; e < 4; e++) {
        int epoch;
        double loss, lr;
        cr_assert_not_null(fgets(line, sizeof line, f));
        cr_assert_eq(sscanf(line, "%d,%lf,%lf,", &epoch, &loss, &lr), 3);
        cr_assert_eq(epoch, e);
        cr_assert_eq(lr, (double)want[e], "epoch %d", e);
    }
    fclose(f);
    /* Keras's order: loss, mae, val_loss, val_mae, then lr */
    f = fopen(out, "r");
    cr_assert_not_null(f);
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        const char *bar = line[0] == '\r' ? line + 1 : line; /* a file gets no redraws */
        if (strncmp(bar, "4/4 ", 4)) continue;               /* the bar's final line */
        const char *mae = strstr(line, " - mae: "), *vl = strstr(line, " - val_loss: ");
        const char *vm = strstr(line, " - val_mae: "), *lr = strstr(line, " - lr: ");
        cr_assert(mae && vl && vm && lr && mae < vl && vl < vm && vm < lr, "%s", line);
        cr_assert_str_eq(lr, lines < 2 ? " - lr: 0.1000\n" : lines == 2 ? " - lr: 0.0500\n" : " - lr: 0.0250\n");
        lines++;
    }
    fclose(f);
    cr_assert_eq(lines, 4);
    ck_history_free(h);
    ck_callback_free(plateau);
    ck_callback_free(logger);
}

Test(lr, no_lr_callback_no_lr_key)
{
    make_data();
    ck_model *m = small_model(s, ck_SGD(0.1f, 0));
    ck_history *h = ck_fit(m, &x_all, 1, &y_all, CK_FIT_ARGS(.epochs = 1, .verbose = 0, .shuffle = false));
    cr_assert_not_null(h);
    double lr;
    cr_assert_eq(ck_log_value(m, &h->epochs[0], "lr", &lr), -1, "Keras 2 logs lr only from its LR callbacks");
    ck_history_free(h);
}

/* ---- the rate set between fits keeps Adam's moments ---- */

static void fit_epochs(ck_model *m, int epochs)
{
    /* unshuffled: a new fit would restart the shuffle from the identity */
    ck_history *h =
        ck_fit(m, &x_all, 1, &y_all, CK_FIT_ARGS(.epochs = epochs, .batch_size = 8, .shuffle = false, .verbose = 0));
    cr_assert_not_null(h, "%s", ck_error());
    ck_history_free(h);
}

static float same_rate(int epoch, float lr, void *user)
{
    (void)epoch;
    (void)user;
    return lr;
}

Test(lr, set_learning_rate_between_fits_equals_uninterrupted_training)
{
    make_data();
    float straight[3], resumed[3], recompiled[3], scheduled[3];
    /* identical sessions (same seed: same weights) */
    ck_session *sessions[4] = {ck_session_new(11), ck_session_new(11), ck_session_new(11), ck_session_new(11)};
    ck_model *a = small_model(sessions[0], ck_Adam(0.05f));
    fit_epochs(a, 4);
    ck_model_get_weights(a, straight);

    ck_model *b = small_model(sessions[1], ck_Adam(0.05f));
    fit_epochs(b, 2);
    cr_assert_eq(ck_optimizer_set_learning_rate(ck_model_optimizer(b), 0.05f), 0);
    cr_assert_eq(ck_optimizer_iterations(ck_model_optimizer(b)), 8);
    fit_epochs(b, 2);
    ck_model_get_weights(b, resumed);

    /* what recompiling does instead: new moments, t from 1 */
    ck_model *c = small_model(sessions[2], ck_Adam(0.05f));
    fit_epochs(c, 2);
    cr_assert_eq(ck_compile(c, "mse", ck_Adam(0.05f), NULL, 0), 0);
    fit_epochs(c, 2);
    ck_model_get_weights(c, recompiled);

    /* the rate set during fit, at every epoch's begin, by a callback */
    ck_model *d = small_model(sessions[3], ck_Adam(0.05f));
    ck_callback *cb = ck_LearningRateScheduler(same_rate, NULL, 0);
    ck_history *h = ck_fit(
        d, &x_all, 1, &y_all,
        CK_FIT_ARGS(.epochs = 4, .batch_size = 8, .callbacks = &cb, .n_callbacks = 1, .shuffle = false, .verbose = 0));
    cr_assert_not_null(h, "%s", ck_error());
    ck_history_free(h);
    ck_callback_free(cb);
    ck_model_get_weights(d, scheduled);

    int differs = 0;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(resumed[i], straight[i], "weight %d", i);
        cr_assert_eq(scheduled[i], straight[i], "weight %d", i);
        differs |= recompiled[i] != straight[i];
    }
    cr_assert(differs, "recompiling resets Adam's state");
    for (int i = 0; i < 4; i++) ck_session_free(sessions[i]);
}
