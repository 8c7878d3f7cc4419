/* CPU feature detection and the kernel table. Compiled with the platform's baseline flags only:
 * nothing here may execute an instruction the CPU might lack. */
#include <stdint.h>
#include <string.h>
#include "kernels/table.h"
#include "kernels/f16_soft.h"

#if defined(__x86_64__) || defined(_M_X64)
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

rect_kernel_table rect_kernels;

/* RECT_CPU_PATHS (rectifier/capabilities.h) as data: every path, in row order. */
typedef struct rect_path {
    const char *name;
    unsigned cap;
    int precedence, built;
    unsigned cpuid_1_ecx, cpuid_7_ebx, xcr0;
    void (*fill)(rect_kernel_table *t);
} rect_path;

#define RECT_PATH_ROW(name, bit, precedence, arch, ecx1, ebx7, xcr0)                              \
    {#name, 1u << (bit), (precedence), (arch), (ecx1), (ebx7), (xcr0), rect_fill_table_##name},
static const rect_path paths[] = {RECT_CPU_PATHS(RECT_PATH_ROW)};
#undef RECT_PATH_ROW
#define N_PATHS (sizeof(paths) / sizeof(paths[0]))

static unsigned compiled_paths = 0;
static unsigned detected_paths = RECT_CAP_SCALAR;
static unsigned enabled_paths = RECT_CAP_SCALAR;
static unsigned active_path = RECT_CAP_SCALAR;
static int initialised = 0;

#if defined(__x86_64__) || defined(_M_X64)
static void cpuid(unsigned leaf, unsigned subleaf, unsigned regs[4]) {
#if defined(_MSC_VER) && !defined(__clang__)
    int r[4];
    __cpuidex(r, (int)leaf, (int)subleaf);
    regs[0] = (unsigned)r[0], regs[1] = (unsigned)r[1], regs[2] = (unsigned)r[2], regs[3] = (unsigned)r[3];
#else
    __cpuid_count(leaf, subleaf, regs[0], regs[1], regs[2], regs[3]);
#endif
}

/* XCR0 through XGETBV, encoded as bytes so that this file needs no -mxsave. */
static uint64_t read_xcr0(void) {
#if defined(_MSC_VER) && !defined(__clang__)
    return _xgetbv(0);
#else
    uint32_t eax, edx;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
#endif
}

/* Whether the CPU reports every feature bit the path's row asks for, and the OS saves the register
 * state it names (XGETBV is only run once CPUID says the OS enabled it: OSXSAVE). */
static int cpu_runs(const rect_path *path) {
    const unsigned osxsave = 1u << 27;
    unsigned r[4], ecx1, ebx7 = 0;
    cpuid(0, 0, r);
    if (r[0] < 1) return path->cpuid_1_ecx == 0 && path->cpuid_7_ebx == 0 && path->xcr0 == 0;
    if (r[0] >= 7) {
        unsigned r7[4];
        cpuid(7, 0, r7);
        ebx7 = r7[1];
    }
    cpuid(1, 0, r);
    ecx1 = r[2];
    if ((ecx1 & path->cpuid_1_ecx) != path->cpuid_1_ecx) return 0;
    if ((ebx7 & path->cpuid_7_ebx) != path->cpuid_7_ebx) return 0;
    if (path->xcr0 != 0) {
        if (!(ecx1 & osxsave)) return 0;
        if ((read_xcr0() & path->xcr0) != path->xcr0) return 0;
    }
    return 1;
}
#else
static int cpu_runs(const rect_path *path) { (void)path; return 1; } /* built means present */
#endif

/* The table from the scalar path, then overwritten by the enabled path of highest precedence. */
static void fill_table(void) {
    rect_kernel_table t;
    const rect_path *best = &paths[0];
    size_t i;
    for (i = 0; i < N_PATHS; i++)
        if ((enabled_paths & paths[i].cap) && paths[i].precedence > best->precedence) best = &paths[i];
    rect_fill_table_scalar(&t);
    if (best->cap != RECT_CAP_SCALAR) best->fill(&t);
    active_path = best->cap;
    rect_kernels = t;
}

void rect_init(void) {
    size_t i;
    if (initialised) return;
    for (i = 0; i < N_PATHS; i++) {
        if (!paths[i].built) continue;
        compiled_paths |= paths[i].cap;
        if (cpu_runs(&paths[i])) detected_paths |= paths[i].cap;
    }
    enabled_paths = detected_paths;
    fill_table();
    initialised = 1;
}

unsigned rect_capabilities_compiled(void) { rect_init(); return compiled_paths; }
unsigned rect_capabilities_detected(void) { rect_init(); return detected_paths; }
unsigned rect_capabilities_enabled(void) { rect_init(); return enabled_paths; }
unsigned rect_active_path(void) { rect_init(); return active_path; }

int rect_set_capabilities(unsigned mask) {
    rect_init();
    if (mask & ~detected_paths) return -1;
    enabled_paths = mask | RECT_CAP_SCALAR;
    fill_table();
    return 0;
}

static const rect_path *path_of(unsigned cap) {
    size_t i;
    for (i = 0; i < N_PATHS; i++)
        if (paths[i].cap == cap) return &paths[i];
    return 0;
}

const char *rect_path_name(unsigned cap) {
    const rect_path *path = path_of(cap);
    return path ? path->name : 0;
}

int rect_path_precedence(unsigned cap) {
    const rect_path *path = path_of(cap);
    return path ? path->precedence : -1;
}

unsigned rect_path_xcr0(unsigned cap) {
    const rect_path *path = path_of(cap);
    return path ? path->xcr0 : 0;
}

unsigned rect_path_bit(const char *name) {
    size_t i;
    for (i = 0; name && i < N_PATHS; i++)
        if (strcmp(paths[i].name, name) == 0) return paths[i].cap;
    return 0;
}

float rect_f16_to_f32(rect_f16 h) { return rect_soft_f16_to_f32(h); }
rect_f16 rect_f32_to_f16(float f) { return rect_soft_f32_to_f16(f); }
float rect_bf16_to_f32(rect_bf16 h) { return rect_soft_bf16_to_f32(h); }
rect_bf16 rect_f32_to_bf16(float f) { return rect_soft_f32_to_bf16(f); }

/* ---- the public entry points: one call through the table each ---- */
#define RECT_ENTRY_UNARY(op)                                                                      \
    void rect_##op##_f16(size_t n, const rect_f16 *x, rect_f16 *y, const rect_params *p) {       \
        rect_kernels.unary[RECT_OP_##op][RECT_F16](n, x, y, p);                                  \
    }                                                                                           \
    void rect_##op##_bf16(size_t n, const rect_bf16 *x, rect_bf16 *y, const rect_params *p) {    \
        rect_kernels.unary[RECT_OP_##op][RECT_BF16](n, x, y, p);                                 \
    }                                                                                           \
    void rect_##op##_f32(size_t n, const float *x, float *y, const rect_params *p) {             \
        rect_kernels.unary[RECT_OP_##op][RECT_F32](n, x, y, p);                                  \
    }                                                                                           \
    void rect_##op##_f64(size_t n, const double *x, double *y, const rect_params *p) {           \
        rect_kernels.unary[RECT_OP_##op][RECT_F64](n, x, y, p);                                  \
    }
#define RECT_ENTRY_GRAD(op)                                                                       \
    void rect_##op##_f16(size_t n, const rect_f16 *x, const rect_f16 *g, rect_f16 *y,            \
                         const rect_params *p) {                                                \
        rect_kernels.grad[RECT_OP_##op][RECT_F16](n, x, g, y, p);                                \
    }                                                                                           \
    void rect_##op##_bf16(size_t n, const rect_bf16 *x, const rect_bf16 *g, rect_bf16 *y,        \
                          const rect_params *p) {                                               \
        rect_kernels.grad[RECT_OP_##op][RECT_BF16](n, x, g, y, p);                               \
    }                                                                                           \
    void rect_##op##_f32(size_t n, const float *x, const float *g, float *y, const rect_params *p) { \
        rect_kernels.grad[RECT_OP_##op][RECT_F32](n, x, g, y, p);                                \
    }                                                                                           \
    void rect_##op##_f64(size_t n, const double *x, const double *g, double *y,                  \
                         const rect_params *p) {                                                \
        rect_kernels.grad[RECT_OP_##op][RECT_F64](n, x, g, y, p);                                \
    }
RECT_UNARY_OPS(RECT_ENTRY_UNARY)
RECT_GRAD_OPS(RECT_ENTRY_GRAD)

#define RECT_ENTRY_RANDOM(op)                                                                     \
    void rect_##op##_f16(size_t n, const rect_f16 *x, const float *sigma, rect_f16 *y,           \
                         rect_f16 *noise, const rect_params *p, uint64_t key, uint64_t first) {  \
        rect_kernels.random[RECT_OP_##op][RECT_F16](n, x, sigma, y, noise, p, key, first); \
    }                                                                                           \
    void rect_##op##_bf16(size_t n, const rect_bf16 *x, const float *sigma, rect_bf16 *y,        \
                          rect_bf16 *noise, const rect_params *p, uint64_t key, uint64_t first) { \
        rect_kernels.random[RECT_OP_##op][RECT_BF16](n, x, sigma, y, noise, p, key, first); \
    }                                                                                           \
    void rect_##op##_f32(size_t n, const float *x, const float *sigma, float *y, float *noise,    \
                         const rect_params *p, uint64_t key, uint64_t first) {                   \
        rect_kernels.random[RECT_OP_##op][RECT_F32](n, x, sigma, y, noise, p, key, first); \
    }                                                                                           \
    void rect_##op##_f64(size_t n, const double *x, const double *sigma, double *y,              \
                         double *noise, const rect_params *p, uint64_t key, uint64_t first) {    \
        rect_kernels.random[RECT_OP_##op][RECT_F64](n, x, sigma, y, noise, p, key, first); \
    }
RECT_RANDOM_OPS(RECT_ENTRY_RANDOM)

void rect_philox4x32_10_groups(size_t n_groups, uint64_t first_group, uint32_t c2, uint32_t c3,
                               uint64_t key, uint32_t *out) {
    rect_kernels.philox_groups(n_groups, first_group, c2, c3, key, out);
}

void rect_prelu_f16(size_t n, const rect_f16 *x, const float *w, rect_f16 *y) {
    rect_kernels.prelu[RECT_F16](n, x, w, y);
}
void rect_prelu_bf16(size_t n, const rect_bf16 *x, const float *w, rect_bf16 *y) {
    rect_kernels.prelu[RECT_BF16](n, x, w, y);
}
void rect_prelu_f32(size_t n, const float *x, const float *w, float *y) {
    rect_kernels.prelu[RECT_F32](n, x, w, y);
}
void rect_prelu_f64(size_t n, const double *x, const double *w, double *y) {
    rect_kernels.prelu[RECT_F64](n, x, w, y);
}
void rect_prelu_grad_f16(size_t n, const rect_f16 *x, const float *w, const rect_f16 *g,
                         rect_f16 *gx, float *gw) {
    rect_kernels.prelu_grad[RECT_F16](n, x, w, g, gx, gw);
}
void rect_prelu_grad_bf16(size_t n, const rect_bf16 *x, const float *w, const rect_bf16 *g,
                          rect_bf16 *gx, float *gw) {
    rect_kernels.prelu_grad[RECT_BF16](n, x, w, g, gx, gw);
}
void rect_prelu_grad_f32(size_t n, const float *x, const float *w, const float *g, float *gx,
                         float *gw) {
    rect_kernels.prelu_grad[RECT_F32](n, x, w, g, gx, gw);
}
void rect_prelu_grad_f64(size_t n, const double *x, const double *w, const double *g, double *gx,
                         double *gw) {
    rect_kernels.prelu_grad[RECT_F64](n, x, w, g, gx, gw);
}

void rect_reduce_f16(int op, size_t outer, size_t n, size_t inner, const rect_f16 *x,
                     const rect_f16 *g, rect_f16 *y, const rect_params *p) {
    rect_kernels.reduce[RECT_F16](op, outer, n, inner, x, g, y, p);
}
void rect_reduce_bf16(int op, size_t outer, size_t n, size_t inner, const rect_bf16 *x,
                      const rect_bf16 *g, rect_bf16 *y, const rect_params *p) {
    rect_kernels.reduce[RECT_BF16](op, outer, n, inner, x, g, y, p);
}
void rect_reduce_f32(int op, size_t outer, size_t n, size_t inner, const float *x, const float *g,
                     float *y, const rect_params *p) {
    rect_kernels.reduce[RECT_F32](op, outer, n, inner, x, g, y, p);
}
void rect_reduce_f64(int op, size_t outer, size_t n, size_t inner, const double *x,
                     const double *g, double *y, const rect_params *p) {
    rect_kernels.reduce[RECT_F64](op, outer, n, inner, x, g, y, p);
}
