/* Each activation and derivative, written once over the vector shim.
 *
 * Included by instantiate.h once per element type (f32, f64) after the generic names V (vector),
 * M (mask), S (scalar), P (broadcast parameters) and v_* (shim operations) have been bound to that
 * type. No include guard on purpose.
 *
 * Conventions every op keeps, on every path:
 *   - compares are ordered (false on NaN), so a NaN x falls through to the branch that returns x or
 *     a product with x: NaN propagates;
 *   - select, never min/max instructions, so -0.0 and NaN do not depend on operand order.
 */

typedef struct {
    V a, b, c, d;
} P;

static inline P VT(params)(const rect_params *rp) {
    P p;
    p.a = v_set1((S)rp->a);
    p.b = v_set1((S)rp->b);
    p.c = v_set1((S)rp->c);
    p.d = v_set1((S)rp->d);
    return p;
}

/* ---- forward ---------------------------------------------------------------------------- */

/* +0 where x <= 0 (so relu(-0) = +0), x elsewhere (NaN fails the compare and stays). */
static inline V OPF(relu)(V x, const P *p) {
    (void)p;
    return v_clear(v_le(x, v_zero()), x);
}

/* relu, then 6 where x > 6. */
static inline V OPF(relu6)(V x, const P *p) {
    V six = v_set1((S)6);
    return v_select(v_gt(x, six), six, OPF(relu)(x, p));
}

/* clamp to [a, b]; values inside the interval, -0.0 included, are returned unchanged. */
static inline V OPF(hardtanh)(V x, const P *p) {
    return v_select(v_lt(x, p->a), p->a, v_select(v_gt(x, p->b), p->b, x));
}

/* value (b) where x <= threshold (a), else x. */
static inline V OPF(threshold)(V x, const P *p) {
    return v_select(v_le(x, p->a), p->b, x);
}

/* x where x > 0, else slope * x: the one body behind leaky_relu and prelu (a slope per element),
 * the latter through the per-element kernel.
 * leaky_relu(-0.0) = slope * -0.0 = -0.0 for a positive slope; NaN fails x <= 0 and stays. The
 * product sees +0 in every lane it does not decide, so it cannot overflow or raise a flag there
 * (a min instruction would mask it in one operation, but x86 minps raises "invalid" on a quiet
 * NaN). A zero slope is relu exactly: +0 for every x <= 0, -inf included (its limit, where
 * 0 * -inf would be NaN): the product then sees +0 too. */
static inline V OPF(sloped)(V x, V slope) {
    M negative = v_le(x, v_zero()), zero_slope = v_eq(slope, v_zero());
    /* +0 * +0 in the zero-slope lanes, so that a slope of -0.0 gives +0 too */
    V product = v_mul(v_clear(zero_slope, slope), v_keep(negative, v_clear(zero_slope, x)));
    return v_select(negative, product, x);
}

/* The same for a slope known not to be zero. */
static inline V OPF(sloped_nonzero)(V x, V slope) {
    M negative = v_le(x, v_zero());
    return v_select(negative, v_mul(slope, v_keep(negative, x)), x);
}

/* The kernel sends a zero slope to relu once per call (instantiate.h), so this op never sees one. */
static inline V OPF(leaky_relu)(V x, const P *p) {
    return OPF(sloped_nonzero)(x, p->a);
}

/* ---- derivatives: each returns f'(x); the kernels apply the incoming gradient ----------------- */

static inline V VT(one)(void) { return v_set1((S)1); }

/* 1 for x > 0, at_zero (a) at exactly +-0, 0 below. */
static inline V OPF(relu_grad)(V x, const P *p) {
    return v_select(v_gt(x, v_zero()), VT(one)(), v_keep(v_eq(x, v_zero()), p->a));
}

/* 1 strictly inside (0, 6), 0 at and beyond the kinks (PyTorch, JAX). */
static inline V OPF(relu6_grad)(V x, const P *p) {
    (void)p;
    return v_keep(v_and(v_gt(x, v_zero()), v_lt(x, v_set1((S)6))), VT(one)());
}

/* 1 strictly inside (a, b), 0 at and beyond the bounds. */
static inline V OPF(hardtanh_grad)(V x, const P *p) {
    return v_keep(v_and(v_gt(x, p->a), v_lt(x, p->b)), VT(one)());
}

static inline V OPF(threshold_grad)(V x, const P *p) {
    return v_keep(v_gt(x, p->a), VT(one)());
}

/* 1 for x > 0, the slope at and below 0 (PyTorch's choice at the kink). */
static inline V OPF(sloped_grad)(V x, V slope) {
    return v_select(v_gt(x, v_zero()), VT(one)(), slope);
}

static inline V OPF(leaky_relu_grad)(V x, const P *p) {
    return OPF(sloped_grad)(x, p->a);
}

/* rrelu's derivative is its multiplier: the kernel gets the noise rrelu returned as x, and
 * returns grad * noise (through chain: +0 where the noise is 0, NaN where it is NaN). */
static inline V OPF(rrelu_grad)(V noise, const P *p) {
    (void)p;
    return noise;
}

/* grad * f'(x) as every gradient kernel returns it: NaN where x is NaN, +0 where f'(x) is 0 (so an
 * inf or NaN gradient does not leak through a unit that is off), the product elsewhere. */
static inline V VT(chain_product)(V derivative, V grad) {
    /* 0 * 0 where the derivative is 0: no inf * 0 = NaN, and no floating-point flag; the outer
     * clear makes that +0 also for a derivative of -0 (a PReLU weight of -0.0) */
    M off = v_eq(derivative, v_zero());
    V product = v_clear(off, v_mul(derivative, v_clear(off, grad)));
    /* a NaN derivative (a parameter only the C API can pass) wins over a NaN grad: which operand's
     * NaN a product returns differs between the compiled paths */
    return v_select(v_isnan(derivative), derivative, product);
}
static inline V VT(chain)(V x, V derivative, V grad) {
    return v_select(v_isnan(x), x, VT(chain_product)(derivative, grad));
}

/* The slope's share of the PReLU gradient: 0 where x > 0, grad * x elsewhere (NaN x stays NaN). */
static inline V OPF(sloped_grad_slope)(V x, V grad) {
    M positive = v_gt(x, v_zero());
    return v_mul(v_clear(positive, grad), v_clear(positive, x));
}

/* ---- the fused dense-layer epilogue and the dying-ReLU diagnostics (src/fused.c) -------------- */

/* x + bias, one bias per element (a tiled pattern), rounded once to the storage type (float16
 * data: added in float32, then rounded to float16 on store, as NumPy adds float16). */
static inline V OPF(add)(V x, V bias) { return v_add(x, bias); }

/* 1 where x > 0, else 0: NaN is not positive (the compare is ordered). */
static inline V OPF(positive)(V x) { return v_keep(v_gt(x, v_zero()), VT(one)()); }
