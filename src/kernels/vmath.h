/* Vector math in float64, written once over the shim: exp, expm1, log1p on [0, 1], and the
 * logistic pieces the smooth rectifiers share.
 *
 * Included by instantiate.h in the float64 instantiation only (V is f64_v). It serves float64 data
 * (results aim at <= 2 ULP) and float32's hardsigmoid, hardswish and gelu (erf); the other
 * float32 kernels use ops_smooth_wide.h's shorter polynomials.
 *
 * Only additions, subtractions, multiplications and divisions, no fused multiply-add: every path
 * (scalar, AVX2, NEON) then performs the same IEEE operations in the same order and returns the
 * same bits. The polynomials are truncated Taylor series, long enough that truncation is below
 * 2^-56 of the result on the reduced range.
 *
 * Arguments are clamped with ordered compares, so a NaN passes through every step and comes out
 * NaN; no step raises "invalid" on a quiet NaN. Callers mask the lanes they will discard (for
 * example elu passes min(x, 0) to expm1) so that those lanes raise no overflow either.
 */

#define VM_LOG2E 0x1.71547652b82fep0
#define VM_LN2_HI 0x1.62e42fee00000p-1 /* 20 trailing zero bits: n * VM_LN2_HI is exact */
#define VM_LN2_LO 0x1.a39ef35793c76p-33
#define VM_SQRT2 0x1.6a09e667f3bcdp0

/* n = round(x / ln 2) and r = x - n ln 2 (Cody-Waite, two constants), |r| <= ln(2) / 2. */
static inline V vm_reduce_ln2(V x, V *n) {
    const V magic = v_set1(0x1.8p52);
    V k = v_sub(v_add(v_mul(x, v_set1(VM_LOG2E)), magic), magic); /* round to nearest, ties even */
    *n = k;
    return v_sub(v_sub(x, v_mul(k, v_set1(VM_LN2_HI))), v_mul(k, v_set1(VM_LN2_LO)));
}

/* expm1(r) = r + r^2 q(r), q(r) = 1/2 + r/6 + ... + r^12/14! (Taylor; truncation < 2^-58 for
 * |r| <= ln(2)/2), evaluated by Estrin's scheme: pairs, then pairs of pairs, so that the chain of
 * dependent operations is 5 deep instead of Horner's 13 (the kernels are latency-bound). */
static inline V vm_expm1_poly(V r) {
#define VM_PAIR(c0, c1) v_add(v_set1(c0), v_mul(v_set1(c1), r))
    V r2 = v_mul(r, r), r4 = v_mul(r2, r2), r8 = v_mul(r4, r4);
    V p01 = VM_PAIR(0.5, 1.0 / 6.0), p23 = VM_PAIR(1.0 / 24.0, 1.0 / 120.0);
    V p45 = VM_PAIR(1.0 / 720.0, 1.0 / 5040.0), p67 = VM_PAIR(1.0 / 40320.0, 1.0 / 362880.0);
    V p89 = VM_PAIR(1.0 / 3628800.0, 1.0 / 39916800.0), p1011 = VM_PAIR(1.0 / 479001600.0, 1.0 / 6227020800.0);
#undef VM_PAIR
    V q0 = v_add(p01, v_mul(p23, r2)), q1 = v_add(p45, v_mul(p67, r2));
    V q2 = v_add(p89, v_mul(p1011, r2));
    V s0 = v_add(q0, v_mul(q1, r4)), s1 = v_add(q2, v_mul(v_set1(1.0 / 87178291200.0), r4));
    return v_add(r, v_mul(r2, v_add(s0, v_mul(s1, r8))));
}

/* e^(x + lo) as a * b, for |lo| <= 2^-40 |x| the low part of a double-double argument (or 0):
 * a = e^r 2^(n/2) is a normal number (exact), b = 2^(n - n/2) a power of two. A caller that
 * multiplies e^x by something (x sigmoid(x) deep in the subnormals) multiplies a first and b last,
 * so that the result is rounded once. x is clamped to [-1400, 710]: both halves of n stay within
 * the exponent range, and below -1400 every product with e^x that we form is 0 anyway. */
static inline V vm_exp_parts(V x, V lo, V *b, V *a_lo) {
    const V magic = v_set1(0x1.8p52), one = v_set1(1.0);
    V n, half_n, q, p, scale;
    x = v_select(v_gt(x, v_set1(710.0)), v_set1(710.0), x);
    x = v_select(v_lt(x, v_set1(-1400.0)), v_set1(-1400.0), x);
    q = vm_expm1_poly(v_add(vm_reduce_ln2(x, &n), lo));
    p = v_add(one, q);
    half_n = v_sub(v_add(v_mul(n, v_set1(0.5)), magic), magic);
    scale = v_pow2i(half_n);
    *b = v_pow2i(v_sub(n, half_n));
    *a_lo = v_mul(v_sub(q, v_sub(p, one)), scale); /* 1 + q = p + that, exactly (Fast2Sum) */
    return v_mul(p, scale);
}

static inline V vm_exp_split_dd(V x, V lo, V *b) {
    V a_lo;
    return vm_exp_parts(x, lo, b, &a_lo);
}

static inline V vm_exp_split(V x, V *b) { return vm_exp_split_dd(x, v_zero(), b); }

/* e^x. Saturates to +inf above 709.78 and to 0 below -745.13, keeps subnormal results: the
 * scale 2^n is applied as two powers of two, so 2^n is never itself out of range. */
static inline V vm_exp(V x) {
    V b, a = vm_exp_split(x, &b);
    return v_mul(a, b);
}

/* e^x - 1 without cancellation, for x <= 709: 2^n expm1(r) + (2^n - 1), where 2^n - 1 is exact
 * for the n that matter (below x = -40 the result is -1 to every precision). */
static inline V vm_expm1(V x) {
    V n, s;
    x = v_select(v_lt(x, v_set1(-40.0)), v_set1(-40.0), x);
    x = v_select(v_gt(x, v_set1(709.0)), v_set1(709.0), x);
    V q = vm_expm1_poly(vm_reduce_ln2(x, &n));
    s = v_pow2i(n);
    return v_add(v_sub(s, v_set1(1.0)), v_mul(s, q));
}

/* log(1 + e) for e in [0, 1] (the softplus family's argument). With u = 1 + e rounded, the
 * rounding error is put back as (e - (u - 1)) / u; log(u) = k ln 2 + log(m), m in [1/sqrt2, sqrt2],
 * and log(m) = f - s (f - R) with f = m - 1 (exact), s = f / (2 + f), R = 2 s^2 / 3 + 2 s^4 / 5 + ...
 * (|s| <= 0.172: ten terms reach 2^-55). */
static inline V vm_log1p_unit(V e) {
    V u = v_add(v_set1(1.0), e);
    V correction = v_div(v_sub(e, v_sub(u, v_set1(1.0))), u);
    M big = v_gt(u, v_set1(VM_SQRT2));
    V m = v_select(big, v_mul(u, v_set1(0.5)), u);
    V k = v_keep(big, v_set1(1.0));
    V f = v_sub(m, v_set1(1.0));
    V s = v_div(f, v_add(v_set1(2.0), f));
    V z = v_mul(s, s);
    V R = v_set1(2.0 / 21.0);
    R = v_add(v_mul(R, z), v_set1(2.0 / 19.0));
    R = v_add(v_mul(R, z), v_set1(2.0 / 17.0));
    R = v_add(v_mul(R, z), v_set1(2.0 / 15.0));
    R = v_add(v_mul(R, z), v_set1(2.0 / 13.0));
    R = v_add(v_mul(R, z), v_set1(2.0 / 11.0));
    R = v_add(v_mul(R, z), v_set1(2.0 / 9.0));
    R = v_add(v_mul(R, z), v_set1(2.0 / 7.0));
    R = v_add(v_mul(R, z), v_set1(2.0 / 5.0));
    R = v_add(v_mul(R, z), v_set1(2.0 / 3.0));
    R = v_mul(R, z);
    V log_m = v_sub(f, v_mul(s, v_sub(f, R)));
    return v_add(v_mul(k, v_set1(VM_LN2_HI)), v_add(log_m, v_add(v_mul(k, v_set1(VM_LN2_LO)), correction)));
}

/* erfcx(t) = e^(t^2) erfc(t) for t >= 0 is f(t) / (1 + t) with f = (1 + t) erfcx(t), which stays
 * within [1/sqrt(pi), 1]: a Chebyshev series in y = (t - 4) / (t + 4), which maps [0, inf) onto
 * [-1, 1) (26 coefficients fitted at 160 bits by tools/fit_erfcx.py; the dropped terms sum to
 * < 2^-60), evaluated by Clenshaw's recurrence. */
static const double VM_ERFCX_CHEBYSHEV[26] = {
0x1.79bff02cb0e22p-1,
    -0x1.bed1cf7182e17p-3,
    0x1.9588d3f63d0c6p-5,
    -0x1.51356d81075ddp-9,
    -0x1.12d09005676e1p-8,
    0x1.514938e1cd96ap-9,
    -0x1.f473e7c5cc5d0p-11,
    0x1.1120ed12a86afp-12,
    -0x1.bdc9cfb4e5ca7p-15,
    0x1.f2d24b80275e3p-18,
    -0x1.ced8dfd26c824p-22,
    -0x1.743c4d8ba98c8p-24,
    0x1.a3e5f89f894ecp-26,
    -0x1.7fadf47ea3090p-30,
    -0x1.fcfe06d612f19p-32,
    0x1.92cac75eeaca4p-34,
    0x1.207cef6887cbap-38,
    -0x1.b548cf5b2af66p-39,
    0x1.e90e587fe80f3p-44,
    0x1.a389e2de488f9p-44,
    -0x1.3801338465527p-47,
    -0x1.96ab8104b9efbp-49,
    0x1.d1a1f974a38d6p-52,
    0x1.aac445db11bc2p-54,
    -0x1.32ee281172423p-56,
    -0x1.f79425d2dd1ddp-59
};

/* The rest of the exact first coefficient: c0 = VM_ERFCX_CHEBYSHEV[0] + this (tools/fit_erfcx.py) */
#define VM_ERFCX_C0_LO -0x1.56488b6ed8577p-56

/* f(t) = (1 + t) erfcx(t) by Clenshaw's recurrence down to k = 1: f = y b1 - b2 + c0, y and b2
 * returned through pointers (the last step: vm_erfcx_times_one_plus_dd) */
static inline V vm_erfcx_clenshaw(V t, V *y_out, V *b2_out) {
    V y = v_div(v_sub(t, v_set1(4.0)), v_add(t, v_set1(4.0)));
    V two_y = v_add(y, y), b1 = v_zero(), b2 = v_zero(), b0;
    int k;
    for (k = 25; k >= 1; k--) {
        b0 = v_add(v_sub(v_mul(two_y, b1), b2), v_set1(VM_ERFCX_CHEBYSHEV[k]));
        b2 = b1;
        b1 = b0;
    }
    *y_out = y;
    *b2_out = b2;
    return b1;
}


/* 1 / (1 + e) and e / (1 + e) for e in [0, 1] (sigmoid(|x|) and sigmoid(-|x|) for e = exp(-|x|)),
 * with the rounding error of 1 + e (exact by Fast2Sum, since 1 >= e) put back to first order:
 * q (1 - err / d). err / d is below 2^-53, so 1 / d may be taken as q itself (numerator 1) or as
 * 1 - q (numerator e): one division each, the slowest vector operation. */
static inline V vm_one_plus_err(V e, V *d) {
    *d = v_add(v_set1(1.0), e);
    return v_sub(e, v_sub(*d, v_set1(1.0)));
}

static inline V vm_recip_one_plus(V e) {
    V d, err = vm_one_plus_err(e, &d);
    V q = v_div(v_set1(1.0), d);
    return v_sub(q, v_mul(q, v_mul(err, q)));
}

static inline V vm_ratio_one_plus_self(V e) {
    V d, err = vm_one_plus_err(e, &d);
    V q = v_div(e, d);
    return v_sub(q, v_mul(q, v_mul(err, v_sub(v_set1(1.0), q))));
}


/* Double-double arithmetic without FMA (Dekker, Veltkamp splitting; |a| < 2^996). */
static inline void vm_two_prod(V a, V b, V *p, V *e) {
    const V split = v_set1(134217729.0); /* 2^27 + 1 */
    V ca = v_mul(split, a), cb = v_mul(split, b);
    V a_hi = v_sub(ca, v_sub(ca, a)), a_lo = v_sub(a, a_hi);
    V b_hi = v_sub(cb, v_sub(cb, b)), b_lo = v_sub(b, b_hi);
    *p = v_mul(a, b);
    *e = v_add(v_add(v_add(v_sub(v_mul(a_hi, b_hi), *p), v_mul(a_hi, b_lo)), v_mul(a_lo, b_hi)), v_mul(a_lo, b_lo));
}

static inline void vm_two_sum(V a, V b, V *s, V *e) {
    V bb;
    *s = v_add(a, b);
    bb = v_sub(*s, a);
    *e = v_add(v_sub(a, v_sub(*s, bb)), v_sub(b, bb));
}

/* f(t) as hi + *lo: Clenshaw's last step y b1 - b2 + c0 summed exactly, with c0 in two parts, so
 * that f's own rounding (0.5 ULP) and c0's (up to 0.4) do not enter the float64 gelu, whose far
 * tail otherwise reaches 2.3 ULP */
static inline V vm_erfcx_times_one_plus_dd(V t, V *lo) {
    V y, b2, b1 = vm_erfcx_clenshaw(t, &y, &b2), p, p_lo, s, s_lo, f, f_lo;
    vm_two_prod(y, b1, &p, &p_lo);
    vm_two_sum(p, v_sub(v_zero(), b2), &s, &s_lo);
    vm_two_sum(v_set1(VM_ERFCX_CHEBYSHEV[0]), s, &f, &f_lo);
    *lo = v_add(f_lo, v_add(v_add(s_lo, p_lo), v_set1(VM_ERFCX_C0_LO)));
    return f;
}

/* (n + n_lo) / (d + d_lo) for double-double operands, to about 0.5 ULP: the quotient of the high
 * parts gets one Newton correction from the exact remainder (Dekker). */
static inline V vm_dd_div_parts(V n, V n_lo, V d, V d_lo, V *lo) {
    /* one division: q = n (1/d) may be an ULP off, the exact remainder puts it right */
    V inv = v_div(v_set1(1.0), d);
    V q = v_mul(n, inv), qd, qd_lo;
    vm_two_prod(q, d, &qd, &qd_lo);
    V remainder = v_sub(v_add(v_sub(v_sub(n, qd), qd_lo), n_lo), v_mul(q, d_lo));
    *lo = v_mul(remainder, inv);
    return q;
}

static inline V vm_dd_div(V n, V n_lo, V d, V d_lo) {
    V lo, q = vm_dd_div_parts(n, n_lo, d, d_lo, &lo);
    /* a zero quotient keeps its sign (-0 + +0 would be +0) */
    return v_select(v_eq(q, v_zero()), q, v_add(q, lo));
}

/* 1 + e = d + err exactly (Fast2Sum, e in [0, 1]) */
static inline V vm_one_plus(V e, V *err) {
    V d = v_add(v_set1(1.0), e);
    *err = v_sub(e, v_sub(d, v_set1(1.0)));
    return d;
}

/* v sigmoid(t): v / (1 + e) for t >= 0, v e / (1 + e) for t < 0, with e = e^-|t| = (a + a_lo) b
 * (vm_exp_parts). b is applied last, so the result is rounded once even where it is subnormal;
 * about 0.5 ULP + the error of e. This is x sigmoid(x) (silu) and gelu's tanh form. */
static inline V vm_times_logistic(V v, V t, V a, V a_lo, V b) {
    V err, d = vm_one_plus(v_mul(a, b), &err);
    M negative = v_lt(t, v_zero());
    /* Dekker's splitting overflows above 2^996, where e = 0, d = 1 and v / d is exact: each branch
     * sees 0 in the lanes it does not decide, so no lane raises a flag */
    M huge = v_gt(v_abs(v), v_set1(1e290));
    V v_negative = v_keep(negative, v), v_positive = v_clear(v_or(negative, huge), v);
    V num, num_lo;
    vm_two_prod(v_negative, a, &num, &num_lo);
    num_lo = v_add(num_lo, v_mul(v_negative, a_lo));
    V positive = v_select(huge, v_div(v, d), vm_dd_div(v_positive, v_zero(), d, err));
    return v_select(negative, v_mul(vm_dd_div(num, num_lo, d, err), b), positive);
}

/* sigmoid(x) from e = exp(-|x|): never evaluates exp of a positive number. */
static inline V vm_sigmoid_from(V x, V e) {
    return v_select(v_lt(x, v_zero()), vm_ratio_one_plus_self(e), vm_recip_one_plus(e));
}

static inline V vm_sigmoid(V x) {
    return vm_sigmoid_from(x, vm_exp(v_sub(v_zero(), v_abs(x))));
}

/* softplus(x) = max(x, 0) + log1p(exp(-|x|)): no overflow for any x, exact limits at +-inf. */
static inline V vm_softplus(V x) {
    V positive_part = v_clear(v_le(x, v_zero()), x);  /* NaN stays */
    return v_add(positive_part, vm_log1p_unit(vm_exp(v_sub(v_zero(), v_abs(x)))));
}
