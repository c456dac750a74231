/* fuzz_model.c - libFuzzer target for ck_load_model. The input is either
 *  - a whole-model file (anything not starting with '{'), loaded as it is;
 *  - or an architecture JSON (starting with '{'), which the target stores
 *    as the "model_config" of a file holding one 4096-value tensor, so the
 *    fuzzer works on the JSON directly: the layers up to 4096 weight values
 *    get built, then the weights check refuses the file.
 * A load must succeed or fail with a message; a loaded model predicts on
 * two samples of zeros (when its inputs are small). The Lambda functions
 * are those of the FM and of the tests (tests/models/saved_models.h). The
 * seed corpus holds saved models of saved_models.h and their JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../models/saved_models.h"
#include "ck_safetensors.h"
#include "fuzz_files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { PAD_VALUES = 4096, PREDICT_SAMPLES = 2, MAX_PREDICT_VALUES = 1 << 16 };

/* The architecture JSON as a file's metadata, with a padding tensor. */
static int write_wrapped(const char *path, const uint8_t *data, size_t size)
{
    static float pad[PAD_VALUES];
    char *config = malloc(size + 1);
    if (!config) abort();
    memcpy(config, data, size);
    config[size] = 0; /* text after a NUL is not part of the string */
    ck_tensor t = ck_tensor_view(CK_F32, ck_shape_of(1, PAD_VALUES), pad);
    const ck_tensor *ts[1] = {&t};
    const char *names[1] = {"fuzz/pad"}, *keys[1] = {"model_config"}, *values[1] = {config};
    int rc = ck_safetensors_save_meta(path, names, ts, 1, keys, values, 1);
    free(config);
    return rc;
}

/* Zeros for every input (ids 0 are valid everywhere), unless too large. */
static void predict_zeros(ck_model *m)
{
    int n_in = ck_model_n_inputs(m);
    ck_tensor x[64];
    if (n_in > 64) return;
    for (int i = 0; i < n_in; i++) {
        ck_shape s = ck_sym_shape(ck_model_input(m, i));
        s.d[0] = PREDICT_SAMPLES;
        if (ck_shape_size(s) > MAX_PREDICT_VALUES) return;
    }
    int made = 0;
    for (; made < n_in; made++) {
        ck_sym *in = ck_model_input(m, made);
        ck_shape s = ck_sym_shape(in);
        s.d[0] = PREDICT_SAMPLES;
        ck_tensor *t = ck_tensor_new(ck_sym_dtype(in), s);
        if (!t) break;
        x[made] = *t;
        free(t); /* the data now belongs to x[made] */
    }
    if (made == n_in) {
        ck_tensor *p = ck_predict(m, x, n_in, PREDICT_SAMPLES);
        if (!p && !ck_error()) abort();
        ck_tensor_free(p);
    }
    for (int i = 0; i < made; i++) free(x[i].data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ck_registry *registry;
    if (!registry && !(registry = sm_registry())) abort();
    char path[128];
    snprintf(path, sizeof path, "%s/model.safetensors", fuzz_temp_dir());
    ck_error_clear();
    if (size > 0 && data[0] == '{') {
        if (write_wrapped(path, data, size)) abort();
    } else {
        FILE *f = fopen(path, "wb");
        if (!f || (size && fwrite(data, 1, size, f) != size)) abort();
        fclose(f);
    }
    ck_model *m = ck_load_model(path, registry);
    if (!m) {
        if (!ck_error()) abort(); /* refused without saying why */
    } else {
        predict_zeros(m);
        ck_session_free(ck_model_session(m));
    }
    ck_error_clear();
    return 0;
}
