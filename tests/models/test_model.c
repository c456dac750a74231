/* Model: summary text, parameter counts, Keras layer order and graph errors. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ck_model.h"

static ck_session *s;
static void setup(void)
{
    s = ck_session_new(1);
    ck_error_clear();
}
static void teardown(void)
{
    ck_session_free(s);
    ck_error_clear();
}
TestSuite(model, .init = setup, .fini = teardown);

/* One summary row: columns end at 32, 53, 65 and 98 (int(98 * [.33, .55, .67, 1])). */
static void row(char *out, const char *name, const char *shape, const char *params, const char *conn)
{
    sprintf(out + strlen(out), "%-32s%-21s%-12s%-33s\n", name, shape, params, conn);
}

static char *rule(char *out, char c)
{
    size_t n = strlen(out);
    memset(out + n, c, 98);
    out[n + 98] = '\n';
    out[n + 99] = 0;
    return out;
}

static char *summary_text(const ck_model *m)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    cr_assert_eq(ck_summary(m, f), 0);
    fclose(f);
    return buf;
}

/* two towers share one Dense; Add merges them; out = Dense(1) */
static ck_model *two_tower(void)
{
    ck_sym *a = ck_Input(s, ck_shape_of(1, 3), CK_F32, "a");
    ck_sym *b = ck_Input(s, ck_shape_of(1, 3), CK_F32, "b");
    ck_layer *shared = ck_Dense(s, 2, NULL, "shared");
    ck_sym *sum = ck_call(ck_Add(s, "sum"), (ck_sym *[]){ck_call1(shared, a), ck_call1(shared, b)}, 2);
    ck_sym *out = ck_call1(ck_Dense(s, 1, NULL, "out"), sum);
    return ck_Model(s, (ck_sym *[]){a, b}, 2, &out, 1, "two_tower");
}

Test(model, summary_of_a_shared_layer_model)
{
    ck_model *m = two_tower();
    cr_assert_not_null(m, "%s", ck_error());
    static char expect[8192];
    expect[0] = 0;
    strcat(expect, "Model: \"two_tower\"\n");
    rule(expect, '_');
    row(expect, "Layer (type)", "Output Shape", "Param #", "Connected to");
    rule(expect, '=');
    row(expect, "a (InputLayer)", "[(None, 3)]", "0", "");
    rule(expect, '_');
    row(expect, "b (InputLayer)", "[(None, 3)]", "0", "");
    rule(expect, '_');
    row(expect, "shared (Dense)", "(None, 2)", "8", "a[0][0]");
    row(expect, "", "", "", "b[0][0]");
    rule(expect, '_');
    row(expect, "sum (Add)", "(None, 2)", "0", "shared[0][0]");
    row(expect, "", "", "", "shared[1][0]");
    rule(expect, '_');
    row(expect, "out (Dense)", "(None, 1)", "3", "sum[0][0]");
    rule(expect, '=');
    strcat(expect, "Total params: 11\nTrainable params: 11\nNon-trainable params: 0\n");
    rule(expect, '_');
    char *got = summary_text(m);
    cr_assert_str_eq(got, expect, "got:\n%s\nexpected:\n%s", got, expect);
    free(got);
    cr_assert_eq(ck_count_params(m), 11);
    cr_assert_eq(ck_model_n_weights(m), 4);
    cr_assert_str_eq(ck_model_weight(m, 0)->name, "shared/kernel");
    cr_assert_str_eq(ck_model_weight(m, 3)->name, "out/bias");
}

Test(model, total_params_with_thousands_separator_and_long_names)
{
    ck_sym *ids = ck_Input(s, ck_shape_of(1, 1), CK_I32, "uid");
    ck_sym *e = ck_call1(ck_Embedding(s, 6040, 20, 0, "an_embedding_with_a_rather_long_name"), ids);
    ck_model *m = ck_Model(s, &ids, 1, &e, 1, NULL);
    cr_assert_not_null(m, "%s", ck_error());
    char *got = summary_text(m);
    cr_assert(strstr(got, "Total params: 120,800\n"), "%s", got);
    cr_assert(strstr(got, "Trainable params: 120,800\n"), "%s", got);
    /* the name column is cut at 31 characters plus a space, as Keras does */
    cr_assert(strstr(got, "\nan_embedding_with_a_rather_long (None, 1, 20)"), "%s", got);
    free(got);
}

Test(model, several_models_share_layers)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, 2), CK_F32, "x");
    ck_layer *d = ck_Dense(s, 3, NULL, "d");
    ck_sym *h = ck_call1(d, x);
    ck_sym *y = ck_call1(ck_Dense(s, 1, NULL, "head"), h);
    ck_model *body = ck_Model(s, &x, 1, &h, 1, "body");
    ck_model *full = ck_Model(s, &x, 1, &y, 1, "full");
    cr_assert_not_null(body);
    cr_assert_not_null(full);
    cr_assert_eq(ck_count_params(body), 9);
    cr_assert_eq(ck_count_params(full), 13);
    cr_assert_eq(ck_model_weight(body, 0), ck_model_weight(full, 0));
    cr_assert_eq(ck_model_n_layers(full), 3);
    cr_assert_str_eq(ck_layer_name(ck_model_layer(full, 2)), "head");
}

Test(model, disconnected_graph)
{
    ck_sym *a = ck_Input(s, ck_shape_of(1, 2), CK_F32, "a");
    ck_sym *b = ck_Input(s, ck_shape_of(1, 2), CK_F32, "b");
    ck_sym *sum = ck_call(ck_Add(s, "sum"), (ck_sym *[]){a, b}, 2);
    cr_assert_null(ck_Model(s, &a, 1, &sum, 1, "half"));
    cr_assert(strstr(ck_error(), "Model 'half': graph disconnected: cannot obtain the value of input 'b' needed by "
                                 "layer 'sum'"),
              "%s", ck_error());
}

Test(model, duplicate_layer_names)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, 2), CK_F32, "x");
    ck_sym *y = ck_call1(ck_Dense(s, 2, NULL, "dense"), x);
    y = ck_call1(ck_Dense(s, 1, NULL, NULL), y); /* default name is "dense" too */
    cr_assert_not_null(y);
    cr_assert_null(ck_Model(s, &x, 1, &y, 1, NULL));
    cr_assert(strstr(ck_error(), "the layer name 'dense' is used by 2 layers"), "%s", ck_error());
}

Test(model, argument_errors)
{
    ck_sym *x = ck_Input(s, ck_shape_of(1, 2), CK_F32, "x");
    ck_sym *h = ck_call1(ck_Dense(s, 1, NULL, "h"), x);
    cr_assert_null(ck_Model(NULL, &x, 1, &h, 1, NULL));
    ck_error_clear();
    cr_assert_null(ck_Model(s, NULL, 0, &h, 1, NULL));
    ck_error_clear();
    cr_assert_null(ck_Model(s, &h, 1, &h, 1, NULL));
    cr_assert(strstr(ck_error(), "model inputs must be Input tensors"), "%s", ck_error());
    ck_error_clear();
    cr_assert_null(ck_Model(s, &x, 1, (ck_sym *[]){NULL}, 1, NULL));
    ck_error_clear();
    cr_assert_eq(ck_summary(NULL, stdout), -1);
    ck_error_clear();

    ck_model *m = ck_Model(s, &x, 1, &h, 1, NULL);
    float data[4] = {1, 2, 3, 4}, target[2] = {1, 2};
    ck_tensor xt = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 2), data);
    ck_tensor yt = ck_tensor_view(CK_F32, ck_shape_of(2, 2, 1), target);
    cr_assert_null(ck_fit(m, &xt, 1, &yt, NULL));
    cr_assert(strstr(ck_error(), "not compiled"), "%s", ck_error());
    ck_error_clear();
    cr_assert_eq(ck_compile(m, "mse", ck_SGD(0.1f, 0), NULL, 0), 0);
    ck_tensor two[2] = {xt, xt};
    cr_assert_null(ck_fit(m, two, 2, &yt, CK_FIT_ARGS(.epochs = 1, .shuffle = false, .verbose = 0)));
    cr_assert(strstr(ck_error(), "model 'model' has 1 input, got 2"), "%s", ck_error());
    ck_error_clear();
    ck_tensor wrong = ck_tensor_view(CK_F32, ck_shape_of(2, 1, 4), data);
    cr_assert_null(ck_predict(m, &wrong, 1, 8));
    cr_assert(strstr(ck_error(), "input 0 ('x') expects float32 (None, 2)"), "%s", ck_error());
    ck_error_clear();
    cr_assert_eq(ck_compile(m, "no_such_loss", ck_Adam(0.1f), NULL, 0), -1);
    cr_assert(strstr(ck_error(), "unknown loss 'no_such_loss'"), "%s", ck_error());
    ck_error_clear();
    cr_assert_eq(ck_compile(m, "mse", NULL, NULL, 0), -1);
    ck_error_clear();
    cr_assert_eq(ck_compile(m, "mse", ck_Adam(-1.0f), NULL, 0), -1);
    cr_assert(strstr(ck_error(), "Adam"), "%s", ck_error());
}

Test(model, plot_model_writes_dot)
{
    ck_model *m = two_tower();
    char dir[] = "/tmp/ck_plot_XXXXXX", path[64], cmd[96];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.dot", dir);
    cr_assert_eq(ck_plot_model(m, path), 0, "%s", ck_error());
    FILE *f = fopen(path, "r");
    char buf[4096] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    cr_assert(strstr(buf, "digraph \"two_tower\""), "%s", buf);
    cr_assert(strstr(buf, "shared: Dense"), "%s", buf);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* issue 14, problem 6: plot_model's errors said "write error" without the
 * system's reason. A missing directory, and a write that fails half-way
 * (the file size limit, as a full disk would): both name the path and the
 * reason, and the earlier graph stays whole. */
Test(model, plot_model_errors_name_the_reason)
{
    ck_model *m = two_tower();
    char dir[] = "/tmp/ck_plot_XXXXXX", path[64], missing[96], cmd[96];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(missing, sizeof missing, "%s/gone/m.dot", dir);
    cr_assert_eq(ck_plot_model(m, missing), -1);
    cr_assert(strstr(ck_error(), "plot_model: cannot write") && strstr(ck_error(), "No such file or directory"), "%s",
              ck_error());
    ck_error_clear();
    snprintf(path, sizeof path, "%s/m.dot", dir);
    FILE *f = fopen(path, "w");
    fputs("earlier graph\n", f);
    fclose(f);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit lim = {.rlim_cur = 64, .rlim_max = 64};
        setrlimit(RLIMIT_FSIZE, &lim);
        int rc = ck_plot_model(m, path);
        _exit(rc == -1 && strstr(ck_error(), path) && strstr(ck_error(), "File too large") ? 0 : 1);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "no message naming the path and 'File too large'");
    char buf[64] = {0};
    f = fopen(path, "r");
    cr_assert_not_null(fgets(buf, sizeof buf, f));
    fclose(f);
    cr_expect_str_eq(buf, "earlier graph\n");
    snprintf(cmd, sizeof cmd, "ls -A %s | grep -q tmp", dir);
    cr_expect_neq(system(cmd), 0, "a temporary file was left");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}
