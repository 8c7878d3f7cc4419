/* The smooth rectifiers computed natively in float32 (8 lanes on AVX2, 4 on NEON), for float32
 * and float16 data: elu, celu, selu, softplus, sigmoid, log_sigmoid, silu. Written once over the
 * shim with vmath_f32.h.
 *
 * Included by instantiate.h in the float32 instantiation (V is f32_v, P holds float32 parameters)
 * after ops_smooth.h's float64 ops exist; the other smooth ops and every derivative stay on the
 * float64 route (widen, compute, round once). An op is here when it can be proved within 1 ULP at
 * its default parameters with float32 arithmetic: each one forms its result as hi + lo from
 * vmath_f32.h's two-part pieces and rounds once at the end (0.5 ULP plus about 2^-4), checked over
 * all 2^32 inputs by bench/accuracy.py (docs/accuracy.md). With other parameters the parameter's own
 * float32 rounding and one more product add up to an ULP (celu divides by alpha first).
 *
 * Conventions as ops_smooth.h's: clamped arguments, so that no discarded lane overflows or
 * becomes inf - inf; the sign of a zero kept (elu(-0.0) = -0.0); NaN pinned by the callers
 * (SM32_PINNED below).
 */

/* scale and scale * alpha of selu as float32 hi + lo (mpmath; the rest is below 2^-50) */
#define SM32_SELU_SCALE_HI 0x1.0cfabep+0f
#define SM32_SELU_SCALE_LO -0x1.2addda0p-25f
#define SM32_SELU_SCALE_ALPHA_HI 0x1.c212ccp+0f
#define SM32_SELU_SCALE_ALPHA_LO 0x1.903c0cp-26f

/* n / (1 + e) rounded once, for n = n_hi + n_lo and e = e_hi + e_lo in [0, 1]: one division
 * t = 1 / d_hi, q = n_hi t, then q corrected by the exact residual (n - q d) t. */
static inline V sm32_over_one_plus(V n_hi, V n_lo, V e_hi, V e_lo) {
    const V one = v_set1(1.0f);
    V d_hi = v_add(one, e_hi);
    V d_lo = v_add(v_add(v_sub(one, d_hi), e_hi), e_lo); /* Fast2Sum: 1 >= e_hi */
    V t = v_div(one, d_hi);
    V q = v_mul(n_hi, t);
    V r = v_add(f32_fma(v_sub(v_zero(), q), d_hi, n_hi), f32_fma(v_sub(v_zero(), q), d_lo, n_lo));
    return f32_fma(r, t, q);
}

/* 1 / (1 + e^-x): with z = min(|x|, 104) and e^-z = (e_hi + e_lo) 2^k (below e^-104 every
 * result rounds to 0 or 1), the ratio 1 / (1 + e^-z) for x >= 0 and e^-z / (1 + e^-z) for
 * x < 0, the latter formed unscaled and scaled by 2^k last, so that a subnormal result rounds once. */
static inline V OPF(sigmoid_native)(V x, const P *p) {
    V k, b, e_lo, z = v_abs(x);
    M negative = v_lt(x, v_zero());
    (void)p;
    z = v_select(v_gt(z, v_set1(104.0f)), v_set1(104.0f), z);
    V e_hi = vm32_exp_unscaled(v_sub(v_zero(), z), &e_lo, &k);
    V a = vm32_pow2_split(k, &b); /* 2^k = a b */
    V y = sm32_over_one_plus(v_select(negative, e_hi, v_set1(1.0f)), v_keep(negative, e_lo),
                             v_mul(v_mul(e_hi, a), b), v_mul(v_mul(e_lo, a), b));
    return v_select(negative, v_mul(v_mul(y, a), b), y);
}

/* x sigmoid(x), as above with the numerator x (x e^-z for x < 0, a two-part product). x is
 * clamped to [-112, 32]: below, |silu| < 2^-150 rounds to -0.0 (the limit at -inf); above 20,
 * silu(x) rounds to x, which is returned, as it is at +-0. */
static inline V OPF(silu_native)(V x, const P *p) {
    V k, b, e_lo, xc = v_select(v_lt(x, v_set1(-112.0f)), v_set1(-112.0f), x);
    M negative = v_lt(x, v_zero());
    (void)p;
    xc = v_select(v_gt(xc, v_set1(32.0f)), v_set1(32.0f), xc);
    V e_hi = vm32_exp_unscaled(v_sub(v_zero(), v_abs(xc)), &e_lo, &k);
    V a = vm32_pow2_split(k, &b); /* 2^k = a b */
    V n_hi = v_mul(xc, e_hi);
    V n_lo = v_add(f32_fma(xc, e_hi, v_sub(v_zero(), n_hi)), v_mul(xc, e_lo));
    V y = sm32_over_one_plus(v_select(negative, n_hi, xc), v_keep(negative, n_lo), v_mul(v_mul(e_hi, a), b),
                             v_mul(v_mul(e_lo, a), b));
    y = v_select(negative, v_mul(v_mul(y, a), b), y);
    return v_select(v_or(v_gt(x, v_set1(20.0f)), v_eq(x, v_zero())), x, y); /* silu(-0.0) = -0.0 */
}

/* c (e^x - 1) for x <= 0 as hi + lo summed once, c = c_hi + c_lo; x = 0 gives c_hi x (the sign
 * of a zero kept: elu(-0.0) = -0.0). x is clamped at -17.5, below which e^x - 1 rounds to -1. */
static inline V sm32_times_expm1(V x, V c_hi, V c_lo) {
    V lo, xc = v_select(v_lt(x, v_set1(-17.5f)), v_set1(-17.5f), x);
    V s = vm32_expm1_nonpositive(xc, &lo);
    V y = f32_fma(c_hi, s, f32_fma(c_hi, lo, v_mul(c_lo, s)));
    return v_select(v_eq(x, v_zero()), v_mul(c_hi, x), y);
}

/* x > 0 ? x : alpha expm1(x) */
static inline V OPF(elu_native)(V x, const P *p) {
    M nonpositive = v_le(x, v_zero());
    return v_select(nonpositive, sm32_times_expm1(v_keep(nonpositive, x), p->a, v_zero()), x);
}

/* x > 0 ? x : alpha expm1(x / alpha) (alpha > 0) */
static inline V OPF(celu_native)(V x, const P *p) {
    M nonpositive = v_le(x, v_zero());
    return v_select(nonpositive, sm32_times_expm1(v_div(v_keep(nonpositive, x), p->a), p->a, v_zero()), x);
}

/* scale (x > 0 ? x : alpha expm1(x)), the constants in two parts (so +inf, where hi x + lo x
 * would be inf - inf, is kept out of the product and selected as it is). Below 2^-60 in size,
 * selu(x) is c x (c = scale or scale alpha; expm1(x) = x there), formed on x 2^64 and scaled back:
 * lo x itself would underflow and leave up to 1 ULP in the subnormal results. */
static inline V OPF(selu_native)(V x, const P *p) {
    M nonpositive = v_le(x, v_zero()), tiny = v_lt(v_abs(x), v_set1(0x1p-60f));
    V positive_x = v_clear(v_or(nonpositive, v_eq(x, v_set1(INFINITY))), x);
    V positive = f32_fma(v_set1(SM32_SELU_SCALE_HI), positive_x, v_mul(v_set1(SM32_SELU_SCALE_LO), positive_x));
    V c_hi = v_select(nonpositive, v_set1(SM32_SELU_SCALE_ALPHA_HI), v_set1(SM32_SELU_SCALE_HI));
    V c_lo = v_select(nonpositive, v_set1(SM32_SELU_SCALE_ALPHA_LO), v_set1(SM32_SELU_SCALE_LO));
    V x_up = v_mul(v_keep(tiny, x), v_set1(0x1p64f));
    V small = v_mul(f32_fma(c_hi, x_up, v_mul(c_lo, x_up)), v_set1(0x1p-64f));
    (void)p;
    return v_select(tiny, small,
                    v_select(nonpositive,
                             sm32_times_expm1(v_keep(nonpositive, x), v_set1(SM32_SELU_SCALE_ALPHA_HI),
                                              v_set1(SM32_SELU_SCALE_ALPHA_LO)),
                             v_select(v_eq(x, v_set1(INFINITY)), x, positive)));
}

/* e^-|z| as e_hi + e_lo, rounded into float32, for any z (|z| is clamped at 104, beyond which
 * e^-|z| rounds to 0 against 1); *once: e^-|z| rounded once, also in the subnormals (the sum of
 * the parts scaled in one rounding; e_hi alone is rounded there, e_lo lost). */
static inline V sm32_exp_minus_abs(V z, V *e_lo, V *once) {
    V k, b, lo, zc = v_abs(z);
    zc = v_select(v_gt(zc, v_set1(104.0f)), v_set1(104.0f), zc);
    V hi = vm32_exp_unscaled(v_sub(v_zero(), zc), &lo, &k);
    V a = vm32_pow2_split(k, &b);
    *e_lo = v_mul(v_mul(lo, a), b);
    *once = v_mul(v_mul(v_add(hi, lo), a), b);
    return v_mul(v_mul(hi, a), b);
}

/* log(1 + e) as hi + lo for e = e_hi + e_lo in [0, 1]. d = 1 + e in two parts, halved when above
 * sqrt 2 (adding ln 2 back): m in [0.7, 1.42], log m = 2 atanh(s), s = (m - 1) / (m + 1) in
 * [-0.172, 0.172], s = q + s_lo from one division and the exact residual, and the series
 * 2s + 2s^3/3 + ... + 2s^13/13 (truncation below 2^-31 relative). For e >= 2^-20 (see
 * sm32_log1p_exp_minus_abs). */
static inline V sm32_log1p_unit(V e_hi, V e_lo, V *lo) {
    const V one = v_set1(1.0f);
    V d_hi = v_add(one, e_hi);
    V d_lo = v_add(v_sub(one, d_hi), e_hi);                /* exact (Fast2Sum: 1 >= e_hi) ... */
    M halve = v_gt(d_hi, v_set1(0x1.6a09e6p0f));          /* sqrt 2 */
    V scale = v_select(halve, v_set1(0.5f), one);
    V m_hi = v_mul(d_hi, scale), m_lo = v_mul(d_lo, scale); /* exact */
    V m_lo2 = v_mul(e_lo, scale); /* ... and e_lo kept apart: where 1 + e rounds to 1, d_lo is e */
    V num = v_sub(m_hi, one);                                /* exact (Sterbenz) */
    V den = v_add(m_hi, one);
    V den_lo = v_add(v_add(v_sub(one, den), m_hi), m_lo);   /* Fast2Sum: exponent of 1 >= m's */
    V t = v_div(one, den);
    V q = v_mul(num, t);
    V r = v_add(f32_fma(v_sub(v_zero(), q), den, num), v_add(f32_fma(v_sub(v_zero(), q), den_lo, m_lo), m_lo2));
    V s_lo = v_mul(r, t);
    s_lo = f32_fma(v_sub(v_zero(), s_lo), v_mul(den_lo, t), s_lo); /* r / (den + den_lo) */
    V q2 = v_mul(q, q);
    V series = f32_fma(q2, v_set1(2.0f / 13.0f), v_set1(2.0f / 11.0f));
    series = f32_fma(series, q2, v_set1(2.0f / 9.0f));
    series = f32_fma(series, q2, v_set1(2.0f / 7.0f));
    series = f32_fma(series, q2, v_set1(2.0f / 5.0f));
    series = f32_fma(series, q2, v_set1(2.0f / 3.0f));
    V ln2_hi = v_keep(halve, v_set1(VM32_LN2_HI)), two_q = v_add(q, q);
    V hi = v_add(ln2_hi, two_q);
    V rest = v_add(v_keep(halve, v_set1(VM32_LN2_LO)), f32_fma(v_mul(q, q2), series, v_add(s_lo, s_lo)));
    *lo = v_add(v_add(v_sub(ln2_hi, hi), two_q), rest); /* Fast2Sum: ln 2 >= |2q|, or ln2_hi = 0 */
    return hi;
}

/* log1p(e^-|z|) as hi + lo. Below e = e^-|z| = 2^-20 it is e - e^2 / 2 (the next term is below
 * 2^-41 relative), from e's two parts: there 1 + e is 1 or nearly, and sm32_log1p_unit's residual,
 * one float, would hold all of e. Below 2^-100 it is e rounded once (a subnormal result too). */
static inline V sm32_log1p_exp_minus_abs(V z, V *lo) {
    V e_lo, once, e_hi = sm32_exp_minus_abs(z, &e_lo, &once), unit_lo;
    V hi = sm32_log1p_unit(e_hi, e_lo, &unit_lo);
    M small = v_lt(e_hi, v_set1(0x1p-20f)), tiny = v_lt(e_hi, v_set1(0x1p-100f));
    V small_lo = f32_fma(v_mul(v_set1(-0.5f), e_hi), e_hi, e_lo);
    *lo = v_clear(tiny, v_select(small, small_lo, unit_lo));
    return v_select(tiny, once, v_select(small, e_hi, hi));
}

/* a + b as hi + lo for any a, b (2Sum) */
static inline V sm32_two_sum(V a, V b, V *lo) {
    V s = v_add(a, b), bb = v_sub(s, a);
    *lo = v_add(v_sub(a, v_sub(s, bb)), v_sub(b, bb));
    return s;
}

/* log(1 + e^(beta x)) / beta = (max(z, 0) + log1p(e^-|z|)) / beta, z = beta x; x where z >
 * threshold (b; +inf when there is none), and where z > 2^30: there the log1p term is below half
 * an ULP of x, and z itself may have overflowed (softplus(1e38, beta=10) is 1e38, not inf). */
static inline V OPF(softplus_native)(V x, const P *p) {
    V z = v_mul(p->a, x), l_lo, s_lo;
    V l_hi = sm32_log1p_exp_minus_abs(z, &l_lo);
    M huge = v_gt(z, v_set1(0x1p30f));
    V z_pos = v_clear(huge, v_keep(v_gt(z, v_zero()), z));
    V s = sm32_two_sum(z_pos, l_hi, &s_lo);
    return v_select(v_or(v_gt(z, p->b), huge), x, v_div(v_add(s, v_add(s_lo, l_lo)), p->a));
}

/* log sigmoid(x) = -(log1p(e^-|x|) - min(x, 0)): negated last, so that where it underflows (x
 * beyond 104, +inf included) the result is -0.0; x itself below -2^30. */
static inline V OPF(log_sigmoid_native)(V x, const P *p) {
    V l_lo, s_lo;
    V l_hi = sm32_log1p_exp_minus_abs(x, &l_lo);
    M huge = v_lt(x, v_set1(-0x1p30f));
    V minus_x_neg = v_sub(v_zero(), v_clear(huge, v_keep(v_lt(x, v_zero()), x)));
    V s = sm32_two_sum(minus_x_neg, l_hi, &s_lo);
    (void)p;
    return v_select(huge, x, v_mul(v_set1(-1.0f), v_add(s, v_add(s_lo, l_lo)))); /* -(+0) = -0 */
}

/* NaN in, that same NaN out (see ops_smooth.h's SM_PINNED) */
#define SM32_PINNED(op)                                                                           \
    static inline V OPF(RECT_CAT(op, _native_pinned))(V x, const P *p) {                          \
        return v_select(v_isnan(x), x, OPF(RECT_CAT(op, _native))(x, p));                       \
    }
RECT_F32_NATIVE_SMOOTH_OPS(SM32_PINNED)
#undef SM32_PINNED
