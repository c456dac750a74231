/* onnx_trace.c - run a model once on a small batch with every node recorded:
 * what the exporter translates. Each call (layer step) is traced apart, so
 * the tape's nodes can be told by the layer that made them. */
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

/* Input values: zeros for ids (row 0 exists in every Embedding), ones for
 * floats. Any values would do: tracing reads shapes and ops, not numbers. */
static int make_inputs(const ck_model *m, int batch, ck_trace *tr)
{
    tr->input_data = calloc((size_t)m->n_in, sizeof *tr->input_data);
    if (!tr->input_data) return ck_fail("out of memory");
    tr->n_in = m->n_in;
    for (int i = 0; i < m->n_in; i++) {
        ck_shape s = m->inputs[i]->shape;
        s.d[0] = batch;
        ck_tensor *t = ck_tensor_new(m->inputs[i]->dtype, s);
        if (!t) return -1;
        tr->input_data[i] = *t; /* the data is owned by input_data[i] now */
        free(t);
        if (tr->input_data[i].dtype == CK_F32)
            for (int64_t k = 0; k < tr->input_data[i].size; k++) tr->input_data[i].f[k] = 1.0f;
    }
    return 0;
}

int ck_trace_model(ck_model *m, int batch, ck_trace *tr)
{
    memset(tr, 0, sizeof *tr);
    tr->batch = batch;
    tr->tape = ck_tape_new();
    tr->inputs = calloc((size_t)m->n_in, sizeof *tr->inputs);
    tr->outputs = calloc((size_t)m->n_out, sizeof *tr->outputs);
    tr->step_end = calloc((size_t)(m->n_steps ? m->n_steps : 1), sizeof *tr->step_end);
    if (!tr->tape || !tr->inputs || !tr->outputs || !tr->step_end) return ck_fail("out of memory");
    if (make_inputs(m, batch, tr) < 0) return -1;
    ck_tape_set_grad(tr->tape, 0);
    ck_tape_set_record_all(tr->tape, 1);
    for (int i = 0; i < m->n_in; i++) {
        tr->inputs[i] = ck_const(tr->tape, &tr->input_data[i]);
        if (!tr->inputs[i]) return -1;
        m->values[m->input_slots[i]] = tr->inputs[i];
        m->masks[m->input_slots[i]] = NULL;
    }
    for (int i = 0; i < m->n_steps; i++) {
        if (ck_model_run_step(m, tr->tape, i, 0) < 0) return -1;
        tr->step_end[i] = ck_tape_size(tr->tape);
    }
    for (int i = 0; i < m->n_out; i++) tr->outputs[i] = m->values[m->output_slots[i]];
    return 0;
}

void ck_trace_free(ck_trace *tr)
{
    for (int i = 0; tr->input_data && i < tr->n_in; i++) free(tr->input_data[i].data);
    free(tr->input_data);
    ck_tape_free(tr->tape);
    free(tr->inputs);
    free(tr->outputs);
    free(tr->step_end);
    memset(tr, 0, sizeof *tr);
}
