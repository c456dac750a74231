/* fm_common.h - what fm_movielens and deepfm share: the data they train on
 * (MovieLens from --data, or the built-in generated set), the FM settings
 * from the options, error reporting and the checkpoint's directory. */
#ifndef FM_COMMON_H
#define FM_COMMON_H

#include "ck_fm.h"
#include "ck_movielens.h"
#include "fm_cli.h"

enum { EXIT_OK = 0, EXIT_FAILURE_ = 1, EXIT_BAD_INPUT = 2 };

/* "prog: what: <library message>" on stderr; clears the message; returns status. */
int fm_report(const char *prog, int status, const char *what);
/* --data DIR (format detected), or the generated dataset; says which unless --quiet. */
int fm_load_data(const fm_options *o, ck_movielens *d);
/* The notebook's fm_model parameters from the data and the options. */
ck_fm_config fm_config(const fm_options *o, const ck_movielens *d);
/* mkdir of a file's parent directory (one level, like the notebook's ./model). */
int fm_ensure_parent_dir(const char *path);

#endif
