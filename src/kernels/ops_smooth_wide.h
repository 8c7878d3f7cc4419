/* The smooth rectifiers for float32 and float16 results, computed in float64 arithmetic sized
 * for a float32 result: each float32 vector is widened to float64 (loops.h), these ops run, and the
 * result is rounded to float32 once.
 *
 * Why this is enough for 1 ULP, with no error analysis per input: the float64 value before the
 * final rounding is within 2^-27 relative of the true result (polynomials below near-minimax to
 * 2^-28.5 or better, the float64 roundings at 2^-53 each), which is 2^-3 of a float32 ULP at
 * most, so the rounded result is within 0.5 + 2^-3 ULP. In float64, e^-150 and every other
 * intermediate is a normal number: subnormal float32 results are rounded once, from an accurate
 * value, with no scaling tricks. bench/accuracy.py checks every path over all 2^32 inputs.
 *
 * Included by instantiate.h in the float64 instantiation (V is f64_v), after ops_smooth.h. Uses
 * the fused multiply-add of the shim (f64_fma: the same IEEE operation on every path, so the paths
 * agree bit for bit). Arguments are clamped with ordered compares (a NaN passes through, and the
 * callers return x's own NaN: SM_PINNED); no discarded lane overflows.
 */

#define VW_LN2 0x1.62e42fefa39efp-1
/* Inlined into the kernel loops, so that the constants stay in registers across its calls
 * (vmath_f32.h's always-inline, which MSVC spells __forceinline) */
#define VW_INLINE VM32_INLINE

/* e^z as a float64 within 2^-29 relative, for z in [-700, 700] (callers clamp): n = round(z / ln 2)
 * in the low bits of k = z log2(e) + 0x1.8p52 (rounded by the fused add), r = z - n ln 2 (|r| <=
 * 0.347; n ln 2's error, below 2^-44, is lost in the rounding), e^r by a degree-6 polynomial
 * (near-minimax, 2^-29 relative), and 2^n added to the exponent field. */
VW_INLINE V vw_exp(V z) {
    const V magic = v_set1(0x1.8p52);
    V k = f64_fma(z, v_set1(VM_LOG2E), magic);
    V r = f64_fma(v_sub(k, magic), v_set1(-VW_LN2), z);
    V r2 = v_mul(r, r); /* Estrin's scheme: a dependency chain of 4, not Horner's 6 */
    V p01 = f64_fma(v_set1(0x1.0000009c0c94ep+0), r, v_set1(0x1.0000000261c0bp+0));
    V p23 = f64_fma(v_set1(0x1.55540a6b677d3p-3), r, v_set1(0x1.fffffaae3944ap-2));
    V p456 = f64_fma(f64_fma(v_set1(0x1.6ab909168864cp-10), r, v_set1(0x1.126d16c85ad50p-7)), r,
                     v_set1(0x1.55589b006a813p-5));
    V p = f64_fma(f64_fma(p456, r2, p23), r2, p01);
    return f64_scale_exponent(p, k);
}

/* log(1 + e) within 2^-31 relative for e in [0, 1], with no division: n = round(15 (1 + e)) in
 * [15, 30] (its low 4 bits, distinct for the 16 values, pick the table entry), c = 15 / n,
 * log(1 + e) = log(c) + log1p(r), r = (1 + e) / c - 1 = e inv + (inv - 1) in one FMA (inv = 1/c
 * rounded, inv - 1 exact, log(c) = -log(inv) for that rounded inv), |r| <= 1/30, log1p(r) by
 * its Taylor polynomial to r^6 (truncation r^6 / 7 relative, 2^-32). For n = 15, inv = 1 and
 * log(c) = 0: r = e exactly, and the result keeps its relative accuracy however small e is. */
#ifndef VW_LOG1P_TABLE_DEFINED
#define VW_LOG1P_TABLE_DEFINED
static const double VW_LOG1P_INV[16] = {
    0x1.e000000000000p-1, 0x1.c3c3c3c3c3c3cp-1, 0x1.aaaaaaaaaaaabp-1, 0x1.9435e50d79436p-1,
    0x1.8000000000000p-1, 0x1.6db6db6db6db7p-1, 0x1.5d1745d1745d1p-1, 0x1.4de9bd37a6f4ep-1,
    0x1.4000000000000p-1, 0x1.3333333333333p-1, 0x1.2762762762762p-1, 0x1.1c71c71c71c72p-1,
    0x1.1249249249249p-1, 0x1.08d3dcb08d3ddp-1, 0x1.0000000000000p-1, 0x1.0000000000000p+0,
};
static const double VW_LOG1P_LOGC[16] = { /* -log(VW_LOG1P_INV[j]) */
    0x1.08598b59e3a07p-4, 0x1.005588ad375aep-3, 0x1.7565011e49675p-3, 0x1.e41fccb76b0d7p-3,
    0x1.269621134db92p-2, 0x1.588c2d913348fp-2, 0x1.882f1ef83ed45p-2, 0x1.b5b3e24235e88p-2,
    0x1.e148a1a2726cep-2, 0x1.058aefa811452p-1, 0x1.199fac68b4ab8p-1, 0x1.2cf25fad8f1c3p-1,
    0x1.3f91275240811p-1, 0x1.5188a4a02d7fep-1, 0x1.62e42fefa39efp-1, 0x0.0p+0,
};
#endif
VW_INLINE V vw_log1p_unit(V e) {
    V k = f64_fma(e, v_set1(15.0), v_set1(0x1.8p52 + 15.0)); /* n in the low bits */
    V inv = f64_table16(VW_LOG1P_INV, k);
    V r = f64_fma(e, inv, v_sub(inv, v_set1(1.0))), r2 = v_mul(r, r);
    V hi = f64_fma(r2, v_set1(-1.0 / 6.0), f64_fma(r, v_set1(1.0 / 5.0), v_set1(-1.0 / 4.0)));
    V lo = f64_fma(r2, hi, f64_fma(r, v_set1(1.0 / 3.0), v_set1(-1.0 / 2.0)));
    return v_add(f64_table16(VW_LOG1P_LOGC, k), f64_fma(r2, lo, r));
}

/* e^-|x|, |x| clamped at 160 (the float32 results are then 0, 1 or x to every precision) */
VW_INLINE V vw_exp_minus_abs(V x) {
    V z = v_abs(x);
    return vw_exp(v_sub(v_zero(), v_select(v_gt(z, v_set1(160.0)), v_set1(160.0), z)));
}

/* 1 / (1 + e^-x): e^-|x| / (1 + e^-|x|) for x < 0 */
VW_INLINE V OPF(sigmoid_for_float32)(V x, const P *p) {
    V e = vw_exp_minus_abs(x);
    (void)p;
    return v_div(v_select(v_lt(x, v_zero()), e, v_set1(1.0)), v_add(v_set1(1.0), e));
}

/* log(1 + e^(beta x)) / beta = (max(z, 0) + log1p(e^-|z|)) / beta, z = beta x; x where z >
 * threshold (b; +inf when there is none) and where z > 2^30 (the log1p term is below half an ULP
 * of x there, and z may have overflowed) */
VW_INLINE V OPF(softplus_for_float32)(V x, const P *p) {
    V z = v_mul(p->a, x);
    V l = vw_log1p_unit(vw_exp_minus_abs(z));
    M itself = v_or(v_gt(z, p->b), v_gt(z, v_set1(0x1p30)));
    /* times 1 / beta (a loop constant): 2^-52 from the quotient */
    return v_select(itself, x, v_mul(v_add(v_keep(v_gt(z, v_zero()), z), l), v_div(v_set1(1.0), p->a)));
}

/* log sigmoid(x) = -(log1p(e^-|x|) - min(x, 0)), negated last (-0.0 where it underflows) */
VW_INLINE V OPF(log_sigmoid_for_float32)(V x, const P *p) {
    V l = vw_log1p_unit(vw_exp_minus_abs(x));
    (void)p;
    return v_mul(v_set1(-1.0), v_sub(l, v_keep(v_lt(x, v_zero()), x)));
}

/* x tanh(softplus(x)), with e = e^-|x| (sm_tanh_softplus's forms, no cancellation in either):
 * x (1 + 2e) / (1 + 2e + 2e^2) for x >= 0, x w / (w + 2), w = e (e + 2), for x < 0. x clamped
 * at -160 (mish(-inf) = -0.0). */
VW_INLINE V OPF(mish_for_float32)(V x, const P *p) {
    V e = vw_exp_minus_abs(x), two = v_set1(2.0), one_2e = f64_fma(two, e, v_set1(1.0));
    M negative = v_lt(x, v_zero());
    V w = v_mul(e, v_add(e, two));
    V n = v_select(negative, w, one_2e), d = v_select(negative, v_add(w, two), f64_fma(v_mul(two, e), e, one_2e));
    V xc = v_select(v_lt(x, v_set1(-160.0)), v_set1(-160.0), x);
    (void)p;
    return v_div(v_mul(xc, n), d);
}

/* gelu's tanh form as x sigmoid(2u), 2u = 2 sqrt(2/pi) (x + 0.044715 x^3) (ops_smooth.h): 2u
 * in float64 is within 2^-52 relative, and e^(2u) then within |2u| 2^-52 (|2u| <= 160 where it
 * matters). x is clamped to [-20, 20]: beyond, float32 gelu is x or -0.0. A native float32 form
 * (2u in two parts by TwoSum and FMAs, then silu's two-part quotient) passed the sampled sweep
 * but ran at 0.8 times this one's speed on AVX-512 and on AVX2: carrying 2u and e^(2u) in two parts
 * costs as many operations as float64 does. */
VW_INLINE V vw_clamp20(V x) {
    return v_select(v_gt(x, v_set1(20.0)), v_set1(20.0), v_select(v_lt(x, v_set1(-20.0)), v_set1(-20.0), x));
}

/* e^-|2u| for x clamped to [-20, 20] */
VW_INLINE V vw_gelu_tanh_exp(V xc) {
    return vw_exp_minus_abs(v_mul(v_set1(2.0 * SM_SQRT_2_OVER_PI), f64_fma(v_mul(v_set1(SM_GELU_CUBIC), xc), v_mul(xc, xc), xc)));
}

VW_INLINE V OPF(gelu_tanh_for_float32)(V x, const P *p) {
    V xc = vw_clamp20(x), e = vw_gelu_tanh_exp(xc);
    V y = v_div(v_mul(xc, v_select(v_lt(x, v_zero()), e, v_set1(1.0))), v_add(v_set1(1.0), e));
    (void)p;
    return v_select(v_or(v_gt(x, v_set1(20.0)), v_eq(x, v_zero())), x, y);
}

/* gelu(x) = x Phi(x) through the normal tail Phi(-z) = e^(-z^2/2) R(z), z = |x| (clamped at 15:
 * beyond, float32 gelu is x or -0.0): x Phi(-z) for x < 0, x - x Phi(-z) above (Phi(-z) <= 1/2,
 * so neither side cancels). z^2 is exact (z has 24 bits). R = erfcx(z / sqrt2) / 2 by a
 * piecewise polynomial: 16 intervals [k - 1/2, k + 1/2] picked by rounding z (k in the low bits
 * of z + 0x1.8p52), degree 8 in r = z - k (exact), within 2^-30 relative (tools/fit_gelu_tail.py);
 * the coefficients come from f64_table16 (vpermt2pd on AVX-512). gelu(+-0) = +-0. */
#ifndef VW_GELU_TAIL_DEFINED
#define VW_GELU_TAIL_DEFINED
/* R(k + r), k = 0..15, |r| <= 1/2: c[j][k] (tools/fit_gelu_tail.py) */
static const double VW_GELU_TAIL[9][16] = {
    {0x1.fffffffff1ceep-2, 0x1.0bdb2e039df32p-2, 0x1.5845dcad2a54ep-3, 0x1.f1b89c231e9b8p-4, 0x1.82b4bb8c94dcep-4, 0x1.3b0fbcb4c77bep-4, 0x1.095608c7b15f1p-4, 0x1.c9e120e488937p-5, 0x1.9269722f50cddp-5, 0x1.66ccb7b9c0c57p-5, 0x1.43a38ae46ed46p-5, 0x1.26b4cfcccca6cp-5, 0x1.0e7dcd1d93192p-5, 0x1.f3ddc25e8b10bp-6, 0x1.d087ad6e0cbf6p-6, 0x1.b1d706d10e138p-6},
    {-0x1.9884532b48aedp-2, -0x1.195249fc217f0p-3, -0x1.00f9da2bee0fcp-4, -0x1.19cef112736f4p-5, -0x1.5cf97b0955ae1p-6, -0x1.d614eb68a03e2p-7, -0x1.5068c23704119p-7, -0x1.f7d59d52e34e5p-8, -0x1.86b8437c9ee94p-8, -0x1.378123129f4bfp-8, -0x1.fbf2cfdc6be9bp-9, -0x1.a5dac1d4ff14ep-9, -0x1.63cfc8735f525p-9, -0x1.3012a83933916p-9, -0x1.06cdbe7c1eb8dp-9, -0x1.cabcd94632ac2p-10},
    {0x1.fffff878a91e8p-3, 0x1.fcc822aa8524cp-5, 0x1.5d3009a095719p-6, 0x1.2c08c9fc471c6p-7, 0x1.2dda040c4f36cp-8, 0x1.542a992f89eccp-9, 0x1.a0eee3c9ff026p-10, 0x1.106373bee09e1p-10, 0x1.7625d65559bddp-11, 0x1.0b6e08995842ep-11, 0x1.8af23eaa8bc93p-12, 0x1.2b9aa2972ef83p-12, 0x1.d0fb6385ab9e9p-13, 0x1.6fdc4065bfba9p-13, 0x1.27e80535b5b69p-13, 0x1.e2fd8f9f3ec57p-14},
    {-0x1.10579b6dfa655p-3, -0x1.9b017573b0ceap-6, -0x1.b75f60f393cfbp-8, -0x1.2ed7439977a18p-9, -0x1.f6a4ffb700118p-11, -0x1.dea72e14e24edp-12, -0x1.f9cc9f5001ea2p-13, -0x1.21a61e19e50cfp-13, -0x1.618918f72864ep-14, -0x1.c6399145bc1b8p-15, -0x1.30557608e9ca9p-15, -0x1.a65b0b9a10b4ep-16, -0x1.2ddfa28e72f91p-16, -0x1.ba914ce0bf799p-17, -0x1.4b934f0ef25acp-17, -0x1.fa60e051ce3a2p-18},
    {0x1.ffe687557ea2ap-5, 0x1.2f4833f478568p-7, 0x1.0301156a3dae4p-9, 0x1.239d9b6eb54b2p-11, 0x1.943c52abdfd8bp-13, 0x1.4810fa936b92cp-14, 0x1.2cab6fa00f359p-15, 0x1.2f219ef8ab776p-16, 0x1.49cbdbf357887p-17, 0x1.7db4e10a12f55p-18, 0x1.d0ed67ff0dd4dp-19, 0x1.27815583f7073p-19, 0x1.857df7cc1948bp-20, 0x1.08c63ecedadb4p-20, 0x1.71c80321f4e79p-21, 0x1.0857aadbe1f37p-21},
    {-0x1.b292cc3793f3ep-6, -0x1.9ea1e653b15f0p-9, -0x1.20780d49518c0p-11, -0x1.0d27ba5e89652p-13, -0x1.3adf195cc4c11p-15, -0x1.b6d1c25e0ee7ap-17, -0x1.5eac28f485347p-18, -0x1.386d50143fd8bp-19, -0x1.2fdb5b0b3bec1p-20, -0x1.3d8017000f2f4p-21, -0x1.601aff08a06fdp-22, -0x1.9a84cfc126853p-23, -0x1.f36e0409943acp-24, -0x1.3b1d3bc1a9155p-24, -0x1.9a756adfeb2dap-25, -0x1.12d977ed46067p-25},
    {0x1.4d0511919a6b3p-7, 0x1.09dd4c7310694p-10, 0x1.31c8b4dbb60dbp-13, 0x1.de5723b8a9e8fp-16, 0x1.dc5c902bc4565p-18, 0x1.1ed6f85190f8dp-19, 0x1.91a26b0dc7b5cp-21, 0x1.3d556b18cf597p-22, 0x1.14a11bf531c43p-23, 0x1.057c98f8d6ac0p-24, 0x1.08727129e34d8p-25, 0x1.1b222ce67b577p-26, 0x1.3e40fe2736122p-27, 0x1.750c28bcb6c79p-28, 0x1.c58227efaecb8p-29, 0x1.1c9c83111621fp-29},
    {-0x1.ab9d313221004p-9, -0x1.50f2185c2d6ecp-12, -0x1.402cfeccf9415p-15, -0x1.a453b727d4903p-18, -0x1.64e64ffed80d2p-20, -0x1.73fdd1ced59d8p-22, -0x1.c8ef5e2bd017dp-24, -0x1.4085fd4bfe884p-25, -0x1.f5544e9ddec20p-27, -0x1.ad01c6f8df345p-28, -0x1.8be20ae01a6bep-29, -0x1.856b29aebac69p-30, -0x1.9495491f20046p-31, -0x1.b8a8d381bd540p-32, -0x1.f41a2a1564a42p-33, -0x1.2636be04b2461p-33},
    {0x1.52789de885c6ap-11, 0x1.827741d060ba2p-14, 0x1.36eb627c5420ep-17, 0x1.5cc40d3f98937p-20, 0x1.ffa8d08b17a89p-23, 0x1.d200b2314602bp-25, 0x1.f9b88db73ac8cp-27, 0x1.3c9cd701d41c6p-28, 0x1.be0b61875eeecp-30, 0x1.5a9c80092d825p-31, 0x1.248c9902769c3p-32, 0x1.08e46784feb40p-33, 0x1.fd846879da5eep-35, 0x1.02254b603fc33p-35, 0x1.11c69345f820ep-36, 0x1.2e39d37924d9ap-37},
};
#endif

/* R(z) for z = |x| clamped at 15 (*z), and *e = e^(-z^2/2) */
VW_INLINE V vw_normal_tail(V x, V *z, V *e) {
    const V magic = v_set1(0x1.8p52), limit = v_set1(15.0);
    V a = v_abs(x);
    a = v_select(v_gt(a, limit), limit, a);
    V k = v_add(a, magic), r = v_sub(a, v_sub(k, magic));
    V R = f64_table16(VW_GELU_TAIL[8], k);
    int j;
    for (j = 7; j >= 0; j--) R = f64_fma(R, r, f64_table16(VW_GELU_TAIL[j], k));
    *z = a;
    *e = vw_exp(v_mul(a, v_mul(a, v_set1(-0.5))));
    return R;
}

VW_INLINE V OPF(gelu_for_float32)(V x, const P *p) {
    V z, e, R = vw_normal_tail(x, &z, &e);
    M negative = v_lt(x, v_zero());
    V xq = v_mul(v_select(negative, v_sub(v_zero(), z), z), v_mul(e, R));
    (void)p;
    return v_select(negative, xq, v_select(v_or(v_gt(x, v_set1(15.0)), v_eq(x, v_zero())), x, v_sub(z, xq)));
}

/* tanhshrink's derivative tanh(x)^2 (the float32 forward is native, ops_smooth_f32.h): with z =
 * |x|, tanh z = z - z^3 P(z^2) below 1, P(t) = (z - tanh z) / z^3 by a polynomial of degree 9
 * (tools/fit_tanhshrink.py: 2^-32 relative; z^2 is exact); from 1 on, 1 - 2e / (1 + e), e =
 * e^(-2z) (z clamped at 20). */
static const double VW_TANHSHRINK_P[10] = { /* highest degree first */
    -0x1.498df58ec3eacp-16, 0x1.1f046f4587aecp-13, -0x1.07f0e3c72af3ap-11, 0x1.718dd3a651c82p-10,
    -0x1.d4dcd9c968a5bp-9, 0x1.2256b48ec7ecap-7, -0x1.664e2a7b9bb3fp-6, 0x1.ba1b9c6e65263p-5,
    -0x1.1111110efad02p-3, 0x1.5555555555555p-2
};

/* The derivative's pieces: z = |x|, zs = min(z, 1), t = zs^2, *q = P(t), *g = 2e / (1 + e) (1 -
 * tanh z for z >= 1) */
VW_INLINE V vw_tanhshrink(V x, V *z, V *zs, V *q, V *g) {
    const V one = v_set1(1.0);
    V t, e;
    int k;
    *z = v_abs(x), *zs = v_select(v_gt(*z, one), one, *z), t = v_mul(*zs, *zs);
    *q = v_set1(VW_TANHSHRINK_P[0]);
    for (k = 1; k < 10; k++) *q = f64_fma(*q, t, v_set1(VW_TANHSHRINK_P[k]));
    e = vw_exp(v_mul(v_set1(-2.0), v_select(v_gt(*z, v_set1(20.0)), v_set1(20.0), *z)));
    *g = v_div(v_add(e, e), v_add(one, e));
    return t;
}

/* ---- derivatives (the kernels apply the incoming gradient, loops.h) ---- */

/* sigmoid(x) sigmoid(-x) = e / (1 + e)^2, e = e^-|x| */
VW_INLINE V OPF(sigmoid_grad_for_float32)(V x, const P *p) {
    V e = vw_exp_minus_abs(x), d = v_add(v_set1(1.0), e);
    (void)p;
    return v_div(e, v_mul(d, d));
}

/* sigmoid(x) + x sigmoid(x) sigmoid(-x), x clamped to [-160, 160] */
VW_INLINE V OPF(silu_grad_for_float32)(V x, const P *p) {
    V e = vw_exp_minus_abs(x), t = v_div(v_set1(1.0), v_add(v_set1(1.0), e));
    V big = t, small = v_mul(e, t); /* sigmoid(|x|), sigmoid(-|x|) */
    V xc = v_select(v_gt(x, v_set1(160.0)), v_set1(160.0), v_select(v_lt(x, v_set1(-160.0)), v_set1(-160.0), x));
    (void)p;
    return f64_fma(v_mul(xc, big), small, v_select(v_lt(x, v_zero()), small, big));
}

/* 1 - tanh(x)^2 = 4e / (1 + e)^2, e = e^(-2|x|) (|x| clamped at 80) */
VW_INLINE V OPF(tanh_grad_for_float32)(V x, const P *p) {
    V e = vw_exp_minus_abs(v_add(x, x)), d = v_add(v_set1(1.0), e);
    (void)p;
    return v_div(v_mul(v_set1(4.0), e), v_mul(d, d));
}

/* e^x for x <= 0 (clamped at -160), the other lanes see 0 */
VW_INLINE V vw_exp_nonpositive(V x) {
    V xc = v_keep(v_le(x, v_zero()), x);
    return vw_exp(v_select(v_lt(xc, v_set1(-160.0)), v_set1(-160.0), xc));
}

/* 1 for x > 0, alpha e^x at and below 0 */
VW_INLINE V OPF(elu_grad_for_float32)(V x, const P *p) {
    return v_select(v_le(x, v_zero()), v_mul(p->a, vw_exp_nonpositive(x)), v_set1(1.0));
}

VW_INLINE V OPF(celu_grad_for_float32)(V x, const P *p) {
    /* x (1 / alpha): the argument's extra rounding, 2^-53 of it, is lost in e^x's 2^-29 (and the
     * reciprocal of the loop's constant leaves the loop) */
    return v_select(v_le(x, v_zero()), vw_exp_nonpositive(v_mul(v_keep(v_le(x, v_zero()), x), v_div(v_set1(1.0), p->a))),
                    v_set1(1.0));
}

VW_INLINE V OPF(selu_grad_for_float32)(V x, const P *p) {
    (void)p;
    return v_select(v_le(x, v_zero()), v_mul(v_set1(SM_SELU_SCALE * SM_SELU_ALPHA), vw_exp_nonpositive(x)),
                    v_set1(SM_SELU_SCALE));
}

/* sigmoid(beta x); 1 where beta x > threshold (b) */
VW_INLINE V OPF(softplus_grad_for_float32)(V x, const P *p) {
    V z = v_mul(p->a, x);
    return v_select(v_gt(z, p->b), v_set1(1.0), OPF(sigmoid_for_float32)(z, p));
}

/* sigmoid(-x) */
VW_INLINE V OPF(log_sigmoid_grad_for_float32)(V x, const P *p) {
    return OPF(sigmoid_for_float32)(v_sub(v_zero(), x), p);
}

/* tanh(sp) + x sech^2(sp) sigmoid(x), sp = softplus(x), over mish_for_float32's n / d = tanh(sp):
 * sech^2(sp) sigmoid(x) = 4 (1 + e) e m / d^2, m = 1 for x < 0, e above (e = e^-|x|), so that
 * the sum takes one division: (n d + 4 x (1 + e) e m) / d^2. x clamped to [-160, 160]. */
VW_INLINE V OPF(mish_grad_for_float32)(V x, const P *p) {
    V e = vw_exp_minus_abs(x), two = v_set1(2.0), one_2e = f64_fma(two, e, v_set1(1.0));
    M negative = v_lt(x, v_zero());
    V w = v_mul(e, v_add(e, two));
    V n = v_select(negative, w, one_2e), d = v_select(negative, v_add(w, two), f64_fma(v_mul(two, e), e, one_2e));
    V xc = v_select(v_gt(x, v_set1(160.0)), v_set1(160.0), v_select(v_lt(x, v_set1(-160.0)), v_set1(-160.0), x));
    V term = v_mul(v_mul(v_mul(v_set1(4.0), xc), v_add(v_set1(1.0), e)), v_mul(e, v_select(negative, v_set1(1.0), e)));
    (void)p;
    return v_div(f64_fma(n, d, term), v_mul(d, d));
}

/* s + x s (1 - s) 2u', s = sigmoid(2u), 2u' = 2 sqrt(2/pi) (1 + 3 * 0.044715 x^2): with e =
 * e^-|2u|, s (1 - s) = e / (1 + e)^2 and s = s_n / (1 + e) (s_n = e for x < 0, else 1), one
 * division: (s_n (1 + e) + x e 2u') / (1 + e)^2. x clamped to [-20, 20] (as the forward). */
VW_INLINE V OPF(gelu_tanh_grad_for_float32)(V x, const P *p) {
    V xc = vw_clamp20(x), e = vw_gelu_tanh_exp(xc), d = v_add(v_set1(1.0), e);
    V du = v_mul(v_set1(2.0 * SM_SQRT_2_OVER_PI), f64_fma(v_set1(3.0 * SM_GELU_CUBIC), v_mul(xc, xc), v_set1(1.0)));
    (void)p;
    return v_div(f64_fma(v_select(v_lt(x, v_zero()), e, v_set1(1.0)), d, v_mul(v_mul(xc, e), du)), v_mul(d, d));
}

/* tanh(x)^2 from tanhshrink's pieces: t (1 - t P(t))^2 below 1 (tanh z = z - z^3 P, and t P <= 0.24:
 * no cancellation), (1 - g)^2 above */
VW_INLINE V OPF(tanhshrink_grad_for_float32)(V x, const P *p) {
    const V one = v_set1(1.0);
    V z, zs, q, g, t = vw_tanhshrink(x, &z, &zs, &q, &g);
    M small = v_lt(z, one);
    V h = v_select(small, f64_fma(v_sub(v_zero(), t), q, one), v_sub(one, g));
    (void)p;
    return v_mul(v_select(small, t, one), v_mul(h, h));
}

/* NaN in, that same NaN out (as ops_smooth.h's SM_PINNED), inlined */
#define VW_PINNED(op)                                                                             \
    VW_INLINE V OPF(RECT_CAT(op, _for_float32_pinned))(V x, const P *p) {                         \
        return v_select(v_isnan(x), x, OPF(RECT_CAT(op, _for_float32))(x, p));                  \
    }
RECT_F32_WIDE_LITE_SMOOTH_OPS(VW_PINNED)
#undef VW_PINNED
