/* onnx_cases - the models tests/onnx verifies: builds one (by name),
 * trains it briefly where it has data, exports it with ck_export_onnx and
 * writes what the checks need into DIR:
 *     CASE.onnx                      the export
 *     CASE.json                      inputs and outputs: names, dtypes, shapes, files
 *     CASE.in<i>.bin, CASE.out<k>.bin   N_ROWS rows of inputs (fewer when the
 *                                    data has fewer), and ck_predict's outputs
 *                                    on them (raw little-endian)
 * check_model.py then runs onnx.checker.check_model(full_check=True) on the
 * file and compare.js runs it in ONNX Runtime and compares with ck_predict.
 *
 * usage: onnx_cases DIR CASE      (onnx_cases --list: the cases) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_csv.h"
#include "ck_fm.h"
#include "ck_movielens.h"
#include "ck_onnx.h"
#include "ck_split.h"
#include "every_op.h"

/* ck_predict runs the rows as one batch, as ONNX Runtime does: a batch
 * statistic (every_op's batch_norm) then covers the same rows. */
enum { N_ROWS = 1000, SEED = 7 };
/* A small synthetic MovieLens, trained one epoch, so the weights are not
 * their initial values. */
enum { ML_USERS = 300, ML_MOVIES = 200, ML_RATINGS = 20000, FM_K = 8, FIT_BATCH = 256 };
static const float FIT_LR = 0.01f;
/* Rows whose genres are all padding: the masked mean's count-0 branch. */
enum { EMPTY_GENRE_ROWS = 10 };

/* What a case hands back: the model and the rows to predict on. */
typedef struct built {
    ck_model *model;                             /* exported */
    const char *out_names[EVERY_OP_MAX_OUTPUTS]; /* its outputs' names (their layers') */
    int n_out;
    ck_tensor x[CK_ML_N_INPUTS];         /* n_rows rows of each input (owned) */
    const char *x_names[CK_ML_N_INPUTS]; /* the inputs' names (their Input layers') */
    int n_x;
    int n_rows;                            /* 0: N_ROWS */
    int whole_batch[EVERY_OP_MAX_OUTPUTS]; /* output k is compared on the whole batch only */
    int opset;                             /* 0: ck_export_onnx's default */
} built;

static int fail_case(const char *what)
{
    fprintf(stderr, "onnx_cases: %s: %s\n", what, ck_error() ? ck_error() : "failed");
    return -1;
}

/* ---- the FM and DeepFM, on synthetic MovieLens ---- */

static int movielens_case(ck_session *s, built *b, int deep, ck_genre_pool pool)
{
    ck_movielens d = {0};
    ck_movielens_batch train = {0}, val = {0};
    int rc = ck_movielens_synthetic(SEED, ML_USERS, ML_MOVIES, ML_RATINGS, &d);
    if (!rc) rc = ck_movielens_split_rows(&d, 0.2, SEED, &train, &val);
    ck_fm_config c = {.n_uid = d.n_uid, .n_mid = d.n_mid, .n_genre = d.n_genre, .k = FM_K, .genre_pool = pool};
    ck_fm fm;
    if (!rc) {
        if (deep)
            b->model = ck_deepfm_model(s, &c, NULL);
        else
            b->model = ck_fm_model(s, &c, &fm) ? NULL : fm.fm_model;
        rc = b->model ? ck_compile(b->model, "mse", ck_Adam(FIT_LR), NULL, 0) : -1;
    }
    ck_history *h = NULL;
    if (!rc)
        h = ck_fit(b->model, train.x, CK_ML_N_INPUTS, &train.y,
                   CK_FIT_ARGS(.epochs = 1, .batch_size = FIT_BATCH, .verbose = 0));
    if (!h) rc = -1;
    ck_history_free(h);
    for (int i = 0; !rc && i < CK_ML_N_INPUTS; i++) { /* the first N_ROWS validation rows */
        ck_shape sh = val.x[i].shape;
        sh.d[0] = N_ROWS;
        ck_tensor *t = ck_tensor_new(val.x[i].dtype, sh);
        if (!t) {
            rc = -1;
            break;
        }
        memcpy(t->data, val.x[i].data, (size_t)t->size * 4);
        b->x[i] = *t;
        free(t);
    }
    if (!rc)
        for (int64_t k = 0; k < EMPTY_GENRE_ROWS * b->x[CK_ML_GENRE].shape.d[1]; k++) b->x[CK_ML_GENRE].i[k] = 0;
    static const char *const fm_inputs[CK_ML_N_INPUTS] = {"input_fea3", "input_uid", "input_mid", "input_genre"};
    for (int i = 0; i < CK_ML_N_INPUTS; i++) b->x_names[i] = fm_inputs[i];
    b->n_x = CK_ML_N_INPUTS;
    b->n_out = 1;
    if (b->model) b->out_names[0] = ck_layer_name(ck_model_layer(b->model, ck_model_n_layers(b->model) - 1));
    ck_movielens_batch_free(&train);
    ck_movielens_batch_free(&val);
    ck_movielens_free(&d);
    return rc;
}

static int fm_masked(ck_session *s, built *b) { return movielens_case(s, b, 0, CK_GENRE_POOL_MASKED); }
static int fm_notebook(ck_session *s, built *b) { return movielens_case(s, b, 0, CK_GENRE_POOL_NOTEBOOK); }
static int deepfm(ck_session *s, built *b) { return movielens_case(s, b, 1, CK_GENRE_POOL_MASKED); }

/* ---- generic models on random inputs ---- */

static ck_tensor random_input(ck_shape per_row, ck_dtype dt, int id_limit, ck_rng *rng)
{
    ck_shape s = {per_row.ndim + 1, {N_ROWS}};
    for (int d = 0; d < per_row.ndim; d++) s.d[d + 1] = per_row.d[d];
    ck_tensor *t = ck_tensor_new(dt, s);
    ck_tensor out = {0};
    if (!t) return out;
    for (int64_t k = 0; k < t->size; k++) {
        float u = ck_rng_uniform(rng);
        if (dt == CK_F32)
            t->f[k] = 4.0f * u - 2.0f;
        else
            t->i[k] = (int32_t)(u * (float)id_limit) % id_limit; /* 0 (padding) included */
    }
    out = *t;
    free(t);
    return out;
}

/* Dense, Dropout (identity at inference), Activation, every activation. */
static int mlp(ck_session *s, built *b)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, 6), CK_F32, "features");
    ck_sym *h = ck_call1(ck_Dense(s, 16, "relu", NULL), x);
    h = ck_call1(ck_Dropout(s, 0.3f, NULL), h);
    h = ck_call1(ck_Dense(s, 8, "tanh", NULL), h);
    h = ck_call1(ck_Activation(s, "sigmoid", NULL), h);
    ck_sym *y = ck_call1(ck_Dense(s, 1, NULL, "prediction"), h);
    b->model = ck_Model(s, &x, 1, &y, 1, "mlp");
    b->out_names[0] = "prediction";
    b->n_out = 1;
    b->n_x = 1;
    b->x_names[0] = "features";
    b->x[0] = random_input(ck_shape_of(1, 6), CK_F32, 0, ck_session_rng(s));
    return b->model && b->x[0].data ? 0 : -1;
}

/* A user op with its own translation: x^3, inference only (no backward). */
static int cube_shape(ck_node *n)
{
    n->value.dtype = CK_F32;
    n->value.shape = n->in[0]->value.shape;
    return 0;
}
static int cube_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    for (int64_t k = 0; k < n->value.size; k++)
        n->value.f[k] = n->in[0]->value.f[k] * n->in[0]->value.f[k] * n->in[0]->value.f[k];
    return 0;
}
static int cube_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    const char *square = e->value(e, "square");
    if (!square || ck_onnx_node(e, "Mul", (const char *[]){in[0], in[0]}, 2, square, NULL, 0) < 0) return -1;
    return ck_onnx_node(e, "Mul", (const char *[]){square, in[0]}, 2, out, NULL, 0);
}
static const ck_op cube_op = {"cube", cube_shape, cube_forward, NULL, 0, cube_onnx};

/* (B, 14) -> (B, 2, 7) -> every built-in op not met elsewhere, and the user op */
static ck_node *mixer(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    (void)user;
    ck_node *x = in[0];                                        /* (B, 2, 7) */
    ck_node *centred = ck_sub(t, x, ck_mean(t, x, 2, 1));      /* (B, 2, 7) - (B, 2, 1) */
    ck_node *spread = ck_sum(t, ck_square(t, centred), -1, 0); /* (B, 2) */
    ck_node *cubed = ck_apply(t, &cube_op, (ck_node *[]){ck_scale(t, spread, 0.1f)}, 1, NULL);
    ck_node *flat = ck_reshape(t, x, ck_shape_of(2, x ? x->value.shape.d[0] : 0, -1)); /* (B, 14) */
    ck_node *first = ck_mean(t, flat, 1, 1);                                           /* (B, 1) */
    return ck_concat(t, (ck_node *[]){ck_mul(t, cubed, first), flat}, 2, 1);           /* (B, 16) */
}

/* Two outputs; masked pooling of a Dense over embeddings (MatMul on rank
 * 3); Concatenate, Reshape, Multiply, Add, Subtract; a Lambda of ops. */
static int two_outputs(ck_session *s, built *b)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, 5), CK_F32, "dense_in");
    ck_sym *ids = ck_Input(s, ck_shape_of(1, 4), CK_I32, "ids_in");
    ck_sym *emb = ck_call1(ck_Embedding(s, 30, 6, 1, "tokens"), ids);              /* (None, 4, 6), mask */
    ck_sym *proj = ck_call1(ck_Dense(s, 7, "tanh", "token_proj"), emb);            /* (None, 4, 7) */
    ck_sym *pooled = ck_call1(ck_MeanPool(s, 1, 0, CK_POOL_MASKED, "pool"), proj); /* (None, 7) */
    ck_sym *h = ck_call1(ck_Dense(s, 7, "relu", "hidden"), x);                     /* (None, 7) */
    ck_sym *pair[2] = {h, pooled};
    ck_sym *joined = ck_call(ck_Concatenate(s, -1, "joined"), pair, 2); /* (None, 14) */
    ck_sym *grid = ck_call1(ck_Reshape(s, ck_shape_of(2, 2, 7), "grid"), joined);
    ck_sym *mixed = ck_call1(ck_Lambda(s, mixer, NULL, "mixer"), grid); /* (None, 16) */
    ck_sym *score = ck_call1(ck_Dense(s, 1, "sigmoid", "score"), mixed);
    ck_sym *gate = ck_call1(ck_Dense(s, 1, NULL, "gate"), h);
    ck_sym *scaled_pair[2] = {pooled, gate};
    ck_sym *scaled = ck_call(ck_Multiply(s, "scaled"), scaled_pair, 2); /* (None, 7) * (None, 1) */
    ck_sym *diff_pair[2] = {scaled, h};
    ck_sym *diff = ck_call(ck_Subtract(s, "diff"), diff_pair, 2);
    ck_sym *sum_pair[2] = {diff, pooled};
    ck_sym *aux = ck_call1(ck_Dense(s, 3, NULL, "aux"), ck_call(ck_Add(s, "sum"), sum_pair, 2));
    ck_sym *inputs[2] = {x, ids}, *outputs[2] = {score, aux};
    b->model = ck_Model(s, inputs, 2, outputs, 2, "two_outputs");
    b->out_names[0] = "score";
    b->out_names[1] = "aux";
    b->n_out = 2;
    b->n_x = 2;
    b->x_names[0] = "dense_in";
    b->x_names[1] = "ids_in";
    b->x[0] = random_input(ck_shape_of(1, 5), CK_F32, 0, ck_session_rng(s));
    b->x[1] = random_input(ck_shape_of(1, 4), CK_I32, 30, ck_session_rng(s));
    for (int k = 0; b->x[1].data && k < 4; k++) b->x[1].i[k] = 0; /* row 0: all padding */
    return b->model && b->x[0].data && b->x[1].data ? 0 : -1;
}

/* One output per built-in op (every_op.c), on random x and ids. */
static int every_op(ck_session *s, built *b)
{
    if (every_op_missing())
        return ck_fail("every_op: op '%s' of the op table is in no Lambda of every_op.c", every_op_missing());
    ck_sym *outputs[EVERY_OP_MAX_OUTPUTS];
    b->model = every_op_model(s, outputs, b->whole_batch, &b->n_out);
    for (int k = 0; b->model && k < b->n_out; k++) b->out_names[k] = ck_layer_name(ck_sym_layer(outputs[k]));
    b->n_x = 2;
    b->x_names[0] = "x";
    b->x_names[1] = "ids";
    b->x[0] = random_input(ck_shape_of(2, EVERY_OP_ROWS_X, EVERY_OP_COLS_X), CK_F32, 0, ck_session_rng(s));
    b->x[1] = random_input(ck_shape_of(1, EVERY_OP_IDS), CK_I32, EVERY_OP_VOCAB, ck_session_rng(s));
    for (int k = 0; b->x[1].data && k < EVERY_OP_IDS; k++) b->x[1].i[k] = 0; /* row 0: all padding */
    return b->model && b->x[0].data && b->x[1].data ? 0 : -1;
}

/* The same at the oldest opset written: reductions take their axes as an
 * attribute, layer_norm is composed (LayerNormalization is opset 17). */
static int every_op_opset13(ck_session *s, built *b)
{
    b->opset = CK_ONNX_MIN_OPSET;
    return every_op(s, b);
}

/* ---- BatchNormalization, LayerNormalization and two outputs ---- */

enum { NORM_FEATURES = 8, NORM_STEPS = 4, NORM_STEP_FEATURES = 6, NORM_EPOCHS = 2, NORM_BATCH = 32 };

/* features -> Dense -> BatchNormalization (channels last) -> Dense;
 * sequence -> LayerNormalization (last axis: ONNX's operator) ->
 * LayerNormalization over the steps (axis 1: composed) ->
 * BatchNormalization over the steps (axis 1) -> GlobalAveragePooling1D.
 * Trained two epochs (mse on both outputs), so the moving statistics,
 * gamma and beta are not their initial values. */
static int norm_two_outputs(ck_session *s, built *b)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, NORM_FEATURES), CK_F32, "features");
    ck_sym *seq = ck_Input(s, ck_shape_of(2, NORM_STEPS, NORM_STEP_FEATURES), CK_F32, "sequence");
    ck_sym *h = ck_call1(ck_Dense(s, 16, "relu", "dense_in"), x);
    h = ck_call1(ck_BatchNormalization(s, "bn_features"), h);
    h = ck_call1(ck_Dense(s, 8, "tanh", "dense_mid"), h);
    ck_sym *q = ck_call1(ck_LayerNormalization(s, "ln_features"), seq);
    q = ck_call1(ck_LayerNormalization_ex(s, 1, 1e-3f, 1, 1, "ln_steps"), q);
    q = ck_call1(ck_BatchNormalization_ex(s, 1, 0.9, 1e-3f, 1, 1, "bn_steps"), q);
    ck_sym *pooled = ck_call1(ck_GlobalAveragePooling1D(s, "pool"), q); /* (None, 6) */
    ck_sym *pair[2] = {h, pooled};
    ck_sym *joined = ck_call(ck_Concatenate(s, -1, "joined"), pair, 2);
    ck_sym *out_a = ck_call1(ck_Dense(s, 1, "sigmoid", "out_a"), joined);
    ck_sym *out_b = ck_call1(ck_Dense(s, 3, NULL, "out_b"), pooled);
    ck_sym *inputs[2] = {x, seq}, *outputs[2] = {out_a, out_b};
    b->model = ck_Model(s, inputs, 2, outputs, 2, "norm_two_outputs");
    b->out_names[0] = "out_a";
    b->out_names[1] = "out_b";
    b->n_out = 2;
    b->n_x = 2;
    b->x_names[0] = "features";
    b->x_names[1] = "sequence";
    if (!b->model || ck_compile(b->model, "mse", ck_Adam(FIT_LR), NULL, 0) < 0) return -1;
    /* N_ROWS training rows, made as the checked rows are; targets from them */
    ck_rng *rng = ck_session_rng(s);
    ck_tensor train_x[2] = {random_input(ck_shape_of(1, NORM_FEATURES), CK_F32, 0, rng),
                            random_input(ck_shape_of(2, NORM_STEPS, NORM_STEP_FEATURES), CK_F32, 0, rng)};
    ck_tensor *y_a = ck_tensor_new(CK_F32, ck_shape_of(2, N_ROWS, 1));
    ck_tensor *y_b = ck_tensor_new(CK_F32, ck_shape_of(2, N_ROWS, 3));
    int rc = train_x[0].data && train_x[1].data && y_a && y_b ? 0 : -1;
    for (int r = 0; !rc && r < N_ROWS; r++) {
        const float *f = train_x[0].f + r * NORM_FEATURES, *q0 = train_x[1].f + r * NORM_STEPS * NORM_STEP_FEATURES;
        y_a->f[r] = f[0] * f[1] > 0 ? 1.0f : 0.0f;
        for (int k = 0; k < 3; k++) y_b->f[r * 3 + k] = q0[k] - q0[NORM_STEP_FEATURES + k];
    }
    ck_tensor y[2] = {{0}};
    if (!rc) {
        y[0] = *y_a;
        y[1] = *y_b;
    }
    ck_history *hist = NULL;
    if (!rc)
        rc = (hist = ck_fit(b->model, train_x, 2, y,
                            CK_FIT_ARGS(.epochs = NORM_EPOCHS, .batch_size = NORM_BATCH, .verbose = 0)))
                 ? 0
                 : -1;
    ck_history_free(hist);
    ck_tensor_free(y_a);
    ck_tensor_free(y_b);
    free(train_x[0].data);
    free(train_x[1].data);
    /* the rows checked: new draws */
    b->x[0] = random_input(ck_shape_of(1, NORM_FEATURES), CK_F32, 0, rng);
    b->x[1] = random_input(ck_shape_of(2, NORM_STEPS, NORM_STEP_FEATURES), CK_F32, 0, rng);
    return !rc && b->x[0].data && b->x[1].data ? 0 : -1;
}

/* ---- classifiers on scikit-learn's data (examples/classify.c's recipe) ---- */

/* classify.c's settings: Adam(1e-3), batch 32, the 20% split; a few
 * epochs, enough to move the weights away from their initial values. */
static const float CLASSIFY_LR = 1e-3f;
static const double CLASSIFY_TEST_SIZE = 0.2;
enum { CLASSIFY_EPOCHS = 3, CLASSIFY_BATCH = 32 };

typedef struct classifier {
    const char *file; /* in data/sklearn */
    int hidden;
    float dropout;
    int binary; /* Dense(1, sigmoid) + binary crossentropy; else softmax + sparse CE */
} classifier;

/* The features standardised with the training rows' statistics (the model
 * takes them so), trained, and the first rows of the file to predict on. */
static int classifier_case(ck_session *s, built *b, const classifier *c)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", CK_SKLEARN_DIR, c->file);
    ck_csv_dataset d;
    if (ck_csv_load_sklearn(path, &d) < 0) return -1;
    int64_t *train_idx = NULL, *test_idx = NULL, n_train, n_test;
    ck_tensor *x_train = NULL, *y_train = NULL;
    ck_standard_scaler scaler = {0};
    ck_history *h = NULL;
    int rc =
        ck_train_test_split_indices(d.n_samples, CLASSIFY_TEST_SIZE, SEED, &train_idx, &n_train, &test_idx, &n_test);
    if (!rc) {
        x_train = ck_take_rows(d.x, train_idx, n_train);
        y_train =
            c->binary ? ck_tensor_new(CK_F32, ck_shape_of(2, (int)n_train, 1)) : ck_take_rows(d.y, train_idx, n_train);
        rc = x_train && y_train ? 0 : -1;
    }
    for (int64_t i = 0; !rc && c->binary && i < n_train; i++) y_train->f[i] = (float)d.y->i[train_idx[i]];
    if (!rc)
        rc = ck_standard_scaler_fit(&scaler, x_train) || ck_standard_scaler_transform(&scaler, x_train) ||
             ck_standard_scaler_transform(&scaler, d.x);
    if (!rc) {
        ck_sym *x = ck_Input(s, ck_shape_of(1, d.n_features), CK_F32, "features");
        ck_sym *hidden = ck_call1(ck_Dense(s, c->hidden, "relu", "hidden"), x);
        if (c->dropout > 0) hidden = ck_call1(ck_Dropout(s, c->dropout, "dropout"), hidden);
        ck_sym *y =
            ck_call1(ck_Dense(s, c->binary ? 1 : d.n_classes, c->binary ? "sigmoid" : "softmax", "output"), hidden);
        b->model = ck_Model(s, &x, 1, &y, 1, "classifier");
        b->out_names[0] = "output";
        b->n_out = 1;
        rc = b->model ? ck_compile(b->model, c->binary ? "binary_crossentropy" : "sparse_categorical_crossentropy",
                                   ck_Adam(CLASSIFY_LR), NULL, 0)
                      : -1;
    }
    if (!rc)
        rc = (h = ck_fit(b->model, x_train, 1, y_train,
                         CK_FIT_ARGS(.epochs = CLASSIFY_EPOCHS, .batch_size = CLASSIFY_BATCH, .verbose = 0)))
                 ? 0
                 : -1;
    if (!rc) { /* the first rows of the file, standardised */
        b->n_rows = d.n_samples < N_ROWS ? (int)d.n_samples : N_ROWS;
        int64_t *first = malloc(sizeof *first * (size_t)b->n_rows);
        for (int64_t i = 0; first && i < b->n_rows; i++) first[i] = i;
        ck_tensor *rows = first ? ck_take_rows(d.x, first, b->n_rows) : NULL;
        free(first);
        if (rows) {
            b->x[0] = *rows;
            free(rows);
        }
        b->n_x = 1;
        b->x_names[0] = "features";
        rc = b->x[0].data ? 0 : -1;
    }
    ck_history_free(h);
    ck_standard_scaler_free(&scaler);
    ck_tensor_free(x_train);
    ck_tensor_free(y_train);
    free(train_idx);
    free(test_idx);
    ck_csv_dataset_free(&d);
    return rc;
}

/* classify.c's digits recipe: Dense(64, relu) -> Dropout(0.2) -> Dense(10,
 * softmax), sparse categorical crossentropy; 1,000 of its 1,797 rows */
static int digits(ck_session *s, built *b) { return classifier_case(s, b, &(classifier){"digits.csv", 64, 0.2f, 0}); }

/* its binary recipe: Dense(16, relu) -> Dense(1, sigmoid), binary
 * crossentropy, on breast_cancer (all of its 569 rows) */
static int binary_classifier(ck_session *s, built *b)
{
    return classifier_case(s, b, &(classifier){"breast_cancer.csv", 16, 0.0f, 1});
}

/* The cases: name -> builder (each also named in tests/onnx/meson.build). */
static const struct {
    const char *name;
    int (*build)(ck_session *s, built *b);
} cases[] = {
    {"fm_masked", fm_masked},
    {"fm_notebook", fm_notebook},
    {"deepfm", deepfm},
    {"mlp", mlp},
    {"two_outputs", two_outputs},
    {"every_op", every_op},
    {"every_op_opset13", every_op_opset13},
    {"norm_two_outputs", norm_two_outputs},
    {"digits", digits},
    {"binary_classifier", binary_classifier},
};
enum { N_CASES = sizeof cases / sizeof cases[0] };

/* ---- writing ---- */

static int write_bin(const char *dir, const char *name, const ck_tensor *t)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(t->data, 4, (size_t)t->size, f) == (size_t)t->size;
    if (f && fclose(f) != 0) ok = 0;
    if (!ok) fprintf(stderr, "onnx_cases: cannot write %s\n", path);
    return ok ? 0 : -1;
}

static void json_shape(FILE *f, ck_shape s)
{
    fprintf(f, "[");
    for (int d = 0; d < s.ndim; d++) fprintf(f, "%s%d", d ? ", " : "", s.d[d]);
    fprintf(f, "]");
}

static int write_case(const char *dir, const char *name, built *b)
{
    char path[4096], file[512];
    ck_tensor *pred[EVERY_OP_MAX_OUTPUTS] = {0};
    if (ck_predict_outputs(b->model, b->x, b->n_x, b->n_rows, pred) < 0) return fail_case("predict");
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    FILE *f = fopen(path, "w");
    int rc = f ? 0 : fail_case("cannot write the manifest");
    if (f) fprintf(f, "{\"model\": \"%s.onnx\", \"rows\": %d, \"inputs\": [", name, b->n_rows);
    for (int i = 0; i < b->n_x && !rc; i++) {
        snprintf(file, sizeof file, "%s.in%d.bin", name, i);
        fprintf(f, "%s{\"name\": \"%s\", \"dtype\": \"%s\", \"shape\": ", i ? ", " : "", b->x_names[i],
                b->x[i].dtype == CK_F32 ? "float32" : "int32");
        json_shape(f, b->x[i].shape);
        fprintf(f, ", \"file\": \"%s\"}", file);
        rc = write_bin(dir, file, &b->x[i]);
    }
    if (f) fprintf(f, "], \"outputs\": [");
    for (int k = 0; k < b->n_out && !rc; k++) {
        snprintf(file, sizeof file, "%s.out%d.bin", name, k);
        fprintf(f, "%s{\"name\": \"%s\", \"whole_batch\": %s, \"shape\": ", k ? ", " : "", b->out_names[k],
                b->whole_batch[k] ? "true" : "false");
        json_shape(f, pred[k]->shape);
        fprintf(f, ", \"file\": \"%s\"}", file);
        rc = write_bin(dir, file, pred[k]);
    }
    if (f) {
        fprintf(f, "]}\n");
        if (fclose(f) != 0) rc = -1;
    }
    for (int k = 0; k < b->n_out; k++) ck_tensor_free(pred[k]);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--list")) {
        for (int i = 0; i < N_CASES; i++) printf("%s\n", cases[i].name);
        return 0;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: onnx_cases DIR CASE | onnx_cases --list\n");
        return 2;
    }
    const char *dir = argv[1], *name = argv[2];
    int which = -1;
    for (int i = 0; i < N_CASES; i++)
        if (!strcmp(cases[i].name, name)) which = i;
    if (which < 0) {
        fprintf(stderr, "onnx_cases: unknown case '%s' (--list)\n", name);
        return 2;
    }
    ck_session *s = ck_session_new(SEED);
    built b = {0};
    int rc = s ? cases[which].build(s, &b) : -1;
    if (!b.n_rows) b.n_rows = N_ROWS;
    if (rc) fail_case("building the model");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.onnx", dir, name);
    ck_onnx_options options = {.opset = b.opset};
    if (!rc && ck_export_onnx(b.model, path, &options) < 0) rc = fail_case("export");
    if (!rc) rc = write_case(dir, name, &b);
    for (int i = 0; i < b.n_x; i++) free(b.x[i].data);
    ck_session_free(s);
    return rc ? 1 : 0;
}
