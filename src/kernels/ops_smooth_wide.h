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

/* e^z - 1 within 2^-30 relative, for z in [-60, 0] (callers clamp): 2^n (r + r^2 q(r)) + (2^n - 1),
 * q(r) = (e^r - 1 - r) / r^2 by a degree-5 polynomial (near-minimax, 2^-28.5 relative; it is at
 * most r/2 of the result). 2^n - 1 is exact, and where n != 0 the two terms are at most 3.5 times
 * the result. expm1(-0.0) is +0.0 here: callers that keep the sign of a zero select it. */
VW_INLINE V vw_expm1(V z) {
    const V magic = v_set1(0x1.8p52), one = v_set1(1.0);
    V k = f64_fma(z, v_set1(VM_LOG2E), magic);
    V r = f64_fma(v_sub(k, magic), v_set1(-VW_LN2), z);
    V q = f64_fma(v_set1(0x1.a0728f92cc14bp-13), r, v_set1(0x1.6d42cc7b77380p-10));
    q = f64_fma(q, r, v_set1(0x1.11114bf8872a7p-7));
    q = f64_fma(q, r, v_set1(0x1.5554e9588e9afp-5));
    q = f64_fma(q, r, v_set1(0x1.5555552725bf5p-3));
    q = f64_fma(q, r, v_set1(0x1.0000000b7e035p-1));
    V m = f64_fma(v_mul(r, r), q, r);
    V s = f64_scale_exponent(one, k);
    return f64_fma(s, m, v_sub(s, one));
}

/* log(1 + e) within 2^-30 relative for e in [0, 1]: u = 1 + e rounded and c = e - (u - 1) its
 * rounding error (exact), log(1 + e) = log(u) + c / u, and c / u is c to 2^-53 of the result.
 * log(u) = k ln 2 + log(m), m = u or u / 2 in [0.7, 1.42], log(m) = 2 atanh(s) = 2s + s^3 R(s^2),
 * s = (m - 1) / (m + 1) in [-0.172, 0.172], R of degree 3 (near-minimax, 2^-29 relative, and s^3 R
 * is below 2% of the result). */
VW_INLINE V vw_log1p_unit(V e) {
    const V one = v_set1(1.0);
    V u = v_add(one, e);
    V c = v_sub(e, v_sub(u, one));
    M big = v_gt(u, v_set1(VM_SQRT2));
    V m = v_select(big, v_mul(u, v_set1(0.5)), u);
    V s = v_div(v_sub(m, one), v_add(m, one));
    V s2 = v_mul(s, s);
    V R = f64_fma(v_set1(0x1.ddd37d93cfc7cp-3), s2, v_set1(0x1.245c29221ae8fp-2));
    R = f64_fma(R, s2, v_set1(0x1.9999ebabe0b43p-2));
    R = f64_fma(R, s2, v_set1(0x1.5555554b9ca1fp-1));
    V log_m = f64_fma(v_mul(s2, s), R, v_add(s, s));
    return v_add(f64_fma(v_keep(big, v_set1(1.0)), v_set1(VW_LN2), c), log_m);
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

/* c expm1(x) for x <= 0 (x clamped at -60: expm1 is -1 to float32 precision beyond -17.4), the
 * sign of a zero kept */
VW_INLINE V vw_times_expm1(V c, V x) {
    V m = vw_expm1(v_select(v_lt(x, v_set1(-60.0)), v_set1(-60.0), x));
    return v_select(v_eq(x, v_zero()), x, v_mul(c, m));
}

/* scale (x > 0 ? x : alpha expm1(x)); +inf stays +inf */
VW_INLINE V OPF(selu_for_float32)(V x, const P *p) {
    M nonpositive = v_le(x, v_zero());
    (void)p;
    return v_select(nonpositive, vw_times_expm1(v_set1(SM_SELU_SCALE * SM_SELU_ALPHA), v_keep(nonpositive, x)),
                    v_mul(v_set1(SM_SELU_SCALE), x));
}

/* log(1 + e^(beta x)) / beta = (max(z, 0) + log1p(e^-|z|)) / beta, z = beta x; x where z >
 * threshold (b; +inf when there is none) and where z > 2^30 (the log1p term is below half an ULP
 * of x there, and z may have overflowed) */
VW_INLINE V OPF(softplus_for_float32)(V x, const P *p) {
    V z = v_mul(p->a, x);
    V l = vw_log1p_unit(vw_exp_minus_abs(z));
    M itself = v_or(v_gt(z, p->b), v_gt(z, v_set1(0x1p30)));
    return v_select(itself, x, v_div(v_add(v_keep(v_gt(z, v_zero()), z), l), p->a));
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
 * matters). x is clamped to [-20, 20]: beyond, float32 gelu is x or -0.0. */
VW_INLINE V OPF(gelu_tanh_for_float32)(V x, const P *p) {
    V xc = v_select(v_gt(x, v_set1(20.0)), v_set1(20.0), v_select(v_lt(x, v_set1(-20.0)), v_set1(-20.0), x));
    V two_u = v_mul(v_set1(2.0 * SM_SQRT_2_OVER_PI), f64_fma(v_mul(v_set1(SM_GELU_CUBIC), xc), v_mul(xc, xc), xc));
    V e = vw_exp_minus_abs(two_u);
    V y = v_div(v_mul(xc, v_select(v_lt(x, v_zero()), e, v_set1(1.0))), v_add(v_set1(1.0), e));
    (void)p;
    return v_select(v_or(v_gt(x, v_set1(20.0)), v_eq(x, v_zero())), x, y);
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
    return v_select(v_le(x, v_zero()), vw_exp_nonpositive(v_div(v_keep(v_le(x, v_zero()), x), p->a)), v_set1(1.0));
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

/* NaN in, that same NaN out (as ops_smooth.h's SM_PINNED), inlined */
#define VW_PINNED(op)                                                                             \
    VW_INLINE V OPF(RECT_CAT(op, _for_float32_pinned))(V x, const P *p) {                         \
        return v_select(v_isnan(x), x, OPF(RECT_CAT(op, _for_float32))(x, p));                  \
    }
RECT_F32_WIDE_LITE_SMOOTH_OPS(VW_PINNED)
#undef VW_PINNED
