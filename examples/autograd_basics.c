/* autograd_basics - build a graph, call backward, read a gradient.
 * The README's first API example; CI also compiles it against the installed
 * library with `pkg-config --cflags --libs ckeras`. */
#include <ckeras.h>

int main(void)
{
    ck_rng rng;
    ck_rng_seed(&rng, 42);
    ck_node *w = ck_param(ck_tensor_uniform(ck_shape_of(2, 3, 1), -1, 1, &rng), "w"); /* (3, 1) */
    ck_node *b = ck_param(ck_tensor_zeros(ck_shape_of(1, 1)), "b");                   /* (1) */
    float xs[6] = {1, 2, 3, 4, 5, 6}, ys[2] = {1, 2};
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 3), xs); /* (2, 3) */
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 1), ys); /* (2, 1) */

    ck_tape *t = ck_tape_new();
    ck_node *pred = ck_add(t, ck_matmul(t, ck_const(t, &x), w), b); /* x @ w + b: (2, 1) */
    ck_node *loss = ck_mse(t, pred, ck_const(t, &y));               /* () */
    if (!loss || ck_backward(t, loss) < 0) {                        /* one check at the end */
        fprintf(stderr, "%s\n", ck_error());
        return 1;
    }
    printf("loss %.4f  dloss/dw = [%.4f %.4f %.4f]  dloss/db = %.4f\n", loss->value.f[0], w->grad[0], w->grad[1],
           w->grad[2], b->grad[0]);
    ck_tape_free(t);
    ck_param_free(w);
    ck_param_free(b);
    return 0;
}
