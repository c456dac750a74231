/* crosscheck - our FM against the PyTorch replica, from the same weights.
 *
 * bench/crosscheck_torch.py writes the replica's initial weights as
 * safetensors under our layer names; this program loads them into the FM
 * built from layers, reports train/val MSE, trains one epoch WITHOUT
 * shuffling (batches in row order, like the script) and reports val MSE
 * again, then saves the weights for the script to compare tensor by tensor.
 *
 *   crosscheck DATA_DIR masked|notebook INIT.safetensors OUT.safetensors */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_fm.h"
#include "ck_movielens.h"

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: crosscheck DATA_DIR masked|notebook INIT.safetensors OUT.safetensors\n");
        return 2;
    }
    ck_movielens d = {0};
    ck_movielens_batch train = {0}, val = {0};
    int64_t *tr = NULL, *va = NULL, n_tr, n_va;
    ck_session *s = ck_session_new(7);
    ck_fm fm;
    ck_history *h = NULL;
    double train_mse, val_mse, val_after;
    int pool_notebook = strcmp(argv[2], "notebook") == 0;

    if (ck_movielens_load(argv[1], &d) < 0 || ck_movielens_split(d.n, 0.2, 7, &tr, &n_tr, &va, &n_va) < 0 ||
        ck_movielens_gather(&d, tr, n_tr, &train) < 0 || ck_movielens_gather(&d, va, n_va, &val) < 0)
        goto fail;
    ck_fm_config c = {.n_uid = d.n_uid,
                      .n_mid = d.n_mid,
                      .n_genre = d.n_genre,
                      .k = 20,
                      .genre_pool = pool_notebook ? CK_GENRE_POOL_NOTEBOOK : CK_GENRE_POOL_MASKED};
    if (ck_fm_model(s, &c, &fm) < 0 || ck_compile(fm.fm_model, "mse", ck_Adam(0.001f), NULL, 0) < 0 ||
        ck_load_weights(fm.fm_model, argv[3]) < 0 ||
        ck_evaluate(fm.fm_model, train.x, CK_ML_N_INPUTS, &train.y, 2048, &train_mse) < 0 ||
        ck_evaluate(fm.fm_model, val.x, CK_ML_N_INPUTS, &val.y, 2048, &val_mse) < 0)
        goto fail;
    h = ck_fit(fm.fm_model, train.x, CK_ML_N_INPUTS, &train.y,
               CK_FIT_ARGS(.epochs = 1, .batch_size = 2048, .shuffle = false, .verbose = 0));
    if (!h || ck_evaluate(fm.fm_model, val.x, CK_ML_N_INPUTS, &val.y, 2048, &val_after) < 0 ||
        ck_save_weights(fm.fm_model, argv[4]) < 0)
        goto fail;
    printf("ours  init train_mse %.6f val_mse %.6f | epoch 1 (no shuffle) loss %.6f val_mse %.6f\n", train_mse, val_mse,
           h->epochs[0].loss, val_after);
    ck_history_free(h);
    ck_session_free(s);
    ck_movielens_batch_free(&train);
    ck_movielens_batch_free(&val);
    free(tr);
    free(va);
    ck_movielens_free(&d);
    return 0;
fail:
    fprintf(stderr, "crosscheck: %s\n", ck_error());
    return 1;
}
