/* The vector shim for x86-64 AVX-512 F+BW+DQ+VL (see shim_scalar.h for the contract): 16 float32
 * or 8 float64 lanes, masks in the opmask registers.
 *
 * Every operation gives the IEEE results of the AVX2 and scalar shims, bit for bit, and raises the
 * same floating-point flags: selects and the tails are opmask operations (a masked-off lane of a
 * tail is neither read nor written, so it cannot fault, and reads as +0.0 as on AVX2); 2^k scaling
 * is vscalefps/pd and exponent splitting vgetexp/vgetmant, which agree with the other shims' bit
 * arithmetic wherever the contract defines them (whole k, results in range, positive normal x);
 * float16 goes through vcvtph2ps/vcvtps2ph with masked 16-bit loads and stores. */
#ifndef RECT_SHIM_AVX512_H
#define RECT_SHIM_AVX512_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

typedef __m512 f32_v;
typedef __mmask16 f32_m;
typedef __m512d f64_v;
typedef __mmask8 f64_m;
#define f32_LANES 16
#define f64_LANES 8

/* the first n lanes (n < 16) */
static inline __mmask16 rect_avx512_head16(size_t n) { return (__mmask16)((1u << n) - 1u); }
static inline __mmask8 rect_avx512_head8(size_t n) { return (__mmask8)((1u << n) - 1u); }

static inline f32_v f32_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void f32_store(float *p, f32_v v) { _mm512_storeu_ps(p, v); }
static inline f32_v f32_load_part(const float *p, size_t n) { return _mm512_maskz_loadu_ps(rect_avx512_head16(n), p); }
static inline void f32_store_part(float *p, f32_v v, size_t n) { _mm512_mask_storeu_ps(p, rect_avx512_head16(n), v); }
static inline f32_v f32_set1(float s) { return _mm512_set1_ps(s); }
static inline f32_v f32_zero(void) { return _mm512_setzero_ps(); }
static inline f32_v f32_add(f32_v a, f32_v b) { return _mm512_add_ps(a, b); }
static inline f32_v f32_sub(f32_v a, f32_v b) { return _mm512_sub_ps(a, b); }
static inline f32_v f32_mul(f32_v a, f32_v b) { return _mm512_mul_ps(a, b); }
static inline f32_m f32_lt(f32_v a, f32_v b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
static inline f32_m f32_le(f32_v a, f32_v b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
static inline f32_m f32_gt(f32_v a, f32_v b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
static inline f32_m f32_ge(f32_v a, f32_v b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
static inline f32_m f32_eq(f32_v a, f32_v b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
static inline f32_m f32_isnan(f32_v a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
static inline f32_m f32_and(f32_m a, f32_m b) { return (f32_m)(a & b); }
static inline f32_m f32_or(f32_m a, f32_m b) { return (f32_m)(a | b); }
/* a where m, else b */
static inline f32_v f32_select(f32_m m, f32_v a, f32_v b) { return _mm512_mask_blend_ps(m, b, a); }
/* +0 where m, else x */
static inline f32_v f32_clear(f32_m m, f32_v x) { return _mm512_maskz_mov_ps((__mmask16)~m, x); }
/* x where m, else +0 */
static inline f32_v f32_keep(f32_m m, f32_v x) { return _mm512_maskz_mov_ps(m, x); }

static inline f64_v f64_load(const double *p) { return _mm512_loadu_pd(p); }
static inline void f64_store(double *p, f64_v v) { _mm512_storeu_pd(p, v); }
static inline f64_v f64_load_part(const double *p, size_t n) { return _mm512_maskz_loadu_pd(rect_avx512_head8(n), p); }
static inline void f64_store_part(double *p, f64_v v, size_t n) { _mm512_mask_storeu_pd(p, rect_avx512_head8(n), v); }
static inline f64_v f64_set1(double s) { return _mm512_set1_pd(s); }
static inline f64_v f64_zero(void) { return _mm512_setzero_pd(); }
static inline f64_v f64_add(f64_v a, f64_v b) { return _mm512_add_pd(a, b); }
static inline f64_v f64_sub(f64_v a, f64_v b) { return _mm512_sub_pd(a, b); }
static inline f64_v f64_mul(f64_v a, f64_v b) { return _mm512_mul_pd(a, b); }
static inline f64_m f64_lt(f64_v a, f64_v b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
static inline f64_m f64_le(f64_v a, f64_v b) { return _mm512_cmp_pd_mask(a, b, _CMP_LE_OQ); }
static inline f64_m f64_gt(f64_v a, f64_v b) { return _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ); }
static inline f64_m f64_ge(f64_v a, f64_v b) { return _mm512_cmp_pd_mask(a, b, _CMP_GE_OQ); }
static inline f64_m f64_eq(f64_v a, f64_v b) { return _mm512_cmp_pd_mask(a, b, _CMP_EQ_OQ); }
static inline f64_m f64_isnan(f64_v a) { return _mm512_cmp_pd_mask(a, a, _CMP_UNORD_Q); }
static inline f64_m f64_and(f64_m a, f64_m b) { return (f64_m)(a & b); }
static inline f64_m f64_or(f64_m a, f64_m b) { return (f64_m)(a | b); }
static inline f64_v f64_select(f64_m m, f64_v a, f64_v b) { return _mm512_mask_blend_pd(m, b, a); }
static inline f64_v f64_clear(f64_m m, f64_v x) { return _mm512_maskz_mov_pd((__mmask8)~m, x); }
static inline f64_v f64_keep(f64_m m, f64_v x) { return _mm512_maskz_mov_pd(m, x); }

/* ---- float64 math support (vmath.h) ---- */
static inline f64_v f64_div(f64_v a, f64_v b) { return _mm512_div_pd(a, b); }
static inline f64_v f64_abs(f64_v a) { return _mm512_andnot_pd(_mm512_set1_pd(-0.0), a); }
/* a > b ? a : b (b when either is NaN): a quiet compare and a blend, not vmaxpd, which raises
 * "invalid" on a quiet NaN */
static inline f64_v f64_max(f64_v a, f64_v b) { return _mm512_mask_blend_pd(_mm512_cmp_pd_mask(a, b, _CMP_GT_OQ), b, a); }
/* 2^n for n a whole number in [-1022, 1023]: vscalefpd(1, n) */
static inline f64_v f64_pow2i(f64_v n) { return _mm512_scalef_pd(_mm512_set1_pd(1.0), n); }

/* ---- float32 math support (vmath_f32.h) ---- */
static inline f32_v f32_fma(f32_v a, f32_v b, f32_v c) { return _mm512_fmadd_ps(a, b, c); }
static inline f32_v f32_fms(f32_v a, f32_v b, f32_v c) { return _mm512_fmsub_ps(a, b, c); }
static inline f32_v f32_fnma(f32_v a, f32_v b, f32_v c) { return _mm512_fnmadd_ps(a, b, c); }
static inline f32_v f32_div(f32_v a, f32_v b) { return _mm512_div_ps(a, b); }
static inline f32_v f32_abs(f32_v a) { return _mm512_andnot_ps(_mm512_set1_ps(-0.0f), a); }
/* bit-pattern operations (see shim_scalar.h); the select is one vpternlogd (m ? a : b) */
static inline f32_v f32_min_bits(f32_v a, f32_v b) {
    return _mm512_castsi512_ps(_mm512_min_epu32(_mm512_castps_si512(a), _mm512_castps_si512(b)));
}
static inline f32_v f32_shr_bits(f32_v a, int n) { return _mm512_castsi512_ps(_mm512_srli_epi32(_mm512_castps_si512(a), (unsigned)n)); }
static inline f32_v f32_bitselect(f32_v m, f32_v a, f32_v b) {
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(m), _mm512_castps_si512(a),
                                                         _mm512_castps_si512(b), 0xCA));
}
static inline f32_v f32_max(f32_v a, f32_v b) { return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_GT_OQ), b, a); }
/* 2^n for n a whole number in [-126, 127]: vscalefps(1, n) */
static inline f32_v f32_pow2i(f32_v n) { return _mm512_scalef_ps(_mm512_set1_ps(1.0f), n); }
/* p 2^k for k in the low bits of k_biased = k + 0x1.8p23 (the subtraction is exact), when p 2^k
 * is a normal number */
static inline f32_v f32_scale_exponent(f32_v p, f32_v k_biased) {
    return _mm512_scalef_ps(p, _mm512_sub_ps(k_biased, _mm512_set1_ps(0x1.8p23f)));
}
/* ---- float64 math for float32 results (ops_smooth_wide.h) ---- */
static inline f64_v f64_fma(f64_v a, f64_v b, f64_v c) { return _mm512_fmadd_pd(a, b, c); }
static inline f64_v f64_scale_exponent(f64_v p, f64_v k_biased) {
    return _mm512_castsi512_pd(_mm512_add_epi64(_mm512_castpd_si512(p),
                                                _mm512_slli_epi64(_mm512_castpd_si512(k_biased), 52)));
}
static inline int f32_any(f32_m m) { return m != 0; }
/* y 2^floor(s) rounded once (vmath_f32.h's vm32_scalef builds it on the other paths) */
#define RECT_F32_SCALEF 1
static inline f32_v f32_scalef(f32_v y, f32_v s) { return _mm512_scalef_ps(y, s); }
/* table[j] with j the low 5 bits of each lane of k: vpermt2ps over the table's two registers */
static inline f32_v f32_lookup32(const float *table, f32_v k) {
    return _mm512_permutex2var_ps(_mm512_loadu_ps(table), _mm512_castps_si512(k), _mm512_loadu_ps(table + 16));
}
/* lanes 8..15 in lanes 0..7 (the rest: the same again), for a reduction whose chunk is one vector
 * (reduce.h) */
static inline f32_v f32_upper_half(f32_v v) { return _mm512_shuffle_f32x4(v, v, 0xEE); }

/* float32 <-> float64: an f32 vector holds two f64 vectors */
#define RECT_F64_PER_F32 2
static inline f64_v f32_widen_lo(f32_v v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }
static inline f64_v f32_widen_hi(f32_v v) { return _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)); }
static inline f32_v f64_narrow(f64_v lo, f64_v hi) {
    return _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)), _mm512_cvtpd_ps(hi), 1);
}

/* float16: round to nearest even, flags as the conversion raises them (as on AVX2) */
static inline f32_v f32_load_f16(const uint16_t *p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }
static inline void f32_store_f16(uint16_t *p, f32_v v) {
    _mm256_storeu_si256((__m256i *)p, _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
}
static inline f32_v f32_load_f16_part(const uint16_t *p, size_t n) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(rect_avx512_head16(n), p));
}
static inline void f32_store_f16_part(uint16_t *p, f32_v v, size_t n) {
    _mm256_mask_storeu_epi16(p, rect_avx512_head16(n), _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
}

/* bfloat16: the integer rounding of rect_bits_to_bf16 (f16_soft.h), not vcvtneps2bf16 (which
 * flushes float32 subnormals to zero: see there) */
static inline __m256i rect_avx512_to_bf16(f32_v v) {
    const __m512i b = _mm512_castps_si512(v), top = _mm512_srli_epi32(b, 16);
    const __m512i odd = _mm512_and_si512(top, _mm512_set1_epi32(1));
    const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(b, _mm512_set1_epi32(0x7fff)), odd), 16);
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(b, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(0x7f800000));
    return _mm512_cvtepi32_epi16(_mm512_mask_or_epi32(rounded, nan, top, _mm512_set1_epi32(0x40)));
}
static inline f32_v rect_avx512_from_bf16(__m256i h) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}
static inline f32_v f32_load_bf16(const uint16_t *p) { return rect_avx512_from_bf16(_mm256_loadu_si256((const __m256i *)p)); }
static inline void f32_store_bf16(uint16_t *p, f32_v v) { _mm256_storeu_si256((__m256i *)p, rect_avx512_to_bf16(v)); }
static inline f32_v f32_load_bf16_part(const uint16_t *p, size_t n) {
    return rect_avx512_from_bf16(_mm256_maskz_loadu_epi16(rect_avx512_head16(n), p));
}
static inline void f32_store_bf16_part(uint16_t *p, f32_v v, size_t n) {
    _mm256_mask_storeu_epi16(p, rect_avx512_head16(n), rect_avx512_to_bf16(v));
}

/* ---- 32-bit integer lanes and the other operations of the random generator (random.h) ----
 * u32_v holds as many 32-bit words as f32_v holds floats (16). */
typedef __m512i u32_v;
#define u32_LANES 16
static inline u32_v u32_set1(uint32_t s) { return _mm512_set1_epi32((int)s); }
static inline u32_v u32_iota(void) { return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
static inline u32_v u32_load(const uint32_t *p) { return _mm512_loadu_si512(p); }
static inline void u32_store(uint32_t *p, u32_v v) { _mm512_storeu_si512(p, v); }
static inline u32_v u32_add(u32_v a, u32_v b) { return _mm512_add_epi32(a, b); }
static inline u32_v u32_xor(u32_v a, u32_v b) { return _mm512_xor_si512(a, b); }
/* vpmuludq multiplies the even lanes into 64-bit products, the odd lanes after a shift; one
 * two-table permute (vpermt2d) each gathers the high and the low words back into lane order */
static inline u32_v u32_mulhilo(u32_v a, uint32_t m, u32_v *hi) {
    const __m512i factor = _mm512_set1_epi32((int)m);
    const __m512i high_words = _mm512_setr_epi32(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
    const __m512i low_words = _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
    __m512i even = _mm512_mul_epu32(a, factor);
    __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), factor);
    *hi = _mm512_permutex2var_epi32(even, high_words, odd);
    return _mm512_permutex2var_epi32(even, low_words, odd);
}
static inline f32_v f32_from_top24(u32_v w) { return _mm512_cvtepi32_ps(_mm512_srli_epi32(w, 8)); }
static inline f64_v f64_load_u32(const uint32_t *p) { return _mm512_cvtepu32_pd(_mm256_loadu_si256((const __m256i *)p)); }
static inline f32_v f32_sqrt(f32_v a) { return _mm512_sqrt_ps(a); }
static inline f64_v f64_sqrt(f64_v a) { return _mm512_sqrt_pd(a); }
/* x = m 2^k with m in [1, 2), for a positive normal x: vgetmant and vgetexp */
static inline f32_v f32_split_exponent(f32_v x, f32_v *k) {
    *k = _mm512_getexp_ps(x);
    return _mm512_getmant_ps(x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src);
}
static inline f64_v f64_split_exponent(f64_v x, f64_v *k) {
    *k = _mm512_getexp_pd(x);
    return _mm512_getmant_pd(x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src);
}

/* ---- coefficient tables of piecewise polynomials (ops_smooth_wide.h's gelu) ----
 * t[k] for k in the low 4 bits of k_biased = k + 0x1.8p52: vpermt2pd picks from the two halves
 * of the table by those bits (the loads stay in registers across a kernel's loop) */
static inline f64_v f64_table16(const double t[16], f64_v k_biased) {
    return _mm512_permutex2var_pd(_mm512_loadu_pd(t), _mm512_castpd_si512(k_biased), _mm512_loadu_pd(t + 8));
}

#endif
