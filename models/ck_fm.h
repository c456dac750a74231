/* ck_fm.h - the notebook "Factorization Machines with Keras", layer for layer.
 *
 * Inputs (the notebook's define_input_layers):
 *     input_fea3  (None, 1) F32  occupation, fed as a raw number
 *     input_uid   (None, 1) I32  user id
 *     input_mid   (None, 1) I32  movie id
 *     input_genre (None, 3) I32  genre ids, 0 = padding
 * 1st order: every field mapped to a scalar and added        -> fm_1d_output (None, 1)
 * 2nd order: every field mapped to a k-vector, stacked         -> concat_embed_2d (None, 4, k)
 *            0.5 * sum_k((sum_p x)^2 - sum_p x^2)             -> fm_2d_output (None, 1)
 * Output:    Dense(1)(Concatenate([fm_1d, fm_2d]))            -> fm_output (None, 1)
 *            (linear; ck_fm_config.output_activation can make it a sigmoid)
 *
 * Built only from generic layers (Input, Dense, Embedding, MeanPool, Reshape,
 * Concatenate, Multiply, Subtract, Add, Lambda); the three Models share them,
 * like the notebook's fm_model_1d, fm_model_2d, fm_model. */
#ifndef CK_FM_H
#define CK_FM_H

#include "ck_model.h"

/* How the genre embeddings (None, 3, d) are averaged over the 3 slots. */
typedef enum ck_genre_pool {
    /* Average only real genres: what mask_zero=True means (Keras's masked
     * GlobalAveragePooling1D). A movie with no kept genre gives 0, no genre
     * term, as an FM over all-zero genre features; Keras's layer would
     * divide 0 by 0 there (NaN). */
    CK_GENRE_POOL_MASKED = 0,
    /* What the notebook's Lambda(lambda x: K.mean(x, axis=1)) computes: the
     * Lambda drops the mask, so padding slots (row 0's vector) count too. */
    CK_GENRE_POOL_NOTEBOOK
} ck_genre_pool;

typedef struct ck_fm_config {
    int n_uid, n_mid; /* max ids: embeddings have n + 1 rows */
    int n_genre;      /* 14 in the notebook */
    int k;            /* latent dimension, 20 */
    ck_genre_pool genre_pool;
    /* the activation of the last Dense (fm_output, deepfm_output), a Keras
     * name as for ck_Dense: NULL is linear, the notebook's rating
     * regression; "sigmoid" makes the output a probability, for a binary
     * target (binary_crossentropy) */
    const char *output_activation;
} ck_fm_config;

typedef struct ck_fm {
    ck_sym *inputs[4]; /* input_fea3, input_uid, input_mid, input_genre */
    ck_sym *y_fm_1d;   /* fm_1d_output (None, 1) */
    ck_sym *y_fm_2d;   /* fm_2d_output (None, 1) */
    ck_sym *embed_2d;  /* concat_embed_2d (None, 4, k) */
    ck_sym *y;         /* fm_output (None, 1) */
    ck_model *fm_model_1d, *fm_model_2d, *fm_model;
} ck_fm;

/* The notebook's functions, one for one. Each returns NULL on error (the
 * message names the layer); errors propagate, so checking the final result
 * is enough. */
int ck_fm_define_input_layers(ck_session *s, ck_sym *inputs[4]);
ck_sym *ck_fm_1d(ck_session *s, ck_sym *const inputs[4], const ck_fm_config *c);
ck_sym *ck_fm_2d(ck_session *s, ck_sym *const inputs[4], const ck_fm_config *c, ck_sym **embed_2d);
/* fm_model(): inputs, both parts, fm_output and the three Models. */
int ck_fm_model(ck_session *s, const ck_fm_config *c, ck_fm *out);

const char *ck_genre_pool_name(ck_genre_pool p); /* "masked" / "notebook" */
/* The FM's Lambda functions by the names its layers are saved with (the
 * sums, squares and halving of fm_2d; the notebook pool's means), for
 * ck_load_model of an FM or DeepFM file. Free with ck_registry_free. */
ck_registry *ck_fm_registry(void);

/* ---- DeepFM (models/deepfm.c) ----
 * DeepFM (Guo et al., 2017), as 6chaoran's keras_deepfm.ipynb builds it
 * (github.com/6chaoran/recsys; the FM notebook was cut from it and has no
 * deep part): the FM above plus a "deep part", an MLP over the
 * same 2nd-order field embeddings (concat_embed_2d, flattened), its output
 * joined to the FM's two terms by the final Dense:
 *     y_dnn = Reshape((4 k,))(embed_2d)                                (None, 4k)
 *     for h in hidden: y_dnn = Dense(h, relu)(Dropout(dropout)(y_dnn)) (None, h)
 *     y_dnn = Dense(1, relu, name='deep_output')(y_dnn)                (None, 1)
 *     y = Dense(1, name='deepfm_output')(Concatenate()([y_fm_1d, y_fm_2d, y_dnn]))
 * The embeddings are shared, so one backward pass trains both parts. */
#define CK_DEEPFM_MAX_HIDDEN 8
typedef struct ck_deepfm_config {
    int n_hidden;                     /* MLP layers before deep_output */
    int hidden[CK_DEEPFM_MAX_HIDDEN]; /* their units */
    float dropout;                    /* Dropout rate before each of them */
} ck_deepfm_config;

/* The model "deepfm_model"; deep NULL: hidden [64, 64], dropout 0.5. NULL
 * on error (the message names the layer). */
ck_model *ck_deepfm_model(ck_session *s, const ck_fm_config *c, const ck_deepfm_config *deep);

#endif
