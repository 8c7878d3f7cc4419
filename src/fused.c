/* See fused.h. Both functions cut the work into blocks that stay in L1 and call the active path's
 * contiguous kernels on them, so every CPU path (and the strided fallback of the Python layer,
 * which copies) gives the same bits, and nothing here is written per ISA. */
#include <stdlib.h>
#include <string.h>
#include "fused.h"

/* Elements per block: 8 KiB of float32 (16 KiB of float64) plus as much bias, well inside L1. */
#define RECT_FUSED_BLOCK 2048
/* Channel runs at least this long get one constant bias block per run; shorter ones (channels
 * last: runs of 1) share a pattern of whole rows, tiled once per call. */
#define RECT_FUSED_RUN_MIN 256
/* The tiled pattern holds at most this many elements; rarer layouts with longer rows of short
 * runs go run by run. */
#define RECT_FUSED_PATTERN_MAX 65536

static const size_t storage_size[RECT_NDTYPES] = {2, 4, 8, 2};
static const size_t compute_size[RECT_NDTYPES] = {4, 4, 8, 4};

/* What one block gets: the fused kernel where there is one, else the bias, then the activation
 * on the block just written (still in L1). */
typedef struct {
    rect_grad_fn fused;
    rect_prelu_fn add;
    rect_unary_fn act;
    const rect_params *p;
} epilogue;

static void run_block(const epilogue *e, size_t m, const char *x, const char *bias, char *y) {
    if (e->fused) {
        e->fused(m, x, bias, y, e->p);
    } else {
        e->add(m, x, bias, y);
        if (e->act) e->act(m, y, y, e->p);
    }
}

/* count copies of the compute-type value at `value` (float or double, by size) */
static void fill(char *dst, const char *value, size_t count, size_t size) {
    size_t i;
    if (size == sizeof(float)) {
        float v;
        memcpy(&v, value, sizeof v);
        for (i = 0; i < count; i++) ((float *)dst)[i] = v;
    } else {
        double v;
        memcpy(&v, value, sizeof v);
        for (i = 0; i < count; i++) ((double *)dst)[i] = v;
    }
}

int rect_bias_act(int dtype, int op, size_t outer, size_t channels, size_t inner, const void *x,
                  const void *bias, void *y, const rect_params *p) {
    const size_t esize = storage_size[dtype], csize = compute_size[dtype];
    const size_t row = channels * inner, total = outer * row;
    const char *xb = (const char *)x, *bb = (const char *)bias;
    char *yb = (char *)y;
    epilogue e;
    size_t start, s;
    if (total == 0) return 0;
    e.fused = op >= 0 ? rect_kernels.bias_unary[op][dtype] : NULL;
    e.add = rect_kernels.bias_add[dtype];
    e.act = op >= 0 ? rect_kernels.unary[op][dtype] : NULL;
    e.p = p;

    if (inner >= RECT_FUSED_RUN_MIN || (inner > 1 && row > RECT_FUSED_PATTERN_MAX)) {
        /* runs of one bias each: a block of that bias, refilled per run */
        const size_t width = inner < RECT_FUSED_BLOCK ? inner : RECT_FUSED_BLOCK;
        char *constant = (char *)malloc(width * csize);
        size_t run;
        if (!constant) return -1;
        for (run = 0; run < outer * channels; run++) {
            fill(constant, bb + (run % channels) * csize, width, csize);
            for (s = 0; s < inner; s += RECT_FUSED_BLOCK) {
                const size_t m = inner - s < RECT_FUSED_BLOCK ? inner - s : RECT_FUSED_BLOCK;
                const size_t at = (run * inner + s) * esize;
                run_block(&e, m, xb + at, constant, yb + at);
            }
        }
        free(constant);
        return 0;
    }

    {
        /* A pattern of whole rows (each bias repeated `inner` times), as many as fit in a block
         * (and the array has): element j of a row-aligned stretch has bias pattern[j]. With
         * channels last and one row, or rows longer than a block, the bias itself is that
         * pattern. */
        const size_t fit = row >= RECT_FUSED_BLOCK ? 1 : RECT_FUSED_BLOCK / row;
        const size_t reps = fit < outer ? fit : outer;
        const size_t pattern_len = row * reps;
        char *owned = NULL;
        const char *pattern = bb;
        if (inner > 1 || reps > 1) {
            size_t c;
            owned = (char *)malloc(pattern_len * csize);
            if (!owned) return -1;
            if (inner == 1)
                memcpy(owned, bb, row * csize);
            else
                for (c = 0; c < channels; c++) fill(owned + c * inner * csize, bb + c * csize, inner, csize);
            for (s = row; s < pattern_len; s += row) memcpy(owned + s * csize, owned, row * csize);
            pattern = owned;
        }
        for (start = 0; start < total; start += pattern_len) {
            const size_t stretch = total - start < pattern_len ? total - start : pattern_len;
            for (s = 0; s < stretch; s += RECT_FUSED_BLOCK) {
                const size_t m = stretch - s < RECT_FUSED_BLOCK ? stretch - s : RECT_FUSED_BLOCK;
                const size_t at = (start + s) * esize;
                run_block(&e, m, xb + at, pattern + s * csize, yb + at);
            }
        }
        free(owned);
    }
    return 0;
}

/* Counters in the compute type are exact up to 2^24 (float32); each round adds at most 1. (A
 * test build sets a small value, so that emptying the counters is exercised.) */
#ifndef RECT_COUNT_ROUNDS_MAX
#define RECT_COUNT_ROUNDS_MAX ((size_t)1 << 24)
#endif

static void empty_counters(int dtype, void *acc, size_t width, size_t inner, uint64_t *counts) {
    size_t j;
    for (j = 0; j < width; j++) {
        const double v = dtype == RECT_F64 ? ((double *)acc)[j] : ((float *)acc)[j];
        counts[j % inner] += (uint64_t)v;
    }
    memset(acc, 0, width * compute_size[dtype]);
}

int rect_count_positive(int dtype, size_t outer, size_t len, size_t inner, const void *x,
                        uint64_t *counts) {
    const size_t esize = storage_size[dtype], csize = compute_size[dtype];
    const rect_count_fn count = rect_kernels.count_positive[dtype];
    /* k rows of `inner` counters per kernel call, so that short rows still make long calls; the
     * counters of the k rows are summed per column at the end */
    const size_t k = inner == 0 ? 1 : (inner >= RECT_FUSED_BLOCK ? 1 : RECT_FUSED_BLOCK / inner);
    const size_t width = k * inner;
    size_t o, r;
    void *acc;
    if (outer * inner == 0) return 0;
    acc = calloc(width, csize);
    if (!acc) return -1;
    memset(counts, 0, outer * inner * sizeof *counts);
    for (o = 0; o < outer; o++) {
        const char *base = (const char *)x + o * len * inner * esize;
        size_t rounds = 0;
        for (r = 0; r < len; r += k) {
            const size_t m = len - r < k ? len - r : k;
            count(m * inner, base + r * inner * esize, acc);
            if (++rounds == RECT_COUNT_ROUNDS_MAX) {
                empty_counters(dtype, acc, width, inner, counts + o * inner);
                rounds = 0;
            }
        }
        empty_counters(dtype, acc, width, inner, counts + o * inner);
    }
    free(acc);
    return 0;
}
