/* deepfm - DeepFM on MovieLens, composed from the FM notebook's own layers.
 *
 *   deepfm [train] [--data DIR] ...            (fm_movielens's options)
 *   deepfm recommend --user UID ...
 *
 * DeepFM (Guo et al., 2017) keeps the FM and adds a deep part, an MLP over
 * the very same 2nd-order field embeddings (models/deepfm.c). Everything
 * else is fm_movielens's: the same data, split, loss, optimizer, callbacks
 * and files (the shared driver, fm_driver.c). */
#include "fm_driver.h"

static ck_model *build_deepfm(ck_session *s, const ck_fm_config *c)
{
    return ck_deepfm_model(s, c, NULL); /* NULL: hidden [64, 64], dropout 0.5 */
}

int main(int argc, char **argv)
{
    static const fm_program program = {"deepfm", "DeepFM", "models/deepfm.safetensors", build_deepfm};
    return fm_main(argc, argv, &program);
}
