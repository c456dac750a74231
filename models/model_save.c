/* model_save.c - Keras's model.to_json() and model.save(): the layer graph
 * as Keras 2 writes a functional model's config, stored with the weights in
 * one safetensors file (the JSON goes in its "__metadata__"). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <stb_ds.h>

#include "ck_model_internal.h"

/* Which of the session's symbolic tensors the model holds (by sym id). */
static char *model_tensors(const ck_model *m)
{
    char *in_model = calloc((size_t)arrlen(m->session->syms) + 1, 1);
    if (!in_model) return NULL;
    for (int i = 0; i < m->n_slots; i++) in_model[m->slot_syms[i]->id] = 1;
    return in_model;
}

/* Keras numbers a layer's nodes within the model: the calls the model
 * holds, in order (a layer shared with another model may have others). */
static int node_index(const ck_sym *x, const char *in_model)
{
    int k = 0;
    for (int c = 0; c < x->call_index; c++) k += in_model[x->layer->calls[c].out->id];
    return k;
}

/* ["dense", 0, 0] (with kwargs {} inside inbound_nodes, as Keras) */
static void tensor_ref(ck_json_writer *w, const ck_sym *x, const char *in_model, int with_kwargs)
{
    ck_json_begin_array(w);
    ck_json_string(w, x->layer->name);
    ck_json_int(w, node_index(x, in_model));
    ck_json_int(w, x->tensor_index);
    if (with_kwargs) {
        ck_json_begin_object(w);
        ck_json_end_object(w);
    }
    ck_json_end_array(w);
}

static int write_layer(ck_json_writer *w, const ck_layer *l, const char *in_model)
{
    ck_json_begin_object(w);
    ck_json_key(w, "class_name");
    ck_json_string(w, l->cls->type);
    ck_json_key(w, "config");
    ck_json_begin_object(w);
    if (ck_layer_write_config(l, w)) return -1;
    ck_json_end_object(w);
    ck_json_key(w, "name");
    ck_json_string(w, l->name);
    ck_json_key(w, "inbound_nodes");
    ck_json_begin_array(w);
    for (ptrdiff_t c = 0; c < arrlen(l->calls); c++) {
        const ck_layer_call *call = &l->calls[c];
        if (!call->n_in || !in_model[call->out->id]) continue; /* an Input, or a call of another model */
        ck_json_begin_array(w);
        for (int k = 0; k < call->n_in; k++) tensor_ref(w, call->in[k], in_model, 1);
        ck_json_end_array(w);
    }
    ck_json_end_array(w);
    ck_json_end_object(w);
    return 0;
}

static void write_io(ck_json_writer *w, const char *key, ck_sym *const *syms, int n, const char *in_model)
{
    ck_json_key(w, key);
    ck_json_begin_array(w);
    for (int i = 0; i < n; i++) tensor_ref(w, syms[i], in_model, 0);
    ck_json_end_array(w);
}

char *ck_model_to_json(const ck_model *m)
{
    if (!m) {
        ck_fail("to_json: model is NULL");
        return NULL;
    }
    char *in_model = model_tensors(m);
    if (!in_model) {
        ck_fail("to_json: out of memory");
        return NULL;
    }
    ck_json_writer w;
    ck_json_writer_init(&w);
    ck_json_begin_object(&w);
    ck_json_key(&w, "class_name");
    ck_json_string(&w, "Functional");
    ck_json_key(&w, "config");
    ck_json_begin_object(&w);
    ck_json_key(&w, "name");
    ck_json_string(&w, m->name);
    ck_json_key(&w, "layers");
    ck_json_begin_array(&w);
    int rc = 0;
    for (int i = 0; i < m->n_layers && !rc; i++) rc = write_layer(&w, m->layers[i], in_model);
    ck_json_end_array(&w);
    write_io(&w, "input_layers", m->inputs, m->n_in, in_model);
    write_io(&w, "output_layers", m->outputs, m->n_out, in_model);
    ck_json_end_object(&w);
    ck_json_key(&w, "backend");
    ck_json_string(&w, "ckeras");
    ck_json_end_object(&w);
    free(in_model);
    char *text = rc ? NULL : ck_json_writer_take(&w);
    ck_json_writer_free(&w);
    if (!text) {
        if (!rc) ck_fail("out of memory");
        ck_error_prefix("to_json: model '%s': ", m->name);
    }
    return text;
}

int ck_save_model(const ck_model *m, const char *path) { return ck_save_model_meta(m, path, NULL, NULL, 0); }

int ck_save_model_meta(const ck_model *m, const char *path, const char *const *meta_keys,
                       const char *const *meta_values, int n_meta)
{
    enum { N_OWN = 2, MAX_EXTRA = 64 };
    if (!m || !path) return ck_fail("save_model: NULL %s", m ? "path" : "model");
    if (n_meta < 0 || n_meta > MAX_EXTRA || (n_meta > 0 && (!meta_keys || !meta_values)))
        return ck_fail("save_model: bad metadata (%d entries, at most %d)", n_meta, MAX_EXTRA);
    char *config = ck_model_to_json(m);
    if (!config) {
        ck_error_prefix("save_model: ");
        return -1;
    }
    /* the seed: a loaded model shuffles and drops out from the same stream */
    char seed[32];
    snprintf(seed, sizeof seed, "%" PRIu64, m->session->seed);
    const char *keys[N_OWN + MAX_EXTRA] = {CK_MODEL_CONFIG_KEY, CK_MODEL_SEED_KEY};
    const char *values[N_OWN + MAX_EXTRA] = {config, seed};
    for (int i = 0; i < n_meta; i++) {
        keys[N_OWN + i] = meta_keys[i];
        values[N_OWN + i] = meta_values[i];
    }
    int rc = ck_model_save_tensors(m, path, keys, values, N_OWN + n_meta, "save_model");
    free(config);
    return rc;
}
