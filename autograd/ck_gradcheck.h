/* ck_gradcheck.h - compare analytic gradients with central differences.
 *
 * For your own ops and whole graphs. `build` makes an output node from the
 * inputs on a fresh tape; if the output is not a scalar, the check uses
 * loss = sum(out * w) with fixed pseudo-random weights w, so every output
 * element matters. Each input element x is moved by +-eps and
 *     numeric = (loss(x + eps) - loss(x - eps)) / (2 eps)
 * (computed in float32 by the graph, accumulated in double). An element
 * passes when |analytic - numeric| <= atol + rtol * |numeric|.
 * Defaults (when 0 is given): eps 1e-3, atol 1e-3, rtol 1e-2, stated for
 * float32 graphs whose values are O(1). */
#ifndef CK_GRADCHECK_H
#define CK_GRADCHECK_H

#include "ck_autograd.h"

typedef ck_node *(*ck_build_fn)(ck_tape *t, ck_node *const *inputs, int n, void *user);

typedef struct ck_gradcheck_result {
    int ok;                 /* 1 when every element passed */
    long n_checked;         /* elements compared */
    long n_failed;
    double max_abs_err;     /* over all elements */
    double max_rel_err;     /* |a - n| / max(|n|, 1e-8) */
    int worst_input;        /* where the largest violation is */
    long worst_index;
    double worst_analytic, worst_numeric;
} ck_gradcheck_result;

/* inputs: F32 parameter nodes (ck_param) whose gradients are checked.
 * Returns 0 when the check ran (see res->ok), -1 on error (message set). */
int ck_gradcheck(ck_build_fn build, void *user, ck_node *const *inputs, int n,
                 double eps, double atol, double rtol, ck_gradcheck_result *res);

#endif
