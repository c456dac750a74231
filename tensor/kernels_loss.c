/* kernels_loss.c - the loss formulas the ops and the reported values share. */
#include <math.h>

#include "ck_kernels.h"

double ck_k_mean_squared_error(const float *restrict pred, const float *restrict target, int64_t n)
{
    double total = 0.0; /* long sums in double: the loss is reported to users */
    for (int64_t k = 0; k < n; k++) {
        double diff = (double)pred[k] - (double)target[k];
        total += diff * diff;
    }
    return n > 0 ? total / (double)n : NAN;
}
