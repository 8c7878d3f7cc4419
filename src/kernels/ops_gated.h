/* The gated units: y = act(a) * b in one pass (glu: act = sigmoid; swiglu: silu; geglu: gelu,
 * geglu_tanh: its tanh form; reglu: relu), and their gradients grad_a = grad * b * act'(a),
 * grad_b = grad * act(a), over the activations of ops.h, ops_smooth.h and ops_smooth_wide.h.
 *
 * Included by instantiate.h after the float32 smooth ops. float64 data: the float64 op, times b,
 * rounded once more. float32 and float16 data: glu and swiglu natively in float32 from sigmoid's
 * parts (below: within 0.5 + 2^-4 ULP of the exact product); geglu and geglu_tanh, and the lanes
 * of glu and swiglu outside float32's normal range, widened to float64, act(a) * b there (the
 * product of act(a) and a float32 b is within 2^-28 relative), rounded once to float32: within
 * 0.5 + 2^-3 ULP of the exact product. One rounding, not the two of silu(a) * b. reglu: relu(a)
 * * b is a product of two stored values, rounded once (exact for float16 data in float32).
 *
 * NaN: a's own NaN where a is NaN; any other NaN result (b's, grad's, inf * 0) is the positive
 * quiet NaN, the same bits on every path (x86 and Arm make different NaNs of inf * 0).
 */

/* ---- float64 ---- */
#define VPFX f64
#define S double

static inline V VT(gated_nan)(V a, V y) {
    return v_select(v_isnan(a), a, v_select(v_isnan(y), v_abs(v_set1((S)NAN)), y));
}

/* v sigmoid(t) = v e / (1 + e) for t < 0, v / (1 + e) above, e = e^-|t|, within 2^-28.5
 * relative; |t| clamped at 200, where v sigmoid(t) of any float32 v and b is below float32's
 * smallest subnormal: callers for float32 results select the limit below -200 themselves. */
VW_INLINE V vw_times_sigmoid(V v, V t) {
    const V one = v_set1(1.0), z = v_abs(t);
    V e = vw_exp(v_sub(v_zero(), v_select(v_gt(z, v_set1(200.0)), v_set1(200.0), z)));
    return v_div(v_mul(v, v_select(v_lt(t, v_zero()), e, one)), v_add(one, e));
}

/* act(a) * b for float32 results, from a and b widened (exact): a sigmoid(b) as b times sigmoid(a)
 * with the operands swapped by the caller, silu and gelu's tanh form through vw_times_sigmoid with
 * v = a b (exact in float64; a clamped where the product is below float32's smallest subnormal
 * for every finite b, so that a huge a cannot make it large). act(-inf) is 0: 0 times b (NaN for
 * an infinite b, the limit's inf * 0). */
VW_INLINE V OPF(glu_for_float32)(V a, V b, const P *p) {
    (void)p;
    return v_select(v_eq(a, v_set1(-INFINITY)), v_mul(v_zero(), b), vw_times_sigmoid(b, a));
}

VW_INLINE V OPF(swiglu_for_float32)(V a, V b, const P *p) {
    V ac = v_select(v_lt(a, v_set1(-200.0)), v_set1(-200.0), a);
    (void)p;
    return v_select(v_eq(a, v_set1(-INFINITY)), v_mul(v_set1(-0.0), b), vw_times_sigmoid(v_mul(ac, b), a));
}

/* x sigmoid(2u), 2u = 2 sqrt(2/pi) (x + 0.044715 x^3) as in gelu_tanh_for_float32 */
VW_INLINE V OPF(geglu_tanh_for_float32)(V a, V b, const P *p) {
    V two_u = v_mul(v_set1(2.0 * SM_SQRT_2_OVER_PI), f64_fma(v_mul(v_set1(SM_GELU_CUBIC), a), v_mul(a, a), a));
    V ac = v_select(v_lt(a, v_set1(-20.0)), v_set1(-20.0), a);
    (void)p;
    return v_select(v_eq(a, v_set1(-INFINITY)), v_mul(v_set1(-0.0), b), vw_times_sigmoid(v_mul(ac, b), two_u));
}

/* Phi(-z) for z in [15, 20] from its asymptotic series, e^(-z^2/2) / (z sqrt(2 pi)) (1 - u + 3u^2 -
 * 15u^3 + 105u^4 - 945u^5 + 10395u^6), u = 1 / z^2: the first omitted term is below 2^-37 of the
 * sum there (z^2 is exact: z has 24 bits) */
VW_INLINE V vw_normal_tail_far(V z) {
    V z2 = v_mul(z, z), u = v_div(v_set1(1.0), z2);
    V s = f64_fma(v_set1(10395.0), u, v_set1(-945.0));
    s = f64_fma(s, u, v_set1(105.0));
    s = f64_fma(s, u, v_set1(-15.0));
    s = f64_fma(s, u, v_set1(3.0));
    s = f64_fma(s, u, v_set1(-1.0));
    s = f64_fma(s, u, v_set1(1.0));
    return v_mul(v_mul(vw_exp(v_mul(z2, v_set1(-0.5))), s), v_div(v_set1(0x1.9884533d43651p-2), z));
}

/* erf-form gelu times b: gelu_for_float32 where a >= -15 (its normal tail is fitted up to 15.5, and
 * float32 gelu itself is -0.0 below), a Phi(a) by the asymptotic series between -20 and -15, where
 * gelu(a) * b still reaches float32's subnormals for a large b; clamped at -20, below which it is
 * under the smallest subnormal for every finite b */
VW_INLINE V OPF(geglu_for_float32)(V a, V b, const P *p) {
    M far = v_lt(a, v_set1(-15.0));
    V ac = v_select(v_lt(a, v_set1(-20.0)), v_set1(-20.0), a);
    V tail = v_mul(ac, vw_normal_tail_far(v_select(far, v_sub(v_zero(), ac), v_set1(15.0))));
    V g = v_select(far, tail, OPF(gelu_for_float32)(a, p));
    return v_select(v_eq(a, v_set1(-INFINITY)), v_mul(v_set1(-0.0), b), v_mul(g, b));
}

/* The activation and its derivative of each unit, for float64 data and for the gradients */
#define RECT_GATED_ACT_glu sigmoid
#define RECT_GATED_ACT_swiglu silu
#define RECT_GATED_ACT_geglu gelu
#define RECT_GATED_ACT_geglu_tanh gelu_tanh
#define RECT_GATED_ACT_reglu relu
#define RECT_GATED_ACT(name) RECT_CAT(RECT_GATED_ACT_, name)
#define RECT_GATED_DACT(name) RECT_CAT(RECT_GATED_ACT(name), _grad)

/* y = act(a) * b with the unit's own activation, in the instantiation's type */
#define RECT_GATED_NATIVE(name) VT(gated_nan)(a, v_mul(OPF(RECT_GATED_ACT(name))(a, p), b))

/* grad_a, grad_b through ops.h's chain (+0 where the factor is 0: an inf or NaN gradient does not
 * leak through a unit that is off) */
#define RECT_GATED_GRADS(name, a, b, g, p, ga, gb)                                                 \
    do {                                                                                          \
        ga = VT(gated_nan)(a, VT(chain)(a, OPF(RECT_GATED_DACT(name))(a, p), v_mul(g, b)));       \
        gb = VT(gated_nan)(a, VT(chain)(a, OPF(RECT_GATED_ACT(name))(a, p), g));                   \
    } while (0)

/* forward kernel of unit `name` over storage T; BODY(name) computes y from a, b, p (V, P) */
#define RECT_DEFINE_GATED(name, dt, T, LOAD, STORE)                                               \
    static inline void RECT_STEP(name, dt)(const T *ap, const T *bp, T *y, const P *p, size_t i,  \
                                           size_t r) {                                            \
        V a = RECT_LOAD(LOAD, ap + i, r), b = RECT_LOAD(LOAD, bp + i, r);                         \
        RECT_STORE(STORE, y + i, RECT_GATED_NATIVE(name), r);                                     \
    }                                                                                             \
    static void RECT_KNAME(name, dt)(size_t n, const void *av, const void *bv, void *yv,          \
                                     const rect_params *rp) {                                     \
        const P p = VT(params)(rp);                                                               \
        RECT_DRIVE(n, (T *)yv, RECT_STEP(name, dt), (const T *)av, (const T *)bv, (T *)yv, &p);   \
    }

#define RECT_DEFINE_GATED_GRAD(name, dt, T, LOAD, STORE)                                          \
    static inline void RECT_STEP(name##_grad, dt)(const T *ap, const T *bp, const T *gp, T *ga,   \
                                                  T *gb, const P *p, size_t i, size_t r) {        \
        V a = RECT_LOAD(LOAD, ap + i, r), b = RECT_LOAD(LOAD, bp + i, r);                         \
        V g = gp ? RECT_LOAD(LOAD, gp + i, r) : VT(one)(), da, db;                                \
        RECT_GATED_GRADS(name, a, b, g, p, da, db);                                               \
        RECT_STORE(STORE, ga + i, da, r);                                                         \
        RECT_STORE(STORE, gb + i, db, r);                                                         \
    }                                                                                             \
    static void RECT_KNAME(name##_grad, dt)(size_t n, const void *av, const void *bv,             \
                                            const void *gv, void *gav, void *gbv,                 \
                                            const rect_params *rp) {                              \
        const P p = VT(params)(rp);                                                               \
        RECT_DRIVE(n, (T *)gav, RECT_STEP(name##_grad, dt), (const T *)av, (const T *)bv,         \
                   (const T *)gv, (T *)gav, (T *)gbv, &p);                                        \
    }

#define RECT_GATED_F64(name)                                                                      \
    RECT_DEFINE_GATED(name, f64, double, v_load, v_store)                                         \
    RECT_DEFINE_GATED_GRAD(name, f64, double, v_load, v_store)
RECT_GATED_OPS(RECT_GATED_F64)
#undef RECT_GATED_F64
#undef S
#undef VPFX

/* ---- float32 and float16 data ---- */
#define VPFX f32
#define S float

static inline V VT(gated_nan)(V a, V y) {
    return v_select(v_isnan(a), a, v_select(v_isnan(y), v_abs(v_set1((S)NAN)), y));
}

/* reglu: native (relu(a) * b is one rounding of exact values) */
RECT_DEFINE_GATED(reglu, f32, float, v_load, v_store)
RECT_DEFINE_GATED(reglu, f16, rect_f16, f32_load_f16, f32_store_f16)
RECT_DEFINE_GATED(reglu, bf16, rect_bf16, f32_load_bf16, f32_store_bf16)
RECT_DEFINE_GATED_GRAD(reglu, f32, float, v_load, v_store)
RECT_DEFINE_GATED_GRAD(reglu, f16, rect_f16, f32_load_f16, f32_store_f16)
RECT_DEFINE_GATED_GRAD(reglu, bf16, rect_bf16, f32_load_bf16, f32_store_bf16)

/* the smooth units in float64, rounded once (loops.h's widening), a's NaN kept after it: geglu
 * and geglu_tanh throughout, glu and swiglu in the lanes their native kernels leave (below). The
 * gradients with the float64 ops themselves (accurate over float64's range: grad * b may be far
 * beyond float32's). */
#if RECT_F64_PER_F32 == 2
#define RECT_WIDE3(FN, x, y, z, p)                                                                \
    f64_narrow(FN(f32_widen_lo(x), f32_widen_lo(y), f32_widen_lo(z), p),                          \
               FN(f32_widen_hi(x), f32_widen_hi(y), f32_widen_hi(z), p))
#else
#define RECT_WIDE3(FN, x, y, z, p)                                                                \
    f64_narrow1(FN(f32_widen_lo(x), f32_widen_lo(y), f32_widen_lo(z), p))
#endif
#define RECT_GATED_WIDE(name, part) RECT_CAT(RECT_CAT(f64_gated_, name), RECT_CAT(part, RECT_ISA))

#define RECT_DEFINE_GATED_WIDE_PARTS(name)                                                        \
    VW_INLINE f64_v RECT_GATED_WIDE(name, _y_)(f64_v a, f64_v b, const f64_params_t *p) {         \
        return f64_gated_nan(a, RECT_CAT(f64_op_, RECT_CAT(name, _for_float32))(a, b, p));        \
    }                                                                                             \
    static inline f64_v RECT_GATED_WIDE(name, _ga_)(f64_v a, f64_v b, f64_v g,                    \
                                                    const f64_params_t *p) {                      \
        return f64_gated_nan(a, f64_chain(a, RECT_CAT(f64_op_, RECT_GATED_DACT(name))(a, p),      \
                                          f64_mul(g, b)));                                        \
    }                                                                                             \
    static inline f64_v RECT_GATED_WIDE(name, _gb_)(f64_v a, f64_v g, const f64_params_t *p) {    \
        return f64_gated_nan(a, f64_chain(a, RECT_CAT(f64_op_, RECT_GATED_ACT(name))(a, p), g));  \
    }
#define RECT_GATED_SMOOTH_OPS(X) X(glu) X(swiglu) X(geglu) X(geglu_tanh)
RECT_GATED_SMOOTH_OPS(RECT_DEFINE_GATED_WIDE_PARTS)

/* The kernels of unit `name` over storage T: y = gated32_y_<name>(a, b) and gated32_grads_<name>
 * (a, b, g) (below) return NaN in the lanes they leave to the float64 route (every lane for
 * geglu); a's NaN then as it came (the widening quiets a signaling one). */
#define RECT_GATED32_FINISH(name, part, x, ...)                                                   \
    do {                                                                                          \
        f32_m outside_ = f32_isnan(x);                                                            \
        if (f32_any(outside_))                                                                    \
            x = f32_gated_nan(                                                                    \
                a, f32_select(outside_, RECT_WIDE_N(RECT_GATED_WIDE(name, part), __VA_ARGS__), x));   \
    } while (0)
#define RECT_DEFINE_GATED32(name, dt, T, LOAD, STORE)                                             \
    RECT_STEP_INLINE void RECT_STEP(name, dt)(const T *ap, const T *bp, T *y,                     \
                                              const f64_params_t *p, size_t i, size_t r) {        \
        f32_v a = RECT_LOAD(LOAD, ap + i, r), b = RECT_LOAD(LOAD, bp + i, r);                     \
        f32_v out = gated32_y_##name(a, b);                                                       \
        RECT_GATED32_FINISH(name, _y_, out, 2, a, b, p);                                         \
        RECT_STORE(STORE, y + i, out, r);                                                         \
    }                                                                                             \
    static void RECT_KNAME(name, dt)(size_t n, const void *av, const void *bv, void *yv,          \
                                     const rect_params *rp) {                                     \
        const f64_params_t p = f64_params(rp);                                                    \
        RECT_DRIVE(n, (T *)yv, RECT_STEP(name, dt), (const T *)av, (const T *)bv, (T *)yv, &p);   \
    }                                                                                             \
    RECT_STEP_INLINE void RECT_STEP(name##_grad, dt)(const T *ap, const T *bp, const T *gp,       \
                                                     T *ga, T *gb, const f64_params_t *p,         \
                                                     size_t i, size_t r) {                        \
        f32_v a = RECT_LOAD(LOAD, ap + i, r), b = RECT_LOAD(LOAD, bp + i, r), da, db;             \
        f32_v g = gp ? RECT_LOAD(LOAD, gp + i, r) : f32_set1(1.0f);                               \
        gated32_grads_##name(a, b, g, &da, &db);                                                  \
        RECT_GATED32_FINISH(name, _ga_, da, 3, a, b, g, p);                                       \
        RECT_GATED32_FINISH(name, _gb_, db, 2, a, g, p);                                          \
        RECT_STORE(STORE, ga + i, da, r);                                                         \
        RECT_STORE(STORE, gb + i, db, r);                                                         \
    }                                                                                             \
    static void RECT_KNAME(name##_grad, dt)(size_t n, const void *av, const void *bv,             \
                                            const void *gv, void *gav, void *gbv,                 \
                                            const rect_params *rp) {                              \
        const f64_params_t p = f64_params(rp);                                                    \
        RECT_DRIVE(n, (T *)gav, RECT_STEP(name##_grad, dt), (const T *)av, (const T *)bv,         \
                   (const T *)gv, (T *)gav, (T *)gbv, &p);                                        \
    }
#define RECT_WIDE_N(FN, k, ...) RECT_CAT(RECT_WIDE, k)(FN, __VA_ARGS__)

/* geglu, geglu_tanh: every lane in float64 */
#define RECT_DEFINE_GATED32_ALL_WIDE(name)                                                        \
    VM32_INLINE f32_v gated32_y_##name(f32_v t, f32_v v) {                                        \
        (void)t, (void)v;                                                                         \
        return f32_set1(NAN);                                                                     \
    }                                                                                             \
    VM32_INLINE void gated32_grads_##name(f32_v t, f32_v v, f32_v g, f32_v *da, f32_v *db) {      \
        (void)t, (void)v, (void)g;                                                                \
        *da = *db = f32_set1(NAN);                                                                \
    }
RECT_DEFINE_GATED32_ALL_WIDE(geglu)
RECT_DEFINE_GATED32_ALL_WIDE(geglu_tanh)

/* ---- glu and swiglu natively in float32 (a is the activation's argument t, b the factor v;
 * the Python layer swaps glu's halves). y = w sigmoid(t) with w = v (glu) or w = t v exactly, as
 * p + p_lo (swiglu; p = t v rounded, p_lo its error by an FMA): silu(t) v = (t v) sigmoid(t).
 * sigmoid(t) = 2^floor(s) (q + c rcp) (1 + e), |e| <= 2^-28: the parts that sigmoid and silu round
 * (ops_smooth_f32.h). z = p q + (p_lo q + (p c) rcp), rounded once: the two small terms are below
 * 2^-22 |z| and carry two or three roundings each (2^-44 |z| in all); z 2^floor(s) is exact where
 * the result is normal. So y is within 0.5 ULP + (2^-28 + 2^-44) |y|, at most 0.5 + 2^-4 ULP, of
 * the exact product: one rounding, where silu(a) * b has two.
 * That holds where every step stays in float32's normal range, which 2^-100 <= |y| <= 2^128
 * shows: then |w| >= |y| (sigmoid <= 1), so p is normal and p_lo exact, the scaling by
 * 2^floor(s) is exact, and an overflow of t v or of z would have made y infinite or NaN (a |y|
 * below 2^-100 is the rounding of a result below 2^-99 on every path). Every other lane (zeros,
 * subnormal and tiny products and results, overflows, b = +-inf, inf * 0, NaN) takes the
 * float64 route above (within 0.5 + 2^-3 ULP), which keeps the NaN rules of the header. A lane's
 * route depends on its own a and b only: every path gives the same bits. ---- */
#define GATED32_Y_MIN 0x1p-100f

/* w + *w_lo = the factor of sigmoid(t), exactly */
VM32_INLINE f32_v gated32_factor_glu(f32_v t, f32_v v, f32_v *w_lo) {
    (void)t;
    *w_lo = f32_zero();
    return v;
}
VM32_INLINE f32_v gated32_factor_swiglu(f32_v t, f32_v v, f32_v *w_lo) {
    return sm32_two_product(t, v, w_lo);
}

/* y where it is inside the domain above, else NaN */
VM32_INLINE f32_v gated32_inside(f32_v y) {
    f32_v ay = f32_abs(y);
    return f32_select(f32_and(f32_ge(ay, f32_set1(GATED32_Y_MIN)), f32_le(ay, f32_set1(0x1.fffffep127f))), y,
                      f32_set1(NAN));
}

/* (w + w_lo) sigmoid(t) from sigmoid's parts, rounded once */
VM32_INLINE f32_v gated32_times_sigmoid(f32_v w, f32_v w_lo, f32_v q, f32_v c, f32_v rcp, f32_v s) {
    return gated32_inside(vm32_scalef(f32_fma(w, q, f32_fma(w_lo, q, f32_mul(f32_mul(w, c), rcp))), s));
}

/* ---- their gradients. grad_b = g act(t) is the unit above with g for v (the same bits as the
 * forward call). grad_a = g v act'(t) = 2^S (w + w_lo) (Y + Y_lo), w + w_lo = g v exactly and
 * act'(t) = 2^S (Y + Y_lo) from sigmoid's parts (ops_smooth_f32.h: sigmoid' and silu'), rounded
 * once: about 0.61 ULP. The domain is that of the forward units (|w| >= |grad_a| / 1.1: silu' <=
 * 1.0998) and t >= -160, where e is clamped. ---- */
#define gated32_slope_glu sm32_slope_sigmoid
#define gated32_slope_swiglu sm32_slope_silu

#define RECT_DEFINE_GATED32_NATIVE(name)                                                          \
    VM32_INLINE f32_v gated32_y_##name(f32_v t, f32_v v) {                                        \
        f32_v w_lo, c, rcp, s, q = sm32_sigmoid_parts(t, &c, &rcp, &s);                           \
        f32_v w = gated32_factor_##name(t, v, &w_lo);                                             \
        return gated32_times_sigmoid(w, w_lo, q, c, rcp, s);                                      \
    }                                                                                             \
    VM32_INLINE void gated32_grads_##name(f32_v t, f32_v v, f32_v g, f32_v *da, f32_v *db) {      \
        sm32_logistic l;                                                                          \
        f32_v d = sm32_logistic_denominator(t, &l), c, rcp, s, q, w_lo, w, F, F_lo, sc, N_lo, N;   \
        q = sm32_sigmoid_quotient(t, &l, d, &c, &rcp, &s);                                        \
        w = gated32_factor_##name(t, g, &w_lo);                                                   \
        *db = gated32_times_sigmoid(w, w_lo, q, c, rcp, s);                                       \
        N = gated32_slope_##name(t, &l, d, &N_lo, &F, &F_lo, &sc);                                 \
        w = sm32_two_product(g, v, &w_lo);                                                     \
        *da = gated32_times_slope(t, w, w_lo, F, F_lo, N, N_lo, sc, d, l.d_lo, rcp);          \
    }

/* 2^S (w + w_lo) (F + F_lo) (N + N_lo) / (d + d_lo)^2 rounded once, NaN outside the domain */
VM32_INLINE f32_v gated32_times_slope(f32_v t, f32_v w, f32_v w_lo, f32_v F, f32_v F_lo, f32_v N,
                                      f32_v N_lo, f32_v sc, f32_v d, f32_v d_lo, f32_v rcp) {
    f32_v Y_lo, Y = sm32_slope_over_d2(F, F_lo, N, N_lo, d, d_lo, rcp, &Y_lo);
    f32_v y = gated32_inside(vm32_scalef(f32_fma(w, Y, f32_fma(w_lo, Y, f32_mul(w, Y_lo))), sc));
    return f32_select(f32_lt(t, f32_set1(-160.0f)), f32_set1(NAN), y);
}
RECT_DEFINE_GATED32_NATIVE(glu)
RECT_DEFINE_GATED32_NATIVE(swiglu)

#define RECT_GATED_F32(name)                                                                      \
    RECT_DEFINE_GATED32(name, f32, float, v_load, v_store)                                        \
    RECT_DEFINE_GATED32(name, f16, rect_f16, f32_load_f16, f32_store_f16)                         \
    RECT_DEFINE_GATED32(name, bf16, rect_bf16, f32_load_bf16, f32_store_bf16)
RECT_GATED_SMOOTH_OPS(RECT_GATED_F32)
#undef RECT_GATED_F32
#undef S
#undef VPFX
