/* ck_callbacks_internal.h - what the built-in callbacks share (not
 * installed). */
#ifndef CK_CALLBACKS_INTERNAL_H
#define CK_CALLBACKS_INTERNAL_H

#include <stddef.h>

#include "ck_model_internal.h"

/* A callback named `name` with a zeroed state of state_size bytes. */
ck_callback *ck_callback_new(const char *name, size_t state_size);
/* Keras's mode='auto': "max" for a monitor named like an accuracy or an
 * area under a curve (containing "acc" or "auc": "val_accuracy",
 * "val_auc", "out_sparse_categorical_accuracy"), "min" otherwise. */
int ck_monitor_is_max(const char *monitor);

#endif
