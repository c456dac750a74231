/* ckeras.h - the library's core API in one include.
 *
 * Layers of the design, each depending only on those above it here:
 *   tensor   ck_error.h ck_arena.h ck_rng.h ck_tensor.h ck_kernels.h ck_safetensors.h
 *   autograd ck_autograd.h ck_gradcheck.h
 *   layers   ck_layers.h
 *   models   ck_model.h (with ck_losses.h, ck_metrics.h, ck_optimizers.h, ck_callbacks.h)
 * Not included here, include them when you need them:
 *   models   ck_fm.h         the FM notebook's model (and DeepFM)
 *   data     the headers of data/ (datasets and preprocessing; see the README)
 * Build flags: pkg-config --cflags --libs ckeras */
#ifndef CKERAS_H
#define CKERAS_H

#include "ck_error.h"
#include "ck_arena.h"
#include "ck_rng.h"
#include "ck_tensor.h"
#include "ck_kernels.h"
#include "ck_io.h"
#include "ck_safetensors.h"
#include "ck_autograd.h"
#include "ck_gradcheck.h"
#include "ck_layers.h"
#include "ck_model.h"

#endif
