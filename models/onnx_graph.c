/* onnx_graph.c - the ONNX graph under construction, as onnx.proto's messages
 * (compiled to C by protoc-c at build time), and writing it to a file. The
 * only file of the exporter that sees protobuf: the rest calls the
 * functions below with plain C values. Every message, array and string
 * comes from one arena, freed at once with the graph. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stb_ds.h>

#include "ck_io.h"
#include "onnx.pb-c.h"
#include "onnx_internal.h"

struct ck_onnx_graph {
    ck_arena arena;
    Onnx__NodeProto **nodes; /* stb_ds arrays, in the order added */
    Onnx__TensorProto **initializers;
    Onnx__ValueInfoProto **inputs, **outputs;
};

ck_onnx_graph *ck_onnx_graph_new(void)
{
    ck_onnx_graph *g = calloc(1, sizeof *g);
    if (!g) {
        ck_fail("out of memory");
        return NULL;
    }
    ck_arena_init(&g->arena);
    return g;
}

void ck_onnx_graph_free(ck_onnx_graph *g)
{
    if (!g) return;
    arrfree(g->nodes);
    arrfree(g->initializers);
    arrfree(g->inputs);
    arrfree(g->outputs);
    ck_arena_free(&g->arena);
    free(g);
}

static void *alloc(ck_onnx_graph *g, size_t bytes) { return ck_arena_calloc(&g->arena, bytes ? bytes : 1); }

char *ck_onnx_graph_strdup(ck_onnx_graph *g, const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = alloc(g, n);
    if (copy) memcpy(copy, s, n);
    return copy;
}

/* n strings copied into the arena, as protobuf-c's char ** fields hold them. */
static char **strings(ck_onnx_graph *g, const char *const *s, int n)
{
    char **out = alloc(g, sizeof *out * (size_t)n);
    for (int i = 0; out && i < n; i++)
        if (!(out[i] = ck_onnx_graph_strdup(g, s[i] ? s[i] : ""))) return NULL;
    return out;
}

static Onnx__AttributeProto *attribute(ck_onnx_graph *g, const ck_onnx_attr *a)
{
    Onnx__AttributeProto *p = alloc(g, sizeof *p);
    if (!p) return NULL;
    onnx__attribute_proto__init(p);
    if (!(p->name = ck_onnx_graph_strdup(g, a->name))) return NULL;
    p->has_type = 1;
    switch (a->kind) {
    case CK_ONNX_ATTR_INT:
        p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
        p->has_i = 1;
        p->i = a->i;
        return p;
    case CK_ONNX_ATTR_FLOAT:
        p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
        p->has_f = 1;
        p->f = a->f;
        return p;
    case CK_ONNX_ATTR_INTS:
        p->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
        p->n_ints = (size_t)a->n_ints;
        p->ints = alloc(g, sizeof *p->ints * (size_t)a->n_ints);
        if (!p->ints) return NULL;
        if (a->n_ints) memcpy(p->ints, a->ints, sizeof *p->ints * (size_t)a->n_ints);
        return p;
    }
    ck_fail("attribute '%s': unknown kind %d", a->name, (int)a->kind);
    return NULL;
}

int ck_onnx_graph_node(ck_onnx_graph *g, const char *name, const char *op_type, const char *const *in, int n_in,
                       const char *const *out, int n_out, const ck_onnx_attr *attrs, int n_attrs)
{
    Onnx__NodeProto *p = alloc(g, sizeof *p);
    if (!p) return -1;
    onnx__node_proto__init(p);
    p->name = ck_onnx_graph_strdup(g, name);
    p->op_type = ck_onnx_graph_strdup(g, op_type);
    p->n_input = (size_t)n_in;
    p->input = strings(g, in, n_in);
    p->n_output = (size_t)n_out;
    p->output = strings(g, out, n_out);
    p->n_attribute = (size_t)n_attrs;
    p->attribute = alloc(g, sizeof *p->attribute * (size_t)n_attrs);
    if (!p->name || !p->op_type || !p->input || !p->output || !p->attribute) return -1;
    for (int i = 0; i < n_attrs; i++)
        if (!(p->attribute[i] = attribute(g, &attrs[i]))) return -1;
    arrput(g->nodes, p);
    return 0;
}

static size_t element_bytes(ck_onnx_type type)
{
    switch (type) {
    case CK_ONNX_INT64: return sizeof(int64_t);
    case CK_ONNX_DOUBLE: return sizeof(double);
    case CK_ONNX_BOOL: return 1;
    case CK_ONNX_FLOAT:
    case CK_ONNX_INT32: break;
    }
    return sizeof(float);
}

/* The values go in the typed fields (float_data, int32_data, int64_data, double_data),
 * which protobuf encodes the same on any host; raw_data would be the host's
 * bytes, little-endian only. copy 0: point at data (it outlives the write). */
int ck_onnx_graph_initializer(ck_onnx_graph *g, const char *name, ck_onnx_type type, const int64_t *dims, int ndim,
                              const void *data, int copy)
{
    Onnx__TensorProto *p = alloc(g, sizeof *p);
    if (!p) return -1;
    onnx__tensor_proto__init(p);
    size_t count = 1;
    p->n_dims = (size_t)ndim;
    p->dims = alloc(g, sizeof *p->dims * (size_t)ndim);
    if (!p->dims || !(p->name = ck_onnx_graph_strdup(g, name))) return -1;
    for (int d = 0; d < ndim; d++) count *= (size_t)(p->dims[d] = dims[d]);
    p->has_data_type = 1;
    p->data_type = (int32_t)type;
    if (copy || type == CK_ONNX_BOOL) {
        void *mine = alloc(g, count * element_bytes(type));
        if (!mine) return -1;
        memcpy(mine, data, count * element_bytes(type));
        data = mine;
    }
    switch (type) {
    case CK_ONNX_FLOAT:
        p->n_float_data = count;
        p->float_data = (float *)data;
        break;
    case CK_ONNX_INT32:
        p->n_int32_data = count;
        p->int32_data = (int32_t *)data;
        break;
    case CK_ONNX_INT64:
        p->n_int64_data = count;
        p->int64_data = (int64_t *)data;
        break;
    case CK_ONNX_DOUBLE:
        p->n_double_data = count;
        p->double_data = (double *)data;
        break;
    case CK_ONNX_BOOL: { /* booleans travel in int32_data, one per element */
        int32_t *widened = alloc(g, sizeof *widened * count);
        if (!widened) return -1;
        for (size_t k = 0; k < count; k++) widened[k] = ((const unsigned char *)data)[k] != 0;
        p->n_int32_data = count;
        p->int32_data = widened;
        break;
    }
    default: return ck_fail("initializer '%s': unknown ONNX type %d", name, (int)type);
    }
    arrput(g->initializers, p);
    return 0;
}

/* A graph input or output: a tensor of `type` with dims, where
 * CK_ONNX_DIM_BATCH is the symbolic "batch" and CK_ONNX_DIM_UNKNOWN is left
 * open. */
static Onnx__ValueInfoProto *value_info(ck_onnx_graph *g, const char *name, ck_onnx_type type, const int64_t *dims,
                                        int ndim)
{
    Onnx__ValueInfoProto *v = alloc(g, sizeof *v);
    Onnx__TypeProto *t = alloc(g, sizeof *t);
    Onnx__TypeProto__Tensor *tt = alloc(g, sizeof *tt);
    Onnx__TensorShapeProto *shape = alloc(g, sizeof *shape);
    Onnx__TensorShapeProto__Dimension **dim = alloc(g, sizeof *dim * (size_t)ndim);
    if (!v || !t || !tt || !shape || !dim) return NULL;
    onnx__value_info_proto__init(v);
    onnx__type_proto__init(t);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(shape);
    for (int d = 0; d < ndim; d++) {
        if (!(dim[d] = alloc(g, sizeof *dim[d]))) return NULL;
        onnx__tensor_shape_proto__dimension__init(dim[d]);
        if (dims[d] == CK_ONNX_DIM_BATCH) {
            dim[d]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dim[d]->dim_param = ck_onnx_graph_strdup(g, CK_ONNX_BATCH_PARAM);
        } else if (dims[d] >= 0) {
            dim[d]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dim[d]->dim_value = dims[d];
        }
    }
    shape->n_dim = (size_t)ndim;
    shape->dim = dim;
    tt->has_elem_type = 1;
    tt->elem_type = (int32_t)type;
    tt->shape = shape;
    t->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    t->tensor_type = tt;
    v->type = t;
    v->name = ck_onnx_graph_strdup(g, name);
    return v->name ? v : NULL;
}

int ck_onnx_graph_input(ck_onnx_graph *g, const char *name, ck_onnx_type type, const int64_t *dims, int ndim)
{
    Onnx__ValueInfoProto *v = value_info(g, name, type, dims, ndim);
    if (!v) return -1;
    arrput(g->inputs, v);
    return 0;
}

int ck_onnx_graph_output(ck_onnx_graph *g, const char *name, ck_onnx_type type, const int64_t *dims, int ndim)
{
    Onnx__ValueInfoProto *v = value_info(g, name, type, dims, ndim);
    if (!v) return -1;
    arrput(g->outputs, v);
    return 0;
}

/* The IR version that goes with an opset (onnx's own version table):
 * opsets 13 and 14 came with IR 7, 15 to 17 with IR 8. */
enum { FIRST_OPSET_OF_IR8 = 15, IR_OF_OPSET_13 = 7, IR_OF_OPSET_15 = 8 };

int ck_onnx_graph_write(ck_onnx_graph *g, const char *path, int opset, const char *graph_name, const char *doc)
{
    Onnx__GraphProto graph = ONNX__GRAPH_PROTO__INIT;
    graph.name = (char *)graph_name;
    graph.n_node = (size_t)arrlen(g->nodes);
    graph.node = g->nodes;
    graph.n_initializer = (size_t)arrlen(g->initializers);
    graph.initializer = g->initializers;
    graph.n_input = (size_t)arrlen(g->inputs);
    graph.input = g->inputs;
    graph.n_output = (size_t)arrlen(g->outputs);
    graph.output = g->outputs;

    Onnx__OperatorSetIdProto onnx_domain = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    onnx_domain.domain = (char *)""; /* ai.onnx, the default domain */
    onnx_domain.has_version = 1;
    onnx_domain.version = opset;
    Onnx__OperatorSetIdProto *opsets[1] = {&onnx_domain};

    Onnx__ModelProto model = ONNX__MODEL_PROTO__INIT;
    model.has_ir_version = 1;
    model.ir_version = opset >= FIRST_OPSET_OF_IR8 ? IR_OF_OPSET_15 : IR_OF_OPSET_13;
    model.n_opset_import = 1;
    model.opset_import = opsets;
    model.producer_name = (char *)"ckeras";
    model.producer_version = (char *)CK_VERSION;
    model.doc_string = (char *)doc;
    model.graph = &graph;

    size_t n = onnx__model_proto__get_packed_size(&model);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) return ck_fail("out of memory (%zu bytes for the model)", n);
    onnx__model_proto__pack(&model, buf);
    /* atomically (ck_io.h): a unique temporary file renamed over path */
    int rc = ck_io_write_file(path, buf, n);
    free(buf);
    return rc;
}
