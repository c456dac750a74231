/* standard_scaler.c - scikit-learn's StandardScaler (see ck_csv.h): the
 * mean and population standard deviation of each feature over the rows it
 * is fitted on, then x = (x - mean) / scale. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ck_csv.h"
#include "ck_error.h"

static int check_matrix(const ck_tensor *x, const char *who, int n_features)
{
    if (!x || x->dtype != CK_F32 || x->shape.ndim != 2 || (n_features >= 0 && x->shape.d[1] != n_features))
        return ck_fail("%s: x must be a float32 (N, %d) matrix", who, n_features);
    return 0;
}

int ck_standard_scaler_fit(ck_standard_scaler *s, const ck_tensor *x)
{
    if (!s) return ck_fail("StandardScaler.fit: scaler is NULL");
    memset(s, 0, sizeof *s);
    if (check_matrix(x, "StandardScaler.fit", x ? x->shape.d[1] : -1)) return -1;
    int64_t n = x->shape.d[0];
    int f = x->shape.d[1];
    if (n < 1 || f < 1) return ck_fail("StandardScaler.fit: x is empty (%lld x %d)", (long long)n, f);
    s->mean = calloc((size_t)f, sizeof(double));
    s->scale = calloc((size_t)f, sizeof(double));
    if (!s->mean || !s->scale) {
        ck_standard_scaler_free(s);
        return ck_fail("StandardScaler.fit: out of memory");
    }
    s->n_features = f;
    for (int j = 0; j < f; j++) {
        double sum = 0, squares = 0;
        int constant = 1;
        for (int64_t i = 0; i < n; i++) {
            sum += x->f[i * f + j];
            constant &= x->f[i * f + j] == x->f[j];
        }
        double mean = sum / (double)n;
        for (int64_t i = 0; i < n; i++) squares += (x->f[i * f + j] - mean) * (x->f[i * f + j] - mean);
        s->mean[j] = mean;
        /* a feature with one value throughout: sklearn leaves its zero std as 1 */
        s->scale[j] = constant ? 1.0 : sqrt(squares / (double)n);
    }
    return 0;
}

int ck_standard_scaler_transform(const ck_standard_scaler *s, ck_tensor *x)
{
    if (!s || !s->mean) return ck_fail("StandardScaler.transform: the scaler is not fitted");
    if (check_matrix(x, "StandardScaler.transform", s->n_features)) return -1;
    int f = s->n_features;
    for (int64_t i = 0; i < x->shape.d[0]; i++)
        for (int j = 0; j < f; j++) x->f[i * f + j] = (float)((x->f[i * f + j] - s->mean[j]) / s->scale[j]);
    return 0;
}

void ck_standard_scaler_free(ck_standard_scaler *s)
{
    if (!s) return;
    free(s->mean);
    free(s->scale);
    memset(s, 0, sizeof *s);
}
