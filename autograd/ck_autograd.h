/* ck_autograd.h - reverse-mode automatic differentiation.
 *
 * Define-by-run, like PyTorch: calling an op computes its value at once and,
 * when gradients are on, records the new node on a tape. The tape's order is
 * creation order, which is already a topological order, so backward is one
 * reverse sweep over it. Every op is ONE row of one table (ck_ops[], in
 * op_table.c): name, shape rule, forward and backward, and the flags that
 * tell the tape everything else it needs to know about the op.
 *
 * Memory: parameters are heap nodes owned by whoever made them (a layer);
 * every other node, value and gradient of a step lives in the tape's arena
 * and is forgotten by ck_tape_reset() at the end of the step.
 *
 * Errors: an op given a NULL input returns NULL and keeps the first message
 * (see ck_error.h), so one check at the end of building a graph is enough. */
#ifndef CK_AUTOGRAD_H
#define CK_AUTOGRAD_H

#include "ck_tensor.h"

typedef struct ck_node ck_node;
typedef struct ck_tape ck_tape;

/* Per-op settings, set by the op's constructor and read by its kernels. */
typedef struct ck_op_args {
    int axis;       /* sum, mean, concat, masked_mean, norms, max, repeat, softmax (normalised to >= 0) */
    int keepdims;   /* sum, mean, masked_mean, max */
    float alpha;    /* scale, pow's exponent, clip's lower bound, elu's and leaky_relu's alpha; the norms' epsilon */
    float beta;     /* clip's upper bound */
    ck_shape shape; /* reshape target; repeat's output shape; permute's permutation */
    void *user;     /* user-defined ops: anything they need */
} ck_op_args;

/* What the tape must know about an op, as bits of ck_op.flags. A row
 * written {name, shape, forward, backward} has flags 0, the safe default:
 * its value is zeroed before forward, and its backward adds. */
enum {
    /* The value is input 0's data read with a new shape: the tape makes it
     * a view (no allocation, no copy) and forward only checks. The node
     * still has its own gradient, d loss / d (this node's value). */
    CK_OP_VIEW = 1u << 0,
    /* forward writes every element of n->value, so the tape hands the
     * value out unzeroed. */
    CK_OP_WRITES_OUTPUT = 1u << 1,
    /* When the tape sets an input's grad_unset, backward writes EVERY
     * element of that input's gradient (it may assign, =): the tape has not
     * zeroed it. The op handles inputs it cannot cover in one write (e.g. a
     * broadcast-stretched input of add) by zeroing and adding itself. */
    CK_OP_ASSIGNS_GRAD = 1u << 2,
};

/* One row of the op table. */
typedef struct ck_op {
    const char *name;
    /* Check the inputs and set n->value.dtype and n->value.shape. Return 0,
     * or -1 after ck_fail("name: ...") naming the shapes involved. */
    int (*shape)(ck_node *n);
    /* Compute n->value from the inputs' values. The tape has allocated
     * n->value, zeroed unless the flags say CK_OP_WRITES_OUTPUT (or made it
     * a view for CK_OP_VIEW); op-private data for backward may be taken
     * from ck_tape_alloc() and kept in n->saved. Return 0 or -1 (message). */
    int (*forward)(ck_tape *t, ck_node *n);
    /* Add n->grad's contribution, d(value)/d(input)^T n->grad, into the grad
     * of every input whose grad is not NULL; with CK_OP_ASSIGNS_GRAD, write
     * (=) it instead into every input whose grad_unset is set. NULL for ops
     * that are not differentiable. */
    void (*backward)(ck_node *n);
    unsigned flags; /* CK_OP_VIEW | CK_OP_WRITES_OUTPUT | CK_OP_ASSIGNS_GRAD */
} ck_op;

struct ck_node {
    const ck_op *op; /* NULL for leaves (parameters and constants) */
    ck_node **in;    /* inputs, n_in of them */
    int n_in;
    ck_op_args args;
    ck_tensor value; /* F32 values, or I32 ids for id constants */
    /* d loss / d value, same size; NULL: no gradient. Every node has its
     * own (a reshape's too). */
    float *grad;
    const char *name; /* parameters: "dense/kernel"; NULL otherwise */
    void *saved;      /* op-private data kept from forward for backward */
    int is_param;     /* heap-owned leaf (ck_param) */
    /* During backward only: 1 while grad holds nothing yet (not even
     * zeros). An op sees it set only if flagged CK_OP_ASSIGNS_GRAD, and then
     * must write every element of this gradient. */
    int grad_unset;
};

/* ---- tape ---- */
/* An empty tape with gradients on; NULL (message) if out of memory. */
ck_tape *ck_tape_new(void);
/* Frees the tape and its arena (not the parameters). NULL is ignored. */
void ck_tape_free(ck_tape *t);
/* End of step: forget all nodes and free-for-reuse all their memory. */
void ck_tape_reset(ck_tape *t);
/* Gradients on (default) or off (inference: nothing is recorded, no grad
 * buffers). Returns the previous setting. */
int ck_tape_set_grad(ck_tape *t, int enabled);
int ck_tape_grad_enabled(const ck_tape *t);
/* Scratch memory that lives until the next reset (zeroed, 64-byte aligned). */
void *ck_tape_alloc(ck_tape *t, size_t bytes);
/* The arena behind the tape (for tests and statistics). */
const ck_arena *ck_tape_arena(const ck_tape *t);
/* At most `bytes` of the tape's memory in use between two resets (0: no
 * limit, the default); an op that would need more fails with a message.
 * For building graphs from untrusted descriptions (ck_load_model). */
void ck_tape_set_memory_limit(ck_tape *t, size_t bytes);
int ck_tape_size(const ck_tape *t); /* nodes recorded since the reset */

/* ---- leaves ---- */
/* A trainable parameter: takes ownership of `value` (F32), allocates a zero
 * gradient. Lives until ck_param_free. */
ck_node *ck_param(ck_tensor *value, const char *name);
void ck_param_free(ck_node *p);
/* A constant for this step: views t's data (no copy), never has a gradient.
 * Used for inputs, targets and ids (I32). */
ck_node *ck_const(ck_tape *tp, const ck_tensor *t);
/* PyTorch's requires_grad_: on (the default) the parameter has a gradient
 * that ops accumulate into; off frees it (p->grad becomes NULL), so no op
 * computes anything for p and nothing computed only from frozen parameters
 * and constants is recorded. Turning it back on gives a zero gradient.
 * Returns 0, or -1 (message) when out of memory or p is not a parameter. */
int ck_param_set_requires_grad(ck_node *p, int on);
/* Zero the gradients of n parameters: for hand-written training loops,
 * before each ck_backward. ck_fit calls it once at the start; after that
 * its optimizer steps consume (zero) the gradients as they read them. */
void ck_zero_grad(ck_node *const *params, int n);

/* ---- backward ---- */
/* root must have one element: its gradient is seeded with 1, then each
 * recorded node's backward runs in reverse creation order. Every gradient on
 * the tape restarts from zero on each call (nodes the root does not depend
 * on get zeros); each is zeroed just before its first write, or assigned
 * whole by an op flagged CK_OP_ASSIGNS_GRAD. Parameter gradients are never
 * zeroed here: they ACCUMULATE across calls (as in PyTorch). */
int ck_backward(ck_tape *t, ck_node *root);
/* Same, seeding root's gradient with `seed` (root->value.size floats). */
int ck_backward_seed(ck_tape *t, ck_node *root, const float *seed);

/* ---- ops (shapes: B = batch, any leading dims written ...) ---- */
/* Generic entry point: also how user code adds its own ops (see
 * examples/custom_op.c and docs/autograd.md). Checks the inputs (a NULL
 * input returns NULL, keeping the first message), runs op->shape, allocates
 * the value in the tape's arena as op->flags say, runs op->forward. The node
 * is recorded for backward, with a gradient buffer (unzeroed: backward
 * clears it), only when some input has a gradient, gradients are on and the
 * op has a backward. Copies `in`; `args` may be NULL. */
ck_node *ck_apply(ck_tape *t, const ck_op *op, ck_node *const *in, int n_in, const ck_op_args *args);

/* Elementwise with numpy broadcasting (shapes aligned from the right, a dim
 * of 1 stretches): (B, n) + (n), (B, n) * (B, 1), (B, n) - (), ... */
ck_node *ck_add(ck_tape *t, ck_node *a, ck_node *b);
ck_node *ck_sub(ck_tape *t, ck_node *a, ck_node *b);
ck_node *ck_mul(ck_tape *t, ck_node *a, ck_node *b);
ck_node *ck_scale(ck_tape *t, ck_node *x, float alpha); /* alpha * x */
ck_node *ck_neg(ck_tape *t, ck_node *x);                /* -x: ck_scale by -1, not a row of its own */
/* a / b, broadcasting; b = 0 gives inf or NaN, as IEEE (and numpy). */
ck_node *ck_div(ck_tape *t, ck_node *a, ck_node *b);
/* Elementwise max and min, broadcasting. On a tie the value and the whole
 * gradient go to a: TF's Maximum and Minimum gradients (a >= b, a <= b). */
ck_node *ck_maximum(ck_tape *t, ck_node *a, ck_node *b);
ck_node *ck_minimum(ck_tape *t, ck_node *a, ck_node *b);
/* (..., k) @ (k, n) -> (..., n): leading dims of a are rows. */
ck_node *ck_matmul(ck_tape *t, ck_node *a, ck_node *b);
/* Reduce one axis (negative counts from the end). Over an empty axis the
 * sum is 0 and the mean NaN (0 / 0), as numpy, TF and PyTorch. */
ck_node *ck_sum(ck_tape *t, ck_node *x, int axis, int keepdims);
ck_node *ck_mean(ck_tape *t, ck_node *x, int axis, int keepdims);
ck_node *ck_square(ck_tape *t, ck_node *x);
/* Same data, new shape; one dim may be -1. The value is a view of x's
 * data; the gradient is the node's own (backward adds it into x's). */
ck_node *ck_reshape(ck_tape *t, ck_node *x, ck_shape s);
/* All dims but `axis` must agree. */
ck_node *ck_concat(ck_tape *t, ck_node *const *xs, int n, int axis);
/* Embedding lookup: table (V, D) F32, ids (...) I32 in [0, V) -> (..., D).
 * Backward scatter-adds into the table's gradient. */
ck_node *ck_gather(ck_tape *t, ck_node *table, ck_node *ids);
/* Mask from ids: 1.0f where id != 0, else 0.0f; same shape; no gradient. */
ck_node *ck_mask_nonzero(ck_tape *t, ck_node *ids);
/* Mean over `axis` of x counting only positions whose mask is 1. mask has
 * the shape of x's dims up to and including `axis`, e.g. x (B, L, D), mask
 * (B, L), axis 1 -> (B, D). A row with no 1 in its mask gives 0 (not NaN). */
ck_node *ck_masked_mean(ck_tape *t, ck_node *x, ck_node *mask, int axis, int keepdims);
ck_node *ck_relu(ck_tape *t, ck_node *x);
ck_node *ck_sigmoid(ck_tape *t, ck_node *x);
ck_node *ck_tanh(ck_tape *t, ck_node *x);
/* Mean squared error over all elements: () scalar. Shapes must match. An
 * empty input gives NaN (0 / 0), as Keras and PyTorch do. */
ck_node *ck_mse(ck_tape *t, ck_node *pred, ck_node *target);

/* ---- math and activations, elementwise (x (...) -> (...)) ---- */
ck_node *ck_exp(ck_tape *t, ck_node *x);
/* Natural log: log(0) = -inf, log(x < 0) = NaN, as numpy and TF. */
ck_node *ck_log(ck_tape *t, ck_node *x);
ck_node *ck_sqrt(ck_tape *t, ck_node *x); /* derivative 1 / (2 sqrt x): inf at 0, as TF */
/* x^p for a constant p (powf: a negative x with a fractional p is NaN). */
ck_node *ck_pow(ck_tape *t, ck_node *x, float p);
/* |x|; the derivative at 0 is 0 (sign(0), as TF). */
ck_node *ck_abs(ck_tape *t, ck_node *x);
/* Keras's K.clip: min(max(x, lo), hi), with hi raised to lo when hi < lo.
 * Gradient 1 on [lo, hi] (bounds included, as TF's clip_by_value), 0
 * outside. */
ck_node *ck_clip(ck_tape *t, ck_node *x, float lo, float hi);
/* Softmax and its log along `axis` (negative counts from the end), stable:
 * the max along the axis is subtracted first, so no finite input gives inf
 * or NaN. */
ck_node *ck_softmax(ck_tape *t, ck_node *x, int axis);
ck_node *ck_log_softmax(ck_tape *t, ck_node *x, int axis);
/* Activations as Keras defines them (keras.activations, tf.nn). */
/* ln(1 + e^x), computed as ln(1 + e^-|x|) + max(x, 0): finite for any finite x. */
ck_node *ck_softplus(ck_tape *t, ck_node *x);
ck_node *ck_softsign(ck_tape *t, ck_node *x); /* x / (1 + |x|) */
/* x > 0 ? x : alpha (e^x - 1); Keras's default alpha is 1. */
ck_node *ck_elu(ck_tape *t, ck_node *x, float alpha);
/* scale * elu(x, alpha), alpha 1.6732632423543772848170429916717 and
 * scale 1.0507009873554804934193349852946 (Keras's, tf.nn.selu). */
ck_node *ck_selu(ck_tape *t, ck_node *x);
/* approximate 0 (Keras's default): x (1 + erf(x / sqrt 2)) / 2; else the
 * tanh form x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) / 2. */
ck_node *ck_gelu(ck_tape *t, ck_node *x, int approximate);
ck_node *ck_swish(ck_tape *t, ck_node *x); /* x sigmoid(x), a.k.a. silu */
/* x > 0 ? x : alpha x; Keras's LeakyReLU layer defaults to alpha 0.3. */
ck_node *ck_leaky_relu(ck_tape *t, ck_node *x, float alpha);
ck_node *ck_log_sigmoid(ck_tape *t, ck_node *x); /* ln sigmoid(x) = -softplus(-x), stable */
/* Sum and mean of all elements: () scalar. Thin helpers, not ops of their
 * own: reshape to (-1), then sum or mean over axis 0. An empty x gives 0
 * and NaN (ck_sum's and ck_mean's rule for an empty axis). */
ck_node *ck_sum_all(ck_tape *t, ck_node *x);
ck_node *ck_mean_all(ck_tape *t, ck_node *x);

/* ---- normalization (ops_norm.c); x is viewed as (outer, C, inner)
 * around `axis`, gamma and beta are (C), eps is added to the variance ---- */
/* Batch statistics per channel of `axis` (Keras's BatchNormalization in
 * training): mean and biased variance over every other position, then
 * inv = gamma / sqrt(var + eps), y = x * inv + (beta - mean * inv), as
 * tf.nn.batch_normalization. x (...) -> y (...). batch_mean and batch_var
 * (C floats each, may be NULL) receive the statistics, for the moving
 * averages. */
ck_node *ck_batch_norm(ck_tape *t, ck_node *x, ck_node *gamma, ck_node *beta, int axis, float eps, float *batch_mean,
                       float *batch_var);
/* The same with given statistics mean, var (C) (BatchNormalization in
 * inference): differentiable in all five inputs. */
ck_node *ck_batch_norm_inference(ck_tape *t, ck_node *x, ck_node *gamma, ck_node *beta, ck_node *mean, ck_node *var,
                                 int axis, float eps);
/* Statistics over `axis` for every other position (Keras's
 * LayerNormalization): x (..., C) -> (..., C) for axis -1. */
ck_node *ck_layer_norm(ck_tape *t, ck_node *x, ck_node *gamma, ck_node *beta, int axis, float eps);
/* tf.math.l2_normalize: x / sqrt(max(sum(x^2 over axis), 1e-12)). */
ck_node *ck_l2_normalize(ck_tape *t, ck_node *x, int axis);

/* ---- layout (ops_shape.c) ---- */
/* y.shape[i] = x.shape[perm[i]]: perm is a permutation of 0..ndim-1. */
ck_node *ck_permute(ck_tape *t, ck_node *x, const int *perm, int ndim);
/* A new axis `axis` of n copies: x (O, I) -> (O, n, I) viewed around it,
 * e.g. (B, F), axis 1 -> (B, n, F). Backward sums the copies. */
ck_node *ck_repeat(ck_tape *t, ck_node *x, int axis, int n);

/* ---- max over one axis (ops_reduce.c) ---- */
/* tf.reduce_max over one axis (not empty): ties share the gradient
 * equally, as TensorFlow's. */
ck_node *ck_max(ck_tape *t, ck_node *x, int axis, int keepdims);
/* Max over the positions whose mask is nonzero; mask as for masked_mean.
 * A row with no such position gives 0 (and no gradient). No gradient flows
 * into the mask. */
ck_node *ck_masked_max(ck_tape *t, ck_node *x, ck_node *mask, int axis, int keepdims);

/* The built-in op table (op_table.c), one row per op, in this order. */
typedef enum ck_op_id {
    CK_OP_ADD,
    CK_OP_SUB,
    CK_OP_MUL,
    CK_OP_SCALE,
    CK_OP_MATMUL,
    CK_OP_SUM,
    CK_OP_MEAN,
    CK_OP_SQUARE,
    CK_OP_RESHAPE,
    CK_OP_CONCAT,
    CK_OP_GATHER,
    CK_OP_MASK_NONZERO,
    CK_OP_MASKED_MEAN,
    CK_OP_RELU,
    CK_OP_SIGMOID,
    CK_OP_TANH,
    CK_OP_MSE,
    CK_OP_EXP,
    CK_OP_LOG,
    CK_OP_ABS,
    CK_OP_CLIP,
    CK_OP_SOFTMAX,
    CK_OP_LOG_SOFTMAX,
    CK_OP_SQRT,
    CK_OP_POW,
    CK_OP_DIV,
    CK_OP_MAXIMUM,
    CK_OP_MINIMUM,
    CK_OP_SOFTPLUS,
    CK_OP_SOFTSIGN,
    CK_OP_ELU,
    CK_OP_SELU,
    CK_OP_GELU,
    CK_OP_GELU_TANH,
    CK_OP_SWISH,
    CK_OP_LEAKY_RELU,
    CK_OP_LOG_SIGMOID,
    CK_OP_MAX,
    CK_OP_BATCH_NORM,
    CK_OP_BATCH_NORM_INFERENCE,
    CK_OP_LAYER_NORM,
    CK_OP_L2_NORMALIZE,
    CK_OP_PERMUTE,
    CK_OP_REPEAT,
    CK_OP_MASKED_MAX,
    CK_OP_COUNT
} ck_op_id;
extern const ck_op ck_ops[CK_OP_COUNT];

#endif
