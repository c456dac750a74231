/* deepfm.c - DeepFM from the FM's layers plus an MLP (see ck_fm.h). */
#include "ck_fm.h"

/* The default deep part: two hidden layers of 64 with Dropout 0.5, the
 * params dnn_dim=[64, 64], dnn_dr=0.5 of 6chaoran's keras_deepfm.ipynb
 * (github.com/6chaoran/recsys), where this model comes from. The FM notebook
 * was cut from that one: it keeps dnn_dr but has no deep part. */
static const ck_deepfm_config default_deep = {2, {64, 64}, 0.5f};

/* deep_part(embed_2d): the MLP over the flattened field embeddings. */
static ck_sym *deep_part(ck_session *s, ck_sym *embed_2d, int n_fields, int k, const ck_deepfm_config *d)
{
    /* Flatten: (None, 4, k) -> (None, 4k) */
    ck_sym *y = ck_call1(ck_Reshape(s, ck_shape_of(1, n_fields * k), "flat_embed_2d"), embed_2d);
    for (int i = 0; i < d->n_hidden; i++) {
        y = ck_call1(ck_Dropout(s, d->dropout, NULL), y);
        y = ck_call1(ck_Dense(s, d->hidden[i], "relu", NULL), y);
    }
    return ck_call1(ck_Dense(s, 1, "relu", "deep_output"), y);
}

ck_model *ck_deepfm_model(ck_session *s, const ck_fm_config *c, const ck_deepfm_config *deep)
{
    enum { N_FIELDS = 4 }; /* occupation, user, movie, genres */
    if (!s || !c) {
        ck_fail("deepfm_model: NULL %s", s ? "config" : "session");
        return NULL;
    }
    if (!deep) deep = &default_deep;
    if (deep->n_hidden < 0 || deep->n_hidden > CK_DEEPFM_MAX_HIDDEN) {
        ck_fail("deepfm_model: n_hidden %d must be in [0, %d]", deep->n_hidden, CK_DEEPFM_MAX_HIDDEN);
        return NULL;
    }
    ck_sym *inputs[N_FIELDS], *embed_2d = NULL;
    if (ck_fm_define_input_layers(s, inputs) < 0) return NULL;
    ck_sym *y_fm_1d = ck_fm_1d(s, inputs, c);
    ck_sym *y_fm_2d = ck_fm_2d(s, inputs, c, &embed_2d);
    if (!embed_2d) return NULL;
    ck_sym *y_dnn = deep_part(s, embed_2d, N_FIELDS, c->k, deep);
    ck_sym *parts[3] = {y_fm_1d, y_fm_2d, y_dnn};
    ck_sym *y = ck_call(ck_Concatenate(s, -1, NULL), parts, 3);             /* (None, 3) */
    y = ck_call1(ck_Dense(s, 1, c->output_activation, "deepfm_output"), y); /* (None, 1) */
    return ck_Model(s, inputs, N_FIELDS, &y, 1, "deepfm_model");
}
