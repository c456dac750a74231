/* deepfm - DeepFM on MovieLens, composed from the FM notebook's own layers.
 *
 *   deepfm [--data DIR] [--epochs 30] ...     (the same flags as fm_movielens)
 *
 * DeepFM (Guo et al., 2017) keeps the FM and adds a "deep part": an MLP that
 * reads the very same 2nd-order embeddings. Nothing new is needed from the
 * library: the FM parts come from models/ck_fm.h, the deep part is Reshape,
 * Dropout and Dense, as in the notebook's deep_part():
 *
 *     y_fm_1d                    = fm_1d(inputs)                        (None, 1)
 *     y_fm_2d, embed_2d          = fm_2d(inputs)              (None, 1), (None, 4, k)
 *     y_dnn = Reshape((4*k,))(embed_2d)                                 (None, 4k)
 *     for h in [64, 64]:
 *         y_dnn = Dropout(0.5)(y_dnn)
 *         y_dnn = Dense(h, activation='relu')(y_dnn)                    (None, h)
 *     y_dnn = Dense(1, activation='relu', name='deep_output')(y_dnn)    (None, 1)
 *     y = Concatenate()([y_fm_1d, y_fm_2d, y_dnn])                      (None, 3)
 *     y = Dense(1, name='deepfm_output')(y)                             (None, 1)
 *
 * The embeddings are shared: the FM's pairwise term and the MLP both push
 * gradients into concat_embed_2d, so one backward pass trains both. The data,
 * split, loss, optimizer and callbacks are those of fm_movielens.c. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_fm.h"
#include "ck_movielens.h"
#include "learning_curve.h"
#include "fm_cli.h"
#include "fm_common.h"

/* The notebook's params: dnn_dr = 0.5, dnn_hidden = [64, 64]. */
static const float DNN_DROPOUT = 0.5f;
static const int DNN_HIDDEN[] = {64, 64};
enum { N_DNN_HIDDEN = sizeof DNN_HIDDEN / sizeof DNN_HIDDEN[0] };

/* deep_part(embed_2d): the MLP over the flattened field embeddings. */
static ck_sym *deep_part(ck_session *s, ck_sym *embed_2d, int n_fields, int k)
{
    /* Flatten: (None, 4, k) -> (None, 4k) */
    ck_sym *y = ck_call1(ck_Reshape(s, ck_shape_of(1, n_fields * k), "flat_embed_2d"), embed_2d);
    for (int i = 0; i < N_DNN_HIDDEN; i++) {
        y = ck_call1(ck_Dropout(s, DNN_DROPOUT, NULL), y);
        y = ck_call1(ck_Dense(s, DNN_HIDDEN[i], "relu", NULL), y);
    }
    return ck_call1(ck_Dense(s, 1, "relu", "deep_output"), y);
}

/* The whole DeepFM model; NULL on error (message names the layer). */
static ck_model *deepfm_model(ck_session *s, const ck_fm_config *c)
{
    ck_sym *inputs[4], *embed_2d = NULL;
    if (ck_fm_define_input_layers(s, inputs) < 0) return NULL;
    ck_sym *y_fm_1d = ck_fm_1d(s, inputs, c);
    ck_sym *y_fm_2d = ck_fm_2d(s, inputs, c, &embed_2d);
    if (!embed_2d) return NULL;
    ck_sym *y_dnn = deep_part(s, embed_2d, 4, c->k);
    ck_sym *parts[3] = {y_fm_1d, y_fm_2d, y_dnn};
    ck_sym *y = ck_call(ck_Concatenate(s, -1, NULL), parts, 3);          /* (None, 3) */
    y = ck_call1(ck_Dense(s, 1, NULL, "deepfm_output"), y);             /* (None, 1) */
    return ck_Model(s, inputs, 4, &y, 1, "deepfm_model");
}

static int train(const fm_options *o)
{
    ck_movielens data = {0};
    ck_movielens_batch train_rows = {0}, val_rows = {0};
    ck_session *s = NULL;
    ck_history *hist = NULL;
    ck_callback *ckpt = NULL, *early = NULL, *csv = NULL;
    int status = EXIT_FAILURE_;
    /* fm_movielens's default path would overwrite the FM's weights */
    const char *checkpoint = strcmp(o->checkpoint, "models/fm.safetensors") ? o->checkpoint
                                                                          : "models/deepfm.safetensors";

    if (fm_load_data(o, &data) < 0) { status = fm_report("deepfm", EXIT_BAD_INPUT, "cannot load the data"); goto done; }
    /* the split reorders data's rows in place; train_rows and val_rows are views into data */
    if (ck_movielens_split_rows(&data, o->val_split, o->seed, &train_rows, &val_rows) < 0) {
        status = fm_report("deepfm", EXIT_BAD_INPUT, "cannot split the data");
        goto done;
    }

    ck_fm_config cfg = fm_config(o, &data);
    s = ck_session_new(o->seed);
    ck_model *model = s ? deepfm_model(s, &cfg) : NULL;
    if (!model) { status = fm_report("deepfm", EXIT_FAILURE_, "cannot build the model"); goto done; }
    if (!o->quiet) {
        printf("genre pooling: %s\n", ck_genre_pool_name(cfg.genre_pool));
        ck_summary(model, stdout);
    }
    if (o->graph && ck_plot_model(model, o->graph) < 0) {
        status = fm_report("deepfm", EXIT_FAILURE_, "cannot write the graph");
        goto done;
    }
    if (o->summary_only) { status = EXIT_OK; goto done; }

    if (ck_compile(model, "mse", ck_Adam((float)o->lr), NULL, 0) < 0) {
        status = fm_report("deepfm", EXIT_FAILURE_, "compile failed");
        goto done;
    }
    if (fm_ensure_parent_dir(checkpoint) < 0) { status = fm_report("deepfm", EXIT_BAD_INPUT, "bad --checkpoint"); goto done; }
    ckpt = ck_ModelCheckpoint(checkpoint, "val_loss", 1, 1, !o->quiet);
    early = ck_EarlyStopping("val_loss", o->patience, 0.0, 0);
    if (o->history) csv = ck_CSVLogger(o->history);
    if (!ckpt || !early || (o->history && !csv)) {
        status = fm_report("deepfm", EXIT_FAILURE_, "cannot make the callbacks");
        goto done;
    }
    ck_callback *cbs[3] = {ckpt, early, csv};

    hist = ck_fit(model, train_rows.x, CK_ML_N_INPUTS, &train_rows.y, &(ck_fit_args){
        .epochs = o->epochs, .batch_size = o->batch, .shuffle = 1,
        .val_x = val_rows.x, .val_y = &val_rows.y,
        .callbacks = cbs, .n_callbacks = csv ? 3 : 2, .verbose = !o->quiet});
    if (!hist) { status = fm_report("deepfm", EXIT_FAILURE_, "training failed"); goto done; }

    int best = -1;
    for (int e = 0; e < hist->n_epochs; e++)
        if (best < 0 || hist->epochs[e].val_loss < hist->epochs[best].val_loss) best = e;
    if (o->plot && hist->n_epochs > 0) {
        double *loss = malloc(sizeof *loss * (size_t)hist->n_epochs);
        double *val = malloc(sizeof *val * (size_t)hist->n_epochs);
        int rc = loss && val ? 0 : ck_fail("out of memory");
        for (int e = 0; !rc && e < hist->n_epochs; e++) {
            loss[e] = hist->epochs[e].loss;
            val[e] = hist->epochs[e].val_loss;
        }
        if (!rc) rc = plot_learning_curve(o->plot, loss, val, hist->n_epochs,
                                             "DeepFM on MovieLens: MSE per epoch");
        free(loss);
        free(val);
        if (rc < 0) { status = fm_report("deepfm", EXIT_FAILURE_, "cannot write the plot"); goto done; }
    }
    if (best < 0 || !isfinite(hist->epochs[best].val_loss)) {
        fprintf(stderr, "deepfm: training produced no finite val_loss\n");
        goto done;
    }
    printf("best val_loss: %.4f (RMSE %.4f) at epoch %d/%d\n", hist->epochs[best].val_loss,
           sqrt(hist->epochs[best].val_loss), hist->epochs[best].epoch, hist->n_epochs);
    status = EXIT_OK;

done:
    ck_history_free(hist);
    ck_callback_free(ckpt);
    ck_callback_free(early);
    ck_callback_free(csv);
    ck_session_free(s);
    ck_movielens_batch_free(&train_rows);
    ck_movielens_batch_free(&val_rows);
    ck_movielens_free(&data);
    return status;
}

int main(int argc, char **argv)
{
    fm_options o;
    char err[512];
    if (fm_parse_args(argc, argv, &o, err, sizeof err) < 0) {
        fprintf(stderr, "deepfm: %s\n(deepfm takes fm_movielens's training options)\n%s", err, fm_usage);
        return EXIT_BAD_INPUT;
    }
    if (o.command == FM_HELP) {
        printf("deepfm: DeepFM (the FM plus an MLP over its embeddings); the options are "
               "fm_movielens's training options:\n%s", fm_usage);
        return EXIT_OK;
    }
    if (o.command == FM_RECOMMEND) {
        fprintf(stderr, "deepfm: only training is supported (use fm_movielens recommend)\n");
        return EXIT_BAD_INPUT;
    }
    return train(&o);
}
