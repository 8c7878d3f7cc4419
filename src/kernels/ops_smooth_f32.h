/* elu, celu, selu, sigmoid, silu, tanh, tanhshrink, gelu, hardsigmoid and hardswish computed natively in float32 (8 lanes on AVX2, 4 on NEON),
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

/* ---- tanh(x) = sign(x) t, z = |x|, without an exponential (tools/fit_tanh_f32.py):
 * z < 1/2: t = z + z^3 P(z^2), P of degree 5 (z^3 P is at most 8.2% of t, so its roundings
 * count that much less than the last one). 1/2 <= z < 8: 4 binades of 8 intervals, slot j =
 * bits(z) >> 20 mod 32 (the exponent's low 2 bits and the significand's top 3; vpermt2ps on
 * AVX-512); in each a centre c whose tanh is within 2^-11 ULP of a float32 c0, r = z - c exact
 * (Sterbenz), t = c0 + r q(r) in one FMA, q of degree 4 (|r q| <= 0.06 t). z is clamped at 9.5
 * (float32 tanh is 1 from 9.0109 on) and the index at the float below 8: the last interval's
 * polynomial covers [7.5, 9.5]. The polynomials are within 0.02 ULP before the float32
 * evaluation; the sign of a zero kept, +-1 exactly from 9.0109 on. ---- */
#define SM32_TANH_CLAMP 9.5f
#define SM32_TANH_INDEX_MAX 0x1.fffffep2f /* the float below 8 */

/* rows c, c0 = tanh(c) rounded, c1..c5, by slot */
static const float SM32_TANH_TABLE[7][32] = {
    {0x1.0ffa5ep+1f, 0x1.300306p+1f, 0x1.4fff6p+1f, 0x1.6fffap+1f, 0x1.900638p+1f, 0x1.afffbp+1f, 0x1.d001c8p+1f, 0x1.effefap+1f,
     0x1.0fffdap+2f, 0x1.2ffe1ep+2f, 0x1.4fff82p+2f, 0x1.6ffdbep+2f, 0x1.9002fp+2f, 0x1.b00038p+2f, 0x1.cfdb16p+2f, 0x1.f12dc8p+2f,
     0x1.10067p-1f, 0x1.3002f2p-1f, 0x1.4fffbcp-1f, 0x1.6ff1b4p-1f, 0x1.8ffd6ap-1f, 0x1.b00214p-1f, 0x1.d00148p-1f, 0x1.f00048p-1f,
     0x1.100146p+0f, 0x1.3000eep+0f, 0x1.5003c4p+0f, 0x1.6ff9acp+0f, 0x1.900062p+0f, 0x1.affc02p+0f, 0x1.cffe8cp+0f, 0x1.f0015ap+0f},
    {0x1.f1980ep-1f, 0x1.f737ep-1f, 0x1.faa786p-1f, 0x1.fcc048p-1f, 0x1.fe071cp-1f, 0x1.fecd6ap-1f, 0x1.ff45fcp-1f, 0x1.ff8f2p-1f,
     0x1.ffcaacp-1f, 0x1.ffec6p-1f, 0x1.fff8c8p-1f, 0x1.fffd58p-1f, 0x1.ffff06p-1f, 0x1.ffffa4p-1f, 0x1.ffffdep-1f, 0x1.fffff4p-1f,
     0x1.f20be6p-2f, 0x1.10b164p-1f, 0x1.26d742p-1f, 0x1.3b6d1ap-1f, 0x1.4e8c0ep-1f, 0x1.602722p-1f, 0x1.704c5p-1f, 0x1.7f0e3ap-1f,
     0x1.92c0acp-1f, 0x1.a8dc6p-1f, 0x1.bad6fp-1f, 0x1.c94e14p-1f, 0x1.d4e714p-1f, 0x1.de1dbp-1f, 0x1.e56b24p-1f, 0x1.eb2e36p-1f},
    {0x1.c681fap-5f, 0x1.169b0cp-5f, 0x1.54554ap-6f, 0x1.9e8a3ap-7f, 0x1.f7eb1p-8f, 0x1.323a36p-8f, 0x1.73c46cp-9f, 0x1.c34e3cp-10f,
     0x1.aa89cap-11f, 0x1.39f9fap-12f, 0x1.cdfcbep-14f, 0x1.53ff1p-15f, 0x1.f3fff8p-17f, 0x1.7000d2p-18f, 0x1.0ffdfep-19f, 0x1.805fd4p-21f,
     0x1.86e1b6p-1f, 0x1.6ec348p-1f, 0x1.56367p-1f, 0x1.3dad2ap-1f, 0x1.25672p-1f, 0x1.0dca2ep-1f, 0x1.ee2484p-2f, 0x1.c2d46ep-2f,
     0x1.865e52p-2f, 0x1.3ee544p-2f, 0x1.01f516p-2f, 0x1.9e304ap-3f, 0x1.4a449cp-3f, 0x1.061a3ep-3f, 0x1.9e4374p-4f, 0x1.4656d2p-4f},
    {-0x1.b9b81p-5f, -0x1.11d39ap-5f, -0x1.50c772p-6f, -0x1.9be88ap-7f, -0x1.f5f9cp-8f, -0x1.318298p-8f, -0x1.733d0ap-9f, -0x1.c2ea5cp-10f,
     -0x1.aa577ap-11f, -0x1.39e994p-12f, -0x1.cdefcap-14f, -0x1.53f88ep-15f, -0x1.f3f808p-17f, -0x1.6ffb6cp-18f, -0x1.0ffa24p-19f, -0x1.81e58ep-21f,
     -0x1.7c3aap-2f, -0x1.86adap-2f, -0x1.8a2244p-2f, -0x1.876b76p-2f, -0x1.7f6d1p-2f, -0x1.731f3ep-2f, -0x1.6373e6p-2f, -0x1.514a7p-2f,
     -0x1.3312fcp-2f, -0x1.089f24p-2f, -0x1.be39c6p-3f, -0x1.71f148p-3f, -0x1.2e77cap-3f, -0x1.e9836ap-4f, -0x1.88c196p-4f, -0x1.3911b6p-4f},
    {0x1.15c9d8p-5f, 0x1.60860ep-6f, 0x1.b7a36ap-7f, 0x1.0f1d9p-7f, 0x1.4c11f6p-8f, 0x1.9570dep-9f, 0x1.ed947ap-10f, 0x1.2c17d2p-10f,
     0x1.1c016p-11f, 0x1.a27038p-13f, 0x1.33efp-14f, 0x1.c54a94p-16f, 0x1.4d512cp-17f, 0x1.eaa7c4p-19f, 0x1.6aa8d4p-20f, 0x1.f1876p-22f,
     -0x1.2e9e34p-4f, -0x1.2374cp-5f, -0x1.2ce9a8p-10f, 0x1.d5b3e2p-6f, 0x1.b7779p-5f, 0x1.2d96e2p-4f, 0x1.6be5c4p-4f, 0x1.9846f8p-4f,
     0x1.bdb802p-4f, 0x1.c52504p-4f, 0x1.abf4eep-4f, 0x1.80b856p-4f, 0x1.4dd642p-4f, 0x1.1a61e8p-4f, 0x1.d48e2cp-5f, 0x1.7f1e48p-5f},
    {-0x1.eb4a52p-7f, -0x1.48576ep-7f, -0x1.a5df8ap-8f, -0x1.08c43ep-8f, -0x1.47b45cp-9f, -0x1.92a03p-10f, -0x1.ec028ep-11f, -0x1.2bd278p-11f,
     -0x1.1e7c9ap-12f, -0x1.a68e58p-14f, -0x1.3716fap-15f, -0x1.ca010ap-17f, -0x1.50cd9cp-18f, -0x1.efcb8ep-20f, -0x1.6e70d6p-21f, -0x1.88ccp-23f,
     0x1.46f806p-3f, 0x1.2b2ef6p-3f, 0x1.0810d8p-3f, 0x1.c18552p-4f, 0x1.6facdep-4f, 0x1.1f731p-4f, 0x1.a88062p-5f, 0x1.20b6d8p-5f,
     0x1.d9a13p-7f, -0x1.6d9fb8p-8f, -0x1.219d0ep-6f, -0x1.834252p-6f, -0x1.9fed18p-6f, -0x1.91dbd6p-6f, -0x1.6caf8ap-6f, -0x1.3da396p-6f},
    {0x1.25d61ep-8f, 0x1.c001d2p-9f, 0x1.33e54ep-9f, 0x1.914108p-10f, 0x1.fbaae2p-11f, 0x1.3bc388p-11f, 0x1.84d8dep-12f, 0x1.dc02cep-13f,
     0x1.c780bp-14f, 0x1.50919ap-15f, 0x1.f0056p-17f, 0x1.6d2c44p-18f, 0x1.0cb50ap-19f, 0x1.8b75bp-21f, 0x1.2330d8p-22f, 0x1.14b188p-25f,
     -0x1.2736eap-5f, -0x1.99a7f8p-5f, -0x1.e34518p-5f, -0x1.03831cp-4f, -0x1.05385p-4f, -0x1.f458d8p-5f, -0x1.cbeafap-5f, -0x1.97dcfcp-5f,
     -0x1.4051bp-5f, -0x1.9e2916p-6f, -0x1.c7e42ap-7f, -0x1.745402p-8f, -0x1.572e88p-12f, 0x1.6b21e4p-9f, 0x1.18b65ap-8f, 0x1.390acep-8f},
};

/* P(w), highest degree first */
static const float SM32_TANH_SMALL[6] = {0x1.71a3d4p-9f, -0x1.1e7a22p-7f, 0x1.66752p-6f, -0x1.ba248ep-5f, 0x1.111144p-3f, -0x1.555556p-2f};

/* c0 + r q(r) from a table of rows c, c0, c1..c5 by slot, for 1/2 <= z <= 9.5 (any value below) */
VM32_INLINE V sm32_tanh_table(const float (*table)[32], V z) {
    V j = f32_shr_bits(f32_min_bits(z, v_set1(SM32_TANH_INDEX_MAX)), 20);
    V r = v_sub(z, f32_lookup32(table[0], j)), q = f32_lookup32(table[6], j);
    int i;
    for (i = 5; i >= 2; i--) q = f32_fma(q, r, f32_lookup32(table[i], j));
    return f32_fma(r, q, f32_lookup32(table[1], j));
}

VM32_INLINE V OPF(tanh_native)(V x, const P *p) {
    /* a bit minimum: z >= +0, and a NaN (pinned by SM32_PINNED) becomes 9.5, raising nothing */
    V z = f32_min_bits(v_abs(x), v_set1(SM32_TANH_CLAMP)), w = v_mul(z, z), s = v_set1(SM32_TANH_SMALL[0]);
    int i;
    for (i = 1; i < 6; i++) s = f32_fma(s, w, v_set1(SM32_TANH_SMALL[i]));
    V t = v_select(v_lt(z, v_set1(0.5f)), f32_fma(v_mul(w, z), s, z), sm32_tanh_table(SM32_TANH_TABLE, z));
    (void)p;
    return f32_bitselect(v_set1(-0.0f), x, t);
}

/* ---- tanhshrink(x) = sign(x) s, s = z - tanh z, with tanh's evaluator (tools/fit_tanh_f32.py):
 * 1/2 <= z <= 9.5: the same intervals, centres c where c - tanh c is within 2^-11 ULP of a float32
 * d0 (and tanh(c)^2, g's constant term, near a float32), s = d0 + r g(r) in one FMA (|r g| <= 0.2
 * s, no cancellation: d0 holds it). Above 9.5, z - 1 (tanh z is within 2^-27 of 1). Below 1/2,
 * s = z^3 (1/3 + w Q(w)), w = z^2, Q of degree 5 (within 2^-27.5), carried in two parts: w +
 * w_lo = z^2 exactly, h + h_lo = 1/3 + w Q (Fast2Sum), u + u_lo = w (h + h_lo), s = z (u + u_lo)
 * rounded once, formed at 2^30 times its size (z u_lo would underflow) and scaled back. ---- */

/* rows c, d0 = c - tanh c rounded, g1..g5, by slot */
static const float SM32_TANHSHRINK_TABLE[7][32] = {
    {0x1.0f6c6ep+1f, 0x1.2f2b92p+1f, 0x1.4f59bp+1f, 0x1.70fd88p+1f, 0x1.8f60eep+1f, 0x1.b04752p+1f, 0x1.d0c52p+1f, 0x1.f1085p+1f,
     0x1.0efe44p+2f, 0x1.30f9cep+2f, 0x1.50fb9p+2f, 0x1.6f9dd6p+2f, 0x1.8f40a6p+2f, 0x1.aea3d2p+2f, 0x1.d1c9fcp+2f, 0x1.e7fd42p+2f,
     0x1.0fe3acp-1f, 0x1.2f67bcp-1f, 0x1.4ffecap-1f, 0x1.712728p-1f, 0x1.8fa2bap-1f, 0x1.b0689cp-1f, 0x1.cf8392p-1f, 0x1.f0c64ep-1f,
     0x1.105602p+0f, 0x1.2f3fccp+0f, 0x1.4fa136p+0f, 0x1.70a33ep+0f, 0x1.90106cp+0f, 0x1.b01096p+0f, 0x1.cf1d12p+0f, 0x1.efc0e4p+0f},
    {0x1.261ca6p+0f, 0x1.62c9f4p+0f, 0x1.a16688p+0f, 0x1.e3948cp+0f, 0x1.0fe06ep+1f, 0x1.3093a2p+1f, 0x1.50f314p+1f, 0x1.712414p+1f,
     0x1.9e0a4ap+1f, 0x1.e1f85ep+1f, 0x1.10fc7p+2f, 0x1.2f9e2cp+2f, 0x1.4f40c6p+2f, 0x1.6ea3dep+2f, 0x1.91cap+2f, 0x1.a7fd44p+2f,
     0x1.6f8448p-5f, 0x1.f2598cp-5f, 0x1.49414ep-4f, 0x1.a7d2a4p-4f, 0x1.052aa8p-3f, 0x1.402deap-3f, 0x1.7dcfdap-3f, 0x1.c583fap-3f,
     0x1.1b559cp-2f, 0x1.6c379cp-2f, 0x1.c93a68p-2f, 0x1.17b3fap-1f, 0x1.4b3498p-1f, 0x1.81fe38p-1f, 0x1.b8fcc2p-1f, 0x1.f45ddap-1f},
    {0x1.e35a66p-1f, 0x1.ee5c54p-1f, 0x1.f541f4p-1f, 0x1.f99f2ep-1f, 0x1.fc05fcp-1f, 0x1.fd9e36p-1f, 0x1.fe90a2p-1f, 0x1.ff21f8p-1f,
     0x1.ff91f6p-1f, 0x1.ffd9fp-1f, 0x1.fff2p-1f, 0x1.fffaap-1f, 0x1.fffep-1f, 0x1.ffff4p-1f, 0x1.ffffcp-1f, 0x1.ffffep-1f,
     0x1.e411e2p-3f, 0x1.218c9cp-2f, 0x1.5391acp-2f, 0x1.867eb2p-2f, 0x1.b4a9e8p-2f, 0x1.e5003ep-2f, 0x1.08967p-1f, 0x1.1f1826p-1f,
     0x1.3d3668p-1f, 0x1.5fc55ap-1f, 0x1.7eaf78p-1f, 0x1.98ee34p-1f, 0x1.ad7852p-1f, 0x1.be8346p-1f, 0x1.cbe0d2p-1f, 0x1.d7216cp-1f},
    {0x1.bd57c6p-5f, 0x1.155338p-5f, 0x1.542156p-6f, 0x1.95a76ap-7f, 0x1.fb06dp-8f, 0x1.302f1ep-8f, 0x1.6ed9ecp-9f, 0x1.bbb0dep-10f,
     0x1.b7f804p-11f, 0x1.3083d2p-12f, 0x1.bfff4p-14f, 0x1.57fc5cp-15f, 0x1.fffc36p-17f, 0x1.7fef5p-18f, 0x1.ff5b04p-20f, 0x1.fc8824p-21f,
     0x1.7c2b32p-2f, 0x1.868c2cp-2f, 0x1.8a2242p-2f, 0x1.873544p-2f, 0x1.7f8a2ep-2f, 0x1.72f1ep-2f, 0x1.63b6d4p-2f, 0x1.50d3ep-2f,
     0x1.32a448p-2f, 0x1.099f9ap-2f, 0x1.bf3104p-3f, 0x1.707386p-3f, 0x1.2e586ap-3f, 0x1.e93f52p-4f, 0x1.8b2e44p-4f, 0x1.39a28ap-4f},
    {-0x1.17ec62p-5f, -0x1.64dddcp-6f, -0x1.bbeac2p-7f, -0x1.0b0e98p-7f, -0x1.4f6256p-8f, -0x1.93b47p-9f, -0x1.e7d01ep-10f, -0x1.26ebe4p-10f,
     -0x1.2543a2p-11f, -0x1.901448p-13f, -0x1.29437ep-14f, -0x1.caae54p-16f, -0x1.555a5ap-17f, -0x1.fde092p-19f, -0x1.61a88ep-20f, -0x1.3e2c48p-21f,
     0x1.2f4f74p-4f, 0x1.291fc4p-5f, 0x1.2e4e56p-10f, -0x1.e6a5bap-6f, -0x1.b562c8p-5f, -0x1.2e7c16p-4f, -0x1.6b1312p-4f, -0x1.99288cp-4f,
     -0x1.be04bep-4f, -0x1.c5678p-4f, -0x1.ac6426p-4f, -0x1.7fb78ap-4f, -0x1.4dbb76p-4f, -0x1.1a42ecp-4f, -0x1.d70efap-5f, -0x1.7fbe7p-5f},
    {0x1.ee664ep-7f, 0x1.4beb4ep-7f, 0x1.a99e22p-8f, 0x1.04d154p-8f, 0x1.4ac4aep-9f, 0x1.90b98ep-10f, 0x1.e629cp-11f, 0x1.255726p-11f,
     0x1.2696dap-12f, 0x1.8d9894p-14f, 0x1.2a6118p-15f, 0x1.ce641ep-17f, 0x1.581e0ep-18f, 0x1.0520bap-19f, 0x1.87d5ccp-21f, 0x1.e10fcp-23f,
     -0x1.4716e2p-3f, -0x1.2bd016p-3f, -0x1.08142cp-3f, -0x1.be695ap-4f, -0x1.708308p-4f, -0x1.1e7802p-4f, -0x1.aa9fccp-5f, -0x1.1d6d4ep-5f,
     -0x1.d0c472p-7f, 0x1.565edap-8f, 0x1.201bfap-6f, 0x1.849d02p-6f, 0x1.a00474p-6f, 0x1.91d6f8p-6f, 0x1.6dfd16p-6f, 0x1.3e06bp-6f},
    {-0x1.25b37p-8f, -0x1.bed18ep-9f, -0x1.35579cp-9f, -0x1.8a87aap-10f, -0x1.ff169ep-11f, -0x1.36b244p-11f, -0x1.74cfe4p-12f, -0x1.4bd76p-12f,
     -0x1.b6859ap-14f, -0x1.5f8efap-14f, -0x1.4ab60cp-16f, -0x1.6c8afp-18f, -0x1.0e9134p-19f, -0x1.1185dcp-20f, 0x1.1c89ep-21f, -0x1.435974p-25f,
     0x1.2a7294p-5f, 0x1.a0677ap-5f, 0x1.d5e72ep-5f, 0x1.093ec8p-4f, 0x1.ddafc6p-5f, 0x1.ef1b68p-5f, 0x1.be2e54p-5f, 0x1.b3fe8p-5f,
     0x1.3e94a8p-5f, 0x1.9ca026p-6f, 0x1.c7a034p-7f, 0x1.7794bcp-8f, 0x1.332c1cp-13f, -0x1.40edbcp-9f, -0x1.2eb8fap-8f, -0x1.3852bp-8f},
};

/* Q(w), highest degree first */
static const float SM32_TANHSHRINK_SMALL[6] = {0x1.32464p-10f, -0x1.cffd9ep-9f, 0x1.224eap-7f, -0x1.664ee8p-6f, 0x1.ba1ba2p-5f, -0x1.111112p-3f};

VM32_INLINE V OPF(tanhshrink_native)(V x, const P *p) {
    /* zt: z clamped at 1/2 for the branch below 1/2, whose scaled products would overflow beyond */
    V a = v_abs(x), z = f32_min_bits(a, v_set1(SM32_TANH_CLAMP)), zt = f32_min_bits(z, v_set1(0.5f)), w = v_mul(zt, zt);
    V w_lo = f32_fma(zt, zt, v_sub(v_zero(), w)), q = v_set1(SM32_TANHSHRINK_SMALL[0]);
    int i;
    for (i = 1; i < 6; i++) q = f32_fma(q, w, v_set1(SM32_TANHSHRINK_SMALL[i]));
    V wq = v_mul(w, q), h = v_add(v_set1(SM32_THIRD), wq);
    V h_lo = v_add(v_add(v_sub(v_set1(SM32_THIRD), h), wq), v_set1(SM32_THIRD_LO));
    V u = v_mul(w, h), u_lo = v_add(f32_fma(w, h, v_sub(v_zero(), u)), f32_fma(w_lo, h, v_mul(w, h_lo)));
    V zb = v_mul(zt, v_set1(0x1p30f)), small = v_mul(f32_fma(zb, u, v_mul(zb, u_lo)), v_set1(0x1p-30f));
    /* a subnormal result (z < 2^-41.4) in units of 2^-149, rounded to a whole number n once:
     * n = zs u rounded (the magic number's ULP is 1), then moved by one where the residual d =
     * zs (u + u_lo) - n passes +-1/2 (z clamped at 2^-40 there: no overflow in the other lanes) */
    const V magic = v_set1(0x1p23f); /* n + 2^23 for 0 <= n < 2^23 has an ULP of 1 */
    V zs = v_mul(v_mul(f32_min_bits(zt, v_set1(0x1p-40f)), v_set1(0x1p126f)), v_set1(0x1p23f));
    V n = v_sub(f32_fma(zs, u, magic), magic);
    V d = f32_fma(zs, u_lo, f32_fma(zs, u, v_sub(v_zero(), n)));
    n = v_select(v_gt(d, v_set1(0.5f)), v_add(n, v_set1(1.0f)), v_select(v_lt(d, v_set1(-0.5f)), v_sub(n, v_set1(1.0f)), n));
    /* n 2^-149 in two exact steps: a subnormal constant would cost a microcode assist on AVX2 */
    small = v_select(v_lt(small, v_set1(0x1p-126f)), v_mul(v_mul(n, v_set1(0x1p-75f)), v_set1(0x1p-74f)), small);
    M huge = v_gt(a, v_set1(SM32_TANH_CLAMP)); /* z - 1 on +0 elsewhere: a NaN raises nothing */
    V s = v_select(v_lt(z, v_set1(0.5f)), small,
                   v_select(huge, v_sub(v_keep(huge, a), v_set1(1.0f)), sm32_tanh_table(SM32_TANHSHRINK_TABLE, z)));
    (void)p;
    return f32_bitselect(v_set1(-0.0f), x, s);
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
