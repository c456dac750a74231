/* fusion.c - what ck_apply fuses when the tape's fusion is on
 * (ck_tape_set_fusion): the FM's K.sum(x, axis=1) and
 * K.sum(K.square(x), axis=1) over a Concatenate and its K.mean(x, axis=1)
 * over a genre Embedding; in general any sum or mean over a concatenation
 * along the summed axis, over a square, or over a gather along the ids'
 * last axis (an embedding bag).
 *
 * The tape defers a concat's, a square's and a gather's value: their node is made and
 * shaped, but not computed or recorded. A sum or mean over a deferred
 * value is rewritten, while it is being applied, into one op that reads
 * the parts in place (sum_concat, sum_square_concat, sum_gather): the sum of the
 * concatenation is the parts' rows added in the same order, float for
 * float, and its backward writes each part's gradient directly, instead
 * of a concatenated copy, a squared copy, a broadcast gradient through
 * both and the concat's slices back. Any other consumer (ck_apply for
 * any other op, ck_tape_compute, backward from a deferred root) computes
 * the deferred value first, and it is recorded then, before its
 * consumer: nothing changes but the passes saved.
 *
 * A sum and a sum of squares over one deferred concat (the FM's
 * sum_of_embed and sum_of_square) then both write the parts' gradients,
 * one after the other. When no op between them reads a part, the later
 * one's backward is folded into the earlier one's (ck_node.folded): one
 * pass writes each gradient element as the two would, its earlier value
 * (or nothing) plus the later op's term, plus the earlier op's term. */
#include "ops_internal.h"

/* A deferrable node: a concat (float parts, none empty along the axis:
 * what sum_concat takes), a square, or a gather. */
int ck_fusion_defers(const ck_node *n)
{
    if (n->op == &ck_ops[CK_OP_SQUARE] || n->op == &ck_ops[CK_OP_GATHER]) return 1;
    if (n->op != &ck_ops[CK_OP_CONCAT]) return 0;
    for (int k = 0; k < n->n_in; k++)
        if (n->in[k]->value.shape.d[n->args.axis] < 1) return 0;
    return 1;
}

/* n, just rewritten into a sum over concat's parts: fold its backward into
 * that of the earlier sum over the same parts if that one is the other kind
 * (plain or squared), along the same axis, recorded with a gradient, and no
 * op recorded since reads a part; and no part is given twice (its terms
 * would interleave differently). The concat keeps its first sum in
 * fold_partner while deferred. */
static void fold_pair(ck_tape *t, ck_node *n, ck_node *concat)
{
    ck_node *earlier = concat->fold_partner;
    if (!earlier) {
        concat->fold_partner = n;
        return;
    }
    if (earlier->op == n->op || earlier->fold_partner || !earlier->grad || earlier->args.axis != n->args.axis) return;
    for (int a = 0; a < n->n_in; a++)
        for (int b = 0; b < a; b++)
            if (n->in[a] == n->in[b]) return;
    for (int k = ck_tape_size(t) - 1; k >= 0; k--) {
        const ck_node *since = ck_tape_node(t, k);
        if (since == earlier) {
            n->fold_partner = earlier;
            earlier->fold_partner = n;
            n->folded = CK_FOLD_INTO_PARTNER;
            return;
        }
        for (int i = 0; i < since->n_in; i++)
            for (int p = 0; p < n->n_in; p++)
                if (since->in[i] == n->in[p]) return;
    }
}

/* n, shaped (its axis normalised) but not computed: if it is a sum or mean
 * along axis a over
 *   a deferred concat along a            -> sum_concat of its parts,
 *   a deferred square of such a concat   -> sum_square_concat of its parts,
 *   a deferred square of a computed x    -> sum_square_concat of x,
 *   a deferred gather, along the ids' last axis -> sum_gather of its table and ids,
 * rewrite it so and return 1; 0 leaves n as it is. */
int ck_fusion_rewrite(ck_tape *t, ck_node *n)
{
    int is_mean = n->op == &ck_ops[CK_OP_MEAN];
    if ((n->op != &ck_ops[CK_OP_SUM] && !is_mean) || n->n_in != 1 || !n->in[0]->deferred) return 0;
    ck_node *x = n->in[0];
    if (x->op == &ck_ops[CK_OP_GATHER]) { /* an embedding bag, over the ids' last axis */
        int64_t len = x->value.shape.d[n->args.axis];
        if (n->args.axis != x->value.shape.ndim - 2 || len < 1) return 0;
        n->op = &ck_ops[CK_OP_SUM_GATHER];
        n->in = x->in; /* table, ids */
        n->n_in = 2;
        n->args.alpha = is_mean ? 1.0f / (float)len : 1.0f;
        return 1;
    }
    int squared = x->op == &ck_ops[CK_OP_SQUARE];
    ck_node *whole = squared ? x->in[0] : x; /* the concatenation, or the squared value */
    ck_node **parts = &x->in[0];
    int n_parts = 1;
    ck_node *concat = NULL;
    if (whole->deferred && whole->op == &ck_ops[CK_OP_CONCAT]) {
        if (whole->args.axis != n->args.axis) return 0;
        concat = whole;
        parts = whole->in;
        n_parts = whole->n_in;
    } else if (!squared || whole->deferred || whole->value.shape.d[n->args.axis] < 1) {
        return 0; /* a square of a square, or a sum over an empty axis: computed as they are */
    }
    int64_t len = x->value.shape.d[n->args.axis];
    n->op = &ck_ops[squared ? CK_OP_SUM_SQUARE_CONCAT : CK_OP_SUM_CONCAT];
    n->in = parts; /* the concat's own list: arena memory, alive until the reset */
    n->n_in = n_parts;
    n->args.alpha = is_mean ? 1.0f / (float)len : 1.0f; /* the mean's scale: 1 / the whole axis */
    if (concat) fold_pair(t, n, concat);
    return 1;
}
