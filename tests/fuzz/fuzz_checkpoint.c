/* fuzz_checkpoint.c - libFuzzer target for reading a checkpoint file and
 * its __metadata__ the way the examples do. The input is a file's bytes,
 * written to a private temp directory. Checks:
 *  - ck_safetensors_load (the file, through ck_io's size checks) and
 *    ck_safetensors_parse (the same bytes in memory) agree: both refuse,
 *    or both accept with the same tensors and metadata;
 *  - every metadata key finds its own value (keys are unique);
 *  - the examples' checks (fm_previous_checkpoint, fm_checkpoint_fits)
 *    never fail without a reason, and a checkpoint they call "the same"
 *    has a finite val_loss. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_safetensors.h"
#include "fm_outputs.h"
#include "fuzz_files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_content(const ck_safetensors *a, const ck_safetensors *b)
{
    if (a->n != b->n || a->n_meta != b->n_meta || a->data_size != b->data_size ||
        memcmp(a->data, b->data, (size_t)a->data_size) != 0)
        abort();
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->entries[i].name, b->entries[i].name) || a->entries[i].offset != b->entries[i].offset ||
            a->entries[i].nbytes != b->entries[i].nbytes)
            abort();
    for (int i = 0; i < a->n_meta; i++) {
        if (strcmp(a->meta_keys[i], b->meta_keys[i]) || strcmp(a->meta_values[i], b->meta_values[i])) abort();
        if (ck_safetensors_meta(a, a->meta_keys[i]) != a->meta_values[i]) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128];
    snprintf(path, sizeof path, "%s/c.safetensors", fuzz_temp_dir());
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size)) abort();
    fclose(f);

    ck_error_clear();
    ck_safetensors *from_file = ck_safetensors_load(path);
    if (!from_file && !ck_error()) abort();
    ck_error_clear();
    ck_safetensors *in_memory = ck_safetensors_parse(data, size);
    if (!in_memory && !ck_error()) abort();
    ck_error_clear();
    if (!from_file != !in_memory) {
        fprintf(stderr, "load and parse disagree\n");
        abort();
    }
    /* this run's identity: the seeds' model (n_uid 3, n_mid 4, k 2) */
    fm_options o = {.seed = 7, .val_split = 0.2};
    ck_fm_config c = {.n_uid = 3, .n_mid = 4, .n_genre = 14, .k = 2};
    fm_meta meta;
    fm_make_meta(&o, &c, 3, 0x0123456789abcdefull, &meta);
    if (from_file) {
        same_content(from_file, in_memory);
        char why[256];
        int other_data = -1;
        if (fm_checkpoint_fits(from_file, "fm_model", &meta, &other_data, why, sizeof why) < 0 &&
            (!memchr(why, 0, sizeof why) || !why[0]))
            abort();
    }
    fm_previous prev;
    fm_previous_checkpoint(path, "fm_model", "val_loss", &meta, &prev);
    if (!prev.exists || (prev.same && !isfinite(prev.value)) || (!prev.same && !prev.why[0])) abort();
    if (ck_error()) abort(); /* the examples' check leaves no message behind */
    ck_safetensors_free(from_file);
    ck_safetensors_free(in_memory);
    return 0;
}
