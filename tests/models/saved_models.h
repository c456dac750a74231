/* saved_models.h - the models the save/load tests round-trip (in one
 * process: test_model_save.c; in two: model_roundtrip.c), their data, and
 * their predictions, all deterministic. */
#ifndef SAVED_MODELS_H
#define SAVED_MODELS_H

#include <stdlib.h>
#include <string.h>

#include "ck_fm.h"

typedef enum sm_kind {
    SM_FM_MASKED,   /* the notebook's FM, masked genre pool */
    SM_FM_NOTEBOOK, /* the notebook's FM with its Lambda means */
    SM_DEEPFM,
    SM_BATCHNORM,   /* Dense, BatchNormalization (trained: moving statistics moved), Dense */
    SM_TWO_OUTPUTS, /* a shared layer called twice, two outputs */
    SM_ALL_LAYERS,  /* every other class, masks, a frozen layer, regularizers, a user Lambda */
    SM_COUNT
} sm_kind;

static const char *const sm_names[SM_COUNT] = {"fm_masked", "fm_notebook", "deepfm",
                                               "batchnorm", "two_outputs", "all_layers"};

enum { SM_SAMPLES = 40, SM_MAX_ID = 4 }; /* every Embedding here has more than 4 rows */

/* The user function of SM_ALL_LAYERS's Lambda. */
static inline ck_node *sm_double(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    (void)user;
    return ck_scale(t, in[0], 2.0f);
}

/* The FM's functions and the test's own. */
static inline ck_registry *sm_registry(void)
{
    ck_registry *r = ck_fm_registry();
    if (r && ck_registry_add_lambda(r, "test_double", sm_double, NULL)) {
        ck_registry_free(r);
        return NULL;
    }
    return r;
}

static inline ck_model *sm_two_outputs(ck_session *s)
{
    ck_sym *a = ck_Input(s, ck_shape_of(1, 3), CK_F32, "a"), *b = ck_Input(s, ck_shape_of(1, 3), CK_F32, "b");
    ck_layer *trunk = ck_Dense(s, 4, "relu", "trunk");
    ck_sym *ta = ck_call1(trunk, a), *tb = ck_call1(trunk, b); /* shared: two inbound nodes */
    ck_sym *pair[2] = {ta, tb};
    ck_sym *outs[2] = {ck_call1(ck_Dense(s, 1, NULL, "out_a"), ck_call(ck_Concatenate(s, -1, NULL), pair, 2)),
                       ck_call1(ck_Dense(s, 2, NULL, "out_b"), ck_call(ck_Subtract(s, NULL), pair, 2))};
    ck_sym *ins[2] = {a, b};
    return ck_Model(s, ins, 2, outs, 2, "two_outputs");
}

static inline ck_model *sm_batchnorm(ck_session *s)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, 3), CK_F32, "x");
    ck_sym *h = ck_call1(ck_BatchNormalization(s, NULL), ck_call1(ck_Dense(s, 8, NULL, NULL), x));
    ck_sym *y = ck_call1(ck_Dense(s, 1, NULL, "y"), ck_call1(ck_Activation(s, "relu", NULL), h));
    return ck_Model(s, &x, 1, &y, 1, "bn_model");
}

/* ids (None, 6) -> Embedding(mask_zero) -> Dense -> LayerNormalization, pooled
 * (masked) two ways; features (None, 3) -> Dense -> BatchNormalization ->
 * RepeatVector -> Permute -> Flatten -> Dense; joined by Dot (cosine and
 * plain), Add, Subtract, Multiply, Concatenate, and the rest. */
static inline ck_model *sm_all_layers(ck_session *s)
{
    ck_sym *ids = ck_Input(s, ck_shape_of(1, 6), CK_I32, "ids"), *feats = ck_Input(s, ck_shape_of(1, 3), CK_F32, "f");
    ck_layer *emb_layer = ck_Embedding(s, 5, 4, 1, "emb");
    ck_layer_set_regularizer(emb_layer, "embeddings_regularizer", ck_l2(0.01f));
    ck_sym *emb = ck_call1(emb_layer, ids); /* (None, 6, 4), masked */
    ck_sym *seq = ck_call1(ck_LayerNormalization(s, NULL), ck_call1(ck_Dense(s, 4, "relu", "seq_dense"), emb));
    ck_sym *avg = ck_call1(ck_GlobalAveragePooling1D(s, NULL), seq); /* (None, 4) */
    ck_sym *mx = ck_call1(ck_GlobalMaxPooling1D(s, NULL), seq);      /* (None, 4) */
    ck_layer *fd = ck_Dense(s, 4, "tanh", "feat_dense");
    ck_layer_set_regularizer(fd, "kernel_regularizer", ck_l1_l2(0.01f, 0.02f));
    ck_layer_set_regularizer(fd, "bias_regularizer", ck_l1(0.03f));
    ck_sym *f = ck_call1(ck_BatchNormalization_ex(s, -1, 0.9, 1e-3f, 1, 0, NULL), ck_call1(fd, feats));
    ck_sym *rep = ck_call1(ck_RepeatVector(s, 2, NULL), f);                    /* (None, 2, 4) */
    ck_sym *perm = ck_call1(ck_Permute(s, (const int[]){2, 1}, 2, NULL), rep); /* (None, 4, 2) */
    ck_layer *frozen = ck_Dense(s, 4, NULL, "frozen_dense");
    ck_layer_set_trainable(frozen, 0);
    ck_sym *g = ck_call1(frozen, ck_call1(ck_Flatten(s, NULL), perm)); /* (None, 4) */
    ck_sym *p1[2] = {avg, f}, *p2[2] = {mx, g};
    ck_sym *cos = ck_call(ck_Dot(s, 1, 1, 1, "cosine"), p1, 2); /* (None, 1) */
    ck_sym *dot = ck_call(ck_Dot(s, -1, -1, 0, NULL), p2, 2);   /* (None, 1) */
    ck_sym *p3[2] = {emb, ck_call1(ck_RepeatVector(s, 3, NULL), f)};
    ck_sym *pairs = ck_call1(ck_Flatten(s, NULL), ck_call(ck_Dot(s, 2, 2, 0, NULL), p3, 2)); /* (None, 18) */
    ck_sym *sum = ck_call(ck_Add(s, NULL), p1, 2), *diff = ck_call(ck_Subtract(s, NULL), p2, 2);
    ck_sym *prod = ck_call(ck_Multiply(s, NULL), p1, 2);
    ck_sym *plain = ck_call1(ck_MeanPool(s, 1, 0, CK_POOL_PLAIN, NULL), emb); /* (None, 4) */
    ck_sym *flat =
        ck_call1(ck_Reshape(s, ck_shape_of(1, 4), NULL), ck_call1(ck_Reshape(s, ck_shape_of(2, 2, 2), NULL), plain));
    ck_sym *doubled = ck_call1(ck_Lambda_named(s, "test_double", sm_double, NULL, NULL), flat);
    ck_sym *parts[9] = {cos,
                        dot,
                        pairs,
                        sum,
                        diff,
                        prod,
                        doubled,
                        ck_call1(ck_Activation(s, "sigmoid", NULL), g),
                        ck_call1(ck_Dropout(s, 0.25f, NULL), avg)};
    ck_sym *y = ck_call1(ck_Dense(s, 1, NULL, "out"), ck_call(ck_Concatenate(s, -1, NULL), parts, 9));
    ck_sym *ins[2] = {ids, feats};
    return ck_Model(s, ins, 2, &y, 1, "all_layers");
}

static inline ck_model *sm_build(ck_session *s, sm_kind kind)
{
    ck_fm_config c = {.n_uid = 6, .n_mid = 7, .n_genre = 5, .k = 3};
    ck_fm fm;
    switch (kind) {
    case SM_FM_MASKED:
    case SM_FM_NOTEBOOK:
        c.genre_pool = kind == SM_FM_MASKED ? CK_GENRE_POOL_MASKED : CK_GENRE_POOL_NOTEBOOK;
        return ck_fm_model(s, &c, &fm) ? NULL : fm.fm_model;
    case SM_DEEPFM: return ck_deepfm_model(s, &c, NULL);
    case SM_BATCHNORM: return sm_batchnorm(s);
    case SM_TWO_OUTPUTS: return sm_two_outputs(s);
    case SM_ALL_LAYERS: return sm_all_layers(s);
    case SM_COUNT: break;
    }
    return NULL;
}

/* Inputs shaped like the model's: float32 in [-1, 1), ids in [0, SM_MAX_ID]
 * (0 is padding where there is a mask); targets in [0, 5). */
typedef struct sm_data {
    int n_x;
    ck_tensor *x[8];
    ck_tensor *y;
} sm_data;

static inline void sm_data_make(const ck_model *m, uint64_t seed, sm_data *d)
{
    ck_rng r;
    ck_rng_seed(&r, seed);
    d->n_x = ck_model_n_inputs(m);
    for (int i = 0; i < d->n_x; i++) {
        ck_shape s = ck_sym_shape(ck_model_input(m, i));
        s.d[0] = SM_SAMPLES;
        if (ck_sym_dtype(ck_model_input(m, i)) == CK_F32) {
            d->x[i] = ck_tensor_uniform(s, -1.0f, 1.0f, &r);
        } else {
            d->x[i] = ck_tensor_new(CK_I32, s);
            for (int64_t k = 0; k < d->x[i]->size; k++) d->x[i]->i[k] = (int32_t)ck_rng_below(&r, SM_MAX_ID + 1);
        }
    }
    d->y = ck_tensor_uniform(ck_shape_of(2, SM_SAMPLES, 1), 0.0f, 5.0f, &r);
}

static inline void sm_data_free(sm_data *d)
{
    for (int i = 0; i < d->n_x; i++) ck_tensor_free(d->x[i]);
    ck_tensor_free(d->y);
}

/* A few epochs of Adam, so weights and moving statistics leave their
 * initial values (models with one output). */
static inline int sm_train(ck_model *m, const sm_data *d)
{
    if (ck_model_n_outputs(m) != 1) return 0;
    if (ck_compile(m, "mse", ck_Adam(0.01f), NULL, 0)) return -1;
    ck_tensor x[8];
    for (int i = 0; i < d->n_x; i++) x[i] = *d->x[i];
    ck_fit_args args = {.epochs = 3, .batch_size = 8, .shuffle = 1};
    ck_history *h = ck_fit(m, x, d->n_x, d->y, &args);
    ck_history_free(h);
    return h ? 0 : -1;
}

/* Predictions of every output, one after the other, as one float array
 * (heap) of *n values: output 0 by ck_predict, each other output through a
 * Model of it in the same session. */
static inline float *sm_predict(ck_model *m, const sm_data *d, long *n)
{
    ck_tensor x[8];
    for (int i = 0; i < d->n_x; i++) x[i] = *d->x[i];
    float *all = NULL;
    *n = 0;
    for (int o = 0; o < ck_model_n_outputs(m); o++) {
        ck_model *single = m;
        if (o > 0) {
            ck_sym *ins[8], *out = ck_model_output(m, o);
            for (int i = 0; i < d->n_x; i++) ins[i] = ck_model_input(m, i);
            single = ck_Model(ck_model_session(m), ins, d->n_x, &out, 1, NULL);
        }
        ck_tensor *p = single ? ck_predict(single, x, d->n_x, 16) : NULL;
        float *grown = p ? realloc(all, sizeof(float) * (size_t)(*n + p->size)) : NULL;
        if (!grown) {
            ck_tensor_free(p);
            free(all);
            return NULL;
        }
        all = grown;
        memcpy(all + *n, p->f, sizeof(float) * (size_t)p->size);
        *n += (long)p->size;
        ck_tensor_free(p);
    }
    return all;
}

#endif
