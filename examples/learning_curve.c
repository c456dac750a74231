/* learning_curve.c - the SVG learning curve of learning_curve.h. */
#include "learning_curve.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_error.h"
#include "ck_io.h"

/* canvas and plot area, in SVG user units */
#define WIDTH 640.0
#define HEIGHT 400.0
#define LEFT 70.0
#define RIGHT 20.0
#define TOP 40.0
#define BOTTOM 50.0

#define TRAIN_COLOR "#1f77b4"
#define VAL_COLOR "#ff7f0e"

/* A tick step of 1, 2 or 5 times a power of ten giving about `target` ticks. */
static double nice_step(double span, int target)
{
    double raw = span / target;
    double power = pow(10.0, floor(log10(raw)));
    double f = raw / power;
    return (f < 1.5 ? 1.0 : f < 3.5 ? 2.0 : f < 7.5 ? 5.0 : 10.0) * power;
}

/* Text with XML's special characters escaped. */
static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            /* control characters are not allowed in XML 1.0 text */
            fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
        }
    }
}

/* A y axis is logarithmic when every value is positive and the largest is
 * at least this many times the smallest (a first epoch far above the rest
 * would flatten the others into a line). */
#define LOG_SPAN 10.0

typedef struct axes {
    double x0, x1, y0, y1; /* data ranges; y0, y1 are log10 values when log_y */
    int log_y;
} axes;

static double px(const axes *a, double x) { return LEFT + (x - a->x0) / (a->x1 - a->x0) * (WIDTH - LEFT - RIGHT); }
static double py(const axes *a, double y)
{
    if (a->log_y) y = log10(y);
    return HEIGHT - BOTTOM - (y - a->y0) / (a->y1 - a->y0) * (HEIGHT - TOP - BOTTOM);
}

/* One series: a polyline per run of finite values, and a dot per point. */
static void put_series(FILE *f, const axes *a, const double *v, int n, const char *color, const char *name)
{
    fprintf(f, "<g class=\"series\" id=\"%s\">\n", name);
    int open = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i])) {
            if (open) fputs("\"/>\n", f);
            open = 0;
            continue;
        }
        if (!open)
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", color);
        else
            fputc(' ', f);
        fprintf(f, "%.2f,%.2f", px(a, i + 1), py(a, v[i]));
        open = 1;
    }
    if (open) fputs("\"/>\n", f);
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]))
            fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3\" fill=\"%s\"/>\n", px(a, i + 1), py(a, v[i]), color);
    fputs("</g>\n", f);
}

/* A horizontal grid line at value y, labelled with `decimals` decimals
 * (-1: as %g) when `label`. */
static void put_y_tick(FILE *f, const axes *a, double right, double y, int label, int decimals)
{
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" stroke=\"#dddddd\"/>", LEFT, py(a, y), right,
            py(a, y));
    if (label && decimals >= 0)
        fprintf(f, "<text x=\"%.1f\" y=\"%.2f\" text-anchor=\"end\">%.*f</text>", LEFT - 6, py(a, y) + 4, decimals, y);
    else if (label)
        fprintf(f, "<text x=\"%.1f\" y=\"%.2f\" text-anchor=\"end\">%g</text>", LEFT - 6, py(a, y) + 4, y);
    fputc('\n', f);
}

/* Log axis: a grid line at every m * 10^e (m = 1..9) in range; labels at
 * m = 1, 2, 3, 5, and at the lowest line when it has none (so the bottom
 * of the range, where a converging loss ends, is labelled too). */
static void put_log_ticks(FILE *f, const axes *a, double right)
{
    static const int labelled[10] = {0, 1, 1, 1, 0, 1, 0, 0, 0, 0};
    int first = 1;
    for (int e = (int)floor(a->y0); e <= (int)ceil(a->y1); e++)
        for (int m = 1; m <= 9; m++) {
            double y = m * pow(10.0, e), ly = log10(y);
            if (ly < a->y0 - 1e-12 || ly > a->y1 + 1e-12) continue;
            put_y_tick(f, a, right, y, labelled[m] || first, -1);
            first = 0;
        }
}

static int write_svg(FILE *f, const double *loss, const double *val_loss, int n, const char *title, const axes *a)
{
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
            WIDTH, HEIGHT, WIDTH, HEIGHT);
    fprintf(f, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"white\"/>\n", WIDTH, HEIGHT);
    if (title && *title) {
        fprintf(f, "<text x=\"%.1f\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">", WIDTH / 2);
        put_escaped(f, title);
        fputs("</text>\n", f);
    }

    /* axes, ticks, grid */
    double bottom = HEIGHT - BOTTOM, right = WIDTH - RIGHT;
    fputs("<g class=\"axes\" stroke=\"black\" stroke-width=\"1\">\n", f);
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", LEFT, bottom, right, bottom);
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", LEFT, TOP, LEFT, bottom);
    fputs("</g>\n<g class=\"ticks\">\n", f);
    double xstep = n <= 10 ? 1.0 : ceil(nice_step(n - 1.0, 8));
    for (double x = 1; x <= n + 1e-9; x += xstep)
        fprintf(f,
                "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" stroke=\"black\"/>"
                "<text x=\"%.2f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n",
                px(a, x), bottom, px(a, x), bottom + 5, px(a, x), bottom + 18, x);
    if (a->log_y) {
        put_log_ticks(f, a, right);
    } else {
        double ystep = nice_step(a->y1 - a->y0, 6);
        int decimals = ystep >= 1 ? 0 : (int)ceil(-log10(ystep) - 1e-9);
        /* ticks at whole multiples of the step, counted as integers so no
         * rounding error piles up (and no "-0" label) */
        for (long k = (long)ceil(a->y0 / ystep - 1e-9); k <= (long)floor(a->y1 / ystep + 1e-9); k++) {
            double y = k == 0 ? 0.0 : (double)k * ystep;
            put_y_tick(f, a, right, y, 1, decimals);
        }
    }
    fputs("</g>\n", f);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">epoch</text>\n", (LEFT + right) / 2, HEIGHT - 12);
    fprintf(f,
            "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 16 %.1f)\">"
            "loss (MSE%s)</text>\n",
            (TOP + bottom) / 2, (TOP + bottom) / 2, a->log_y ? ", log scale" : "");

    put_series(f, a, loss, n, TRAIN_COLOR, "loss");
    if (val_loss) put_series(f, a, val_loss, n, VAL_COLOR, "val_loss");

    /* legend, top right */
    double lx = right - 130, ly = TOP + 10;
    fputs("<g class=\"legend\">\n", f);
    fprintf(f,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"136\" height=\"%d\" fill=\"white\" "
            "fill-opacity=\"0.85\" stroke=\"#999999\"/>\n",
            lx - 6, ly - 10, val_loss ? 38 : 20);
    fprintf(f,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>"
            "<text x=\"%.1f\" y=\"%.1f\">training loss</text>\n",
            lx, ly, lx + 24, ly, TRAIN_COLOR, lx + 30, ly + 4);
    if (val_loss)
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>"
                "<text x=\"%.1f\" y=\"%.1f\">validation loss</text>\n",
                lx, ly + 18, lx + 24, ly + 18, VAL_COLOR, lx + 30, ly + 22);
    fputs("</g>\n</svg>\n", f);
    return ferror(f) ? -1 : 0;
}

int plot_learning_curve(const char *path, const double *loss, const double *val_loss, int n_epochs, const char *title)
{
    if (!path || !loss) return ck_fail("plot_learning_curve: path or loss is NULL");
    if (n_epochs < 1) return ck_fail("plot_learning_curve: n_epochs = %d, need at least 1", n_epochs);

    /* data ranges: every finite value, padded by 5% */
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n_epochs; i++) {
        const double v[2] = {loss[i], val_loss ? val_loss[i] : NAN};
        for (int k = 0; k < 2; k++)
            if (isfinite(v[k])) {
                lo = fmin(lo, v[k]);
                hi = fmax(hi, v[k]);
            }
    }
    if (!(lo <= hi)) return ck_fail("plot_learning_curve: no finite loss value to plot");
    axes a = {n_epochs > 1 ? 1.0 : 0.5, n_epochs > 1 ? (double)n_epochs : 1.5, 0, 0, lo > 0 && hi >= LOG_SPAN * lo};
    if (a.log_y) {
        lo = log10(lo);
        hi = log10(hi);
    }
    double pad = hi > lo ? 0.05 * (hi - lo) : (fabs(lo) > 0 ? 0.05 * fabs(lo) : 0.5);
    a.y0 = lo - pad;
    a.y1 = hi + pad;

    ck_io_writer w;
    if (ck_io_writer_open(&w, path) < 0) {
        ck_error_prefix("plot_learning_curve: ");
        return -1;
    }
    if (write_svg(w.f, loss, val_loss, n_epochs, title, &a) < 0) {
        int e = errno ? errno : EIO;
        ck_io_writer_abort(&w);
        return ck_fail("plot_learning_curve: cannot write %s: %s", path, strerror(e));
    }
    if (ck_io_writer_commit(&w) < 0) {
        ck_error_prefix("plot_learning_curve: ");
        return -1;
    }
    return 0;
}
