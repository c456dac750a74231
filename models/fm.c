/* fm.c - the notebook's FM graph, built from generic layers only.
 * Each function mirrors the notebook's Python function of the same name;
 * the notebook's line is quoted above the C that does the same. */
#include "ck_fm.h"

const char *ck_genre_pool_name(ck_genre_pool p) { return p == CK_GENRE_POOL_NOTEBOOK ? "notebook" : "masked"; }

int ck_fm_define_input_layers(ck_session *s, ck_sym *inputs[4])
{
    /* fea3_input = Input((1,), name='input_fea3')     numeric feature */
    inputs[0] = ck_Input(s, ck_shape_of(1, 1), CK_F32, "input_fea3");
    /* uid_input = Input((1,), name='input_uid')       single-level categorical */
    inputs[1] = ck_Input(s, ck_shape_of(1, 1), CK_I32, "input_uid");
    /* mid_input = Input((1,), name='input_mid') */
    inputs[2] = ck_Input(s, ck_shape_of(1, 1), CK_I32, "input_mid");
    /* genre_input = Input((3,), name='input_genre')   multi-level, 3 genres at most */
    inputs[3] = ck_Input(s, ck_shape_of(1, 3), CK_I32, "input_genre");
    for (int i = 0; i < 4; i++)
        if (!inputs[i]) return -1;
    return 0;
}

/* The notebook's Tensor_Mean_Pooling's function: K.mean(x, axis=1, keepdims). */
static ck_node *mean_axis1(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    (void)user;
    return ck_mean(t, in[0], 1, 0);
}
static ck_node *mean_axis1_keepdims(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    (void)user;
    return ck_mean(t, in[0], 1, 1);
}

/* Tensor_Mean_Pooling(name, keepdims):
 *     return Lambda(lambda x: K.mean(x, axis=1, keepdims=keepdims), name=name)
 * in notebook mode: a Lambda, which drops the mask, so padding slots count;
 * in masked mode: the masked mean over real genres (see ck_genre_pool). */
static ck_layer *genre_mean(ck_session *s, const ck_fm_config *c, int keepdims, const char *name)
{
    if (c->genre_pool == CK_GENRE_POOL_NOTEBOOK)
        return keepdims ? ck_Lambda_named(s, "ck_fm_mean_axis1_keepdims", mean_axis1_keepdims, NULL, name)
                        : ck_Lambda_named(s, "ck_fm_mean_axis1", mean_axis1, NULL, name);
    return ck_MeanPool(s, 1, keepdims, CK_POOL_MASKED, name);
}

ck_sym *ck_fm_1d(ck_session *s, ck_sym *const inputs[4], const ck_fm_config *c)
{
    ck_sym *fea3 = inputs[0], *uid = inputs[1], *mid = inputs[2], *genre = inputs[3];

    /* num_dense_1d = [Dense(1, name='num_dense_1d_fea4')(fea3_input)]      (None, 1) */
    ck_sym *num_dense_1d = ck_call1(ck_Dense(s, 1, NULL, "num_dense_1d_fea4"), fea3);
    /* cat_sl_embed_1d = [Embedding(n_uid + 1, 1, name='cat_embed_1d_uid')(uid_input),
     *                    Embedding(n_mid + 1, 1, name='cat_embed_1d_mid')(mid_input)]  (None, 1, 1) */
    ck_sym *uid_1d = ck_call1(ck_Embedding(s, c->n_uid + 1, 1, 0, "cat_embed_1d_uid"), uid);
    ck_sym *mid_1d = ck_call1(ck_Embedding(s, c->n_mid + 1, 1, 0, "cat_embed_1d_mid"), mid);
    /* cat_ml_embed_1d = [Embedding(n_genre + 1, 1, mask_zero=True,
     *                              name='cat_embed_1d_genre')(genre_input)]     (None, 3, 1)
     * (in notebook mode the mean below is a Lambda, which drops this mask) */
    ck_sym *genre_1d = ck_call1(ck_Embedding(s, c->n_genre + 1, 1, 1, "cat_embed_1d_genre"), genre);

    /* cat_sl_embed_1d = [Reshape((1,))(i) for i in cat_sl_embed_1d]             (None, 1) */
    uid_1d = ck_call1(ck_Reshape(s, ck_shape_of(1, 1), NULL), uid_1d);
    mid_1d = ck_call1(ck_Reshape(s, ck_shape_of(1, 1), NULL), mid_1d);
    /* cat_ml_embed_1d = [Tensor_Mean_Pooling(name='embed_1d_mean')(i) ...]      (None, 1) */
    genre_1d = ck_call1(genre_mean(s, c, 0, "embed_1d_mean"), genre_1d);

    /* y_fm_1d = Add(name='fm_1d_output')(num_dense_1d + cat_sl_embed_1d + cat_ml_embed_1d) */
    ck_sym *terms[4] = {num_dense_1d, uid_1d, mid_1d, genre_1d};
    return ck_call(ck_Add(s, "fm_1d_output"), terms, 4);
}

/* The Lambdas of fm_2d: each is one autograd op. */
static ck_node *sum_axis1(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    (void)user;
    return ck_sum(t, in[0], 1, 0); /* K.sum(x, axis=1) */
}
static ck_node *square(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    (void)user;
    return ck_square(t, in[0]); /* K.square(x) */
}
static ck_node *half(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    (void)user;
    return ck_scale(t, in[0], 0.5f); /* x * 0.5 */
}

ck_sym *ck_fm_2d(ck_session *s, ck_sym *const inputs[4], const ck_fm_config *c, ck_sym **embed_2d_out)
{
    ck_sym *fea3 = inputs[0], *uid = inputs[1], *mid = inputs[2], *genre = inputs[3];
    int k = c->k, masked = c->genre_pool == CK_GENRE_POOL_MASKED;

    /* num_dense_2d = [Dense(k, name='num_dense_2d_fea3')(fea3_input)]          (None, k) */
    ck_sym *num_2d = ck_call1(ck_Dense(s, k, NULL, "num_dense_2d_fea3"), fea3);
    /* num_dense_2d = [Reshape((1, k))(i) for i in num_dense_2d]                (None, 1, k) */
    num_2d = ck_call1(ck_Reshape(s, ck_shape_of(2, 1, k), NULL), num_2d);
    /* cat_sl_embed_2d = [Embedding(n_uid + 1, k, name='cat_embed_2d_uid')(uid_input),
     *                    Embedding(n_mid + 1, k, name='cat_embed_2d_mid')(mid_input)]  (None, 1, k) */
    ck_sym *uid_2d = ck_call1(ck_Embedding(s, c->n_uid + 1, k, 0, "cat_embed_2d_uid"), uid);
    ck_sym *mid_2d = ck_call1(ck_Embedding(s, c->n_mid + 1, k, 0, "cat_embed_2d_mid"), mid);
    /* cat_ml_embed_2d = [Embedding(n_genre + 1, k, name='cat_embed_2d_genre')(genre_input)]
     *                                                                           (None, 3, k)
     * (masked mode adds mask_zero=True so the mean below can skip padding) */
    ck_sym *genre_2d = ck_call1(ck_Embedding(s, c->n_genre + 1, k, masked, "cat_embed_2d_genre"), genre);
    /* cat_ml_embed_2d = [Tensor_Mean_Pooling(name='cat_embed_2d_genure_mean',
     *                                        keepdims=True)(i) ...]             (None, 1, k) */
    genre_2d = ck_call1(genre_mean(s, c, 1, "cat_embed_2d_genure_mean"), genre_2d);

    /* embed_2d = Concatenate(axis=1, name='concat_embed_2d')(...)               (None, 4, k) */
    ck_sym *fields[4] = {num_2d, uid_2d, mid_2d, genre_2d};
    ck_sym *embed_2d = ck_call(ck_Concatenate(s, 1, "concat_embed_2d"), fields, 4);
    if (embed_2d_out) *embed_2d_out = embed_2d;

    /* sum_i<j <x_i, x_j> = 0.5 * sum_k((sum_i x_ik)^2 - sum_i x_ik^2): O(p k), not O(p^2 k).
     * tensor_sum = Lambda(lambda x: K.sum(x, axis=1), name='sum_of_tensors')
     * tensor_square = Lambda(lambda x: K.square(x), name='square_of_tensors') */
    ck_layer *tensor_sum = ck_Lambda_named(s, "ck_fm_sum_axis1", sum_axis1, NULL, "sum_of_tensors");
    ck_layer *tensor_square = ck_Lambda_named(s, "ck_fm_square", square, NULL, "square_of_tensors");

    /* sum_of_embed = tensor_sum(embed_2d)                                       (None, k) */
    ck_sym *sum_of_embed = ck_call1(tensor_sum, embed_2d);
    /* square_of_embed = tensor_square(embed_2d)                                 (None, 4, k) */
    ck_sym *square_of_embed = ck_call1(tensor_square, embed_2d);
    /* square_of_sum = Multiply()([sum_of_embed, sum_of_embed])                  (None, k) */
    ck_sym *pair[2] = {sum_of_embed, sum_of_embed};
    ck_sym *square_of_sum = ck_call(ck_Multiply(s, NULL), pair, 2);
    /* sum_of_square = tensor_sum(square_of_embed)                               (None, k) */
    ck_sym *sum_of_square = ck_call1(tensor_sum, square_of_embed);
    /* sub = Subtract()([square_of_sum, sum_of_square])                          (None, k) */
    ck_sym *diff[2] = {square_of_sum, sum_of_square};
    ck_sym *sub = ck_call(ck_Subtract(s, NULL), diff, 2);
    /* sub = Lambda(lambda x: x * 0.5)(sub)                                      (None, k) */
    sub = ck_call1(ck_Lambda_named(s, "ck_fm_half", half, NULL, NULL), sub);
    /* y_fm_2d = Reshape((1,), name='fm_2d_output')(tensor_sum(sub))             (None, 1) */
    ck_sym *total = ck_call1(tensor_sum, sub); /* (None,) */
    return ck_call1(ck_Reshape(s, ck_shape_of(1, 1), "fm_2d_output"), total);
}

int ck_fm_model(ck_session *s, const ck_fm_config *c, ck_fm *fm)
{
    *fm = (ck_fm){0};
    if (!s || !c) return ck_fail("fm_model: NULL %s", s ? "config" : "session");
    if (c->n_uid < 1 || c->n_mid < 1 || c->n_genre < 1 || c->k < 1)
        return ck_fail("fm_model: n_uid %d, n_mid %d, n_genre %d and k %d must all be >= 1", c->n_uid, c->n_mid,
                       c->n_genre, c->k);

    /* inputs = define_input_layers() */
    if (ck_fm_define_input_layers(s, fm->inputs) < 0) return -1;
    /* y_fm_1d = fm_1d(inputs, n_uid, n_mid, n_genre) */
    fm->y_fm_1d = ck_fm_1d(s, fm->inputs, c);
    /* y_fm_2d, embed_2d = fm_2d(inputs, n_uid, n_mid, n_genre, k) */
    fm->y_fm_2d = ck_fm_2d(s, fm->inputs, c, &fm->embed_2d);
    /* y = Concatenate()([y_fm_1d, y_fm_2d])                                     (None, 2) */
    ck_sym *parts[2] = {fm->y_fm_1d, fm->y_fm_2d};
    ck_sym *y = ck_call(ck_Concatenate(s, -1, NULL), parts, 2);
    /* y = Dense(1, name='fm_output')(y)                                         (None, 1)
     * (linear in the notebook; a sigmoid for a binary target) */
    fm->y = ck_call1(ck_Dense(s, 1, c->output_activation, "fm_output"), y);

    /* fm_model_1d = Model(inputs, y_fm_1d); fm_model_2d = ...; fm_model = Model(inputs, y) */
    fm->fm_model_1d = ck_Model(s, fm->inputs, 4, &fm->y_fm_1d, 1, "fm_model_1d");
    fm->fm_model_2d = ck_Model(s, fm->inputs, 4, &fm->y_fm_2d, 1, "fm_model_2d");
    fm->fm_model = ck_Model(s, fm->inputs, 4, &fm->y, 1, "fm_model");
    return fm->fm_model_1d && fm->fm_model_2d && fm->fm_model ? 0 : -1;
}

ck_registry *ck_fm_registry(void)
{
    ck_registry *r = ck_registry_new();
    if (!r) return NULL;
    if (ck_registry_add_lambda(r, "ck_fm_mean_axis1", mean_axis1, NULL) ||
        ck_registry_add_lambda(r, "ck_fm_mean_axis1_keepdims", mean_axis1_keepdims, NULL) ||
        ck_registry_add_lambda(r, "ck_fm_sum_axis1", sum_axis1, NULL) ||
        ck_registry_add_lambda(r, "ck_fm_square", square, NULL) ||
        ck_registry_add_lambda(r, "ck_fm_half", half, NULL)) {
        ck_registry_free(r);
        return NULL;
    }
    return r;
}
