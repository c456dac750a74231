/* The sklearn CSV reader on the shipped files and on hostile ones, the
 * StandardScaler against means and population stds worked out by hand,
 * and take_rows. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_csv.h"
#include "ck_error.h"
#include "ck_split.h"
#include "ck_test_dir.h"

static char dir[64];

static void setup(void)
{
    ck_error_clear();
    ck_test_dir_make(dir, sizeof dir, NULL, "ck_csv");
}
static void teardown(void)
{
    ck_test_dir_remove(dir);
    ck_error_clear();
}
TestSuite(csv, .init = setup, .fini = teardown);

/* the shipped copy of one of scikit-learn's files */
static const char *shipped(const char *name)
{
    static char path[512];
    const char *tests = getenv("CK_TEST_DATA");
    snprintf(path, sizeof path, "%s/../data/sklearn/%s", tests ? tests : "tests", name);
    return path;
}

/* a file in the scratch directory with these bytes */
static const char *write_file(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void expect_load_error(const char *path, const char *needle)
{
    ck_csv_dataset d;
    ck_error_clear();
    cr_assert_eq(ck_csv_load_sklearn(path, &d), -1, "loaded %s", path);
    cr_assert_not_null(ck_error());
    cr_assert(strstr(ck_error(), needle), "'%s' lacks '%s'", ck_error(), needle);
    cr_assert(d.x == NULL && d.y == NULL && d.n_samples == 0);
}

Test(csv, shipped_files_as_their_readme_says)
{
    static const struct {
        const char *file;
        int rows, features, classes, has_header;
        float x00;
        int y0, y_last;
    } files[] = {
        {"breast_cancer.csv", 569, 30, 2, 1, 17.99f, 0, 1},
        {"wine_data.csv", 178, 13, 3, 1, 14.23f, 0, 2},
        {"iris.csv", 150, 4, 3, 1, 5.1f, 0, 2},
        {"digits.csv", 1797, 64, 10, 0, 0.0f, 0, 8},
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        ck_csv_dataset d;
        cr_assert_eq(ck_csv_load_sklearn(shipped(files[i].file), &d), 0, "%s", ck_error());
        cr_assert_eq(d.n_samples, files[i].rows, "%s", files[i].file);
        cr_assert_eq(d.n_features, files[i].features);
        cr_assert_eq(d.n_classes, files[i].classes);
        cr_assert_eq(d.has_header, files[i].has_header);
        cr_assert_eq(d.x->shape.d[0], files[i].rows);
        cr_assert_eq(d.x->shape.d[1], files[i].features);
        cr_assert_eq(d.x->f[0], files[i].x00);
        cr_assert_eq(d.y->i[0], files[i].y0);
        cr_assert_eq(d.y->i[files[i].rows - 1], files[i].y_last);
        ck_csv_dataset_free(&d);
    }
}

Test(csv, header_names_and_values)
{
    ck_csv_dataset d;
    const char *p = write_file("h.csv", "3,2,cat,dog\n1.5,-2,1\n 3e2 ,0.25,0\n7,8,1\n");
    cr_assert_eq(ck_csv_load_sklearn(p, &d), 0, "%s", ck_error());
    cr_assert_str_eq(d.class_names[0], "cat");
    cr_assert_str_eq(d.class_names[1], "dog");
    const float want[] = {1.5f, -2.0f, 300.0f, 0.25f, 7.0f, 8.0f};
    for (int k = 0; k < 6; k++) cr_assert_eq(d.x->f[k], want[k]);
    cr_assert(d.y->i[0] == 1 && d.y->i[1] == 0 && d.y->i[2] == 1);
    ck_csv_dataset_free(&d);
}

Test(csv, no_header_crlf_and_no_final_newline)
{
    ck_csv_dataset d;
    const char *p = write_file("n.csv", "0,1,2,0\r\n3,4,5,4\r\n6,7,8,2");
    cr_assert_eq(ck_csv_load_sklearn(p, &d), 0, "%s", ck_error());
    cr_assert_eq(d.n_samples, 3);
    cr_assert_eq(d.n_features, 3);
    cr_assert_eq(d.n_classes, 5); /* the largest label + 1 */
    cr_assert_null(d.class_names);
    cr_assert_eq(d.x->f[8], 8.0f);
    cr_assert_eq(d.y->i[2], 2);
    ck_csv_dataset_free(&d);
}

Test(csv, errors_name_file_line_and_column)
{
    expect_load_error(write_file("a.csv", "1,2,0\n3,x,1\n"), "a.csv', line 2, column 2: 'x'");
    expect_load_error(write_file("b.csv", "1,2,0\n3,nan,1\n"), "line 2, column 2");
    expect_load_error(write_file("c.csv", "1,2,0\n3,4,inf\n"), "line 2, column 3");
    expect_load_error(write_file("d.csv", "1,1e39,0\n"), "line 1, column 2");
    expect_load_error(write_file("e.csv", "2,2,a,b\n1,2,0\n3,4,2\n"), "line 3, column 3: the label '2'");
    expect_load_error(write_file("f.csv", "1,2,0.5\n"), "line 1, column 3");
    expect_load_error(write_file("g.csv", "1,2,-1\n"), "line 1, column 3");
    expect_load_error(write_file("h.csv", "1,2,0\n1,2,3,0\n"), "line 2: 4 fields, expected 3");
    expect_load_error(write_file("i.csv", "1,2,0\n\n3,4,1\n"), "line 2: empty line");
    expect_load_error(write_file("j.csv", "3,2,a,b\n1,2,0\n3,4,1\n"), "header says 3 samples, the file has 2");
    expect_load_error(write_file("k.csv", "0,2,a,b\n"), "line 1, column 1: n_samples");
    expect_load_error(write_file("l.csv", "1,2,0\n3,,1\n"), "line 2, column 2");
    expect_load_error(write_file("m.csv", ""), "no data rows");
    expect_load_error(write_file("n.csv", "1,1,a,b\n1\n"), "line 2: 1 fields, expected 2");
    /* a typo in a first data row is a bad number, not a header */
    expect_load_error(write_file("o.csv", "0,0,5,x,1\n"), "line 1, column 4: 'x'");
    expect_load_error(write_file("p.csv", "abc,2,a,b\n"), "line 1, column 1: n_samples 'abc'");
}

Test(csv, only_regular_files)
{
    expect_load_error(dir, "not a regular file");
    expect_load_error("/dev/null", "not a regular file");
    char missing[128];
    snprintf(missing, sizeof missing, "%s/missing.csv", dir);
    expect_load_error(missing, "missing.csv");
    ck_csv_dataset d;
    cr_assert_eq(ck_csv_load_sklearn(NULL, &d), -1);
    cr_assert_eq(ck_csv_load_sklearn(missing, NULL), -1);
}

Test(csv, standard_scaler_population_std)
{
    /* column 0: 1, 2, 3, 6: mean 3, deviations -2 -1 0 3, population
     * variance (4 + 1 + 0 + 9) / 4 = 3.5; column 1 constant: scale 1;
     * column 2: -1, 1, -1, 1: mean 0, std 1 */
    float data[] = {1, 5, -1, 2, 5, 1, 3, 5, -1, 6, 5, 1};
    ck_tensor x = ck_tensor_view(CK_F32, ck_shape_of(2, 4, 3), data);
    ck_standard_scaler s;
    cr_assert_eq(ck_standard_scaler_fit(&s, &x), 0, "%s", ck_error());
    cr_assert_float_eq(s.mean[0], 3.0, 1e-12);
    cr_assert_float_eq(s.scale[0], sqrt(3.5), 1e-12);
    cr_assert_float_eq(s.mean[1], 5.0, 1e-12);
    cr_assert_eq(s.scale[1], 1.0);
    cr_assert_float_eq(s.scale[2], 1.0, 1e-12);
    /* applied to other rows with the training statistics */
    float other[] = {3 + 2 * (float)sqrt(3.5), 7, 0.5f};
    ck_tensor y = ck_tensor_view(CK_F32, ck_shape_of(2, 1, 3), other);
    cr_assert_eq(ck_standard_scaler_transform(&s, &y), 0);
    cr_assert_float_eq(other[0], 2.0f, 1e-5);
    cr_assert_float_eq(other[1], 2.0f, 1e-6);
    cr_assert_float_eq(other[2], 0.5f, 1e-6);
    ck_tensor wrong = ck_tensor_view(CK_F32, ck_shape_of(2, 3, 4), data);
    cr_assert_eq(ck_standard_scaler_transform(&s, &wrong), -1);
    ck_standard_scaler_free(&s);
}

Test(csv, take_rows_picks_rows_in_order)
{
    int32_t ids[] = {10, 11, 20, 21, 30, 31};
    ck_tensor t = ck_tensor_view(CK_I32, ck_shape_of(2, 3, 2), ids);
    int64_t idx[] = {2, 0, 2};
    ck_tensor *r = ck_take_rows(&t, idx, 3);
    cr_assert_not_null(r, "%s", ck_error());
    const int32_t want[] = {30, 31, 10, 11, 30, 31};
    for (int k = 0; k < 6; k++) cr_assert_eq(r->i[k], want[k]);
    ck_tensor_free(r);
    int64_t bad[] = {3};
    cr_assert_null(ck_take_rows(&t, bad, 1));
}
