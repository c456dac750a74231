/* fm_presets.c - the presets' settings, in one table (see fm_presets.h).
 * docs/fm-under-the-hood.md ("The tuned preset") says how the tuned values
 * were chosen; bench/fm_search.sh runs that search again. */
#include "fm_presets.h"

#include <stddef.h>

const char *const fm_preset_names[] = {"notebook", "tuned", NULL};
const char *const fm_objective_names[] = {"rating", "like", NULL};
const char *const fm_lr_schedule_names[] = {"constant", "exponential", "cosine", NULL};

/* The notebook's settings (In [9], In [12]), nothing else. */
static const fm_options notebook = {
    .k = 20,                       /* params = {..., 'k': 20} */
    .batch = 2048,                 /* fit(batch_size=2048) */
    .epochs = 30,                  /* fit(epochs=30) */
    .patience = 3,                 /* EarlyStopping(patience=3), on the validation rows */
    .lr = 0.001,                   /* Adam(learning_rate=0.001) */
    .lr_schedule = FM_LR_CONSTANT, /* no schedule */
    .lr_decay = 1.0,               /* (unused) */
    .l2_embeddings = 0.0,          /* no regularizer */
    .l2_dense = 0.0,               /* no regularizer */
    .occupation_scale = 1.0,       /* the raw occupation code, 0..20 */
    .early_stop_split = 0.0,       /* the callbacks watch the validation rows */
};

/* What the search on the training rows chose (bench/fm_search.py; its
 * stages and results: docs/fm-under-the-hood.md, section 19), but for the
 * patience: the search scored 5 and 10 the same, and 10 outlasts the
 * plateau where only the biases are learnt (section 19). */
static const fm_options tuned = {
    .k = 64,
    .batch = 1024,
    .epochs = 50,
    .patience = 10,
    .lr = 0.001,
    .lr_schedule = FM_LR_CONSTANT,
    .lr_decay = 1.0,          /* (unused) */
    .l2_embeddings = 9e-5,    /* Keras's l2(9e-5) on every Embedding */
    .l2_dense = 0.1,          /* and l2(0.1) on every Dense kernel */
    .occupation_scale = 0.05, /* the occupation code 0..20 becomes 0..1 */
    /* 10% of the training rows choose the epoch (EarlyStopping with
     * restore_best_weights, ModelCheckpoint); the validation rows are
     * evaluated once, with the best epoch's weights */
    .early_stop_split = 0.1,
};

static const fm_preset presets[] = {
    {FM_PRESET_NOTEBOOK, FM_OBJECTIVE_RATING, &notebook},
    {FM_PRESET_NOTEBOOK, FM_OBJECTIVE_LIKE, &notebook},
    {FM_PRESET_TUNED, FM_OBJECTIVE_RATING, &tuned},
    {FM_PRESET_TUNED, FM_OBJECTIVE_LIKE, &tuned},
};
enum { N_PRESET_ROWS = sizeof presets / sizeof presets[0] };

const fm_preset *fm_preset_find(int id, int objective)
{
    for (int i = 0; i < N_PRESET_ROWS; i++)
        if ((int)presets[i].id == id && (int)presets[i].objective == objective) return &presets[i];
    return NULL;
}
