/* fit's bookkeeping at its edges: every epoch reshuffles (not only the
 * first), and validation and evaluate weight each batch's mean by its
 * sample count when the last batch is short. Values worked out by hand. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ck_model.h"

static ck_session *s;
static void setup(void)
{
    s = ck_session_new(11);
    ck_error_clear();
}
static void teardown(void)
{
    ck_session_free(s);
    ck_error_clear();
}
TestSuite(fit_edges, .init = setup, .fini = teardown);

/* y = w . x with w = (1, 0, ..., 0) over `width` inputs and an SGD step too
 * small to move it: the loss of a one-sample batch with target 0 is x[0]^2,
 * so it names the row. */
static ck_model *first_input_model(ck_session *in_session, int width)
{
    ck_sym *x = ck_Input(in_session, ck_shape_of(1, width), CK_F32, "x");
    ck_layer *d = ck_Dense(in_session, 1, NULL, "w");
    ck_layer_set_use_bias(d, 0);
    ck_sym *y = ck_call1(d, x);
    ck_model *m = ck_Model(in_session, &x, 1, &y, 1, NULL);
    cr_assert_not_null(m, "%s", ck_error());
    for (int j = 0; j < width; j++) ck_layer_weight(d, 0)->value.f[j] = j == 0 ? 1.0f : 0.0f;
    cr_assert_eq(ck_compile(m, "mse", ck_SGD(1e-30f, 0), (const char *[]){"mae"}, 1), 0, "%s", ck_error());
    return m;
}
static ck_model *identity_model(void) { return first_input_model(s, 1); }

enum { N_ROWS = 8, N_EPOCHS = 3 };

typedef struct order_log {
    int n;
    int rows[N_EPOCHS * N_ROWS];
} order_log;

static int record_row(ck_callback *cb, ck_model *m, int batch, double loss)
{
    (void)m;
    (void)batch;
    order_log *o = cb->state;
    o->rows[o->n++] = (int)lround(sqrt(loss)) - 1; /* x = row + 1 */
    return 0;
}

/* How fit is called: CK_FIT_ARGS with .shuffle written, CK_FIT_ARGS with
 * it left out, a plain compound literal with .shuffle written. */
typedef enum how { WRITTEN, LEFT_OUT, PLAIN } how;

static void train_and_record(how how, int shuffle, order_log *o)
{
    static float xd[N_ROWS], yd[N_ROWS];
    for (int i = 0; i < N_ROWS; i++) xd[i] = (float)(i + 1), yd[i] = 0;
    ck_model *m = identity_model();
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, N_ROWS, 1), xd);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, N_ROWS, 1), yd);
    ck_callback cb = {.name = "order", .state = o, .on_batch_end = record_row};
    ck_callback *cbs[1] = {&cb};
    memset(o, 0, sizeof *o);
    const ck_fit_args *args =
        how == WRITTEN
            ? CK_FIT_ARGS(.epochs = N_EPOCHS, .batch_size = 1, .shuffle = shuffle, CK_CALLBACKS(cbs[0]), .verbose = 0)
        : how == LEFT_OUT
            ? CK_FIT_ARGS(.epochs = N_EPOCHS, .batch_size = 1, CK_CALLBACKS(cbs[0]), .verbose = 0)
            : &(ck_fit_args){
                  .epochs = N_EPOCHS, .batch_size = 1, .shuffle = shuffle, CK_CALLBACKS(cbs[0]), .verbose = CK_SILENT};
    ck_history *h = ck_fit(m, &x, 1, &y, args);
    cr_assert_not_null(h, "%s", ck_error());
    cr_assert_eq(o->n, N_EPOCHS * N_ROWS);
    ck_history_free(h);
}

static void check_permutations(const order_log *o)
{
    for (int e = 0; e < N_EPOCHS; e++) {
        int seen[N_ROWS] = {0};
        for (int i = 0; i < N_ROWS; i++) seen[o->rows[e * N_ROWS + i]]++;
        for (int r = 0; r < N_ROWS; r++) cr_assert_eq(seen[r], 1, "epoch %d: row %d seen %d times", e + 1, r, seen[r]);
    }
    /* two random permutations of 8 rows agree with probability 1/40320 */
    for (int e = 1; e < N_EPOCHS; e++)
        for (int f = 0; f < e; f++)
            cr_assert(memcmp(&o->rows[e * N_ROWS], &o->rows[f * N_ROWS], sizeof(int) * N_ROWS),
                      "epochs %d and %d saw the rows in the same order", f + 1, e + 1);
}

Test(fit_edges, every_epoch_is_a_new_permutation)
{
    order_log o;
    train_and_record(WRITTEN, true, &o);
    check_permutations(&o);
}

/* CK_FIT_ARGS(.shuffle = false) is Python's shuffle=False */
Test(fit_edges, shuffle_false_written_keeps_every_epoch_in_order)
{
    order_log o;
    train_and_record(WRITTEN, false, &o);
    for (int i = 0; i < N_EPOCHS * N_ROWS; i++) cr_assert_eq(o.rows[i], i % N_ROWS);
}

/* left out, shuffle is Keras's default: on */
Test(fit_edges, shuffle_left_out_shuffles)
{
    order_log o;
    train_and_record(LEFT_OUT, 0, &o);
    check_permutations(&o);
}

/* a plain compound literal cannot tell 0 from left out: 0 is the default
 * (on), CK_FALSE turns it off (ck_model.h says so) */
Test(fit_edges, plain_literal_zero_is_the_default_and_ck_false_is_off)
{
    order_log o;
    train_and_record(PLAIN, 0, &o);
    check_permutations(&o);
    train_and_record(PLAIN, CK_FALSE, &o);
    for (int i = 0; i < N_EPOCHS * N_ROWS; i++) cr_assert_eq(o.rows[i], i % N_ROWS);
}

enum { N_LONG_EPOCHS = 40 };

typedef struct long_order_log {
    int n;
    int rows[N_LONG_EPOCHS * N_ROWS];
} long_order_log;

static int record_long(ck_callback *cb, ck_model *m, int batch, double loss)
{
    (void)m;
    (void)batch;
    long_order_log *o = cb->state;
    o->rows[o->n++] = (int)lround(sqrt(loss)) - 1;
    return 0;
}

/* A uniform shuffle (Keras: tf.random.shuffle; here Fisher-Yates) of 8
 * rows leaves some row where it was with probability 1 - 1/e (0.63), and
 * puts every row first now and then. A shuffle drawing j in [0, i) instead
 * of [0, i] (Sattolo's algorithm: one 8-cycle) moves every row, so no row
 * keeps its place from one shuffle to the next: neither its place in the
 * previous epoch (when each epoch reshuffles the last order) nor its place
 * in the data (when each epoch shuffles 0..7 anew). Over 40 epochs a
 * uniform shuffle shows both kinds of fixed point except with probability
 * about e^-39 each, and every row first except with probability below
 * 8 (7/8)^40 < 0.01 (and the seed is fixed). */
Test(fit_edges, shuffles_are_uniform_permutations_with_fixed_points)
{
    static float xd[N_ROWS], yd[N_ROWS];
    for (int i = 0; i < N_ROWS; i++) xd[i] = (float)(i + 1), yd[i] = 0;
    ck_model *m = identity_model();
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, N_ROWS, 1), xd);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, N_ROWS, 1), yd);
    static long_order_log o;
    memset(&o, 0, sizeof o);
    ck_callback cb = {.name = "order", .state = &o, .on_batch_end = record_long};
    ck_callback *cbs[1] = {&cb};
    ck_history *h =
        ck_fit(m, &x, 1, &y, CK_FIT_ARGS(.epochs = N_LONG_EPOCHS, .batch_size = 1, CK_CALLBACKS(cbs[0]), .verbose = 0));
    cr_assert_not_null(h, "%s", ck_error());
    ck_history_free(h);
    cr_assert_eq(o.n, N_LONG_EPOCHS * N_ROWS);
    int kept_from_data = 0, kept_from_last_epoch = 0, first_seen[N_ROWS] = {0};
    for (int e = 0; e < N_LONG_EPOCHS; e++) {
        const int *order = &o.rows[e * N_ROWS], *last = e > 0 ? &o.rows[(e - 1) * N_ROWS] : NULL;
        for (int i = 0; i < N_ROWS; i++) {
            kept_from_data += order[i] == i;
            kept_from_last_epoch += last && order[i] == last[i];
        }
        first_seen[order[0]] = 1;
    }
    cr_assert_gt(kept_from_data, 0, "no epoch left any row at its place in the data: not a uniform shuffle");
    cr_assert_gt(kept_from_last_epoch, 0, "no row ever kept its place of the epoch before: not a uniform shuffle");
    for (int r = 0; r < N_ROWS; r++) cr_assert(first_seen[r], "row %d never came first in %d epochs", r, N_LONG_EPOCHS);
}

/* Five samples x = 1..5, target 0, w = 1: squared errors 1, 4, 9, 16, 25
 * (mean 11), absolute errors 1..5 (mean 3). In batches of 2, 2, 1 the plain
 * mean of the batch means would be (2.5 + 12.5 + 25) / 3 and (1.5 + 3.5 + 5) / 3. */
Test(fit_edges, validation_and_evaluate_weight_a_short_last_batch_by_its_size)
{
    float xd[5] = {1, 2, 3, 4, 5}, yd[5] = {0, 0, 0, 0, 0};
    ck_model *m = identity_model();
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, 5, 1), xd);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, 5, 1), yd);
    ck_history *h =
        ck_fit(m, &x, 1, &y, CK_FIT_ARGS(.epochs = 1, .batch_size = 2, .val_x = &x, .val_y = &y, .verbose = 0));
    cr_assert_not_null(h, "%s", ck_error());
    cr_assert_float_eq(h->epochs[0].val_loss, 11.0, 1e-5);
    double val_mae;
    cr_assert_eq(ck_log_value(m, &h->epochs[0], "val_mae", &val_mae), 0, "%s", ck_error());
    cr_assert_float_eq(val_mae, 3.0, 1e-6);
    ck_history_free(h);
    double out[2];
    cr_assert_eq(ck_evaluate(m, &x, 1, &y, 2, out), 0, "%s", ck_error());
    cr_assert_float_eq(out[0], 11.0, 1e-5);
    cr_assert_float_eq(out[1], 3.0, 1e-6);
}

static int count_batch(ck_callback *cb, ck_model *m, int batch, double loss)
{
    (void)m;
    (void)batch;
    (void)loss;
    ++*(int *)cb->state;
    return 0;
}

/* batch_size left out is Keras's 32: 100 samples make ceil(100 / 32) = 4
 * batches an epoch (32, 32, 32, 4), 8 over 2 epochs. */
Test(fit_edges, batch_size_left_out_is_32)
{
    enum { N = 100 };
    static float xd[N], yd[N];
    for (int i = 0; i < N; i++) xd[i] = (float)i / N, yd[i] = 0;
    ck_model *m = identity_model();
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, N, 1), xd);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, N, 1), yd);
    int batches = 0;
    ck_callback cb = {.name = "count", .state = &batches, .on_batch_end = count_batch};
    ck_callback *cbs[1] = {&cb};
    ck_history *h = ck_fit(m, &x, 1, &y, CK_FIT_ARGS(.epochs = 2, CK_CALLBACKS(cbs[0]), .verbose = 0));
    cr_assert_not_null(h, "%s", ck_error());
    ck_history_free(h);
    cr_expect_eq(batches, 8);
}

/* Narrow rows are shuffled packed (models/packed_rows.c), wide ones through
 * an index: both see the rows in the same order. y = x[0] on rows whose
 * other eight values are whole (0: packed, 10 bytes a row) or not (0.5: 37
 * bytes, by index). */
static void record_nine_wide(float rest, order_log *o)
{
    static float xd[N_ROWS * 9], yd[N_ROWS];
    for (int i = 0; i < N_ROWS; i++) {
        xd[i * 9] = (float)(i + 1);
        for (int j = 1; j < 9; j++) xd[i * 9 + j] = rest;
        yd[i] = 0;
    }
    ck_session *own = ck_session_new(21); /* the same seed for both: the same shuffles */
    ck_model *m = first_input_model(own, 9);
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, N_ROWS, 9), xd);
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, N_ROWS, 1), yd);
    ck_callback cb = {.name = "order", .state = o, .on_batch_end = record_row};
    ck_callback *cbs[1] = {&cb};
    memset(o, 0, sizeof *o);
    ck_history *h =
        ck_fit(m, &x, 1, &y, CK_FIT_ARGS(.epochs = N_EPOCHS, .batch_size = 1, CK_CALLBACKS(cbs[0]), .verbose = 0));
    cr_assert_not_null(h, "%s", ck_error());
    ck_history_free(h);
    ck_session_free(own);
}

Test(fit_edges, packed_and_indexed_rows_come_in_the_same_order)
{
    order_log packed, indexed;
    record_nine_wide(0.0f, &packed);
    record_nine_wide(0.5f, &indexed);
    check_permutations(&packed);
    for (int i = 0; i < N_EPOCHS * N_ROWS; i++)
        cr_assert_eq(packed.rows[i], indexed.rows[i], "batch %d: row %d packed, row %d by index", i, packed.rows[i],
                     indexed.rows[i]);
}
