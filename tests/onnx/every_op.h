/* every_op.h - a model with one output per built-in op (tests/onnx): each
 * op in a Lambda of its own, named "op_<name>", so ONNX Runtime's value of
 * every op's translation is compared with ck_predict's (onnx_cases
 * "every_op"), and test_onnx checks that no exportable op is left out. */
#ifndef EVERY_OP_H
#define EVERY_OP_H

#include "ckeras.h"

/* The ops an export never meets (losses: an export traces predictions),
 * which have no translation: NULL-terminated. */
extern const char *const every_op_losses[];
int every_op_is_loss(const char *op);

/* The inputs of the model: x (batch, 2, 7) float32 and ids (batch, 4)
 * int32 ids in [0, EVERY_OP_VOCAB), 0 the padding. */
enum { EVERY_OP_ROWS_X = 2, EVERY_OP_COLS_X = 7, EVERY_OP_IDS = 4, EVERY_OP_VOCAB = 30 };
#define EVERY_OP_MAX_OUTPUTS 64

/* The model; *n_out and outputs[EVERY_OP_MAX_OUTPUTS] get its outputs,
 * whole_batch[] (may be NULL) whether each depends on the whole batch (the
 * training form of batch_norm: its statistics are the batch's, so it can
 * only be compared on the same batch). */
ck_model *every_op_model(ck_session *s, ck_sym **outputs, int *whole_batch, int *n_out);

/* The first op of the table (ck_ops) that is neither a loss nor in the
 * model, or NULL when every one is. */
const char *every_op_missing(void);

#endif
