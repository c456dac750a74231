/* Whole-model files (ck_save_model / ck_load_model / ck_model_to_json) in
 * one process: the architecture JSON, round trips of every model of
 * saved_models.h (same predictions, weights, summary, flags), training a
 * loaded model, and files that must be refused with a clear message:
 * missing functions, weights-only, truncated, corrupted and hostile ones.
 * (roundtrip.sh does the same round trips across two processes.) */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_safetensors.h"
#include "saved_models.h"
#include "ck_test_dir.h"

static ck_session *s;
static char dir[64];
static void setup(void)
{
    s = ck_session_new(21);
    /* memory-backed when there is one: the damage test writes thousands of small files */
    ck_test_dir_make(dir, sizeof dir, access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", "ck_save");
    ck_error_clear();
}
static void teardown(void)
{
    ck_test_dir_remove(dir);
    ck_session_free(s);
    ck_error_clear();
}
TestSuite(save, .init = setup, .fini = teardown);

static const char *path_of(const char *name)
{
    static char p[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static char *summary_text(const ck_model *m)
{
    char *buf = calloc(1, 1 << 16);
    FILE *f = fmemopen(buf, (1 << 16) - 1, "w");
    cr_assert_eq(ck_summary(m, f), 0);
    fclose(f);
    return buf;
}

/* ---- the architecture ---- */

Test(save, to_json_has_keras_functional_config_with_shared_layers_and_outputs)
{
    ck_model *m = sm_build(s, SM_TWO_OUTPUTS);
    cr_assert_not_null(m, "%s", ck_error());
    char *json = ck_model_to_json(m);
    cr_assert_not_null(json, "%s", ck_error());
    cr_expect(strstr(json, "{\"class_name\":\"Functional\",\"config\":{\"name\":\"two_outputs\",\"layers\":["), "%s",
              json);
    cr_expect(strstr(json, "{\"class_name\":\"InputLayer\",\"config\":{\"batch_input_shape\":[null,3],\"dtype\":"
                           "\"float32\",\"sparse\":false,\"ragged\":false,\"name\":\"a\"},\"name\":\"a\","
                           "\"inbound_nodes\":[]}"),
              "%s", json);
    /* the shared Dense: two inbound nodes */
    cr_expect(strstr(json, "\"name\":\"trunk\",\"inbound_nodes\":[[[\"a\",0,0,{}]],[[\"b\",0,0,{}]]]"), "%s", json);
    cr_expect(strstr(json, "\"inbound_nodes\":[[[\"trunk\",0,0,{}],[\"trunk\",1,0,{}]]]"), "%s", json);
    cr_expect(strstr(json, "\"input_layers\":[[\"a\",0,0],[\"b\",0,0]],\"output_layers\":[[\"out_a\",0,0],[\"out_b\","
                           "0,0]]}"),
              "%s", json);
    free(json);
}

Test(save, node_indices_count_only_the_models_own_calls)
{
    /* a layer called first for another model: in this one its call is node 0 */
    ck_sym *x = ck_Input(s, ck_shape_of(1, 2), CK_F32, "x"), *z = ck_Input(s, ck_shape_of(1, 2), CK_F32, "z");
    ck_layer *d = ck_Dense(s, 2, NULL, "shared");
    ck_sym *other = ck_call1(d, x);
    ck_sym *mine = ck_call1(d, z);
    cr_assert_not_null(ck_Model(s, &x, 1, &other, 1, "other"));
    ck_sym *y = ck_call1(ck_Dense(s, 1, NULL, "head"), mine);
    ck_model *m = ck_Model(s, &z, 1, &y, 1, "mine");
    char *json = ck_model_to_json(m);
    cr_expect(strstr(json, "\"name\":\"shared\",\"inbound_nodes\":[[[\"z\",0,0,{}]]]"), "%s", json);
    cr_expect(strstr(json, "\"inbound_nodes\":[[[\"shared\",0,0,{}]]]"), "%s", json);
    free(json);
}

/* ---- round trips ---- */

static void round_trip(sm_kind kind)
{
    ck_model *m = sm_build(s, kind);
    cr_assert_not_null(m, "%s: %s", sm_names[kind], ck_error());
    sm_data d;
    sm_data_make(m, 5, &d);
    cr_assert_eq(sm_train(m, &d), 0, "%s", ck_error());
    const char *file = path_of("model.safetensors");
    cr_assert_eq(ck_save_model(m, file), 0, "%s: %s", sm_names[kind], ck_error());
    ck_registry *r = sm_registry();
    ck_model *back = ck_load_model(file, r);
    ck_registry_free(r);
    cr_assert_not_null(back, "%s: %s", sm_names[kind], ck_error());
    cr_expect_neq(ck_model_session(back), s, "a new session");
    /* the same graph, names, shapes and weights */
    char *a = summary_text(m), *b = summary_text(back);
    cr_expect_str_eq(a, b, "%s: summaries differ", sm_names[kind]);
    free(a);
    free(b);
    cr_assert_eq(ck_model_n_weights(back), ck_model_n_weights(m));
    for (int i = 0; i < ck_model_n_weights(m); i++) {
        const ck_node *wa = ck_model_weight(m, i), *wb = ck_model_weight(back, i);
        cr_expect_str_eq(wa->name, wb->name);
        cr_expect_eq(memcmp(wa->value.f, wb->value.f, sizeof(float) * (size_t)wa->value.size), 0, "%s", wa->name);
    }
    for (int i = 0; i < ck_model_n_layers(m); i++) {
        ck_layer *la = ck_model_layer(m, i), *lb = ck_model_layer(back, i);
        cr_expect_eq(ck_layer_trainable(la), ck_layer_trainable(lb), "%s", ck_layer_name(la));
        char *ca = ck_layer_get_config(la), *cb = ck_layer_get_config(lb);
        cr_expect_str_eq(ca, cb);
        free(ca);
        free(cb);
    }
    long na, nb;
    float *pa = sm_predict(m, &d, &na), *pb = sm_predict(back, &d, &nb);
    cr_assert(pa && pb, "%s", ck_error());
    cr_assert_eq(na, nb);
    cr_expect_eq(memcmp(pa, pb, sizeof(float) * (size_t)na), 0, "%s: predictions differ", sm_names[kind]);
    free(pa);
    free(pb);
    sm_data_free(&d);
    ck_session_free(ck_model_session(back));
}

Test(save, fm_masked_round_trip) { round_trip(SM_FM_MASKED); }
Test(save, fm_notebook_round_trip) { round_trip(SM_FM_NOTEBOOK); }
Test(save, deepfm_round_trip) { round_trip(SM_DEEPFM); }
Test(save, batchnorm_round_trip) { round_trip(SM_BATCHNORM); }
Test(save, two_outputs_round_trip) { round_trip(SM_TWO_OUTPUTS); }
Test(save, all_layers_round_trip) { round_trip(SM_ALL_LAYERS); }

Test(save, a_loaded_model_compiles_and_trains)
{
    ck_model *m = sm_build(s, SM_BATCHNORM);
    const char *file = path_of("bn.safetensors");
    cr_assert_eq(ck_save_model(m, file), 0, "%s", ck_error());
    ck_model *back = ck_load_model(file, NULL);
    cr_assert_not_null(back, "%s", ck_error());
    sm_data d;
    sm_data_make(back, 8, &d);
    ck_tensor x = *d.x[0];
    cr_assert_eq(ck_compile(back, "mse", ck_Adam(0.05f), NULL, 0), 0, "%s", ck_error());
    ck_fit_args args = {.epochs = 20, .batch_size = 8, .shuffle = 1};
    ck_history *h = ck_fit(back, &x, 1, d.y, &args);
    cr_assert_not_null(h, "%s", ck_error());
    cr_expect_lt(h->epochs[19].loss, h->epochs[0].loss);
    ck_history_free(h);
    sm_data_free(&d);
    ck_session_free(ck_model_session(back));
}

Test(save, the_file_is_a_weights_file_too)
{
    ck_model *m = sm_build(s, SM_BATCHNORM);
    const char *file = path_of("bn.safetensors");
    cr_assert_eq(ck_save_model(m, file), 0);
    cr_expect_eq(ck_load_weights(m, file), 0, "%s", ck_error());
    ck_safetensors *st = ck_safetensors_load(file);
    cr_assert_not_null(st);
    cr_expect_eq(st->n, ck_model_n_weights(m));
    cr_expect_geq(ck_safetensors_find(st, "batch_normalization/moving_variance"), 0);
    ck_safetensors_free(st);
}

/* ---- refused files ---- */

static void expect_refused(const char *file, const ck_registry *r, const char *part)
{
    ck_error_clear();
    ck_model *m = ck_load_model(file, r);
    cr_expect_null(m, "'%s' loaded", part);
    if (m) ck_session_free(ck_model_session(m));
    cr_expect(ck_error() && strstr(ck_error(), part), "got '%s', want '%s'", ck_error() ? ck_error() : "(none)", part);
    ck_error_clear();
}

Test(save, lambdas_need_their_functions)
{
    ck_model *m = sm_build(s, SM_FM_NOTEBOOK);
    const char *file = path_of("fm.safetensors");
    cr_assert_eq(ck_save_model(m, file), 0, "%s", ck_error());
    expect_refused(file, NULL,
                   "layer 'cat_embed_2d_genure_mean' (Lambda): the function 'ck_fm_mean_axis1_keepdims' is not in the "
                   "registry (no registry was given)");
    ck_registry *empty = ck_registry_new();
    expect_refused(file, empty, "the function 'ck_fm_mean_axis1_keepdims' is not in the registry: register it");
    ck_registry_free(empty);
    /* an unnamed Lambda cannot be saved */
    ck_sym *x = ck_Input(s, ck_shape_of(1, 2), CK_F32, "x");
    ck_sym *y = ck_call1(ck_Lambda(s, sm_double, NULL, "anon"), x);
    ck_model *anon = ck_Model(s, &x, 1, &y, 1, "anon_model");
    cr_expect_eq(ck_save_model(anon, path_of("anon.safetensors")), -1);
    cr_expect(strstr(ck_error(), "save_model: to_json: model 'anon_model': layer 'anon' (Lambda) has a function "
                                 "without a name"),
              "%s", ck_error());
    cr_expect_neq(access(path_of("anon.safetensors"), F_OK), 0, "nothing written");
}

Test(save, weights_only_truncated_and_missing_files)
{
    ck_model *m = sm_build(s, SM_BATCHNORM);
    const char *weights = path_of("w.safetensors"), *file = path_of("m.safetensors");
    cr_assert_eq(ck_save_weights(m, weights), 0);
    expect_refused(weights, NULL, "holds weights only (no 'model_config' in its metadata)");
    expect_refused(path_of("absent.safetensors"), NULL, "load_model: safetensors: cannot open");
    cr_assert_eq(ck_save_model(m, file), 0);
    FILE *f = fopen(file, "rb");
    unsigned char buf[1 << 14];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    f = fopen(file, "wb");
    fwrite(buf, 1, n - 10, f); /* the last tensor's end is missing */
    fclose(f);
    expect_refused(file, NULL, "truncated file?");
}

/* A file with these weights and this architecture text. */
static const char *file_with(const char *config, int n_floats)
{
    static float zeros[64];
    ck_tensor w = ck_tensor_view(CK_F32, ck_shape_of(2, n_floats, 1), zeros); /* a Dense(1) kernel */
    const ck_tensor *ws[1] = {&w};
    const char *names[1] = {"d/kernel"}, *keys[1] = {"model_config"}, *values[1] = {config};
    const char *file = path_of("hostile.safetensors");
    cr_assert_eq(ck_safetensors_save_meta(file, names, ws, n_floats ? 1 : 0, keys, values, 1), 0, "%s", ck_error());
    return file;
}

#define INPUT_X "{\"class_name\":\"InputLayer\",\"config\":{\"batch_input_shape\":[null,2],\"name\":\"x\"}}"
#define IO_X_D "\"input_layers\":[[\"x\",0,0]],\"output_layers\":[[\"d\",0,0]]"

Test(save, hostile_architectures_are_refused_with_a_message)
{
    static const struct {
        const char *config, *message;
    } cases[] = {
        {"{\"class_name\":\"Functional\"", "json: unterminated object"},
        {"[]", "the architecture must be"},
        {"{\"class_name\":\"Sequential\",\"config\":{}}", "only functional models (Functional) can be loaded"},
        {"{\"class_name\":\"Functional\",\"config\":{\"layers\":3}}", "config: 'layers' must be a list"},
        {"{\"class_name\":\"Functional\",\"config\":{\"layers\":[{\"class_name\":\"Conv2D\",\"config\":{\"name\":\"c\"}"
         "}]"
         "}}",
         "layer 'c' (Conv2D): unknown layer class (the classes that can be loaded: InputLayer, Dense"},
        {"{\"class_name\":\"Functional\",\"config\":{\"layers\":[" INPUT_X ",{\"class_name\":\"Dense\",\"config\":{"
         "\"name\":\"d\",\"units\":-3},\"inbound_nodes\":[[[\"x\",0,0,{}]]]}]," IO_X_D "}}",
         "layer 'd' (Dense): 'units' must be an integer in [1, 2147483647], got -3"},
        {"{\"class_name\":\"Functional\",\"config\":{\"layers\":[" INPUT_X ",{\"class_name\":\"Dense\",\"config\":{"
         "\"name\":\"d\",\"units\":\"2\"},\"inbound_nodes\":[[[\"x\",0,0,{}]]]}]," IO_X_D "}}",
         "layer 'd' (Dense): 'units' must be an integer, got a JSON string"},
        {"{\"class_name\":\"Functional\",\"config\":{\"layers\":[" INPUT_X ",{\"class_name\":\"Dense\",\"config\":{"
         "\"name\":\"d\",\"units\":1000000},\"inbound_nodes\":[[[\"x\",0,0,{}]]]}]," IO_X_D "}}",
         "weight 'kernel' (2, 1000000) has 2000000 values, more than the 2 the weights file holds"},
        {"{\"class_name\":\"Functional\",\"config\":{\"layers\":[" INPUT_X ",{\"class_name\":\"Dense\",\"config\":{"
         "\"name\":\"d\",\"units\":1},\"inbound_nodes\":[[[\"y\",0,0,{}]]]}]," IO_X_D "}}",
         "layer 'd': node 0: refers to a layer 'y' that the file does not have"},
        {"{\"class_name\":\"Functional\",\"config\":{\"layers\":[" INPUT_X ",{\"class_name\":\"Dense\",\"config\":{"
         "\"name\":\"d\",\"units\":1},\"inbound_nodes\":[[[\"x\",5,0,{}]]]}]," IO_X_D "}}",
         "refers to node 5 of layer 'x', which has 1"},
        {"{\"class_name\":\"Functional\",\"config\":{\"layers\":[" INPUT_X ",{\"class_name\":\"Dense\",\"config\":{"
         "\"name\":\"d\",\"units\":1},\"inbound_nodes\":[[[\"d\",0,0,{}]]]}]," IO_X_D "}}",
         "layer 'd': node 0 waits for tensors that are never made (a cycle?)"},
        {"{\"class_name\":\"Functional\",\"config\":{\"layers\":[" INPUT_X "," INPUT_X "]," IO_X_D "}}",
         "two layers are named 'x'"},
        {"{\"class_name\":\"Functional\",\"config\":{\"layers\":[{\"class_name\":\"InputLayer\",\"config\":{"
         "\"batch_input_shape\":[null,65536,65536],\"name\":\"x\"}}]," IO_X_D "}}",
         "holds more than 2147483647 values per sample"},
        {"{\"class_name\":\"Functional\",\"config\":{\"layers\":[" INPUT_X ",{\"class_name\":\"Dense\",\"config\":{"
         "\"name\":\"d\",\"units\":1,\"use_bias\":false},\"inbound_nodes\":[[[\"x\",0,0,{}]]]}],"
         "\"input_layers\":[[\"x\",0,0]],\"output_layers\":[]}}",
         "'output_layers' must be a list of 1 to 1024 tensor references"},
        {"{\"class_name\":\"Functional\",\"config\":{\"layers\":[" INPUT_X ",{\"class_name\":\"Lambda\",\"config\":{"
         "\"name\":\"d\",\"function\":\"nope\"},\"inbound_nodes\":[[[\"x\",0,0,{}]]]}]," IO_X_D "}}",
         "the function 'nope' is not in the registry"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_refused(file_with(cases[i].config, 2), NULL, cases[i].message);
    /* a valid architecture whose weights do not fit it */
    const char *ok = "{\"class_name\":\"Functional\",\"config\":{\"name\":\"m\",\"layers\":[" INPUT_X
                     ",{\"class_name\":\"Dense\",\"config\":{\"name\":\"d\",\"units\":1,\"use_bias\":false},"
                     "\"inbound_nodes\":[[[\"x\",0,0,{}]]]}]," IO_X_D "}}";
    ck_model *m = ck_load_model(file_with(ok, 2), NULL);
    cr_expect(m != NULL, "%s", ck_error());
    if (m) ck_session_free(ck_model_session(m));
    expect_refused(file_with(ok, 3), NULL, "load_model: '");
}

/* Every truncation and many single-byte changes: loaded or refused with a
 * message, never a crash (the sanitizer build checks the memory too). */
Test(save, damaged_files_never_crash, .timeout = 120)
{
    ck_model *m = sm_build(s, SM_BATCHNORM);
    const char *file = path_of("bn.safetensors"), *bad = path_of("bad.safetensors");
    cr_assert_eq(ck_save_model(m, file), 0);
    FILE *f = fopen(file, "rb");
    static unsigned char orig[1 << 14], buf[1 << 14];
    size_t n = fread(orig, 1, sizeof orig, f);
    fclose(f);
    int loaded = 0, refused = 0;
    enum { TRUNCATION_STEP = 5 }; /* every 5th length: each file write costs a little */
    for (size_t k = 0; k < 2 * n; k++) {
        memcpy(buf, orig, n);
        size_t len = n;
        if (k < n && k % TRUNCATION_STEP) continue;
        if (k < n)
            len = k; /* truncated to k bytes */
        else
            buf[k - n] ^= (k % 2) ? 0x01 : 0x20; /* a bit flipped: case in the JSON, values in the data */
        f = fopen(bad, "wb");
        fwrite(buf, 1, len, f);
        fclose(f);
        ck_error_clear();
        ck_model *back = ck_load_model(bad, NULL);
        if (back) {
            loaded++;
            ck_session_free(ck_model_session(back));
        } else {
            cr_assert_not_null(ck_error(), "refused without a message at %zu", k);
            refused++;
        }
    }
    cr_expect_gt(refused, (int)n / 2, "most damage is caught");
    cr_expect_gt(loaded, 0, "flips in weight values still load");
}

Test(save, model_checkpoint_saves_the_whole_model_unless_weights_only)
{
    ck_model *m = sm_build(s, SM_BATCHNORM);
    sm_data d;
    sm_data_make(m, 3, &d);
    ck_tensor x = *d.x[0];
    cr_assert_eq(ck_compile(m, "mse", ck_Adam(0.01f), NULL, 0), 0);
    const char *whole = path_of("whole.safetensors"), *weights = path_of("weights.safetensors");
    ck_callback *cbs[2] = {ck_ModelCheckpoint(whole, "loss", 0, 0, 0), ck_ModelCheckpoint(weights, "loss", 0, 1, 0)};
    ck_fit_args args = {.epochs = 2, .batch_size = 8, .callbacks = cbs, .n_callbacks = 2};
    ck_history *h = ck_fit(m, &x, 1, d.y, &args);
    cr_assert_not_null(h, "%s", ck_error());
    ck_history_free(h);
    ck_model *back = ck_load_model(whole, NULL);
    cr_assert_not_null(back, "%s", ck_error());
    long na, nb;
    float *pa = sm_predict(m, &d, &na), *pb = sm_predict(back, &d, &nb);
    cr_expect_eq(memcmp(pa, pb, sizeof(float) * (size_t)na), 0, "the last epoch's model");
    free(pa);
    free(pb);
    ck_session_free(ck_model_session(back));
    expect_refused(weights, NULL, "holds weights only");
    for (int i = 0; i < 2; i++) ck_callback_free(cbs[i]);
    sm_data_free(&d);
}

/* A chain deeper than a recursive graph walk could take on the C stack
 * (under ASan a frame of it took 3 KB): built, saved, loaded, run. */
Test(save, a_deep_chain_saves_and_loads, .timeout = 120)
{
    enum { DEPTH = 4000 };
    ck_sym *x = ck_Input(s, ck_shape_of(1, 2), CK_F32, "x"), *h = x;
    for (int i = 0; i < DEPTH; i++) h = ck_call1(ck_Activation(s, i % 2 ? "relu" : "tanh", NULL), h);
    ck_model *m = ck_Model(s, &x, 1, &h, 1, "deep");
    cr_assert_not_null(m, "%s", ck_error());
    cr_expect_eq(ck_model_n_layers(m), DEPTH + 1);
    const char *file = path_of("deep.safetensors");
    cr_assert_eq(ck_save_model(m, file), 0, "%s", ck_error());
    ck_model *back = ck_load_model(file, NULL);
    cr_assert_not_null(back, "%s", ck_error());
    const float v[2] = {0.5f, -2};
    ck_tensor tv = ck_tensor_view(CK_F32, ck_shape_of(2, 1, 2), (void *)v);
    ck_tensor *pa = ck_predict(m, &tv, 1, 1), *pb = ck_predict(back, &tv, 1, 1);
    cr_assert(pa && pb, "%s", ck_error());
    cr_expect_eq(memcmp(pa->f, pb->f, 2 * sizeof(float)), 0);
    float want = v[0];
    for (int i = 0; i < DEPTH; i++) want = i % 2 ? (want > 0 ? want : 0) : tanhf(want);
    cr_expect_float_eq(pa->f[0], want, 1e-5f, "%g, want %g", (double)pa->f[0], (double)want);
    cr_expect_eq(pa->f[1], 0.0f, "relu of a negative tanh");
    ck_tensor_free(pa);
    ck_tensor_free(pb);
    ck_session_free(ck_model_session(back));
}
