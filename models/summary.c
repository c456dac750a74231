/* summary.c - Keras 2's model.summary() table and plot_model's graph (as
 * Graphviz DOT, written atomically: ck_io.h). */
#include <stdio.h>
#include <string.h>
#include <stb_ds.h>

#include "ck_io.h"
#include "ck_model_internal.h"

/* ---- summary (Keras 2's print_summary for functional models) ---- */

enum { LINE_LENGTH = 98 };
static const int positions[4] = {32, 53, 65, 98}; /* int(98 * [.33, .55, .67, 1.]) */

/* Keras's print_row: each field is cut at its column's end, and the last
 * character before a new field is always a space. */
static void print_row(FILE *f, const char *const fields[4])
{
    char line[LINE_LENGTH + 1];
    int len = 0;
    for (int i = 0; i < 4; i++) {
        if (i > 0 && len > 0) line[len - 1] = ' ';
        for (const char *p = fields[i]; *p && len < positions[i]; p++) line[len++] = *p;
        while (len < positions[i]) line[len++] = ' ';
    }
    line[len] = 0;
    fprintf(f, "%s\n", line);
}

static void rule(FILE *f, char c)
{
    char line[LINE_LENGTH + 1];
    memset(line, c, LINE_LENGTH);
    line[LINE_LENGTH] = 0;
    fprintf(f, "%s\n", line);
}

/* "210,234" */
static char *with_commas(long v, char *buf, size_t n)
{
    char digits[32];
    int nd = snprintf(digits, sizeof digits, "%ld", v < 0 ? -v : v);
    size_t k = 0;
    if (v < 0 && k + 1 < n) buf[k++] = '-';
    for (int i = 0; i < nd && k + 2 < n; i++) {
        buf[k++] = digits[i];
        if ((nd - 1 - i) % 3 == 0 && i != nd - 1) buf[k++] = ',';
    }
    buf[k] = 0;
    return buf;
}

/* The layer's output shape, or "multiple" when its calls differ. */
static void layer_output_shape(const ck_layer *l, char *buf, size_t n)
{
    ck_shape first = l->calls[0].out->shape;
    for (ptrdiff_t i = 1; i < arrlen(l->calls); i++)
        if (!ck_shape_eq(l->calls[i].out->shape, first)) {
            snprintf(buf, n, "multiple");
            return;
        }
    char b[96];
    ck_shape_py(first, b, sizeof b);
    if (!strcmp(l->cls->type, "InputLayer"))
        snprintf(buf, n, "[%s]", b); /* tf.keras 2 lists them */
    else
        snprintf(buf, n, "%s", b);
}

static int call_in_model(const ck_model *m, const ck_sym *out)
{
    for (int i = 0; i < m->n_slots; i++)
        if (m->slot_syms[i] == out) return 1;
    return 0;
}

int ck_summary(const ck_model *m, FILE *f)
{
    if (!m || !f) return ck_fail("summary: NULL argument");
    fprintf(f, "Model: \"%s\"\n", m->name);
    rule(f, '_');
    const char *header[4] = {"Layer (type)", "Output Shape", "Param #", "Connected to"};
    print_row(f, header);
    rule(f, '=');
    for (int i = 0; i < m->n_layers; i++) {
        const ck_layer *l = m->layers[i];
        char name[256], shape[128], params[32], conn[300];
        snprintf(name, sizeof name, "%s (%s)", l->name, l->cls->type);
        layer_output_shape(l, shape, sizeof shape);
        snprintf(params, sizeof params, "%ld", ck_layer_count_params(l));
        int rows = 0;
        for (ptrdiff_t c = 0; c < arrlen(l->calls); c++) {
            if (!call_in_model(m, l->calls[c].out)) continue;
            for (int k = 0; k < l->calls[c].n_in; k++) {
                const ck_sym *in = l->calls[c].in[k];
                snprintf(conn, sizeof conn, "%s[%d][%d]", in->layer->name, in->call_index, in->tensor_index);
                const char *row[4] = {rows ? "" : name, rows ? "" : shape, rows ? "" : params, conn};
                print_row(f, row);
                rows++;
            }
        }
        if (!rows) {
            const char *row[4] = {name, shape, params, ""};
            print_row(f, row);
        }
        rule(f, i == m->n_layers - 1 ? '=' : '_');
    }
    char b[32];
    fprintf(f, "Total params: %s\n", with_commas(m->n_param_values, b, sizeof b));
    long trainable = ck_count_trainable_params(m);
    fprintf(f, "Trainable params: %s\n", with_commas(trainable, b, sizeof b));
    fprintf(f, "Non-trainable params: %s\n", with_commas(m->n_param_values - trainable, b, sizeof b));
    rule(f, '_');
    return ferror(f) ? ck_fail("summary: write error") : 0;
}

/* ---- Graphviz, like plot_model(show_shapes=True) ---- */

int ck_plot_model(const ck_model *m, const char *dot_path)
{
    if (!m || !dot_path) return ck_fail("plot_model: NULL argument");
    ck_io_writer w;
    if (ck_io_writer_open(&w, dot_path) < 0) {
        ck_error_prefix("plot_model: ");
        return -1;
    }
    FILE *f = w.f;
    fprintf(f, "digraph \"%s\" {\n  node [shape=record, fontname=\"Helvetica\"];\n", m->name);
    for (int i = 0; i < m->n_layers; i++) {
        const ck_layer *l = m->layers[i];
        char out[128], in[300] = "";
        layer_output_shape(l, out, sizeof out);
        size_t used = 0;
        for (ptrdiff_t c = 0; c < arrlen(l->calls) && !used; c++) {
            if (!call_in_model(m, l->calls[c].out)) continue;
            for (int k = 0; k < l->calls[c].n_in && used < sizeof in; k++) {
                char b[96];
                used += (size_t)snprintf(in + used, sizeof in - used, "%s%s", k ? ", " : "",
                                         ck_shape_py(l->calls[c].in[k]->shape, b, sizeof b));
            }
        }
        if (!used) snprintf(in, sizeof in, "%s", out);
        fprintf(f, "  L%d [label=\"{%s: %s|{input:|output:}|{%s|%s}}\"];\n", i, l->name, l->cls->type, in, out);
    }
    for (int i = 0; i < m->n_layers; i++)
        for (ptrdiff_t c = 0; c < arrlen(m->layers[i]->calls); c++) {
            const ck_layer_call *call = &m->layers[i]->calls[c];
            if (!call_in_model(m, call->out)) continue;
            for (int k = 0; k < call->n_in; k++)
                for (int j = 0; j < m->n_layers; j++)
                    if (m->layers[j] == call->in[k]->layer) fprintf(f, "  L%d -> L%d;\n", j, i);
        }
    fprintf(f, "}\n");
    /* a failed fprintf leaves the stream's error flag set: commit reports it
     * with the system's reason */
    if (ck_io_writer_commit(&w) < 0) {
        ck_error_prefix("plot_model: ");
        return -1;
    }
    return 0;
}
