/* serve_fm - prediction throughput of the notebook's FM (ml-1m sizes, k 20)
 * in ckeras, and the same model exported to ONNX for serve_fm.js to time in
 * ONNX Runtime (docs/serving.md). Weights are their initial values: speed
 * does not depend on them.
 *
 * usage: serve_fm DIR   writes DIR/fm.onnx and DIR/rows.bin (the request
 * rows), prints rows per second of ck_predict at batch 1 and 2048, the
 * median of REPEATS runs each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ck_fm.h"
#include "ck_io.h"
#include "ck_onnx.h"

enum { N_UID = 6040, N_MID = 3952, N_GENRE = 18, K = 20, MAXLEN = 3 };
enum { BIG_BATCH = 2048, BIG_ROWS = 100 * BIG_BATCH, SMALL_ROWS = 20000, REPEATS = 5 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return v[n / 2];
}

/* rows [start, start + n) of the four inputs, as views */
static void view_rows(const ck_tensor *all, ck_tensor *x, int64_t start, int n)
{
    for (int i = 0; i < 4; i++) {
        int64_t width = all[i].shape.d[1];
        x[i] = ck_tensor_view(all[i].dtype, ck_shape_of(2, n, (int)width), (char *)all[i].data + 4 * start * width);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: serve_fm DIR\n");
        return 2;
    }
    ck_session *s = ck_session_new(7);
    ck_fm fm;
    ck_fm_config c = {.n_uid = N_UID, .n_mid = N_MID, .n_genre = N_GENRE, .k = K, .genre_pool = CK_GENRE_POOL_MASKED};
    if (!s || ck_fm_model(s, &c, &fm) < 0) {
        fprintf(stderr, "serve_fm: %s\n", ck_error());
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/fm.onnx", argv[1]);
    if (ck_export_onnx(fm.fm_model, path, NULL) < 0) {
        fprintf(stderr, "serve_fm: %s\n", ck_error());
        return 1;
    }
    /* requests: random users, movies, occupations and 1-3 genres */
    ck_rng rng;
    ck_rng_seed(&rng, 1);
    ck_tensor *all[4] = {
        ck_tensor_new(CK_F32, ck_shape_of(2, BIG_ROWS, 1)), ck_tensor_new(CK_I32, ck_shape_of(2, BIG_ROWS, 1)),
        ck_tensor_new(CK_I32, ck_shape_of(2, BIG_ROWS, 1)), ck_tensor_new(CK_I32, ck_shape_of(2, BIG_ROWS, MAXLEN))};
    for (int64_t r = 0; r < BIG_ROWS; r++) {
        all[0]->f[r] = (float)(int)(ck_rng_uniform(&rng) * 21);
        all[1]->i[r] = 1 + (int32_t)(ck_rng_uniform(&rng) * (N_UID - 1));
        all[2]->i[r] = 1 + (int32_t)(ck_rng_uniform(&rng) * (N_MID - 1));
        int genres = 1 + (int)(ck_rng_uniform(&rng) * MAXLEN);
        for (int g = 0; g < MAXLEN; g++)
            all[3]->i[r * MAXLEN + g] = g < genres ? 1 + (int32_t)(ck_rng_uniform(&rng) * N_GENRE) : 0;
    }
    snprintf(path, sizeof path, "%s/rows.bin", argv[1]);
    ck_io_writer w; /* atomic, as every output of ckeras */
    if (ck_io_writer_open(&w, path)) return 1;
    for (int i = 0; i < 4; i++) fwrite(all[i]->data, 4, (size_t)all[i]->size, w.f);
    if (ck_io_writer_commit(&w)) return 1;
    ck_tensor flat[4], x[4];
    for (int i = 0; i < 4; i++) flat[i] = *all[i];

    double big[REPEATS], small[REPEATS];
    for (int rep = 0; rep < REPEATS; rep++) {
        double t0 = now();
        ck_tensor *p = ck_predict(fm.fm_model, flat, 4, BIG_BATCH);
        big[rep] = BIG_ROWS / (now() - t0);
        ck_tensor_free(p);
        t0 = now();
        for (int r = 0; r < SMALL_ROWS; r++) {
            view_rows(flat, x, r, 1);
            ck_tensor_free(ck_predict(fm.fm_model, x, 4, 1));
        }
        small[rep] = SMALL_ROWS / (now() - t0);
    }
    printf("ck_predict: batch 1: %.0f rows/s; batch %d: %.0f rows/s (medians of %d runs)\n", median(small, REPEATS),
           BIG_BATCH, median(big, REPEATS), REPEATS);
    for (int i = 0; i < 4; i++) ck_tensor_free(all[i]);
    ck_session_free(s);
    return 0;
}
