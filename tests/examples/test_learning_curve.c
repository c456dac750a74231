/* The SVG learning curve: well-formed, both series present with one point
 * per epoch, placed consistently with the values. */
#define _DEFAULT_SOURCE /* mknod, makedev */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ck_error.h"
#include "learning_curve.h"
#include "ck_test_dir.h"

/* Every test writes in a directory of its own. */
static char dir[64], path[128];

static void setup(void)
{
    ck_test_dir_make(dir, sizeof dir, NULL, "ck_plot");
    snprintf(path, sizeof path, "%s/curve.svg", dir);
    ck_error_clear();
}

static void teardown(void)
{
    ck_test_dir_remove(dir);
    ck_error_clear();
}
TestSuite(plot, .init = setup, .fini = teardown);

/* The names in dir, sorted, as "a,b,c". */
static void list_dir(char *out, size_t n)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "ls -A %s | paste -sd, -", dir);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    if (!fgets(out, (int)n, p)) out[0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    pclose(p);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static int count(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what)) n++;
    return n;
}

/* Element nesting: every <x ...> is closed by </x> or is self-closing "/>".
 * Returns the depth reached at the end (0 when balanced), -1 on a stray close. */
static int tag_balance(const char *s)
{
    int depth = 0;
    for (const char *p = s; (p = strchr(p, '<')) != NULL; p++) {
        if (p[1] == '?' || p[1] == '!') continue;
        const char *end = strchr(p, '>');
        cr_assert_not_null(end, "unterminated tag");
        if (p[1] == '/') {
            if (--depth < 0) return -1;
        } else if (end[-1] != '/') {
            depth++;
        }
    }
    return depth;
}

/* The points of the polyline inside <g ... id="NAME">. */
static int series_points(const char *svg, const char *name, double *xs, double *ys, int max)
{
    char key[64];
    snprintf(key, sizeof key, "id=\"%s\"", name);
    const char *g = strstr(svg, key);
    cr_assert_not_null(g, "no series %s", name);
    const char *pts = strstr(g, "points=\"");
    cr_assert_not_null(pts);
    pts += 8;
    int n = 0;
    double x, y;
    int used;
    while (n < max && sscanf(pts, "%lf,%lf%n", &x, &y, &used) == 2) {
        xs[n] = x;
        ys[n] = y;
        n++;
        pts += used;
    }
    cr_assert_eq(*pts, '"', "points end with '%c'", *pts);
    return n;
}

Test(plot, two_series_well_formed)
{
    const double loss[] = {1.30, 0.95, 0.86, 0.82, 0.80, 0.79};
    const double val[] = {1.00, 0.90, 0.87, 0.86, 0.865, 0.87};
    cr_assert_eq(plot_learning_curve(path, loss, val, 6, "FM <ml-1m> & co"), 0, "%s", ck_error());
    char *svg = read_all(path);
    cr_expect(strncmp(svg, "<?xml", 5) == 0);
    cr_expect_not_null(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    cr_expect_eq(strcmp(svg + strlen(svg) - 7, "</svg>\n"), 0);
    cr_expect_eq(tag_balance(svg), 0);
    cr_expect_not_null(strstr(svg, ">epoch</text>"));
    cr_expect_not_null(strstr(svg, ">loss (MSE)</text>"));
    cr_expect_not_null(strstr(svg, "FM &lt;ml-1m&gt; &amp; co")); /* escaped title */
    cr_expect_not_null(strstr(svg, ">training loss</text>"));
    cr_expect_not_null(strstr(svg, ">validation loss</text>"));
    cr_expect_eq(count(svg, "<polyline"), 2);
    cr_expect_eq(count(svg, "<circle"), 12);

    double tx[16], ty[16], vx[16], vy[16];
    cr_assert_eq(series_points(svg, "loss", tx, ty, 16), 6);
    cr_assert_eq(series_points(svg, "val_loss", vx, vy, 16), 6);
    /* x: epochs 1..6 equally spaced, the same for both; y: SVG y grows
     * downwards, so y = a - b * value with one (a, b) for both series */
    double step = tx[1] - tx[0];
    cr_expect_gt(step, 0);
    double b = (ty[5] - ty[0]) / (loss[0] - loss[5]);
    double a = ty[0] + b * loss[0];
    cr_expect_gt(b, 0);
    for (int i = 0; i < 6; i++) {
        cr_expect(fabs(tx[i] - (tx[0] + i * step)) < 0.02, "x[%d] = %g", i, tx[i]);
        cr_expect(fabs(vx[i] - tx[i]) < 0.005);
        cr_expect(fabs(ty[i] - (a - b * loss[i])) < 0.05, "loss y[%d] = %g", i, ty[i]);
        cr_expect(fabs(vy[i] - (a - b * val[i])) < 0.05, "val y[%d] = %g", i, vy[i]);
        cr_expect(ty[i] >= 0 && ty[i] <= 400 && tx[i] >= 0 && tx[i] <= 640);
    }
    free(svg);
    /* nothing left behind but the plot (no temporary file) */
    char names[256];
    list_dir(names, sizeof names);
    cr_expect_str_eq(names, "curve.svg");
}

/* A first epoch 30 times the last: log y axis, y = a - b log10(value). */
Test(plot, log_axis_when_values_span_ten_times)
{
    char path[] = "/tmp/ck_plot_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    const double loss[] = {27.1, 11.2, 3.9, 2.6, 1.2, 0.88};
    const double val[] = {19.0, 5.2, 3.4, 2.5, 1.1, 0.93};
    cr_assert_eq(plot_learning_curve(path, loss, val, 6, NULL), 0, "%s", ck_error());
    char *svg = read_all(path);
    cr_expect_not_null(strstr(svg, ">loss (MSE, log scale)</text>"));
    cr_expect_eq(tag_balance(svg), 0);
    /* decade labels, each at the height of its value */
    cr_expect_not_null(strstr(svg, ">1</text>"));
    cr_expect_not_null(strstr(svg, ">10</text>"));
    double tx[8], ty[8], vx[8], vy[8];
    cr_assert_eq(series_points(svg, "loss", tx, ty, 8), 6);
    cr_assert_eq(series_points(svg, "val_loss", vx, vy, 8), 6);
    double b = (ty[5] - ty[0]) / (log10(loss[0]) - log10(loss[5]));
    double a = ty[0] + b * log10(loss[0]);
    cr_expect_gt(b, 0);
    for (int i = 0; i < 6; i++) {
        cr_expect(fabs(ty[i] - (a - b * log10(loss[i]))) < 0.05, "loss y[%d] = %g", i, ty[i]);
        cr_expect(fabs(vy[i] - (a - b * log10(val[i]))) < 0.05, "val y[%d] = %g", i, vy[i]);
    }
    free(svg);
    /* a span under 10 times stays linear */
    const double narrow[] = {9.0, 1.0};
    cr_assert_eq(plot_learning_curve(path, narrow, NULL, 2, NULL), 0, "%s", ck_error());
    svg = read_all(path);
    cr_expect_not_null(strstr(svg, ">loss (MSE)</text>"));
    free(svg);
    unlink(path);
}

Test(plot, single_epoch_and_missing_values)
{
    const double one[] = {0.9};
    cr_assert_eq(plot_learning_curve(path, one, NULL, 1, NULL), 0, "%s", ck_error());
    char *svg = read_all(path);
    cr_expect_eq(count(svg, "<polyline"), 1);
    cr_expect_null(strstr(svg, "val_loss"));
    cr_expect_eq(tag_balance(svg), 0);
    free(svg);

    /* a NaN breaks the line into two pieces; its dot is left out */
    const double loss[] = {1.0, NAN, 0.8, 0.7}, val[] = {1.1, 1.0, 0.9, INFINITY};
    cr_assert_eq(plot_learning_curve(path, loss, val, 4, "t"), 0, "%s", ck_error());
    svg = read_all(path);
    cr_expect_eq(count(svg, "<polyline"), 3);
    cr_expect_eq(count(svg, "<circle"), 6);
    cr_expect_eq(tag_balance(svg), 0);
    free(svg);
}

Test(plot, errors)
{
    const double loss[] = {NAN, NAN};
    cr_expect_eq(plot_learning_curve(path, loss, NULL, 2, NULL), -1);
    cr_expect_str_eq(ck_error(), "plot_learning_curve: no finite loss value to plot");
    ck_error_clear();
    cr_expect_eq(plot_learning_curve(path, loss, NULL, 0, NULL), -1);
    cr_expect_str_eq(ck_error(), "plot_learning_curve: n_epochs = 0, need at least 1");
    ck_error_clear();
    const double ok[] = {1.0};
    char missing[160], expected[400];
    snprintf(missing, sizeof missing, "%s/missing/x.svg", dir);
    cr_expect_eq(plot_learning_curve(missing, ok, NULL, 1, NULL), -1);
    snprintf(expected, sizeof expected,
             "plot_learning_curve: cannot write %s: its directory %s/missing: No such file or directory", missing, dir);
    cr_expect_str_eq(ck_error(), expected);
    ck_error_clear();
}

/* issue 14, problem 2: a plot path that is a FIFO, a directory or (as root)
 * a device node is refused and left as it was; nothing else is created. */
Test(plot, refuses_what_is_not_a_regular_file)
{
    const double ok[] = {1.0};
    char fifo[160], sub[160], node[160], expected[400], names[256];
    snprintf(fifo, sizeof fifo, "%s/fifo.svg", dir);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    cr_expect_eq(plot_learning_curve(fifo, ok, NULL, 1, NULL), -1);
    snprintf(expected, sizeof expected,
             "plot_learning_curve: refusing to replace %s: it is a FIFO (named pipe), not a regular file", fifo);
    cr_expect_str_eq(ck_error(), expected);
    ck_error_clear();
    snprintf(sub, sizeof sub, "%s/sub.svg", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    cr_expect_eq(plot_learning_curve(sub, ok, NULL, 1, NULL), -1);
    cr_expect(strstr(ck_error(), "it is a directory, not a regular file"), "%s", ck_error());
    ck_error_clear();
    struct stat st;
    snprintf(node, sizeof node, "%s/null.svg", dir);
    if (geteuid() == 0 && mknod(node, S_IFCHR | 0600, makedev(1, 3)) == 0) {
        cr_expect_eq(plot_learning_curve(node, ok, NULL, 1, NULL), -1);
        cr_expect(strstr(ck_error(), "it is a character device, not a regular file"), "%s", ck_error());
        ck_error_clear();
        cr_expect(stat(node, &st) == 0 && S_ISCHR(st.st_mode), "the device node was replaced");
    } else {
        cr_log_warn("not root: the device-node case is skipped");
    }
    cr_expect(stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
    list_dir(names, sizeof names);
    cr_expect(!strstr(names, ".tmp."), "a temporary file was left: %s", names);
}
