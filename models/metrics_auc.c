/* metrics_auc.c - the exact area under the ROC curve of a set of weighted
 * predictions: the probability that a random positive scores higher than
 * a random negative (ties counting one half), each pair weighted by the
 * product of their weights (the Mann-Whitney statistic). Sorting the
 * scores once gives it in O(n log n). */
#include <math.h>
#include <stdlib.h>

#include "ck_model_internal.h"

/* Descending by score; a NaN score ranks below every other (Keras's
 * thresholds never count a NaN prediction as positive). */
static int by_score_desc(const void *a, const void *b)
{
    float x = ((const ck_auc_point *)a)->score, y = ((const ck_auc_point *)b)->score;
    if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
    return (x < y) - (x > y);
}

static int same_score(float a, float b) { return a == b || (isnan(a) && isnan(b)); }

double ck_auc_exact(ck_auc_point *points, int64_t n)
{
    qsort(points, (size_t)n, sizeof *points, by_score_desc);
    double pos_total = 0, neg_total = 0;
    for (int64_t i = 0; i < n; i++) *(points[i].positive ? &pos_total : &neg_total) += points[i].weight;
    /* one class only: the area is undefined; Keras's AUC gives 0 there */
    if (!(pos_total > 0) || !(neg_total > 0)) return 0.0;
    /* Walking down the scores, a group of equal scores with positive weight
     * P and negative weight N: its positives beat every negative below the
     * group and tie with the group's own negatives. */
    double neg_above = 0, area = 0;
    for (int64_t i = 0; i < n;) {
        double pos = 0, neg = 0;
        int64_t j = i;
        for (; j < n && same_score(points[j].score, points[i].score); j++)
            *(points[j].positive ? &pos : &neg) += points[j].weight;
        area += pos * (neg_total - neg_above - neg) + 0.5 * pos * neg;
        neg_above += neg;
        i = j;
    }
    return area / (pos_total * neg_total);
}
