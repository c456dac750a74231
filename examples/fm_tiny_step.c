/* fm_tiny_step - one training step of the notebook's FM, small enough to
 * check by hand: 2 rows, 4 fields, k = 2, round weights (fm_tiny.c).
 *
 *   fm_tiny_step [--genre-pool masked|notebook] [--dot FILE]
 *
 * Prints the inputs and weights, every layer's output (forward), the loss,
 * the gradient of the loss at every layer's output (backward, last layer
 * first), every weight's gradient, that ck_fm_model's own forward and
 * backward give the same numbers, and one Adam step of one embedding row.
 * --dot writes the backward pass of the pairwise part as Graphviz DOT: the
 * graph annotated with what flows back on each edge, with row 0's numbers
 * (dot -Tsvg FILE -o backward.svg). docs/fm-under-the-hood.md shows the
 * output next to the numpy that reproduces it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ck_io.h"
#include "fm_tiny.h"

/* Adam's constants as Keras sets them (ck_Adam: beta_1, beta_2, epsilon). */
#define ADAM_BETA_1 0.9
#define ADAM_BETA_2 0.999
#define ADAM_EPSILON 1e-7

enum { LINE = 100, TEXT = 512 };

/* Elements per batch row of a node's value (its size / rows). */
static int64_t per_row(const ck_node *n) { return n->value.size / FM_TINY_ROWS; }

/* Row r of a (B, ...) node's values (or gradient) as text: "0.2",
 * "[0.4, -0.2]" or "[[0.4, -0.2], [0.1, 0.2]]" for (B, L, k). */
static const char *row_text(const ck_node *n, const float *data, int r, char *buf, size_t size)
{
    int64_t w = per_row(n), inner = n->value.shape.ndim == 3 ? n->value.shape.d[2] : w;
    const int nested = n->value.shape.ndim == 3 && inner < w;
    size_t used = 0;
    buf[0] = 0;
    if (w > 1) used += (size_t)snprintf(buf + used, size - used, "[");
    for (int64_t j = 0; j < w && used < size; j++) {
        if (nested && j % inner == 0)
            used += (size_t)snprintf(buf + used, size - used, "%s[", j ? ", " : "");
        else if (j)
            used += (size_t)snprintf(buf + used, size - used, ", ");
        if (used < size) used += (size_t)snprintf(buf + used, size - used, "%.6g", (double)data[r * w + j]);
        if (nested && (j + 1) % inner == 0 && used < size) used += (size_t)snprintf(buf + used, size - used, "]");
    }
    if (w > 1 && used < size) snprintf(buf + used, size - used, "]");
    return buf;
}

/* "    row 0: A    row 1: B" on one line when it fits, else two lines. */
static void print_rows(const ck_node *n, const float *data)
{
    char a[TEXT], b[TEXT];
    row_text(n, data, 0, a, sizeof a);
    row_text(n, data, 1, b, sizeof b);
    if (strlen(a) + strlen(b) + 2 * strlen("    row 0: ") <= LINE)
        printf("    row 0: %-*s    row 1: %s\n", (int)(LINE / 2 - strlen("    row 0: ")), a, b);
    else
        printf("    row 0: %s\n    row 1: %s\n", a, b);
}

static void print_inputs(const fm_tiny *t)
{
    static const char *const names[4] = {"input_fea3 (occupation, a number)", "input_uid", "input_mid",
                                         "input_genre (ids, 0 = padding)"};
    printf("inputs, in df2xy's order\n");
    for (int i = 0; i < 4; i++) {
        const ck_node *n = t->inputs[i];
        char a[TEXT], b[TEXT];
        size_t used_a = 0, used_b = 0;
        int64_t w = per_row(n);
        for (int64_t j = 0; j < w; j++) {
            double va = n->value.dtype == CK_F32 ? n->value.f[j] : n->value.i[j];
            double vb = n->value.dtype == CK_F32 ? n->value.f[w + j] : n->value.i[w + j];
            used_a += (size_t)snprintf(a + used_a, sizeof a - used_a, "%s%g", j ? ", " : w > 1 ? "[" : "", va);
            used_b += (size_t)snprintf(b + used_b, sizeof b - used_b, "%s%g", j ? ", " : w > 1 ? "[" : "", vb);
        }
        if (w > 1) {
            snprintf(a + used_a, sizeof a - used_a, "]");
            snprintf(b + used_b, sizeof b - used_b, "]");
        }
        printf("  %-36s row 0: %-12s row 1: %s\n", names[i], a, b);
    }
    char a[TEXT], b[TEXT];
    printf("  %-36s row 0: %-12s row 1: %s\n",
           t->pool == CK_GENRE_POOL_MASKED ? "genre mask (id != 0)" : "genre mask (unused: notebook)",
           row_text(t->mask, t->mask->value.f, 0, a, sizeof a), row_text(t->mask, t->mask->value.f, 1, b, sizeof b));
    printf("  %-36s row 0: %-12g row 1: %g\n\n", "rating y", (double)fm_tiny_rating[0], (double)fm_tiny_rating[1]);
}

static void print_weight_values(const fm_tiny *t, int gradients)
{
    for (int i = 0; i < fm_tiny_n_weights; i++) {
        int index;
        const ck_node *w = fm_tiny_weight_node(t, fm_tiny_weights[i].name, &index);
        const float *v = gradients ? t->weight_grad[index] : fm_tiny_weights[i].values;
        int64_t cols = w->value.shape.d[w->value.shape.ndim - 1], rows = w->value.size / cols;
        int matrix = w->value.shape.ndim == 2; /* kernels and embeddings; biases are vectors */
        printf("  %-30s %s", w->name, matrix ? "[" : "");
        for (int64_t r = 0; r < rows; r++) {
            printf("%s", r ? ", " : "");
            for (int64_t c = 0; c < cols; c++) printf("%s%.6g", c ? ", " : "[", (double)v[r * cols + c]);
            printf("]");
        }
        printf("%s\n", matrix ? "]" : "");
    }
}

static void print_forward(const fm_tiny *t)
{
    printf("forward: each layer's output (Keras's layer names)\n");
    for (int i = 0; i < t->n_nodes; i++) {
        printf("  %-26s %s\n", t->nodes[i].name, t->nodes[i].what);
        print_rows(t->nodes[i].node, t->nodes[i].node->value.f);
    }
    printf("loss = mean over rows of (y_hat - y)^2 = %.6g\n\n", (double)t->loss->value.f[0]);
}

static void print_backward(const fm_tiny *t)
{
    printf("backward: d loss / d (each layer's output), last layer first\n");
    for (int i = t->n_nodes - 1; i >= 0; i--) {
        printf("  %s\n", t->nodes[i].name);
        print_rows(t->nodes[i].node, t->nodes[i].node->grad);
    }
    printf("\nweight gradients, d loss / d w (summed over the rows)\n");
    print_weight_values(t, 1);
    printf("\nck_fm_model's own forward and backward on these rows: largest difference %.3g\n\n", t->model_max_diff);
}

/* Keras's Adam at step t = 1, worked out from the gradient, next to what
 * compile + fit did to the row. */
static void print_adam(const fm_tiny *t)
{
    const int step = 1;
    double lr_t = FM_TINY_LR * sqrt(1 - pow(ADAM_BETA_2, step)) / (1 - pow(ADAM_BETA_1, step));
    printf("one Adam step, learning_rate %g, t = %d: %s row %d (movie %d)\n", (double)FM_TINY_LR, step,
           FM_TINY_ADAM_WEIGHT, FM_TINY_ADAM_ROW, FM_TINY_ADAM_ROW);
    printf("  lr_t = lr * sqrt(1 - 0.999^t) / (1 - 0.9^t) = %.6g\n", lr_t);
    for (int f = 0; f < FM_TINY_K; f++) {
        double g = t->adam_grad[f], m = (1 - ADAM_BETA_1) * g, v = (1 - ADAM_BETA_2) * g * g;
        double delta = lr_t * m / (sqrt(v) + ADAM_EPSILON);
        printf("  dim %d: g %.6g, m = 0.1 g = %.6g, v = 0.001 g^2 = %.6g, lr_t m / (sqrt(v) + 1e-7) = %.6g\n", f, g, m,
               v, delta);
    }
    printf("  w before [%.6g, %.6g] -> after fit's step [%.6g, %.6g]\n", (double)t->adam_before[0],
           (double)t->adam_before[1], (double)t->adam_after[0], (double)t->adam_after[1]);
    printf("  fit's loss for that step: %.6g\n", t->fit_loss);
}

/* ---- the backward picture ---- */

static const char *vec(const fm_tiny *t, const char *name, int gradient, char *buf, size_t size)
{
    const fm_tiny_node *n = fm_tiny_find(t, name);
    return row_text(n->node, gradient ? n->node->grad : n->node->value.f, 0, buf, size);
}

/* g * (s - v_i) for field i of row 0: what concat_embed_2d hands field i. */
static const char *field_grad(const fm_tiny *t, int field, char *buf, size_t size)
{
    const ck_node *c = fm_tiny_find(t, "concat_embed_2d")->node;
    snprintf(buf, size, "[%.6g, %.6g]", (double)c->grad[field * FM_TINY_K], (double)c->grad[field * FM_TINY_K + 1]);
    return buf;
}

static int write_dot(const fm_tiny *t, const char *path)
{
    ck_io_writer w; /* atomic, as every output of ckeras */
    if (ck_io_writer_open(&w, path)) return -1;
    FILE *f = w.f;
    static const char *const fields[4][2] = {{"reshape_2", "occupation: W occ + b"},
                                             {"cat_embed_2d_uid", "user: V_uid[uid]"},
                                             {"cat_embed_2d_mid", "movie: V_mid[mid]"},
                                             {"cat_embed_2d_genure_mean", "genres: their mean"}};
    char a[TEXT], b[TEXT];
    fprintf(f, "digraph fm_backward {\n"
               "  graph [fontname=\"Helvetica\", fontsize=11, nodesep=0.25, ranksep=0.45, label=<"
               "Backward pass of the FM's pairwise part: black arrows carry values forward, red labels say "
               "what flows back<br/>(g = d loss / d y_2d for one row; the numbers are row 0 of "
               "fm_tiny_step)>, labelloc=t];\n"
               "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n"
               "  edge [fontname=\"Helvetica\", fontsize=10, fontcolor=\"#c0392b\", color=\"#555555\"];\n");
    for (int i = 0; i < 4; i++) fprintf(f, "  F%d [label=\"%s\\n%s\"];\n", i, fields[i][0], fields[i][1]);
    fprintf(f, "  C [label=\"concat_embed_2d\\nv_i, i = 1..4\"];\n"
               "  S0 [label=\"sum_of_tensors[0]\\ns = sum_i v_i\"];\n"
               "  SQ [label=\"square_of_tensors\\nv_i^2\"];\n"
               "  M [label=\"multiply\\ns * s\"];\n"
               "  S1 [label=\"sum_of_tensors[1]\\nsum_i v_i^2\"];\n"
               "  D [label=\"subtract\"];\n  H [label=\"lambda\\nx * 0.5\"];\n"
               "  S2 [label=\"sum_of_tensors[2]\\nsum over k\"];\n  Y2 [label=\"fm_2d_output\\ny_2d\"];\n"
               "  Y1 [label=\"fm_1d_output\\ny_1d\", style=\"rounded,dashed\"];\n"
               "  CAT [label=\"concatenate\"];\n  OUT [label=\"fm_output\\ny_hat = w_1 y_1d + w_2 y_2d + b\"];\n"
               "  LOSS [label=\"mse\\nmean (y_hat - y)^2\", shape=ellipse];\n");
    for (int i = 0; i < 4; i++)
        fprintf(f, "  F%d -> C [label=\"g (s - v_%d)\\n%s\"];\n", i, i + 1, field_grad(t, i, a, sizeof a));
    fprintf(f, "  C -> S0 [label=\"g s to every v_i\\n%s each\"];\n", vec(t, "sum_of_tensors[0]", 1, a, sizeof a));
    /* -g v_i, field by field: with the g s above it makes each field's g (s - v_i) */
    const fm_tiny_node *sq = fm_tiny_find(t, "square_of_tensors");
    fprintf(f, "  C -> SQ [label=\"-g v_i");
    for (int i = 0; i < 4; i++)
        fprintf(f, "\\nv_%d: [%.6g, %.6g]", i + 1,
                (double)(2 * sq->node->grad[i * FM_TINY_K] * sq->node->in[0]->value.f[i * FM_TINY_K]),
                (double)(2 * sq->node->grad[i * FM_TINY_K + 1] * sq->node->in[0]->value.f[i * FM_TINY_K + 1]));
    fprintf(f, "\"];\n");
    fprintf(f, "  SQ -> S1 [label=\"-0.5 g\\nto every v_i^2\"];\n");
    const fm_tiny_node *mul = fm_tiny_find(t, "multiply");
    for (int in = 0; in < 2; in++) {
        /* the same node s is both inputs of multiply: two edges, each 0.5 g s */
        const float *other = mul->node->in[1 - in]->value.f, *g = mul->node->grad; /* d(a b)/da = b */
        fprintf(f, "  S0 -> M [label=\"%s: 0.5 g s\\n[%.6g, %.6g]\"];\n", in ? "as b" : "as a",
                (double)(g[0] * other[0]), (double)(g[1] * other[1]));
    }
    fprintf(f, "  M -> D [label=\"0.5 g\\n%s\"];\n", vec(t, "multiply", 1, a, sizeof a));
    fprintf(f, "  S1 -> D [label=\"-0.5 g\\n%s\"];\n", vec(t, "sum_of_tensors[1]", 1, a, sizeof a));
    fprintf(f, "  D -> H [label=\"0.5 g\\n%s\"];\n", vec(t, "subtract", 1, a, sizeof a));
    fprintf(f, "  H -> S2 [label=\"g in every dim\\n%s\"];\n", vec(t, "lambda", 1, a, sizeof a));
    fprintf(f, "  S2 -> Y2 [label=\"g\\n%s\"];\n", vec(t, "sum_of_tensors[2]", 1, a, sizeof a));
    fprintf(f, "  Y2 -> CAT [label=\"g = g_hat w_2\\n%s\"];\n", vec(t, "fm_2d_output", 1, a, sizeof a));
    fprintf(f, "  Y1 -> CAT [label=\"g_hat w_1\\n%s\"];\n", vec(t, "fm_1d_output", 1, a, sizeof a));
    fprintf(f, "  CAT -> OUT [label=\"g_hat w\\n%s\"];\n", vec(t, "concatenate", 1, a, sizeof a));
    fprintf(f, "  OUT -> LOSS [label=\"g_hat = 2 (y_hat - y) / B\\n%s\"];\n", vec(t, "fm_output", 1, b, sizeof b));
    fprintf(f, "  { rank=same; Y1; Y2; }\n}\n");
    return ck_io_writer_commit(&w);
}

static int usage(const char *prog)
{
    fprintf(stderr, "usage: %s [--genre-pool masked|notebook] [--dot FILE]\n", prog);
    return 2;
}

int main(int argc, char **argv)
{
    ck_genre_pool pool = CK_GENRE_POOL_MASKED;
    const char *dot = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--genre-pool") && i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(v, "notebook"))
                pool = CK_GENRE_POOL_NOTEBOOK;
            else if (strcmp(v, "masked") != 0)
                return usage(argv[0]);
        } else if (!strcmp(argv[i], "--dot") && i + 1 < argc) {
            dot = argv[++i];
        } else {
            return usage(argv[0]);
        }
    }
    if (dot && ck_io_check_output_path(dot) < 0) { /* refused before any work */
        fprintf(stderr, "fm_tiny_step: --dot: %s\n", ck_error());
        return 2;
    }
    fm_tiny t;
    if (fm_tiny_run(&t, pool) < 0) {
        fprintf(stderr, "fm_tiny_step: %s\n", ck_error());
        fm_tiny_free(&t);
        return 1;
    }
    printf("the notebook's FM on %d rows, 4 fields, k = %d (genre pool: %s)\n\n", FM_TINY_ROWS, FM_TINY_K,
           ck_genre_pool_name(pool));
    print_inputs(&t);
    printf("weights (round numbers; the biases start at 0, as in Keras)\n");
    print_weight_values(&t, 0);
    printf("\n");
    print_forward(&t);
    print_backward(&t);
    print_adam(&t);
    int rc = 0;
    if (dot && write_dot(&t, dot) < 0) {
        fprintf(stderr, "fm_tiny_step: %s\n", ck_error());
        rc = 1;
    }
    fm_tiny_free(&t);
    return rc;
}
