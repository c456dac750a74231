/* fuzz_args.c - libFuzzer target for the example's fm_parse_args: the input
 * is argv[1..], the arguments separated by NUL bytes. Checks: a refusal
 * gives a NUL-terminated reason; an accepted command line has every value
 * in the range the usage promises. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fm_cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum { MAX_ARGS = 64 };
    char *copy = malloc(size + 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = "fm_movielens";
    for (char *p = copy; p <= copy + size && argc < MAX_ARGS + 1; p += strlen(p) + 1) argv[argc++] = p;
    argv[argc] = NULL;

    fm_options o;
    char err[128];
    memset(err, 0x55, sizeof err);
    if (fm_parse_args(argc, argv, &o, err, (int)sizeof err) < 0) {
        if (!memchr(err, 0, sizeof err) || !err[0]) abort();
    } else if (o.command != FM_HELP) {
        if (o.epochs < 1 || o.batch < 1 || o.k < 1 || o.patience < 0 || o.top < 1 || o.threads < 0 || !(o.lr > 0) ||
            !(o.val_split > 0 && o.val_split < 1) || (o.checkpoint && !*o.checkpoint) ||
            (o.command == FM_RECOMMEND && o.user < 1) || (o.command == FM_EXPORT && (!o.onnx || !*o.onnx)) ||
            o.preset < 0 || o.preset >= FM_N_PRESETS || o.objective < 0 || o.objective >= FM_N_OBJECTIVES ||
            !(o.l2_embeddings >= 0) || !(o.l2_dense >= 0) || !(o.early_stop_split >= 0 && o.early_stop_split < 1) ||
            !(o.lr_decay > 0 && o.lr_decay <= 1) || !(o.occupation_scale >= 0))
            abort();
    }
    free(copy);
    return 0;
}
