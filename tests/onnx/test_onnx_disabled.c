/* ck_export_onnx in a build without protobuf-c (-Donnx=disabled, or auto
 * without it): the API links, says it cannot export and why, and writes
 * nothing. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "ck_onnx.h"

Test(onnx_disabled, export_is_refused_with_the_remedy_and_writes_nothing)
{
    ck_error_clear();
    cr_assert_eq(ck_onnx_available(), 0);
    ck_session *s = ck_session_new(1);
    ck_sym *x = ck_Input(s, ck_shape_of(1, 3), CK_F32, "x");
    ck_sym *y = ck_call1(ck_Dense(s, 1, NULL, "out"), x);
    ck_model *m = ck_Model(s, &x, 1, &y, 1, "m");
    cr_assert(m, "%s", ck_error());
    const char *path = "ck_onnx_disabled_test.onnx";
    cr_assert_eq(ck_export_onnx(m, path, NULL), -1);
    cr_assert(strstr(ck_error(), "no ONNX support"), "%s", ck_error());
    cr_assert(strstr(ck_error(), "-Donnx=enabled"), "says how to get it: %s", ck_error());
    cr_assert_neq(access(path, F_OK), 0, "nothing written");
    ck_session_free(s);
    ck_error_clear();
}
