/* onnx_disabled.c - ck_export_onnx in a build without protobuf-c (meson
 * -Donnx=disabled, or auto without it): the API is there, and says why it
 * cannot export. */
#include "ck_onnx.h"

int ck_export_onnx(ck_model *m, const char *path, const ck_onnx_options *options)
{
    (void)m;
    (void)path;
    (void)options;
    return ck_fail("export_onnx: this build of ckeras has no ONNX support; rebuild with meson -Donnx=enabled (needs "
                   "Debian's protobuf-c-compiler, libprotobuf-c-dev and libonnx-dev)");
}

int ck_onnx_available(void) { return 0; }
