/* ck_csv.h - scikit-learn's small classification datasets as CSV
 * (sklearn/datasets/data: breast_cancer.csv, wine_data.csv, iris.csv,
 * digits.csv; copies in data/sklearn/), and sklearn's StandardScaler.
 *
 *     ck_csv_dataset d;
 *     if (ck_csv_load_sklearn("data/sklearn/iris.csv", &d) < 0)
 *         fprintf(stderr, "%s\n", ck_error());  // names file, line and column
 *     // d.x (150, 4) float32, d.y (150,) int32 class ids, d.n_classes 3
 *     ck_csv_dataset_free(&d);
 *
 * The format: an optional header line "n_samples,n_features,class
 * names..." (as in breast_cancer.csv: "569,30,malignant,benign"); the
 * first line is a header when it has 3 fields or more and none from the
 * third on is a number (digits.csv has no header). Then one row per sample: n_features numbers and
 * the class id last. Lines end in "\n" or "\r\n". Every field is checked:
 * a finite number (spaces around it allowed), the label a whole number in
 * [0, n_classes) (without a header n_classes is the largest label + 1),
 * every row with the same number of fields, the header's counts matching
 * the file. Errors name the file, the line and the column (1-based). The
 * path must be a regular file (not a directory, FIFO or device). */
#ifndef CK_CSV_H
#define CK_CSV_H

#include "ck_tensor.h"

typedef struct ck_csv_dataset {
    ck_tensor *x; /* (n_samples, n_features) F32 */
    ck_tensor *y; /* (n_samples,) I32 class ids */
    int64_t n_samples;
    int n_features, n_classes;
    int has_header;
    char **class_names; /* n_classes names from the header, or NULL */
} ck_csv_dataset;

/* Read path into out. 0, or -1 with a message and *out zeroed. */
int ck_csv_load_sklearn(const char *path, ck_csv_dataset *out);
void ck_csv_dataset_free(ck_csv_dataset *d);

/* sklearn's StandardScaler: per feature, the mean and the population
 * standard deviation (ddof 0) of the rows it is fitted on, in double; a
 * feature whose values are all equal keeps scale 1 (as sklearn leaves a
 * zero std). transform: x = (x - mean) / scale. */
typedef struct ck_standard_scaler {
    int n_features;
    double *mean, *scale; /* n_features each */
} ck_standard_scaler;
/* Fit on x (N, F) F32, N >= 1. 0 or -1 (message). */
int ck_standard_scaler_fit(ck_standard_scaler *s, const ck_tensor *x);
/* x (M, F) F32, in place. */
int ck_standard_scaler_transform(const ck_standard_scaler *s, ck_tensor *x);
void ck_standard_scaler_free(ck_standard_scaler *s);

#endif
