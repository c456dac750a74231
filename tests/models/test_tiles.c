/* Row tiles and threads in fit (models/train_step.c): a tiled step is the
 * whole batch's computation in another order, bit for bit for an mse model
 * whose sums keep their order; two threads give the same result run after
 * run and agree with one thread to float rounding, whether the optimizer
 * update follows each thread's merge of the gradients or (clipping,
 * regularizers) runs after the whole merge; frozen weights stay frozen. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ck_kernels.h"
#include "ck_model.h"

#define N_ROWS 1000
#define N_IDS 40

static float feature[N_ROWS], target[N_ROWS];
static int32_t ids[N_ROWS];

/* y = 0.5 x + a per-id offset + a little noise */
static void make_data(void)
{
    ck_rng r;
    ck_rng_seed(&r, 11);
    for (int i = 0; i < N_ROWS; i++) {
        feature[i] = ck_rng_uniform(&r) * 2.0f - 1.0f;
        ids[i] = (int32_t)ck_rng_below(&r, N_IDS);
        target[i] = 0.5f * feature[i] + 0.05f * (float)(ids[i] % 7) + 0.01f * ck_rng_normal(&r);
    }
}

typedef struct model_setup {
    int tile_rows;
    int clip;        /* Adam with clipnorm */
    int regularizer; /* l2 on the embedding */
    int freeze;      /* the first Dense does not train */
    int interaction; /* the FM's second-order term on the two fields, not their sum */
    int no_fusion;   /* ck_model_set_fusion(m, 0) */
} model_setup;

static ck_node *sum_axis1(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    (void)user;
    return ck_sum(t, in[0], 1, 0);
}
static ck_node *square(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    (void)user;
    return ck_square(t, in[0]);
}

/* (sum_i x_i)^2 - sum_i x_i^2 over the fields (batch, 2, 4), as the FM's
 * Lambdas and merges write it: the tiles' tapes fuse the sums. */
static ck_sym *fm_interaction(ck_session *s, ck_sym *field_x, ck_sym *field_id)
{
    ck_sym *fields[2] = {ck_call1(ck_Reshape(s, ck_shape_of(2, 1, 4), NULL), field_x), field_id};
    ck_sym *embed = ck_call(ck_Concatenate(s, 1, "concat"), fields, 2);
    ck_layer *sum = ck_Lambda(s, sum_axis1, NULL, "sum_of_tensors");
    ck_sym *sum_of_embed = ck_call1(sum, embed);
    ck_sym *sum_of_square = ck_call1(sum, ck_call1(ck_Lambda(s, square, NULL, "square_of_tensors"), embed));
    ck_sym *pair[2] = {sum_of_embed, sum_of_embed};
    ck_sym *diff[2] = {ck_call(ck_Multiply(s, NULL), pair, 2), sum_of_square};
    return ck_call(ck_Subtract(s, NULL), diff, 2);
}

/* The FM's pattern: a Dense of one input and an embedding, (batch, 4) each,
 * added, then a Dense of one unit (no product BLAS would take over). */
static ck_model *build(ck_session *s, const model_setup *c)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, 1), CK_F32, "x");
    ck_sym *id = ck_Input(s, ck_shape_of(1, 1), CK_I32, "id");
    ck_layer *dense_x = ck_Dense(s, 4, NULL, "dense_x");
    ck_layer *embed = ck_Embedding(s, N_IDS, 4, 0, "embed");
    if (c->regularizer) cr_assert_eq(ck_layer_set_regularizer(embed, "embeddings_regularizer", ck_l2(1e-3f)), 0);
    if (c->freeze) cr_assert_eq(ck_layer_set_trainable(dense_x, 0), 0);
    ck_sym *sum;
    if (c->interaction) {
        sum = fm_interaction(s, ck_call1(dense_x, x), ck_call1(embed, id));
    } else {
        ck_sym *fields[2] = {ck_call1(dense_x, x),
                             ck_call1(ck_Reshape(s, ck_shape_of(1, 4), NULL), ck_call1(embed, id))};
        sum = ck_call(ck_Add(s, "add"), fields, 2);
    }
    ck_sym *y = ck_call1(ck_Dense(s, 1, NULL, "out"), sum);
    ck_sym *inputs[2] = {x, id};
    ck_model *m = ck_Model(s, inputs, 2, &y, 1, "tiles");
    cr_assert_not_null(m, "%s", ck_error());
    ck_optimizer *opt = ck_Adam(0.01f);
    if (c->clip) opt = ck_optimizer_with(opt, &(ck_optimizer_args){.clipnorm = 1e-3f});
    cr_assert_eq(ck_compile(m, "mse", opt, NULL, 0), 0, "%s", ck_error());
    cr_assert_eq(ck_model_set_tile_rows(m, c->tile_rows), 0);
    if (c->no_fusion) cr_assert_eq(ck_model_set_fusion(m, 0), 0);
    return m;
}

typedef struct trained {
    float weights[512];
    int n;
    double losses[3];
    float dense_x[8]; /* the first Dense's kernel (1, 4) and bias (4) */
} trained;

static void dense_x_values(ck_session *s, float out[8])
{
    ck_layer *l = ck_session_layer(s, "dense_x");
    cr_assert_not_null(l);
    memcpy(out, ck_layer_weight(l, 0)->value.f, sizeof(float) * 4);
    memcpy(out + 4, ck_layer_weight(l, 1)->value.f, sizeof(float) * 4);
}

/* Train a fresh model (same seed, same initial weights) for 3 epochs of
 * shuffled batches of 256 (the last one 232 rows) on `threads` threads. */
static trained train(const model_setup *c, int threads)
{
    make_data();
    cr_assert_eq(ck_set_num_threads(threads), 0);
    ck_session *s = ck_session_new(5);
    ck_model *m = build(s, c);
    ck_tensor x[2] = {ck_tensor_view(CK_F32, ck_shape_of(2, N_ROWS, 1), feature),
                      ck_tensor_view(CK_I32, ck_shape_of(2, N_ROWS, 1), ids)};
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, N_ROWS, 1), target);
    ck_history *h = ck_fit(m, x, 2, &y, CK_FIT_ARGS(.epochs = 3, .batch_size = 256, .verbose = 0));
    cr_assert_not_null(h, "%s", ck_error());
    trained t = {.n = 0};
    for (int e = 0; e < 3; e++) t.losses[e] = h->epochs[e].loss;
    for (int i = 0; i < ck_model_n_weights(m); i++) {
        const ck_tensor *w = &ck_model_weight(m, i)->value;
        cr_assert_leq(t.n + w->size, 512);
        memcpy(t.weights + t.n, w->f, sizeof(float) * (size_t)w->size);
        t.n += (int)w->size;
    }
    dense_x_values(s, t.dense_x);
    ck_history_free(h);
    ck_session_free(s);
    ck_set_num_threads(1);
    return t;
}

static void assert_identical(const trained *a, const trained *b, const char *what)
{
    cr_assert_eq(a->n, b->n);
    for (int i = 0; i < a->n; i++)
        cr_assert_eq(a->weights[i], b->weights[i], "%s: weight value %d: %.9g vs %.9g", what, i, (double)a->weights[i],
                     (double)b->weights[i]);
    for (int e = 0; e < 3; e++) cr_assert_eq(a->losses[e], b->losses[e], "%s: epoch %d loss", what, e + 1);
}

/* Equal to float rounding: the threads add the tiles' gradients in
 * another grouping, nothing else differs. */
static void assert_close(const trained *a, const trained *b, const char *what)
{
    cr_assert_eq(a->n, b->n);
    for (int i = 0; i < a->n; i++)
        cr_assert(fabsf(a->weights[i] - b->weights[i]) <= 1e-4f * (1.0f + fabsf(a->weights[i])),
                  "%s: weight value %d: %.9g vs %.9g", what, i, (double)a->weights[i], (double)b->weights[i]);
    for (int e = 0; e < 3; e++)
        cr_assert(fabs(a->losses[e] - b->losses[e]) <= 1e-5 * (1.0 + fabs(a->losses[e])),
                  "%s: epoch %d loss %.9g vs %.9g", what, e + 1, a->losses[e], b->losses[e]);
}

/* Skip when this machine (or build) cannot give fit a second thread. */
static void need_two_threads(void)
{
    ck_set_num_threads(2);
    int got = ck_get_num_threads();
    ck_set_num_threads(1);
    if (got < 2) cr_skip_test("one thread only here (no OpenMP, or one core): nothing to compare");
}

Test(tiles, a_tiled_step_is_the_whole_batch_bit_for_bit)
{
    trained whole = train(&(model_setup){.tile_rows = 0}, 1);
    trained tiled = train(&(model_setup){.tile_rows = 32}, 1);
    assert_identical(&whole, &tiled, "tiles of 32 vs whole batches");
    /* and training did something: the loss fell */
    cr_assert_lt(whole.losses[2], whole.losses[0]);
}

/* Tiles fuse the interaction's sums (ck_model_set_fusion): the same
 * training, bit for bit, as whole batches and as tiles without fusion. */
Test(tiles, the_fused_fm_interaction_is_the_whole_batch_bit_for_bit)
{
    trained whole = train(&(model_setup){.tile_rows = 0, .interaction = 1}, 1);
    trained fused = train(&(model_setup){.tile_rows = 32, .interaction = 1}, 1);
    trained unfused = train(&(model_setup){.tile_rows = 32, .interaction = 1, .no_fusion = 1}, 1);
    assert_identical(&whole, &fused, "fused tiles vs whole batches");
    assert_identical(&unfused, &fused, "fused vs unfused tiles");
    cr_assert_lt(whole.losses[2], whole.losses[0]);
}

Test(tiles, two_threads_repeat_exactly_and_agree_with_one)
{
    need_two_threads();
    model_setup c = {.tile_rows = 32};
    trained one = train(&c, 1), two = train(&c, 2), again = train(&c, 2);
    assert_identical(&two, &again, "two threads, run twice");
    assert_close(&one, &two, "two threads vs one");
}

/* Clipping reads every gradient and a regularizer adds to them: both
 * need the whole merge before the update. Each is checked to change the
 * result, else the comparison could not see it misplaced. */
static void agree_with_one_thread(const model_setup *c, const char *what)
{
    need_two_threads();
    trained one = train(c, 1), two = train(c, 2);
    assert_close(&one, &two, what);
    trained plain = train(&(model_setup){.tile_rows = c->tile_rows}, 1);
    cr_assert_neq(memcmp(plain.weights, one.weights, sizeof(float) * (size_t)one.n), 0, "%s changed nothing", what);
}

Test(tiles, two_threads_with_clipping_agree_with_one)
{
    agree_with_one_thread(&(model_setup){.tile_rows = 32, .clip = 1}, "clipnorm");
}

Test(tiles, two_threads_with_a_regularizer_agree_with_one)
{
    agree_with_one_thread(&(model_setup){.tile_rows = 32, .regularizer = 1}, "an l2 regularizer");
}

Test(tiles, two_threads_leave_a_frozen_layer_alone)
{
    need_two_threads();
    model_setup c = {.tile_rows = 32, .freeze = 1};
    make_data();
    ck_session *s = ck_session_new(5);
    build(s, &c);
    float before[8];
    dense_x_values(s, before);
    ck_session_free(s);
    trained one = train(&c, 1), two = train(&c, 2);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(two.dense_x[i], before[i], "the frozen Dense changed: value %d %.9g -> %.9g", i, (double)before[i],
                     (double)two.dense_x[i]);
    assert_close(&one, &two, "a frozen first layer, two threads vs one");
}
