/* weights_io.c - the model's weights: get/set as one flat array (Keras's
 * get_weights / set_weights) and save/load as safetensors files that numpy
 * and PyTorch can read (also the weights of a whole-model file). */
#include <stdlib.h>
#include <string.h>

#include "ck_model_internal.h"
#include "ck_safetensors.h"

int ck_model_save_tensors(const ck_model *m, const char *path, const char *const *meta_keys,
                          const char *const *meta_values, int n_meta, const char *who)
{
    if (!m || !path) return ck_fail("%s: NULL argument", who);
    const char **names = malloc(sizeof(char *) * (size_t)(m->n_params + 1));
    const ck_tensor **tensors = malloc(sizeof(ck_tensor *) * (size_t)(m->n_params + 1));
    if (!names || !tensors) {
        free(names);
        free(tensors);
        return ck_fail("%s: out of memory", who);
    }
    for (int i = 0; i < m->n_params; i++) {
        names[i] = m->params[i]->name;
        tensors[i] = &m->params[i]->value;
    }
    int rc = ck_safetensors_save_meta(path, names, tensors, m->n_params, meta_keys, meta_values, n_meta);
    free(names);
    free(tensors);
    if (rc) ck_error_prefix("%s: model '%s': ", who, m->name);
    return rc;
}

int ck_save_weights(const ck_model *m, const char *path)
{
    return ck_model_save_tensors(m, path, NULL, NULL, 0, "save_weights");
}

int ck_save_weights_meta(const ck_model *m, const char *path, const char *const *meta_keys,
                         const char *const *meta_values, int n_meta)
{
    return ck_model_save_tensors(m, path, meta_keys, meta_values, n_meta, "save_weights");
}

int ck_model_load_tensors(ck_model *m, const ck_safetensors *st, const char *path, const char *who)
{
    int rc = 0;
    char a[64], b[64];
    /* check everything before touching any weight */
    for (int i = 0; i < m->n_params && !rc; i++) {
        const ck_node *p = m->params[i];
        int k = ck_safetensors_find(st, p->name);
        if (k < 0)
            rc = ck_fail("%s: '%s' has no tensor '%s' (model '%s')", who, path, p->name, m->name);
        else if (st->entries[k].dtype != CK_F32)
            rc = ck_fail("%s: '%s': tensor '%s' is I32, expected F32", who, path, p->name);
        else if (!ck_shape_eq(st->entries[k].shape, p->value.shape))
            rc = ck_fail("%s: '%s': tensor '%s' has shape %s, the model expects %s", who, path, p->name,
                         ck_shape_str(st->entries[k].shape, a, sizeof a), ck_shape_str(p->value.shape, b, sizeof b));
    }
    for (int k = 0; k < st->n && !rc; k++) {
        int found = 0;
        for (int i = 0; i < m->n_params && !found; i++) found = !strcmp(m->params[i]->name, st->entries[k].name);
        if (!found)
            rc = ck_fail("%s: '%s' has tensor '%s', which model '%s' does not have", who, path, st->entries[k].name,
                         m->name);
    }
    for (int i = 0; i < m->n_params && !rc; i++)
        rc = ck_safetensors_copy(st, ck_safetensors_find(st, m->params[i]->name), m->params[i]->value.data);
    return rc;
}

int ck_load_weights(ck_model *m, const char *path)
{
    if (!m || !path) return ck_fail("load_weights: NULL argument");
    ck_safetensors *st = ck_safetensors_load(path);
    if (!st) {
        ck_error_prefix("load_weights: ");
        return -1;
    }
    int rc = ck_load_weights_from(m, st, path);
    ck_safetensors_free(st);
    return rc;
}

int ck_load_weights_from(ck_model *m, const ck_safetensors *st, const char *path)
{
    if (!m || !st || !path) return ck_fail("load_weights: NULL argument");
    return ck_model_load_tensors(m, st, path, "load_weights");
}

int ck_model_get_weights(const ck_model *m, float *dst)
{
    if (!m || !dst) return ck_fail("get_weights: NULL argument");
    for (int i = 0; i < m->n_params; i++) {
        memcpy(dst, m->params[i]->value.f, sizeof(float) * (size_t)m->params[i]->value.size);
        dst += m->params[i]->value.size;
    }
    return 0;
}

int ck_model_set_weights(ck_model *m, const float *src)
{
    if (!m || !src) return ck_fail("set_weights: NULL argument");
    for (int i = 0; i < m->n_params; i++) {
        memcpy(m->params[i]->value.f, src, sizeof(float) * (size_t)m->params[i]->value.size);
        src += m->params[i]->value.size;
    }
    return 0;
}
