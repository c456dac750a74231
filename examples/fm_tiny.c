/* fm_tiny.c - the notebook's FM on 2 rows, op by op (see fm_tiny.h). */
#include "fm_tiny.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the batch ----
 * row 0: occupation 2, user 1, movie 1, genres [1, 2] (padded [1, 2, 0]), rating 4
 * row 1: occupation 1, user 2, movie 1, genre  [2]    (padded [2, 0, 0]), rating 3
 * Both rows rate movie 1 and have genre 2, so those embedding rows collect
 * two rows' gradients (the scatter-add of gather's backward). */
const float fm_tiny_occupation[FM_TINY_ROWS] = {2, 1};
const int32_t fm_tiny_uid[FM_TINY_ROWS] = {1, 2};
const int32_t fm_tiny_mid[FM_TINY_ROWS] = {1, 1};
const int32_t fm_tiny_genre[FM_TINY_ROWS][FM_TINY_GENRES] = {{1, 2, 0}, {2, 0, 0}};
const float fm_tiny_rating[FM_TINY_ROWS] = {4, 3};

/* ---- the weights: round numbers instead of the random initial ones; the
 * biases are 0, as Keras initializes them. Row 0 of each embedding is the
 * padding / unused id. ---- */
static const float dense_1d_kernel[] = {0.1f}, dense_1d_bias[] = {0};
static const float embed_1d_uid[] = {0, 0.2f, -0.1f};
static const float embed_1d_mid[] = {0, 0.3f};
static const float embed_1d_genre[] = {0.05f, 0.1f, -0.2f};
static const float dense_2d_kernel[] = {0.2f, -0.1f}, dense_2d_bias[] = {0, 0};
static const float embed_2d_uid[] = {0, 0, 0.1f, 0.2f, -0.2f, 0.1f};
static const float embed_2d_mid[] = {0, 0, 0.2f, -0.4f};
static const float embed_2d_genre[] = {0.1f, 0.1f, 0.3f, 0.1f, -0.1f, 0.2f};
static const float output_kernel[] = {0.5f, 1.5f}, output_bias[] = {0};

#define WEIGHT(name, a)                        \
    {                                          \
        name, (int)(sizeof a / sizeof a[0]), a \
    }
const fm_tiny_weight fm_tiny_weights[] = {
    WEIGHT("num_dense_1d_fea4/kernel", dense_1d_kernel),
    WEIGHT("num_dense_1d_fea4/bias", dense_1d_bias),
    WEIGHT("cat_embed_1d_uid/embeddings", embed_1d_uid),
    WEIGHT("cat_embed_1d_mid/embeddings", embed_1d_mid),
    WEIGHT("cat_embed_1d_genre/embeddings", embed_1d_genre),
    WEIGHT("num_dense_2d_fea3/kernel", dense_2d_kernel),
    WEIGHT("num_dense_2d_fea3/bias", dense_2d_bias),
    WEIGHT("cat_embed_2d_uid/embeddings", embed_2d_uid),
    WEIGHT("cat_embed_2d_mid/embeddings", embed_2d_mid),
    WEIGHT("cat_embed_2d_genre/embeddings", embed_2d_genre),
    WEIGHT("fm_output/kernel", output_kernel),
    WEIGHT("fm_output/bias", output_bias),
};
const int fm_tiny_n_weights = (int)(sizeof fm_tiny_weights / sizeof fm_tiny_weights[0]);

ck_node *fm_tiny_weight_node(const fm_tiny *t, const char *name, int *index)
{
    ck_model *m = t->fm.fm_model;
    for (int i = 0; i < ck_model_n_weights(m); i++) {
        ck_node *w = ck_model_weight(m, i);
        if (strcmp(w->name, name) == 0) {
            if (index) *index = i;
            return w;
        }
    }
    return NULL;
}

static int set_weights(fm_tiny *t)
{
    if (fm_tiny_n_weights > FM_TINY_MAX_WEIGHTS || ck_model_n_weights(t->fm.fm_model) != fm_tiny_n_weights)
        return ck_fail("fm_tiny: the model has %d weights, the table %d", ck_model_n_weights(t->fm.fm_model),
                       fm_tiny_n_weights);
    for (int i = 0; i < fm_tiny_n_weights; i++) {
        ck_node *w = fm_tiny_weight_node(t, fm_tiny_weights[i].name, NULL);
        if (!w || w->value.size != fm_tiny_weights[i].n)
            return ck_fail("fm_tiny: weight %s missing or not of %d values", fm_tiny_weights[i].name,
                           fm_tiny_weights[i].n);
        memcpy(w->value.f, fm_tiny_weights[i].values, sizeof(float) * (size_t)fm_tiny_weights[i].n);
    }
    return 0;
}

/* The batch as tensors viewing the constant arrays above (never written). */
static void batch_tensors(ck_tensor x[4], ck_tensor *y)
{
    x[CK_ML_OCCUPATION] = ck_tensor_view(CK_F32, ck_shape_of(2, FM_TINY_ROWS, 1), (void *)fm_tiny_occupation);
    x[CK_ML_UID] = ck_tensor_view(CK_I32, ck_shape_of(2, FM_TINY_ROWS, 1), (void *)fm_tiny_uid);
    x[CK_ML_MID] = ck_tensor_view(CK_I32, ck_shape_of(2, FM_TINY_ROWS, 1), (void *)fm_tiny_mid);
    x[CK_ML_GENRE] = ck_tensor_view(CK_I32, ck_shape_of(2, FM_TINY_ROWS, FM_TINY_GENRES), (void *)fm_tiny_genre);
    *y = ck_tensor_view(CK_F32, ck_shape_of(2, FM_TINY_ROWS, 1), (void *)fm_tiny_rating);
}

/* ---- step 1: the model's graph, one op per layer call ---- */

static ck_node *keep(fm_tiny *t, const char *name, const char *what, ck_node *n)
{
    if (n && t->n_nodes < FM_TINY_MAX_NODES) t->nodes[t->n_nodes++] = (fm_tiny_node){name, what, n};
    return n;
}

static ck_node *weight(fm_tiny *t, const char *name) { return fm_tiny_weight_node(t, name, NULL); }

/* Tensor_Mean_Pooling over the genre slots (axis 1): the masked mean, or the
 * notebook's plain K.mean. */
static ck_node *genre_mean(fm_tiny *t, ck_node *x, int keepdims)
{
    if (t->pool == CK_GENRE_POOL_MASKED) return ck_masked_mean(t->tape, x, t->mask, 1, keepdims);
    return ck_mean(t->tape, x, 1, keepdims);
}

static ck_node *first_order(fm_tiny *t)
{
    ck_tape *tp = t->tape;
    ck_node *occ = t->inputs[CK_ML_OCCUPATION], *uid = t->inputs[CK_ML_UID], *mid = t->inputs[CK_ML_MID],
            *genre = t->inputs[CK_ML_GENRE];
    ck_node *dense = keep(
        t, "num_dense_1d_fea4", "occ * w + b",
        ck_add(tp, ck_matmul(tp, occ, weight(t, "num_dense_1d_fea4/kernel")), weight(t, "num_dense_1d_fea4/bias")));
    ck_node *u =
        keep(t, "cat_embed_1d_uid", "w_uid[uid]", ck_gather(tp, weight(t, "cat_embed_1d_uid/embeddings"), uid));
    ck_node *m =
        keep(t, "cat_embed_1d_mid", "w_mid[mid]", ck_gather(tp, weight(t, "cat_embed_1d_mid/embeddings"), mid));
    ck_node *g =
        keep(t, "cat_embed_1d_genre", "w_genre[ids]", ck_gather(tp, weight(t, "cat_embed_1d_genre/embeddings"), genre));
    u = keep(t, "reshape", "(B, 1, 1) -> (B, 1)", ck_reshape(tp, u, ck_shape_of(2, -1, 1)));
    m = keep(t, "reshape_1", "(B, 1, 1) -> (B, 1)", ck_reshape(tp, m, ck_shape_of(2, -1, 1)));
    g = keep(t, "embed_1d_mean", "mean over the genre slots", genre_mean(t, g, 0));
    ck_node *sum = ck_add(tp, ck_add(tp, ck_add(tp, dense, u), m), g);
    return keep(t, "fm_1d_output", "sum of the 4 terms", sum);
}

static ck_node *second_order(fm_tiny *t)
{
    ck_tape *tp = t->tape;
    ck_node *occ = t->inputs[CK_ML_OCCUPATION], *uid = t->inputs[CK_ML_UID], *mid = t->inputs[CK_ML_MID],
            *genre = t->inputs[CK_ML_GENRE];
    ck_node *v_occ = keep(
        t, "num_dense_2d_fea3", "occ * W + b",
        ck_add(tp, ck_matmul(tp, occ, weight(t, "num_dense_2d_fea3/kernel")), weight(t, "num_dense_2d_fea3/bias")));
    v_occ = keep(t, "reshape_2", "(B, k) -> (B, 1, k)", ck_reshape(tp, v_occ, ck_shape_of(3, -1, 1, FM_TINY_K)));
    ck_node *v_uid =
        keep(t, "cat_embed_2d_uid", "V_uid[uid]", ck_gather(tp, weight(t, "cat_embed_2d_uid/embeddings"), uid));
    ck_node *v_mid =
        keep(t, "cat_embed_2d_mid", "V_mid[mid]", ck_gather(tp, weight(t, "cat_embed_2d_mid/embeddings"), mid));
    ck_node *v_genre =
        keep(t, "cat_embed_2d_genre", "V_genre[ids]", ck_gather(tp, weight(t, "cat_embed_2d_genre/embeddings"), genre));
    v_genre = keep(t, "cat_embed_2d_genure_mean", "mean over the genre slots", genre_mean(t, v_genre, 1));
    ck_node *fields[4] = {v_occ, v_uid, v_mid, v_genre};
    ck_node *v = keep(t, "concat_embed_2d", "v_i, i = 1..4 (B, 4, k)", ck_concat(tp, fields, 4, 1));
    ck_node *s = keep(t, "sum_of_tensors[0]", "s = sum_i v_i", ck_sum(tp, v, 1, 0));
    ck_node *sq = keep(t, "square_of_tensors", "v_i^2", ck_square(tp, v));
    ck_node *s2 = keep(t, "multiply", "s * s", ck_mul(tp, s, s));
    ck_node *q = keep(t, "sum_of_tensors[1]", "sum_i v_i^2", ck_sum(tp, sq, 1, 0));
    ck_node *d = keep(t, "subtract", "s^2 - sum_i v_i^2", ck_sub(tp, s2, q));
    ck_node *h = keep(t, "lambda", "0.5 * (s^2 - sum_i v_i^2)", ck_scale(tp, d, 0.5f));
    ck_node *y = keep(t, "sum_of_tensors[2]", "sum over the k dims", ck_sum(tp, h, 1, 0));
    return keep(t, "fm_2d_output", "(B,) -> (B, 1)", ck_reshape(tp, y, ck_shape_of(2, -1, 1)));
}

static int op_by_op(fm_tiny *t, const ck_tensor x[4], const ck_tensor *y)
{
    for (int i = 0; i < 4; i++) t->inputs[i] = ck_const(t->tape, &x[i]);
    t->mask = ck_mask_nonzero(t->tape, t->inputs[CK_ML_GENRE]);
    ck_node *y_1d = first_order(t);
    ck_node *y_2d = second_order(t);
    ck_node *both[2] = {y_1d, y_2d};
    ck_node *c = keep(t, "concatenate", "[y_1d, y_2d]", ck_concat(t->tape, both, 2, 1));
    t->prediction =
        keep(t, "fm_output", "y_hat = [y_1d, y_2d] . w + b",
             ck_add(t->tape, ck_matmul(t->tape, c, weight(t, "fm_output/kernel")), weight(t, "fm_output/bias")));
    t->loss = ck_mse(t->tape, t->prediction, ck_const(t->tape, y));
    if (!t->loss) return -1;

    int n_w = ck_model_n_weights(t->fm.fm_model);
    ck_node *params[FM_TINY_MAX_WEIGHTS];
    for (int i = 0; i < n_w; i++) params[i] = ck_model_weight(t->fm.fm_model, i);
    ck_zero_grad(params, n_w);
    if (ck_backward(t->tape, t->loss) < 0) return -1;
    t->weight_grad = calloc((size_t)n_w, sizeof *t->weight_grad);
    if (!t->weight_grad) return ck_fail("fm_tiny: out of memory");
    for (int i = 0; i < n_w; i++) {
        t->weight_grad[i] = malloc(sizeof(float) * (size_t)params[i]->value.size);
        if (!t->weight_grad[i]) return ck_fail("fm_tiny: out of memory");
        memcpy(t->weight_grad[i], params[i]->grad, sizeof(float) * (size_t)params[i]->value.size);
    }
    return 0;
}

/* ---- step 2: the model itself on the same rows ---- */

static int compare_with_model(fm_tiny *t, const ck_tensor x[4], const ck_tensor *y)
{
    ck_tape *tp = ck_tape_new();
    if (!tp) return -1;
    ck_node *in[4];
    for (int i = 0; i < 4; i++) in[i] = ck_const(tp, &x[i]);
    ck_node *pred = ck_model_call(t->fm.fm_model, tp, in, 4, 0);
    ck_node *loss = ck_mse(tp, pred, ck_const(tp, y));
    int n_w = ck_model_n_weights(t->fm.fm_model);
    ck_node *params[FM_TINY_MAX_WEIGHTS];
    for (int i = 0; i < n_w; i++) params[i] = ck_model_weight(t->fm.fm_model, i);
    ck_zero_grad(params, n_w);
    if (!loss || ck_backward(tp, loss) < 0) {
        ck_tape_free(tp);
        return -1;
    }
    double diff = 0;
    for (int r = 0; r < FM_TINY_ROWS; r++) diff = fmax(diff, fabs(pred->value.f[r] - t->prediction->value.f[r]));
    for (int i = 0; i < n_w; i++)
        for (int64_t j = 0; j < params[i]->value.size; j++)
            diff = fmax(diff, fabs(params[i]->grad[j] - t->weight_grad[i][j]));
    t->model_max_diff = diff;
    ck_zero_grad(params, n_w);
    ck_tape_free(tp);
    return 0;
}

/* ---- step 3: one Adam step through compile + fit ---- */

static int adam_step(fm_tiny *t, const ck_tensor x[4], const ck_tensor *y)
{
    int index;
    ck_node *w = fm_tiny_weight_node(t, FM_TINY_ADAM_WEIGHT, &index);
    if (!w) return ck_fail("fm_tiny: no weight %s", FM_TINY_ADAM_WEIGHT);
    const float *row = w->value.f + (size_t)FM_TINY_ADAM_ROW * FM_TINY_K;
    memcpy(t->adam_before, row, sizeof t->adam_before);
    memcpy(t->adam_grad, t->weight_grad[index] + (size_t)FM_TINY_ADAM_ROW * FM_TINY_K, sizeof t->adam_grad);
    /* fm_model.compile(loss=MeanSquaredError(), optimizer=Adam(learning_rate=0.001)) */
    if (ck_compile(t->fm.fm_model, "mse", ck_Adam(FM_TINY_LR), NULL, 0) < 0) return -1;
    /* fm_model.fit(x, y, epochs=1, batch_size=2): one batch, one step */
    ck_history *h = ck_fit(t->fm.fm_model, x, 4, y,
                           CK_FIT_ARGS(.epochs = 1, .batch_size = FM_TINY_ROWS, .shuffle = 0, .verbose = 0));
    if (!h) return -1;
    t->fit_loss = h->epochs[0].loss;
    ck_history_free(h);
    memcpy(t->adam_after, row, sizeof t->adam_after);
    return 0;
}

int fm_tiny_run(fm_tiny *t, ck_genre_pool pool)
{
    *t = (fm_tiny){.pool = pool};
    ck_tensor x[4], y;
    batch_tensors(x, &y);
    const ck_fm_config cfg = {
        .n_uid = FM_TINY_N_UID, .n_mid = FM_TINY_N_MID, .n_genre = FM_TINY_N_GENRE, .k = FM_TINY_K, .genre_pool = pool};
    t->session = ck_session_new(0); /* the seed does not matter: every weight is set */
    if (!t->session || ck_fm_model(t->session, &cfg, &t->fm) < 0 || set_weights(t) < 0) return -1;
    t->tape = ck_tape_new();
    if (!t->tape || op_by_op(t, x, &y) < 0) return -1;
    if (compare_with_model(t, x, &y) < 0) return -1;
    return adam_step(t, x, &y);
}

void fm_tiny_free(fm_tiny *t)
{
    if (t->weight_grad && t->fm.fm_model)
        for (int i = 0; i < ck_model_n_weights(t->fm.fm_model); i++) free(t->weight_grad[i]);
    free(t->weight_grad);
    ck_tape_free(t->tape);
    ck_session_free(t->session);
    *t = (fm_tiny){0};
}

const fm_tiny_node *fm_tiny_find(const fm_tiny *t, const char *name)
{
    for (int i = 0; i < t->n_nodes; i++)
        if (strcmp(t->nodes[i].name, name) == 0) return &t->nodes[i];
    return NULL;
}
