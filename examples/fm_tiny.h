/* fm_tiny.h - the notebook's FM on a batch small enough to check by hand:
 * 2 rows, the 4 fields (occupation, user, movie, genres), k = 2, with
 * chosen round weights. Used by examples/fm_tiny_step.c (which prints it
 * all) and tests/examples/test_fm_tiny_step.c (which checks it).
 *
 * fm_tiny_run builds the notebook's model with ck_fm_model (the real
 * layers), gives every weight the value below, then:
 *  1. rebuilds the same graph op by op on the model's own weights (one op per
 *     Keras layer call: Dense = matmul + add, Embedding = gather, ...), so
 *     every layer's output is a node whose value and gradient can be read;
 *     runs forward, the MSE loss and one backward pass;
 *  2. runs the model itself (ck_model_call) on the same rows, backward too,
 *     and records the largest difference from step 1 (prediction and every
 *     weight's gradient): the op-by-op graph IS the model;
 *  3. compiles the model with Adam(0.001) and fits one batch (one step), and
 *     keeps one embedding row before and after that step. */
#ifndef FM_TINY_H
#define FM_TINY_H

#include "ck_fm.h"
#include "ck_movielens.h" /* CK_ML_OCCUPATION ...: the inputs' order */

enum {
    FM_TINY_ROWS = 2,   /* batch */
    FM_TINY_K = 2,      /* latent dimension */
    FM_TINY_GENRES = 3, /* genre slots per movie (pad_sequences maxlen) */
    FM_TINY_N_UID = 2,  /* largest user id: users 1 and 2 */
    FM_TINY_N_MID = 1,  /* largest movie id: both rows rate movie 1 */
    FM_TINY_N_GENRE = 2 /* genre ids 1 and 2 (0 = padding) */
};

/* The Adam step's learning rate (the notebook's) and the row it follows:
 * cat_embed_2d_mid row 1, movie 1's k-vector, used by both rows. */
#define FM_TINY_LR 0.001f
#define FM_TINY_ADAM_WEIGHT "cat_embed_2d_mid/embeddings"
#define FM_TINY_ADAM_ROW 1

/* The batch: inputs in the notebook's order (df2xy) and the ratings. */
extern const float fm_tiny_occupation[FM_TINY_ROWS];
extern const int32_t fm_tiny_uid[FM_TINY_ROWS], fm_tiny_mid[FM_TINY_ROWS];
extern const int32_t fm_tiny_genre[FM_TINY_ROWS][FM_TINY_GENRES];
extern const float fm_tiny_rating[FM_TINY_ROWS];

/* The chosen weights, by the model's weight names ("layer/weight"). */
typedef struct fm_tiny_weight {
    const char *name;
    int n; /* values (row-major) */
    const float *values;
} fm_tiny_weight;
extern const fm_tiny_weight fm_tiny_weights[];
extern const int fm_tiny_n_weights;

/* A layer's output in the op-by-op graph: `node` has the value and, after
 * backward, the gradient d loss / d value. */
typedef struct fm_tiny_node {
    const char *name; /* the Keras layer name (as in the notebook's summary) */
    const char *what; /* the forward formula, for the printout */
    ck_node *node;
} fm_tiny_node;

enum { FM_TINY_MAX_NODES = 32, FM_TINY_MAX_WEIGHTS = 16 };

typedef struct fm_tiny {
    ck_genre_pool pool;
    ck_session *session;
    ck_fm fm;
    ck_tape *tape;                         /* step 1's graph: alive until fm_tiny_free */
    ck_node *inputs[4], *mask;             /* constants; mask: genre ids != 0 */
    fm_tiny_node nodes[FM_TINY_MAX_NODES]; /* layer outputs, forward order */
    int n_nodes;
    ck_node *prediction, *loss;
    float **weight_grad;   /* per model weight, its gradient after step 1 (heap) */
    double model_max_diff; /* step 2: largest |difference| from step 1 */
    double fit_loss;       /* step 3: the loss ck_fit reported for its step */
    float adam_before[FM_TINY_K], adam_grad[FM_TINY_K], adam_after[FM_TINY_K];
} fm_tiny;

/* Runs steps 1-3; 0 or -1 (ck_error() says why). Free with fm_tiny_free in
 * either case. */
int fm_tiny_run(fm_tiny *t, ck_genre_pool pool);
void fm_tiny_free(fm_tiny *t);

/* The layer output called `name` ("concat_embed_2d", "sum_of_tensors[1]"),
 * or NULL. */
const fm_tiny_node *fm_tiny_find(const fm_tiny *t, const char *name);
/* The model weight called `name` and its index, or NULL. */
ck_node *fm_tiny_weight_node(const fm_tiny *t, const char *name, int *index);

#endif
