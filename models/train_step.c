/* train_step.c - one training step of fit: forward, loss, backward, the
 * optimizer's update, the metrics.
 *
 * A step runs the whole batch at once, or in row tiles: the forward and
 * backward of `tile_rows` rows at a time, each tile's parameter gradients
 * added to the last's, so that every intermediate value and gradient of a
 * tile stays in cache instead of streaming a whole batch's tensors through
 * memory op after op. The batch's mean loss is the tiles' losses weighted
 * by their share of the rows, so each tile's backward is seeded with
 * rows / count instead of 1.
 *
 * What tiles change: nothing but the order in which a batch is computed.
 * The gradient sums (weights through matmul, biases, embedding rows) add
 * row after row in the same order whole or tiled; tiles are powers of two
 * (a batch's last rows are split into smaller powers of two), so a tile's
 * seed times the mean's 1 / rows is exactly the whole batch's 1 / count.
 * With an mse loss the result is bit for bit the whole batch's (the FM's);
 * other losses may differ in the last bits (their means scale per sample
 * value). The loss reported and the metrics are computed once per batch,
 * from the tiles' predictions, as for a whole batch.
 *
 * When tiles are allowed: the fit's first step runs whole and checks (with
 * ck_tape_check_rows) that every op of the model's forward keeps rows
 * independent, that the forward draws no random numbers (Dropout: tiles
 * would draw its masks in another order) and that every loss is a
 * built-in one (a mean over samples). Otherwise every step runs whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_model_internal.h"

int ck_model_set_tile_rows(ck_model *m, int rows)
{
    if (!m) return ck_fail("set_tile_rows: model is NULL");
    if (rows < 0 || (rows & (rows - 1)))
        return ck_fail("set_tile_rows: rows = %d must be a power of two, or 0 for whole batches", rows);
    m->tile_rows = rows;
    return 0;
}

int ck_model_tile_rows(const ck_model *m) { return m ? m->tile_rows : 0; }

int ck_model_set_fusion(ck_model *m, int on)
{
    if (!m) return ck_fail("set_fusion: model is NULL");
    m->no_fusion = !on;
    return 0;
}

/* ---- workers ---- */

static void worker_free(ck_worker *w, int n_params)
{
    ck_tape_free(w->tape);
    free(w->values);
    free(w->masks);
    free(w->call_in);
    free(w->call_masks);
    if (w->shadows)
        for (int i = 0; i < n_params; i++)
            if (w->shadows[i]) {
                free(w->shadows[i]->grad);
                free(w->shadows[i]);
            }
    free(w->shadows);
}

void ck_workers_free(ck_model *m)
{
    for (int k = 0; k < m->n_workers; k++) worker_free(&m->workers[k], m->n_params);
    free(m->workers);
    m->workers = NULL;
    m->n_workers = 0;
}

/* Worker k's copy of parameter p: its value, a gradient of its own (none
 * when p is frozen and has none). */
static ck_node *shadow_new(const ck_node *p)
{
    ck_node *s = calloc(1, sizeof *s);
    float *grad = p->grad ? calloc(p->value.size > 0 ? (size_t)p->value.size : 1, sizeof(float)) : NULL;
    if (!s || (p->grad && !grad)) {
        free(s);
        free(grad);
        return NULL;
    }
    s->value = p->value;
    s->value.owns = 0;
    s->grad = grad;
    s->name = p->name;
    s->is_param = 1;
    return s;
}

static int worker_init(ck_model *m, ck_worker *w, int k)
{
    int fan_in = 1;
    for (int i = 0; i < m->n_steps; i++)
        if (m->steps[i].n_in > fan_in) fan_in = m->steps[i].n_in;
    w->tape = ck_tape_new();
    w->values = calloc((size_t)m->n_slots, sizeof(ck_node *));
    w->masks = calloc((size_t)m->n_slots, sizeof(ck_node *));
    w->call_in = calloc((size_t)fan_in, sizeof(ck_node *));
    w->call_masks = calloc((size_t)fan_in, sizeof(ck_node *));
    w->rng = &m->rng; /* never drawn from: tiles run only models whose forward draws nothing */
    if (!w->tape || !w->values || !w->masks || !w->call_in || !w->call_masks) return ck_fail("fit: out of memory");
    if (k == 0) return 0; /* the first worker's gradients are the parameters' own */
    w->shadows = calloc((size_t)(m->n_params ? m->n_params : 1), sizeof(ck_node *));
    if (!w->shadows) return ck_fail("fit: out of memory");
    for (int i = 0; i < m->n_params; i++)
        if (!(w->shadows[i] = shadow_new(m->params[i]))) return ck_fail("fit: out of memory");
    ck_tape_set_shadows(w->tape, m->params, w->shadows, m->n_params);
    return 0;
}

/* At least n workers. */
static int workers_reserve(ck_model *m, int n)
{
    if (m->n_workers >= n) return 0;
    ck_worker *grown = realloc(m->workers, sizeof *grown * (size_t)n);
    if (!grown) return ck_fail("fit: out of memory");
    m->workers = grown;
    for (int k = m->n_workers; k < n; k++) {
        memset(&m->workers[k], 0, sizeof m->workers[k]);
        m->n_workers = k + 1; /* freed by ck_workers_free even when half made */
        if (worker_init(m, &m->workers[k], k)) return -1;
    }
    return 0;
}

/* ---- the whole batch at once ---- */

/* Whether every loss is a built-in mean over samples, which tiles can
 * split. */
static int losses_split(const ck_model *m)
{
    for (int o = 0; o < m->n_out; o++)
        if (!m->losses[o].spec) return 0;
    return 1;
}

static int step_whole(ck_model *m, const ck_data *d, const int64_t *idx, int64_t start, int64_t count, double *loss,
                      double *reported)
{
    int checking = !m->rows_checked;
    ck_rng before = m->rng;
    ck_tape_reset(m->tape);
    if (checking) ck_tape_check_rows(m->tape, count > 1 ? (int)count : 0);
    if (ck_bind_inputs(m, d->x, idx, start, count) || ck_model_forward(m, 1)) return -1;
    if (checking) {
        m->rows_apart =
            count > 1 && !ck_tape_rows_mixed(m->tape) && !memcmp(&before, &m->rng, sizeof before) && losses_split(m);
        m->rows_checked = 1;
        ck_tape_check_rows(m->tape, 0);
    }
    ck_node *batch_loss = ck_batch_losses(m, d, idx, start, count, 0, reported);
    if (!batch_loss) return -1;
    /* The gradients are zero here: ck_fit zeroes them once, then every
     * optimizer update consumes (zeroes) them. */
    if (ck_backward(m->tape, batch_loss)) return -1;
    *loss = (double)batch_loss->value.f[0] + ck_regularization_penalty(m, 1);
    ck_optimizer_apply(m->opt, m->train_params);
    /* the outputs' values are this step's (the update changed only weights) */
    return ck_metrics_update(m, count);
}

/* ---- row tiles ---- */

/* Rows in the tile that starts `done` rows into a batch of count: whole
 * tiles, then the rest in falling powers of two (see the top). */
static int64_t tile_size(int64_t done, int64_t count, int tile_rows)
{
    int64_t left = count - done, n = tile_rows;
    while (n > left) n /= 2;
    return n;
}

/* Values per sample of output o. */
static int64_t output_per_sample(const ck_model *m, int o)
{
    int64_t per = 1;
    for (int d = 1; d < m->outputs[o]->shape.ndim; d++) per *= m->outputs[o]->shape.d[d];
    return per;
}

/* Rows [done, done + n) of the batch on worker w: forward, the tile's loss,
 * backward seeded with its share of the rows; its predictions copied into
 * preds (per output, the batch's rows). */
static int run_tile(ck_model *m, ck_worker *w, const ck_data *d, const int64_t *idx, int64_t start, int64_t done,
                    int64_t n, int64_t count, float *const *preds)
{
    ck_tape_reset(w->tape);
    ck_tape_set_fusion(w->tape, !m->no_fusion); /* the tiles read only outputs and losses */
    if (ck_bind_inputs_to(m, w, d->x, idx, start + done, n) || ck_model_run(m, w, 1)) return -1;
    for (int o = 0; o < m->n_out; o++) /* an output the tape deferred (a Concatenate) is made now */
        if (ck_tape_compute(w->tape, w->values[m->output_slots[o]])) return -1;
    ck_node *tile_loss = ck_worker_losses(m, w, d, idx, start + done, n);
    const float share = (float)n / (float)count;
    if (!tile_loss || ck_backward_seed(w->tape, tile_loss, &share)) return -1;
    for (int o = 0; o < m->n_out; o++) {
        int64_t per = output_per_sample(m, o);
        memcpy(preds[o] + done * per, w->values[m->output_slots[o]]->value.f, sizeof(float) * (size_t)(n * per));
    }
    return 0;
}

/* The batch's outputs as constants on the model's tape, holding preds. */
static int bind_predictions(ck_model *m, int64_t count, float *const *preds)
{
    for (int o = 0; o < m->n_out; o++) {
        ck_shape s = m->outputs[o]->shape;
        s.d[0] = (int)count;
        ck_tensor t = ck_tensor_view(CK_F32, s, preds[o]);
        if (!(m->values[m->output_slots[o]] = ck_const(m->tape, &t))) return -1;
    }
    return 0;
}

/* One step's tiles, shared by the workers. */
typedef struct tile_job {
    ck_model *m;
    const ck_data *d; /* the batch's rows: rows [start, start + count) of d, or rows idx[start..] */
    const int64_t *idx;
    int64_t start, count;
    ck_data *gathered; /* when idx is given: the batch's rows of every column, gathered here */
    float *preds[CK_MAX_OUTPUTS];
    int64_t n_tiles;
    int n_workers;
} tile_job;

/* A shuffled batch's rows are far apart in memory: they are gathered once
 * per step (ck_batch_columns, ck_gather_batch_rows), each worker the rows
 * of its own tiles, into contiguous columns on the model's tape; the tiles
 * then read neighbouring rows, and the batch's loss reads the same targets
 * without gathering them again. */

/* Worker k runs its share of the tiles, a contiguous run of them, in
 * order: which tiles go to which worker depends only on the worker count,
 * so its gradient sums do too. */
static void worker_tiles(void *ctx, int k)
{
    tile_job *job = ctx;
    ck_worker *w = &job->m->workers[k];
    int64_t first = job->n_tiles * k / job->n_workers, last = job->n_tiles * (k + 1) / job->n_workers;
    int64_t done = 0, tile = 0;
    for (; tile < first; tile++) done += tile_size(done, job->count, job->m->tile_rows);
    w->failed = 0;
    const ck_data *d = job->d;
    const int64_t *idx = job->idx;
    int64_t start = job->start;
    if (job->gathered) { /* this worker's rows, then its tiles on them */
        int64_t end = done;
        for (int64_t t = tile; t < last; t++) end += tile_size(end, job->count, job->m->tile_rows);
        ck_gather_batch_rows(job->m, job->d, job->idx + job->start, done, end - done, job->gathered);
        d = job->gathered;
        idx = NULL;
        start = 0;
    }
    for (; tile < last; tile++) {
        int64_t n = tile_size(done, job->count, job->m->tile_rows);
        if (run_tile(job->m, w, d, idx, start, done, n, job->count, job->preds)) {
            /* the message is this thread's: keep it for the caller's */
            snprintf(w->message, sizeof w->message, "%s", ck_error() ? ck_error() : "a tile failed");
            ck_error_clear();
            w->failed = 1;
            return;
        }
        done += n;
    }
}

/* Parameters' gradients += the other workers' (zeroed as they are read),
 * split by range over the flat run of all parameters; with `update`, each
 * range's optimizer update follows its sums at once, on the same thread,
 * while the range is still in cache: one parallel pass for the merge and
 * the update, none of it serial. */
typedef struct reduce_job {
    ck_model *m;
    int n_workers;
    long total; /* values over all parameters */
    int update;
} reduce_job;

#define REDUCE_PIECE 2048 /* floats */
static void reduce_range(void *ctx, int part)
{
    reduce_job *job = ctx;
    ck_model *m = job->m;
    long lo = job->total * part / job->n_workers, hi = job->total * (part + 1) / job->n_workers, at = 0;
    for (int i = 0, trained = 0; i < m->n_params && at < hi; i++) {
        long size = (long)m->params[i]->value.size, begin = lo > at ? lo - at : 0,
             end = hi - at < size ? hi - at : size;
        at += size;
        float *g = m->params[i]->grad;
        if (!g) continue;  /* a frozen weight */
        int t = trained++; /* its index in train_params: the trained weights in order */
        /* in pieces that stay in L1 from their merge to their update */
        for (long piece = begin; piece < end; piece += REDUCE_PIECE) {
            long piece_end = piece + REDUCE_PIECE < end ? piece + REDUCE_PIECE : end;
            for (int k = 1; k < job->n_workers; k++) {
                float *gk = m->workers[k].shadows[i]->grad;
                for (long e = piece; e < piece_end; e++) {
                    g[e] += gk[e];
                    gk[e] = 0.0f;
                }
            }
            if (job->update) ck_optimizer_update_span(m->opt, m->train_params, t, piece, piece_end);
        }
    }
}

/* Whether the optimizer's update can follow each range's merge: nothing
 * between them needs all the gradients (clipping) or adds to them
 * (regularizers' gradients, added after the merge). */
static int update_in_ranges(const ck_model *m)
{
    if (ck_optimizer_reads_gradients(m->opt)) return 0;
    for (int i = 0; i < m->n_params; i++)
        if (m->regularizers[i].l1 != 0.0f || m->regularizers[i].l2 != 0.0f) return 0;
    return 1;
}

static int step_tiled(ck_model *m, const ck_data *d, const int64_t *idx, int64_t start, int64_t count, double *loss,
                      double *reported)
{
    ck_data gathered;
    tile_job job = {m, d, idx, start, count, idx ? &gathered : NULL, {0}, 0, ck_get_num_threads()};
    for (int64_t done = 0; done < count; job.n_tiles++) done += tile_size(done, count, m->tile_rows);
    if (job.n_workers > job.n_tiles) job.n_workers = (int)job.n_tiles;
    ck_tape_reset(m->tape);
    if (idx && ck_batch_columns(m, m->tape, d, count, &gathered)) return -1;
    for (int o = 0; o < m->n_out; o++)
        if (!(job.preds[o] = ck_tape_alloc(m->tape, sizeof(float) * (size_t)(count * output_per_sample(m, o)))))
            return -1;
    if (workers_reserve(m, job.n_workers)) return -1;
    ck_run_threads(job.n_workers, worker_tiles, &job);
    for (int k = 0; k < job.n_workers; k++)
        if (m->workers[k].failed) return ck_fail("%s", m->workers[k].message);
    int updated = 0;
    if (job.n_workers > 1) {
        reduce_job r = {m, job.n_workers, m->n_param_values, update_in_ranges(m)};
        if (r.update) ck_optimizer_begin(m->opt, m->train_params);
        ck_run_threads(job.n_workers, reduce_range, &r);
        updated = r.update;
    }
    /* the batch's loss and metrics from its predictions, as a whole batch's */
    if (bind_predictions(m, count, job.preds)) return -1;
    int was = ck_tape_set_grad(m->tape, 0);
    ck_node *batch_loss = idx ? ck_batch_losses(m, &gathered, NULL, 0, count, 0, reported)
                              : ck_batch_losses(m, d, NULL, start, count, 0, reported);
    ck_tape_set_grad(m->tape, was);
    if (!batch_loss) return -1;
    /* the predictions were copied out before any update: the loss and the
     * metrics are the step's, as in a whole batch */
    *loss = (double)batch_loss->value.f[0] + ck_regularization_penalty(m, !updated);
    if (!updated) ck_optimizer_apply(m->opt, m->train_params);
    return ck_metrics_update(m, count);
}

int ck_train_step(ck_model *m, const ck_data *d, const int64_t *idx, int64_t start, int64_t count, double *loss,
                  double *reported)
{
    if (m->rows_checked && m->rows_apart && m->tile_rows > 0 && count > m->tile_rows)
        return step_tiled(m, d, idx, start, count, loss, reported);
    return step_whole(m, d, idx, start, count, loss, reported);
}
