/* fm_movielens - the Keras notebook "Factorization Machines with Keras", in C.
 *
 *   fm_movielens [train] [--data DIR] ...      train, checkpoint the best weights
 *   fm_movielens recommend --user UID ...       top-N unrated movies for a user
 *
 * The model is the notebook's fm_model (models/fm.c, built from generic
 * layers); the data pipeline, training and recommendations are the FM
 * examples' shared driver (fm_driver.c). See docs/fm-under-the-hood.md. */
#include "fm_driver.h"

/* fm_model_1d, fm_model_2d, fm_model = fm_model(n_uid, n_mid, n_genre, k):
 * the notebook trains fm_model. */
static ck_model *build_fm(ck_session *s, const ck_fm_config *c)
{
    ck_fm fm;
    return ck_fm_model(s, c, &fm) < 0 ? NULL : fm.fm_model;
}

int main(int argc, char **argv)
{
    static const fm_program program = {"fm_movielens", "FM", "models/fm.safetensors", build_fm};
    return fm_main(argc, argv, &program);
}
