/* The tape's fusion (ck_tape_set_fusion, autograd/fusion.c): sums over a
 * deferred concat or square read the parts in place, with the same values
 * and gradients, bit for bit, as the unfused ops (a part with other
 * consumers: its gradient to float rounding); a deferred value any
 * other consumer needs is made then; sum_concat's values by hand; a sum
 * and a sum of squares over the same parts folded into one backward pass. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "ck_autograd.h"

static ck_node *param(ck_shape s, float base)
{
    ck_tensor *v = ck_tensor_zeros(s);
    cr_assert_not_null(v);
    /* varied values, not round: sums of them round differently by order */
    for (int64_t k = 0; k < v->size; k++) v->f[k] = base + 0.1f * (float)((k * 7) % 13) - 0.37f * (float)(k % 3);
    return ck_param(v, "p");
}

Test(fusion, sum_concat_values_by_hand)
{
    ck_tape *t = ck_tape_new();
    /* a (2, 1, 2) = [[1, 2]], [[3, 4]]; b (2, 2, 2) = [[5, 6], [7, 8]], [[9, 10], [11, 12]] */
    float a_data[4] = {1, 2, 3, 4}, b_data[8] = {5, 6, 7, 8, 9, 10, 11, 12};
    ck_tensor a = ck_tensor_view(CK_F32, ck_shape_of(3, 2, 1, 2), a_data);
    ck_tensor b = ck_tensor_view(CK_F32, ck_shape_of(3, 2, 2, 2), b_data);
    ck_node *parts[2] = {ck_const(t, &a), ck_const(t, &b)};
    ck_node *s = ck_sum_concat(t, parts, 2, 1, 0, 1.0f);
    cr_assert_not_null(s, "%s", ck_error());
    /* row 0: 1 + 5 + 7, 2 + 6 + 8; row 1: 3 + 9 + 11, 4 + 10 + 12 */
    const float sums[4] = {13, 16, 23, 26};
    for (int k = 0; k < 4; k++) cr_expect_eq(s->value.f[k], sums[k], "sum %d: %g", k, (double)s->value.f[k]);
    ck_node *q = ck_sum_square_concat(t, parts, 2, -2, 1, 1.0f / 3.0f);
    cr_assert_not_null(q, "%s", ck_error());
    cr_assert_eq(q->value.shape.ndim, 3);
    cr_assert_eq(q->value.shape.d[1], 1);
    /* (1 + 25 + 49) / 3 = 25, (4 + 36 + 64) / 3, (9 + 81 + 121) / 3, (16 + 100 + 144) / 3, each term / 3 */
    const float means[4] = {25.0f, 104.0f / 3.0f, 211.0f / 3.0f, 260.0f / 3.0f};
    for (int k = 0; k < 4; k++) cr_expect_float_eq(q->value.f[k], means[k], 1e-5f, "mean of squares %d", k);
    /* parts that differ in another dim are refused, with the shapes */
    ck_tensor c = ck_tensor_view(CK_F32, ck_shape_of(3, 2, 1, 1), a_data);
    ck_node *bad[2] = {parts[0], ck_const(t, &c)};
    ck_error_clear();
    cr_expect_null(ck_sum_concat(t, bad, 2, 1, 0, 1.0f));
    cr_expect(ck_error() && strstr(ck_error(), "sum_concat: input 1 has shape (2, 1, 1)"), "%s", ck_error());
    ck_error_clear();
    ck_tape_free(t);
}

/* The FM's interaction on four fields of (rows, 1, k), fused or not:
 * 0.5 * sum_k((sum_i x_ik)^2 - sum_i x_ik^2); when asked, a use of the
 * concatenation that needs it made (a mul), or a second consumer of a field
 * (a mean of its square: the field's gradient then adds the fused sums'
 * terms one by one instead of as their sum, so it may differ in the last
 * bit). */
typedef struct run {
    float value[8], grads[4][16];
    int recorded;
} run;

enum { FIELD_USED_TWICE = 1, CONCAT_NEEDED = 2 };
static run interaction(int fusion, int extra)
{
    enum { ROWS = 2, K = 8 };
    ck_node *fields[4];
    for (int f = 0; f < 4; f++) fields[f] = param(ck_shape_of(3, ROWS, 1, K), 0.3f * (float)f - 0.5f);
    ck_tape *t = ck_tape_new();
    ck_tape_set_fusion(t, fusion);
    ck_node *scaled[4];
    for (int f = 0; f < 4; f++) scaled[f] = ck_scale(t, fields[f], 1.5f); /* values made on the tape */
    ck_node *embed = ck_concat(t, scaled, 4, 1);                          /* (ROWS, 4, K) */
    ck_node *sum_of_embed = ck_sum(t, embed, 1, 0);                       /* (ROWS, K) */
    ck_node *sum_of_square = ck_sum(t, ck_square(t, embed), 1, 0);
    ck_node *sub = ck_sub(t, ck_mul(t, sum_of_embed, sum_of_embed), sum_of_square);
    ck_node *y = ck_sum(t, ck_scale(t, sub, 0.5f), 1, 0); /* (ROWS) */
    if (extra & FIELD_USED_TWICE)                         /* + the mean of field 2's squares, (ROWS) */
        y = ck_add(t, y, ck_sum(t, ck_mean(t, ck_square(t, scaled[2]), 2, 0), 1, 0));
    if (extra & CONCAT_NEEDED) { /* a view of it (its shape rule reads the size), then a product */
        ck_node *flat = ck_reshape(t, embed, ck_shape_of(2, ROWS, -1));
        y = ck_add(t, y, ck_sum(t, ck_mul(t, flat, flat), 1, 0));
    }
    cr_assert_not_null(y, "%s", ck_error());
    cr_assert_eq(y->value.size, ROWS, "one value a row: the seed's size");
    if (fusion && !(extra & CONCAT_NEEDED)) cr_assert_null(embed->value.data, "the concatenation is never made");
    if (extra & CONCAT_NEEDED) cr_assert_not_null(embed->value.data, "a mul needs the concatenation: it is made");
    run r = {.recorded = ck_tape_size(t)};
    cr_assert_eq(ck_backward_seed(t, y, (const float[]){1.0f, 1.0f}), 0, "%s", ck_error());
    for (int k = 0; k < ROWS; k++) r.value[k] = y->value.f[k];
    for (int f = 0; f < 4; f++) {
        memcpy(r.grads[f], fields[f]->grad, sizeof(float) * ROWS * K);
        ck_param_free(fields[f]);
    }
    ck_tape_free(t);
    return r;
}

/* Values bit for bit; gradients too, but field `rounded`'s (-1: none),
 * equal to float rounding. */
static void assert_same(const run *a, const run *b, int rounded)
{
    for (int k = 0; k < 2; k++)
        cr_assert_eq(a->value[k], b->value[k], "value %d: %.9g vs %.9g", k, (double)a->value[k], (double)b->value[k]);
    for (int f = 0; f < 4; f++)
        for (int k = 0; k < 16; k++) {
            float x = a->grads[f][k], y = b->grads[f][k];
            if (f == rounded)
                cr_assert_float_eq(x, y, 1e-6f * (1.0f + fabsf(x)), "field %d gradient %d: %.9g vs %.9g", f, k,
                                   (double)x, (double)y);
            else
                cr_assert_eq(x, y, "field %d gradient %d: %.9g vs %.9g", f, k, (double)x, (double)y);
        }
}

Test(fusion, the_fm_interaction_fused_is_bit_for_bit_the_unfused)
{
    run plain = interaction(0, 0), fused = interaction(1, 0);
    assert_same(&plain, &fused, -1);
    /* the concat, both squares and two sums' worth of nodes are gone */
    cr_expect_lt(fused.recorded, plain.recorded, "%d nodes fused vs %d", fused.recorded, plain.recorded);
}

Test(fusion, a_consumer_that_needs_the_value_gets_it_made)
{
    run plain = interaction(0, CONCAT_NEEDED), fused = interaction(1, CONCAT_NEEDED);
    assert_same(&plain, &fused, -1);
}

Test(fusion, a_field_used_twice_gets_its_gradient_to_float_rounding)
{
    run plain = interaction(0, FIELD_USED_TWICE), fused = interaction(1, FIELD_USED_TWICE);
    assert_same(&plain, &fused, 2);
}

/* The genre mean: K.mean over an Embedding's (rows, 3, k) output, fused
 * into an embedding bag; values and the table's gradient bit for bit, for
 * rows of every block the kernels cut (16 + 16 + 4 + 1 columns, 16 + 4, 4 + 2). */
static void embedding_bag_case(int dim)
{
    const int32_t id_data[8] = {3, 0, 3, 1, 2, 2, 0, 4}; /* 4 bags of 2, ids repeated */
    ck_tensor ids = ck_tensor_view(CK_I32, ck_shape_of(2, 4, 2), (void *)id_data);
    float values[2][4 * 37], grads[2][5 * 37];
    for (int fusion = 0; fusion < 2; fusion++) {
        ck_node *table = param(ck_shape_of(2, 5, dim), 0.1f);
        ck_tape *t = ck_tape_new();
        ck_tape_set_fusion(t, fusion);
        ck_node *rows = ck_gather(t, table, ck_const(t, &ids)); /* (4, 2, dim) */
        ck_node *mean = ck_mean(t, rows, 1, 1);                 /* (4, 1, dim) */
        cr_assert_not_null(mean, "%s", ck_error());
        cr_expect_eq(mean->op, &ck_ops[fusion ? CK_OP_SUM_GATHER : CK_OP_MEAN]);
        cr_expect_eq(mean->value.shape.ndim, 3);
        ck_node *y = ck_sum(t, ck_reshape(t, ck_mul(t, mean, mean), ck_shape_of(1, -1)), 0, 0);
        cr_assert_eq(ck_backward(t, y), 0, "%s", ck_error());
        memcpy(values[fusion], mean->value.f, sizeof(float) * 4 * (size_t)dim);
        memcpy(grads[fusion], table->grad, sizeof(float) * 5 * (size_t)dim);
        ck_tape_free(t);
        ck_param_free(table);
    }
    cr_expect_eq(memcmp(values[0], values[1], sizeof(float) * 4 * (size_t)dim), 0, "dim %d: the same means", dim);
    cr_expect_eq(memcmp(grads[0], grads[1], sizeof(float) * 5 * (size_t)dim), 0, "dim %d: the same table gradient",
                 dim);
    /* by hand: bag 0 holds ids 3 and 0, so its mean is their rows' average,
     * and y = sum of squared means gives row 4 (in bag 3 only, with id 0)
     * 2 mean_3 / 2 */
    ck_node *table = param(ck_shape_of(2, 5, dim), 0.1f);
    const float *w = table->value.f;
    for (int j = 0; j < dim; j++) {
        cr_expect_float_eq(values[1][j], 0.5f * w[3 * dim + j] + 0.5f * w[j], 1e-6f);
        float mean_3 = 0.5f * w[j] + 0.5f * w[4 * dim + j];
        cr_expect_float_eq(grads[1][4 * dim + j], mean_3, 1e-6f, "dim %d column %d: %g vs %g", dim, j,
                           (double)grads[1][4 * dim + j], (double)mean_3);
    }
    ck_param_free(table);
}

Test(fusion, a_mean_over_a_gather_is_an_embedding_bag_bit_for_bit)
{
    const int dims[3] = {6, 20, 37};
    for (int k = 0; k < 3; k++) embedding_bag_case(dims[k]);
}

Test(fusion, a_sum_along_another_axis_is_not_fused)
{
    ck_node *a = param(ck_shape_of(3, 2, 1, 3), 0.2f), *b = param(ck_shape_of(3, 2, 2, 3), -0.4f);
    float values[2][6];
    for (int fusion = 0; fusion < 2; fusion++) {
        ck_tape *t = ck_tape_new();
        ck_tape_set_fusion(t, fusion);
        ck_node *c = ck_concat(t, (ck_node *[]){a, b}, 2, 1);
        ck_node *s = ck_sum(t, ck_square(t, c), 2, 0); /* (2, 3): along k, not the fields */
        cr_assert_not_null(s, "%s", ck_error());
        cr_expect_eq(s->op, &ck_ops[CK_OP_SUM], "a plain sum");
        cr_expect_not_null(c->value.data, "the concatenation was made for it");
        memcpy(values[fusion], s->value.f, sizeof values[fusion]);
        ck_tape_free(t);
    }
    cr_expect_eq(memcmp(values[0], values[1], sizeof values[0]), 0);
    ck_param_free(a);
    ck_param_free(b);
}

Test(fusion, a_deferred_root_and_ck_tape_compute)
{
    ck_node *a = param(ck_shape_of(2, 1, 3), 0.2f), *b = param(ck_shape_of(2, 1, 3), -0.4f);
    ck_tape *t = ck_tape_new();
    ck_tape_set_fusion(t, 1);
    ck_node *c = ck_concat(t, (ck_node *[]){a, b}, 2, 0); /* (2, 3) */
    cr_assert_not_null(c);
    cr_assert(c->deferred && !c->value.data, "deferred until needed");
    /* backward from it: made, recorded, differentiated */
    cr_assert_eq(ck_backward_seed(t, c, (const float[]){1, 2, 3, 4, 5, 6}), 0, "%s", ck_error());
    cr_expect_eq(c->deferred, 0);
    cr_expect_eq(c->value.f[4], b->value.f[1]);
    cr_expect_eq(a->grad[2], 3.0f);
    cr_expect_eq(b->grad[0], 4.0f);
    ck_node *sq = ck_square(t, a);
    cr_assert(sq->deferred);
    cr_assert_eq(ck_tape_compute(t, sq), 0);
    cr_expect_eq(sq->value.f[1], a->value.f[1] * a->value.f[1]);
    cr_expect_eq(ck_tape_compute(t, sq), 0, "nothing left to do");
    ck_tape_free(t);
    ck_param_free(a);
    ck_param_free(b);
}

/* A sum and a sum of squares over one deferred concat: the later one's
 * backward folded into the earlier one's (one pass over the parts'
 * gradients), the parts' gradients bit for bit those of the unfused ops
 * (a -0 among them), in every case the pair can meet: either order, either
 * sum alone reaching the root, backward run twice, a part read between the
 * two sums or given twice (not folded then; a part read elsewhere gets its
 * terms one by one, to float rounding, as with any fused sum). */
enum {
    SQUARES_FIRST = 1,  /* the sum of squares made before the sum */
    ONLY_SUM = 2,       /* only the sum reaches the root */
    ONLY_SQUARES = 4,   /* only the sum of squares does */
    READ_BETWEEN = 8,   /* a part is read (scaled) between the two sums */
    PART_TWICE = 16,    /* the concat holds part 0 twice */
    BACKWARD_TWICE = 32 /* backward run twice on the tape */
};
typedef struct pair_run {
    float grads[3][2 * 5], part_grads[3][2 * 5]; /* the fields', and the parts' (before the params add them up) */
    int folded;
} pair_run;

static pair_run pair_case(int fusion, int how)
{
    enum { ROWS = 2, K = 5 };
    ck_node *fields[3];
    for (int f = 0; f < 3; f++) fields[f] = param(ck_shape_of(3, ROWS, 1, K), 0.4f - 0.35f * (float)f);
    fields[0]->value.f[7] = -0.0f; /* a -0 gradient term (row 1: seed -0.75): bit for bit means its sign too */
    ck_tape *t = ck_tape_new();
    ck_tape_set_fusion(t, fusion);
    ck_node *made[3];
    for (int f = 0; f < 3; f++) made[f] = ck_scale(t, fields[f], 1.25f); /* values on the tape */
    ck_node *parts[3] = {made[0], how & PART_TWICE ? made[0] : made[1], made[2]};
    ck_node *embed = ck_concat(t, parts, 3, 1); /* (ROWS, 3, K) */
    ck_node *sum = NULL, *squares = NULL, *between = NULL;
    if (how & SQUARES_FIRST) squares = ck_sum(t, ck_square(t, embed), 1, 0);
    if (!sum) sum = ck_sum(t, embed, 1, 0);
    if (how & READ_BETWEEN) between = ck_scale(t, made[1], -0.5f);
    if (!squares) squares = ck_sum(t, ck_square(t, embed), 1, 0);
    cr_assert(sum && squares, "%s", ck_error());
    /* y (ROWS) = sum_k (sum_k * sum_k - 0.5 squares_k), or one of the two alone */
    ck_node *y_sum = ck_sum(t, ck_mul(t, sum, sum), 1, 0), *y_squares = ck_sum(t, ck_scale(t, squares, -0.5f), 1, 0);
    ck_node *y = how & ONLY_SUM ? y_sum : how & ONLY_SQUARES ? y_squares : ck_add(t, y_sum, y_squares);
    if (between) y = ck_add(t, y, ck_sum(t, ck_sum(t, between, 2, 0), 1, 0));
    cr_assert_not_null(y, "%s", ck_error());
    pair_run r = {.folded = sum->folded || squares->folded};
    for (int pass = 0; pass < (how & BACKWARD_TWICE ? 2 : 1); pass++) {
        for (int f = 0; f < 3; f++) memset(fields[f]->grad, 0, sizeof(float) * ROWS * K);
        cr_assert_eq(ck_backward_seed(t, y, (const float[]){1.0f, -0.75f}), 0, "%s", ck_error());
    }
    for (int f = 0; f < 3; f++) {
        memcpy(r.grads[f], fields[f]->grad, sizeof r.grads[f]);
        memcpy(r.part_grads[f], made[f]->grad, sizeof r.part_grads[f]);
        ck_param_free(fields[f]);
    }
    ck_tape_free(t);
    return r;
}

Test(fusion, a_sum_and_its_sum_of_squares_share_one_backward_pass_bit_for_bit)
{
    const int cases[] = {0,
                         SQUARES_FIRST,
                         ONLY_SUM,
                         ONLY_SQUARES,
                         SQUARES_FIRST | ONLY_SUM,
                         SQUARES_FIRST | ONLY_SQUARES,
                         BACKWARD_TWICE,
                         ONLY_SQUARES | BACKWARD_TWICE,
                         READ_BETWEEN,
                         PART_TWICE};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const int how = cases[c];
        pair_run plain = pair_case(0, how), fused = pair_case(1, how);
        cr_expect_eq(plain.folded, 0, "case %d: no fusion, no fold", how);
        cr_expect_eq(fused.folded, !(how & (READ_BETWEEN | PART_TWICE)), "case %d: folded %d", how, fused.folded);
        for (int f = 0; f < 3; f++)
            for (int k = 0; k < 10; k++) /* as bits: -0 is not +0 */
            {
                cr_expect_eq(memcmp(&plain.grads[f][k], &fused.grads[f][k], sizeof(float)), 0,
                             "case %d: field %d gradient %d: %.9g vs %.9g", how, f, k, (double)plain.grads[f][k],
                             (double)fused.grads[f][k]);
                if ((how & READ_BETWEEN) && f == 1) /* another consumer: its terms added one by one (see above) */
                    cr_expect_float_eq(plain.part_grads[f][k], fused.part_grads[f][k],
                                       1e-6f * (1.0f + fabsf(plain.part_grads[f][k])), "case %d: part 1 gradient %d",
                                       how, k);
                else
                    cr_expect_eq(memcmp(&plain.part_grads[f][k], &fused.part_grads[f][k], sizeof(float)), 0,
                                 "case %d: part %d gradient %d: %.9g vs %.9g", how, f, k,
                                 (double)plain.part_grads[f][k], (double)fused.part_grads[f][k]);
            }
    }
}
