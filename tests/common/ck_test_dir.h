/* ck_test_dir.h - the fixture of the tests that write files: a fresh
 * directory per test, removed with everything in it afterwards. Header
 * only (static inline), included by the test files that need it. */
#ifndef CK_TEST_DIR_H
#define CK_TEST_DIR_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

/* dir (n bytes) = a new, empty directory "<parent>/<prefix>_XXXXXX", the
 * X's made unique (parent: /tmp when NULL). Fails the test otherwise. */
static inline void ck_test_dir_make(char *dir, size_t n, const char *parent, const char *prefix)
{
    int len = snprintf(dir, n, "%s/%s_XXXXXX", parent ? parent : "/tmp", prefix);
    cr_assert(len > 0 && (size_t)len < n, "test directory name too long for %zu bytes", n);
    cr_assert_not_null(mkdtemp(dir), "cannot make a test directory from %s", dir);
}

/* Remove dir and everything in it. Fails the test when that fails. */
static inline void ck_test_dir_remove(const char *dir)
{
    char cmd[512];
    int len = snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert(len > 0 && (size_t)len < sizeof cmd);
    cr_assert_eq(system(cmd), 0, "cannot remove %s", dir);
}

#endif
