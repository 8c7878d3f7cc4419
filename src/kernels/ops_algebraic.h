/* The algebraic family: softsign, hardshrink, softshrink, squareplus, sparse_plus, sparse_sigmoid
 * and their derivatives, written once in float64 (only +, -, *, /, sqrt: the same bits on every
 * path).
 *
 * Included by instantiate.h in the float64 instantiation, after vmath.h and ops_smooth.h (whose
 * double-double helpers it uses). The float32 and float16 kernels widen each vector to float64,
 * apply these ops with the parameters rounded to float32 (their compute type), and round once:
 * each op's float64 value is within a few float64 ULPs, so those results are correctly rounded
 * but for ties closer than 2^-28 ULP. float64 data gets the ops themselves: <= 1 ULP (each says
 * why). Parameters: a = lambd (the shrinks), a = b (squareplus).
 */

/* |x| clamped at 1e200: large enough that every result below is its limit there, small enough
 * that Dekker's products (vm_two_prod splits above 2^996) cannot overflow. */
static inline V al_clamped_abs(V x) {
    V z = v_abs(x);
    return v_select(v_gt(z, v_set1(1e200)), v_set1(1e200), z);
}

/* 1 + z as hi + lo, exactly (z >= 0) */
static inline V al_one_plus(V z, V *lo) {
    V hi;
    vm_two_sum(v_set1(1.0), z, &hi, lo);
    return hi;
}

/* x / (1 + |x|): the denominator exact as a double-double, one correctly rounded quotient (0.5 ULP
 * + 2^-100). Beyond 1e200 the result is +-1 (inf included); the sign of a zero is kept. */
static inline V OPF(softsign)(V x, const P *p) {
    (void)p;
    V z = al_clamped_abs(x), lo, d = al_one_plus(z, &lo);
    V xc = v_select(v_lt(x, v_zero()), v_sub(v_zero(), z), v_select(v_eq(x, v_zero()), x, z));
    return vm_dd_div(xc, v_zero(), d, lo);
}

/* 1 / (1 + |x|)^2: the square as a double-double, one quotient; (1 / |x|) / |x| beyond 1e100, where
 * the 1 no longer counts (and the square would overflow). */
static inline V OPF(softsign_grad)(V x, const P *p) {
    (void)p;
    V z = v_abs(x);
    M far = v_gt(z, v_set1(1e100));
    V lo, d = al_one_plus(v_clear(far, z), &lo), sq, sq_lo;
    vm_two_prod(d, d, &sq, &sq_lo);
    sq_lo = v_add(sq_lo, v_mul(v_add(d, d), lo));
    V zf = v_select(far, z, VT(one)());
    return v_select(far, v_div(v_div(VT(one)(), zf), zf), vm_dd_div(VT(one)(), v_zero(), sq, sq_lo));
}

/* +0 where -lambd <= x <= lambd, else x (PyTorch; NaN stays NaN). Exact. */
static inline V OPF(hardshrink)(V x, const P *p) {
    return v_clear(v_le(v_abs(x), p->a), x);
}

/* 1 where |x| > lambd, else 0 */
static inline V OPF(hardshrink_grad)(V x, const P *p) {
    return v_keep(v_gt(v_abs(x), p->a), VT(one)());
}

/* x - lambd above lambd, x + lambd below -lambd, +0 between (PyTorch): one rounding. */
static inline V OPF(softshrink)(V x, const P *p) {
    V shrunk = v_select(v_gt(x, p->a), v_sub(x, p->a), v_add(x, p->a));
    return v_clear(v_le(v_abs(x), p->a), shrunk);
}

static inline V OPF(softshrink_grad)(V x, const P *p) {
    return OPF(hardshrink_grad)(x, p);
}

/* The lanes of squareplus and its derivative. s + s_lo = sqrt(x^2 + b) to about 2^-100 relative
 * (the square root's error from the exact remainder of x^2 + b - s^2, Dekker), for |x| <= 1e150;
 * beyond (far), b / x^2 is below 2^-53 for any float32 b and the results take their limits. Each
 * division sees 1 in the lanes it does not decide, so no lane raises a flag it does not return. */
typedef struct {
    V z, s, s_lo, half_b, zf;
    M negative, far;
} al_squareplus_t;

static inline al_squareplus_t al_squareplus(V x, const P *p) {
    al_squareplus_t q;
    V x2, x2_lo, n, n_lo, ss, ss_lo;
    q.z = v_abs(x);
    q.negative = v_lt(x, v_zero());
    q.far = v_gt(q.z, v_set1(1e150));
    q.zf = v_select(q.far, q.z, VT(one)());
    V z = v_clear(q.far, q.z);
    vm_two_prod(z, z, &x2, &x2_lo);
    vm_two_sum(x2, p->a, &n, &n_lo);
    n_lo = v_add(n_lo, x2_lo);
    q.s = f64_sqrt(n);
    vm_two_prod(q.s, q.s, &ss, &ss_lo);
    V twice = v_add(q.s, q.s);
    q.s_lo = v_div(v_add(v_sub(v_sub(n, ss), ss_lo), n_lo), v_select(v_eq(twice, v_zero()), VT(one)(), twice));
    q.half_b = v_mul(p->a, v_set1(0.5));
    return q;
}

/* (x + sqrt(x^2 + b)) / 2 (JAX), as (b / 2) / (s + |x|) for x < 0: no cancellation; both with s
 * as a double-double and rounded once (about 0.5 ULP). x itself beyond 1e150, (b / 4) / |x| below
 * -1e150. b = 0 is relu exactly (x^2 may underflow where x itself does not). */
static inline V OPF(squareplus)(V x, const P *p) {
    al_squareplus_t q = al_squareplus(x, p);
    V sum, sum_lo;
    M b_zero = v_eq(p->a, v_zero());
    vm_two_sum(v_clear(q.far, q.z), q.s, &sum, &sum_lo);   /* |x| + s, exactly */
    sum_lo = v_add(sum_lo, q.s_lo);
    V positive = v_select(q.far, x, v_mul(v_add(sum, sum_lo), v_set1(0.5)));
    V negative = v_select(q.far, v_div(v_mul(q.half_b, v_set1(0.5)), q.zf),
                          vm_dd_div(q.half_b, v_zero(), v_select(b_zero, VT(one)(), sum), sum_lo));
    return v_select(b_zero, v_clear(v_le(x, v_zero()), x), v_select(q.negative, negative, positive));
}

/* (1 + x / s) / 2, as ((b / 2) / s) / (s + |x|) for x < 0 (two quotients of double-doubles: s >=
 * sqrt(b), so neither overflows); 1 beyond 1e150, ((b / 4) / |x|) / |x| below -1e150. b = 0: relu's
 * derivative, 1/2 at 0 (the mean of the one-sided slopes). */
static inline V OPF(squareplus_grad)(V x, const P *p) {
    al_squareplus_t q = al_squareplus(x, p);
    M b_zero = v_eq(p->a, v_zero());
    V one = VT(one)(), half = v_set1(0.5), s = v_select(b_zero, one, q.s);
    V ratio_lo, ratio, lead, lead_lo, sum, sum_lo, inner, inner_lo;
    ratio = vm_dd_div_parts(v_clear(v_or(q.far, b_zero), x), v_zero(), s, q.s_lo, &ratio_lo);
    vm_two_sum(one, ratio, &lead, &lead_lo);
    V positive = v_select(q.far, one, v_mul(v_add(lead, v_add(lead_lo, ratio_lo)), half));
    vm_two_sum(v_clear(q.far, q.z), q.s, &sum, &sum_lo);
    sum_lo = v_add(sum_lo, q.s_lo);
    inner = vm_dd_div_parts(q.half_b, v_zero(), s, q.s_lo, &inner_lo);
    V negative = v_select(q.far, v_div(v_div(v_mul(q.half_b, half), q.zf), q.zf),
                          vm_dd_div(inner, inner_lo, v_select(b_zero, one, sum), sum_lo));
    V relu_slope = v_select(v_gt(x, v_zero()), one, v_keep(v_eq(x, v_zero()), half));
    return v_select(b_zero, relu_slope, v_select(q.negative, negative, positive));
}

/* (x + 1)^2 / 4 on (-1, 1), 0 at and below -1, x from 1 on (JAX): x + 1 and its square as
 * double-doubles, rounded once (0.5 ULP; float32 results correctly rounded). */
static inline V OPF(sparse_plus)(V x, const P *p) {
    (void)p;
    V u, u_lo, sq, sq_lo;
    /* 0 outside (-1, 1): the square cannot overflow in lanes it does not decide */
    vm_two_sum(v_keep(v_and(v_gt(x, v_set1(-1.0)), v_lt(x, VT(one)())), x), VT(one)(), &u, &u_lo);
    vm_two_prod(u, u, &sq, &sq_lo);
    sq_lo = v_add(sq_lo, v_mul(v_add(u, u), u_lo));
    V mid = v_mul(v_add(sq, sq_lo), v_set1(0.25));
    return v_select(v_ge(x, VT(one)()), x, v_clear(v_le(x, v_set1(-1.0)), mid));
}

/* (x + 1) / 2 on (-1, 1), 0 at and below -1, 1 at and above 1 (JAX): sparse_plus' derivative */
static inline V OPF(sparse_sigmoid)(V x, const P *p) {
    (void)p;
    V mid = v_mul(v_add(x, VT(one)()), v_set1(0.5));
    return v_select(v_ge(x, VT(one)()), VT(one)(), v_clear(v_le(x, v_set1(-1.0)), mid));
}

static inline V OPF(sparse_plus_grad)(V x, const P *p) {
    return OPF(sparse_sigmoid)(x, p);
}

/* 1/2 strictly inside (-1, 1), 0 at and beyond the kinks (PyTorch's convention for hardsigmoid) */
static inline V OPF(sparse_sigmoid_grad)(V x, const P *p) {
    (void)p;
    return v_keep(v_and(v_gt(x, v_set1(-1.0)), v_lt(x, VT(one)())), v_set1(0.5));
}

/* x's own NaN out for a NaN in, whatever the op's operations made of it (ops_smooth.h says why) */
#define AL_PINNED(op)                                                                             \
    static inline V OPF(RECT_CAT(op, _pinned))(V x, const P *p) {                                 \
        return v_select(v_isnan(x), x, OPF(op)(x, p));                                          \
    }
RECT_ALGEBRAIC_UNARY_OPS(AL_PINNED)
#undef AL_PINNED
