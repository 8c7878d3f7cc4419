/* The vector shim for AArch64 Advanced SIMD (see shim_scalar.h for the contract).
 * Tails go through a zeroed stack buffer, so no lane outside the array is read or written. */
#ifndef RECT_SHIM_NEON_H
#define RECT_SHIM_NEON_H

#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef float32x4_t f32_v;
typedef uint32x4_t f32_m;
typedef float64x2_t f64_v;
typedef uint64x2_t f64_m;
#define f32_LANES 4
#define f64_LANES 2

static inline f32_v f32_load(const float *p) { return vld1q_f32(p); }
static inline void f32_store(float *p, f32_v v) { vst1q_f32(p, v); }
static inline f32_v f32_load_part(const float *p, size_t n) {
    float buffer[4] = {0};
    memcpy(buffer, p, n * sizeof(float));
    return vld1q_f32(buffer);
}
static inline void f32_store_part(float *p, f32_v v, size_t n) {
    float buffer[4];
    vst1q_f32(buffer, v);
    memcpy(p, buffer, n * sizeof(float));
}
static inline f32_v f32_set1(float s) { return vdupq_n_f32(s); }
static inline f32_v f32_zero(void) { return vdupq_n_f32(0.0f); }
static inline f32_v f32_add(f32_v a, f32_v b) { return vaddq_f32(a, b); }
static inline f32_v f32_sub(f32_v a, f32_v b) { return vsubq_f32(a, b); }
static inline f32_v f32_mul(f32_v a, f32_v b) { return vmulq_f32(a, b); }
/* AArch64's FCMGT and FCMGE (behind vcgtq, vcgeq, vcltq, vcleq) raise "invalid" on a quiet NaN;
 * only FCMEQ is quiet. The ordered compares therefore compare operands whose NaN lanes are set to
 * +0 (by FCMEQ masks) and clear those lanes from the result: false on NaN, as on every path, and
 * no flag. */
static inline f32_m rect_neon_ordered32(f32_v a, f32_v b) { return vandq_u32(vceqq_f32(a, a), vceqq_f32(b, b)); }
static inline f32_v rect_neon_quiet32(f32_v v, f32_m ordered) {
    return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(v), ordered));
}
#define RECT_NEON_QUIET_COMPARE32(name, instruction)                                             \
    static inline f32_m f32_##name(f32_v a, f32_v b) {                                           \
        f32_m ordered = rect_neon_ordered32(a, b);                                              \
        return vandq_u32(ordered, instruction(rect_neon_quiet32(a, ordered), rect_neon_quiet32(b, ordered))); \
    }
RECT_NEON_QUIET_COMPARE32(lt, vcltq_f32)
RECT_NEON_QUIET_COMPARE32(le, vcleq_f32)
RECT_NEON_QUIET_COMPARE32(gt, vcgtq_f32)
RECT_NEON_QUIET_COMPARE32(ge, vcgeq_f32)
static inline f32_m f32_eq(f32_v a, f32_v b) { return vceqq_f32(a, b); }
static inline f32_m f32_isnan(f32_v a) { return vmvnq_u32(vceqq_f32(a, a)); }
static inline f32_m f32_and(f32_m a, f32_m b) { return vandq_u32(a, b); }
static inline f32_v f32_select(f32_m m, f32_v a, f32_v b) { return vbslq_f32(m, a, b); }
static inline f32_v f32_clear(f32_m m, f32_v x) {
    return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(x), m));
}
static inline f32_v f32_keep(f32_m m, f32_v x) {
    return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(x), m));
}

static inline f64_v f64_load(const double *p) { return vld1q_f64(p); }
static inline void f64_store(double *p, f64_v v) { vst1q_f64(p, v); }
static inline f64_v f64_load_part(const double *p, size_t n) {
    double buffer[2] = {0};
    memcpy(buffer, p, n * sizeof(double));
    return vld1q_f64(buffer);
}
static inline void f64_store_part(double *p, f64_v v, size_t n) {
    double buffer[2];
    vst1q_f64(buffer, v);
    memcpy(p, buffer, n * sizeof(double));
}
static inline f64_v f64_set1(double s) { return vdupq_n_f64(s); }
static inline f64_v f64_zero(void) { return vdupq_n_f64(0.0); }
static inline f64_v f64_add(f64_v a, f64_v b) { return vaddq_f64(a, b); }
static inline f64_v f64_sub(f64_v a, f64_v b) { return vsubq_f64(a, b); }
static inline f64_v f64_mul(f64_v a, f64_v b) { return vmulq_f64(a, b); }
static inline f64_m rect_neon_ordered64(f64_v a, f64_v b) { return vandq_u64(vceqq_f64(a, a), vceqq_f64(b, b)); }
static inline f64_v rect_neon_quiet64(f64_v v, f64_m ordered) {
    return vreinterpretq_f64_u64(vandq_u64(vreinterpretq_u64_f64(v), ordered));
}
#define RECT_NEON_QUIET_COMPARE64(name, instruction)                                             \
    static inline f64_m f64_##name(f64_v a, f64_v b) {                                           \
        f64_m ordered = rect_neon_ordered64(a, b);                                              \
        return vandq_u64(ordered, instruction(rect_neon_quiet64(a, ordered), rect_neon_quiet64(b, ordered))); \
    }
RECT_NEON_QUIET_COMPARE64(lt, vcltq_f64)
RECT_NEON_QUIET_COMPARE64(le, vcleq_f64)
RECT_NEON_QUIET_COMPARE64(gt, vcgtq_f64)
RECT_NEON_QUIET_COMPARE64(ge, vcgeq_f64)
static inline f64_m f64_eq(f64_v a, f64_v b) { return vceqq_f64(a, b); }
static inline f64_m f64_isnan(f64_v a) {
    return vreinterpretq_u64_u32(vmvnq_u32(vreinterpretq_u32_u64(vceqq_f64(a, a))));
}
static inline f64_m f64_and(f64_m a, f64_m b) { return vandq_u64(a, b); }
static inline f64_v f64_select(f64_m m, f64_v a, f64_v b) { return vbslq_f64(m, a, b); }
static inline f64_v f64_clear(f64_m m, f64_v x) {
    return vreinterpretq_f64_u64(vbicq_u64(vreinterpretq_u64_f64(x), m));
}
static inline f64_v f64_keep(f64_m m, f64_v x) {
    return vreinterpretq_f64_u64(vandq_u64(vreinterpretq_u64_f64(x), m));
}

/* ---- float64 math support: the vector math (vmath.h) computes in float64 only ---- */
static inline f64_v f64_div(f64_v a, f64_v b) { return vdivq_f64(a, b); }
static inline f64_v f64_abs(f64_v a) { return vabsq_f64(a); }
static inline f64_m f64_or(f64_m a, f64_m b) { return vorrq_u64(a, b); }
/* 2^n for n a whole number in [-1022, 1023], built as on AVX2: the bits of n + (0x1.8p52 + 1023)
 * shifted left by 52 */
static inline f64_v f64_pow2i(f64_v n) {
    int64x2_t bits = vreinterpretq_s64_f64(vaddq_f64(n, vdupq_n_f64(0x1.8p52 + 1023.0)));
    return vreinterpretq_f64_s64(vshlq_n_s64(bits, 52));
}

/* ---- float32 math support (vmath_f32.h) ---- */
static inline f32_v f32_fma(f32_v a, f32_v b, f32_v c) { return vfmaq_f32(c, a, b); }
static inline f32_v f32_fms(f32_v a, f32_v b, f32_v c) { return vfmaq_f32(vnegq_f32(c), a, b); }
static inline f32_v f32_fnma(f32_v a, f32_v b, f32_v c) { return vfmsq_f32(c, a, b); }
static inline f32_v f32_div(f32_v a, f32_v b) { return vdivq_f32(a, b); }
static inline f32_v f32_abs(f32_v a) { return vabsq_f32(a); }
/* bit-pattern operations (see shim_scalar.h) */
static inline f32_v f32_min_bits(f32_v a, f32_v b) {
    return vreinterpretq_f32_u32(vminq_u32(vreinterpretq_u32_f32(a), vreinterpretq_u32_f32(b)));
}
static inline f32_v f32_shr_bits(f32_v a, int n) {
    return vreinterpretq_f32_u32(vshlq_u32(vreinterpretq_u32_f32(a), vdupq_n_s32(-n)));
}
static inline f32_v f32_bitselect(f32_v m, f32_v a, f32_v b) { return vbslq_f32(vreinterpretq_u32_f32(m), a, b); }
/* a > b ? a : b (b when either is NaN), as x86's maxps: FMAX would return the NaN */
static inline f32_v f32_max(f32_v a, f32_v b) { return vbslq_f32(f32_gt(a, b), a, b); }
static inline f32_m f32_or(f32_m a, f32_m b) { return vorrq_u32(a, b); }
/* 2^n for n a whole number in [-126, 127], built as on AVX2: the bits of n + (0x1.8p23 + 127)
 * shifted left by 23 */
static inline f32_v f32_pow2i(f32_v n) {
    int32x4_t bits = vreinterpretq_s32_f32(vaddq_f32(n, vdupq_n_f32(0x1.8p23f + 127.0f)));
    return vreinterpretq_f32_s32(vshlq_n_s32(bits, 23));
}

/* p 2^k for k in the low bits of k_biased = k + 0x1.8p23, when p 2^k is a normal number */
static inline f32_v f32_scale_exponent(f32_v p, f32_v k_biased) {
    return vreinterpretq_f32_s32(vaddq_s32(vreinterpretq_s32_f32(p),
                                           vshlq_n_s32(vreinterpretq_s32_f32(k_biased), 23)));
}
/* ---- float64 math for float32 results (ops_smooth_wide.h) ---- */
static inline f64_v f64_fma(f64_v a, f64_v b, f64_v c) { return vfmaq_f64(c, a, b); }
static inline f64_v f64_scale_exponent(f64_v p, f64_v k_biased) {
    return vreinterpretq_f64_s64(vaddq_s64(vreinterpretq_s64_f64(p),
                                           vshlq_n_s64(vreinterpretq_s64_f64(k_biased), 52)));
}
static inline int f32_any(f32_m m) { return vmaxvq_u32(m) != 0; }
static inline f32_v f32_floor(f32_v a) { return vrndmq_f32(a); }
/* table[j] with j the low 5 bits of each lane of k */
static inline f32_v f32_lookup32(const float *table, f32_v k) {
    uint32x4_t j = vandq_u32(vreinterpretq_u32_f32(k), vdupq_n_u32(31));
    float v[4] = {table[vgetq_lane_u32(j, 0)], table[vgetq_lane_u32(j, 1)], table[vgetq_lane_u32(j, 2)],
                  table[vgetq_lane_u32(j, 3)]};
    return vld1q_f32(v);
}
static inline f64_v f64_max(f64_v a, f64_v b) { return vbslq_f64(f64_gt(a, b), a, b); }

/* float32 <-> float64: an f32 vector holds two f64 vectors */
#define RECT_F64_PER_F32 2
static inline f64_v f32_widen_lo(f32_v v) { return vcvt_f64_f32(vget_low_f32(v)); }
static inline f64_v f32_widen_hi(f32_v v) { return vcvt_high_f64_f32(v); }
static inline f32_v f64_narrow(f64_v lo, f64_v hi) { return vcvt_high_f32_f64(vcvt_f32_f64(lo), hi); }

static inline f32_v f32_load_f16(const uint16_t *p) {
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)));
}
static inline void f32_store_f16(uint16_t *p, f32_v v) {
    vst1_u16(p, vreinterpret_u16_f16(vcvt_f16_f32(v)));
}
static inline f32_v f32_load_f16_part(const uint16_t *p, size_t n) {
    uint16_t buffer[4] = {0};
    memcpy(buffer, p, n * sizeof(uint16_t));
    return f32_load_f16(buffer);
}
static inline void f32_store_f16_part(uint16_t *p, f32_v v, size_t n) {
    uint16_t buffer[4];
    f32_store_f16(buffer, v);
    memcpy(p, buffer, n * sizeof(uint16_t));
}

/* bfloat16: the integer rounding of rect_bits_to_bf16 (f16_soft.h), lane by lane */
static inline f32_v f32_load_bf16(const uint16_t *p) { return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16)); }
static inline void f32_store_bf16(uint16_t *p, f32_v v) {
    const uint32x4_t b = vreinterpretq_u32_f32(v), top = vshrq_n_u32(b, 16);
    const uint32x4_t odd = vandq_u32(top, vdupq_n_u32(1));
    const uint32x4_t rounded = vshrq_n_u32(vaddq_u32(vaddq_u32(b, vdupq_n_u32(0x7fff)), odd), 16);
    const uint32x4_t nan = vcgtq_u32(vandq_u32(b, vdupq_n_u32(0x7fffffff)), vdupq_n_u32(0x7f800000));
    vst1_u16(p, vmovn_u32(vbslq_u32(nan, vorrq_u32(top, vdupq_n_u32(0x40)), rounded)));
}
static inline f32_v f32_load_bf16_part(const uint16_t *p, size_t n) {
    uint16_t buffer[4] = {0};
    memcpy(buffer, p, n * sizeof(uint16_t));
    return f32_load_bf16(buffer);
}
static inline void f32_store_bf16_part(uint16_t *p, f32_v v, size_t n) {
    uint16_t buffer[4];
    f32_store_bf16(buffer, v);
    memcpy(p, buffer, n * sizeof(uint16_t));
}

/* ---- 32-bit integer lanes and the other operations of the random generator (random.h) ----
 * u32_v holds as many 32-bit words as f32_v holds floats (4). */
typedef uint32x4_t u32_v;
#define u32_LANES 4
static inline u32_v u32_set1(uint32_t s) { return vdupq_n_u32(s); }
static inline u32_v u32_iota(void) {
    static const uint32_t iota[4] = {0, 1, 2, 3};
    return vld1q_u32(iota);
}
static inline u32_v u32_load(const uint32_t *p) { return vld1q_u32(p); }
static inline void u32_store(uint32_t *p, u32_v v) { vst1q_u32(p, v); }
static inline u32_v u32_add(u32_v a, u32_v b) { return vaddq_u32(a, b); }
static inline u32_v u32_xor(u32_v a, u32_v b) { return veorq_u32(a, b); }
/* UMULL / UMULL2 give the 64-bit products of the low and high halves; UZP splits them */
static inline u32_v u32_mulhilo(u32_v a, uint32_t m, u32_v *hi) {
    const uint32x4_t factor = vdupq_n_u32(m);
    uint32x4_t low = vreinterpretq_u32_u64(vmull_u32(vget_low_u32(a), vget_low_u32(factor)));
    uint32x4_t high = vreinterpretq_u32_u64(vmull_high_u32(a, factor));
    *hi = vuzp2q_u32(low, high);
    return vuzp1q_u32(low, high);
}
static inline f32_v f32_from_top24(u32_v w) { return vcvtq_f32_u32(vshrq_n_u32(w, 8)); }
static inline f64_v f64_load_u32(const uint32_t *p) { return vcvtq_f64_u64(vmovl_u32(vld1_u32(p))); }
static inline f32_v f32_sqrt(f32_v a) { return vsqrtq_f32(a); }
static inline f64_v f64_sqrt(f64_v a) { return vsqrtq_f64(a); }
static inline f32_v f32_split_exponent(f32_v x, f32_v *k) {
    uint32x4_t bits = vreinterpretq_u32_f32(x);
    *k = vcvtq_f32_s32(vsubq_s32(vreinterpretq_s32_u32(vshrq_n_u32(bits, 23)), vdupq_n_s32(127)));
    return vreinterpretq_f32_u32(vorrq_u32(vandq_u32(bits, vdupq_n_u32(0x7fffff)), vdupq_n_u32(0x3f800000)));
}
static inline f64_v f64_split_exponent(f64_v x, f64_v *k) {
    uint64x2_t bits = vreinterpretq_u64_f64(x);
    *k = vsubq_f64(vcvtq_f64_u64(vshrq_n_u64(bits, 52)), vdupq_n_f64(1023.0));
    return vreinterpretq_f64_u64(vorrq_u64(vandq_u64(bits, vdupq_n_u64(0xfffffffffffffull)),
                                           vdupq_n_u64(0x3ff0000000000000ull)));
}

/* ---- coefficient tables of piecewise polynomials (ops_smooth_wide.h's gelu) ----
 * t[k] for k in the low 4 bits of k_biased = k + 0x1.8p52, lane by lane */
static inline f64_v f64_table16(const double t[16], f64_v k_biased) {
    uint64x2_t k = vandq_u64(vreinterpretq_u64_f64(k_biased), vdupq_n_u64(15));
    return vcombine_f64(vld1_f64(t + vgetq_lane_u64(k, 0)), vld1_f64(t + vgetq_lane_u64(k, 1)));
}

#endif
