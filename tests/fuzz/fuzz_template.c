/* fuzz_template.c - libFuzzer target for ModelCheckpoint's filepath
 * templates (ck_checkpoint_filepath, and ck_ModelCheckpoint_ex, which
 * checks a template's syntax when it is made). The input is the template
 * (up to the first NUL). Checks: a refusal sets a message; an accepted
 * template gives a NUL-terminated path that fits the buffer and holds no
 * brace (every '{' opened a field, a lone '}' is refused), and the
 * constructor accepts exactly the templates whose fields are all logged. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_callbacks.h"
#include "ck_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { SMALL = 24, LARGE = 4096 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = {"loss", "val_loss", "mae", "val_mae"};
    static const double values[] = {0.1, 1e300, -0.0, 123456.789};
    char *tmpl = malloc(size + 1);
    if (!tmpl) return 0;
    memcpy(tmpl, data, size);
    tmpl[size] = '\0';
    int epoch = (int)(size * 7919 % 100000);
    for (int n = 0; n < 2; n++) {
        size_t cap = n ? LARGE : SMALL;
        char *out = malloc(cap);
        if (!out) abort();
        memset(out, 0x55, cap);
        ck_error_clear();
        if (ck_checkpoint_filepath(tmpl, epoch, keys, values, 4, out, cap) < 0) {
            if (!ck_error()) abort();
        } else if (!memchr(out, 0, cap) || strpbrk(out, "{}") || !out[0]) {
            fprintf(stderr, "bad path '%.100s' from '%.100s'\n", out, tmpl);
            abort();
        }
        free(out);
    }
    /* the constructor checks syntax only: whatever the full check accepts
     * with every key logged, it accepts too */
    ck_error_clear();
    char big[LARGE];
    int full_ok = ck_checkpoint_filepath(tmpl, epoch, keys, values, 4, big, sizeof big) == 0;
    ck_error_clear();
    ck_callback *cb = ck_ModelCheckpoint_ex(&(ck_model_checkpoint_args){.filepath = tmpl, .save_best_only = 1});
    if (full_ok && !cb) {
        fprintf(stderr, "constructor refused '%.100s': %s\n", tmpl, ck_error());
        abort();
    }
    if (!cb && !ck_error()) abort();
    ck_callback_free(cb);
    ck_error_clear();
    free(tmpl);
    return 0;
}
