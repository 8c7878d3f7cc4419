/* elu, celu, selu, sigmoid, silu, tanh, gelu, hardsigmoid and hardswish computed natively in float32 (8 lanes on AVX2, 4 on NEON),
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

/* The exponential of sigmoid and its derivatives: e = e^-|x| = 2^floor(s) (E + E_lo) (|x|
 * clamped at 160), e itself and e_lo = 2^floor(s) E_lo; returns d, d + *d_lo = 1 + e (Fast2Sum) */
typedef struct {
    V E, E_lo, s, e, e_lo, d_lo;
} sm32_logistic;

VM32_INLINE V sm32_logistic_denominator(V x, sm32_logistic *l) {
    V t = v_sub(v_zero(), v_abs(x));
    l->E = vm32_exp_parts(v_select(v_lt(t, v_set1(-160.0f)), v_set1(-160.0f), t), &l->E_lo, &l->s);
    l->e = vm32_scalef(l->E, l->s), l->e_lo = vm32_scalef(l->E_lo, l->s);
    V d = v_add(v_set1(1.0f), l->e);
    l->d_lo = v_add(v_add(v_sub(v_set1(1.0f), d), l->e), l->e_lo);
    return d;
}

/* sigmoid(x) = 2^floor(s) (q + c rcp) from the denominator d, s = k/32 for x < 0 and 0 otherwise */
VM32_INLINE V sm32_sigmoid_quotient(V x, const sm32_logistic *l, V d, V *c, V *rcp, V *s) {
    M negative = v_lt(x, v_zero());
    *s = v_keep(negative, l->s);
    return sm32_divide(v_select(negative, l->E, v_set1(1.0f)), v_keep(negative, l->E_lo), d, l->d_lo, c, rcp);
}

VM32_INLINE V sm32_sigmoid_parts(V x, V *c, V *rcp, V *s) {
    sm32_logistic l;
    V d = sm32_logistic_denominator(x, &l);
    return sm32_sigmoid_quotient(x, &l, d, c, rcp, s);
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

/* ---- gelu (erf form): x Phi(x) through the normal tail Phi(-z) = e^(-z^2/2) R(z), z = |x| clamped
 * at 15.5 (beyond, float32 gelu is x or -0.0; x itself from 6 on). Phi(-z) = 2^floor(s) (Q +
 * Q_lo) within about 2^-26 relative: R(z) = erfcx(z / sqrt2) / 2 by a piecewise polynomial of
 * degree 6 over 32 intervals of width 1/2 (picked by rounding 2z, vpermt2ps on AVX-512), its
 * constant term in two parts and its last rounding recovered by an FMA, within 2^-28 before the
 * Horner roundings (tools/fit_gelu_f32.py); z^2 = zz + zz_lo exactly (FMA), e^(-(zz + zz_lo)/2)
 * as E + E_lo (vm32_exp_parts2), and the product E R as Q + Q_lo. Then no cancellation for either
 * sign: x < 0: -z (Q + Q_lo), rounded once and scaled last (a subnormal result rounds a second
 * time: up to a quarter ULP more); x > 0: z (w + w_lo), w + w_lo = 1 - Phi(-z) summed exactly (Fast2Sum,
 * Phi(-z) <= 1/2). ---- */

/* R(k/2 + r), k = 0..31, |r| <= 1/4: rows c0, c0_lo, c1..c6 (tools/fit_gelu_f32.py) */
static const float SM32_GELU_TAIL[8][32] = {
    {0x1p-1f, 0x1.66027ap-2f, 0x1.0bdb2ep-2f, 0x1.a57056p-3f, 0x1.5845dcp-3f, 0x1.217252p-3f, 0x1.f1b89cp-4f, 0x1.b396fap-4f,
     0x1.82b4bcp-4f, 0x1.5b5acep-4f, 0x1.3b0fbcp-4f, 0x1.201faap-4f, 0x1.095608p-4f, 0x1.eba5fep-5f, 0x1.c9e12p-5f, 0x1.ac6292p-5f,
     0x1.926972p-5f, 0x1.7b5f34p-5f, 0x1.66ccb8p-5f, 0x1.545298p-5f, 0x1.43a38ap-5f, 0x1.34805ap-5f, 0x1.26b4dp-5f, 0x1.1a1574p-5f,
     0x1.0e7dcep-5f, 0x1.03cf06p-5f, 0x1.f3ddc2p-6f, 0x1.e18ddcp-6f, 0x1.d087aep-6f, 0x1.c0a9c4p-6f, 0x1.b1d706p-6f, 0x1.a3f60ap-6f},
    {-0x1.38c34p-34f, 0x1.adfebp-27f, 0x1.05ca18p-32f, -0x1.a44352p-29f, 0x1.5a67c8p-28f, 0x1.8c32fp-30f, 0x1.18d518p-31f, -0x1.872864p-31f,
     -0x1.cdc094p-30f, -0x1.89c9a8p-29f, 0x1.698fc2p-29f, -0x1.b4c364p-29f, 0x1.8f5bb8p-29f, 0x1.6c579cp-31f, 0x1.c91a0ap-30f, 0x1.7b7d1cp-30f,
     0x1.7a6ddp-32f, -0x1.df6a1cp-30f, -0x1.18f91ep-31f, -0x1.a115cp-30f, 0x1.c8e1b4p-30f, -0x1.65c59ap-32f, -0x1.998b98p-32f, 0x1.c1f8dp-31f,
     -0x1.c4d908p-30f, -0x1.f87e24p-30f, 0x1.7a2aecp-32f, -0x1.e0dc9ep-32f, -0x1.23e5fcp-31f, -0x1.81a0f8p-34f, 0x1.a21a3ap-31f, 0x1.537b8ep-31f},
    {-0x1.988452p-2f, -0x1.cb063p-3f, -0x1.19524cp-3f, -0x1.71c04cp-4f, -0x1.00f9dap-4f, -0x1.75ab64p-5f, -0x1.19cef2p-5f, -0x1.b6038ap-6f,
     -0x1.5cf97cp-6f, -0x1.1be2c6p-6f, -0x1.d614ecp-7f, -0x1.8b1956p-7f, -0x1.5068c2p-7f, -0x1.21ae92p-7f, -0x1.f7d59ep-8f, -0x1.b9fa6ap-8f,
     -0x1.86b844p-8f, -0x1.5bcb3ep-8f, -0x1.378124p-8f, -0x1.188feep-8f, -0x1.fbf2dp-9f, -0x1.cdeeacp-9f, -0x1.a5dac2p-9f, -0x1.82bdeep-9f,
     -0x1.63cfc8p-9f, -0x1.486db4p-9f, -0x1.3012a8p-9f, -0x1.1a5102p-9f, -0x1.06cdbep-9f, -0x1.ea79b4p-10f, -0x1.cabcdap-10f, -0x1.adf8e8p-10f},
    {0x1.ffff84p-3f, 0x1.e681dap-4f, 0x1.fcc822p-5f, 0x1.204036p-5f, 0x1.5d3008p-6f, 0x1.bf399cp-7f, 0x1.2c08ccp-7f, 0x1.a29f04p-8f,
     0x1.2dda06p-8f, 0x1.bfbaeep-9f, 0x1.542a9ap-9f, 0x1.07e3eap-9f, 0x1.a0eee4p-10f, 0x1.4ea506p-10f, 0x1.106374p-10f, 0x1.c0f9dp-11f,
     0x1.7625d8p-11f, 0x1.3ae802p-11f, 0x1.0b6e0ap-11f, 0x1.c9eb62p-12f, 0x1.8af23ep-12f, 0x1.56ee3ep-12f, 0x1.2b9aa2p-12f, 0x1.073c62p-12f,
     0x1.d0fb62p-13f, 0x1.9ca852p-13f, 0x1.6fdc4p-13f, 0x1.494a52p-13f, 0x1.27e804p-13f, 0x1.0ade68p-13f, 0x1.e2fd92p-14f, 0x1.b6748cp-14f},
    {-0x1.104e6p-3f, -0x1.c1d506p-5f, -0x1.9afb8ap-6f, -0x1.997ee6p-7f, -0x1.b75ea4p-8f, -0x1.f6264ep-9f, -0x1.2ed3dep-9f, -0x1.7e835cp-10f,
     -0x1.f69e78p-11f, -0x1.55b9bcp-11f, -0x1.dea334p-12f, -0x1.57fa42p-12f, -0x1.f9cf42p-13f, -0x1.7b64dep-13f, -0x1.21a1cp-13f, -0x1.c1649ap-14f,
     -0x1.61827ep-14f, -0x1.19c6dcp-14f, -0x1.c621ccp-15f, -0x1.71f3a2p-15f, -0x1.3053acp-15f, -0x1.f8fe9ap-16f, -0x1.a656bcp-16f, -0x1.63d524p-16f,
     -0x1.2deb2ap-16f, -0x1.01abb4p-16f, -0x1.ba9cbcp-17f, -0x1.7df868p-17f, -0x1.4bac22p-17f, -0x1.210292p-17f, -0x1.fa3bb6p-18f, -0x1.bd7f72p-18f},
    {0x1.fe6f3ep-5f, 0x1.760b2cp-6f, 0x1.2f469ep-7f, 0x1.0d635cp-8f, 0x1.0302fep-9f, 0x1.0ac3b2p-10f, 0x1.2396eap-11f, 0x1.4fb79p-12f,
     0x1.94300ap-13f, 0x1.fa375ap-14f, 0x1.480b94p-14f, 0x1.b638a2p-15f, 0x1.2cab4ep-15f, 0x1.a6819ep-16f, 0x1.2f1cb6p-16f, 0x1.bb75bcp-17f,
     0x1.49b8bcp-17f, 0x1.f27e86p-18f, 0x1.7d8f9ap-18f, 0x1.28005ep-18f, 0x1.d0f89p-19f, 0x1.70d3bcp-19f, 0x1.278aeap-19f, 0x1.ddcd6ap-20f,
     0x1.85a2aep-20f, 0x1.3fd5eap-20f, 0x1.08d164p-20f, 0x1.b8d186p-21f, 0x1.720474p-21f, 0x1.377a64p-21f, 0x1.082068p-21f, 0x1.c2f358p-22f},
    {-0x1.a2b05cp-6f, -0x1.20dd82p-7f, -0x1.a3aa2p-9f, -0x1.4e5b04p-10f, -0x1.221fc6p-11f, -0x1.0f61dap-12f, -0x1.107fb4p-13f, -0x1.1bfb8ep-14f,
     -0x1.4050e8p-15f, -0x1.70adfcp-16f, -0x1.bd5128p-17f, -0x1.192f6ep-17f, -0x1.5b6822p-18f, -0x1.c058c4p-19f, -0x1.45415cp-19f, -0x1.910c92p-20f,
     -0x1.4302d6p-20f, -0x1.6bb21ep-21f, -0x1.81a91ap-21f, -0x1.23bc04p-21f, -0x1.6a8ap-22f, -0x1.0d0b8p-22f, -0x1.b35c4ep-23f, -0x1.5ee848p-23f,
     -0x1.6fe6bp-24f, -0x1.e43b44p-24f, -0x1.f3ca1ap-25f, -0x1.bc7236p-24f, -0x1.fb77e8p-27f, -0x1.2b3fd8p-24f, -0x1.e74df4p-25f, 0x1.e77b1cp-30f},
    {0x1.e8469ep-8f, 0x1.96a472p-9f, 0x1.0c2c96p-10f, 0x1.823c3cp-12f, 0x1.31c95p-13f, 0x1.055e7ap-14f, 0x1.e95cd6p-16f, 0x1.cdd366p-17f,
     0x1.eec696p-18f, 0x1.039f1cp-18f, 0x1.271a24p-19f, 0x1.5edb68p-20f, 0x1.91320ap-21f, 0x1.cc8054p-22f, 0x1.4d6ca4p-22f, 0x1.51a708p-23f,
     0x1.4923acp-23f, 0x1.b6161ep-25f, 0x1.71aab8p-24f, 0x1.262954p-24f, 0x1.ddf95p-26f, 0x1.9ce9c8p-26f, 0x1.e09bf4p-27f, 0x1.9d767ep-27f,
     0x1.c59b6p-29f, 0x1.bb10a8p-27f, 0x1.e35344p-29f, 0x1.74798cp-27f, -0x1.cd7982p-30f, 0x1.33c124p-27f, 0x1.be2b34p-28f, -0x1.62727ap-29f},
};

/* -a (GCC turns f32_fma(a, b, sm32_neg(c)) into one vfmsub) */
VM32_INLINE V sm32_neg(V a) { return v_mul(a, v_set1(-1.0f)); }

/* R(z) = R + *R_lo for 0 <= z <= 15.75 */
VM32_INLINE V sm32_gelu_tail_R(V z, V *R_lo) {
    const V magic = v_set1(0x1.8p23f);
    V kb = f32_fma(z, v_set1(2.0f), magic), r = f32_fma(v_sub(kb, magic), v_set1(-0.5f), z); /* exact */
    V c = f32_lookup32(SM32_GELU_TAIL[7], kb);
    int j;
    for (j = 6; j >= 2; j--) c = f32_fma(c, r, f32_lookup32(SM32_GELU_TAIL[j], kb));
    V c0 = f32_lookup32(SM32_GELU_TAIL[0], kb), R = f32_fma(c, r, c0);
    /* c0 - R is exact (Sterbenz: |c r| <= R / 4), so the FMA leaves R's rounding error */
    *R_lo = v_add(f32_fma(c, r, v_sub(c0, R)), f32_lookup32(SM32_GELU_TAIL[1], kb));
    return R;
}

/* e^(-z^2/2) = 2^floor(*s) (E + *E_lo), the argument -z^2/2 = t + t_lo exactly (FMA) */
VM32_INLINE V sm32_gauss(V z, V *E_lo, V *s) {
    V h = v_mul(z, v_set1(-0.5f)), t = v_mul(h, z);
    return vm32_exp_parts2(t, f32_fma(h, z, sm32_neg(t)), E_lo, s);
}

/* |x| clamped at 15.5 below 0 (the result underflows beyond) and at 6 above (the positive lanes'
 * scaled terms stay normal; the result is x itself, or 1 for the derivative) */
VM32_INLINE V sm32_gelu_z(V x, M negative) {
    V z = v_abs(x), limit = v_select(negative, v_set1(15.5f), v_set1(6.0f));
    return v_select(v_gt(z, limit), limit, z);
}

VM32_INLINE V OPF(gelu_native)(V x, const P *p) {
    M negative = v_lt(x, v_zero()), big = v_gt(x, v_set1(6.0f));
    V z = sm32_gelu_z(x, negative), R_lo, E_lo, s;
    V R = sm32_gelu_tail_R(z, &R_lo), E = sm32_gauss(z, &E_lo, &s);
    V Q = v_mul(E, R), Q_lo = v_add(f32_fma(E, R, sm32_neg(Q)), f32_fma(E_lo, R, v_mul(E, R_lo)));
    /* x < 0: -z (Q + Q_lo), rounded, then scaled */
    V mz = sm32_neg(z), below = vm32_scalef(f32_fma(mz, Q, v_mul(mz, Q_lo)), s);
    /* x >= 0: z (1 - q - q_lo) with q + q_lo = Phi(-z) <= 1/2, 1 - q = w + w_lo exactly (Fast2Sum);
     * x = -0.0 here too: its sign comes from xs = x (clamped at 6) */
    V q = vm32_scalef(Q, s), q_lo = vm32_scalef(Q_lo, s), one = v_set1(1.0f), w = v_sub(one, q);
    /* the negative lanes multiply +0 here (-inf times w_lo = 0 would raise "invalid") */
    V w_lo = v_sub(v_sub(v_sub(one, w), q), q_lo), xs = v_select(big, v_set1(6.0f), v_clear(negative, x));
    (void)p;
    return v_select(negative, below, v_select(big, x, f32_fma(xs, w, v_mul(xs, w_lo))));
}

/* gelu's derivative Phi(x) + x phi(x) = 2^floor(*s) E D for x < 0 and 1 - 2^floor(s) E D above,
 * D = R(z) - z / sqrt(2 pi), with gelu_native's tail (R's and E's low parts matter little here:
 * the result is held to its terms' size, Phi(x) + |x| phi(x), near the root at x = -0.75). */
VM32_INLINE V OPF(gelu_grad_native)(V x, const P *p, V *scale) {
    M negative = v_lt(x, v_zero());
    V z = sm32_gelu_z(x, negative), R_lo, E_lo, s;
    V R = sm32_gelu_tail_R(z, &R_lo), E = sm32_gauss(z, &E_lo, &s);
    V D = f32_fma(z, v_set1(-0x1.988454p-2f), R); /* 1/sqrt(2 pi) */
    V d = f32_fma(E, D, v_mul(E_lo, D));
    (void)p;
    *scale = v_keep(negative, s);
    return v_select(negative, d, v_sub(v_set1(1.0f), vm32_scalef(d, s)));
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

/* ---- sigmoid' and silu' from sigmoid's parts (shared with glu's and swiglu's gradients,
 * ops_gated.h): f'(x) = 2^S (F + F_lo) (N + N_lo) / (d + d_lo)^2, from e = e^-|x| = 2^s (E + E_lo)
 * and d + d_lo = 1 + e:
 *   sigmoid'(x) = e / d^2                                 F = E, S = s, N = 1
 *   silu'(x) = sigmoid(x) (1 + x sigmoid(-x))
 *            = (1 + e (1 + x)) / d^2, x >= 0:             F = 1, S = 0, N = d + x e
 *            = e (1 + e + x) / d^2, x < 0:                F = E, S = s, N = d + x
 * N + N_lo by TwoSum; 1 / d^2 = rcp^2 (1 + 2 c1), rcp = 1 / d rounded, c1 = 1 - rcp (d + d_lo)
 * (c1^2, left out, is below 2^-46); rcp^2, F N and the product carried with their errors by FMAs:
 * Y + Y_lo within 2^-44 of (F + F_lo) (N + N_lo) / (d + d_lo)^2. What remains is e's own error,
 * 2^-29 relative: through F and d it costs 2^-28; through N, 2^-29 e / |N|, where 1 + e + x
 * cancels near silu's minimum at x0 = -1.2785. Within 3/16 of x0, N comes from the expansion at
 * x0 instead (2^-40), and outside e / |N| <= 1.372: g (Y + Y_lo) 2^S rounded once is within
 * about 0.5 + 2^-29 (2 + 1.372) 2^24 = 0.61 ULP of g f' (0.5 + 2^-3.4 for sigmoid'). Over all 2^32
 * x (g = 1): sigmoid' 0.5283 ULP, silu' 0.6112 ULP (bench/accuracy.py). ---- */

/* x y = p + *lo exactly (where x y does not underflow) */
VM32_INLINE V sm32_two_product(V x, V y, V *lo) {
    V p = v_mul(x, y);
    *lo = f32_fms(x, y, p);
    return p;
}

/* 1 + e^x + x near its root x0 = -1.27846454 (x0 + 1 + e^x0 = 0; x0 in three floats, E0 = e^x0 =
 * -1 - x0): with h = x - x0, 1 + e^x + x = (1 + E0) h + E0 (e^h - 1 - h). h exactly as H + *lo'
 * (x - X0_HI is exact there, then Fast2Sum), (1 + E0) H with its error by an FMA, e^h - 1 - h by
 * its Taylor series to h^7 (the rest below 2^-35 of the sum for |h| <= 3/16): the sum as
 * returned + *lo within 2^-40 of itself, also where it vanishes. */
#define SM32_X0_HI -0x1.474974p+0f
#define SM32_X0_MID 0x1.bdf6fap-27f
#define SM32_X0_LO 0x1.03945ap-53f
#define SM32_E0 0x1.1d25d0p-2f
#define SM32_NEAR_X0 0.1875f
VM32_INLINE V sm32_silu_slope_near_root(V t, V *lo) {
    V h_hi = v_sub(t, v_set1(SM32_X0_HI)), H = v_sub(h_hi, v_set1(SM32_X0_MID));
    V H_lo = v_sub(v_sub(v_sub(h_hi, H), v_set1(SM32_X0_MID)), v_set1(SM32_X0_LO));
    V q = f32_fma(H, v_set1(1.0f / 5040.0f), v_set1(1.0f / 720.0f));
    q = f32_fma(q, H, v_set1(1.0f / 120.0f));
    q = f32_fma(q, H, v_set1(1.0f / 24.0f));
    q = f32_fma(q, H, v_set1(1.0f / 6.0f));
    q = f32_fma(q, H, v_set1(0.5f));
    V M_lo, Mh = sm32_two_product(v_set1(-SM32_X0_HI), H, &M_lo);
    V rest = f32_fma(v_set1(-SM32_X0_HI), H_lo, v_mul(v_set1(-SM32_X0_MID), H));
    *lo = v_add(v_add(M_lo, rest), v_mul(v_set1(SM32_E0), v_mul(v_mul(H, H), q)));
    return Mh;
}

/* F, F_lo, S (as sc) and N, N_lo of the table above */
VM32_INLINE V sm32_slope_sigmoid(V t, const sm32_logistic *l, V d, V *N_lo, V *F, V *F_lo, V *sc) {
    (void)t, (void)d;
    *F = l->E, *F_lo = l->E_lo, *sc = l->s, *N_lo = v_zero();
    return v_set1(1.0f);
}
VM32_INLINE V sm32_slope_silu(V t, const sm32_logistic *l, V d, V *N_lo, V *F, V *F_lo, V *sc) {
    M negative = v_lt(t, v_zero());
    /* t clamped to [-160, 160] (e is clamped there): no inf - inf for t = +inf */
    V tc = v_select(v_lt(t, v_set1(-160.0f)), v_set1(-160.0f), v_select(v_gt(t, v_set1(160.0f)), v_set1(160.0f), t));
    V u_lo, u = sm32_two_product(tc, v_select(negative, v_set1(1.0f), l->e), &u_lo);
    V N = v_add(d, u), back = v_sub(N, d);
    u_lo = f32_fma(tc, v_clear(negative, l->e_lo), u_lo);
    *N_lo = v_add(v_add(v_sub(d, v_sub(N, back)), v_sub(u, back)), v_add(l->d_lo, u_lo));
    *F = v_select(negative, l->E, v_set1(1.0f)), *F_lo = v_keep(negative, l->E_lo);
    *sc = v_keep(negative, l->s);
    M near = v_lt(v_abs(v_sub(t, v_set1(SM32_X0_HI))), v_set1(SM32_NEAR_X0));
    if (f32_any(near)) {
        V root_lo, root = sm32_silu_slope_near_root(t, &root_lo);
        N = v_select(near, root, N), *N_lo = v_select(near, root_lo, *N_lo);
    }
    return N;
}

/* (F + F_lo) (N + N_lo) / (d + d_lo)^2 as Y + *Y_lo, rcp = 1 / d rounded */
VM32_INLINE V sm32_slope_over_d2(V F, V F_lo, V N, V N_lo, V d, V d_lo, V rcp, V *Y_lo) {
    V c1 = f32_fnma(rcp, d_lo, f32_fnma(rcp, d, v_set1(1.0f)));
    V rr_lo, rr = sm32_two_product(rcp, rcp, &rr_lo);
    V X_lo, X = sm32_two_product(F, N, &X_lo);
    V Y = sm32_two_product(X, rr, Y_lo);
    X_lo = v_add(X_lo, f32_fma(F, N_lo, v_mul(F_lo, N)));
    *Y_lo = v_add(*Y_lo, f32_fma(X_lo, rr, v_mul(X, f32_fma(v_add(c1, c1), rr, rr_lo))));
    return Y;
}

/* f'(x) = 2^floor(*s) (returned + *lo) for RECT_DEFINE_GRAD_PAIR_FN (loops.h). sigmoid': N = 1,
 * so F N / d^2 is E rcp^2 (1 + 2 c1) + E_lo rcp^2 directly (the general form's F N product left
 * out: seven operations fewer per vector). */
VM32_INLINE V OPF(sigmoid_grad_native)(V x, const P *p, V *lo, V *s) {
    sm32_logistic l;
    V d = sm32_logistic_denominator(x, &l), rcp = v_div(v_set1(1.0f), d);
    V c1 = f32_fnma(rcp, l.d_lo, f32_fnma(rcp, d, v_set1(1.0f)));
    V rr_lo, rr = sm32_two_product(rcp, rcp, &rr_lo), Y = sm32_two_product(l.E, rr, lo);
    *lo = v_add(*lo, f32_fma(l.E, f32_fma(v_add(c1, c1), rr, rr_lo), v_mul(l.E_lo, rr)));
    *s = l.s;
    (void)p;
    return Y;
}

/* silu': 0 (for the kernel's float64 route) below x = -160, where e is clamped, and for NaN;
 * above 160 it is 1 to float32 precision, as computed */
VM32_INLINE V OPF(silu_grad_native)(V x, const P *p, V *lo, V *s) {
    sm32_logistic l;
    V d = sm32_logistic_denominator(x, &l), N_lo, F, F_lo, N = sm32_slope_silu(x, &l, d, &N_lo, &F, &F_lo, s);
    V Y = sm32_slope_over_d2(F, F_lo, N, N_lo, d, l.d_lo, v_div(v_set1(1.0f), d), lo);
    (void)p;
    return v_keep(v_ge(x, v_set1(-160.0f)), Y);
}

/* NaN in, that same NaN out (see ops_smooth.h's SM_PINNED) */
#define SM32_PINNED(op)                                                                           \
    VM32_INLINE V OPF(RECT_CAT(op, _native_pinned))(V x, const P *p) {                             \
        return v_select(v_isnan(x), x, OPF(RECT_CAT(op, _native))(x, p));                       \
    }
RECT_F32_NATIVE_SMOOTH_OPS(SM32_PINNED)
#undef SM32_PINNED
