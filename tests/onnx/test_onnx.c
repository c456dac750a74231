/* ck_export_onnx (models/onnx_*.c): the file read back with protobuf-c (inputs with a
 * "batch" dim, weights as initializers under our names and values, node
 * names carrying layer names, the opset), and the refusals: an op without
 * a translation, a constant made for one batch size, a translation that
 * does not compute its result, bad paths and options. Predictions against
 * ONNX Runtime are checked by verify.sh (compare.js). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ck_fm.h"
#include "ck_onnx.h"
#include "every_op.h"
#include "onnx.pb-c.h"
#include "ck_test_dir.h"

static ck_session *s;
static char dir[] = "/tmp/ck_onnx_test_XXXXXX";
static char path[512];

static void setup(void)
{
    s = ck_session_new(5);
    ck_error_clear();
    cr_assert(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/model.onnx", dir);
}
static void teardown(void)
{
    ck_session_free(s);
    ck_error_clear();
    ck_test_dir_remove(dir);
    strcpy(dir, "/tmp/ck_onnx_test_XXXXXX");
}
TestSuite(onnx, .init = setup, .fini = teardown);

static Onnx__ModelProto *read_model(const char *file)
{
    FILE *f = fopen(file, "rb");
    cr_assert(f, "cannot open %s", file);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, (size_t)n, buf);
    free(buf);
    cr_assert(m, "%s does not parse as an ONNX ModelProto", file);
    return m;
}

static const Onnx__TensorProto *initializer(const Onnx__GraphProto *g, const char *name)
{
    for (size_t i = 0; i < g->n_initializer; i++)
        if (!strcmp(g->initializer[i]->name, name)) return g->initializer[i];
    return NULL;
}

static const Onnx__NodeProto *node_named(const Onnx__GraphProto *g, const char *name)
{
    for (size_t i = 0; i < g->n_node; i++)
        if (!strcmp(g->node[i]->name, name)) return g->node[i];
    return NULL;
}

static ck_model *small_fm(ck_genre_pool pool)
{
    ck_fm fm;
    ck_fm_config c = {.n_uid = 5, .n_mid = 6, .n_genre = 3, .k = 2, .genre_pool = pool};
    cr_assert_eq(ck_fm_model(s, &c, &fm), 0, "%s", ck_error());
    return fm.fm_model;
}

Test(onnx, available_in_this_build) { cr_assert_eq(ck_onnx_available(), 1); }

Test(onnx, fm_file_has_batch_inputs_named_weights_and_layer_node_names)
{
    ck_model *m = small_fm(CK_GENRE_POOL_MASKED);
    cr_assert_eq(ck_export_onnx(m, path, NULL), 0, "%s", ck_error());
    Onnx__ModelProto *p = read_model(path);
    cr_assert_eq(p->ir_version, 8);
    cr_assert_eq(p->n_opset_import, 1);
    cr_assert_str_eq(p->opset_import[0]->domain, "");
    cr_assert_eq(p->opset_import[0]->version, CK_ONNX_DEFAULT_OPSET);
    cr_assert_str_eq(p->producer_name, "ckeras");
    const Onnx__GraphProto *g = p->graph;
    cr_assert_str_eq(g->name, "fm_model");

    /* inputs: the four Input layers, batch dim symbolic, then their dims */
    const char *inputs[4] = {"input_fea3", "input_uid", "input_mid", "input_genre"};
    const int elem[4] = {1, 6, 6, 6}, width[4] = {1, 1, 1, 3}; /* FLOAT, INT32 */
    cr_assert_eq(g->n_input, 4);
    for (int i = 0; i < 4; i++) {
        const Onnx__TypeProto__Tensor *t = g->input[i]->type->tensor_type;
        cr_assert_str_eq(g->input[i]->name, inputs[i]);
        cr_assert_eq(t->elem_type, elem[i]);
        cr_assert_eq(t->shape->n_dim, 2);
        cr_assert_str_eq(t->shape->dim[0]->dim_param, "batch");
        cr_assert_eq(t->shape->dim[1]->dim_value, width[i]);
    }
    cr_assert_eq(g->n_output, 1);
    cr_assert_str_eq(g->output[0]->name, "fm_output");
    cr_assert_str_eq(g->output[0]->type->tensor_type->shape->dim[0]->dim_param, "batch");

    /* every weight is an initializer under our name, with our values */
    for (int i = 0; i < ck_model_n_weights(m); i++) {
        const ck_node *w = ck_model_weight(m, i);
        const Onnx__TensorProto *t = initializer(g, w->name);
        cr_assert(t, "no initializer named %s", w->name);
        cr_assert_eq(t->data_type, 1);
        cr_assert_eq((int)t->n_dims, w->value.shape.ndim);
        for (int d = 0; d < w->value.shape.ndim; d++) cr_assert_eq(t->dims[d], w->value.shape.d[d]);
        cr_assert_eq((int64_t)t->n_float_data, w->value.size);
        cr_assert_eq(memcmp(t->float_data, w->value.f, sizeof(float) * (size_t)w->value.size), 0, "%s", w->name);
    }
    /* nodes are named after the layer that made them */
    const Onnx__NodeProto *mm = node_named(g, "fm_output/MatMul");
    cr_assert(mm, "no node fm_output/MatMul");
    cr_assert_str_eq(mm->op_type, "MatMul");
    cr_assert_str_eq(mm->input[1], "fm_output/kernel");
    cr_assert(node_named(g, "cat_embed_2d_uid/Gather"));
    cr_assert(node_named(g, "cat_embed_2d_genure_mean/Div"), "the masked mean's division");
    for (size_t i = 0; i < g->n_node; i++) cr_assert(strchr(g->node[i]->name, '/'), "%s", g->node[i]->name);
    onnx__model_proto__free_unpacked(p, NULL);
}

Test(onnx, dropout_is_not_exported_and_opset_13_takes_mean_axes_as_attribute)
{
    ck_sym *x = ck_Input(s, ck_shape_of(2, 3, 4), CK_F32, "x");
    ck_sym *h = ck_call1(ck_Dropout(s, 0.5f, "drop"), x);
    h = ck_call1(ck_MeanPool(s, 1, 0, CK_POOL_PLAIN, "pool"), h);
    ck_sym *y = ck_call1(ck_Dense(s, 2, "relu", "out"), h);
    ck_model *m = ck_Model(s, &x, 1, &y, 1, "pooled");
    ck_onnx_options o = {.opset = 13, .doc_string = "a test"};
    cr_assert_eq(ck_export_onnx(m, path, &o), 0, "%s", ck_error());
    Onnx__ModelProto *p = read_model(path);
    cr_assert_eq(p->ir_version, 7);
    cr_assert_eq(p->opset_import[0]->version, 13);
    cr_assert_str_eq(p->doc_string, "a test");
    const Onnx__GraphProto *g = p->graph;
    for (size_t i = 0; i < g->n_node; i++)
        cr_assert_neq(strncmp(g->node[i]->name, "drop/", 5), 0, "%s", g->node[i]->name);
    const Onnx__NodeProto *mean = node_named(g, "pool/ReduceMean");
    cr_assert(mean);
    cr_assert_eq(mean->n_input, 1, "opset 13: axes is an attribute of ReduceMean");
    cr_assert_str_eq(mean->input[0], "x", "Dropout is the identity: the pool reads the input itself");
    cr_assert(node_named(g, "out/Relu"));
    onnx__model_proto__free_unpacked(p, NULL);
}

/* ---- refusals ---- */

static int same_shape(ck_node *n)
{
    n->value.dtype = CK_F32;
    n->value.shape = n->in[0]->value.shape;
    return 0;
}
static int copy_forward(ck_tape *t, ck_node *n)
{
    (void)t;
    memcpy(n->value.f, n->in[0]->value.f, sizeof(float) * (size_t)n->value.size);
    return 0;
}
static const ck_op untranslated_op = {"my_identity", same_shape, copy_forward, NULL, 0, NULL};
static ck_node *apply_untranslated(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    (void)user;
    return ck_apply(t, &untranslated_op, in, 1, NULL);
}

static ck_model *lambda_model(ck_lambda_fn fn, const char *name)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, 3), CK_F32, "x");
    ck_sym *y = ck_call1(ck_Lambda(s, fn, NULL, name), x);
    y = ck_call1(ck_Dense(s, 1, NULL, "out"), y);
    ck_model *m = ck_Model(s, &x, 1, &y, 1, "m");
    cr_assert(m, "%s", ck_error());
    return m;
}

static void write_file(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
}

static void assert_file_is(const char *p, const char *text)
{
    char buf[64] = {0};
    FILE *f = fopen(p, "r");
    cr_assert(f, "%s is gone", p);
    cr_assert(fgets(buf, sizeof buf, f));
    fclose(f);
    cr_assert_str_eq(buf, text, "a refused export must leave the old file as it was");
}

/* The entries of the test's directory but . and .. (a temporary file
 * left behind would be one more). */
static int files_in_dir(void)
{
    DIR *d = opendir(dir);
    cr_assert(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

Test(onnx, op_without_translation_is_refused_naming_op_layer_and_remedy)
{
    ck_model *m = lambda_model(apply_untranslated, "mine");
    write_file(path, "old");
    cr_assert_eq(ck_export_onnx(m, path, NULL), -1);
    const char *e = ck_error();
    cr_assert(strstr(e, "op 'my_identity' has no ONNX translation"), "%s", e);
    cr_assert(strstr(e, "layer 'mine' (Lambda)"), "%s", e);
    cr_assert(strstr(e, "onnx function"), "says how to add one: %s", e);
    cr_assert(strstr(e, "docs/autograd.md"), "%s", e);
    assert_file_is(path, "old");
    cr_assert_eq(files_in_dir(), 1, "no temporary file left");
}

/* a translation that adds nothing: its result is never computed */
static int lazy_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)e;
    (void)n;
    (void)in;
    (void)out;
    return 0;
}
static const ck_op lazy_op = {"lazy", same_shape, copy_forward, NULL, 0, lazy_onnx};
static ck_node *apply_lazy(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    (void)user;
    return ck_apply(t, &lazy_op, in, 1, NULL);
}

Test(onnx, translation_that_does_not_compute_its_result_is_refused)
{
    cr_assert_eq(ck_export_onnx(lambda_model(apply_lazy, "lazy_layer"), path, NULL), -1);
    cr_assert(strstr(ck_error(), "op 'lazy'"), "%s", ck_error());
    cr_assert(strstr(ck_error(), "added no node computing its result"), "%s", ck_error());
    cr_assert_neq(access(path, F_OK), 0);
}

/* a translation that reads a value the graph does not have */
static int wrong_input_onnx(ck_onnx_emitter *e, const ck_node *n, const char *const *in, const char *out)
{
    (void)n;
    (void)in;
    return ck_onnx_node(e, "Identity", (const char *[]){"no_such_value"}, 1, out, NULL, 0);
}
static const ck_op wrong_input_op = {"wrong_input", same_shape, copy_forward, NULL, 0, wrong_input_onnx};
static ck_node *apply_wrong_input(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    (void)user;
    return ck_apply(t, &wrong_input_op, in, 1, NULL);
}

Test(onnx, translation_reading_an_unknown_value_is_refused)
{
    cr_assert_eq(ck_export_onnx(lambda_model(apply_wrong_input, "w"), path, NULL), -1);
    cr_assert(strstr(ck_error(), "('no_such_value') is not a value of the graph"), "%s", ck_error());
}

/* a constant of the batch's size, made inside a Lambda: right for the
 * batch it ran on only */
static ck_node *add_batch_constant(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    (void)user;
    float *ones = ck_tape_alloc(t, sizeof(float) * (size_t)in[0]->value.size);
    if (!ones) return NULL;
    for (int64_t k = 0; k < in[0]->value.size; k++) ones[k] = 1.0f;
    ck_tensor c = ck_tensor_view(CK_F32, in[0]->value.shape, ones);
    return ck_add(t, in[0], ck_const(t, &c));
}

Test(onnx, constant_made_for_one_batch_size_is_refused)
{
    cr_assert_eq(ck_export_onnx(lambda_model(add_batch_constant, "plus_ones"), path, NULL), -1);
    cr_assert(strstr(ck_error(), "layer 'plus_ones' (Lambda): a constant of shape (2, 3)"), "%s", ck_error());
}

/* the same constant with no batch dim is fine: it becomes an initializer */
static ck_node *add_row_constant(ck_tape *t, ck_node *const *in, int n, void *user)
{
    (void)n;
    (void)user;
    static float row[3] = {1.0f, 2.0f, 3.0f};
    ck_tensor c = ck_tensor_view(CK_F32, ck_shape_of(1, 3), row);
    return ck_add(t, in[0], ck_const(t, &c));
}

Test(onnx, constant_without_batch_dim_becomes_an_initializer)
{
    cr_assert_eq(ck_export_onnx(lambda_model(add_row_constant, "plus_row"), path, NULL), 0, "%s", ck_error());
    Onnx__ModelProto *p = read_model(path);
    const Onnx__TensorProto *t = initializer(p->graph, "plus_row/const");
    cr_assert(t);
    cr_assert_eq(t->n_float_data, 3);
    cr_assert_float_eq(t->float_data[2], 3.0f, 0);
    onnx__model_proto__free_unpacked(p, NULL);
}

Test(onnx, bad_paths_and_arguments_are_refused)
{
    ck_model *m = small_fm(CK_GENRE_POOL_NOTEBOOK);
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no/such/dir/fm.onnx", dir);
    cr_assert_eq(ck_export_onnx(m, missing, NULL), -1);
    cr_assert(strstr(ck_error(), "cannot write"), "%s", ck_error());
    cr_assert(strstr(ck_error(), "no/such/dir/fm.onnx: its directory"), "names the path: %s", ck_error());
    cr_assert(strstr(ck_error(), "No such file or directory"), "says why: %s", ck_error());
    ck_error_clear();
    cr_assert_eq(ck_export_onnx(m, dir, NULL), -1, "a directory is not a file");
    cr_assert(strstr(ck_error(), "it is a directory, not a regular file"), "%s", ck_error());
    ck_error_clear();
    cr_assert_eq(ck_export_onnx(m, "", NULL), -1);
    cr_assert(strstr(ck_error(), "empty path"), "%s", ck_error());
    ck_error_clear();
    cr_assert_eq(ck_export_onnx(m, NULL, NULL), -1);
    ck_error_clear();
    cr_assert_eq(ck_export_onnx(NULL, path, NULL), -1);
    cr_assert(strstr(ck_error(), "model is NULL"), "%s", ck_error());
    ck_error_clear();
    ck_onnx_options o = {.opset = 12};
    cr_assert_eq(ck_export_onnx(m, path, &o), -1);
    cr_assert(strstr(ck_error(), "opset 12 is not in [13, 17]"), "%s", ck_error());
    cr_assert_neq(access(path, F_OK), 0, "nothing written");
}

/* The file is written as every output (ck_io.h): a FIFO at the path is
 * refused at once (opening it would block) and stays a FIFO; a regular
 * file is replaced whole, through a unique temporary that does not stay. */
Test(onnx, fifo_is_refused_and_a_file_is_replaced_atomically)
{
    ck_model *m = small_fm(CK_GENRE_POOL_MASKED);
    char fifo[600];
    snprintf(fifo, sizeof fifo, "%s/fifo.onnx", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    cr_assert_eq(ck_export_onnx(m, fifo, NULL), -1);
    cr_assert(strstr(ck_error(), "refusing to replace"), "%s", ck_error());
    cr_assert(strstr(ck_error(), "not a regular file"), "%s", ck_error());
    struct stat st;
    cr_assert(stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode), "the FIFO is left as it was");
    ck_error_clear();
    write_file(path, "old");
    cr_assert_eq(ck_export_onnx(m, path, NULL), 0, "%s", ck_error());
    Onnx__ModelProto *p = read_model(path);
    cr_assert_str_eq(p->graph->name, ck_model_name(m));
    onnx__model_proto__free_unpacked(p, NULL);
    cr_assert_eq(files_in_dir(), 2, "the FIFO and the model, no temporary file");
}

/* Every built-in op can be exported, but the losses: an export traces
 * predictions, never a loss. A new op needs its translation (one function
 * in autograd/ops_onnx*.c and the row's last entry) and a Lambda in
 * every_op.c, or, if it is a loss, a place in every_op_losses. */
Test(onnx, every_built_in_op_but_the_losses_has_a_translation)
{
    for (int id = 0; id < CK_OP_COUNT; id++) {
        if (every_op_is_loss(ck_ops[id].name))
            cr_expect_null(ck_ops[id].onnx, "op '%s' is a loss: it is never exported", ck_ops[id].name);
        else
            cr_expect_not_null(ck_ops[id].onnx, "op '%s' has no ONNX translation (autograd/ops_onnx*.c)",
                               ck_ops[id].name);
    }
}

Test(onnx, every_exportable_op_is_an_output_of_the_every_op_case)
{
    const char *missing = every_op_missing();
    cr_assert_null(missing,
                   "op '%s' is in no Lambda of tests/onnx/every_op.c: onnx_cases every_op would not "
                   "compare it with ONNX Runtime",
                   missing);
}

/* The node of layer `layer` with that op type, or NULL. */
static const Onnx__NodeProto *layer_node(const Onnx__GraphProto *g, const char *layer, const char *op_type)
{
    size_t n = strlen(layer);
    for (size_t i = 0; i < g->n_node; i++)
        if (!strncmp(g->node[i]->name, layer, n) && g->node[i]->name[n] == '/' && !strcmp(g->node[i]->op_type, op_type))
            return g->node[i];
    return NULL;
}

static const Onnx__AttributeProto *attribute(const Onnx__NodeProto *node, const char *name)
{
    for (size_t i = 0; i < node->n_attribute; i++)
        if (!strcmp(node->attribute[i]->name, name)) return node->attribute[i];
    return NULL;
}

/* The operators each translation writes (their values are compared with
 * ck_predict by onnx_cases every_op in ONNX Runtime). */
Test(onnx, every_op_model_uses_the_onnx_operators_of_each_translation)
{
    ck_sym *outputs[EVERY_OP_MAX_OUTPUTS];
    int n_out = 0;
    ck_model *m = every_op_model(s, outputs, NULL, &n_out);
    cr_assert(m, "%s", ck_error());
    cr_assert_eq(ck_export_onnx(m, path, NULL), 0, "%s", ck_error());
    Onnx__ModelProto *p = read_model(path);
    const Onnx__GraphProto *g = p->graph;
    cr_assert_eq((int)g->n_output, n_out);
    static const char *const expected[][2] = {
        {"op_exp", "Exp"},
        {"op_log", "Log"},
        {"op_abs", "Abs"},
        {"op_sqrt", "Sqrt"},
        {"op_pow", "Pow"},
        {"op_div", "Div"},
        {"op_maximum", "Max"},
        {"op_minimum", "Min"},
        {"op_clip", "Clip"},
        {"op_softmax", "Softmax"},
        {"op_log_softmax", "LogSoftmax"},
        {"op_softplus", "Softplus"},
        {"op_softsign", "Softsign"},
        {"op_elu", "Elu"},
        {"op_selu", "Selu"},
        {"op_gelu", "Erf"},
        {"op_gelu_tanh", "Tanh"},
        {"op_swish", "Sigmoid"},
        {"op_leaky_relu", "LeakyRelu"},
        {"op_log_sigmoid", "Softplus"},
        {"op_max", "ReduceMax"},
        {"op_batch_norm", "ReduceMean"},
        {"op_batch_norm_inference", "Reciprocal"},
        {"op_layer_norm", "ReduceMean"},
        {"op_layer_norm_axis1", "ReduceMean"},
        {"op_l2_normalize", "ReduceSum"},
        {"op_permute", "Transpose"},
        {"op_repeat", "Tile"},
        {"op_masked_max", "ReduceMax"},
    };
    for (size_t k = 0; k < sizeof expected / sizeof expected[0]; k++)
        cr_expect(layer_node(g, expected[k][0], expected[k][1]), "layer %s has no %s node", expected[k][0],
                  expected[k][1]);
    /* the constants: as attributes or as inputs, as each operator takes them */
    const Onnx__NodeProto *clip = layer_node(g, "op_clip", "Clip");
    cr_assert(clip && clip->n_input == 3, "Clip takes min and max as inputs");
    cr_assert_float_eq(initializer(g, clip->input[1])->float_data[0], -0.5f, 0);
    cr_assert_float_eq(initializer(g, clip->input[2])->float_data[0], 1.0f, 0);
    const Onnx__NodeProto *elu = layer_node(g, "op_elu", "Elu");
    cr_assert_float_eq(attribute(elu, "alpha")->f, 0.7f, 0);
    const Onnx__NodeProto *leaky = layer_node(g, "op_leaky_relu", "LeakyRelu");
    cr_assert_float_eq(attribute(leaky, "alpha")->f, 0.2f, 0);
    const Onnx__NodeProto *softmax = layer_node(g, "op_softmax", "Softmax");
    cr_assert_eq(attribute(softmax, "axis")->i, 2, "axis -1 of (batch, 2, 7)");
    cr_assert_eq(attribute(layer_node(g, "op_log_softmax", "LogSoftmax"), "axis")->i, 1);
    const Onnx__NodeProto *max = layer_node(g, "op_max", "ReduceMax");
    cr_assert_eq(max->n_input, 1, "opset 17: ReduceMax takes axes as an attribute");
    cr_assert_eq(attribute(max, "axes")->ints[0], 2);
    cr_assert_eq(attribute(max, "keepdims")->i, 0);
    /* the norms: per-channel values on axis 1 reshaped to (2, 1); batch
     * statistics over every axis but the channels'; statistics in double */
    const Onnx__NodeProto *channel_shape = layer_node(g, "op_batch_norm_inference", "Reshape");
    cr_assert(channel_shape, "the channels of axis 1 are reshaped to broadcast");
    const Onnx__TensorProto *shape = initializer(g, channel_shape->input[1]);
    cr_assert(shape && shape->n_int64_data == 2 && shape->int64_data[0] == 2 && shape->int64_data[1] == 1);
    const Onnx__NodeProto *stats = layer_node(g, "op_batch_norm", "ReduceMean");
    cr_assert_eq(attribute(stats, "axes")->n_ints, 2);
    cr_assert_eq(attribute(stats, "axes")->ints[0], 0);
    cr_assert_eq(attribute(stats, "axes")->ints[1], 1);
    cr_assert_null(layer_node(g, "op_layer_norm", "LayerNormalization"), "composed, with statistics in double");
    cr_assert_eq(attribute(layer_node(g, "op_layer_norm", "Cast"), "to")->i, 11, "DOUBLE");
    const Onnx__NodeProto *transpose = layer_node(g, "op_permute", "Transpose");
    cr_assert_eq(attribute(transpose, "perm")->n_ints, 3);
    cr_assert_eq(attribute(transpose, "perm")->ints[1], 2);
    cr_assert_eq(attribute(transpose, "perm")->ints[2], 1);
    const Onnx__TensorProto *repeats = initializer(g, layer_node(g, "op_repeat", "Tile")->input[1]);
    cr_assert(repeats && repeats->n_int64_data == 4 && repeats->int64_data[0] == 1 && repeats->int64_data[1] == 3,
              "(batch, 2, 7) -> (batch, 3, 2, 7): the batch dim is tiled once");
    cr_assert(layer_node(g, "op_masked_max", "Where"), "off-mask positions are -inf");
    cr_assert_float_eq(initializer(g, layer_node(g, "op_pow", "Pow")->input[1])->float_data[0], 1.5f, 0);
    cr_assert_eq(g->output[0]->type->tensor_type->shape->n_dim, 3);
    onnx__model_proto__free_unpacked(p, NULL);
}
