/* fm_presets.h - the FM examples' presets: named sets of training settings
 * (--preset notebook | tuned), one table in fm_presets.c. A preset gives
 * the defaults of the options it lists; an option given on the command line
 * wins over it. */
#ifndef FM_PRESETS_H
#define FM_PRESETS_H

#include "fm_cli.h"

typedef struct fm_preset {
    fm_preset_id id;
    fm_objective objective;
    /* k, batch, epochs, patience, lr, lr_schedule, lr_decay, l2_embeddings,
     * l2_dense, occupation_scale, early_stop_split (the options marked
     * "from the preset" in fm_cli.c's table); the other fields are unused */
    const fm_options *settings;
} fm_preset;

/* The preset's row for an objective (every pair has one); NULL out of range. */
const fm_preset *fm_preset_find(int id, int objective);

/* The choices' names, indexed by their enums, NULL-terminated (the
 * command line's spellings): "notebook", "tuned"; "rating", "like";
 * "constant", "exponential", "cosine". */
extern const char *const fm_preset_names[];
extern const char *const fm_objective_names[];
extern const char *const fm_lr_schedule_names[];

#endif
