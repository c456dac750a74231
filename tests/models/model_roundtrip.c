/* model_roundtrip.c - one half of a round trip through a model file, so
 * the two halves run in different processes (roundtrip.sh):
 *     model_roundtrip save KIND FILE PREDICTIONS   build, train, save, predict
 *     model_roundtrip load KIND FILE PREDICTIONS   load, predict
 * PREDICTIONS gets every output's predictions on the same data as raw
 * float32; the two files must be identical byte for byte. KIND is one of
 * saved_models.h's names. Exit 0 on success, 1 with a message otherwise. */
#include <stdio.h>

#include "saved_models.h"

static int fail(const char *what)
{
    fprintf(stderr, "model_roundtrip: %s: %s\n", what, ck_error() ? ck_error() : "(no message)");
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 5 || (strcmp(argv[1], "save") && strcmp(argv[1], "load"))) {
        fprintf(stderr, "usage: model_roundtrip save|load KIND FILE PREDICTIONS\n");
        return 1;
    }
    int kind = 0;
    while (kind < SM_COUNT && strcmp(sm_names[kind], argv[2])) kind++;
    if (kind == SM_COUNT) return fail("unknown kind");
    int saving = !strcmp(argv[1], "save");
    ck_session *s = NULL;
    ck_model *m;
    if (saving) {
        s = ck_session_new(11);
        m = s ? sm_build(s, (sm_kind)kind) : NULL;
    } else {
        ck_registry *r = sm_registry();
        m = r ? ck_load_model(argv[3], r) : NULL;
        ck_registry_free(r);
        s = m ? ck_model_session(m) : NULL;
    }
    if (!m) return fail(saving ? "build" : "load");
    sm_data d;
    sm_data_make(m, 5, &d);
    if (saving && (sm_train(m, &d) || ck_save_model(m, argv[3]))) return fail("train and save");
    long n;
    float *pred = sm_predict(m, &d, &n);
    if (!pred) return fail("predict");
    FILE *f = fopen(argv[4], "wb");
    int rc = !f || fwrite(pred, sizeof(float), (size_t)n, f) != (size_t)n;
    if (f && fclose(f)) rc = 1;
    free(pred);
    sm_data_free(&d);
    ck_session_free(s);
    if (rc) return fail("writing the predictions");
    printf("%s %s: %ld predictions\n", argv[1], argv[2], n);
    return 0;
}
