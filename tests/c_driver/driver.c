/* Test driver: runs one rectifier kernel on one CPU path over raw arrays read from files.
 *
 *   driver PATH OP DTYPE X_FILE OUT_FILE [key=value ...]
 *
 *   PATH    a path of rectifier/capabilities.h's table: scalar, avx2, avx512, neon (the only path
 *           left enabled; exit status 3 if this CPU lacks it)
 *   OP      relu relu6 hardtanh threshold leaky_relu, their *_grad, prelu, prelu_grad
 *   DTYPE   f16 | f32 | f64 | bf16 (f16, bf16: binary16 / bfloat16 bit patterns, computed in float32)
 *   X_FILE  the input x: raw little-endian elements of DTYPE
 *   OUT_FILE the output y (grad_x for prelu_grad), same layout as x
 *
 * Options:
 *   a=NUM b=NUM    rect_params.a and .b (see rectifier.h for their meaning per op; default 0)
 *   n=N1,N2,...    run one kernel call per length, over consecutive slices of the arrays (their
 *                  sum must be the number of elements); default: one call over everything
 *   grad=FILE|none gradient ops: the incoming gradient (layout of x), or none for a NULL pointer
 *   w=FILE         prelu, prelu_grad: one slope per element, in the compute type (float32 for f16
 *                  and f32 data, float64 for f64)
 *   gw=FILE        prelu_grad: where to write grad_w (compute type, one per element)
 *   key=N first=N  rrelu, noisy_relu: the Philox key and the logical index of element 0 (each
 *                  call of an n= list starts at first + the elements before it)
 *   sigma=FILE     noisy_relu: one standard deviation per element (compute type)
 *   noise=FILE     rrelu, noisy_relu: where to write the noise (layout of x)
 *
 *   driver PATH philox N_GROUPS FIRST_GROUP C2 C3 KEY OUT_FILE
 *
 * writes the raw Philox4x32-10 words of rect_philox4x32_10_groups (uint32, little-endian).
 *
 *   driver PATH flags
 *
 * runs every op and dtype over quiet special values (NaN, +-inf, +-0, subnormals, large values;
 * parameters a = 0.5, b = 2.0; grad none and 1.5) at every length 0..17, and prints each call that
 * raised overflow, invalid or divide-by-zero, none of which these inputs should raise (exit status
 * 5 if any did).
 *
 *   driver PATH bias_act OP DTYPE X_FILE BIAS_FILE OUT_FILE shapes=O:C:I,... [a=NUM] [b=NUM]
 *
 * runs src/fused.c's rect_bias_act (y = OP(x + bias) per channel; OP a unary op or none) once per
 * shape (outer, channels, inner) over consecutive slices of x; BIAS_FILE holds each call's
 * `channels` biases one after the other, in the compute type.
 *
 *   driver PATH count_positive DTYPE X_FILE OUT_FILE shapes=O:L:I,...
 *
 * runs rect_count_positive once per shape (outer, length, inner) over consecutive slices of x and
 * writes the counts (outer * inner per call, uint64) one call after the other.
 *
 * The kernels are called through the public entry points (rect_<op>_<dtype>). After each call the
 * driver checks that the bytes just past the slice in every output are untouched, and fails with
 * exit status 4 otherwise. Exit status 2: bad usage or I/O error. Assumes a little-endian host. */
#include <errno.h>
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fused.h"
#include "kernels/table.h"
#include "rectifier/rectifier.h"

enum { EXIT_USAGE = 2, EXIT_NO_PATH = 3, EXIT_OVERRUN = 4, EXIT_FLAGS = 5 };

/* Bytes after each output slice that must stay untouched, and the byte they are filled with. */
enum { GUARD_BYTES = 64, CANARY = 0xA5 };

#include "entry_points.h"

/* ---- what the driver knows about each op and dtype ------------------------------------------ */

enum op_kind { KIND_UNARY, KIND_GRAD, KIND_PRELU, KIND_PRELU_GRAD, KIND_RANDOM };

struct op {
    const char *name;
    enum op_kind kind;
    /* indexed by enum rect_dtype; only the array of the op's kind is filled */
    rect_unary_fn unary[RECT_NDTYPES];
    rect_grad_fn grad[RECT_NDTYPES];
    rect_prelu_fn prelu[RECT_NDTYPES];
    rect_prelu_grad_fn prelu_grad[RECT_NDTYPES];
    rect_random_fn random[RECT_NDTYPES];
};

/* the functions of an op for each dtype, in enum rect_dtype's order */
#define BY_DTYPE(name) {call_##name##_f16, call_##name##_f32, call_##name##_f64, call_##name##_bf16}
#define UNARY_ENTRY(op) {#op, KIND_UNARY, .unary = BY_DTYPE(op)},
#define GRAD_ENTRY(op) {#op, KIND_GRAD, .grad = BY_DTYPE(op)},
#define RANDOM_ENTRY(op) {#op, KIND_RANDOM, .random = BY_DTYPE(op)},
static const struct op ops[] = {
    RECT_UNARY_OPS(UNARY_ENTRY)
    RECT_GRAD_OPS(GRAD_ENTRY)
    RECT_RANDOM_OPS(RANDOM_ENTRY)
    {"prelu", KIND_PRELU, .prelu = BY_DTYPE(prelu)},
    {"prelu_grad", KIND_PRELU_GRAD, .prelu_grad = BY_DTYPE(prelu_grad)},
};

struct dtype {
    const char *name;
    size_t size;         /* bytes per stored element */
    size_t compute_size; /* bytes per element of the compute type (slopes, grad_w) */
};
static const struct dtype dtypes[RECT_NDTYPES] = {
    [RECT_F16] = {"f16", sizeof(rect_f16), sizeof(float)},
    [RECT_F32] = {"f32", sizeof(float), sizeof(float)},
    [RECT_F64] = {"f64", sizeof(double), sizeof(double)},
    [RECT_BF16] = {"bf16", sizeof(rect_bf16), sizeof(float)},
};

/* ---- helpers --------------------------------------------------------------------------------- */

static void die(int status, const char *what, const char *detail) {
    fprintf(stderr, "driver: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(status);
}

static void *checked_malloc(size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) die(EXIT_USAGE, "out of memory", NULL);
    return p;
}

/* Reads a whole file; *bytes receives its size. */
static unsigned char *read_file(const char *path, size_t *bytes) {
    FILE *f = fopen(path, "rb");
    unsigned char *data;
    long size;
    if (!f) die(EXIT_USAGE, path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        die(EXIT_USAGE, path, "cannot determine its size");
    data = checked_malloc((size_t)size);
    if (fread(data, 1, (size_t)size, f) != (size_t)size) die(EXIT_USAGE, path, "short read");
    fclose(f);
    *bytes = (size_t)size;
    return data;
}

static void write_file(const char *path, const void *data, size_t bytes) {
    FILE *f = fopen(path, "wb");
    if (!f) die(EXIT_USAGE, path, strerror(errno));
    if (fwrite(data, 1, bytes, f) != bytes || fclose(f) != 0) die(EXIT_USAGE, path, "write failed");
}

/* Reads a file that must hold exactly `bytes` bytes. */
static unsigned char *read_array(const char *path, size_t bytes) {
    size_t got;
    unsigned char *data = read_file(path, &got);
    if (got != bytes) die(EXIT_USAGE, path, "wrong size (must match x's element count)");
    return data;
}

/* An output buffer of `bytes` followed by the guard bytes, all set to the canary. */
static unsigned char *new_output(size_t bytes) {
    unsigned char *p = checked_malloc(bytes + GUARD_BYTES);
    memset(p, CANARY, bytes + GUARD_BYTES);
    return p;
}

static int guard_intact(const unsigned char *end) {
    for (size_t i = 0; i < GUARD_BYTES; i++)
        if (end[i] != CANARY) return 0;
    return 1;
}

static double parse_number(const char *text) {
    char *end;
    double value;
    errno = 0;
    value = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE) die(EXIT_USAGE, "bad number", text);
    return value;
}

static uint64_t parse_u64(const char *text) {
    char *end;
    unsigned long long value;
    errno = 0;
    value = strtoull(text, &end, 0);
    if (end == text || *end != '\0' || errno == ERANGE) die(EXIT_USAGE, "bad integer", text);
    return (uint64_t)value;
}

/* Parses "N1,N2,..." into a new array; *count receives the number of lengths. */
static size_t *parse_lengths(const char *text, size_t *count) {
    size_t capacity = 1, i = 0;
    const char *c;
    size_t *lengths;
    for (c = text; *c; c++) capacity += *c == ',';
    lengths = checked_malloc(capacity * sizeof *lengths);
    for (c = text;; c++) {
        char *end;
        unsigned long long value;
        if (*c < '0' || *c > '9') die(EXIT_USAGE, "bad length list", text);
        errno = 0;
        value = strtoull(c, &end, 10);
        if (errno == ERANGE || value > (size_t)-1) die(EXIT_USAGE, "bad length list", text);
        lengths[i++] = (size_t)value;
        c = end;
        if (*c == '\0') break;
        if (*c != ',') die(EXIT_USAGE, "bad length list", text);
    }
    *count = i;
    return lengths;
}

static void usage(void) {
    die(EXIT_USAGE,
        "usage: driver PATH OP DTYPE X_FILE OUT_FILE [a=NUM] [b=NUM] [n=N1,N2,...] "
        "[grad=FILE|none] [w=FILE] [gw=FILE]",
        NULL);
}

/* Restricts the library to one path; exits with EXIT_NO_PATH if this CPU cannot run it. */
static void select_path(const char *name) {
    unsigned cap = rect_path_bit(name);
    if (!cap) die(EXIT_USAGE, "unknown path", name);
    rect_init();
    if (!(rect_capabilities_detected() & cap) || rect_set_capabilities(cap) != 0) {
        fprintf(stderr, "driver: path %s is not available on this CPU\n", name);
        exit(EXIT_NO_PATH);
    }
    if (rect_active_path() != cap) die(EXIT_USAGE, "could not activate path", name);
}

/* The `flags` mode (see the top of this file). */
static int check_flags(void) {
    enum { N = 17 };
    const double values[N] = {DBL_MAX / 4, -DBL_MAX / 4, INFINITY, -INFINITY, NAN, -NAN, 0.0, -0.0,
                              1e-310, -1e-310, 1.0, -1.0, 3.0, -3.0, 700.0, -700.0, 0.5};
    const float half_values[N] = {60000.0f, -60000.0f, INFINITY, -INFINITY, NAN, -NAN, 0.0f, -0.0f,
                                  1e-7f, -1e-7f, 1.0f, -1.0f, 3.0f, -3.0f, 11.0f, -11.0f, 0.5f};
    const rect_params params = {0.5, 2.0, 0.0, 0.0};
    double x64[N], g64[N], w64[N], y64[N], gw64[N];
    float x32[N], g32[N], w32[N], y32[N], gw32[N];
    rect_f16 x16[N], g16[N], y16[N];
    rect_bf16 xb[N], gb[N], yb[N];
    size_t i, k, n;
    int problems = 0, d, with_grad;
    for (i = 0; i < N; i++) {
        x64[i] = values[i], g64[i] = 1.5, w64[i] = 0.5;
        x32[i] = (float)(fabs(values[i]) > 1e30 ? values[i] / 1e280 : values[i]), g32[i] = 1.5f, w32[i] = 0.5f;
        x16[i] = rect_f32_to_f16(half_values[i]), g16[i] = rect_f32_to_f16(1.5f);
        xb[i] = rect_f32_to_bf16(x32[i]), gb[i] = rect_f32_to_bf16(1.5f); /* float32's range */
    }
    for (k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        const struct op *op = &ops[k];
        for (d = 0; d < RECT_NDTYPES; d++) {
            const void *x = d == RECT_F64 ? (const void *)x64 : d == RECT_F32 ? (const void *)x32
                          : d == RECT_BF16 ? (const void *)xb : (const void *)x16;
            const void *g = d == RECT_F64 ? (const void *)g64 : d == RECT_F32 ? (const void *)g32
                          : d == RECT_BF16 ? (const void *)gb : (const void *)g16;
            /* rrelu_grad's x is rrelu's noise, a multiplier: huge values times grad overflow for real */
            if (strcmp(op->name, "rrelu_grad") == 0) x = g;
            const void *w = d == RECT_F64 ? (const void *)w64 : (const void *)w32;
            void *y = d == RECT_F64 ? (void *)y64 : d == RECT_F32 ? (void *)y32
                    : d == RECT_BF16 ? (void *)yb : (void *)y16;
            void *gw = d == RECT_F64 ? (void *)gw64 : (void *)gw32;
            for (with_grad = 0; with_grad < 2; with_grad++) {
                if (with_grad && (op->kind == KIND_UNARY || op->kind == KIND_PRELU)) continue;
                /* random ops: with_grad 1 runs noisy_relu's sigma="sigmoid" instead */
                if (with_grad && op->kind == KIND_RANDOM && strcmp(op->name, "noisy_relu") != 0) continue;
                for (n = 0; n <= N; n++) {
                    int raised;
                    feclearexcept(FE_ALL_EXCEPT);
                    switch (op->kind) {
                    case KIND_UNARY: op->unary[d](n, x, y, &params); break;
                    case KIND_GRAD: op->grad[d](n, x, with_grad ? g : NULL, y, &params); break;
                    case KIND_PRELU: op->prelu[d](n, x, w, y); break;
                    case KIND_RANDOM: {
                        const rect_params random_params = {0.5, with_grad ? 1.0 : 2.0, 0.0, 0.0};
                        op->random[d](n, x, NULL, y, gw, &random_params, 12345u, 7u);
                        break;
                    }
                    default: op->prelu_grad[d](n, x, w, with_grad ? g : NULL, y, gw); break;
                    }
                    raised = fetestexcept(FE_OVERFLOW | FE_INVALID | FE_DIVBYZERO);
                    if (raised) {
                        printf("%s %s n=%zu%s raised%s%s%s\n", op->name, dtypes[d].name, n,
                               with_grad ? " with grad" : "", raised & FE_OVERFLOW ? " overflow" : "",
                               raised & FE_INVALID ? " invalid" : "", raised & FE_DIVBYZERO ? " divide-by-zero" : "");
                        problems++;
                    }
                }
            }
        }
    }
    printf("%s: %d calls raised flags\n", rect_path_name(rect_active_path()), problems);
    return problems ? EXIT_FLAGS : 0;
}

/* "O:C:I,O:C:I,..." into a new array of 3 * count sizes. */
static size_t *parse_shapes(const char *text, size_t *count) {
    size_t n_numbers, *numbers;
    char *copy = checked_malloc(strlen(text) + 1), *c;
    strcpy(copy, text);
    for (c = copy; *c; c++)
        if (*c == ':') *c = ',';
    numbers = parse_lengths(copy, &n_numbers);
    free(copy);
    if (n_numbers % 3) die(EXIT_USAGE, "shapes must be O:C:I triples", text);
    *count = n_numbers / 3;
    return numbers;
}

/* The bias_act and count_positive modes (see the top of this file). */
static int run_fused(int argc, char **argv) {
    const int bias_mode = strcmp(argv[2], "bias_act") == 0;
    const int first_option = bias_mode ? 8 : 6;
    const struct dtype *dt = NULL;
    enum rect_dtype dtype = RECT_F16;
    rect_params params = {0, 0, 0, 0};
    const char *shapes_text = NULL;
    const char *dtype_name = argv[bias_mode ? 4 : 3];
    size_t n_shapes, *shapes, x_bytes, total = 0, channels_total = 0, counts_total = 0, i;
    int op = -1, d, a;
    unsigned char *x, *bias = NULL, *y;
    if (argc < first_option) usage();
    if (bias_mode && strcmp(argv[3], "none") != 0) {
        for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
            if (ops[i].kind == KIND_UNARY && strcmp(ops[i].name, argv[3]) == 0) op = (int)i;
        if (op < 0) die(EXIT_USAGE, "unknown unary op", argv[3]);   /* ops[] lists the unary ops first, in enum order */
    }
    for (d = 0; d < RECT_NDTYPES; d++)
        if (strcmp(dtypes[d].name, dtype_name) == 0) dt = &dtypes[d], dtype = (enum rect_dtype)d;
    if (!dt) die(EXIT_USAGE, "unknown dtype", dtype_name);
    for (a = first_option; a < argc; a++) {
        const char *arg = argv[a], *value = strchr(arg, '=');
        if (!value) usage();
        value++;
        if (strncmp(arg, "a=", 2) == 0) params.a = parse_number(value);
        else if (strncmp(arg, "b=", 2) == 0) params.b = parse_number(value);
        else if (strncmp(arg, "shapes=", 7) == 0) shapes_text = value;
        else die(EXIT_USAGE, "unknown option", arg);
    }
    if (!shapes_text) die(EXIT_USAGE, "shapes=O:C:I,... is required", NULL);
    shapes = parse_shapes(shapes_text, &n_shapes);
    for (i = 0; i < n_shapes; i++) {
        total += shapes[3 * i] * shapes[3 * i + 1] * shapes[3 * i + 2];
        channels_total += shapes[3 * i + 1];
        counts_total += shapes[3 * i] * shapes[3 * i + 2];
    }
    select_path(argv[1]);
    x = read_file(argv[5 - !bias_mode], &x_bytes);
    if (x_bytes != total * dt->size) die(EXIT_USAGE, "x does not hold the shapes' elements", NULL);
    if (bias_mode) bias = read_array(argv[6], channels_total * dt->compute_size);
    if (bias_mode) {
        size_t at = 0, at_bias = 0;
        y = new_output(x_bytes);
        for (i = 0; i < n_shapes; i++) {
            const size_t outer = shapes[3 * i], channels = shapes[3 * i + 1], inner = shapes[3 * i + 2];
            const size_t n = outer * channels * inner;
            if (rect_bias_act(dtype, op, outer, channels, inner, x + at * dt->size,
                              bias + at_bias * dt->compute_size, y + at * dt->size, &params) != 0)
                die(EXIT_USAGE, "rect_bias_act: out of memory", NULL);
            /* the bytes after this call's slice are still canaries (later calls have not run) */
            if (!guard_intact(y + (at + n) * dt->size)) {
                fprintf(stderr, "driver: bias_act call %zu wrote past the end of its output\n", i);
                return EXIT_OVERRUN;
            }
            at += n, at_bias += channels;
        }
        write_file(argv[7], y, x_bytes);
    } else {
        size_t at = 0, at_count = 0;
        y = new_output(counts_total * sizeof(uint64_t));
        for (i = 0; i < n_shapes; i++) {
            const size_t outer = shapes[3 * i], length = shapes[3 * i + 1], inner = shapes[3 * i + 2];
            if (rect_count_positive(dtype, outer, length, inner, x + at * dt->size,
                                    (uint64_t *)(y + at_count * sizeof(uint64_t))) != 0)
                die(EXIT_USAGE, "rect_count_positive: out of memory", NULL);
            at += outer * length * inner, at_count += outer * inner;
            if (!guard_intact(y + at_count * sizeof(uint64_t))) {
                fprintf(stderr, "driver: count_positive call %zu wrote past the end of its output\n", i);
                return EXIT_OVERRUN;
            }
        }
        write_file(argv[5], y, counts_total * sizeof(uint64_t));
    }
    free(x), free(bias), free(y), free(shapes);
    return 0;
}

int main(int argc, char **argv) {
    const struct op *op = NULL;
    const struct dtype *dt = NULL;
    enum rect_dtype dtype = RECT_F16;
    rect_params params = {0, 0, 0, 0};
    const char *lengths_text = NULL, *grad_path = NULL, *w_path = NULL, *gw_path = NULL;
    const char *sigma_path = NULL, *noise_path = NULL;
    uint64_t key = 0, first = 0;
    unsigned char *x, *grad = NULL, *w = NULL, *y, *gw = NULL, *sigma = NULL, *noise = NULL;
    size_t x_bytes, total, n_lengths, *lengths, sum = 0, offset = 0, i;
    int d;

    if (argc >= 3 && (strcmp(argv[2], "bias_act") == 0 || strcmp(argv[2], "count_positive") == 0))
        return run_fused(argc, argv);
    if (argc == 3 && strcmp(argv[2], "flags") == 0) {
        select_path(argv[1]);
        return check_flags();
    }
    if (argc == 9 && strcmp(argv[2], "philox") == 0) {
        const size_t n_groups = (size_t)parse_u64(argv[3]);
        uint32_t *words = checked_malloc(n_groups * 32 * sizeof(uint32_t));
        select_path(argv[1]);
        rect_philox4x32_10_groups(n_groups, parse_u64(argv[4]), (uint32_t)parse_u64(argv[5]),
                                  (uint32_t)parse_u64(argv[6]), parse_u64(argv[7]), words);
        write_file(argv[8], words, n_groups * 32 * sizeof(uint32_t));
        free(words);
        return 0;
    }
    if (argc < 6) usage();
    for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(ops[i].name, argv[2]) == 0) op = &ops[i];
    for (d = 0; d < RECT_NDTYPES; d++)
        if (strcmp(dtypes[d].name, argv[3]) == 0) dt = &dtypes[d], dtype = (enum rect_dtype)d;
    if (!op) die(EXIT_USAGE, "unknown op", argv[2]);
    if (!dt) die(EXIT_USAGE, "unknown dtype", argv[3]);

    for (d = 6; d < argc; d++) {
        const char *arg = argv[d], *value = strchr(arg, '=');
        if (!value) usage();
        value++;
        if (strncmp(arg, "a=", 2) == 0) params.a = parse_number(value);
        else if (strncmp(arg, "b=", 2) == 0) params.b = parse_number(value);
        else if (strncmp(arg, "n=", 2) == 0) lengths_text = value;
        else if (strncmp(arg, "grad=", 5) == 0) grad_path = value;
        else if (strncmp(arg, "w=", 2) == 0) w_path = value;
        else if (strncmp(arg, "gw=", 3) == 0) gw_path = value;
        else if (strncmp(arg, "key=", 4) == 0) key = parse_u64(value);
        else if (strncmp(arg, "first=", 6) == 0) first = parse_u64(value);
        else if (strncmp(arg, "sigma=", 6) == 0) sigma_path = value;
        else if (strncmp(arg, "noise=", 6) == 0) noise_path = value;
        else die(EXIT_USAGE, "unknown option", arg);
    }
    if ((op->kind == KIND_GRAD || op->kind == KIND_PRELU_GRAD) && !grad_path)
        die(EXIT_USAGE, "this op needs grad=FILE or grad=none", op->name);
    if ((op->kind == KIND_PRELU || op->kind == KIND_PRELU_GRAD) && !w_path)
        die(EXIT_USAGE, "this op needs w=FILE", op->name);
    if (op->kind == KIND_PRELU_GRAD && !gw_path) die(EXIT_USAGE, "prelu_grad needs gw=FILE", NULL);

    select_path(argv[1]);

    x = read_file(argv[4], &x_bytes);
    if (x_bytes % dt->size) die(EXIT_USAGE, argv[4], "size is not a whole number of elements");
    total = x_bytes / dt->size;
    if (grad_path && strcmp(grad_path, "none") != 0) grad = read_array(grad_path, x_bytes);
    if (w_path) w = read_array(w_path, total * dt->compute_size);
    if (sigma_path) sigma = read_array(sigma_path, total * dt->compute_size);

    if (lengths_text) {
        lengths = parse_lengths(lengths_text, &n_lengths);
    } else {
        lengths = checked_malloc(sizeof *lengths);
        lengths[0] = total, n_lengths = 1;
    }
    for (i = 0; i < n_lengths; i++) sum += lengths[i];
    if (sum != total) die(EXIT_USAGE, "the lengths do not add up to x's element count", NULL);

    y = new_output(x_bytes);
    if (op->kind == KIND_PRELU_GRAD) gw = new_output(total * dt->compute_size);
    if (noise_path) noise = new_output(x_bytes);

    for (i = 0; i < n_lengths; offset += lengths[i], i++) {
        const size_t n = lengths[i], at = offset * dt->size, at_c = offset * dt->compute_size;
        const void *g = grad ? grad + at : NULL;
        switch (op->kind) {
        case KIND_UNARY: op->unary[dtype](n, x + at, y + at, &params); break;
        case KIND_GRAD: op->grad[dtype](n, x + at, g, y + at, &params); break;
        case KIND_PRELU: op->prelu[dtype](n, x + at, w + at_c, y + at); break;
        case KIND_PRELU_GRAD: op->prelu_grad[dtype](n, x + at, w + at_c, g, y + at, gw + at_c); break;
        case KIND_RANDOM:
            op->random[dtype](n, x + at, sigma ? sigma + at_c : NULL, y + at, noise ? noise + at : NULL,
                              &params, key, first + offset);
            if (noise && !guard_intact(noise + at + n * dt->size)) {
                fprintf(stderr, "driver: %s %s n=%zu (call %zu) wrote past the end of its noise\n",
                        op->name, dt->name, n, i);
                return EXIT_OVERRUN;
            }
            break;
        }
        if (!guard_intact(y + at + n * dt->size) ||
            (gw && !guard_intact(gw + at_c + n * dt->compute_size))) {
            fprintf(stderr, "driver: %s %s n=%zu (call %zu) wrote past the end of its output\n",
                    op->name, dt->name, n, i);
            return EXIT_OVERRUN;
        }
    }

    write_file(argv[5], y, x_bytes);
    if (gw) write_file(gw_path, gw, total * dt->compute_size);
    if (noise) write_file(noise_path, noise, x_bytes);
    free(x), free(grad), free(w), free(y), free(gw), free(sigma), free(noise), free(lengths);
    return 0;
}
