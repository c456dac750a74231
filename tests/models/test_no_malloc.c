/* The training step does not call malloc once warmed up.
 *
 * This executable is linked with -Wl,--wrap=malloc,calloc,realloc, so every
 * allocation the library makes from this thread goes through the counters
 * below. A user callback reads them after each batch: between the third
 * batch and the last of an epoch (forward, loss, backward, Adam, the next
 * batch's shuffled rows) the counts must not move. Counters are per thread,
 * so Criterion's own work elsewhere cannot disturb them. */
#include <criterion/criterion.h>
#include <stddef.h>

#include "ck_fm.h"
#include "ck_movielens.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);

static _Thread_local long n_allocs;

void *__wrap_malloc(size_t n)
{
    n_allocs++;
    return __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t size)
{
    n_allocs++;
    return __real_calloc(n, size);
}
void *__wrap_realloc(void *p, size_t n)
{
    n_allocs++;
    return __real_realloc(p, n);
}

typedef struct batch_counts {
    long at_batch[64];
    int n_batches;
} batch_counts;

static int count_allocs(ck_callback *cb, ck_model *m, int batch, double loss)
{
    (void)m;
    (void)loss;
    batch_counts *c = cb->state;
    if (batch < 64) c->at_batch[batch] = n_allocs;
    if (batch + 1 > c->n_batches) c->n_batches = batch + 1;
    return 0;
}

static void train_and_check(ck_genre_pool pool, ck_optimizer *opt)
{
    ck_movielens d;
    ck_movielens_batch tr, va;
    cr_assert_eq(ck_movielens_synthetic(3, 300, 200, 20000, &d), 0, "%s", ck_error());
    cr_assert_eq(ck_movielens_split_rows(&d, 0.2, 7, &tr, &va), 0, "%s", ck_error());
    ck_session *s = ck_session_new(7);
    ck_fm fm;
    ck_fm_config c = {.n_uid = d.n_uid, .n_mid = d.n_mid, .n_genre = d.n_genre, .k = 8, .genre_pool = pool};
    cr_assert_eq(ck_fm_model(s, &c, &fm), 0, "%s", ck_error());
    cr_assert_eq(ck_compile(fm.fm_model, "mse", opt, NULL, 0), 0, "%s", ck_error());

    batch_counts counts = {0};
    ck_callback cb = {.name = "count_allocs", .state = &counts, .on_batch_end = count_allocs};
    ck_history *h = ck_fit(fm.fm_model, tr.x, 4, &tr.y,
                           CK_FIT_ARGS(.epochs = 2, .batch_size = 512, .shuffle = true, .val_x = va.x, .val_y = &va.y,
                                       .callbacks = (ck_callback *[]){&cb}, .n_callbacks = 1, .verbose = 0));
    cr_assert(h, "%s", ck_error());
    /* 16,000 training rows / 512 = 32 batches per epoch (31 full, 1 of 128) */
    cr_assert_eq(counts.n_batches, 32);
    cr_assert_gt(counts.at_batch[0], 0, "the wrapper saw no allocation at all: is it linked?");
    /* the last hook call recorded is epoch 2's; its steps 3..31 must not allocate */
    cr_assert_eq(counts.at_batch[31], counts.at_batch[2], "%ld allocations between batch 3 and batch 32",
                 counts.at_batch[31] - counts.at_batch[2]);
    ck_history_free(h);
    ck_session_free(s);
    ck_movielens_batch_free(&tr);
    ck_movielens_batch_free(&va);
    ck_movielens_free(&d);
}

Test(no_malloc, fm_training_steps_do_not_allocate_masked) { train_and_check(CK_GENRE_POOL_MASKED, ck_Adam(0.001f)); }
Test(no_malloc, fm_training_steps_do_not_allocate_notebook)
{
    train_and_check(CK_GENRE_POOL_NOTEBOOK, ck_Adam(0.001f));
}
/* the other optimizers, a schedule, clipping and weight decay: state made at
 * compile, per-step scalars only */
Test(no_malloc, other_optimizers_do_not_allocate)
{
    train_and_check(CK_GENRE_POOL_MASKED,
                    ck_optimizer_with(ck_optimizer_with_schedule(ck_Nadam(0.001f), ck_CosineDecay(0.001f, 50, 0.1f)),
                                      &(ck_optimizer_args){.global_clipnorm = 1.0f, .weight_decay = 0.01f}));
    train_and_check(CK_GENRE_POOL_MASKED, ck_optimizer_with(ck_RMSprop_ex(0.001f, 0.9f, 0.5f, 1e-7f),
                                                            &(ck_optimizer_args){.centered = 1, .clipnorm = 1.0f}));
    train_and_check(CK_GENRE_POOL_MASKED,
                    ck_optimizer_with(ck_AdamW(0.001f, CK_ADAMW_WEIGHT_DECAY), &(ck_optimizer_args){.amsgrad = 1}));
}

/* A classifier step: binary crossentropy, accuracy and AUC (its
 * predictions kept in a buffer made once per fit), sample and class
 * weights, shuffled batches. */
Test(no_malloc, classifier_steps_with_metrics_and_weights_do_not_allocate)
{
    enum { N = 2000, F = 3 };
    static float x[N * F], y[N], w[N];
    ck_rng rng;
    ck_rng_seed(&rng, 5);
    for (int i = 0; i < N; i++) {
        y[i] = (float)(i % 2);
        w[i] = 0.5f + (float)(i % 3);
        for (int j = 0; j < F; j++) x[i * F + j] = y[i] + ck_rng_normal(&rng);
    }
    ck_session *s = ck_session_new(7);
    ck_sym *in = ck_Input(s, ck_shape_of(1, F), CK_F32, "x");
    ck_sym *out = ck_call1(ck_Dense(s, 1, "sigmoid", "p"), ck_call1(ck_Dense(s, 8, "relu", "h"), in));
    ck_model *m = ck_Model(s, &in, 1, &out, 1, NULL);
    cr_assert_eq(ck_compile(m, "binary_crossentropy", ck_Adam(0.01f), (const char *[]){"accuracy", "auc"}, 2), 0, "%s",
                 ck_error());
    batch_counts counts = {0};
    ck_callback cb = {.name = "count_allocs", .state = &counts, .on_batch_end = count_allocs};
    ck_tensor xt = ck_tensor_view(CK_F32, ck_shape_of(2, N, F), x),
              yt = ck_tensor_view(CK_F32, ck_shape_of(2, N, 1), y), wt = ck_tensor_view(CK_F32, ck_shape_of(1, N), w);
    ck_history *h = ck_fit(m, &xt, 1, &yt,
                           CK_FIT_ARGS(.epochs = 2, .batch_size = 64, .validation_split = 0.2, .sample_weight = &wt,
                                       .class_weight = (float[]){1.0f, 2.0f}, .n_class_weight = 2, .verbose = 0,
                                       CK_CALLBACKS(&cb)));
    cr_assert(h, "%s", ck_error());
    /* 1,600 training rows / 64 = 25 batches */
    cr_assert_eq(counts.n_batches, 25);
    cr_assert_eq(counts.at_batch[24], counts.at_batch[2], "%ld allocations between batch 3 and batch 25",
                 counts.at_batch[24] - counts.at_batch[2]);
    ck_history_free(h);
    ck_session_free(s);
}
