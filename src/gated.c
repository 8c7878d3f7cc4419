/* See gated.h. The rows are one index space of rows * n elements, cut anywhere for the thread
 * pool: each piece runs the contiguous kernel on the stretch of each row it covers, so the bits do
 * not depend on the thread count (the kernels are elementwise). */
#include "gated.h"
#include "pool.h"

static const size_t storage_size[RECT_NDTYPES] = {2, 4, 8, 2};

typedef struct {
    rect_grad_fn forward;
    rect_gated_grad_fn backward;
    rect_gated_rows s;
    size_t esize;
    const char *a, *b, *g;
    char *y, *gb; /* y: the forward result, or grad_a */
    const rect_params *p;
} gated_job;

static void gated_task(void *v, size_t begin, size_t end) {
    const gated_job *j = (const gated_job *)v;
    size_t at = begin;
    while (at < end) {
        const size_t r = at / j->s.n, k = at % j->s.n;
        const size_t m = (j->s.n - k < end - at) ? j->s.n - k : end - at;
        const size_t in = (r * j->s.in_stride + k) * j->esize, out = (r * j->s.out_stride + k) * j->esize;
        if (j->forward) {
            j->forward(m, j->a + in, j->b + in, j->y + out, j->p);
        } else {
            const char *g = j->g ? j->g + (r * j->s.grad_stride + k) * j->esize : NULL;
            j->backward(m, j->a + in, j->b + in, g, j->y + out, j->gb + out, j->p);
        }
        at += m;
    }
}

static void run(gated_job *j) {
    const size_t total = j->s.rows * j->s.n;
    const size_t t = rect_threads_for(total, rect_parallel_min);
    if (total == 0) return;
    if (t <= 1) {
        gated_task(j, 0, total);
    } else {
        /* about four pieces per thread, whole cache lines (as the elementwise calls) */
        const size_t line = 64 / j->esize, c = (total + 4 * t - 1) / (4 * t);
        rect_parallel_for(total, (c + line - 1) / line * line, t, gated_task, j);
    }
}

void rect_gated(int dtype, int op, const rect_gated_rows *shape, const void *a, const void *b,
                void *y, const rect_params *p) {
    gated_job j = {0};
    j.forward = rect_kernels.gated[op][dtype];
    j.s = *shape, j.esize = storage_size[dtype], j.p = p;
    j.a = (const char *)a, j.b = (const char *)b, j.y = (char *)y;
    run(&j);
}

void rect_gated_grad(int dtype, int op, const rect_gated_rows *shape, const void *a, const void *b,
                     const void *grad, void *grad_a, void *grad_b, const rect_params *p) {
    gated_job j = {0};
    j.backward = rect_kernels.gated_grad[op][dtype];
    j.s = *shape, j.esize = storage_size[dtype], j.p = p;
    j.a = (const char *)a, j.b = (const char *)b, j.g = (const char *)grad;
    j.y = (char *)grad_a, j.gb = (char *)grad_b;
    run(&j);
}
