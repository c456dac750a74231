/* model.c - the functional Model: the layer graph compiled once into a flat
 * list of calls, Keras's layer order (summary's rows), running the calls,
 * and the model's queries. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stb_ds.h>

#include "ck_model_internal.h"

static void model_free(void *p)
{
    ck_model *m = p;
    if (!m) return;
    for (int i = 0; i < m->n_steps; i++) free(m->steps[i].in_slots);
    free(m->steps);
    free(m->inputs);
    free(m->outputs);
    free(m->slot_syms);
    free(m->input_slots);
    free(m->output_slots);
    free(m->values);
    free(m->masks);
    free(m->call_in);
    free(m->call_masks);
    free(m->layers);
    free(m->params);
    free(m->regularizers);
    free(m->param_trainable);
    free(m->train_params);
    ck_compile_free(m);
    ck_tape_free(m->tape);
    free(m->name);
    free(m);
}

/* Graph walk state (arrays indexed by sym id / layer index). */
typedef struct walk {
    ck_session *s;
    char *needed; /* sym id -> in the model */
    char *finished, *in_progress;
    int *layer_order; /* layer index -> Keras traversal order, or -2 */
    int n_order;
    ck_sym **decreasing; /* stb_ds: nodes in decreasing depth */
    const ck_model *m;
} walk;

static int is_model_input(const ck_model *m, const ck_sym *x)
{
    for (int i = 0; i < m->n_in; i++)
        if (m->inputs[i] == x) return 1;
    return 0;
}

/* The error for an Input the model does not list. */
static int disconnected(const walk *w, const ck_sym *x, const ck_sym *needed_by)
{
    char list[512];
    size_t used = 0;
    list[0] = 0;
    for (int i = 0; i < w->m->n_in && used + 1 < sizeof list; i++)
        used +=
            (size_t)snprintf(list + used, sizeof list - used, "%s'%s'", i ? ", " : "", w->m->inputs[i]->layer->name);
    return ck_fail("graph disconnected: cannot obtain the value of input '%s' needed by "
                   "layer '%s'; the model's inputs are %s",
                   x->layer->name, needed_by ? needed_by->layer->name : x->layer->name, list);
}

/* Entering node x (needed by the node `needed_by`): 1 when its inputs are
 * to be walked, 0 when it was done before, -1 on a cycle or a disconnected
 * input. */
static int enter(walk *w, ck_sym *x, const ck_sym *needed_by)
{
    if (w->finished[x->id]) return 0;
    if (w->in_progress[x->id]) return ck_fail("the graph has a cycle at layer '%s'", x->layer->name);
    if (w->layer_order[x->layer->index] == -2) w->layer_order[x->layer->index] = w->n_order++;
    w->in_progress[x->id] = 1;
    if (!x->layer->calls[x->call_index].n_in && !strcmp(x->layer->cls->type, "InputLayer") && !is_model_input(w->m, x))
        return disconnected(w, x, needed_by);
    return 1;
}

/* Keras's _build_map: depth-first from an output, layers numbered in the
 * order they are first met, nodes listed after their inputs. The walk keeps
 * its own stack (node, next input to visit), so a deep graph does not
 * depend on the C stack's size. */
static int build_map(walk *w, ck_sym *root)
{
    typedef struct frame {
        ck_sym *x;
        int next;
    } frame;
    frame *stack = NULL;
    int rc = enter(w, root, NULL);
    if (rc > 0) arrput(stack, ((frame){root, 0}));
    while (rc >= 0 && arrlen(stack) > 0) {
        frame *top = &stack[arrlen(stack) - 1];
        ck_layer_call *c = &top->x->layer->calls[top->x->call_index];
        if (top->next < c->n_in) {
            ck_sym *parent = top->x, *input = c->in[top->next++];
            rc = enter(w, input, parent);
            if (rc > 0) arrput(stack, ((frame){input, 0})); /* top is stale from here */
            continue;
        }
        w->in_progress[top->x->id] = 0;
        w->finished[top->x->id] = 1;
        w->needed[top->x->id] = 1;
        arrput(w->decreasing, top->x);
        arrsetlen(stack, arrlen(stack) - 1);
    }
    arrfree(stack);
    return rc < 0 ? -1 : 0;
}

static int by_id(const void *a, const void *b)
{
    const ck_sym *x = *(ck_sym *const *)a, *y = *(ck_sym *const *)b;
    return (x->id > y->id) - (x->id < y->id);
}

/* model.layers in Keras's order: by depth from the outputs (inputs first),
 * ties broken by the order the depth-first walk met the layers. */
static int order_layers(ck_model *m, walk *w)
{
    ck_session *s = m->session;
    int n_syms = (int)arrlen(s->syms), n_all_layers = (int)arrlen(s->layers);
    int *node_depth = calloc((size_t)n_syms, sizeof(int));
    int *layer_depth = malloc((size_t)n_all_layers * sizeof(int));
    char *seen = calloc((size_t)n_syms, 1);
    if (!node_depth || !layer_depth || !seen) {
        free(node_depth);
        free(layer_depth);
        free(seen);
        return ck_fail("out of memory");
    }
    for (int i = 0; i < n_all_layers; i++) layer_depth[i] = -1;
    for (ptrdiff_t k = arrlen(w->decreasing) - 1; k >= 0; k--) {
        ck_sym *x = w->decreasing[k];
        int depth = seen[x->id] ? node_depth[x->id] : 0;
        int prev = layer_depth[x->layer->index] < 0 ? 0 : layer_depth[x->layer->index];
        if (prev > depth) depth = prev;
        layer_depth[x->layer->index] = depth;
        node_depth[x->id] = depth;
        seen[x->id] = 1;
        ck_layer_call *c = &x->layer->calls[x->call_index];
        for (int i = 0; i < c->n_in; i++) {
            int pid = c->in[i]->id;
            if (!seen[pid] || node_depth[pid] < depth + 1) node_depth[pid] = depth + 1;
            seen[pid] = 1;
        }
    }
    /* inputs not connected to any output: depth 0, first in their depth */
    for (int i = 0; i < m->n_in; i++) {
        ck_layer *l = m->inputs[i]->layer;
        if (layer_depth[l->index] < 0) {
            layer_depth[l->index] = 0;
            w->layer_order[l->index] = -1;
        }
    }
    int max_depth = 0, n = 0;
    for (int i = 0; i < n_all_layers; i++) {
        if (layer_depth[i] > max_depth) max_depth = layer_depth[i];
        if (layer_depth[i] >= 0) n++;
    }
    m->layers = malloc(sizeof(ck_layer *) * (size_t)(n ? n : 1));
    if (!m->layers) {
        free(node_depth);
        free(layer_depth);
        free(seen);
        return ck_fail("out of memory");
    }
    for (int depth = max_depth; depth >= 0; depth--) {
        int start = m->n_layers;
        for (int i = 0; i < n_all_layers; i++)
            if (layer_depth[i] == depth) m->layers[m->n_layers++] = s->layers[i];
        /* insertion sort by traversal order (few layers per depth) */
        for (int a = start + 1; a < m->n_layers; a++)
            for (int b = a; b > start && w->layer_order[m->layers[b]->index] < w->layer_order[m->layers[b - 1]->index];
                 b--) {
                ck_layer *t = m->layers[b];
                m->layers[b] = m->layers[b - 1];
                m->layers[b - 1] = t;
            }
    }
    free(node_depth);
    free(layer_depth);
    free(seen);
    return 0;
}

static int compile_graph(ck_model *m)
{
    ck_session *s = m->session;
    int n_syms = (int)arrlen(s->syms), n_all_layers = (int)arrlen(s->layers);
    walk w = {s,
              calloc((size_t)n_syms, 1),
              calloc((size_t)n_syms, 1),
              calloc((size_t)n_syms, 1),
              malloc(sizeof(int) * (size_t)n_all_layers),
              0,
              NULL,
              m};
    int rc = 0;
    if (!w.needed || !w.finished || !w.in_progress || !w.layer_order) rc = ck_fail("out of memory");
    for (int i = 0; !rc && i < n_all_layers; i++) w.layer_order[i] = -2;
    for (int i = 0; !rc && i < m->n_out; i++) rc = build_map(&w, m->outputs[i]);
    if (!rc) rc = order_layers(m, &w);

    /* duplicate names */
    for (int i = 0; !rc && i < m->n_layers; i++)
        for (int k = 0; k < i; k++)
            if (!strcmp(m->layers[i]->name, m->layers[k]->name)) {
                rc = ck_fail("the layer name '%s' is used by 2 layers (%s and %s); all layer names "
                             "in a model must be unique",
                             m->layers[i]->name, m->layers[k]->cls->type, m->layers[i]->cls->type);
                break;
            }

    /* slots: the needed tensors plus the listed inputs, in creation order,
     * which is a topological order (a call's inputs exist before it) */
    int *slot_of = NULL;
    if (!rc) {
        for (int i = 0; i < m->n_in; i++) w.needed[m->inputs[i]->id] = 1;
        for (int i = 0; i < n_syms; i++) m->n_slots += w.needed[i];
        m->slot_syms = malloc(sizeof(ck_sym *) * (size_t)m->n_slots);
        slot_of = malloc(sizeof(int) * (size_t)n_syms);
        m->steps = calloc((size_t)m->n_slots, sizeof(ck_step));
        m->values = calloc((size_t)m->n_slots, sizeof(ck_node *));
        m->masks = calloc((size_t)m->n_slots, sizeof(ck_node *));
        m->input_slots = malloc(sizeof(int) * (size_t)m->n_in);
        m->output_slots = malloc(sizeof(int) * (size_t)m->n_out);
        if (!m->slot_syms || !slot_of || !m->steps || !m->values || !m->masks || !m->input_slots || !m->output_slots)
            rc = ck_fail("out of memory");
    }
    int max_fan_in = 1;
    if (!rc) {
        int k = 0;
        for (int i = 0; i < n_syms; i++)
            if (w.needed[i]) {
                slot_of[i] = k;
                m->slot_syms[k++] = s->syms[i];
            }
        qsort(m->slot_syms, (size_t)m->n_slots, sizeof(ck_sym *), by_id);
        for (int i = 0; i < m->n_in; i++) m->input_slots[i] = slot_of[m->inputs[i]->id];
        for (int i = 0; i < m->n_out; i++) m->output_slots[i] = slot_of[m->outputs[i]->id];
        for (int i = 0; i < m->n_slots && !rc; i++) {
            ck_sym *x = m->slot_syms[i];
            ck_layer_call *c = &x->layer->calls[x->call_index];
            if (is_model_input(m, x)) continue;
            ck_step *st = &m->steps[m->n_steps++];
            st->layer = x->layer;
            st->n_in = c->n_in;
            st->out_slot = i;
            st->trainable = x->layer->trainable;
            st->in_slots = malloc(sizeof(int) * (size_t)(c->n_in ? c->n_in : 1));
            if (!st->in_slots) {
                rc = ck_fail("out of memory");
                break;
            }
            for (int j = 0; j < c->n_in; j++) st->in_slots[j] = slot_of[c->in[j]->id];
            if (c->n_in > max_fan_in) max_fan_in = c->n_in;
        }
    }
    if (!rc) {
        m->call_in = calloc((size_t)max_fan_in, sizeof(ck_node *));
        m->call_masks = calloc((size_t)max_fan_in, sizeof(ck_node *));
        if (!m->call_in || !m->call_masks) rc = ck_fail("out of memory");
    }
    /* parameters, in layer order */
    for (int i = 0; !rc && i < m->n_layers; i++) m->n_params += m->layers[i]->n_weights;
    if (!rc) {
        size_t n = (size_t)(m->n_params ? m->n_params : 1);
        m->params = malloc(sizeof(ck_node *) * n);
        m->regularizers = calloc(n, sizeof(ck_regularizer));
        m->param_trainable = calloc(n, 1);
        m->train_params = malloc(sizeof(ck_node *) * n);
        if (!m->params || !m->regularizers || !m->param_trainable || !m->train_params) rc = ck_fail("out of memory");
    }
    for (int i = 0, k = 0; !rc && i < m->n_layers; i++)
        for (int j = 0; j < m->layers[i]->n_weights; j++) {
            m->params[k] = m->layers[i]->weights[j];
            m->n_param_values += (long)m->params[k]->value.size;
            k++;
        }
    free(slot_of);
    free(w.needed);
    free(w.finished);
    free(w.in_progress);
    free(w.layer_order);
    arrfree(w.decreasing);
    return rc;
}

ck_model *ck_Model(ck_session *s, ck_sym *const *inputs, int n_in, ck_sym *const *outputs, int n_out, const char *name)
{
    if (!s) {
        ck_fail("Model: session is NULL");
        return NULL;
    }
    if (!inputs || n_in < 1) {
        ck_fail("Model: needs at least one input");
        return NULL;
    }
    if (!outputs || n_out < 1) {
        ck_fail("Model: needs at least one output");
        return NULL;
    }
    for (int i = 0; i < n_in; i++) {
        if (!inputs[i]) {
            if (!ck_error()) ck_fail("Model: input %d is NULL", i);
            return NULL;
        }
        if (strcmp(inputs[i]->layer->cls->type, "InputLayer")) {
            ck_fail("Model: input %d comes from layer '%s' (%s); model inputs must be Input tensors", i,
                    inputs[i]->layer->name, inputs[i]->layer->cls->type);
            return NULL;
        }
        for (int k = 0; k < i; k++)
            if (inputs[k] == inputs[i]) {
                ck_fail("Model: input '%s' is listed twice", inputs[i]->layer->name);
                return NULL;
            }
    }
    for (int i = 0; i < n_out; i++)
        if (!outputs[i]) {
            if (!ck_error()) ck_fail("Model: output %d is NULL", i);
            return NULL;
        }
    for (int i = 0; i < n_in; i++)
        if (inputs[i]->layer->session != s) {
            ck_fail("Model: input %d comes from another session", i);
            return NULL;
        }
    for (int i = 0; i < n_out; i++)
        if (outputs[i]->layer->session != s) {
            ck_fail("Model: output %d comes from another session", i);
            return NULL;
        }

    ck_model *m = calloc(1, sizeof *m);
    if (!m) {
        ck_fail("Model: out of memory");
        return NULL;
    }
    m->session = s;
    m->n_in = n_in;
    m->n_out = n_out;
    m->inputs = malloc(sizeof(ck_sym *) * (size_t)n_in);
    m->outputs = malloc(sizeof(ck_sym *) * (size_t)n_out);
    m->tape = ck_tape_new();
    if (!m->inputs || !m->outputs || !m->tape) {
        model_free(m);
        ck_fail("Model: out of memory");
        return NULL;
    }
    memcpy(m->inputs, inputs, sizeof(ck_sym *) * (size_t)n_in);
    memcpy(m->outputs, outputs, sizeof(ck_sym *) * (size_t)n_out);
    m->name = name ? strdup(name) : ck_session_unique_name(s, "model", 1);
    if (!m->name) {
        model_free(m);
        ck_fail("Model: out of memory");
        return NULL;
    }
    if (compile_graph(m)) {
        ck_error_prefix("Model '%s': ", m->name);
        model_free(m);
        return NULL;
    }
    /* the model's own stream, independent of weight initialisation */
    ck_rng_seed(&m->rng, s->seed ^ (0x9E3779B97F4A7C15ull * (uint64_t)(arrlen(s->models) + 1)));
    ck_session_add_model(s, m, model_free);
    return m;
}

/* Run the model's calls in order on the values bound to its input slots,
 * recording on tape t. */
static int run_calls(ck_model *m, ck_tape *t, int training)
{
    ck_call_ctx ctx = {t, training, &m->rng, 1};
    for (int i = 0; i < m->n_steps; i++) {
        const ck_step *st = &m->steps[i];
        ctx.trainable = m->compiled ? st->trainable : st->layer->trainable; /* fit: as compiled */
        for (int k = 0; k < st->n_in; k++) {
            m->call_in[k] = m->values[st->in_slots[k]];
            m->call_masks[k] = m->masks[st->in_slots[k]];
        }
        ck_node *mask = NULL;
        ck_node *out = ck_layer_run(st->layer, &ctx, m->call_in, m->call_masks, st->n_in, &mask);
        if (!out) {
            ck_error_prefix("layer '%s' (%s): ", st->layer->name, st->layer->cls->type);
            return -1;
        }
        m->values[st->out_slot] = out;
        m->masks[st->out_slot] = mask;
    }
    return 0;
}

int ck_model_forward(ck_model *m, int training) { return run_calls(m, m->tape, training); }

ck_node *ck_model_call(ck_model *m, ck_tape *t, ck_node *const *inputs, int n, int training)
{
    if (!m || !t || !inputs) {
        ck_fail("model_call: NULL %s", !m ? "model" : !t ? "tape" : "inputs");
        return NULL;
    }
    if (n != m->n_in) {
        ck_fail("model_call: model '%s' takes %d inputs, got %d", m->name, m->n_in, n);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        if (!inputs[i]) return NULL; /* keep the first message */
        m->values[m->input_slots[i]] = inputs[i];
        m->masks[m->input_slots[i]] = NULL;
    }
    if (run_calls(m, t, training)) return NULL;
    return m->values[m->output_slots[0]];
}

/* ---- queries ---- */

long ck_count_params(const ck_model *m) { return m ? m->n_param_values : 0; }
int ck_model_n_weights(const ck_model *m) { return m ? m->n_params : 0; }
const char *ck_model_name(const ck_model *m) { return m ? m->name : NULL; }
int ck_model_n_layers(const ck_model *m) { return m ? m->n_layers : 0; }

ck_layer *ck_model_layer(const ck_model *m, int i)
{
    if (!m || i < 0 || i >= m->n_layers) {
        ck_fail("model_layer: index %d out of range (%d layers)", i, m ? m->n_layers : 0);
        return NULL;
    }
    return m->layers[i];
}

ck_node *ck_model_weight(const ck_model *m, int i)
{
    if (!m || i < 0 || i >= m->n_params) {
        ck_fail("model_weight: index %d out of range (%d weights)", i, m ? m->n_params : 0);
        return NULL;
    }
    return m->params[i];
}

ck_session *ck_model_session(const ck_model *m) { return m ? m->session : NULL; }
int ck_model_n_inputs(const ck_model *m) { return m ? m->n_in : 0; }
int ck_model_n_outputs(const ck_model *m) { return m ? m->n_out : 0; }

ck_sym *ck_model_input(const ck_model *m, int i)
{
    if (!m || i < 0 || i >= m->n_in) {
        ck_fail("model_input: index %d out of range (%d inputs)", i, m ? m->n_in : 0);
        return NULL;
    }
    return m->inputs[i];
}

ck_sym *ck_model_output(const ck_model *m, int i)
{
    if (!m || i < 0 || i >= m->n_out) {
        ck_fail("model_output: index %d out of range (%d outputs)", i, m ? m->n_out : 0);
        return NULL;
    }
    return m->outputs[i];
}
