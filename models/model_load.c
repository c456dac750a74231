/* model_load.c - keras.models.load_model: a model rebuilt from the layer
 * graph that ck_save_model stored in a safetensors file's "__metadata__",
 * in a new session, then given the file's weights.
 *
 * As Keras's functional from_config: every layer is made from its config,
 * then each layer's inbound nodes are called in order, a node waiting
 * until the tensors it takes exist (a layer's nodes may need tensors of
 * layers listed after it). The file is untrusted: the JSON reader is
 * bounds-checked, every name and index is checked before use, the layers
 * may create no more weight values than the file holds, and shape
 * inference runs under a memory limit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stb_ds.h>

#include "ck_model_internal.h"

/* Limits for a file: far above real models, low enough that a hostile file
 * cannot make the loader recurse deeply or run for long. */
enum { MAX_LAYERS = 4096, MAX_NODES = 4096, MAX_MODEL_IO = 1024, MAX_CALL_INPUTS = 64 };
/* Memory that inferring the shapes of one layer call may use. */
#define SHAPE_INFERENCE_LIMIT ((size_t)256 << 20)

typedef struct loaded_layer {
    const char *name;
    ck_layer *layer;
    const ck_json *nodes; /* inbound_nodes: one list of tensor references per call */
    int n_done;           /* calls made so far */
    ck_sym **outs;        /* output of call k, k < n_done */
} loaded_layer;

typedef struct loader {
    ck_session *s;
    const ck_registry *reg;
    int n_layers;
    loaded_layer *layers;
    struct {
        char *key;
        int value;
    } * by_name; /* stb_ds string map: layer name -> index */
} loader;

static void loader_free(loader *ld)
{
    for (int i = 0; i < ld->n_layers; i++) free(ld->layers[i].outs);
    free(ld->layers);
    shfree(ld->by_name);
}

/* Make every layer from its config. */
static int make_layers(loader *ld, const ck_json *layers)
{
    if (!layers || layers->type != CK_JSON_ARRAY) return ck_fail("config: 'layers' must be a list");
    if (layers->n > MAX_LAYERS) return ck_fail("config: %d layers, at most %d", layers->n, MAX_LAYERS);
    ld->layers = calloc((size_t)layers->n + 1, sizeof *ld->layers);
    if (!ld->layers) return ck_fail("out of memory");
    sh_new_strdup(ld->by_name);
    int total_nodes = 0;
    for (int i = 0; i < layers->n; i++) {
        const ck_json *entry = layers->items[i];
        const char *class_name = NULL;
        loaded_layer *ll = &ld->layers[ld->n_layers++];
        if (entry->type != CK_JSON_OBJECT || ck_cfg_require(entry, "class_name") ||
            ck_cfg_string(entry, "class_name", &class_name)) {
            if (!ck_error()) ck_fail("an object is expected");
            ck_error_prefix("layer %d: ", i);
            return -1;
        }
        ll->layer = ck_layer_from_config(ld->s, class_name, ck_json_get(entry, "config"), ld->reg);
        if (!ll->layer) return -1;
        ll->name = ll->layer->name;
        if (shgeti(ld->by_name, ll->name) >= 0) return ck_fail("two layers are named '%s'", ll->name);
        shput(ld->by_name, ll->name, i);
        ll->nodes = ck_json_get(entry, "inbound_nodes");
        int n_nodes = ll->nodes && ll->nodes->type == CK_JSON_ARRAY ? ll->nodes->n : 0;
        if (ll->nodes && ll->nodes->type != CK_JSON_ARRAY)
            return ck_fail("layer '%s': 'inbound_nodes' must be a list", ll->name);
        int is_input = ll->layer->cls == &ck_input_layer_class;
        if (is_input ? n_nodes != 0 : n_nodes == 0)
            return ck_fail("layer '%s': %s", ll->name,
                           is_input ? "an InputLayer has no inbound nodes" : "the layer is never called");
        if ((total_nodes += n_nodes) > MAX_NODES) return ck_fail("more than %d layer calls", MAX_NODES);
        ll->outs = calloc((size_t)(is_input ? 1 : n_nodes), sizeof(ck_sym *));
        if (!ll->outs) return ck_fail("out of memory");
        if (is_input) ll->outs[ll->n_done++] = ll->layer->calls[0].out;
    }
    return 0;
}

/* A tensor reference [layer_name, node_index, tensor_index, ...]: 1 and
 * *out when that tensor exists, 0 when its node is still to be made, -1
 * (message) when the reference is bad. */
static int resolve(loader *ld, const ck_json *ref, ck_sym **out)
{
    const char *name = ck_json_as_string(ck_json_at(ref, 0));
    long long node, tensor;
    if (!ref || ref->type != CK_JSON_ARRAY || ref->n < 3 || ref->n > 4 || !name ||
        !ck_json_as_int(ref->items[1], 0, MAX_NODES, &node) || !ck_json_as_int(ref->items[2], 0, 0, &tensor))
        return ck_fail("a tensor reference must be [layer_name, node_index, 0]");
    ptrdiff_t k = shgeti(ld->by_name, name);
    if (k < 0) return ck_fail("refers to a layer '%.64s' that the file does not have", name);
    const loaded_layer *src = &ld->layers[ld->by_name[k].value];
    int n_nodes = src->layer->cls == &ck_input_layer_class ? 1 : src->nodes->n;
    if (node >= n_nodes) return ck_fail("refers to node %lld of layer '%s', which has %d", node, src->name, n_nodes);
    if (node >= src->n_done) return 0;
    *out = src->outs[node];
    return 1;
}

/* Make layer ll's next call if its inputs exist: 1 made, 0 not yet, -1 error. */
static int try_next_call(loader *ld, loaded_layer *ll)
{
    const ck_json *node = ll->nodes->items[ll->n_done];
    ck_sym *in[MAX_CALL_INPUTS];
    if (node->type != CK_JSON_ARRAY || node->n < 1 || node->n > MAX_CALL_INPUTS)
        return ck_fail("layer '%s': node %d must be a list of 1 to %d tensor references", ll->name, ll->n_done,
                       MAX_CALL_INPUTS);
    for (int k = 0; k < node->n; k++) {
        int rc = resolve(ld, node->items[k], &in[k]);
        if (rc < 0) ck_error_prefix("layer '%s': node %d: ", ll->name, ll->n_done);
        if (rc <= 0) return rc;
    }
    ck_sym *out = ck_call(ll->layer, in, node->n);
    if (!out) return -1;
    ll->outs[ll->n_done++] = out;
    return 1;
}

/* Call every node in order, in passes, until all are made. */
static int make_calls(loader *ld)
{
    int pending = 1;
    while (pending) {
        int progress = 0;
        pending = 0;
        for (int i = 0; i < ld->n_layers; i++) {
            loaded_layer *ll = &ld->layers[i];
            while (ll->layer->cls != &ck_input_layer_class && ll->n_done < ll->nodes->n) {
                int rc = try_next_call(ld, ll);
                if (rc < 0) return -1;
                if (rc == 0) {
                    pending = 1;
                    break;
                }
                progress = 1;
            }
        }
        if (pending && !progress) {
            for (int i = 0; i < ld->n_layers; i++) {
                const loaded_layer *ll = &ld->layers[i];
                if (ll->layer->cls != &ck_input_layer_class && ll->n_done < ll->nodes->n)
                    return ck_fail("layer '%s': node %d waits for tensors that are never made (a cycle?)", ll->name,
                                   ll->n_done);
            }
        }
    }
    return 0;
}

/* input_layers / output_layers: [[layer_name, node_index, 0], ...] */
static int model_tensors(loader *ld, const ck_json *config, const char *key, ck_sym ***out, int *n)
{
    const ck_json *refs = ck_json_get(config, key);
    if (!refs || refs->type != CK_JSON_ARRAY || refs->n < 1 || refs->n > MAX_MODEL_IO)
        return ck_fail("config: '%s' must be a list of 1 to %d tensor references", key, MAX_MODEL_IO);
    *out = calloc((size_t)refs->n, sizeof(ck_sym *));
    if (!*out) return ck_fail("out of memory");
    *n = refs->n;
    for (int i = 0; i < refs->n; i++) {
        int rc = resolve(ld, refs->items[i], &(*out)[i]); /* 0 cannot happen: every node is made */
        if (rc <= 0) {
            ck_error_prefix("config: '%s' entry %d: ", key, i);
            return -1;
        }
    }
    return 0;
}

/* The model in the architecture JSON, made in ld->s. */
static ck_model *build_model(loader *ld, const ck_json *arch)
{
    const char *class_name = NULL, *name = NULL;
    const ck_json *config = ck_json_get(arch, "config");
    if (!arch || arch->type != CK_JSON_OBJECT || ck_cfg_string(arch, "class_name", &class_name) || !config ||
        config->type != CK_JSON_OBJECT || ck_cfg_string(config, "name", &name)) {
        if (!ck_error()) ck_fail("the architecture must be {\"class_name\": \"Functional\", \"config\": {...}}");
        return NULL;
    }
    if (!class_name || (strcmp(class_name, "Functional") && strcmp(class_name, "Model"))) {
        ck_fail("the architecture is a '%.32s'; only functional models (Functional) can be loaded",
                class_name ? class_name : "(no class_name)");
        return NULL;
    }
    ck_sym **inputs = NULL, **outputs = NULL;
    int n_in = 0, n_out = 0;
    ck_model *m = NULL;
    if (!make_layers(ld, ck_json_get(config, "layers")) && !make_calls(ld) &&
        !model_tensors(ld, config, "input_layers", &inputs, &n_in) &&
        !model_tensors(ld, config, "output_layers", &outputs, &n_out))
        m = ck_Model(ld->s, inputs, n_in, outputs, n_out, name);
    free(inputs);
    free(outputs);
    return m;
}

/* The seed saved with the model, or 0 for a file without one. */
static int read_seed(const ck_safetensors *st, uint64_t *seed)
{
    const char *text = ck_safetensors_meta(st, CK_MODEL_SEED_KEY);
    char *end = NULL;
    *seed = 0;
    if (!text) return 0;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    int rc =
        errno || end == text || *end || text[0] == '-' ? ck_fail("bad '%s' in the metadata", CK_MODEL_SEED_KEY) : 0;
    *seed = (uint64_t)v;
    return rc;
}

/* The model of the file st read from path, in a new session (*session,
 * also on failure). Messages start with "load_model: 'path': ". */
static ck_model *load(const char *path, const ck_safetensors *st, const ck_registry *reg, ck_session **session)
{
    uint64_t seed;
    ck_json *arch = NULL;
    const char *text = ck_safetensors_meta(st, CK_MODEL_CONFIG_KEY);
    if (!text)
        ck_fail("the file holds weights only (no '%s' in its metadata): build the model in code and call "
                "ck_load_weights",
                CK_MODEL_CONFIG_KEY);
    else
        arch = ck_json_parse(text, strlen(text));
    loader ld = {.s = arch && !read_seed(st, &seed) ? ck_session_new(seed) : NULL, .reg = reg};
    ck_model *m = NULL;
    if (ld.s) {
        ld.s->weight_budget = (int64_t)(st->data_size / sizeof(float));
        ck_tape_set_memory_limit(ld.s->scratch, SHAPE_INFERENCE_LIMIT);
        m = build_model(&ld, arch);
        ld.s->weight_budget = -1;
        ck_tape_set_memory_limit(ld.s->scratch, 0);
    }
    loader_free(&ld);
    ck_json_free(arch);
    *session = ld.s;
    if (!m) {
        ck_error_prefix("load_model: '%s': ", path);
        return NULL;
    }
    return ck_model_load_tensors(m, st, path, "load_model") ? NULL : m;
}

ck_model *ck_load_model(const char *path, const ck_registry *registry)
{
    if (!path) {
        ck_fail("load_model: path is NULL");
        return NULL;
    }
    ck_safetensors *st = ck_safetensors_load(path);
    if (!st) {
        ck_error_prefix("load_model: ");
        return NULL;
    }
    ck_session *s = NULL;
    ck_model *m = load(path, st, registry, &s);
    ck_safetensors_free(st);
    if (!m) ck_session_free(s);
    return m;
}
