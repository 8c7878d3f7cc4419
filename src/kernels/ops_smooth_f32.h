/* elu, celu, selu, sigmoid, silu, tanh, hardsigmoid and hardswish computed natively in float32 (8 lanes on AVX2, 4 on NEON),
 * for float32 and float16 data, written once over the shim with vmath_f32.h. elu and celu: e^x - 1
 * as hi + lo, the product with alpha summed once and rounded once (0.5 ULP plus about 2^-4,
 * checked over all 2^32 inputs by bench/accuracy.py). On AVX2 this is about 1.3 times as fast as the float64 route of
 * ops_smooth_wide.h, which the rest of the family takes (there the float64 arithmetic is cheaper
 * than carrying two parts through more steps). With parameters other than alpha = 1 the
 * parameter's own float32 rounding and one more product add up to an ULP (celu divides by alpha
 * first).
 *
 * Included by instantiate.h in the float32 instantiation (V is f32_v, P holds float32 parameters).
 * The sign of a zero kept (elu(-0.0) = -0.0); NaN pinned (SM32_PINNED below).
 */

/* c (e^x - 1) for x <= 0 as hi + lo summed once, c = c_hi + c_lo; x = 0 gives c_hi x (the sign
 * of a zero kept: elu(-0.0) = -0.0). x is clamped at -17.5, below which e^x - 1 rounds to -1. */
VM32_INLINE V sm32_times_expm1(V x, V c_hi, V c_lo) {
    V lo, xc = v_select(v_lt(x, v_set1(-17.5f)), v_set1(-17.5f), x);
    /* and at 0 from above: a positive argument (celu's x / alpha for an alpha <= 0, which only the
     * C API can pass) is outside expm1_nonpositive's domain, where the paths' 2^k scalings differ;
     * clamped, every path returns the same bits for it */
    xc = v_select(v_gt(xc, v_zero()), v_zero(), xc);
    V s = vm32_expm1_nonpositive(xc, &lo);
    V y = f32_fma(c_hi, s, f32_fma(c_hi, lo, v_mul(c_lo, s)));
    return v_select(v_eq(x, v_zero()), v_mul(c_hi, x), y);
}

/* x > 0 ? x : alpha expm1(x) */
VM32_INLINE V OPF(elu_native)(V x, const P *p) {
    M nonpositive = v_le(x, v_zero());
    return v_select(nonpositive, sm32_times_expm1(v_keep(nonpositive, x), p->a, v_zero()), x);
}

/* x > 0 ? x : alpha expm1(x / alpha) (alpha > 0) */
VM32_INLINE V OPF(celu_native)(V x, const P *p) {
    M nonpositive = v_le(x, v_zero());
    return v_select(nonpositive, sm32_times_expm1(v_div(v_keep(nonpositive, x), p->a), p->a, v_zero()), x);
}

/* hardsigmoid and hardswish in float32 arithmetic: (x + 3) / 6 and x (x + 3) / 6 inside (-3, 3).
 * x + 3 = u + u_lo exactly (Fast2Sum: |x| < 3), the product by 1/6 = c + c_lo (c the float32
 * nearest) summed once by an FMA: the small terms' own roundings are near 2^-24 of an ULP, so the
 * one rounding is the whole error (0.5 ULP plus a trace), also near -3, where x + 3 cancels. */
#define SM32_SIXTH 0x1.555556p-3f
#define SM32_SIXTH_LO -0x1.555556p-28f /* 1/6 - SM32_SIXTH, to float32 precision */
#define SM32_THIRD 0x1.555556p-2f
#define SM32_THIRD_LO -0x1.555556p-27f

/* (v + v_lo) / 6, v_lo below an ULP of v */
static inline V sm32_sixth(V v, V v_lo) {
    return f32_fma(v, v_set1(SM32_SIXTH), f32_fma(v, v_set1(SM32_SIXTH_LO), v_mul(v_lo, v_set1(SM32_SIXTH))));
}

/* x where |x| < 3, else +0: the lanes whose result is a constant or x itself compute on 0, so
 * that no infinity or huge x raises a flag in a discarded lane (NaN is pinned, or the chain rule's) */
static inline V sm32_inside_3(V x) {
    return v_keep(v_lt(v_abs(x), v_set1(3.0f)), x);
}

/* x + 3 as u + *lo, for x = sm32_inside_3(x) */
static inline V sm32_x_plus_3(V x, V *lo) {
    V u = v_add(x, v_set1(3.0f));
    *lo = v_sub(x, v_sub(u, v_set1(3.0f)));
    return u;
}

/* 0 up to -3, 1 from 3 on (relu6(x + 3) / 6, PyTorch) */
static inline V OPF(hardsigmoid_native)(V x, const P *p) {
    V lo, u = sm32_x_plus_3(sm32_inside_3(x), &lo);
    (void)p;
    return v_select(v_le(x, v_set1(-3.0f)), v_zero(), v_select(v_ge(x, v_set1(3.0f)), v_set1(1.0f), sm32_sixth(u, lo)));
}

/* -0.0 up to -3 (x times relu6's +0), x from 3 on, x (x + 3) / 6 between: x u + x u_lo as m +
 * m_lo (the FMA's residual exact). Below |x| = 2^-16, x / 2 + x^2 / 6 in one FMA instead: near the
 * subnormals m_lo / 6 would underflow (x^2 / 6 is below 2^-17.6 of the result there, its error
 * negligible). hardswish(+-0) = +-0. */
static inline V OPF(hardswish_native)(V x, const P *p) {
    V xi = sm32_inside_3(x), lo, u = sm32_x_plus_3(xi, &lo), m = v_mul(xi, u);
    V m_lo = f32_fma(xi, lo, f32_fma(xi, u, v_sub(v_zero(), m)));
    V tiny = f32_fma(xi, v_set1(0.5f), v_mul(v_mul(xi, xi), v_set1(SM32_SIXTH)));
    V y = v_select(v_lt(v_abs(x), v_set1(0x1p-16f)), tiny, sm32_sixth(m, m_lo));
    (void)p;
    return v_select(v_le(x, v_set1(-3.0f)), v_set1(-0.0f), v_select(v_or(v_ge(x, v_set1(3.0f)), v_eq(x, v_zero())), x, y));
}

/* 1/6 strictly inside (-3, 3), else 0 (PyTorch) */
static inline V OPF(hardsigmoid_grad_native)(V x, const P *p) {
    (void)p;
    return v_keep(v_and(v_gt(x, v_set1(-3.0f)), v_lt(x, v_set1(3.0f))), v_set1(SM32_SIXTH));
}

/* 0 up to -3, 1 from 3 on (PyTorch's values at the kinks), (x + 3/2) / 3 between: x + 3/2 as an
 * exact sum (Knuth's TwoSum), divided by 3 as (x + 3) / 6 is above */
static inline V OPF(hardswish_grad_native)(V x, const P *p) {
    V xi = sm32_inside_3(x), half3 = v_set1(1.5f), u = v_add(xi, half3), b = v_sub(u, xi);
    V lo = v_add(v_sub(xi, v_sub(u, b)), v_sub(half3, b));
    V third = f32_fma(u, v_set1(SM32_THIRD), f32_fma(u, v_set1(SM32_THIRD_LO), v_mul(lo, v_set1(SM32_THIRD))));
    (void)p;
    return v_select(v_le(x, v_set1(-3.0f)), v_zero(), v_select(v_ge(x, v_set1(3.0f)), v_set1(1.0f), third));
}

/* (n + n_lo) / (d + d_lo) as q + c rcp, within 2^-44 relative, for |n_lo| <= 2^-23 |n| and
 * |d_lo| <= 2^-23 |d|: rcp = 1 / d rounded (an IEEE division: the same bits on every path, unlike
 * the rcp estimates), q = n rcp, and the remainder c = n + n_lo - q (d + d_lo) by FMAs (|c| <=
 * 2^-22 |n|, rounded to 2^-24 of itself). A result formed from the pair and rounded once (q + c
 * rcp in one FMA) is within 0.5 ULP plus the error of the inputs. */
VM32_INLINE V sm32_divide(V n, V n_lo, V d, V d_lo, V *c, V *rcp) {
    V r = v_div(v_set1(1.0f), d), q = v_mul(n, r), minus_q = v_sub(v_zero(), q);
    *c = f32_fma(minus_q, d_lo, v_add(f32_fma(minus_q, d, n), n_lo));
    *rcp = r;
    return q;
}

/* ---- sigmoid and silu: sigmoid(x) = n / (1 + e), e = e^-|x|, n = e for x < 0 and 1 otherwise.
 * e = 2^(k/32) (E + E_lo) (vmath_f32.h, within 2^-29 relative), d = 1 + e summed exactly
 * (Fast2Sum), and n / d by sm32_divide: within 2^-28 relative before the one rounding, so within
 * 0.5 + 2^-4 ULP. For x < 0 the quotient is unscaled (n = E): the result is scaled by
 * 2^floor(k/32) last (vm32_scalef), so subnormal results keep relative accuracy until that
 * rounding (a second one there: at most a quarter ULP more). ---- */

/* sigmoid(x) = 2^floor(s) (q + c rcp), s = k/32 for x < 0 and 0 otherwise; |x| clamped at 160 */
VM32_INLINE V sm32_sigmoid_parts(V x, V *c, V *rcp, V *s) {
    V t = v_sub(v_zero(), v_abs(x)), E_lo, k32;
    V E = vm32_exp_parts(v_select(v_lt(t, v_set1(-160.0f)), v_set1(-160.0f), t), &E_lo, &k32);
    M negative = v_lt(x, v_zero());
    V e = vm32_scalef(E, k32), d = v_add(v_set1(1.0f), e);
    V d_lo = v_add(v_add(v_sub(v_set1(1.0f), d), e), vm32_scalef(E_lo, k32));
    *s = v_keep(negative, k32);
    return sm32_divide(v_select(negative, E, v_set1(1.0f)), v_keep(negative, E_lo), d, d_lo, c, rcp);
}

VM32_INLINE V OPF(sigmoid_native)(V x, const P *p) {
    V c, rcp, s, q = sm32_sigmoid_parts(x, &c, &rcp, &s);
    (void)p;
    return vm32_scalef(f32_fma(c, rcp, q), s);
}

/* x sigmoid(x), x clamped to [-160, 160] (silu(-inf) = -0.0) and x itself above 160; the sign of
 * a zero kept by the product */
VM32_INLINE V OPF(silu_native)(V x, const P *p) {
    V c, rcp, s, q = sm32_sigmoid_parts(x, &c, &rcp, &s);
    M big = v_gt(x, v_set1(160.0f));
    V xc = v_select(big, v_set1(160.0f), v_select(v_lt(x, v_set1(-160.0f)), v_set1(-160.0f), x));
    (void)p;
    return v_select(big, x, vm32_scalef(f32_fma(xc, q, v_mul(v_mul(xc, c), rcp)), s));
}

/* tanh(x) = sign(x) t, t = -m / (2 + m), m = expm1(-2|x|) as hi + lo (vmath_f32.h's table form),
 * 2 + m summed exactly (Fast2Sum: 2 >= |m|), the quotient by sm32_divide: no cancellation (2 + m
 * >= 1; t = |x| to float32 precision for a tiny x). 0.6032 ULP at most over all 2^32 inputs:
 * the table's lo part is not multiplied by 1 + m (2^-31.5 absolute), which counts where |m| is
 * near 0.011. |x| clamped at 9.1 (within expm1's domain; above 9.02 float32 tanh is +-1, and so is
 * t). The sign of a zero kept. */
VM32_INLINE V OPF(tanh_native)(V x, const P *p) {
    V z = v_abs(x), m_lo, c, rcp;
    V m = vm32_expm1_table(v_mul(v_set1(-2.0f), v_select(v_gt(z, v_set1(9.1f)), v_set1(9.1f), z)), &m_lo);
    V d = v_add(v_set1(2.0f), m), d_lo = v_add(v_add(v_sub(v_set1(2.0f), d), m), m_lo);
    V q = sm32_divide(v_sub(v_zero(), m), v_sub(v_zero(), m_lo), d, d_lo, &c, &rcp);
    V t = f32_fma(c, rcp, q);
    (void)p;
    return v_select(v_eq(z, v_zero()), x, v_select(v_lt(x, v_zero()), v_sub(v_zero(), t), t));
}

/* ---- selu: scale x above 0, x + (scale - 1) x in one FMA (scale - 1 rounded is within 2^-29.6
 * of scale, and nothing underflows before the one rounding: 0.52 ULP, also where the result is
 * subnormal); scale alpha expm1(x) at and below 0 by elu's parts, the constant in two parts ---- */
#define SM32_SELU_SCALE_M1 0x1.9f57aep-5f /* scale - 1 */
#define SM32_SELU_SCALE_ALPHA 0x1.c212ccp+0f
#define SM32_SELU_SCALE_ALPHA_LO 0x1.903c0cp-26f

VM32_INLINE V OPF(selu_native)(V x, const P *p) {
    M nonpositive = v_le(x, v_zero());
    (void)p;
    return v_select(nonpositive, sm32_times_expm1(v_keep(nonpositive, x), v_set1(SM32_SELU_SCALE_ALPHA), v_set1(SM32_SELU_SCALE_ALPHA_LO)),
                    f32_fma(x, v_set1(SM32_SELU_SCALE_M1), x));
}

/* NaN in, that same NaN out (see ops_smooth.h's SM_PINNED) */
#define SM32_PINNED(op)                                                                           \
    VM32_INLINE V OPF(RECT_CAT(op, _native_pinned))(V x, const P *p) {                             \
        return v_select(v_isnan(x), x, OPF(RECT_CAT(op, _native))(x, p));                       \
    }
RECT_F32_NATIVE_SMOOTH_OPS(SM32_PINNED)
#undef SM32_PINNED
