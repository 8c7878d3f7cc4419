/* The vector shim for the portable scalar path: a "vector" of one lane.
 *
 * Every shim defines, for f32 and f64: the vector type T_v, the mask type T_m, T_LANES, and the
 * operations used by ops.h (load/store, partial load/store, set1, zero, arithmetic, ordered
 * compares that are false on NaN, select(m, a, b): a where m, else b; clear(m, x): +0 where m,
 * else x; keep(m, x): x where m, else +0), plus float16 load/store into f32 vectors. */
#ifndef RECT_SHIM_SCALAR_H
#define RECT_SHIM_SCALAR_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "f16_soft.h"

#define RECT_SCALAR_SHIM(T, S)                                                                  \
    typedef S T##_v;                                                                            \
    typedef int T##_m;                                                                          \
    static inline T##_v T##_load(const S *p) { return *p; }                                    \
    static inline void T##_store(S *p, T##_v v) { *p = v; }                                    \
    /* one lane is never partial; these exist so the generic loops compile */                  \
    static inline T##_v T##_load_part(const S *p, size_t n) { (void)n; return *p; }            \
    static inline void T##_store_part(S *p, T##_v v, size_t n) { (void)n; *p = v; }            \
    static inline T##_v T##_set1(S s) { return s; }                                            \
    static inline T##_v T##_zero(void) { return (S)0; }                                        \
    static inline T##_v T##_add(T##_v a, T##_v b) { return a + b; }                            \
    static inline T##_v T##_sub(T##_v a, T##_v b) { return a - b; }                            \
    static inline T##_v T##_mul(T##_v a, T##_v b) { return a * b; }                            \
    /* C's < <= > >= raise "invalid" on a quiet NaN; these macros are the quiet compares the  \
       SIMD shims use */                                                                       \
    static inline T##_m T##_lt(T##_v a, T##_v b) { return isless(a, b); }                      \
    static inline T##_m T##_le(T##_v a, T##_v b) { return islessequal(a, b); }                 \
    static inline T##_m T##_gt(T##_v a, T##_v b) { return isgreater(a, b); }                   \
    static inline T##_m T##_ge(T##_v a, T##_v b) { return isgreaterequal(a, b); }              \
    static inline T##_m T##_eq(T##_v a, T##_v b) { return a == b; }                            \
    static inline T##_m T##_isnan(T##_v a) { return isnan(a); }                                \
    static inline T##_m T##_and(T##_m a, T##_m b) { return a & b; }                            \
    static inline T##_v T##_select(T##_m m, T##_v a, T##_v b) { return m ? a : b; }             \
    static inline T##_v T##_clear(T##_m m, T##_v x) { return m ? (S)0 : x; }                    \
    static inline T##_v T##_keep(T##_m m, T##_v x) { return m ? x : (S)0; }

RECT_SCALAR_SHIM(f32, float)
RECT_SCALAR_SHIM(f64, double)
#undef RECT_SCALAR_SHIM

/* ---- float64 math support: the vector math (vmath.h) computes in float64 only ---- */
static inline f64_v f64_div(f64_v a, f64_v b) { return a / b; }
static inline f64_v f64_abs(f64_v a) { return fabs(a); }
static inline f64_m f64_or(f64_m a, f64_m b) { return a | b; }
/* 2^n for n a whole number in [-1022, 1023], built as on the SIMD paths from the bits of
 * n + (0x1.8p52 + 1023), so that every path rounds n the same way */
static inline f64_v f64_pow2i(f64_v n) {
    double biased = n + (0x1.8p52 + 1023.0), result;
    uint64_t bits;
    memcpy(&bits, &biased, 8);
    bits <<= 52;
    memcpy(&result, &bits, 8);
    return result;
}

/* ---- float32 math support (vmath_f32.h): fused multiply-add and friends. fmaf is the one IEEE
 * fused operation, so this path returns the same bits as AVX2's vfmadd and NEON's fmla. ---- */
static inline f32_v f32_fma(f32_v a, f32_v b, f32_v c) { return fmaf(a, b, c); }
/* a b - c and c - a b, one rounding each */
static inline f32_v f32_fms(f32_v a, f32_v b, f32_v c) { return fmaf(a, b, -c); }
static inline f32_v f32_fnma(f32_v a, f32_v b, f32_v c) { return fmaf(-a, b, c); }
static inline f32_v f32_div(f32_v a, f32_v b) { return a / b; }
static inline f32_v f32_abs(f32_v a) { return fabsf(a); }
/* bit-pattern operations on float32 lanes (table indices and interval centres from a float's
 * bits): the unsigned minimum of the patterns (for floats >= +0: the smaller, a NaN never), the
 * pattern shifted right by n (0 < n < 32), and the bits of a where m's are set, of b elsewhere */
static inline uint32_t rect_f32_bits(f32_v a) { uint32_t u; memcpy(&u, &a, 4); return u; }
static inline f32_v rect_f32_from_bits(uint32_t u) { f32_v a; memcpy(&a, &u, 4); return a; }
static inline f32_v f32_min_bits(f32_v a, f32_v b) {
    return rect_f32_bits(a) < rect_f32_bits(b) ? a : b;
}
static inline f32_v f32_shr_bits(f32_v a, int n) { return rect_f32_from_bits(rect_f32_bits(a) >> n); }
static inline f32_v f32_bitselect(f32_v m, f32_v a, f32_v b) {
    uint32_t mm = rect_f32_bits(m);
    return rect_f32_from_bits((rect_f32_bits(a) & mm) | (rect_f32_bits(b) & ~mm));
}
/* a > b ? a : b, so b when either is NaN: x86's maxps, which NEON and this path imitate */
static inline f32_v f32_max(f32_v a, f32_v b) { return isgreater(a, b) ? a : b; }
static inline f32_m f32_or(f32_m a, f32_m b) { return a | b; }
/* 2^n for n a whole number in [-126, 127], built as on the SIMD paths from the bits of
 * n + (0x1.8p23 + 127) */
static inline f32_v f32_pow2i(f32_v n) {
    float biased = n + (0x1.8p23f + 127.0f), result;
    uint32_t bits;
    memcpy(&bits, &biased, 4);
    bits <<= 23;
    memcpy(&result, &bits, 4);
    return result;
}

/* p 2^k for k in the low bits of k_biased = k + 0x1.8p23, when p 2^k is a normal number: k is
 * added to the exponent field (an integer addition, exact) */
static inline f32_v f32_scale_exponent(f32_v p, f32_v k_biased) {
    uint32_t pb, kb;
    memcpy(&pb, &p, 4);
    memcpy(&kb, &k_biased, 4);
    pb += kb << 23;
    memcpy(&p, &pb, 4);
    return p;
}
/* ---- float64 math for float32 results (ops_smooth_wide.h) ---- */
static inline f64_v f64_fma(f64_v a, f64_v b, f64_v c) { return fma(a, b, c); }
/* p 2^k for k in the low bits of k_biased = k + 0x1.8p52, when p 2^k is a normal number */
static inline f64_v f64_scale_exponent(f64_v p, f64_v k_biased) {
    uint64_t pb, kb;
    memcpy(&pb, &p, 8);
    memcpy(&kb, &k_biased, 8);
    pb += kb << 52;
    memcpy(&p, &pb, 8);
    return p;
}
/* whether any lane of m is set */
static inline int f32_any(f32_m m) { return m != 0; }
static inline f32_v f32_floor(f32_v a) { return floorf(a); }
/* table[j] with j the low 5 bits of k */
static inline f32_v f32_lookup32(const float *table, f32_v k) {
    uint32_t bits;
    memcpy(&bits, &k, 4);
    return table[bits & 31u];
}
static inline f64_v f64_max(f64_v a, f64_v b) { return isgreater(a, b) ? a : b; }

/* float32 <-> float64: one lane each */
#define RECT_F64_PER_F32 1
static inline f64_v f32_widen_lo(f32_v v) { return (double)v; }
static inline f32_v f64_narrow1(f64_v v) { return (float)v; }

#define f32_LANES 1
#define f64_LANES 1

static inline f32_v f32_load_f16(const uint16_t *p) { return rect_soft_f16_to_f32(*p); }
static inline void f32_store_f16(uint16_t *p, f32_v v) { *p = rect_soft_f32_to_f16(v); }
static inline f32_v f32_load_f16_part(const uint16_t *p, size_t n) { (void)n; return f32_load_f16(p); }
static inline void f32_store_f16_part(uint16_t *p, f32_v v, size_t n) { (void)n; f32_store_f16(p, v); }
static inline f32_v f32_load_bf16(const uint16_t *p) { return rect_soft_bf16_to_f32(*p); }
static inline void f32_store_bf16(uint16_t *p, f32_v v) { *p = rect_soft_f32_to_bf16(v); }
static inline f32_v f32_load_bf16_part(const uint16_t *p, size_t n) { (void)n; return f32_load_bf16(p); }
static inline void f32_store_bf16_part(uint16_t *p, f32_v v, size_t n) { (void)n; f32_store_bf16(p, v); }

/* ---- 32-bit integer lanes and the other operations of the random generator (random.h) ----
 * u32_v holds as many 32-bit words as f32_v holds floats (here one). */
typedef uint32_t u32_v;
#define u32_LANES 1
static inline u32_v u32_set1(uint32_t s) { return s; }
static inline u32_v u32_iota(void) { return 0; } /* lane i holds i */
static inline u32_v u32_load(const uint32_t *p) { return *p; }
static inline void u32_store(uint32_t *p, u32_v v) { *p = v; }
static inline u32_v u32_add(u32_v a, u32_v b) { return a + b; }
static inline u32_v u32_xor(u32_v a, u32_v b) { return a ^ b; }
/* the low 32 bits of the 64-bit product a * m; its high 32 bits in *hi */
static inline u32_v u32_mulhilo(u32_v a, uint32_t m, u32_v *hi) {
    uint64_t product = (uint64_t)a * m;
    *hi = (uint32_t)(product >> 32);
    return (uint32_t)product;
}
/* the top 24 bits of each word as a float (exact) */
static inline f32_v f32_from_top24(u32_v w) { return (float)(w >> 8); }
/* f64_LANES words from p as doubles (exact) */
static inline f64_v f64_load_u32(const uint32_t *p) { return (double)*p; }
static inline f32_v f32_sqrt(f32_v a) { return sqrtf(a); }
static inline f64_v f64_sqrt(f64_v a) { return sqrt(a); }
/* x = m 2^k with m in [1, 2), for a positive normal x: returns m, k in *k */
static inline f32_v f32_split_exponent(f32_v x, f32_v *k) {
    uint32_t bits;
    float m;
    memcpy(&bits, &x, 4);
    *k = (float)((int32_t)(bits >> 23) - 127);
    bits = (bits & 0x7fffffu) | 0x3f800000u;
    memcpy(&m, &bits, 4);
    return m;
}
static inline f64_v f64_split_exponent(f64_v x, f64_v *k) {
    uint64_t bits;
    double m;
    memcpy(&bits, &x, 8);
    *k = (double)((int64_t)(bits >> 52) - 1023);
    bits = (bits & 0xfffffffffffffull) | 0x3ff0000000000000ull;
    memcpy(&m, &bits, 8);
    return m;
}

/* ---- coefficient tables of piecewise polynomials (ops_smooth_wide.h's gelu) ----
 * t[k] for k in the low 4 bits of k_biased = k + 0x1.8p52 (an exact load on every path) */
static inline f64_v f64_table16(const double t[16], f64_v k_biased) {
    uint64_t kb;
    memcpy(&kb, &k_biased, 8);
    return t[kb & 15];
}

#endif
