/* onnx_internal.h - what the ONNX exporter's files share (not installed):
 * the trace of a model (onnx_trace.c) and the graph under construction
 * (onnx_graph.c). */
#ifndef CK_ONNX_INTERNAL_H
#define CK_ONNX_INTERNAL_H

#include "ck_model_internal.h"
#include "ck_onnx.h"

/* ---- onnx_trace.c: the model run once on a small batch, every node recorded ---- */
typedef struct ck_trace {
    ck_tape *tape;         /* the recorded nodes, in creation order */
    int batch;             /* rows traced */
    int n_in;              /* the model's inputs */
    ck_tensor *input_data; /* m->n_in tensors (batch, ...): zeros for ids, ones for floats */
    ck_node **inputs;      /* m->n_in: the inputs' constant nodes */
    ck_node **outputs;     /* m->n_out: the outputs' nodes (any kind) */
    int *step_end;         /* m->n_steps: the tape's size after call i */
} ck_trace;

/* Trace m on `batch` rows (gradients off, every node recorded). */
int ck_trace_model(ck_model *m, int batch, ck_trace *tr);
void ck_trace_free(ck_trace *tr);

/* ---- onnx_graph.c: the ONNX graph under construction (protobuf inside) ---- */
typedef struct ck_onnx_graph ck_onnx_graph;
/* Dims of graph inputs and outputs: a size, or one of these. */
enum { CK_ONNX_DIM_BATCH = -1, CK_ONNX_DIM_UNKNOWN = -2 };
#define CK_ONNX_BATCH_PARAM "batch" /* the name of the dynamic batch dim */

ck_onnx_graph *ck_onnx_graph_new(void);
void ck_onnx_graph_free(ck_onnx_graph *g);
/* A copy of s that lives as long as g. */
char *ck_onnx_graph_strdup(ck_onnx_graph *g, const char *s);
int ck_onnx_graph_node(ck_onnx_graph *g, const char *name, const char *op_type, const char *const *in, int n_in,
                       const char *const *out, int n_out, const ck_onnx_attr *attrs, int n_attrs);
/* copy 0: data is only pointed at, and must outlive ck_onnx_graph_write. */
int ck_onnx_graph_initializer(ck_onnx_graph *g, const char *name, ck_onnx_type type, const int64_t *dims, int ndim,
                              const void *data, int copy);
int ck_onnx_graph_input(ck_onnx_graph *g, const char *name, ck_onnx_type type, const int64_t *dims, int ndim);
int ck_onnx_graph_output(ck_onnx_graph *g, const char *name, ck_onnx_type type, const int64_t *dims, int ndim);
/* The model (opset, producer "ckeras", the graph) written atomically to path. */
int ck_onnx_graph_write(ck_onnx_graph *g, const char *path, int opset, const char *graph_name, const char *doc);

#endif
