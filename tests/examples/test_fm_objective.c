/* The FM examples' presets and objectives (examples/fm_presets.c,
 * fm_objective.c, fm_driver.c): the presets' settings as documented, an
 * option given wins over its preset, the like target (rating >= 4), the
 * like model's output (a probability, the sigmoid of the rating model's
 * output), L2 on every Embedding and Dense kernel, the nested split, the
 * checkpoint names, and recommend's ranking by the model's output. Each
 * test that needs MovieLens writes a tiny ml-1m directory of its own. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_split.h"
#include "fm_driver.h"
#include "fm_objective.h"
#include "fm_presets.h"
#include "ck_test_dir.h"

/* ---- a tiny ml-1m directory ---- */

static char dir[64];

static void write_text(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fputs(text, f) >= 0, 1);
    fclose(f);
}

/* 3 users (occupations 10, 3, 0), 8 movies, 10 ratings; 5 of them are 4 or
 * 5 (u1 m1 5, u1 m3 4, u2 m4 5, u3 m2 4, u3 m5 5). User 1 rated movies 1, 2
 * and 3, so recommend's candidates for user 1 are movies 4..8. */
static void make_fixture(void)
{
    ck_test_dir_make(dir, sizeof dir, NULL, "ck_fm_objective");
    write_text("ratings.dat", "1::1::5::1\n1::2::3::2\n1::3::4::3\n2::1::2::4\n2::4::5::5\n"
                              "2::5::1::6\n3::2::4::7\n3::3::3::8\n3::5::5::9\n2::6::2::10\n");
    write_text("users.dat", "1::F::1::10::48067\n2::M::25::3::55117\n3::M::45::0::02460\n");
    write_text("movies.dat", "1::A (1995)::Comedy|Drama\n2::B (1995)::Action|Crime\n3::C (2000)::Drama\n"
                             "4::D (1990)::Comedy\n5::E (1991)::Horror|Drama\n6::F (1992)::Action\n"
                             "7::G (1993)::Drama|Romance\n8::H (1994)::Comedy|Romance\n");
}

static void remove_fixture(void)
{
    ck_test_dir_remove(dir);
    ck_error_clear();
}

TestSuite(presets);
TestSuite(objective, .init = make_fixture, .fini = remove_fixture);
TestSuite(recommend, .init = make_fixture, .fini = remove_fixture);

static fm_options parse(int argc, char **argv)
{
    fm_options o;
    char err[256];
    cr_assert_eq(fm_parse_args(argc, argv, &o, err, sizeof err), 0, "%s", err);
    return o;
}

/* ---- presets ---- */

Test(presets, notebook_is_the_default_and_the_notebooks_settings)
{
    fm_options o = parse(1, (char *[]){"fm_movielens", NULL});
    /* In [9]: k 20; In [12]: Adam(0.001), batch 2048, 30 epochs, patience 3 */
    cr_expect_eq(o.preset, FM_PRESET_NOTEBOOK);
    cr_expect_eq(o.objective, FM_OBJECTIVE_RATING);
    cr_expect_eq(o.k, 20);
    cr_expect_eq(o.batch, 2048);
    cr_expect_eq(o.epochs, 30);
    cr_expect_eq(o.patience, 3);
    cr_expect_eq(o.lr, 0.001);
    cr_expect_eq(o.lr_schedule, FM_LR_CONSTANT);
    cr_expect_eq(o.l2_embeddings, 0.0);
    cr_expect_eq(o.l2_dense, 0.0);
    cr_expect_eq(o.occupation_scale, 1.0);
    cr_expect_eq(o.early_stop_split, 0.0);
}

/* The values docs/fm-under-the-hood.md (section 19) and the README give. */
Test(presets, tuned_has_the_documented_settings)
{
    fm_options o = parse(3, (char *[]){"fm_movielens", "--preset", "tuned", NULL});
    cr_expect_eq(o.preset, FM_PRESET_TUNED);
    cr_expect_eq(o.k, 64);
    cr_expect_eq(o.batch, 1024);
    cr_expect_eq(o.epochs, 50);
    cr_expect_eq(o.patience, 10);
    cr_expect_eq(o.lr, 0.001);
    cr_expect_eq(o.lr_schedule, FM_LR_CONSTANT);
    cr_expect_eq(o.l2_embeddings, 9e-5);
    cr_expect_eq(o.l2_dense, 0.1);
    cr_expect_eq(o.occupation_scale, 0.05);
    cr_expect_eq(o.early_stop_split, 0.1);
    /* and they are the table's row */
    const fm_options *t = fm_preset_find(FM_PRESET_TUNED, FM_OBJECTIVE_RATING)->settings;
    cr_expect(o.k == t->k && o.batch == t->batch && o.epochs == t->epochs && o.lr == t->lr &&
              o.l2_embeddings == t->l2_embeddings && o.lr_decay == t->lr_decay);
}

Test(presets, every_preset_has_a_row_for_every_objective)
{
    for (int p = 0; p < FM_N_PRESETS; p++)
        for (int j = 0; j < FM_N_OBJECTIVES; j++) {
            const fm_preset *row = fm_preset_find(p, j);
            cr_assert_not_null(row, "preset %s, objective %s", fm_preset_names[p], fm_objective_names[j]);
            cr_expect(row->settings->k >= 1 && row->settings->batch >= 1 && row->settings->lr > 0);
        }
    cr_expect_null(fm_preset_find(FM_N_PRESETS, 0));
}

Test(presets, an_option_given_wins_whatever_its_place)
{
    fm_options a = parse(7, (char *[]){"fm_movielens", "--preset", "tuned", "--k", "4", "--epochs", "2", NULL});
    fm_options b = parse(7, (char *[]){"fm_movielens", "--k", "4", "--epochs", "2", "--preset", "tuned", NULL});
    const fm_options *t = fm_preset_find(FM_PRESET_TUNED, FM_OBJECTIVE_RATING)->settings;
    cr_expect(a.k == 4 && b.k == 4 && a.epochs == 2 && b.epochs == 2);
    cr_expect(a.batch == t->batch && b.batch == t->batch && a.lr == t->lr && b.l2_dense == t->l2_dense);
    fm_options c = parse(3, (char *[]){"fm_movielens", "--lr-schedule", "exponential", NULL});
    cr_expect_eq(c.lr_schedule, FM_LR_EXPONENTIAL);
    cr_expect_eq(c.k, 20); /* the rest: the notebook's */
}

Test(presets, bad_choices_are_refused_with_the_choices)
{
    fm_options o;
    char err[256];
    cr_expect_eq(fm_parse_args(3, (char *[]){"fm_movielens", "--preset", "best", NULL}, &o, err, sizeof err), -1);
    cr_expect(strstr(err, "notebook|tuned"), "%s", err);
    cr_expect_eq(fm_parse_args(3, (char *[]){"fm_movielens", "--objective", "click", NULL}, &o, err, sizeof err), -1);
    cr_expect(strstr(err, "rating|like"), "%s", err);
    cr_expect_eq(fm_parse_args(3, (char *[]){"fm_movielens", "--early-stop-split", "1", NULL}, &o, err, sizeof err),
                 -1);
}

Test(presets, checkpoint_names_say_preset_and_objective)
{
    fm_program p = {"fm_movielens", "FM", "models/fm.safetensors", NULL};
    char buf[256];
    fm_options o = parse(1, (char *[]){"fm_movielens", NULL});
    cr_expect_str_eq(fm_checkpoint_path(&p, &o, buf, sizeof buf), "models/fm.safetensors");
    o.preset = FM_PRESET_TUNED;
    cr_expect_str_eq(fm_checkpoint_path(&p, &o, buf, sizeof buf), "models/fm_tuned.safetensors");
    o.objective = FM_OBJECTIVE_LIKE;
    cr_expect_str_eq(fm_checkpoint_path(&p, &o, buf, sizeof buf), "models/fm_tuned_like.safetensors");
    o.preset = FM_PRESET_NOTEBOOK;
    cr_expect_str_eq(fm_checkpoint_path(&p, &o, buf, sizeof buf), "models/fm_like.safetensors");
    p.default_checkpoint = "weights.d/deepfm";
    cr_expect_str_eq(fm_checkpoint_path(&p, &o, buf, sizeof buf), "weights.d/deepfm_like");
    o.checkpoint = "mine.safetensors";
    cr_expect_str_eq(fm_checkpoint_path(&p, &o, buf, sizeof buf), "mine.safetensors");
}

/* ---- objectives ---- */

Test(objective, like_target_is_rating_at_least_4)
{
    float y[] = {1, 2, 3, 4, 5, 3.5f, 4.5f};
    fm_like_targets(y, 7);
    const float want[] = {0, 0, 0, 1, 1, 0, 1};
    for (int i = 0; i < 7; i++) cr_expect_eq(y[i], want[i], "rating %d", i);

    ck_movielens d;
    cr_assert_eq(ck_movielens_load(dir, &d), 0, "%s", ck_error());
    cr_assert_eq(d.n, 10);
    int ratings_4_or_5 = 0;
    for (int64_t r = 0; r < d.n; r++) ratings_4_or_5 += d.rating[r] >= 4;
    cr_expect_eq(ratings_4_or_5, 5); /* the fixture's comment */
    fm_like_targets(d.rating, d.n);
    int likes = 0;
    for (int64_t r = 0; r < d.n; r++) {
        cr_expect(d.rating[r] == 0.0f || d.rating[r] == 1.0f);
        likes += d.rating[r] == 1.0f;
    }
    cr_expect_eq(likes, 5);
    ck_movielens_free(&d);
}

Test(objective, specs_say_loss_metrics_and_monitor)
{
    fm_options o = parse(1, (char *[]){"fm_movielens", NULL});
    fm_objective_spec s = fm_objective_for(&o);
    cr_expect_str_eq(s.loss, "MSE");
    cr_expect_null(s.output_activation);
    cr_expect_eq(s.n_metrics, 0);
    cr_expect_str_eq(s.monitor, "val_loss");
    o.l2_dense = 0.1; /* val_loss would include the penalty */
    s = fm_objective_for(&o);
    cr_expect_str_eq(s.monitor, "val_mse");
    cr_expect(s.n_metrics == 1 && !strcmp(s.metrics[0], "mse"));
    o.objective = FM_OBJECTIVE_LIKE;
    s = fm_objective_for(&o);
    cr_expect_str_eq(s.loss, "binary_crossentropy");
    cr_expect_str_eq(s.output_activation, "sigmoid");
    cr_expect_str_eq(s.monitor, "val_auc");
    cr_expect(s.n_metrics == 2 && !strcmp(s.metrics[0], "auc") && !strcmp(s.metrics[1], "binary_crossentropy"));
}

/* The checkpoint threshold and the best epoch compare by the monitor's
 * direction: AUC and accuracy up, losses down (Keras's mode 'auto'). */
Test(presets, monitors_compare_in_their_direction)
{
    cr_expect(fm_monitor_is_max("val_auc"));
    cr_expect(fm_monitor_is_max("val_accuracy"));
    cr_expect(!fm_monitor_is_max("val_loss"));
    cr_expect(!fm_monitor_is_max("val_mse"));
    cr_expect(fm_better("val_auc", 0.75, 0.70));
    cr_expect(!fm_better("val_auc", 0.70, 0.75));
    cr_expect(fm_better("val_loss", 0.80, 0.90));
    cr_expect(!fm_better("val_mse", 0.90, 0.80));
    cr_expect(!fm_better("val_auc", 0.75, 0.75)); /* strictly */
    cr_expect(!fm_better("val_loss", NAN, 1.0));
}

static ck_model *build_fm(ck_session *s, const ck_fm_config *c)
{
    ck_fm fm;
    return ck_fm_model(s, c, &fm) < 0 ? NULL : fm.fm_model;
}

/* Every row of the fixture as one batch (views into d). */
static ck_movielens_batch all_rows(ck_movielens *d)
{
    int64_t *idx = malloc(sizeof *idx * (size_t)d->n);
    for (int64_t i = 0; i < d->n; i++) idx[i] = i;
    ck_movielens_batch b;
    cr_assert_eq(ck_movielens_gather(d, idx, d->n, &b), 0, "%s", ck_error());
    free(idx);
    return b;
}

Test(objective, like_output_is_the_sigmoid_of_the_rating_output)
{
    ck_movielens d;
    cr_assert_eq(ck_movielens_load(dir, &d), 0, "%s", ck_error());
    ck_movielens_batch b = all_rows(&d);
    fm_options o = parse(5, (char *[]){"fm_movielens", "--objective", "like", "--k", "4", NULL});
    ck_fm_config like_cfg = fm_config(&o, &d), rating_cfg = like_cfg;
    rating_cfg.output_activation = NULL;
    /* the same seed and the same layers: the same initial weights */
    ck_session *s1 = ck_session_new(5), *s2 = ck_session_new(5);
    ck_model *like = build_fm(s1, &like_cfg), *rating = build_fm(s2, &rating_cfg);
    cr_assert(like && rating, "%s", ck_error());
    ck_tensor *p = ck_predict(like, b.x, CK_ML_N_INPUTS, 4), *z = ck_predict(rating, b.x, CK_ML_N_INPUTS, 4);
    cr_assert(p && z, "%s", ck_error());
    for (int64_t i = 0; i < b.n; i++) {
        cr_expect(p->f[i] > 0.0f && p->f[i] < 1.0f, "row %lld: %g", (long long)i, (double)p->f[i]);
        cr_expect_float_eq(p->f[i], 1.0 / (1.0 + exp(-(double)z->f[i])), 1e-6, "row %lld", (long long)i);
    }
    ck_tensor_free(p);
    ck_tensor_free(z);
    ck_movielens_batch_free(&b);
    ck_session_free(s1);
    ck_session_free(s2);
    ck_movielens_free(&d);
}

/* sum of factor * w^2 over the Embeddings' and the Dense kernels' values */
static double l2_by_hand(const ck_model *m, double emb, double dense)
{
    double total = 0;
    for (int i = 0; i < ck_model_n_layers(m); i++) {
        ck_layer *l = ck_model_layer(m, i);
        int is_emb = !strcmp(ck_layer_type(l), "Embedding"), is_dense = !strcmp(ck_layer_type(l), "Dense");
        if (!is_emb && !is_dense) continue;
        const ck_tensor *w = &ck_layer_weight(l, 0)->value; /* embeddings / kernel, never the bias */
        double sum = 0;
        for (int64_t k = 0; k < w->size; k++) sum += (double)w->f[k] * w->f[k];
        total += (is_emb ? emb : dense) * sum;
    }
    return total;
}

Test(objective, l2_reaches_every_embedding_and_dense_kernel)
{
    ck_movielens d;
    cr_assert_eq(ck_movielens_load(dir, &d), 0, "%s", ck_error());
    ck_movielens_batch b = all_rows(&d);
    fm_options o =
        parse(7, (char *[]){"fm_movielens", "--l2-embeddings", "0.01", "--l2-dense", "0.1", "--k", "3", NULL});
    ck_fm_config cfg = fm_config(&o, &d);
    ck_session *s = ck_session_new(3);
    ck_model *m = build_fm(s, &cfg);
    cr_assert_not_null(m, "%s", ck_error());
    cr_assert_eq(fm_set_l2(m, &o), 0, "%s", ck_error());
    fm_objective_spec spec = fm_objective_for(&o);
    cr_assert_eq(ck_compile(m, spec.loss, fm_optimizer(&o, b.n), spec.metrics, spec.n_metrics), 0, "%s", ck_error());
    double out[2];
    cr_assert_eq(ck_evaluate(m, b.x, CK_ML_N_INPUTS, &b.y, 16, out), 0, "%s", ck_error());
    /* loss = mse + the penalty (Keras's val_loss includes it) */
    double want = l2_by_hand(m, 0.01, 0.1);
    cr_expect(want > 0.01, "%g", want);
    cr_expect_float_eq(out[0] - out[1], want, 1e-5 * want, "penalty %g, by hand %g", out[0] - out[1], want);
    ck_movielens_batch_free(&b);
    ck_session_free(s);
    ck_movielens_free(&d);
}

Test(objective, occupation_scale_scales_rows_and_users)
{
    ck_movielens d;
    cr_assert_eq(ck_movielens_load(dir, &d), 0, "%s", ck_error());
    fm_scale_occupation(&d, 0.05);
    cr_expect_float_eq(d.user_occupation[1], 0.5f, 1e-7f);
    cr_expect_float_eq(d.user_occupation[2], 0.15f, 1e-7f);
    for (int64_t r = 0; r < d.n; r++)
        cr_expect_float_eq(d.occupation[r], d.user_occupation[d.uid[r]], 1e-7f, "row %lld", (long long)r);
    ck_movielens_free(&d);
}

Test(objective, second_split_reorders_only_the_training_rows)
{
    ck_movielens d;
    cr_assert_eq(ck_movielens_synthetic(1, 20, 30, 200, &d), 0, "%s", ck_error());
    ck_movielens_batch train, val, a, b;
    cr_assert_eq(ck_movielens_split_rows(&d, 0.2, 7, &train, &val), 0, "%s", ck_error());
    cr_assert_eq(train.n, 160);
    int32_t before_uid[200], before_mid[200];
    memcpy(before_uid, d.uid, sizeof before_uid);
    memcpy(before_mid, d.mid, sizeof before_mid);
    cr_assert_eq(fm_split_first_rows(&d, train.n, 0.25, 3, &a, &b), 0, "%s", ck_error());
    cr_expect(a.n == 120 && b.n == 40 && d.n == 200);
    /* sklearn's split of the 160 training rows: test rows first */
    int64_t *tr, *te, n_tr, n_te;
    cr_assert_eq(ck_train_test_split_indices(160, 0.25, 3, &tr, &n_tr, &te, &n_te), 0);
    for (int i = 0; i < 40; i++) {
        cr_expect_eq(b.x[CK_ML_UID].i[i], before_uid[te[i]], "held-out row %d", i);
        cr_expect_eq(b.x[CK_ML_MID].i[i], before_mid[te[i]], "held-out row %d", i);
    }
    for (int i = 0; i < 120; i++) cr_expect_eq(a.x[CK_ML_UID].i[i], before_uid[tr[i]], "row %d", i);
    for (int i = 160; i < 200; i++) cr_expect(d.uid[i] == before_uid[i] && d.mid[i] == before_mid[i], "row %d", i);
    free(tr);
    free(te);
    ck_movielens_free(&d);
}

/* ---- recommend ---- */

static void check_ranking(const char *objective)
{
    ck_movielens d;
    cr_assert_eq(ck_movielens_load(dir, &d), 0, "%s", ck_error());
    fm_options o = parse(5, (char *[]){"fm_movielens", "--objective", (char *)objective, "--k", "3", NULL});
    ck_fm_config cfg = fm_config(&o, &d);
    ck_session *s = ck_session_new(11);
    ck_model *m = build_fm(s, &cfg);
    cr_assert_not_null(m, "%s", ck_error());
    fm_scored *ranked;
    int n;
    cr_assert_eq(fm_rank_unrated(m, &d, 1, &ranked, &n), 0, "%s", ck_error());
    /* user 1 rated movies 1, 2, 3: the candidates are 4..8, each once */
    cr_assert_eq(n, 5);
    int seen[9] = {0};
    for (int i = 0; i < n; i++) {
        cr_assert(ranked[i].mid >= 4 && ranked[i].mid <= 8, "movie %d", ranked[i].mid);
        cr_expect_eq(seen[ranked[i].mid]++, 0);
        if (i > 0) cr_expect_geq(ranked[i - 1].score, ranked[i].score, "rank %d", i);
        if (!strcmp(objective, "like")) cr_expect(ranked[i].score > 0.0f && ranked[i].score < 1.0f);
        /* the score is the model's output for (user 1, that movie), one row at a time */
        int32_t mid = ranked[i].mid;
        float occ = d.user_occupation[1];
        int32_t uid = 1;
        ck_tensor x[CK_ML_N_INPUTS] = {
            ck_tensor_view(CK_F32, ck_shape_of(2, 1, 1), &occ),
            ck_tensor_view(CK_I32, ck_shape_of(2, 1, 1), &uid),
            ck_tensor_view(CK_I32, ck_shape_of(2, 1, 1), &mid),
            ck_tensor_view(CK_I32, ck_shape_of(2, 1, 3), &d.movie_genre[mid * 3]),
        };
        ck_tensor *one = ck_predict(m, x, CK_ML_N_INPUTS, 1);
        cr_assert_not_null(one, "%s", ck_error());
        cr_expect_float_eq(ranked[i].score, one->f[0], 1e-6f, "movie %d", mid);
        ck_tensor_free(one);
    }
    free(ranked);
    cr_expect_eq(fm_rank_unrated(m, &d, 2000, &ranked, &n), -1);
    cr_expect(strstr(ck_error(), "user 2000"), "%s", ck_error());
    ck_session_free(s);
    ck_movielens_free(&d);
}

Test(recommend, ranks_unrated_movies_by_the_predicted_rating) { check_ranking("rating"); }
Test(recommend, ranks_unrated_movies_by_the_like_probability) { check_ranking("like"); }
