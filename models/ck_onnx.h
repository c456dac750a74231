/* ck_onnx.h - export a model to ONNX, for serving it with ONNX Runtime,
 * Triton or any engine that reads ONNX (docs/serving.md).
 *
 *     if (ck_export_onnx(model, "fm.onnx", NULL) < 0)
 *         fprintf(stderr, "%s\n", ck_error());
 *
 * The export traces the model: it runs it once on a small batch with every
 * node recorded (ck_tape_set_record_all) and translates what the tape
 * holds, op by op, through the op table's onnx column (ck_op.onnx). The
 * file has the model's inputs as graph inputs with a dynamic batch
 * dimension ("batch"), its outputs as graph outputs named after their
 * layers, every weight as an initializer named as ours ("dense/kernel"),
 * and node names that carry the layer names ("fm_output/MatMul"). What an
 * export runs is prediction: Dropout is the identity (nothing recorded),
 * losses and metrics are not part of it.
 *
 * Built when meson finds protobuf-c (-Donnx=auto, the default; see
 * meson_options.txt); without it ck_export_onnx fails with a message
 * saying so and ck_onnx_available() is 0. */
#ifndef CK_ONNX_H
#define CK_ONNX_H

#include "ck_model.h"

/* The opset written by default (ai.onnx). */
#define CK_ONNX_DEFAULT_OPSET 17
/* The oldest opset the translations are written for. */
#define CK_ONNX_MIN_OPSET 13
/* The newest opset this build writes (what its onnx.proto's checker knows). */
#define CK_ONNX_MAX_OPSET 17

typedef struct ck_onnx_options {
    int opset;              /* 0: CK_ONNX_DEFAULT_OPSET; else in [MIN, MAX] */
    const char *doc_string; /* the model's description, or NULL */
} ck_onnx_options;

/* Write m as an ONNX model to path (options may be NULL), atomically as
 * every output (ck_io.h: a unique temporary file renamed over path, so a
 * failure never leaves half a file, and a path that exists as anything but
 * a regular file is refused, before the model is traced). -1 with a
 * message (an op without a translation names the op, the layer and how to
 * add one; a path that cannot be written names it and says why). */
int ck_export_onnx(ck_model *m, const char *path, const ck_onnx_options *options);
/* 1 if this build can export (protobuf-c was found), else 0. */
int ck_onnx_available(void);

#endif
