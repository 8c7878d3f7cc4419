/* The smooth rectifiers and their derivatives, written once in float64 over vmath.h.
 *
 * Included by instantiate.h in the float64 instantiation only, after ops.h. The float32 and
 * float16 kernels have their own variants (ops_smooth_wide.h, ops_smooth_f32.h).
 *
 * Conventions, beyond ops.h's:
 *   - transcendental calls only see the lanes they decide (the others see 0), so a discarded lane
 *     never overflows;
 *   - a product x * f(x) whose f vanishes at -inf (silu, gelu, mish, hardswish) takes x clamped at
 *     -1e10, so the limit -0.0 comes out instead of -inf * 0 = NaN; derivatives clamp both sides;
 *   - derivatives return f'(x); the kernels apply the incoming gradient (ops.h's chain rule), which
 *     also makes a NaN x give NaN.
 */

#define SM_SELU_ALPHA 1.6732632423543772848170429916717
#define SM_SELU_SCALE 1.0507009873554804934193349852946
#define SM_SQRT_2_OVER_PI 0.79788456080286535587989211986876
#define SM_GELU_CUBIC 0.044715
/* Constants as double-double (hi + lo), where rounding them alone would cost float64 an ULP:
 * scale, scale * alpha, 2 sqrt(2/pi) and 0.044715 (lo = value - hi, computed with mpmath). */
#define SM_SELU_SCALE_HI 0x1.0cfabd6a91132p+0
#define SM_SELU_SCALE_LO 0x1.6fc7d272f2695p-55
#define SM_SELU_SCALE_ALPHA_HI 0x1.c212cc640f031p+0
#define SM_SELU_SCALE_ALPHA_LO 0x1.05161b045a1fep-56
#define SM_GELU_C1_HI 0x1.9884533d43651p+0
#define SM_GELU_C1_LO -0x1.cbc0d30ebfd15p-54
#define SM_GELU_C2_HI 0x1.6e4e26d4801f7p-5
#define SM_GELU_C2_LO 0x1.441355475a31ap-59

/* x where x <= 0, else +0: the argument of a branch that only decides non-positive lanes. */
static inline V sm_nonpositive(V x) { return v_keep(v_le(x, v_zero()), x); }
static inline V sm_clamp_below(V x) { return v_select(v_lt(x, v_set1(-1e10)), v_set1(-1e10), x); }
static inline V sm_clamp(V x) {
    return sm_clamp_below(v_select(v_gt(x, v_set1(1e10)), v_set1(1e10), x));
}

/* expm1 that keeps the sign of a zero argument (elu(-0.0) = -0.0). */
static inline V sm_expm1(V x) { return v_select(v_eq(x, v_zero()), x, vm_expm1(x)); }

/* What the kernels call for each smooth op: NaN in, that same NaN out. The smooth ops make their
 * NaN results through several operations, and x86 returns the first operand's NaN; the compiler
 * may order the operands of a commutative operation differently in differently inlined copies of
 * an op (a full vector, a tail), which would make a NaN's sign depend on its position. Taking x's
 * NaN keeps every call's bits the same (found by the fuzzer: in place vs out of place). */
#define SM_PINNED(op)                                                                             \
    static inline V OPF(RECT_CAT(op, _pinned))(V x, const P *p) {                                 \
        return v_select(v_isnan(x), x, OPF(op)(x, p));                                          \
    }

/* ---- forward ---------------------------------------------------------------------------- */

/* x > 0 ? x : alpha * expm1(x) */
static inline V OPF(elu)(V x, const P *p) {
    return v_select(v_le(x, v_zero()), v_mul(p->a, sm_expm1(sm_nonpositive(x))), x);
}

/* x > 0 ? x : alpha * expm1(x / alpha) */
static inline V OPF(celu)(V x, const P *p) {
    return v_select(v_le(x, v_zero()), v_mul(p->a, sm_expm1(v_div(sm_nonpositive(x), p->a))), x);
}

/* c * v with c = hi + lo a double-double constant */
static inline V sm_mul_dd(V v, double hi, double lo) {
    return v_add(v_mul(v_set1(hi), v), v_mul(v_set1(lo), v));
}

/* scale * (x > 0 ? x : alpha * expm1(x)), with PyTorch's constants */
static inline V OPF(selu)(V x, const P *p) {
    (void)p;
    M nonpositive = v_le(x, v_zero());
    return v_select(nonpositive, sm_mul_dd(sm_expm1(sm_nonpositive(x)), SM_SELU_SCALE_ALPHA_HI, SM_SELU_SCALE_ALPHA_LO),
                    sm_mul_dd(v_clear(nonpositive, x), SM_SELU_SCALE_HI, SM_SELU_SCALE_LO));
}

/* log(1 + exp(beta x)) / beta, computed without overflow; x itself where beta x > threshold
 * (b; +inf when there is none) and where beta x > 2^60 (the log1p term is then below half an ULP
 * of x, and beta x itself may have overflowed: softplus(1e308, beta=2) is 1e308, not inf) */
static inline V OPF(softplus)(V x, const P *p) {
    V z = v_mul(p->a, x);
    M x_itself = v_or(v_gt(z, p->b), v_gt(z, v_set1(0x1p60)));
    return v_select(x_itself, x, v_div(vm_softplus(v_clear(x_itself, z)), p->a));
}

static inline V OPF(sigmoid)(V x, const P *p) {
    (void)p;
    return vm_sigmoid(x);
}

/* log(sigmoid(x)) = -(log1p(exp(-|x|)) - min(x, 0)): negative for every x, so where it underflows
 * (x > 745, +inf included) the result is -0.0 */
static inline V OPF(log_sigmoid)(V x, const P *p) {
    (void)p;
    return v_mul(v_set1(-1.0), v_sub(vm_log1p_unit(vm_exp(v_sub(v_zero(), v_abs(x)))), sm_nonpositive(x)));
}

/* v * sigmoid(t) for any t, given e^(-|t|) = (a + a_lo) b (vm_exp_parts); v is clamped at -1e10
 * (the limit -0.0 at -inf). */
static inline V sm_times_sigmoid(V v, V t, V a, V a_lo, V b) {
    return vm_times_logistic(sm_clamp_below(v), t, a, a_lo, b);
}

/* x * sigmoid(x) */
static inline V OPF(silu)(V x, const P *p) {
    V b, a_lo, a = vm_exp_parts(v_sub(v_zero(), v_abs(x)), v_zero(), &b, &a_lo);
    (void)p;
    return sm_times_sigmoid(x, x, a, a_lo, b);
}

/* x * tanh(softplus(x)). With e = exp(-|x|): tanh(softplus(x)) = 1 - 2e^2 / (1 + 2e + 2e^2) for
 * x >= 0, and w / (w + 2) with w = e (e + 2) for x < 0: no overflow, no cancellation. */
static inline V sm_tanh_softplus(V x, V e) {
    V two = v_set1(2.0);
    V e2 = v_mul(e, e);
    V upper = v_sub(v_set1(1.0), v_div(v_mul(two, e2), v_add(v_add(v_set1(1.0), v_mul(two, e)), v_mul(two, e2))));
    V w = v_mul(e, v_add(e, two));
    return v_select(v_lt(x, v_zero()), v_div(w, v_add(w, two)), upper);
}

/* For x < 0, x w / (w + 2) with w = e (e + 2), e = (a + a_lo) b: numerator x (a + a_lo) (e + 2)
 * and denominator e (e + 2) + 2 in double-double, b applied last (rounded once in the subnormals
 * too). */
static inline V sm_mish_negative(V x, V a, V a_lo, V b) {
    V two = v_set1(2.0), e = v_mul(a, b);
    V c, c_lo, n, n_lo, m, m_lo, w, w_lo, d, d_lo;
    vm_two_sum(e, two, &c, &c_lo);                       /* e + 2 */
    vm_two_prod(x, a, &n, &n_lo);                        /* x a */
    n_lo = v_add(n_lo, v_mul(x, a_lo));
    vm_two_prod(n, c, &m, &m_lo);                        /* x a (e + 2) */
    m_lo = v_add(m_lo, v_add(v_mul(n, c_lo), v_mul(n_lo, c)));
    vm_two_prod(e, c, &w, &w_lo);                        /* e (e + 2) */
    w_lo = v_add(w_lo, v_mul(e, c_lo));
    vm_two_sum(two, w, &d, &d_lo);                       /* e (e + 2) + 2 */
    d_lo = v_add(d_lo, w_lo);
    return v_mul(vm_dd_div(m, m_lo, d, d_lo), b);
}

/* For x >= 0, x (1 + 2e) / (1 + 2e + 2e^2), e = e^-x, numerator and denominator in
 * double-double. */
static inline V sm_mish_positive(V x, V e) {
    V two_e = v_mul(v_set1(2.0), e);
    V c, c_lo, n, n_lo, s, s_lo, d, d_lo;
    vm_two_sum(v_set1(1.0), two_e, &c, &c_lo);          /* 1 + 2e */
    vm_two_prod(x, c, &n, &n_lo);                        /* x (1 + 2e) */
    n_lo = v_add(n_lo, v_mul(x, c_lo));
    vm_two_prod(two_e, e, &s, &s_lo);                    /* 2e^2 */
    vm_two_sum(c, s, &d, &d_lo);                         /* 1 + 2e + 2e^2 */
    d_lo = v_add(d_lo, v_add(c_lo, s_lo));
    return vm_dd_div(n, n_lo, d, d_lo);
}

static inline V OPF(mish)(V x, const P *p) {
    V b, a_lo, a = vm_exp_parts(v_sub(v_zero(), v_abs(x)), v_zero(), &b, &a_lo);
    M negative = v_lt(x, v_zero()), huge = v_gt(x, v_set1(1e290));
    /* each branch sees 0 in the lanes it does not decide (Dekker's splitting overflows above
     * 2^996, where mish(x) = x) */
    V positive = sm_mish_positive(v_clear(v_or(negative, huge), x), v_mul(a, b));
    (void)p;
    return v_select(negative, sm_mish_negative(v_keep(negative, sm_clamp_below(x)), a, a_lo, b),
                    v_select(huge, x, positive));
}

/* relu6(x + 3) / 6 (PyTorch's order of operations) */
static inline V sm_relu6_of_x_plus_3(V x) {
    V y = v_add(x, v_set1(3.0));
    return v_select(v_gt(y, v_set1(6.0)), v_set1(6.0), v_clear(v_le(y, v_zero()), y));
}

static inline V OPF(hardsigmoid)(V x, const P *p) {
    (void)p;
    return v_div(sm_relu6_of_x_plus_3(x), v_set1(6.0));
}

/* x * (relu6(x + 3) / 6): the same two roundings as PyTorch's x * relu6(x + 3) / 6, but no
 * overflow of x * 6 for x near the largest float */
static inline V OPF(hardswish)(V x, const P *p) {
    (void)p;
    return v_mul(sm_clamp_below(x), v_div(sm_relu6_of_x_plus_3(x), v_set1(6.0)));
}

/* PyTorch's approximate="tanh": 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), computed
 * as x * sigmoid(2u) (the same function, without the cancellation of 1 + tanh(u) for x < 0).
 * For x < 0, sigmoid(2u) ~ e^(2u) has |2u| times the relative error of 2u, so 2u is evaluated
 * in double-double (hi + lo) and e^(2u) as e^hi (1 + lo). */
static inline V sm_gelu_2u(V x, V *lo) {
    V x2, x2e, x3, x3e, c, ce, s, se, hi, he;
    vm_two_prod(x, x, &x2, &x2e);
    vm_two_prod(x, x2, &x3, &x3e);
    x3e = v_add(x3e, v_mul(x, x2e));
    vm_two_prod(v_set1(SM_GELU_C2_HI), x3, &c, &ce);
    ce = v_add(ce, v_add(v_mul(v_set1(SM_GELU_C2_HI), x3e), v_mul(v_set1(SM_GELU_C2_LO), x3)));
    vm_two_sum(x, c, &s, &se);
    se = v_add(se, ce);
    vm_two_prod(v_set1(SM_GELU_C1_HI), s, &hi, &he);
    *lo = v_add(he, v_add(v_mul(v_set1(SM_GELU_C1_HI), se), v_mul(v_set1(SM_GELU_C1_LO), s)));
    return hi;
}

/* e^(-|2u|) = (a + a_lo) * b from 2u = hi + lo */
static inline V sm_gelu_exp_parts(V hi, V lo, V *b, V *a_lo) {
    V toward_zero = v_select(v_lt(hi, v_zero()), lo, v_sub(v_zero(), lo)); /* -|hi + lo| = -|hi| + this */
    return vm_exp_parts(v_sub(v_zero(), v_abs(hi)), toward_zero, b, a_lo);
}

static inline V OPF(gelu_tanh)(V x, const P *p) {
    V lo, b, a_lo;
    V hi = sm_gelu_2u(sm_clamp(x), &lo);
    V a = sm_gelu_exp_parts(hi, lo, &b, &a_lo);
    (void)p;
    return sm_times_sigmoid(x, hi, a, a_lo, b);
}

/* The normal distribution's tail. For z = |x| (x clamped to [-40, 40], beyond which gelu is x or
 * -0.0 to every precision): Q = Phi(-z) = 0.5 e^(-z^2/2) f(t) / (1 + t), t = z / sqrt2,
 * f(t) = (1 + t) erfcx(t) (vmath.h). e^(-z^2/2) = (a + a_lo) b comes from the exact square z^2
 * (double-double), t and 1 + t are double-doubles too, so that only f's evaluation and the final
 * roundings count. */
#define SM_SQRT1_2_HI 0x1.6a09e667f3bcdp-1
#define SM_SQRT1_2_LO -0x1.bdd3413b26456p-55

typedef struct {
    V a, a_lo, b, f, f_lo, d, d_lo;
} sm_normal_tail;

static inline sm_normal_tail sm_normal(V x) {
    sm_normal_tail n;
    V xc = v_select(v_gt(x, v_set1(40.0)), v_set1(40.0), v_select(v_lt(x, v_set1(-40.0)), v_set1(-40.0), x));
    V z = v_abs(xc), sq, sq_lo, t, t_lo;
    vm_two_prod(z, z, &sq, &sq_lo);
    n.a = vm_exp_parts(v_mul(sq, v_set1(-0.5)), v_mul(sq_lo, v_set1(-0.5)), &n.b, &n.a_lo);
    vm_two_prod(z, v_set1(SM_SQRT1_2_HI), &t, &t_lo);
    t_lo = v_add(t_lo, v_mul(z, v_set1(SM_SQRT1_2_LO)));
    n.f = vm_erfcx_times_one_plus_dd(t, &n.f_lo);
    vm_two_sum(v_set1(1.0), t, &n.d, &n.d_lo);
    n.d_lo = v_add(n.d_lo, t_lo);
    return n;
}

/* v Q / b as a double-double (hi, *lo): 0.5 v (a + a_lo) f / (1 + t) */
static inline V sm_times_tail(V v, const sm_normal_tail *n, V *lo) {
    V m, m_lo, k, k_lo;
    vm_two_prod(v, n->a, &m, &m_lo);
    m_lo = v_add(m_lo, v_mul(v, n->a_lo));
    vm_two_prod(m, n->f, &k, &k_lo);
    k_lo = v_add(k_lo, v_add(v_mul(m_lo, n->f), v_mul(m, n->f_lo)));
    V q = vm_dd_div_parts(k, k_lo, n->d, n->d_lo, lo);
    *lo = v_mul(*lo, v_set1(0.5));
    return v_mul(q, v_set1(0.5));
}

/* x Phi(x), Phi the standard normal distribution: for x < 0, x Q (b applied last: rounded once in
 * the subnormals); for x >= 0, x - x Q with x Q a double-double. gelu(-inf) = -0.0. */
static inline V OPF(gelu)(V x, const P *p) {
    sm_normal_tail n = sm_normal(x);
    /* x Q for both signs at once, x clamped to [-40, 40] (no inf * 0 anywhere) */
    V xc = v_select(v_gt(x, v_set1(40.0)), v_set1(40.0), v_select(v_lt(x, v_set1(-40.0)), v_set1(-40.0), x));
    V lo, xq = sm_times_tail(xc, &n, &lo);
    V upper = v_sub(v_sub(xc, v_mul(xq, n.b)), v_mul(lo, n.b));
    V lower = v_mul(v_select(v_eq(xq, v_zero()), xq, v_add(xq, lo)), n.b);
    (void)p;
    /* gelu(+-0) = +-0 (x - x Q would make -0.0 into +0.0); beyond 40, x itself */
    return v_select(v_lt(x, v_zero()), lower, v_select(v_or(v_gt(x, v_set1(40.0)), v_eq(x, v_zero())), x, upper));
}

/* tanh(x) = sign(x) t, with z = |x| (clamped at 20: t is 1 to every precision beyond 19.1):
 * t = -m / (2 + m), m = expm1(-2z), below z = 0.55 (m in (-0.67, 0]: no cancellation, and
 * tanh(x) = x for tiny x; m, 2 + m and the quotient in double-double, m from e^(-2z) =
 * (a + a_lo) b); above, t = 1 - 2e / (1 + e), e = e^(-2z) (2e / (1 + e) <= 0.5 of t).
 * The sign of a zero kept. */
static inline V OPF(tanh)(V x, const P *p) {
    V z = v_abs(x), two = v_set1(2.0);
    z = v_select(v_gt(z, v_set1(20.0)), v_set1(20.0), z);
    V b, a_lo, a = vm_exp_parts(v_mul(v_set1(-2.0), z), v_zero(), &b, &a_lo);
    V e = v_mul(a, b), m, m_lo, d, d_lo;
    vm_two_sum(e, v_set1(-1.0), &m, &m_lo);
    vm_two_sum(m, v_add(m_lo, v_mul(a_lo, b)), &m, &m_lo); /* renormalized: m is 0 for tiny z */
    vm_two_sum(two, m, &d, &d_lo);
    d_lo = v_add(d_lo, m_lo);
    V t = v_select(v_lt(z, v_set1(0.55)), vm_dd_div(v_sub(v_zero(), m), v_sub(v_zero(), m_lo), d, d_lo),
                   v_sub(v_set1(1.0), v_div(v_add(e, e), v_add(v_set1(1.0), e))));
    (void)p;
    return v_select(v_eq(x, v_zero()), x, v_select(v_lt(x, v_zero()), v_sub(v_zero(), t), t));
}

/* tanhshrink(x) = x - tanh(x), odd; with z = |x|:
 * - z < 1: z^3 P(t), t = z^2, P(t) = (z - tanh z) / z^3 = 1/3 - 2t/15 + t^2 S(t), S by a
 *   polynomial of degree 15 (tools/fit_tanhshrink.py: within 2^-56 of P). The two outer steps and
 *   z^3 are double-doubles (fused multiply-adds), so only S's roundings count, at t^2 S / P <= 0.17
 *   of the result: no cancellation at all. Below 2^-200, z is scaled by 2^200 and the result by
 *   2^-600 (a subnormal result is rounded twice, to 53 bits and into the subnormals: 0.75 ULP at
 *   most; below 2^-360 it is 0 with x's sign).
 * - z >= 1: (z - 1) + 2e / (1 + e), e = e^(-2z) = (a + a_lo) b (vm_exp_parts), both terms
 *   positive (z - 1 exact), the quotient a double-double; z clamped at 40 in e (beyond, 2e is
 *   below 2^-110 of z - 1), z itself above 2^60. */
#define SM_THIRD_HI 0x1.5555555555555p-2
#define SM_THIRD_LO 0x1.5555555555555p-56
#define SM_MINUS_2_15_HI -0x1.1111111111111p-3
#define SM_MINUS_2_15_LO -0x1.1111111111111p-59
static const double SM_TANHSHRINK_S[16] = { /* highest degree first (tools/fit_tanhshrink.py) */
    -0x1.1bf0630d3d6b3p-28, 0x1.7383500a16bb8p-25, -0x1.e67cd29720a75p-23, 0x1.b7d75b2b23c8bp-21,
    -0x1.4201d80bd01bdp-19, 0x1.a72b5102f2aeep-18, -0x1.09d3e0cb93ee5p-16, 0x1.4940dda0c1acbp-15,
    -0x1.96759ade1f618p-14, 0x1.f57c9c5767361p-13, -0x1.35581cd74f464p-11, 0x1.7da363f82e872p-10,
    -0x1.d6d3d0dece2dap-9, 0x1.226e355e67574p-7, -0x1.664f4882c1087p-6, 0x1.ba1ba1ba1ba1cp-5
};

/* c + t (s + s_lo) as a double-double (c = c_hi + c_lo): the product exact by a fused
 * multiply-add, the sum by Knuth's two-sum */
static inline V sm_dd_step(double c_hi, double c_lo, V t, V s, V s_lo, V *lo) {
    V p = v_mul(t, s), h, h_lo;
    V p_lo = f64_fma(t, s_lo, f64_fma(t, s, v_sub(v_zero(), p)));
    vm_two_sum(v_set1(c_hi), p, &h, &h_lo);
    *lo = v_add(h_lo, v_add(p_lo, v_set1(c_lo)));
    return h;
}

/* The pieces both directions use, z = |x|: zc = min(z, 1), t = zc^2, P(t) = q + q_lo; and for
 * z >= 1, 2e / (1 + e) = g + g_lo (1 - tanh z). */
typedef struct {
    V z, zc, t, q, q_lo, g, g_lo;
} sm_tanhshrink_pieces;

static inline sm_tanhshrink_pieces sm_tanhshrink(V x) {
    const V one = v_set1(1.0);
    sm_tanhshrink_pieces k;
    V s, a, a_lo, b, e, e_lo, d, d_lo;
    int j;
    k.z = v_abs(x);
    k.zc = v_select(v_gt(k.z, one), one, k.z), k.t = v_mul(k.zc, k.zc);
    s = v_set1(SM_TANHSHRINK_S[0]);
    for (j = 1; j < 16; j++) s = f64_fma(s, k.t, v_set1(SM_TANHSHRINK_S[j]));
    a = sm_dd_step(SM_MINUS_2_15_HI, SM_MINUS_2_15_LO, k.t, s, v_zero(), &a_lo);
    k.q = sm_dd_step(SM_THIRD_HI, SM_THIRD_LO, k.t, a, a_lo, &k.q_lo);
    e = vm_exp_parts(v_mul(v_set1(-2.0), v_select(v_gt(k.z, v_set1(40.0)), v_set1(40.0), k.z)), v_zero(), &b, &e_lo);
    e = v_mul(e, b), e_lo = v_mul(e_lo, b); /* normal numbers: b is exact */
    vm_two_sum(one, e, &d, &d_lo);
    k.g = vm_dd_div_parts(v_add(e, e), v_add(e_lo, e_lo), d, v_add(d_lo, e_lo), &k.g_lo);
    return k;
}

static inline V OPF(tanhshrink)(V x, const P *p) {
    const V one = v_set1(1.0);
    sm_tanhshrink_pieces k = sm_tanhshrink(x);
    V z = k.z, sum, sum_lo;
    M tiny = v_lt(z, v_set1(0x1p-200));
    /* z < 1: z^3 P(t), z^3 from zs (scaled where tiny) */
    V zs = v_mul(k.zc, v_select(tiny, v_set1(0x1p200), one));
    V s2 = v_mul(zs, zs), s2_lo = f64_fma(zs, zs, v_sub(v_zero(), s2));
    V z3 = v_mul(s2, zs), z3_lo = f64_fma(s2_lo, zs, f64_fma(s2, zs, v_sub(v_zero(), z3)));
    V small = f64_fma(z3, k.q, f64_fma(z3, k.q_lo, v_mul(z3_lo, k.q)));
    small = v_mul(small, v_select(tiny, v_set1(0x1p-600), one));
    /* z >= 1: (z - 1) + g */
    M huge = v_gt(z, v_set1(0x1p60)); /* z itself (+inf included: no inf - inf in the sum) */
    vm_two_sum(v_sub(v_select(huge, one, z), one), k.g, &sum, &sum_lo);
    V big = v_select(huge, z, v_add(sum, v_add(sum_lo, k.g_lo)));
    V y = v_select(v_lt(z, one), small, big);
    (void)p;
    /* -y by a product: 0 - y would turn a zero that underflowed from a negative x into +0 */
    return v_select(v_eq(x, v_zero()), x, v_select(v_lt(x, v_zero()), v_mul(v_set1(-1.0), y), y));
}

/* ---- derivatives ---------------------------------------------------------------------------- */

/* 1 for x > 0, alpha e^x at and below 0 (PyTorch's side of the kink) */
static inline V OPF(elu_grad)(V x, const P *p) {
    return v_select(v_le(x, v_zero()), v_mul(p->a, vm_exp(sm_nonpositive(x))), v_set1(1.0));
}

static inline V OPF(celu_grad)(V x, const P *p) {
    return v_select(v_le(x, v_zero()), vm_exp(v_div(sm_nonpositive(x), p->a)), v_set1(1.0));
}

static inline V OPF(selu_grad)(V x, const P *p) {
    (void)p;
    return v_select(v_le(x, v_zero()), sm_mul_dd(vm_exp(sm_nonpositive(x)), SM_SELU_SCALE_ALPHA_HI, SM_SELU_SCALE_ALPHA_LO),
                    v_set1(SM_SELU_SCALE));
}

/* sigmoid(beta x); 1 where beta x > threshold (b) */
static inline V OPF(softplus_grad)(V x, const P *p) {
    V z = v_mul(p->a, x);
    return v_select(v_gt(z, p->b), v_set1(1.0), vm_sigmoid(z));
}

/* sigmoid(x) sigmoid(-x) = e / (1 + e)^2 with e = exp(-|x|): symmetric, no cancellation */
static inline V OPF(sigmoid_grad)(V x, const P *p) {
    V e = vm_exp(v_sub(v_zero(), v_abs(x)));
    (void)p;
    return v_mul(vm_recip_one_plus(e), vm_ratio_one_plus_self(e));
}

/* d/dx log sigmoid(x) = sigmoid(-x) */
static inline V OPF(log_sigmoid_grad)(V x, const P *p) {
    (void)p;
    return vm_sigmoid(v_sub(v_zero(), x));
}

/* sigmoid(x) + x sigmoid(x) sigmoid(-x) */
static inline V OPF(silu_grad)(V x, const P *p) {
    V e = vm_exp(v_sub(v_zero(), v_abs(x)));
    V big = vm_recip_one_plus(e), small = vm_ratio_one_plus_self(e); /* sigmoid(|x|), sigmoid(-|x|) */
    M negative = v_lt(x, v_zero());
    V s = v_select(negative, small, big);
    (void)p;
    return v_add(s, v_mul(v_mul(sm_clamp(x), big), small));
}

/* tanh(sp) + x sech^2(sp) sigmoid(x), sp = softplus(x). With e = exp(-|x|): sech^2(sp) =
 * 4 e^2 (1 + e)^2 / (1 + 2e + 2e^2)^2 for x >= 0, 4 (1 + e)^2 / (e (e + 2) + 2)^2 for x < 0. */
static inline V OPF(mish_grad)(V x, const P *p) {
    V e = vm_exp(v_sub(v_zero(), v_abs(x)));
    M negative = v_lt(x, v_zero());
    V one = v_set1(1.0), two = v_set1(2.0);
    V one_plus_e = v_add(one, e);
    V denominator = v_select(negative, v_add(v_mul(e, v_add(e, two)), two),
                             v_add(v_add(one, v_mul(two, e)), v_mul(two, v_mul(e, e))));
    V numerator = v_mul(v_set1(4.0), v_mul(one_plus_e, one_plus_e));
    numerator = v_select(negative, numerator, v_mul(numerator, v_mul(e, e)));
    V sech2 = v_div(numerator, v_mul(denominator, denominator));
    V s = vm_sigmoid_from(x, e);
    (void)p;
    return v_add(sm_tanh_softplus(x, e), v_mul(v_mul(sm_clamp(x), sech2), s));
}

/* 1/6 strictly inside (-3, 3), else 0 (PyTorch) */
static inline V OPF(hardsigmoid_grad)(V x, const P *p) {
    (void)p;
    return v_keep(v_and(v_gt(x, v_set1(-3.0)), v_lt(x, v_set1(3.0))), v_set1(1.0 / 6.0));
}

/* 0 up to -3, x / 3 + 1/2 strictly inside (-3, 3), 1 from 3 on: PyTorch's values at the kinks
 * (0 at -3, 1 at 3), the one-sided derivatives of the flat pieces */
static inline V OPF(hardswish_grad)(V x, const P *p) {
    V middle = v_add(v_div(x, v_set1(3.0)), v_set1(0.5));
    (void)p;
    return v_select(v_le(x, v_set1(-3.0)), v_zero(), v_select(v_ge(x, v_set1(3.0)), v_set1(1.0), middle));
}

/* sigmoid(2u) + x sigmoid(2u) sigmoid(-2u) 2u', 2u' = 2 sqrt(2/pi) (1 + 3 * 0.044715 x^2) */
static inline V OPF(gelu_tanh_grad)(V x, const P *p) {
    V lo, b, xc = sm_clamp(x);
    V hi = sm_gelu_2u(xc, &lo);
    V a_lo, a = sm_gelu_exp_parts(hi, lo, &b, &a_lo);
    V e = v_mul(a, b);
    M negative = v_lt(hi, v_zero());
    V big = vm_recip_one_plus(e), small = vm_ratio_one_plus_self(e);
    V s = v_select(negative, small, big), s_neg = v_select(negative, big, small);
    V du = v_mul(v_set1(2.0 * SM_SQRT_2_OVER_PI),
                 v_add(v_set1(1.0), v_mul(v_set1(3.0 * SM_GELU_CUBIC), v_mul(xc, xc))));
    (void)p;
    return v_add(s, v_mul(v_mul(xc, s), v_mul(s_neg, du)));
}

/* Phi(x) + x phi(x): Q + x phi(x) for x < 0, 1 - Q + x phi(x) above, phi(x) = e^(-x^2/2) / sqrt(2 pi) */
static inline V OPF(gelu_grad)(V x, const P *p) {
    sm_normal_tail n = sm_normal(x);
    V e = v_mul(n.a, n.b), lo;
    V x_phi = v_mul(v_mul(sm_clamp(x), e), v_set1(0.39894228040143267794)); /* 1/sqrt(2 pi) */
    V q = v_mul(sm_times_tail(v_set1(1.0), &n, &lo), n.b);
    (void)p;
    return v_select(v_lt(x, v_zero()), v_add(q, x_phi), v_add(v_sub(v_set1(1.0), q), x_phi));
}

/* 1 - tanh(x)^2 = 4e / (1 + e)^2, e = e^(-2|x|): no cancellation (|x| clamped at 400, beyond
 * which it is 0) */
static inline V OPF(tanh_grad)(V x, const P *p) {
    V z = v_abs(x);
    z = v_select(v_gt(z, v_set1(400.0)), v_set1(400.0), z);
    V e = vm_exp(v_mul(v_set1(-2.0), z)), d = v_add(v_set1(1.0), e);
    (void)p;
    return v_div(v_mul(v_set1(4.0), e), v_mul(d, d));
}

/* tanh(x)^2 from tanhshrink's pieces, tanh as a double-double h + h_lo: tanh(z) = z (1 - t P(t))
 * below 1 (t P <= 0.24: no cancellation; squared as t (1 - t P)^2 with t = z^2 exact), 1 - g
 * above; rounded once */
static inline V OPF(tanhshrink_grad)(V x, const P *p) {
    const V one = v_set1(1.0);
    sm_tanhshrink_pieces k = sm_tanhshrink(x);
    M small = v_lt(k.z, one);
    V w = v_mul(k.t, k.q), w_lo = f64_fma(k.t, k.q_lo, f64_fma(k.t, k.q, v_sub(v_zero(), w)));
    V h, h_lo, gh, gh_lo;
    vm_two_sum(one, v_sub(v_zero(), w), &h, &h_lo);
    vm_two_sum(one, v_sub(v_zero(), k.g), &gh, &gh_lo);
    h_lo = v_select(small, v_sub(h_lo, w_lo), v_sub(gh_lo, k.g_lo));
    h = v_select(small, h, gh);
    V h2 = v_mul(h, h), h2_lo = f64_fma(v_add(h, h), h_lo, f64_fma(h, h, v_sub(v_zero(), h2)));
    /* the factor t = z^2 (+ t_lo) below 1, 1 above */
    V t = v_select(small, k.t, one), t_lo = v_keep(small, f64_fma(k.zc, k.zc, v_sub(v_zero(), k.t)));
    (void)p;
    return f64_fma(t, h2, f64_fma(t, h2_lo, v_mul(t_lo, h2)));
}

RECT_SMOOTH_UNARY_OPS(SM_PINNED)
#undef SM_PINNED
