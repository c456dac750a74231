/* ck_gradcheck.h - compare analytic gradients with central differences.
 *
 * For your own ops and whole graphs. `build` makes an output node from the
 * inputs on a fresh tape; the check uses loss = sum(out * w), with w = 1
 * for a scalar output and otherwise fixed pseudo-random weights of
 * magnitude in [0.5, 1.5) and random sign, so every output element matters.
 *
 * Analytic: one backward pass seeded with w, on tape memory first filled
 * with NaN, so an op whose flags promise a write it does not make (see
 * CK_OP_WRITES_OUTPUT, CK_OP_ASSIGNS_GRAD) leaves NaN behind and fails.
 * Numeric: each element x_j of each input is moved to up = x_j + eps and
 * down = x_j - eps (rounded to float32), and
 *     n_j = (loss(up) - loss(down)) / (up - down)
 * (the graph computes in float32; the difference is summed in double).
 *
 * Element j of input k passes when
 *     |a_j - n_j| <= rtol * max(|a_j|, |n_j|) + atol * scale_k + noise_j + 1e-12
 * where a_j is the analytic gradient;
 *   scale_k = max_j |n_j| over input k (over all inputs when that is 0):
 *     atol is relative to the size of the gradients being checked, so a
 *     gradient of 1e-3 is held to the same standard as one of 1;
 *   noise_j = 4 FLT_EPSILON sum_i max(|out_i(up)|, |out_i(down)|) |w_i| / (up - down)
 *     over the outputs i that differ between the two evaluations: their
 *     float32 round-off, a few units in the last place, as the difference
 *     carries it (outputs x_j does not reach come out identical and cancel).
 * Defaults (when 0 is given): eps 1e-3, atol 1e-3, rtol 5e-3. Measured
 * with them (res.worst_ratio, 1 is the limit): a backward wrong by 1% at
 * 1.6, by 10% at 15, whether its gradients are about 1 or 1e-3
 * (tests/autograd/test_gradcheck.c); every correct check in the tests, each
 * built-in op on O(1) inputs away from kinks and whole FM models, at 0.1 or
 * less. */
#ifndef CK_GRADCHECK_H
#define CK_GRADCHECK_H

#include "ck_autograd.h"

typedef ck_node *(*ck_build_fn)(ck_tape *t, ck_node *const *inputs, int n, void *user);

typedef struct ck_gradcheck_result {
    int ok;         /* 1 when every element passed */
    long n_checked; /* elements compared */
    long n_failed;
    double max_abs_err; /* over all elements */
    double max_rel_err; /* |a - n| / max(|n|, 1e-8) */
    int worst_input;    /* the element with the largest worst_ratio */
    long worst_index;
    double worst_analytic, worst_numeric;
    double worst_ratio; /* |a - n| / what the criterion allows: ok when every ratio <= 1 */
    double worst_scale; /* scale_k of the worst element's input */
} ck_gradcheck_result;

/* inputs: F32 parameter nodes (ck_param) whose gradients are checked; their
 * gradients are overwritten. Returns 0 when the check ran (see res->ok),
 * -1 on error (message set). */
int ck_gradcheck(ck_build_fn build, void *user, ck_node *const *inputs, int n, double eps, double atol, double rtol,
                 ck_gradcheck_result *res);

#endif
