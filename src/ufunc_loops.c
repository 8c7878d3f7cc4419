/* See ufunc_loops.h. Strided operands are copied through small contiguous buffers, block by block,
 * so a strided call runs the same contiguous kernel on the same values as the fast path. Parameters
 * may vary per element (a broadcast array): the block is cut into runs of equal parameters and the
 * kernel is called once per run. */
#include <string.h>
#include "ufunc_loops.h"
#include "kernels/table.h"
#include "pool.h"

#define RECT_BLOCK 256
#define RECT_MAX_OPERANDS 6

static const size_t element_size[RECT_NDTYPES] = {2, 4, 8, 2};
static const size_t compute_size[RECT_NDTYPES] = {4, 4, 8, 4};

static double read_param(const char *p, size_t size) {
    if (size == 4) {
        float f;
        memcpy(&f, p, 4);
        return f;
    } else {
        double d;
        memcpy(&d, p, 8);
        return d;
    }
}

/* count elements of `size` bytes from a strided operand into a contiguous buffer, and back. */
static void gather(char *dst, const char *src, intptr_t stride, size_t count, size_t size) {
    size_t i;
    for (i = 0; i < count; i++) memcpy(dst + i * size, src + (intptr_t)i * stride, size);
}
static void scatter(char *dst, intptr_t stride, const char *src, size_t count, size_t size) {
    size_t i;
    for (i = 0; i < count; i++) memcpy(dst + (intptr_t)i * stride, src + i * size, size);
}

/* The bytes an operand of `count` elements of `size` bytes at `step` spans: [*lo, *hi). */
static void span(const char *p, intptr_t step, intptr_t count, size_t size, uintptr_t *lo, uintptr_t *hi) {
    const intptr_t extent = step * (count - 1);
    *lo = (uintptr_t)p + (uintptr_t)(extent < 0 ? extent : 0);
    *hi = (uintptr_t)p + (uintptr_t)(extent > 0 ? extent : 0) + size;
}

/* Whether an output overlaps an input other than exactly (same address, same non-zero step, same
 * size: in place, which a vector at a time handles). NumPy copies any other overlapping operand of
 * an ordinary call, but not for reduce and accumulate: there the output aliases input 0 at stride
 * 0, or one element ahead of it, and element i must see what element i-1 wrote. */
static int overlap_needs_order(char **args, const intptr_t *steps, intptr_t n, const int *ins,
                               const size_t *in_sizes, int n_ins, const int *outs,
                               const size_t *out_sizes, int n_outs) {
    int i, o;
    for (o = 0; o < n_outs; o++) {
        uintptr_t olo, ohi;
        span(args[outs[o]], steps[outs[o]], n, out_sizes[o], &olo, &ohi);
        for (i = 0; i < n_ins; i++) {
            uintptr_t ilo, ihi;
            const int same = args[ins[i]] == args[outs[o]] && steps[ins[i]] == steps[outs[o]] &&
                             steps[ins[i]] != 0 && in_sizes[i] == out_sizes[o];
            span(args[ins[i]], steps[ins[i]], n, in_sizes[i], &ilo, &ihi);
            if (!same && ilo < ohi && olo < ihi) return 1;
        }
    }
    return 0;
}

static void loop_serial(char **args, const intptr_t *dimensions, const intptr_t *steps, void *data) {
    const rect_loop_desc *desc = (const rect_loop_desc *)data;
    const size_t esize = element_size[desc->dtype], csize = compute_size[desc->dtype];
    /* Which ufunc operands are arrays the kernel reads or writes, and which are parameters. */
    int arrays[RECT_MAX_OPERANDS], n_in = 0, n_arrays = 0, first_param = 0, k;
    size_t sizes[RECT_MAX_OPERANDS];
    const intptr_t n_total = dimensions[0];
    double buffers[RECT_MAX_OPERANDS][RECT_BLOCK]; /* RECT_BLOCK elements of up to 8 bytes */
    int params_vary = 0;
    intptr_t start, block_max = RECT_BLOCK;

    switch (desc->kind) {
    case RECT_KIND_UNARY:
        arrays[0] = 0, sizes[0] = esize;
        arrays[1] = 1 + desc->nparams, sizes[1] = esize;
        n_in = 1, n_arrays = 2, first_param = 1;
        break;
    case RECT_KIND_GRAD:
        arrays[0] = 0, sizes[0] = esize;
        arrays[1] = 1, sizes[1] = esize;
        arrays[2] = 2 + desc->nparams, sizes[2] = esize;
        n_in = 2, n_arrays = 3, first_param = 2;
        break;
    case RECT_KIND_PRELU:
        arrays[0] = 0, sizes[0] = esize;
        arrays[1] = 1, sizes[1] = csize;
        arrays[2] = 2, sizes[2] = esize;
        n_in = 2, n_arrays = 3;
        break;
    default: /* RECT_KIND_PRELU_GRAD */
        arrays[0] = 0, sizes[0] = esize;
        arrays[1] = 1, sizes[1] = csize;
        arrays[2] = 2, sizes[2] = esize;
        arrays[3] = 3, sizes[3] = esize;
        arrays[4] = 4, sizes[4] = csize;
        n_in = 3, n_arrays = 5;
        break;
    }

    for (k = 0; k < desc->nparams; k++) params_vary |= steps[first_param + k] != 0;

    /* reduce and accumulate: one element per kernel call, in order (see overlap_needs_order) */
    {
        int ins[RECT_MAX_OPERANDS + 4], n_ins = 0;
        size_t in_sizes[RECT_MAX_OPERANDS + 4];
        for (k = 0; k < n_in; k++) ins[n_ins] = arrays[k], in_sizes[n_ins++] = sizes[k];
        for (k = 0; k < desc->nparams; k++) ins[n_ins] = first_param + k, in_sizes[n_ins++] = csize;
        if (n_total > 1 && overlap_needs_order(args, steps, n_total, ins, in_sizes, n_ins, arrays + n_in,
                                               sizes + n_in, n_arrays - n_in))
            block_max = 1;
    }

    for (start = 0; start < n_total; start += block_max) {
        size_t block = (size_t)(n_total - start < block_max ? n_total - start : block_max);
        size_t run_start, run_end;
        for (run_start = 0; run_start < block; run_start = run_end) {
            rect_params params = {0.0, 0.0, 0.0, 0.0};
            double *fields[4];
            void *ptr[RECT_MAX_OPERANDS];
            size_t count;
            int q;
            fields[0] = &params.a, fields[1] = &params.b, fields[2] = &params.c, fields[3] = &params.d;
            for (q = 0; q < desc->nparams; q++) {
                const char *p = args[first_param + q] + (start + (intptr_t)run_start) * steps[first_param + q];
                *fields[q] = read_param(p, csize);
            }
            /* extend the run while every parameter keeps the same bits */
            run_end = params_vary ? run_start + 1 : block;
            while (run_end < block) {
                int same = 1;
                for (q = 0; q < desc->nparams && same; q++) {
                    const intptr_t s = steps[first_param + q];
                    const char *base = args[first_param + q] + start * s;
                    same = s == 0 || memcmp(base + (intptr_t)run_end * s, base + (intptr_t)run_start * s, csize) == 0;
                }
                if (!same) break;
                run_end++;
            }
            count = run_end - run_start;
            for (k = 0; k < n_arrays; k++) {
                const int a = arrays[k];
                char *p = args[a] + (start + (intptr_t)run_start) * steps[a];
                if (steps[a] == (intptr_t)sizes[k]) {
                    ptr[k] = p;
                } else {
                    ptr[k] = buffers[k];
                    if (k < n_in) gather((char *)buffers[k], p, steps[a], count, sizes[k]);
                }
            }
            switch (desc->kind) {
            case RECT_KIND_UNARY:
                rect_kernels.unary[desc->op][desc->dtype](count, ptr[0], ptr[1], &params);
                break;
            case RECT_KIND_GRAD:
                rect_kernels.grad[desc->op][desc->dtype](count, ptr[0], ptr[1], ptr[2], &params);
                break;
            case RECT_KIND_PRELU:
                rect_kernels.prelu[desc->dtype](count, ptr[0], ptr[1], ptr[2]);
                break;
            default:
                rect_kernels.prelu_grad[desc->dtype](count, ptr[0], ptr[1], ptr[2], ptr[3], ptr[4]);
                break;
            }
            for (k = n_in; k < n_arrays; k++) {
                const int a = arrays[k];
                if (ptr[k] == (void *)buffers[k])
                    scatter(args[a] + (start + (intptr_t)run_start) * steps[a], steps[a], (const char *)buffers[k], count, sizes[k]);
            }
        }
    }
}

/* A large call is cut into pieces for the thread pool (each piece is the loop above on a stretch
 * of the elements: the same kernel calls on the same values), unless an output overlaps an input
 * in a way that needs the elements in order (reduce and accumulate). */
typedef struct {
    char **args;
    const intptr_t *steps;
    void *data;
    int nargs;
} loop_job;

static void loop_piece(void *v, size_t begin, size_t end) {
    const loop_job *j = (const loop_job *)v;
    char *args[RECT_MAX_OPERANDS];
    const intptr_t count = (intptr_t)(end - begin);
    int k;
    for (k = 0; k < j->nargs; k++) args[k] = j->args[k] + (intptr_t)begin * j->steps[k];
    loop_serial(args, &count, j->steps, j->data);
}

void rect_ufunc_loop(char **args, const intptr_t *dimensions, const intptr_t *steps, void *data) {
    const rect_loop_desc *desc = (const rect_loop_desc *)data;
    const size_t n = (size_t)dimensions[0];
    const size_t t = rect_threads_for(n, rect_parallel_min);
    loop_job j;
    int independent = 1;
    if (t <= 1) {
        loop_serial(args, dimensions, steps, data);
        return;
    }
    j.args = args, j.steps = steps, j.data = data;
    switch (desc->kind) {
    case RECT_KIND_UNARY: j.nargs = 2 + desc->nparams; break;
    case RECT_KIND_GRAD: j.nargs = 3 + desc->nparams; break;
    case RECT_KIND_PRELU: j.nargs = 3; break;
    default: j.nargs = 5; break;
    }
    /* an output of step 0 (every element writes one place), or one that overlaps an input other
     * than exactly (in place), keeps the loop serial */
    {
        const int n_out = desc->kind == RECT_KIND_PRELU_GRAD ? 2 : 1;
        int o, i;
        for (o = j.nargs - n_out; o < j.nargs; o++) {
            uintptr_t olo, ohi;
            if (steps[o] == 0) independent = 0;
            span(args[o], steps[o], (intptr_t)n, sizeof(double), &olo, &ohi);
            for (i = 0; i < j.nargs - n_out; i++) {
                uintptr_t ilo, ihi;
                span(args[i], steps[i], (intptr_t)n, sizeof(double), &ilo, &ihi);
                if (ilo < ohi && olo < ihi && !(args[i] == args[o] && steps[i] == steps[o]))
                    independent = 0;
            }
        }
    }
    if (!independent) {
        loop_serial(args, dimensions, steps, data);
        return;
    }
    rect_parallel_for(n, (n + 4 * t - 1) / (4 * t), t, loop_piece, &j);
}
