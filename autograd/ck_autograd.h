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
typedef struct ck_onnx_emitter ck_onnx_emitter;

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
    /* Rows are independent: row r of the value (along axis 0, the batch)
     * depends only on row r of each batch-shaped input. A model whose ops
     * all keep this may be trained on a batch in row tiles (ck_fit; see
     * ck_tape_check_rows). Unflagged ops (batch statistics, a user's op)
     * make the model run whole batches. */
    CK_OP_ROWWISE = 1u << 3,
    /* The op works along args.axis: with CK_OP_ROWWISE, rows stay
     * independent only when that axis is not 0. */
    CK_OP_AXIS = 1u << 4,
};

/* An op's ONNX translation (the op table's onnx column; see "ONNX export"
 * below): add to e the ONNX nodes that compute n's value from its inputs'
 * values, whose ONNX names are in[0..n->n_in), into the value named out.
 * n is the node as traced: its inputs' and its own shapes, dtypes and args
 * are there to read. Return 0, or -1 after ck_fail("name: ..."). */
typedef int (*ck_onnx_fn)(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out);

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
    unsigned flags; /* CK_OP_VIEW | CK_OP_WRITES_OUTPUT | CK_OP_ASSIGNS_GRAD | CK_OP_ROWWISE | CK_OP_AXIS */
    /* The op as ONNX nodes, for ck_export_onnx; NULL: the op cannot be
     * exported (a model using it is refused, with the op's name). */
    ck_onnx_fn onnx;
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
    /* With the tape's fusion on (ck_tape_set_fusion): nonzero while the
     * value is not computed yet (CK_DEFERRED, | CK_DEFERRED_GRAD when it
     * will need a gradient), for a consumer that reads it without it. */
    int deferred;
    /* Fusion's folded backward (fusion.c): a sum and a sum of squares over
     * the same parts (the FM's sum_of_embed and sum_of_square) write the
     * parts' gradients in one pass, the later node's backward run inside
     * the earlier one's. fold_partner links the two; folded is CK_FOLD_*. */
    ck_node *fold_partner;
    int folded;
};
enum { CK_DEFERRED = 1, CK_DEFERRED_GRAD = 2 };
/* ck_node.folded: the later node of a pair (its backward runs in its
 * partner's), and once backward has reached its gradient; on the earlier
 * node, set during backward when its own gradient was not reached. */
enum { CK_FOLD_INTO_PARTNER = 1, CK_FOLD_REACHED = 2, CK_FOLD_OWN_UNREACHED = 3 };

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
/* Tracing: record every node ck_apply makes, even without a gradient (and
 * with gradients off), so the tape holds the whole computation in creation
 * order (ck_tape_node). Backward skips nodes without a gradient. Returns the
 * previous setting; off by default. */
int ck_tape_set_record_all(ck_tape *t, int enabled);
/* Fusion (off by default): ck_apply defers the value of a concat and of a
 * square, and a sum or mean over it (along the concat's axis) reads the
 * parts in place instead (sum_concat, sum_square_concat): no copy, no
 * squared tensor, and one backward pass into the parts' gradients. Any
 * other consumer makes the deferred value the moment it needs it. Values
 * do not change, nor gradients, but one: a part that has other consumers
 * gets the fused sums' gradient terms added one by one instead of as their
 * sum (float rounding; the FM's parts have none). With fusion on, a deferred node's value.data is
 * NULL until then: code that reads a node's values outside ck_apply calls
 * ck_tape_compute first (fit turns fusion on for its row tiles only, and
 * does). Returns the previous setting. */
int ck_tape_set_fusion(ck_tape *t, int enabled);
/* Make n's value now if the tape deferred it (and what it was deferred
 * on); 0, or -1 (message). Nothing to do, and 0, for any other node. */
int ck_tape_compute(ck_tape *t, ck_node *n);
/* The i-th node recorded since the reset (0 <= i < ck_tape_size), or NULL
 * (message). */
ck_node *ck_tape_node(const ck_tape *t, int i);
/* Scratch memory that lives until the next reset (zeroed, 64-byte aligned). */
void *ck_tape_alloc(ck_tape *t, size_t bytes);
/* The arena behind the tape (for tests and statistics). */
const ck_arena *ck_tape_arena(const ck_tape *t);
/* At most `bytes` of the tape's memory in use between two resets (0: no
 * limit, the default); an op that would need more fails with a message.
 * For building graphs from untrusted descriptions (ck_load_model). */
void ck_tape_set_memory_limit(ck_tape *t, size_t bytes);
int ck_tape_size(const ck_tape *t); /* nodes recorded since the reset */
/* Row check, for running a batch in row tiles: while rows > 0, every op
 * applied that takes a batch-shaped input (not a parameter, first dim
 * rows) must keep rows independent: its row says CK_OP_ROWWISE (and, with
 * CK_OP_AXIS, args.axis is not 0) and its value is batch-shaped too. Ops
 * that do not are counted; rows = 0 turns the check off and the count
 * restarts with the next check. */
void ck_tape_check_rows(ck_tape *t, int rows);
/* Ops that mixed rows since the check was turned on. */
int ck_tape_rows_mixed(const ck_tape *t);
/* Gradient redirection, for workers that run parts of a batch at once:
 * while set, an op applied on t that takes params[i] as an input takes
 * shadows[i] instead (the same value, its own gradient buffer), so each
 * worker's parameter gradients accumulate apart. n = 0 turns it off. The
 * arrays must outlive their use. */
void ck_tape_set_shadows(ck_tape *t, ck_node *const *params, ck_node *const *shadows, int n);

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

/* ---- sums over a concatenation, without it (ops_reduce.c) ----
 * sum(concat(xs, axis), axis, keepdims) and sum(square(concat(xs, axis)),
 * axis, keepdims), each term times scale (1 for a sum, 1 / the
 * concatenation's length for a mean), read from the parts in place: the
 * same floats as the three ops, in one pass. Every part alike but along
 * axis, where none is empty. The tape makes these itself when its fusion
 * is on (ck_tape_set_fusion); they are ops of their own too. */
ck_node *ck_sum_concat(ck_tape *t, ck_node *const *xs, int n, int axis, int keepdims, float scale);
ck_node *ck_sum_square_concat(ck_tape *t, ck_node *const *xs, int n, int axis, int keepdims, float scale);
/* sum(gather(table, ids), axis = the ids' last, keepdims), each row times
 * scale (1 / that axis's length for a mean): an embedding bag, the same
 * floats as the two ops, without the gathered rows. ids (..., L), L >= 1. */
ck_node *ck_sum_gather(ck_tape *t, ck_node *table, ck_node *ids, int keepdims, float scale);

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
    CK_OP_SUM_CONCAT,        /* what fusion makes of sum(concat(...)) (ck_tape_set_fusion) */
    CK_OP_SUM_SQUARE_CONCAT, /* ... and of sum(square(concat(...))), or of sum(square(x)) */
    CK_OP_SUM_GATHER,        /* ... and of a sum or mean over a gather's last ids axis */
    CK_OP_COUNT
} ck_op_id;
extern const ck_op ck_ops[CK_OP_COUNT];

/* ---- ONNX export: what an op's translation (ck_op.onnx) may call ----
 * The exporter (ck_export_onnx, <ck_onnx.h>) traces a model on a small
 * batch and hands each recorded node to its row's onnx function, with an
 * emitter that builds the ONNX graph. Nothing here depends on protobuf:
 * the emitter is an interface the exporter implements. Names handed out by
 * the emitter live until the export ends. */

/* ONNX element types (the numbers of onnx.proto's TensorProto.DataType). */
typedef enum ck_onnx_type {
    CK_ONNX_FLOAT = 1,
    CK_ONNX_INT32 = 6,
    CK_ONNX_INT64 = 7,
    CK_ONNX_BOOL = 9,
    CK_ONNX_DOUBLE = 11
} ck_onnx_type;

typedef enum ck_onnx_attr_kind { CK_ONNX_ATTR_INT, CK_ONNX_ATTR_FLOAT, CK_ONNX_ATTR_INTS } ck_onnx_attr_kind;
/* A node attribute: {"axis", CK_ONNX_ATTR_INT, .i = 1} (or ck_onnx_attr_int). */
typedef struct ck_onnx_attr {
    const char *name;
    ck_onnx_attr_kind kind;
    int64_t i;           /* CK_ONNX_ATTR_INT */
    float f;             /* CK_ONNX_ATTR_FLOAT */
    const int64_t *ints; /* CK_ONNX_ATTR_INTS, n_ints of them (copied) */
    int n_ints;
} ck_onnx_attr;

struct ck_onnx_emitter {
    int opset; /* the ONNX opset being written (ai.onnx domain), e.g. 17 */
    /* Add the node op_type(in) -> out, named after the layer being exported
     * ("fm_output/MatMul"); "" stands for an omitted optional input. */
    int (*node)(ck_onnx_emitter *e, const char *op_type, const char *const *in, int n_in, const char *const *out,
                int n_out, const ck_onnx_attr *attrs, int n_attrs);
    /* Add a constant tensor (an initializer) of the given type and dims
     * (ndim 0: a scalar) holding a copy of data; returns its name
     * ("<layer>/<hint>"), or NULL (message). */
    const char *(*constant)(ck_onnx_emitter *e, const char *hint, ck_onnx_type type, const int64_t *dims, int ndim,
                            const void *data);
    /* A new, unique name for an intermediate value ("<layer>/<hint>"). */
    const char *(*value)(ck_onnx_emitter *e, const char *hint);
    /* Which dims of x's value follow the batch size (bit d set: dim d), for
     * x the node being translated or one of its inputs; 0 for weights. */
    unsigned (*batch_dims)(ck_onnx_emitter *e, const ck_node *x);
    void *impl; /* the exporter's state */
};

/* Shorthands over the emitter, for translations (autograd/ops_onnx.c). */
/* op_type(in) -> out, one output. */
int ck_onnx_node(ck_onnx_emitter *e, const char *op_type, const char *const *in, int n_in, const char *out,
                 const ck_onnx_attr *attrs, int n_attrs);
/* A 1-d int64 constant (axes, shapes). */
const char *ck_onnx_ints(ck_onnx_emitter *e, const char *hint, const int64_t *values, int n);
/* A scalar constant (ndim 0) of type FLOAT, INT32 or INT64. */
const char *ck_onnx_scalar(ck_onnx_emitter *e, const char *hint, ck_onnx_type type, double value);
/* The ONNX element type of a tensor of ours (F32: FLOAT, I32: INT32). */
ck_onnx_type ck_onnx_type_of(ck_dtype dtype);
static inline ck_onnx_attr ck_onnx_attr_int(const char *name, int64_t v)
{
    ck_onnx_attr a = {name, CK_ONNX_ATTR_INT, v, 0.0f, NULL, 0};
    return a;
}
static inline ck_onnx_attr ck_onnx_attr_float(const char *name, float v)
{
    ck_onnx_attr a = {name, CK_ONNX_ATTR_FLOAT, 0, v, NULL, 0};
    return a;
}
static inline ck_onnx_attr ck_onnx_attr_ints(const char *name, const int64_t *v, int n)
{
    ck_onnx_attr a = {name, CK_ONNX_ATTR_INTS, 0, 0.0f, v, n};
    return a;
}

#endif
