/* elu and celu computed natively in float32 (8 lanes on AVX2, 4 on NEON), for float32 and
 * float16 data, written once over the shim with vmath_f32.h: e^x - 1 as hi + lo, the product with
 * alpha summed once and rounded once (0.5 ULP plus about 2^-4, checked over all 2^32 inputs by
 * bench/accuracy.py). On AVX2 this is about 1.3 times as fast as the float64 route of
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
static inline V sm32_times_expm1(V x, V c_hi, V c_lo) {
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
static inline V OPF(elu_native)(V x, const P *p) {
    M nonpositive = v_le(x, v_zero());
    return v_select(nonpositive, sm32_times_expm1(v_keep(nonpositive, x), p->a, v_zero()), x);
}

/* x > 0 ? x : alpha expm1(x / alpha) (alpha > 0) */
static inline V OPF(celu_native)(V x, const P *p) {
    M nonpositive = v_le(x, v_zero());
    return v_select(nonpositive, sm32_times_expm1(v_div(v_keep(nonpositive, x), p->a), p->a, v_zero()), x);
}

/* NaN in, that same NaN out (see ops_smooth.h's SM_PINNED) */
#define SM32_PINNED(op)                                                                           \
    static inline V OPF(RECT_CAT(op, _native_pinned))(V x, const P *p) {                          \
        return v_select(v_isnan(x), x, OPF(RECT_CAT(op, _native))(x, p));                       \
    }
RECT_F32_NATIVE_SMOOTH_OPS(SM32_PINNED)
#undef SM32_PINNED
