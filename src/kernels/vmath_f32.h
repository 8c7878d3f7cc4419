/* Vector math in native float32, with fused multiply-adds: e^x, written once over the shim.
 *
 * Include it after a shim (shim_scalar.h, shim_avx2.h or shim_neon.h); it uses the f32_* names
 * directly (not instantiate.h's v_* macros), so any float32 code can call it. vmath.h computes in
 * float64 for accuracy in compositions; this header is for kernels whose speed target needs 8 (AVX2)
 * or 4 (NEON) float32 lanes per instruction, such as softmax and logsumexp.
 *
 * Accuracy: vm32_exp is within 0.90 ULP (0.8961) of the correctly rounded e^x for every float32 x (checked
 * exhaustively over all 2^32 inputs, subnormal results included, by tools/exp_f32/run.sh, which
 * also checks that AVX2 and scalar agree bit for bit; NEON agrees with scalar on a sample of every
 * 257th input under qemu: CROSS=1 tools/exp_f32/run.sh 257).
 *
 * Same bits on every path: only IEEE additions, multiplications and fused multiply-adds (the
 * shims' f32_fma: vfmadd on AVX2, fmla on NEON, fmaf on the scalar path; setup.py builds with
 * -ffp-contract=off so the compiler fuses nothing else), in the same order everywhere.
 *
 * Floating-point flags: none but those the true result raises. The polynomial is a Horner chain of
 * FMAs whose results are near 1, so a tiny argument underflows nowhere; +inf and every x above the
 * overflow threshold give +inf by a select, without the overflow flag; -inf and every x below -104
 * (where e^x is below half the smallest subnormal) give +0 by a select, without underflow; only
 * results in the subnormal range raise underflow and inexact, as the true result does. A quiet NaN
 * comes out NaN (the payload of x on x86 and AArch64) and raises nothing: the clamps are ordered
 * selects, which keep a NaN as it is.
 *
 * No expm1 here: e^x - 1 to 1 ULP in float32 needs e^r carried in two parts (the simple forms
 * 2^k expm1(r) + (2^k - 1) lose up to 1.2 ULP near x = 0.35); vmath.h's float64 vm_expm1, rounded
 * once to float32, is the accurate route until someone writes that.
 */
#ifndef RECT_VMATH_F32_H
#define RECT_VMATH_F32_H

#include <math.h> /* INFINITY */

/* Inlined into every kernel loop: a call would pass vectors through memory and cost more than
 * the function (GCC otherwise keeps one out-of-line copy once several kernels use it). */
#if defined(_MSC_VER) && !defined(__clang__)
#define VM32_INLINE static __forceinline
#else
#define VM32_INLINE static inline __attribute__((always_inline))
#endif

#define VM32_LOG2E 0x1.715476p0f
#define VM32_LN2_HI 0x1.62e430p-1f  /* ln 2 rounded to float32 ... */
#define VM32_LN2_LO -0x1.05c610p-29f /* ... and the rest: together ln 2 to 48 bits */
/* The largest float32 whose e^x is finite (e^x rounds to FLT_MAX); above it e^x is +inf. */
#define VM32_EXP_MAX 0x1.62e42ep6f
/* Below this e^x is under half the smallest subnormal: +0 */
#define VM32_EXP_MIN -104.0f

/* The common part of e^x: for |x| <= 104, x = k ln 2 + r with k = round(x / ln 2), |r| <= ln(2)/2;
 * returns e^r and sets *k_biased = k + 0x1.8p23 (k in its low mantissa bits).
 *
 * r by two FMAs (Cody-Waite; the first is exact, because x and k ln2_hi agree in their leading
 * bits). e^r = 1 + r (1 + r (1/2 + r (c3 + r (c4 + r (c5 + r c6))))) by Horner with FMAs (so no
 * intermediate underflows for a tiny r), c3..c6 a minimax fit of the relative error with 1 and
 * 1/2 kept exact (tools/exp_f32/fit.py; error 3.7e-9, 0.06 ULP, after rounding to float32). */
VM32_INLINE f32_v vm32_exp_reduced(f32_v x, f32_v *k_biased) {
    const f32_v magic = f32_set1(0x1.8p23f); /* adding it rounds a float below 2^22 to a whole number */
    const f32_v one = f32_set1(1.0f);
    f32_v kb = f32_fma(x, f32_set1(VM32_LOG2E), magic);
    f32_v k = f32_sub(kb, magic);
    f32_v r = f32_fma(k, f32_set1(-VM32_LN2_HI), x);
    r = f32_fma(k, f32_set1(-VM32_LN2_LO), r);
    f32_v u = f32_set1(0x1.6b6d94p-10f);
    u = f32_fma(u, r, f32_set1(0x1.12309ap-7f));
    u = f32_fma(u, r, f32_set1(0x1.55568ap-5f));
    u = f32_fma(u, r, f32_set1(0x1.5554a2p-3f));
    u = f32_fma(u, r, f32_set1(0.5f));
    u = f32_fma(u, r, one);
    *k_biased = kb;
    return f32_fma(r, u, one); /* e^r, in [0.70, 1.42] */
}

/* y 2^k rounded once, also into the subnormals, for a whole k in [-252, 254] and y 2^(k/2) a
 * normal number: (y 2^k1) 2^k2, k1 = k / 2 rounded, k2 = k - k1, both within the normal exponents;
 * the first product is exact, the second rounds. */
VM32_INLINE f32_v vm32_times_pow2(f32_v y, f32_v k) {
    const f32_v magic = f32_set1(0x1.8p23f);
    f32_v k1 = f32_sub(f32_fma(k, f32_set1(0.5f), magic), magic);
    return f32_mul(f32_mul(y, f32_pow2i(k1)), f32_pow2i(f32_sub(k, k1)));
}

/* y 2^floor(s) rounded once, for floor(s) in [-252, 254] and y 2^(floor(s)/2) a normal number
 * (AVX-512's vscalefps; the same bits built from vm32_times_pow2 elsewhere) */
#ifdef RECT_F32_SCALEF
#define vm32_scalef f32_scalef
#else
VM32_INLINE f32_v vm32_scalef(f32_v y, f32_v s) { return vm32_times_pow2(y, f32_floor(s)); }
#endif

/* 2^(j/32) for j = 0..31 as hi + lo: hi rounded to float32, lo the rest rounded (together within
 * 2^-48 relative) */
static const float vm32_exp2_32_hi[32] = {
    0x1p+0f, 0x1.059b0ep+0f, 0x1.0b5586p+0f, 0x1.11301ep+0f, 0x1.172b84p+0f, 0x1.1d4874p+0f,
    0x1.2387a6p+0f, 0x1.29e9ep+0f, 0x1.306fep+0f, 0x1.371a74p+0f, 0x1.3dea64p+0f, 0x1.44e086p+0f,
    0x1.4bfdaep+0f, 0x1.5342b6p+0f, 0x1.5ab07ep+0f, 0x1.6247ecp+0f, 0x1.6a09e6p+0f, 0x1.71f75ep+0f,
    0x1.7a1148p+0f, 0x1.82589ap+0f, 0x1.8ace54p+0f, 0x1.93737cp+0f, 0x1.9c4918p+0f, 0x1.a5503cp+0f,
    0x1.ae89fap+0f, 0x1.b7f77p+0f, 0x1.c199bep+0f, 0x1.cb720ep+0f, 0x1.d5818ep+0f, 0x1.dfc974p+0f,
    0x1.ea4afap+0f, 0x1.f50766p+0f,
};
static const float vm32_exp2_32_lo[32] = {
    0x0p+0f, -0x1.9d4f52p-25f, 0x1.9f3122p-25f, -0x1.fdb496p-25f, -0x1.c15742p-27f, -0x1.d2e8cap-25f,
    0x1.ceac48p-25f, -0x1.5c0424p-25f, 0x1.4636e2p-25f, -0x1.18aac6p-25f, 0x1.824684p-25f, 0x1.8624b4p-30f,
    -0x1.593abcp-25f, -0x1.2c561p-25f, -0x1.5bd5ecp-27f, -0x1.f8b55p-25f, 0x1.9fcef4p-26f, 0x1.1d8beep-25f,
    -0x1.829fdp-25f, -0x1.accc7cp-26f, 0x1.15506ep-27f, -0x1.e64744p-25f, 0x1.51f848p-27f, -0x1.b83b54p-25f,
    -0x1.a94b14p-26f, -0x1.a09438p-25f, -0x1.3d56b2p-27f, -0x1.8837ccp-27f, -0x1.822dbcp-27f, -0x1.908c94p-25f,
    0x1.52486cp-27f, -0x1.246ebp-26f,
};
#define VM32_LN2_32_HI 0x1.62e43p-6f  /* ln(2) / 32 rounded to float32 ... */
#define VM32_LN2_32_LO -0x1.05c61p-34f /* ... and the rest */

/* t = k ln(2)/32 + r + r_lo, k = round(32 t / ln 2) (a whole number, as a float; *kb = k +
 * 0x1.8p23, whose low 5 bits are j = k mod 32, two's complement), for -160 <= t <= 0: r by one
 * FMA, exact (t and k ln2_hi/32 agree in their leading bits; the difference is a multiple of
 * 2^-30 below 2^-6); r_lo = -k ln2_lo/32 (|r| <= 0.0109, |r_lo| <= 2^-21) is the caller's. */
VM32_INLINE f32_v vm32_reduce_ln2_32(f32_v t, f32_v *kb, f32_v *k) {
    const f32_v magic = f32_set1(0x1.8p23f);
    *kb = f32_fma(t, f32_set1(0x1.715476p+5f), magic); /* 32 / ln 2 */
    *k = f32_sub(*kb, magic);
    return f32_fma(*k, f32_set1(-VM32_LN2_32_HI), t);
}

/* (e^r - 1 - r) / r^2 by its Taylor polynomial, for |r| <= 0.011 (truncation 2^-33 relative) */
VM32_INLINE f32_v vm32_expm1_q32(f32_v r) {
    return f32_fma(f32_fma(r, f32_set1(1.0f / 24.0f), f32_set1(1.0f / 6.0f)), r, f32_set1(0.5f));
}

/* e^t = 2^(k/32) (E + E_lo) for -160 <= t <= 0, with E + E_lo within 2^-29 relative: returns E
 * and sets *s = k/32 (for vm32_scalef: 2^floor(k/32) is the power of two outside the table).
 * e^t = 2^(k/32) T_j (1 + m), T_j = 2^(j/32) from the table, m = expm1(r + r_lo) with r + r_lo
 * rounded by an FMA (2^-30.5) and m rounded (2^-30.5 relative); E = T_j + T_j m rounded, E_lo its error
 * (exact by an FMA, as T_j - E is by Sterbenz) plus the table's lo part. */
VM32_INLINE f32_v vm32_exp_table(f32_v r, f32_v kb, f32_v k, f32_v *E_lo, f32_v *s) {
    f32_v m = f32_fma(f32_mul(r, r), vm32_expm1_q32(r), r);
    f32_v T = f32_lookup32(vm32_exp2_32_hi, kb);
    f32_v E = f32_fma(T, m, T);
    *E_lo = f32_add(f32_fma(T, m, f32_sub(T, E)), f32_lookup32(vm32_exp2_32_lo, kb));
    *s = f32_mul(k, f32_set1(1.0f / 32.0f));
    return E;
}
VM32_INLINE f32_v vm32_exp_parts(f32_v t, f32_v *E_lo, f32_v *s) {
    f32_v kb, k, r = vm32_reduce_ln2_32(t, &kb, &k);
    return vm32_exp_table(f32_fma(k, f32_set1(-VM32_LN2_32_LO), r), kb, k, E_lo, s);
}

/* e^(t + t_lo) as vm32_exp_parts, for a two-part argument (|t_lo| <= 2^-18): t_lo joins r_lo,
 * and r + r_lo rounded costs 2^-30.5 as there */
VM32_INLINE f32_v vm32_exp_parts2(f32_v t, f32_v t_lo, f32_v *E_lo, f32_v *s) {
    f32_v kb, k, r = vm32_reduce_ln2_32(t, &kb, &k);
    return vm32_exp_table(f32_add(r, f32_fma(k, f32_set1(-VM32_LN2_32_LO), t_lo)), kb, k, E_lo, s);
}

/* e^x for every float32 x (see the header comment for accuracy, flags and NaN).
 * e^x = (e^r 2^k1) 2^k2 with k1 + k2 = k, both halves within the normal exponents: the first
 * product is exact, the second rounds once, also into the subnormals. */
VM32_INLINE f32_v vm32_exp(f32_v x) {
    const f32_v magic = f32_set1(0x1.8p23f);
    const f32_m overflows = f32_gt(x, f32_set1(VM32_EXP_MAX));
    const f32_m underflows = f32_lt(x, f32_set1(VM32_EXP_MIN));
    /* lanes whose result is decided by a select at the end compute e^0 meanwhile: no flag */
    f32_v kb, p = vm32_exp_reduced(f32_clear(f32_or(overflows, underflows), x), &kb);
    f32_v k = f32_sub(kb, magic);
    f32_v y = vm32_times_pow2(p, k);
    return f32_clear(underflows, f32_select(overflows, f32_set1(INFINITY), y));
}

/* e^x where every lane has VM32_EXP_FAST_MIN <= x <= 88 (no NaN): the result is a normal number,
 * so 2^k goes straight into the exponent field. The same bits as vm32_exp there, in 11
 * operations fewer; callers test the vector (f32_any) and take vm32_exp otherwise. */
#define VM32_EXP_FAST_MIN -86.5f
VM32_INLINE f32_v vm32_exp_normal(f32_v x) {
    f32_v kb, p = vm32_exp_reduced(x, &kb);
    return f32_scale_exponent(p, kb);
}

/* ---- e^x - 1 as hi + lo, for elu and celu (ops_smooth_f32.h): computed from single-float
 * pieces its error would reach 1.5 ULP; carried in two parts it is within 2^-28 relative, and
 * the result rounds once, at its end. ---- */

/* e^r - 1 = hi + lo for |r| <= ln(2)/2 (a hair more is fine): r + r^2 q(r), q the Taylor series
 * of (e^r - 1 - r) / r^2 to r^6 / 8! (truncation below 2^-29 relative), by Horner with FMAs;
 * hi = r + r^2 q rounded, lo its rounding error (Fast2Sum: |r| >= |r^2 q|). */
VM32_INLINE f32_v vm32_expm1_reduced(f32_v r, f32_v *lo) {
    f32_v q = f32_set1(1.0f / 40320.0f);
    q = f32_fma(q, r, f32_set1(1.0f / 5040.0f));
    q = f32_fma(q, r, f32_set1(1.0f / 720.0f));
    q = f32_fma(q, r, f32_set1(1.0f / 120.0f));
    q = f32_fma(q, r, f32_set1(1.0f / 24.0f));
    q = f32_fma(q, r, f32_set1(1.0f / 6.0f));
    q = f32_fma(q, r, f32_set1(0.5f));
    f32_v rq = f32_mul(r, q);
    f32_v hi = f32_fma(r, rq, r);
    *lo = f32_fma(r, rq, f32_sub(r, hi)); /* r - hi is exact (Sterbenz) */
    return hi;
}

/* k = round(x / ln 2) (a whole number, as a float) and x = k ln 2 + r + r_lo: r exact by one FMA
 * (see vm32_exp), r_lo = -k ln2_lo the rest of ln 2's 48 bits. */
VM32_INLINE f32_v vm32_reduce_ln2(f32_v x, f32_v *k, f32_v *r_lo) {
    const f32_v magic = f32_set1(0x1.8p23f);
    *k = f32_sub(f32_fma(x, f32_set1(VM32_LOG2E), magic), magic);
    *r_lo = f32_mul(*k, f32_set1(-VM32_LN2_LO));
    return f32_fma(*k, f32_set1(-VM32_LN2_HI), x);
}

/* e^x - 1 = hi + lo for -17.5 <= x <= 0 (callers clamp: below, the float32 result is -1): with
 * x = k ln 2 + r, e^x - 1 = 2^k (e^r - 1) + (2^k - 1), summed exactly (Fast2Sum, |2^k - 1| >=
 * |2^k (e^r - 1)| or 2^k - 1 = 0), 2^k - 1 itself carried in two parts (for k = -25 it is not a
 * float). */
VM32_INLINE f32_v vm32_expm1_nonpositive(f32_v x, f32_v *lo) {
    const f32_v one = f32_set1(1.0f);
    f32_v k, r_lo, em_lo, r = vm32_reduce_ln2(x, &k, &r_lo);
    f32_v em = vm32_expm1_reduced(r, &em_lo);
    f32_v pk = f32_pow2i(k); /* k in [-26, 0] */
    f32_v a = f32_mul(pk, em);  /* exact: a power of two */
    f32_v c = f32_sub(pk, one); /* 2^k - 1, exact for k >= -24 ... */
    f32_v c_lo = f32_sub(pk, f32_add(c, one)); /* ... and what rounding lost otherwise */
    f32_v s = f32_add(c, a);
    em_lo = f32_add(em_lo, f32_fma(r_lo, em, r_lo));
    *lo = f32_add(f32_add(f32_sub(c, s), a), f32_fma(pk, em_lo, c_lo));
    return s;
}

#endif
