/* CPU feature detection and the kernel table. Compiled with the platform's baseline flags only:
 * nothing here may execute an instruction the CPU might lack. */
#include <stdint.h>
#include "kernels/table.h"
#include "kernels/f16_soft.h"

#if defined(__x86_64__) || defined(_M_X64)
#define RECT_HAVE_AVX2_PATH 1
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
#define RECT_HAVE_NEON_PATH 1
#endif

rect_kernel_table rect_kernels;

static unsigned compiled_paths = RECT_CAP_SCALAR
#ifdef RECT_HAVE_AVX2_PATH
                                 | RECT_CAP_AVX2
#endif
#ifdef RECT_HAVE_NEON_PATH
                                 | RECT_CAP_NEON
#endif
    ;
static unsigned detected_paths = RECT_CAP_SCALAR;
static unsigned enabled_paths = RECT_CAP_SCALAR;
static unsigned active_path = RECT_CAP_SCALAR;
static int initialised = 0;

#ifdef RECT_HAVE_AVX2_PATH
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

/* AVX2 and FMA and F16C in cpuid, and the OS saving XMM and YMM state (XCR0 bits 1 and 2). */
static int cpu_has_avx2_path(void) {
    unsigned r[4];
    const unsigned fma = 1u << 12, osxsave = 1u << 27, avx = 1u << 28, f16c = 1u << 29;
    cpuid(0, 0, r);
    if (r[0] < 7) return 0;
    cpuid(1, 0, r);
    if ((r[2] & (fma | osxsave | avx | f16c)) != (fma | osxsave | avx | f16c)) return 0;
    if ((read_xcr0() & 6u) != 6u) return 0;
    cpuid(7, 0, r);
    return (r[1] >> 5) & 1u; /* EBX bit 5: AVX2 */
}
#endif

static void fill_table(void) {
    rect_kernel_table t;
    rect_fill_table_scalar(&t);
    active_path = RECT_CAP_SCALAR;
#ifdef RECT_HAVE_AVX2_PATH
    if (enabled_paths & RECT_CAP_AVX2) rect_fill_table_avx2(&t), active_path = RECT_CAP_AVX2;
#endif
#ifdef RECT_HAVE_NEON_PATH
    if (enabled_paths & RECT_CAP_NEON) rect_fill_table_neon(&t), active_path = RECT_CAP_NEON;
#endif
    rect_kernels = t;
}

void rect_init(void) {
    if (initialised) return;
#ifdef RECT_HAVE_AVX2_PATH
    if (cpu_has_avx2_path()) detected_paths |= RECT_CAP_AVX2;
#endif
#ifdef RECT_HAVE_NEON_PATH
    detected_paths |= RECT_CAP_NEON; /* Advanced SIMD is mandatory on AArch64 */
#endif
    enabled_paths = detected_paths;
    fill_table();
    initialised = 1;
}

unsigned rect_capabilities_compiled(void) { return compiled_paths; }
unsigned rect_capabilities_detected(void) { return detected_paths; }
unsigned rect_capabilities_enabled(void) { return enabled_paths; }
unsigned rect_active_path(void) { return active_path; }

int rect_set_capabilities(unsigned mask) {
    rect_init();
    if (mask & ~detected_paths) return -1;
    enabled_paths = mask | RECT_CAP_SCALAR;
    fill_table();
    return 0;
}

const char *rect_path_name(unsigned cap) {
    switch (cap) {
    case RECT_CAP_SCALAR: return "scalar";
    case RECT_CAP_AVX2: return "avx2";
    case RECT_CAP_NEON: return "neon";
    default: return 0;
    }
}

float rect_f16_to_f32(rect_f16 h) { return rect_soft_f16_to_f32(h); }
rect_f16 rect_f32_to_f16(float f) { return rect_soft_f32_to_f16(f); }

/* ---- the public entry points: one call through the table each ---- */
#define RECT_ENTRY_UNARY(op)                                                                      \
    void rect_##op##_f16(size_t n, const rect_f16 *x, rect_f16 *y, const rect_params *p) {       \
        rect_kernels.unary[RECT_OP_##op][RECT_F16](n, x, y, p);                                  \
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
void rect_prelu_grad_f32(size_t n, const float *x, const float *w, const float *g, float *gx,
                         float *gw) {
    rect_kernels.prelu_grad[RECT_F32](n, x, w, g, gx, gw);
}
void rect_prelu_grad_f64(size_t n, const double *x, const double *w, const double *g, double *gx,
                         double *gw) {
    rect_kernels.prelu_grad[RECT_F64](n, x, w, g, gx, gw);
}
