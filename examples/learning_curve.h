/* learning_curve.h - a learning-curve plot as a standalone SVG file (no plotting
 * library): what the notebook draws with matplotlib after fit().
 *
 *     plot_learning_curve("fm.svg", loss, val_loss, n_epochs, "FM on ml-1m");
 *
 * Two polylines, training loss (blue) and validation loss (orange), one point
 * per epoch at x = 1..n_epochs; axes with ticks and labels "epoch" and
 * "loss (MSE)", a legend and the title. Non-finite values are left out (the
 * line breaks there). When every value is positive and the largest is at
 * least 10 times the smallest, the y axis is logarithmic ("loss (MSE, log
 * scale)"), so a first epoch far above the rest does not flatten them. The
 * file is written atomically (ck_io.h: a unique temporary file, fsync,
 * rename), so a reader never sees half a plot, and a path that is not a
 * regular file (a device, a directory) is refused. */
#ifndef LEARNING_CURVE_H
#define LEARNING_CURVE_H

/* loss (n_epochs); val_loss (n_epochs) or NULL for a single curve; title may
 * be NULL. n_epochs >= 1 and at least one finite value are required. */
int plot_learning_curve(const char *path, const double *loss, const double *val_loss, int n_epochs, const char *title);

#endif
