/* onnx_export.c - ck_export_onnx: trace the model, translate every node the
 * outputs depend on through its op's onnx function, write the graph.
 *
 * The model is traced twice, on 2 and on 3 rows: the dims that differ are
 * the ones that follow the batch size. That is how a Reshape keeps the
 * batch dynamic (0 or -1 in its target), how outputs get their "batch"
 * dim, and how a constant that was built for one batch size (which the
 * file could not hold for every batch) is found and refused. */
#include <stdlib.h>
#include <string.h>
/* stb_ds's maps with pointer keys spell GNU C's typeof, which strict C11
 * (-std=c11) only accepts as __typeof__. */
#if defined(__GNUC__) && !defined(typeof)
#define typeof __typeof__
#endif
#include <stb_ds.h>

#include "ck_io.h"
#include "onnx_internal.h"

enum { TRACE_BATCH = 2, CHECK_BATCH = 3 };

typedef struct node_info {
    const char *name; /* the ONNX value name, once known */
    unsigned batch;   /* bit d: dim d follows the batch size */
    int tape_index;   /* in the traces, or -1 for leaves */
    int live;         /* an output depends on it */
} node_info;

/* A set of names (stb_ds string map); value: the next suffix to try. */
typedef struct name_entry {
    char *key;
    int value;
} name_entry;

typedef struct exporter {
    ck_onnx_emitter e; /* what the translations see; e.impl points back here */
    ck_model *m;
    ck_onnx_graph *g;
    ck_trace a, b; /* on TRACE_BATCH and on CHECK_BATCH rows */
    struct {
        ck_node *key;
        node_info value;
    } * info;               /* every node of trace a met so far */
    name_entry *values;     /* value names in use (inputs, initializers, results) */
    name_entry *node_names; /* node names in use */
    name_entry *produced;   /* values some input, initializer or node has made */
    const ck_layer *layer;  /* whose nodes are being translated */
} exporter;

static node_info *info_of(exporter *x, const ck_node *n)
{
    ptrdiff_t i = hmgeti(x->info, (ck_node *)n);
    return i < 0 ? NULL : &x->info[i].value;
}

/* base, or base_1, base_2, ...: the first not yet in *map, now in it. */
static const char *unique_in(exporter *x, name_entry **map, const char *base)
{
    size_t size = strlen(base) + 24;
    char *name = malloc(size);
    if (!name) {
        ck_fail("out of memory");
        return NULL;
    }
    snprintf(name, size, "%s", base);
    if (shgeti(*map, base) >= 0) {
        int k = shget(*map, base);
        do snprintf(name, size, "%s_%d", base, k++);
        while (shgeti(*map, name) >= 0);
        shput(*map, base, k);
    }
    shput(*map, name, 1);
    char *kept = ck_onnx_graph_strdup(x->g, name);
    free(name);
    return kept;
}

/* "<layer>/<what>", unique in *map. */
static const char *layer_name(exporter *x, name_entry **map, const char *what)
{
    const char *layer = x->layer ? x->layer->name : ck_model_name(x->m);
    size_t size = strlen(layer) + strlen(what) + 2;
    char *base = malloc(size);
    if (!base) {
        ck_fail("out of memory");
        return NULL;
    }
    snprintf(base, size, "%s/%s", layer, what);
    const char *name = unique_in(x, map, base);
    free(base);
    return name;
}

/* ---- the emitter the translations call (ck_autograd.h) ---- */

static int em_node(ck_onnx_emitter *e, const char *op_type, const char *const *in, int n_in, const char *const *out,
                   int n_out, const ck_onnx_attr *attrs, int n_attrs)
{
    exporter *x = e->impl;
    if (n_in < 0 || n_out < 1 || (n_in && !in) || !out || (n_attrs && !attrs))
        return ck_fail("node %s: bad inputs, outputs or attributes", op_type);
    for (int i = 0; i < n_in; i++)
        if (!in[i] || (in[i][0] && shgeti(x->produced, in[i]) < 0))
            return ck_fail("node %s: input %d ('%s') is not a value of the graph so far", op_type, i,
                           in[i] ? in[i] : "(NULL)");
    for (int i = 0; i < n_out; i++)
        if (!out[i] || shgeti(x->produced, out[i]) >= 0)
            return ck_fail("node %s: output %d ('%s') is %s", op_type, i, out[i] ? out[i] : "(NULL)",
                           out[i] ? "already a value of the graph" : "NULL");
    const char *name = layer_name(x, &x->node_names, op_type);
    if (!name || ck_onnx_graph_node(x->g, name, op_type, in, n_in, out, n_out, attrs, n_attrs) < 0) return -1;
    for (int i = 0; i < n_out; i++) shput(x->produced, out[i], 1);
    return 0;
}

static const char *em_constant(ck_onnx_emitter *e, const char *hint, ck_onnx_type type, const int64_t *dims, int ndim,
                               const void *data)
{
    exporter *x = e->impl;
    if (ndim < 0 || (ndim && !dims) || !data) {
        ck_fail("constant '%s': bad dims or data", hint ? hint : "");
        return NULL;
    }
    const char *name = layer_name(x, &x->values, hint ? hint : "const");
    if (!name || ck_onnx_graph_initializer(x->g, name, type, dims, ndim, data, 1) < 0) return NULL;
    shput(x->produced, name, 1);
    return name;
}

static const char *em_value(ck_onnx_emitter *e, const char *hint)
{
    exporter *x = e->impl;
    return layer_name(x, &x->values, hint ? hint : "value");
}

static unsigned em_batch_dims(ck_onnx_emitter *e, const ck_node *n)
{
    const node_info *ni = info_of(e->impl, n);
    return ni ? ni->batch : 0;
}

/* ---- the traces: which node is which, which dims follow the batch ---- */

static int step_of(const exporter *x, int tape_index)
{
    int s = 0;
    while (s < x->m->n_steps - 1 && x->a.step_end[s] <= tape_index) s++;
    return s;
}

static int differ(const char *what)
{
    return ck_fail("the model %s on a batch of %d and on a batch of %d: its graph depends on the batch size, which an "
                   "ONNX graph cannot",
                   what, TRACE_BATCH, CHECK_BATCH);
}

/* Bits of the dims where a and b differ; -1 if their ranks differ. */
static int batch_bits(ck_shape a, ck_shape b)
{
    if (a.ndim != b.ndim) return -1;
    int bits = 0;
    for (int d = 0; d < a.ndim; d++)
        if (a.d[d] != b.d[d]) bits |= 1 << d;
    return bits;
}

/* An input of node k that is not on the tape: a model input, a weight, or
 * a constant made inside a layer (which must not follow the batch size). */
static int add_leaf(exporter *x, int k, ck_node *leaf, const ck_node *twin)
{
    if (info_of(x, leaf)) return 0;
    node_info ni = {NULL, 0, -1, 0};
    if (!leaf->is_param) {
        int bits = batch_bits(leaf->value.shape, twin->value.shape);
        if (bits != 0) {
            char s[64];
            const ck_layer *l = x->m->steps[step_of(x, k)].layer;
            return ck_fail("layer '%s' (%s): a constant of shape %s is made for the batch it runs on; an ONNX graph "
                           "has one value for every batch size: compute it from the layer's inputs with ops",
                           l->name, l->cls->type, ck_shape_str(leaf->value.shape, s, sizeof s));
        }
    }
    hmput(x->info, leaf, ni);
    return 0;
}

static int match_traces(exporter *x)
{
    ck_model *m = x->m;
    int n = ck_tape_size(x->a.tape);
    if (n != ck_tape_size(x->b.tape)) return differ("records a different number of ops");
    for (int s = 0; s < m->n_steps; s++)
        if (x->a.step_end[s] != x->b.step_end[s]) return differ("records a different number of ops");
    for (int i = 0; i < m->n_in; i++) {
        node_info ni = {m->inputs[i]->layer->name, 1u, -1, 0};
        hmput(x->info, x->a.inputs[i], ni);
    }
    for (int k = 0; k < n; k++) {
        ck_node *na = ck_tape_node(x->a.tape, k), *nb = ck_tape_node(x->b.tape, k);
        int bits = batch_bits(na->value.shape, nb->value.shape);
        if (na->op != nb->op || na->n_in != nb->n_in || bits < 0) return differ("records different ops");
        for (int j = 0; j < na->n_in; j++)
            if (!info_of(x, na->in[j]) && add_leaf(x, k, na->in[j], nb->in[j]) < 0) return -1;
        node_info ni = {NULL, (unsigned)bits, k, 0};
        hmput(x->info, na, ni);
    }
    return 0;
}

/* What the outputs depend on: creation order is topological, so one
 * backward pass over the tape finds it. Everything else (a mask nobody
 * uses, a branch the outputs do not need) is left out of the file. */
static void mark_live(exporter *x)
{
    for (int i = 0; i < x->m->n_out; i++) {
        node_info *ni = info_of(x, x->a.outputs[i]);
        if (ni) ni->live = 1;
    }
    for (int k = ck_tape_size(x->a.tape) - 1; k >= 0; k--) {
        ck_node *n = ck_tape_node(x->a.tape, k);
        if (!info_of(x, n)->live) continue;
        for (int j = 0; j < n->n_in; j++) {
            node_info *ni = info_of(x, n->in[j]);
            if (ni) ni->live = 1;
        }
    }
}

/* ---- names, inputs, outputs ---- */

/* The ONNX name of a leaf or of a node already translated; a weight or a
 * constant becomes an initializer the first time it is asked for. */
static const char *value_name(exporter *x, const ck_node *n)
{
    node_info *ni = info_of(x, n);
    if (!ni) {
        ck_fail("internal: a node of the trace was not registered");
        return NULL;
    }
    if (ni->name) return ni->name;
    if (ni->tape_index >= 0) {
        ck_fail("internal: node %d is used before it is translated", ni->tape_index);
        return NULL;
    }
    ck_shape s = n->value.shape;
    int64_t dims[CK_MAX_DIMS];
    for (int d = 0; d < s.ndim; d++) dims[d] = s.d[d];
    /* a weight of the model is named as ours ("dense/kernel"), reserved up
     * front; a weight from elsewhere gets its name made unique */
    const char *name;
    if (n->is_param && n->name)
        name = shgeti(x->values, n->name) >= 0 && shgeti(x->produced, n->name) < 0 ? ck_onnx_graph_strdup(x->g, n->name)
                                                                                   : unique_in(x, &x->values, n->name);
    else
        name = layer_name(x, &x->values, "const");
    if (!name || ck_onnx_graph_initializer(x->g, name, ck_onnx_type_of(n->value.dtype), dims, s.ndim, n->value.data,
                                           !n->is_param) < 0)
        return NULL;
    shput(x->produced, name, 1);
    ni->name = name;
    return name;
}

/* dims for a graph input or output: the batch-sized ones symbolic. */
static int graph_dims(const exporter *x, const ck_node *n, unsigned batch, int64_t *dims)
{
    ck_shape s = n->value.shape;
    for (int d = 0; d < s.ndim; d++)
        dims[d] = !(batch & (1u << d)) ? s.d[d] : s.d[d] == x->a.batch ? CK_ONNX_DIM_BATCH : CK_ONNX_DIM_UNKNOWN;
    return s.ndim;
}

static int add_inputs(exporter *x)
{
    for (int i = 0; i < x->m->n_in; i++) {
        const ck_node *n = x->a.inputs[i];
        int64_t dims[CK_MAX_DIMS];
        int ndim = graph_dims(x, n, 1u, dims);
        const char *name = x->m->inputs[i]->layer->name;
        if (shgeti(x->values, name) >= 0) return ck_fail("two inputs are named '%s'", name);
        shput(x->values, name, 1);
        shput(x->produced, name, 1);
        if (ck_onnx_graph_input(x->g, name, ck_onnx_type_of(n->value.dtype), dims, ndim) < 0) return -1;
    }
    return 0;
}

/* Names of the outputs (their layers' names), reserved before anything
 * else is named; the node computing an output writes it under that name
 * directly. The weights' names are reserved too, so they stay ours. */
static int reserve_names(exporter *x, const char **out_names)
{
    ck_model *m = x->m;
    for (int i = 0; i < m->n_out; i++) {
        x->layer = NULL;
        out_names[i] = unique_in(x, &x->values, m->outputs[i]->layer->name);
        if (!out_names[i]) return -1;
        node_info *ni = info_of(x, x->a.outputs[i]);
        if (ni && ni->tape_index >= 0 && !ni->name) ni->name = out_names[i];
    }
    for (int i = 0; i < m->n_params; i++)
        if (m->params[i]->name && shgeti(x->values, m->params[i]->name) < 0) shput(x->values, m->params[i]->name, 1);
    return 0;
}

static int add_outputs(exporter *x, const char *const *out_names)
{
    for (int i = 0; i < x->m->n_out; i++) {
        const ck_node *n = x->a.outputs[i];
        x->layer = x->m->outputs[i]->layer;
        const char *from = value_name(x, n);
        if (!from) return -1;
        if (strcmp(from, out_names[i]) && em_node(&x->e, "Identity", &from, 1, &out_names[i], 1, NULL, 0) < 0)
            return -1;
        int64_t dims[CK_MAX_DIMS];
        int ndim = graph_dims(x, n, info_of(x, n)->batch, dims);
        if (ck_onnx_graph_output(x->g, out_names[i], ck_onnx_type_of(n->value.dtype), dims, ndim) < 0) return -1;
    }
    return 0;
}

/* ---- translation ---- */

static int translate_node(exporter *x, ck_node *n)
{
    const ck_layer *l = x->layer;
    const char *op = n->op->name ? n->op->name : "(unnamed)";
    if (!n->op->onnx)
        return ck_fail("layer '%s' (%s): op '%s' has no ONNX translation. Give its ck_op row an onnx function that "
                       "adds the ONNX nodes computing it (docs/autograd.md, \"Exporting an op to ONNX\")",
                       l->name, l->cls->type, op);
    const char *stack_in[8], **in = n->n_in <= 8 ? stack_in : malloc(sizeof *in * (size_t)n->n_in);
    if (!in) return ck_fail("out of memory");
    int rc = 0;
    for (int j = 0; j < n->n_in && !rc; j++)
        if (!(in[j] = value_name(x, n->in[j]))) rc = -1;
    node_info *ni = info_of(x, n);
    if (!rc && !ni->name && !(ni->name = layer_name(x, &x->values, op))) rc = -1;
    if (!rc && n->op->onnx(&x->e, n, in, ni->name) < 0) rc = -1;
    if (!rc && shgeti(x->produced, ni->name) < 0)
        rc = ck_fail("the translation added no node computing its result '%s'", ni->name);
    if (in != stack_in) free((void *)in);
    if (rc) ck_error_prefix("layer '%s' (%s): op '%s': ", l->name, l->cls->type, op);
    return rc;
}

static int translate(exporter *x)
{
    for (int s = 0, k = 0; s < x->m->n_steps; s++) {
        x->layer = x->m->steps[s].layer;
        for (; k < x->a.step_end[s]; k++) {
            ck_node *n = ck_tape_node(x->a.tape, k);
            if (info_of(x, n)->live && translate_node(x, n) < 0) return -1;
        }
    }
    return 0;
}

/* ---- ck_export_onnx ---- */

static int check_args(const ck_model *m, const char *path, const ck_onnx_options *o, int *opset)
{
    if (!m) return ck_fail("export_onnx: model is NULL");
    if (!path || !*path) return ck_fail("export_onnx: %s path", path ? "empty" : "NULL");
    *opset = o && o->opset ? o->opset : CK_ONNX_DEFAULT_OPSET;
    if (*opset < CK_ONNX_MIN_OPSET || *opset > CK_ONNX_MAX_OPSET)
        return ck_fail("export_onnx: opset %d is not in [%d, %d]", *opset, CK_ONNX_MIN_OPSET, CK_ONNX_MAX_OPSET);
    /* a path that cannot be written is refused before the model is traced */
    if (ck_io_check_output_path(path) < 0) {
        ck_error_prefix("export_onnx: ");
        return -1;
    }
    return 0;
}

static int export_graph(exporter *x, const char *path, const ck_onnx_options *o)
{
    const char **out_names = calloc((size_t)x->m->n_out, sizeof *out_names);
    if (!out_names) return ck_fail("out of memory");
    int rc = ck_trace_model(x->m, TRACE_BATCH, &x->a) || ck_trace_model(x->m, CHECK_BATCH, &x->b) || match_traces(x);
    if (!rc) {
        mark_live(x);
        rc = add_inputs(x) || reserve_names(x, out_names) || translate(x) || add_outputs(x, out_names) ||
             ck_onnx_graph_write(x->g, path, x->e.opset, ck_model_name(x->m), o ? o->doc_string : NULL);
    }
    free(out_names);
    return rc ? -1 : 0;
}

int ck_export_onnx(ck_model *m, const char *path, const ck_onnx_options *options)
{
    int opset = CK_ONNX_DEFAULT_OPSET;
    if (check_args(m, path, options, &opset) < 0) return -1;
    exporter x = {.e = {opset, em_node, em_constant, em_value, em_batch_dims, NULL}, .m = m};
    x.e.impl = &x;
    sh_new_strdup(x.values);
    sh_new_strdup(x.node_names);
    sh_new_strdup(x.produced);
    x.g = ck_onnx_graph_new();
    int rc = x.g ? export_graph(&x, path, options) : -1;
    if (rc) ck_error_prefix("export_onnx: model '%s': ", m->name);
    ck_trace_free(&x.a);
    ck_trace_free(&x.b);
    hmfree(x.info);
    shfree(x.values);
    shfree(x.node_names);
    shfree(x.produced);
    ck_onnx_graph_free(x.g);
    return rc;
}

int ck_onnx_available(void) { return 1; }
