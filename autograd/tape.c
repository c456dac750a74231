/* tape.c - the tape, leaves, ck_apply and backward (see ck_autograd.h). */
#include "ck_autograd.h"
#include "ops_internal.h" /* the fusion rules */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ck_tape {
    ck_arena arena;  /* every node, value and gradient of the step */
    ck_node **nodes; /* recorded nodes in creation order */
    int n_nodes;
    int capacity; /* kept across resets: no realloc after warm-up */
    int grad_enabled;
    int record_all;             /* record every op node, with or without a gradient (tracing) */
    int fusion;                 /* ck_tape_set_fusion (fusion.c) */
    int check_rows, rows_mixed; /* ck_tape_check_rows */
    ck_node *const *params;     /* ck_tape_set_shadows */
    ck_node *const *shadows;
    int n_shadows;
};

static int record(ck_tape *t, ck_node *n)
{
    if (t->n_nodes == t->capacity) {
        int capacity = t->capacity ? 2 * t->capacity : 256;
        ck_node **grown = realloc(t->nodes, (size_t)capacity * sizeof *grown);
        if (!grown) return ck_fail("tape: out of memory recording node %d", t->n_nodes);
        t->nodes = grown;
        t->capacity = capacity;
    }
    t->nodes[t->n_nodes++] = n;
    return 0;
}

/* ---- tape ---- */

ck_tape *ck_tape_new(void)
{
    ck_tape *t = calloc(1, sizeof *t);
    if (!t) {
        ck_fail("tape_new: out of memory");
        return NULL;
    }
    ck_arena_init(&t->arena);
    t->grad_enabled = 1;
    return t;
}

void ck_tape_free(ck_tape *t)
{
    if (!t) return;
    free(t->nodes);
    ck_arena_free(&t->arena);
    free(t);
}

void ck_tape_reset(ck_tape *t)
{
    if (!t) return;
    t->n_nodes = 0;
    ck_arena_reset(&t->arena);
}

int ck_tape_set_grad(ck_tape *t, int enabled)
{
    if (!t) return 0;
    int previous = t->grad_enabled;
    t->grad_enabled = enabled != 0;
    return previous;
}

int ck_tape_grad_enabled(const ck_tape *t) { return t ? t->grad_enabled : 0; }

int ck_tape_set_record_all(ck_tape *t, int enabled)
{
    if (!t) return 0;
    int previous = t->record_all;
    t->record_all = enabled != 0;
    return previous;
}

int ck_tape_set_fusion(ck_tape *t, int enabled)
{
    if (!t) return 0;
    int previous = t->fusion;
    t->fusion = enabled != 0;
    return previous;
}

ck_node *ck_tape_node(const ck_tape *t, int i)
{
    if (!t || i < 0 || i >= t->n_nodes) {
        ck_fail("tape_node: index %d out of range (%d nodes recorded)", i, t ? t->n_nodes : 0);
        return NULL;
    }
    return t->nodes[i];
}

void *ck_tape_alloc(ck_tape *t, size_t bytes)
{
    if (!t) {
        ck_fail("tape_alloc: tape is NULL");
        return NULL;
    }
    return ck_arena_calloc(&t->arena, bytes);
}

const ck_arena *ck_tape_arena(const ck_tape *t) { return t ? &t->arena : NULL; }

void ck_tape_set_memory_limit(ck_tape *t, size_t bytes)
{
    if (t) t->arena.limit = bytes;
}

int ck_tape_size(const ck_tape *t) { return t ? t->n_nodes : 0; }

void ck_tape_check_rows(ck_tape *t, int rows)
{
    if (!t) return;
    t->check_rows = rows > 0 ? rows : 0;
    t->rows_mixed = 0;
}

int ck_tape_rows_mixed(const ck_tape *t) { return t ? t->rows_mixed : 0; }

void ck_tape_set_shadows(ck_tape *t, ck_node *const *params, ck_node *const *shadows, int n)
{
    if (!t) return;
    t->params = n > 0 ? params : NULL;
    t->shadows = n > 0 ? shadows : NULL;
    t->n_shadows = n > 0 ? n : 0;
}

/* Whether x holds a batch's rows: not a parameter, first dim `rows`. */
static int batch_shaped(const ck_node *x, int rows)
{
    return !x->is_param && x->value.shape.ndim >= 1 && x->value.shape.d[0] == rows;
}

/* ck_tape_check_rows's rule for the node just computed. */
static int keeps_rows(const ck_node *n, int rows)
{
    int takes_batch = 0;
    for (int k = 0; k < n->n_in; k++) takes_batch |= batch_shaped(n->in[k], rows);
    if (!takes_batch) return 1; /* the same for every tile: parameters, constants */
    unsigned flags = n->op->flags;
    if (!(flags & CK_OP_ROWWISE) || ((flags & CK_OP_AXIS) && n->args.axis == 0)) return 0;
    return batch_shaped(n, rows);
}

/* The worker's own copy of parameter p, or p. */
static ck_node *shadow_of(const ck_tape *t, ck_node *p)
{
    for (int i = 0; i < t->n_shadows; i++)
        if (t->params[i] == p) return t->shadows[i];
    return p;
}

/* ---- leaves ---- */

ck_node *ck_param(ck_tensor *value, const char *name)
{
    if (!value) {
        ck_fail("param '%s': value is NULL", name ? name : "");
        return NULL;
    }
    if (value->dtype != CK_F32) {
        ck_fail("param '%s': value must be float32", name ? name : "");
        ck_tensor_free(value); /* ownership was handed over */
        return NULL;
    }
    ck_node *p = calloc(1, sizeof *p);
    float *grad = calloc(value->size > 0 ? (size_t)value->size : 1, sizeof(float));
    char *name_copy = NULL;
    if (name) {
        name_copy = malloc(strlen(name) + 1);
        if (name_copy) strcpy(name_copy, name);
    }
    if (!p || !grad || (name && !name_copy)) {
        free(p);
        free(grad);
        free(name_copy);
        ck_tensor_free(value);
        ck_fail("param '%s': out of memory", name ? name : "");
        return NULL;
    }
    p->value = *value; /* the node now owns the data (if the tensor did) */
    free(value);       /* ... and the tensor's shell is no longer needed */
    p->grad = grad;
    p->name = name_copy;
    p->is_param = 1;
    return p;
}

void ck_param_free(ck_node *p)
{
    if (!p) return;
    if (p->value.owns) free(p->value.data);
    free(p->grad);
    free((char *)p->name);
    free(p);
}

ck_node *ck_const(ck_tape *tp, const ck_tensor *t)
{
    if (!tp) {
        ck_fail("const: tape is NULL");
        return NULL;
    }
    if (!t) {
        ck_fail("const: tensor is NULL");
        return NULL;
    }
    ck_node *n = ck_tape_alloc(tp, sizeof *n);
    if (!n) return NULL;
    n->value = *t;
    n->value.owns = 0; /* a view: the caller keeps the data */
    return n;
}

int ck_param_set_requires_grad(ck_node *p, int on)
{
    if (!p || !p->is_param) return ck_fail("param_set_requires_grad: not a parameter (ck_param)");
    if (!on) {
        free(p->grad);
        p->grad = NULL;
    } else if (!p->grad) {
        p->grad = calloc(p->value.size > 0 ? (size_t)p->value.size : 1, sizeof(float));
        if (!p->grad) return ck_fail("param '%s': out of memory for its gradient", p->name ? p->name : "");
    }
    return 0;
}

void ck_zero_grad(ck_node *const *params, int n)
{
    if (!params) return;
    for (int k = 0; k < n; k++)
        if (params[k] && params[k]->grad) memset(params[k]->grad, 0, (size_t)params[k]->value.size * sizeof(float));
}

/* ---- ck_apply ---- */

/* Arena bytes for n elements: float32 and int32 are both 4 bytes. */
_Static_assert(sizeof(float) == sizeof(int32_t), "one element size for both dtypes");
#define ELEMENT_BYTES sizeof(float)

/* n->value for op's node, as op->flags say: a view of input 0's data, a
 * buffer forward fills entirely, or a zeroed one forward adds into. */
static int make_value(ck_tape *t, const ck_op *op, ck_node *n, const char *name)
{
    ck_dtype dtype = n->value.dtype;
    ck_shape shape = n->value.shape;
    if (op->flags & CK_OP_VIEW) {
        if (n->n_in < 1 || ck_shape_size(shape) != n->in[0]->value.size)
            return ck_fail("%s: a view (CK_OP_VIEW) must have input 0's number of elements", name);
        n->value = ck_tensor_view(dtype, shape, n->in[0]->value.data);
        return 0;
    }
    if (op->flags & CK_OP_WRITES_OUTPUT) {
        void *data = ck_arena_alloc(&t->arena, (size_t)ck_shape_size(shape) * ELEMENT_BYTES);
        if (!data) return -1;
        n->value = ck_tensor_view(dtype, shape, data);
        return 0;
    }
    return ck_tensor_arena(&t->arena, dtype, shape, &n->value);
}

/* Whether x's gradient will be wanted: it has one, or will when made. */
static int wants_grad(const ck_node *x) { return x->grad || (x->deferred & CK_DEFERRED_GRAD); }

/* n is shaped: give it its value, run its forward, and record it (with a
 * gradient when needs_grad). */
static int compute(ck_tape *t, ck_node *n, int needs_grad)
{
    const char *name = n->op->name ? n->op->name : "op";
    if (make_value(t, n->op, n, name) < 0) return -1;
    if (n->op->forward(t, n) < 0) return ck_fail("%s: forward failed", name);
    if (t->check_rows && !keeps_rows(n, t->check_rows)) t->rows_mixed++;
    if (needs_grad) {
        /* Not zeroed here: backward clears each gradient before its first use. */
        n->grad = ck_arena_alloc(&t->arena, (size_t)n->value.size * sizeof(float));
        if (!n->grad) return -1;
    }
    if ((needs_grad || t->record_all) && record(t, n) < 0) return -1;
    return 0;
}

int ck_tape_compute(ck_tape *t, ck_node *n)
{
    if (!t || !n) return ck_fail("tape_compute: NULL %s", t ? "node" : "tape");
    if (!n->deferred) return 0;
    for (int k = 0; k < n->n_in; k++) /* a square of a deferred concat: the concat first */
        if (ck_tape_compute(t, n->in[k]) < 0) return -1;
    int needs_grad = (n->deferred & CK_DEFERRED_GRAD) != 0;
    n->deferred = 0;
    n->fold_partner = NULL; /* fusion's note while deferred (fusion.c) */
    return compute(t, n, needs_grad);
}

ck_node *ck_apply(ck_tape *t, const ck_op *op, ck_node *const *in, int n_in, const ck_op_args *args)
{
    const char *name = op && op->name ? op->name : "op";
    if (!t) {
        ck_fail("%s: tape is NULL", name);
        return NULL;
    }
    if (!op || !op->shape || !op->forward) {
        ck_fail("%s: op has no shape or forward function", name);
        return NULL;
    }
    if (n_in < 0 || (n_in > 0 && !in)) {
        ck_fail("%s: bad input list (%d inputs)", name, n_in);
        return NULL;
    }
    for (int k = 0; k < n_in; k++)
        if (!in[k]) {
            /* An earlier failure: keep its message (ck_fail does not overwrite). */
            ck_fail("%s: input %d is NULL", name, k);
            return NULL;
        }

    ck_node *n = ck_tape_alloc(t, sizeof *n);
    ck_node **inputs = ck_tape_alloc(t, sizeof *inputs * (size_t)(n_in > 0 ? n_in : 1));
    if (!n || !inputs) return NULL;
    if (n_in > 0) memcpy(inputs, in, sizeof *inputs * (size_t)n_in);
    for (int k = 0; k < n_in && t->n_shadows; k++)
        if (inputs[k]->is_param) inputs[k] = shadow_of(t, inputs[k]);
    n->op = op;
    n->in = inputs;
    n->n_in = n_in;
    if (args) n->args = *args;

    if (op->shape(n) < 0) {
        ck_fail("%s: shape rule failed", name);
        return NULL;
    }
    if (ck_shape_check(n->value.shape, 0, name) < 0) return NULL;
    if (t->fusion && ck_fusion_rewrite(t, n) && n->op->shape(n) < 0) { /* the fused op checks its parts */
        ck_fail("%s: shape rule failed", n->op->name);
        return NULL;
    }
    int needs_grad = 0;
    for (int k = 0; k < n->n_in; k++) needs_grad |= wants_grad(n->in[k]);
    needs_grad = needs_grad && t->grad_enabled && n->op->backward;
    if (t->fusion && ck_fusion_defers(n)) {
        n->deferred = CK_DEFERRED | (needs_grad ? CK_DEFERRED_GRAD : 0);
        n->value.size = ck_shape_size(n->value.shape); /* for shape rules; the data is NULL until made */
        return n;
    }
    for (int k = 0; k < n->n_in; k++)
        if (ck_tape_compute(t, n->in[k]) < 0) return NULL;
    return compute(t, n, needs_grad) < 0 ? NULL : n;
}

/* ---- backward ---- */

static void clear_grad(ck_node *x)
{
    memset(x->grad, 0, (size_t)x->value.size * sizeof(float));
    x->grad_unset = 0;
}

/* Whether n's backward may be left to write input i's unset gradient
 * whole: n's row says it does (CK_OP_ASSIGNS_GRAD), and no other input of n
 * shares that buffer (mul(x, x): the second write must add to the first). */
static int may_assign(const ck_node *n, int i)
{
    if (!(n->op->flags & CK_OP_ASSIGNS_GRAD)) return 0;
    for (int j = 0; j < n->n_in; j++)
        if (j != i && n->in[j]->grad == n->in[i]->grad) return 0;
    return 1;
}

int ck_backward_seed(ck_tape *t, ck_node *root, const float *seed)
{
    if (!t) return ck_fail("backward: tape is NULL");
    if (!root) return ck_fail("backward: root is NULL");
    if (!seed) return ck_fail("backward: seed is NULL");
    if (ck_tape_compute(t, root) < 0) return -1; /* a deferred root: made (and recorded) now */
    if (!root->grad) return ck_fail("backward: root has no gradient (no input needs one, or gradients are off)");
    int64_t size = root->value.size;

    if (root->is_param) { /* nothing recorded leads to a leaf */
        for (int64_t k = 0; k < size; k++) root->grad[k] += seed[k];
        return 0;
    }
    int n_nodes = t->n_nodes;
    int root_index = -1;
    for (int k = n_nodes - 1; k >= 0; k--)
        if (t->nodes[k] == root) {
            root_index = k;
            break;
        }
    if (root_index < 0) return ck_fail("backward: root is not on this tape");

    /* Intermediate gradients restart from zero on every call, so calling
     * backward twice gives the same values; parameters accumulate (they are
     * not on the tape). The tape hands gradient buffers out unzeroed: each
     * below the root is marked unset, then zeroed just before its first
     * write (memory still in cache, instead of one pass over every gradient
     * up front), or written whole by an op that may assign it. */
    /* With record_all the tape also holds nodes without a gradient: they
     * take no part (nothing flows into or out of them). */
    for (int k = n_nodes - 1; k > root_index; k--)
        if (t->nodes[k]->grad) clear_grad(t->nodes[k]); /* not reached: zeros */
    for (int k = 0; k < root_index; k++) t->nodes[k]->grad_unset = t->nodes[k]->grad != NULL;
    for (int k = 0; k < n_nodes; k++) /* folded pairs (fusion.c) start unreached */
        if (t->nodes[k]->folded)
            t->nodes[k]->folded = t->nodes[k]->folded == CK_FOLD_OWN_UNREACHED ? 0 : CK_FOLD_INTO_PARTNER;
    memcpy(root->grad, seed, (size_t)size * sizeof(float));
    root->grad_unset = 0;
    for (int k = root_index; k >= 0; k--) {
        ck_node *n = t->nodes[k];
        if (!n->grad) continue;
        if (n->folded == CK_FOLD_INTO_PARTNER) { /* run by its partner's backward, further down; inputs untouched */
            if (n->grad_unset)
                clear_grad(n);
            else
                n->folded = CK_FOLD_REACHED;
            continue;
        }
        if (n->grad_unset) { /* the root does not depend on n: d root / d n = 0, nothing to pass on */
            clear_grad(n);
            if (!n->fold_partner || n->fold_partner->folded != CK_FOLD_REACHED) continue;
            n->folded = CK_FOLD_OWN_UNREACHED; /* but its folded partner's terms are still to write */
        }
        for (int i = 0; i < n->n_in; i++)
            if (n->in[i]->grad_unset && !may_assign(n, i)) clear_grad(n->in[i]);
        n->op->backward(n);
        for (int i = 0; i < n->n_in; i++) n->in[i]->grad_unset = 0;
    }
    return 0;
}

int ck_backward(ck_tape *t, ck_node *root)
{
    if (!root) return ck_fail("backward: root is NULL");
    if (root->value.size != 1) {
        char buf[64];
        return ck_fail("backward: root must have 1 element, got shape %s (%lld elements)",
                       ck_shape_str(root->value.shape, buf, sizeof buf), (long long)root->value.size);
    }
    const float one = 1.0f;
    return ck_backward_seed(t, root, &one);
}
