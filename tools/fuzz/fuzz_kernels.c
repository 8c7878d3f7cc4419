/* libFuzzer harness over rectifier's C entry points (include/rectifier/rectifier.h) and the strided
 * NumPy ufunc loop (src/ufunc_loops.c), built with -fsanitize=fuzzer,address,undefined by
 * tools/fuzz.sh.
 *
 * Each input picks an operation (every entry of the X-macro lists, so new kernels are fuzzed as
 * soon as they are listed, plus prelu and prelu_grad), a dtype, a length, a misalignment, the
 * parameters (raw doubles: NaN, inf, anything) and the data bytes, then checks:
 *   - memory: every array is a heap block of exactly its size, and the misaligned prefix before an
 *     array is poisoned, so AddressSanitizer reports any byte read or written outside [0, n);
 *   - paths: every path this CPU runs gives the scalar kernels' bits (docs/cpu_paths.md), NaNs
 *     included: sign, payload, and a signalling NaN that an op passes through stays
 *     signalling (Clang keeps that only under -ffp-exception-behavior=maytrap, as setup.py builds);
 *     out of place and in place (y == x, and y == grad), and inputs are not modified;
 *   - the ufunc loop: random strides (negative, zero for parameters), parameters that vary per
 *     element in runs, and NumPy's reduce/accumulate aliasing, against one kernel call per element
 *     in order.
 * A mismatch aborts with a description (libFuzzer then saves the input as crash-*).
 *
 * Input layout: [kind][op][dtype][flags][n lo][n hi][misalign][mode][a: 8 bytes][b: 8 bytes][data...]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "kernels/table.h"
#include "rectifier/rectifier.h"
#include "ufunc_loops.h"

#define MAX_N 1100

#include "../../tests/c_driver/entry_points.h" /* call_<op>_<dtype> */

#define UNARY_ROW(op) {call_##op##_f16, call_##op##_f32, call_##op##_f64, call_##op##_bf16},
#define GRAD_ROW(op) {call_##op##_f16, call_##op##_f32, call_##op##_f64, call_##op##_bf16},
#define NAME(op) #op,
static const rect_unary_fn unary_entry[][RECT_NDTYPES] = {RECT_UNARY_OPS(UNARY_ROW)};
static const rect_grad_fn grad_entry[][RECT_NDTYPES] = {RECT_GRAD_OPS(GRAD_ROW)};
static const char *const unary_name[] = {RECT_UNARY_OPS(NAME)};
static const char *const grad_name[] = {RECT_GRAD_OPS(NAME)};
static const rect_prelu_fn prelu_entry[RECT_NDTYPES] = {call_prelu_f16, call_prelu_f32, call_prelu_f64,
                                                        call_prelu_bf16};
static const rect_prelu_grad_fn prelu_grad_entry[RECT_NDTYPES] = {call_prelu_grad_f16, call_prelu_grad_f32,
                                                                  call_prelu_grad_f64, call_prelu_grad_bf16};
enum { N_UNARY = sizeof unary_name / sizeof *unary_name, N_GRAD = sizeof grad_name / sizeof *grad_name };

static const size_t esize[RECT_NDTYPES] = {2, 4, 8, 2}; /* stored element */
static const size_t csize[RECT_NDTYPES] = {4, 4, 8, 4}; /* compute type: slopes, grad_w, parameters */
static const char *const dtype_name[RECT_NDTYPES] = {"f16", "f32", "f64", "bf16"};

/* ---- helpers ------------------------------------------------------------------------------------ */

static const uint8_t *data_bytes;
static size_t data_len;

static void fail(const char *what, const char *op, int dt, size_t n) {
    fprintf(stderr, "fuzz_kernels: %s (op %s, dtype %s, n %zu)\n", what, op, dtype_name[dt], n);
    abort();
}

/* The first element where two outputs disagree, with its input, as hex (for the report); 0 if none. */
static int print_difference(const void *x, const void *a, const void *b, size_t n, size_t size, size_t in_size) {
    size_t i, k;
    for (i = 0; i < n; i++) {
        if (memcmp((const char *)a + i * size, (const char *)b + i * size, size) == 0) continue;
        fprintf(stderr, "fuzz_kernels: first difference at element %zu of %zu: x = 0x", i, n);
        for (k = in_size; k-- > 0;) fprintf(stderr, "%02x", ((const unsigned char *)x)[i * in_size + k]);
        fprintf(stderr, ", scalar 0x");
        for (k = size; k-- > 0;) fprintf(stderr, "%02x", ((const unsigned char *)a)[i * size + k]);
        fprintf(stderr, ", other path 0x");
        for (k = size; k-- > 0;) fprintf(stderr, "%02x", ((const unsigned char *)b)[i * size + k]);
        fprintf(stderr, "\n");
        return 1;
    }
    return 0;
}

/* An array of `count` elements of `size` bytes, `misalign` elements into a heap block whose
 * prefix is poisoned: a byte before or after the array is an ASan report. */
typedef struct {
    unsigned char *block;
    void *p;
    size_t prefix;
} buf_t;

static buf_t buf_new(size_t count, size_t size, size_t misalign) {
    buf_t b;
    b.prefix = misalign * size;
    b.block = malloc(b.prefix + count * size + (count == 0)); /* malloc(0) may return NULL */
    if (!b.block) abort();
    b.p = b.block + b.prefix;
    if (b.prefix) ASAN_POISON_MEMORY_REGION(b.block, b.prefix);
    if (count == 0) ASAN_POISON_MEMORY_REGION(b.block, 1);  /* an empty array: nothing readable */
    return b;
}

static void buf_free(buf_t *b) {
    ASAN_UNPOISON_MEMORY_REGION(b->block, b->prefix + 1);
    free(b->block);
}

/* Fill with the fuzz data, cycled; interesting values mixed in by byte value. */
static void fill(void *p, size_t count, size_t size, unsigned salt) {
    unsigned char *q = p;
    size_t i;
    if (data_len == 0) {
        memset(p, 0, count * size);
        return;
    }
    for (i = 0; i < count * size; i++) q[i] = data_bytes[(i + salt * 7u) % data_len] ^ (unsigned char)(salt * 29u);
}

/* Parameters as doubles in the compute type, as the Python layer passes them. */
static double read_double(const uint8_t *p) {
    double d;
    memcpy(&d, p, 8);
    return d;
}

static double pick_param(const uint8_t *p, int mode) {
    static const double table[] = {0.0, -0.0, 1.0, -1.0, 0.01, 0.5, 6.0, -2.5, 1e-300, 1e300,
                                   INFINITY, -INFINITY, NAN, 3.0, 0.25, 20.0};
    return mode ? read_double(p) : table[p[0] % (sizeof table / sizeof *table)];
}

/* every path this CPU runs, each alone (scalar first), from the package's path table */
#define MAX_PATHS 8
static unsigned paths[MAX_PATHS];
static int npaths;

static void use_path(unsigned path) {
    if (rect_set_capabilities(path) != 0) abort();
}

/* ---- contiguous kernels: paths, in place, no input modified --------------------------------- */

static void fuzz_contiguous(int kind, int op, int dt, size_t n, unsigned flags, size_t misalign,
                            const rect_params *p) {
    const size_t es = esize[dt], cs = csize[dt];
    const char *name = kind == 0 ? unary_name[op] : kind == 1 ? grad_name[op] : kind == 2 ? "prelu" : "prelu_grad";
    const int null_grad = (flags & 1) != 0;
    buf_t x = buf_new(n, es, misalign & 7), g = buf_new(n, es, (misalign >> 3) & 7);
    buf_t w = buf_new(n, cs, 0), y[MAX_PATHS], gw[MAX_PATHS], inplace = buf_new(n, es, misalign & 7);
    unsigned char *x0 = malloc(n * es + 1), *g0 = malloc(n * es + 1), *w0 = malloc(n * cs + 1);
    int k;
    const void *gp;

    fill(x.p, n, es, 1), fill(g.p, n, es, 2), fill(w.p, n, cs, 3);
    for (k = 0; k < (int)n; k++) { /* slopes are finite (the Python layer refuses others) */
        if (cs == 4) {
            float f;
            memcpy(&f, (char *)w.p + (size_t)k * 4, 4);
            if (!isfinite(f)) f = 0.25f * (float)(k % 5) - 0.5f, memcpy((char *)w.p + (size_t)k * 4, &f, 4);
        } else {
            double d;
            memcpy(&d, (char *)w.p + (size_t)k * 8, 8);
            if (!isfinite(d)) d = 0.25 * (double)(k % 5) - 0.5, memcpy((char *)w.p + (size_t)k * 8, &d, 8);
        }
    }
    memcpy(x0, x.p, n * es), memcpy(g0, g.p, n * es), memcpy(w0, w.p, n * cs);
    gp = null_grad ? NULL : g.p;
    for (k = 0; k < npaths; k++) y[k] = buf_new(n, es, (misalign >> 6) & 3), gw[k] = buf_new(n, cs, 1);

    for (k = 0; k < npaths; k++) {
        use_path(paths[k]);
        switch (kind) {
        case 0: unary_entry[op][dt](n, x.p, y[k].p, p); break;
        case 1: grad_entry[op][dt](n, x.p, gp, y[k].p, p); break;
        case 2: prelu_entry[dt](n, x.p, w.p, y[k].p); break;
        default: prelu_grad_entry[dt](n, x.p, w.p, gp, y[k].p, gw[k].p); break;
        }
        if (memcmp(x.p, x0, n * es) || memcmp(g.p, g0, n * es) || memcmp(w.p, w0, n * cs))
            fail("an input was modified", name, dt, n);
        /* in place: y == x (and for gradients also y == grad), the same bits as out of place */
        memcpy(inplace.p, x0, n * es);
        switch (kind) {
        case 0: unary_entry[op][dt](n, inplace.p, inplace.p, p); break;
        case 1: grad_entry[op][dt](n, inplace.p, gp, inplace.p, p); break;
        case 2: prelu_entry[dt](n, inplace.p, w.p, inplace.p); break;
        default: prelu_grad_entry[dt](n, inplace.p, w.p, gp, inplace.p, gw[k].p); break;
        }
        if (memcmp(inplace.p, y[k].p, n * es)) fail("in place (y == x) differs from out of place", name, dt, n);
        if (kind == 1 && !null_grad) {
            memcpy(inplace.p, g0, n * es);
            grad_entry[op][dt](n, x.p, inplace.p, inplace.p, p);
            if (memcmp(inplace.p, y[k].p, n * es)) fail("in place (y == grad) differs from out of place", name, dt, n);
        }
    }
    for (k = 1; k < npaths; k++) {
        if (print_difference(x.p, y[0].p, y[k].p, n, es, es)) {
            fprintf(stderr, "(%s against scalar)\n", rect_path_name(paths[k]));
            fail("the paths differ", name, dt, n);
        }
        if (kind == 3 && memcmp(gw[0].p, gw[k].p, n * cs)) fail("the paths' grad_w differ", name, dt, n);
    }
    for (k = 0; k < npaths; k++) buf_free(&y[k]), buf_free(&gw[k]);
    buf_free(&x), buf_free(&g), buf_free(&w), buf_free(&inplace);
    free(x0), free(g0), free(w0);
}

/* ---- the ufunc loop ------------------------------------------------------------------------- */

/* One strided operand in a heap block of exactly the bytes it spans; p points at element 0. */
typedef struct {
    buf_t b;
    size_t span; /* bytes */
    char *p;
    intptr_t step;
} strided_t;

static strided_t strided_new(size_t count, size_t size, intptr_t stride_elems, unsigned salt) {
    strided_t s;
    const size_t reach = (size_t)(stride_elems < 0 ? -stride_elems : stride_elems);
    const size_t elems = count == 0 ? 0 : reach * (count - 1) + 1;
    s.b = buf_new(elems, size, 0);
    s.span = elems * size;
    s.step = stride_elems * (intptr_t)size;
    s.p = (char *)s.b.p + (stride_elems < 0 && count ? (elems - 1) * size : 0);
    fill(s.b.p, elems, size, salt);
    return s;
}

/* The same address in the copy of whichever block holds it. */
static char *translate(char *ptr, const strided_t *ops, unsigned char *const *copies, int n_ops) {
    int j;
    for (j = 0; j < n_ops; j++)
        if (ptr >= (char *)ops[j].b.p && ptr < (char *)ops[j].b.p + ops[j].span)
            return (char *)copies[j] + (ptr - (char *)ops[j].b.p);
    return (char *)copies[0]; /* an empty operand: never dereferenced */
}

static void fuzz_ufunc_loop(int kind, int op, int dt, size_t n, unsigned flags, unsigned mode,
                            const uint8_t *pbytes) {
    static const intptr_t choices[] = {1, 1, 2, 3, -1, -2, -3, 1};
    const size_t es = esize[dt], cs = csize[dt];
    const int accumulate = (mode & 0x30) == 0x10 && n > 1 && kind <= 2;
    const int reduce = (mode & 0x30) == 0x20 && n > 1 && kind <= 2;
    int nparams = kind <= 1 ? (int)((flags >> 1) % 3) : 0;
    int n_ops = 0, n_outs = kind == 3 ? 2 : 1, first_param = kind == 1 ? 2 : 1, k, yo;
    size_t sizes[8], i, m;
    strided_t ops[8];
    unsigned char *copies[8];
    char *args[8], *expect_args[8];
    intptr_t steps[8], dims[1];
    rect_loop_desc desc;
    const char *name = kind == 0 ? unary_name[op] : kind == 1 ? grad_name[op] : kind == 2 ? "prelu" : "prelu_grad";

    desc.kind = kind == 0 ? RECT_KIND_UNARY : kind == 1 ? RECT_KIND_GRAD : kind == 2 ? RECT_KIND_PRELU
                                                                                    : RECT_KIND_PRELU_GRAD;
    desc.op = op, desc.dtype = dt, desc.nparams = nparams;
    /* operands: UNARY x, params..., y; GRAD x, grad, params..., y; PRELU x, w, y;
     * PRELU_GRAD x, w, grad, gx, gw */
    sizes[n_ops++] = es;
    if (kind == 1) sizes[n_ops++] = es;
    if (kind >= 2) sizes[n_ops++] = cs;
    if (kind == 3) sizes[n_ops++] = es;
    for (k = 0; k < nparams; k++) sizes[n_ops++] = cs;
    sizes[n_ops++] = es;
    if (kind == 3) sizes[n_ops++] = cs;
    yo = n_ops - n_outs;

    for (k = 0; k < n_ops; k++) {
        const int is_param = k >= first_param && k < first_param + nparams;
        intptr_t stride = choices[(mode + (unsigned)k * 3u) & 7];
        if (is_param && ((flags >> (4 + k % 4)) & 1)) stride = 0; /* a scalar, broadcast */
        ops[k] = strided_new(stride == 0 ? 1 : n, sizes[k], stride, (unsigned)k * 5u + 1u);
        if (is_param) {
            /* a few distinct values, so that runs of equal parameters form */
            const size_t count = stride == 0 ? 1 : n;
            for (i = 0; i < count; i++) {
                double v = pick_param(pbytes + (i + (size_t)k) % 16, 0);
                char *at = ops[k].p + (intptr_t)i * ops[k].step;
                if ((pbytes[(i / 3 + (size_t)k) % 16] & 3) != 0) v = pick_param(pbytes + k, 0);
                if (cs == 4) {
                    float f = (float)v;
                    memcpy(at, &f, 4);
                } else {
                    memcpy(at, &v, 8);
                }
            }
        }
        args[k] = ops[k].p, steps[k] = ops[k].step;
    }
    /* NumPy's accumulate hands the loop x = out[i-1] and out[i]; reduce, x and out as one element
     * at stride 0 (only for kinds whose x and output have one size). */
    dims[0] = (intptr_t)n;
    if (accumulate) {
        args[0] = args[yo], steps[0] = steps[yo];
        args[yo] += steps[yo];
        dims[0] = (intptr_t)n - 1;
    } else if (reduce) {
        args[0] = args[yo];
        steps[0] = steps[yo] = 0;
    }
    m = (size_t)dims[0];

    /* The expectation, on copies of every block: one kernel call per element, in order. */
    for (k = 0; k < n_ops; k++) {
        copies[k] = malloc(ops[k].span + 1);
        memcpy(copies[k], ops[k].b.p, ops[k].span);
    }
    for (k = 0; k < n_ops; k++) expect_args[k] = translate(args[k], ops, copies, n_ops);
    for (i = 0; i < m; i++) {
        rect_params q = {0, 0, 0, 0};
        double *fields[4];
        unsigned char v[5][8];
        char *e[8];
        fields[0] = &q.a, fields[1] = &q.b, fields[2] = &q.c, fields[3] = &q.d;
        for (k = 0; k < n_ops; k++) e[k] = expect_args[k] + (intptr_t)i * steps[k];
        for (k = 0; k < nparams; k++) {
            if (cs == 4) {
                float f;
                memcpy(&f, e[first_param + k], 4);
                *fields[k] = f;
            } else {
                memcpy(fields[k], e[first_param + k], 8);
            }
        }
        for (k = 0; k < yo && k < 3; k++) memcpy(v[k], e[k], sizes[k]);
        switch (kind) {
        case 0: rect_kernels.unary[op][dt](1, v[0], v[3], &q); break;
        case 1: rect_kernels.grad[op][dt](1, v[0], v[1], v[3], &q); break;
        case 2: rect_kernels.prelu[dt](1, v[0], v[1], v[3]); break;
        default: rect_kernels.prelu_grad[dt](1, v[0], v[1], v[2], v[3], v[4]); break;
        }
        memcpy(e[yo], v[3], sizes[yo]);
        if (kind == 3) memcpy(e[yo + 1], v[4], sizes[yo + 1]);
    }
    rect_ufunc_loop(args, dims, steps, &desc);
    for (k = 0; k < n_ops; k++) {
        if (memcmp(copies[k], ops[k].b.p, ops[k].span))
            fail(accumulate ? "ufunc loop with accumulate's aliasing differs from one element at a time"
                 : reduce  ? "ufunc loop with reduce's aliasing differs from one element at a time"
                           : "ufunc loop differs from one element at a time (or wrote outside its outputs)",
                 name, dt, n);
        free(copies[k]);
        buf_free(&ops[k].b);
    }
}

/* ---- the entry points of libFuzzer ---------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    rect_init();
    {
        unsigned cap;
        for (cap = 1; cap && npaths < MAX_PATHS; cap <<= 1)
            if (rect_capabilities_detected() & cap) paths[npaths++] = cap;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size) {
    int kind, op, dt;
    size_t n;
    unsigned flags, mode, misalign;
    rect_params p = {0, 0, 0, 0};
    if (size < 24) return 0;
    kind = in[0] % 8;          /* 0-3 contiguous kernels, 4-7 the same through the ufunc loop */
    dt = in[2] % RECT_NDTYPES;
    flags = in[3];
    n = ((size_t)in[4] | (size_t)in[5] << 8) % MAX_N;
    misalign = in[6];
    mode = in[7];
    p.a = pick_param(in + 8, flags & 0x80);
    p.b = pick_param(in + 16, flags & 0x40);
    /* The contract: parameters that are multiplied (slopes, alpha, beta, at_zero: field a) are
     * never NaN (the Python layer refuses them); two NaNs meeting in one product may give either
     * payload, so the paths could differ in it. Infinities stay. */
    if (isnan(p.a)) p.a = 0.5;
    /* the parameters reach the kernels in the compute type */
    if (dt != RECT_F64) p.a = (float)p.a, p.b = (float)p.b;
    data_bytes = in + 24, data_len = size - 24;
    op = in[1];
    switch (kind % 4) {
    case 0: op %= N_UNARY; break;
    case 1: op %= N_GRAD; break;
    default: op = 0; break;
    }
    if (kind < 4) fuzz_contiguous(kind, op, dt, n, flags, misalign, &p);
    else {
        use_path((mode & 0x40) ? paths[(mode & 0x3f) % npaths] : RECT_CAP_SCALAR);
        fuzz_ufunc_loop(kind % 4, op, dt, n % 600, flags, mode, in + 8);
    }
    return 0;
}
