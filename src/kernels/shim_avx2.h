/* The vector shim for x86-64 AVX2 + FMA + F16C (see shim_scalar.h for the contract).
 * Tails use masked loads/stores (float32/float64: masked lanes are neither read nor written, so
 * they cannot fault) or a small stack buffer (float16); unused lanes read as +0.0, which no
 * operation turns into a floating-point exception. */
#ifndef RECT_SHIM_AVX2_H
#define RECT_SHIM_AVX2_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef __m256 f32_v;
typedef __m256 f32_m;
typedef __m256d f64_v;
typedef __m256d f64_m;
#define f32_LANES 8
#define f64_LANES 4

/* Lane i of the mask for a tail of n lanes is all-ones iff i < n: read 8 words at offset 8 - n. */
static const int32_t rect_avx2_tail_words[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                 0,  0,  0,  0,  0,  0,  0,  0};
static inline __m256i rect_avx2_tail32(size_t n) {
    return _mm256_loadu_si256((const __m256i *)(rect_avx2_tail_words + 8 - n));
}
static inline __m256i rect_avx2_tail64(size_t n) {
    return _mm256_loadu_si256((const __m256i *)(rect_avx2_tail_words + 8 - 2 * n));
}

static inline f32_v f32_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void f32_store(float *p, f32_v v) { _mm256_storeu_ps(p, v); }
static inline f32_v f32_load_part(const float *p, size_t n) { return _mm256_maskload_ps(p, rect_avx2_tail32(n)); }
static inline void f32_store_part(float *p, f32_v v, size_t n) { _mm256_maskstore_ps(p, rect_avx2_tail32(n), v); }
static inline f32_v f32_set1(float s) { return _mm256_set1_ps(s); }
static inline f32_v f32_zero(void) { return _mm256_setzero_ps(); }
static inline f32_v f32_add(f32_v a, f32_v b) { return _mm256_add_ps(a, b); }
static inline f32_v f32_sub(f32_v a, f32_v b) { return _mm256_sub_ps(a, b); }
static inline f32_v f32_mul(f32_v a, f32_v b) { return _mm256_mul_ps(a, b); }
static inline f32_m f32_lt(f32_v a, f32_v b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
static inline f32_m f32_le(f32_v a, f32_v b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
static inline f32_m f32_gt(f32_v a, f32_v b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
static inline f32_m f32_ge(f32_v a, f32_v b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
static inline f32_m f32_eq(f32_v a, f32_v b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
static inline f32_m f32_isnan(f32_v a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
static inline f32_m f32_and(f32_m a, f32_m b) { return _mm256_and_ps(a, b); }
/* a where m, else b */
static inline f32_v f32_select(f32_m m, f32_v a, f32_v b) { return _mm256_blendv_ps(b, a, m); }
/* +0 where m, else x. (Written as select(m, zero, x), GCC turns the blend into this andnot but first
 * re-derives the mask from its sign bits with an extra vpcmpgtd.) */
static inline f32_v f32_clear(f32_m m, f32_v x) { return _mm256_andnot_ps(m, x); }
/* x where m, else +0 */
static inline f32_v f32_keep(f32_m m, f32_v x) { return _mm256_and_ps(m, x); }

static inline f64_v f64_load(const double *p) { return _mm256_loadu_pd(p); }
static inline void f64_store(double *p, f64_v v) { _mm256_storeu_pd(p, v); }
static inline f64_v f64_load_part(const double *p, size_t n) { return _mm256_maskload_pd(p, rect_avx2_tail64(n)); }
static inline void f64_store_part(double *p, f64_v v, size_t n) { _mm256_maskstore_pd(p, rect_avx2_tail64(n), v); }
static inline f64_v f64_set1(double s) { return _mm256_set1_pd(s); }
static inline f64_v f64_zero(void) { return _mm256_setzero_pd(); }
static inline f64_v f64_add(f64_v a, f64_v b) { return _mm256_add_pd(a, b); }
static inline f64_v f64_sub(f64_v a, f64_v b) { return _mm256_sub_pd(a, b); }
static inline f64_v f64_mul(f64_v a, f64_v b) { return _mm256_mul_pd(a, b); }
static inline f64_m f64_lt(f64_v a, f64_v b) { return _mm256_cmp_pd(a, b, _CMP_LT_OQ); }
static inline f64_m f64_le(f64_v a, f64_v b) { return _mm256_cmp_pd(a, b, _CMP_LE_OQ); }
static inline f64_m f64_gt(f64_v a, f64_v b) { return _mm256_cmp_pd(a, b, _CMP_GT_OQ); }
static inline f64_m f64_ge(f64_v a, f64_v b) { return _mm256_cmp_pd(a, b, _CMP_GE_OQ); }
static inline f64_m f64_eq(f64_v a, f64_v b) { return _mm256_cmp_pd(a, b, _CMP_EQ_OQ); }
static inline f64_m f64_isnan(f64_v a) { return _mm256_cmp_pd(a, a, _CMP_UNORD_Q); }
static inline f64_m f64_and(f64_m a, f64_m b) { return _mm256_and_pd(a, b); }
static inline f64_v f64_select(f64_m m, f64_v a, f64_v b) { return _mm256_blendv_pd(b, a, m); }
static inline f64_v f64_clear(f64_m m, f64_v x) { return _mm256_andnot_pd(m, x); }
static inline f64_v f64_keep(f64_m m, f64_v x) { return _mm256_and_pd(m, x); }

/* ---- float64 math support: the vector math (vmath.h) computes in float64 only ---- */
static inline f64_v f64_div(f64_v a, f64_v b) { return _mm256_div_pd(a, b); }
static inline f64_v f64_abs(f64_v a) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), a); }
static inline f64_m f64_or(f64_m a, f64_m b) { return _mm256_or_pd(a, b); }
/* 2^n for n a whole number in [-1022, 1023]: the low mantissa bits of n + (0x1.8p52 + 1023) hold
 * n + 1023, the exponent field once shifted left by 52 (which drops the magic number's bits; the
 * bias added as a double saves an integer add). */
static inline f64_v f64_pow2i(f64_v n) {
    __m256i bits = _mm256_castpd_si256(_mm256_add_pd(n, _mm256_set1_pd(0x1.8p52 + 1023.0)));
    return _mm256_castsi256_pd(_mm256_slli_epi64(bits, 52));
}

/* ---- float32 math support (vmath_f32.h) ---- */
static inline f32_v f32_fma(f32_v a, f32_v b, f32_v c) { return _mm256_fmadd_ps(a, b, c); }
static inline f32_v f32_fms(f32_v a, f32_v b, f32_v c) { return _mm256_fmsub_ps(a, b, c); }
static inline f32_v f32_fnma(f32_v a, f32_v b, f32_v c) { return _mm256_fnmadd_ps(a, b, c); }
static inline f32_v f32_div(f32_v a, f32_v b) { return _mm256_div_ps(a, b); }
static inline f32_v f32_abs(f32_v a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
/* bit-pattern operations (see shim_scalar.h) */
static inline f32_v f32_min_bits(f32_v a, f32_v b) {
    return _mm256_castsi256_ps(_mm256_min_epu32(_mm256_castps_si256(a), _mm256_castps_si256(b)));
}
static inline f32_v f32_shr_bits(f32_v a, int n) { return _mm256_castsi256_ps(_mm256_srli_epi32(_mm256_castps_si256(a), n)); }
static inline f32_v f32_bitselect(f32_v m, f32_v a, f32_v b) {
    return _mm256_or_ps(_mm256_and_ps(m, a), _mm256_andnot_ps(m, b));
}
/* a > b ? a : b (b when either is NaN). Not maxps, which has this result but raises "invalid" on
 * a quiet NaN: a quiet compare and a blend. */
static inline f32_v f32_max(f32_v a, f32_v b) { return _mm256_blendv_ps(b, a, _mm256_cmp_ps(a, b, _CMP_GT_OQ)); }
static inline f32_m f32_or(f32_m a, f32_m b) { return _mm256_or_ps(a, b); }
/* 2^n for n a whole number in [-126, 127]: as f64_pow2i, the bits of n + (0x1.8p23 + 127) << 23 */
static inline f32_v f32_pow2i(f32_v n) {
    __m256i bits = _mm256_castps_si256(_mm256_add_ps(n, _mm256_set1_ps(0x1.8p23f + 127.0f)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(bits, 23));
}

/* p 2^k for k in the low bits of k_biased = k + 0x1.8p23, when p 2^k is a normal number */
static inline f32_v f32_scale_exponent(f32_v p, f32_v k_biased) {
    return _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(p),
                                                _mm256_slli_epi32(_mm256_castps_si256(k_biased), 23)));
}
/* ---- float64 math for float32 results (ops_smooth_wide.h) ---- */
static inline f64_v f64_fma(f64_v a, f64_v b, f64_v c) { return _mm256_fmadd_pd(a, b, c); }
static inline f64_v f64_scale_exponent(f64_v p, f64_v k_biased) {
    return _mm256_castsi256_pd(_mm256_add_epi64(_mm256_castpd_si256(p),
                                                _mm256_slli_epi64(_mm256_castpd_si256(k_biased), 52)));
}
static inline int f32_any(f32_m m) { return _mm256_movemask_ps(m) != 0; }
static inline f32_v f32_floor(f32_v a) { return _mm256_floor_ps(a); }
/* table[j] with j the low 5 bits of each lane of k: a gather. vpermps reaches 8 entries only; four
 * of them and three blends measured slower (docs/cpu_paths.md) */
static inline f32_v f32_lookup32(const float *table, f32_v k) {
    return _mm256_i32gather_ps(table, _mm256_and_si256(_mm256_castps_si256(k), _mm256_set1_epi32(31)), 4);
}
static inline f64_v f64_max(f64_v a, f64_v b) { return _mm256_blendv_pd(b, a, _mm256_cmp_pd(a, b, _CMP_GT_OQ)); }

/* float32 <-> float64: an f32 vector holds two f64 vectors */
#define RECT_F64_PER_F32 2
static inline f64_v f32_widen_lo(f32_v v) { return _mm256_cvtps_pd(_mm256_castps256_ps128(v)); }
static inline f64_v f32_widen_hi(f32_v v) { return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)); }
static inline f32_v f64_narrow(f64_v lo, f64_v hi) {
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(lo)), _mm256_cvtpd_ps(hi), 1);
}

static inline f32_v f32_load_f16(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}
static inline void f32_store_f16(uint16_t *p, f32_v v) {
    _mm_storeu_si128((__m128i *)p, _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
}
static inline f32_v f32_load_f16_part(const uint16_t *p, size_t n) {
    uint16_t buffer[8] = {0};
    memcpy(buffer, p, n * sizeof(uint16_t));
    return f32_load_f16(buffer);
}
static inline void f32_store_f16_part(uint16_t *p, f32_v v, size_t n) {
    uint16_t buffer[8];
    f32_store_f16(buffer, v);
    memcpy(p, buffer, n * sizeof(uint16_t));
}

/* bfloat16: the integer rounding of rect_bits_to_bf16 (f16_soft.h), lane by lane */
static inline f32_v f32_load_bf16(const uint16_t *p) {
    __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(h, 16));
}
static inline void f32_store_bf16(uint16_t *p, f32_v v) {
    const __m256i b = _mm256_castps_si256(v), top = _mm256_srli_epi32(b, 16);
    const __m256i odd = _mm256_and_si256(top, _mm256_set1_epi32(1));
    const __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(b, _mm256_set1_epi32(0x7fff)), odd), 16);
    const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(b, _mm256_set1_epi32(0x7fffffff)), _mm256_set1_epi32(0x7f800000));
    const __m256i h = _mm256_blendv_epi8(rounded, _mm256_or_si256(top, _mm256_set1_epi32(0x40)), nan);
    /* packus packs within each 128-bit half: words 0-3 and 4-7 land in 64-bit quarters 0 and 2 */
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(h, h), 0x08);
    _mm_storeu_si128((__m128i *)p, _mm256_castsi256_si128(packed));
}
static inline f32_v f32_load_bf16_part(const uint16_t *p, size_t n) {
    uint16_t buffer[8] = {0};
    memcpy(buffer, p, n * sizeof(uint16_t));
    return f32_load_bf16(buffer);
}
static inline void f32_store_bf16_part(uint16_t *p, f32_v v, size_t n) {
    uint16_t buffer[8];
    f32_store_bf16(buffer, v);
    memcpy(p, buffer, n * sizeof(uint16_t));
}

/* ---- 32-bit integer lanes and the other operations of the random generator (random.h) ----
 * u32_v holds as many 32-bit words as f32_v holds floats (8). */
typedef __m256i u32_v;
#define u32_LANES 8
static inline u32_v u32_set1(uint32_t s) { return _mm256_set1_epi32((int)s); }
static inline u32_v u32_iota(void) { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
static inline u32_v u32_load(const uint32_t *p) { return _mm256_loadu_si256((const __m256i *)p); }
static inline void u32_store(uint32_t *p, u32_v v) { _mm256_storeu_si256((__m256i *)p, v); }
static inline u32_v u32_add(u32_v a, u32_v b) { return _mm256_add_epi32(a, b); }
static inline u32_v u32_xor(u32_v a, u32_v b) { return _mm256_xor_si256(a, b); }
/* vpmuludq multiplies the even lanes into 64-bit products; the odd lanes go through a shift */
static inline u32_v u32_mulhilo(u32_v a, uint32_t m, u32_v *hi) {
    const __m256i factor = _mm256_set1_epi32((int)m);
    __m256i even = _mm256_mul_epu32(a, factor);
    __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), factor);
    *hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
    return _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}
static inline f32_v f32_from_top24(u32_v w) { return _mm256_cvtepi32_ps(_mm256_srli_epi32(w, 8)); }
/* AVX2 converts signed words only: flip the top bit, convert, add 2^31 back (all exact) */
static inline f64_v f64_load_u32(const uint32_t *p) {
    __m128i w = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_set1_epi32((int)0x80000000u));
    return _mm256_add_pd(_mm256_cvtepi32_pd(w), _mm256_set1_pd(0x1p31));
}
static inline f32_v f32_sqrt(f32_v a) { return _mm256_sqrt_ps(a); }
static inline f64_v f64_sqrt(f64_v a) { return _mm256_sqrt_pd(a); }
static inline f32_v f32_split_exponent(f32_v x, f32_v *k) {
    __m256i bits = _mm256_castps_si256(x);
    *k = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(127)));
    return _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x7fffff)),
                                               _mm256_set1_epi32(0x3f800000)));
}
/* the biased exponent e (< 2^11) becomes the double 2^52 + e through its bits */
static inline f64_v f64_split_exponent(f64_v x, f64_v *k) {
    __m256i bits = _mm256_castpd_si256(x);
    __m256d biased = _mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(bits, 52),
                                                         _mm256_set1_epi64x(0x4330000000000000ll)));
    *k = _mm256_sub_pd(biased, _mm256_set1_pd(0x1p52 + 1023.0));
    return _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi64x(0xfffffffffffffll)),
                                               _mm256_set1_epi64x(0x3ff0000000000000ll)));
}

/* ---- coefficient tables of piecewise polynomials (ops_smooth_wide.h's gelu) ----
 * t[k] for k in the low 4 bits of k_biased = k + 0x1.8p52: a gather */
static inline f64_v f64_table16(const double t[16], f64_v k_biased) {
    __m256i k = _mm256_and_si256(_mm256_castpd_si256(k_biased), _mm256_set1_epi64x(15));
    return _mm256_i64gather_pd(t, k, 8);
}

#endif
