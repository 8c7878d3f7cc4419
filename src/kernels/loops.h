/* The kernel loops, written once: each maps an op of ops.h over n contiguous elements.
 *
 * Included by instantiate.h once per element type after ops.h. A kernel takes the storage type T
 * (native, or rect_f16 for float16 computed in float32) and its load/store shim operations. Each
 * kernel is a "step" (one vector at element i, of r lanes: full when r == LANES, else the shim's
 * partial load/store) and RECT_DRIVE, which runs the steps: full vectors four at a time, then single
 * vectors, then one partial vector. Element i gets the same bits whatever n is, and no byte outside
 * [0, n) is read or written. y may be x itself; other overlaps are not allowed. */

#define RECT_KNAME(op, dt) RECT_CAT(RECT_CAT(RECT_CAT(k_, op), RECT_CAT(_, dt)), RECT_CAT(_, RECT_ISA))
#define RECT_STEP(op, dt) RECT_CAT(RECT_KNAME(op, dt), _step)

/* STEP(args..., i, r) over [0, n) with `out` the (first) output array. A partial head first
 * brings `out` to a whole-vector boundary, so that the stores of long arrays never split a cache
 * line (NumPy's buffers are often only 16-byte aligned: that costs a quarter of the speed); then
 * four independent vectors per iteration keep the loads in flight; then single vectors, then one
 * partial vector. */
#define RECT_DRIVE(n, out, STEP, ...)                                                            \
    do {                                                                                        \
        size_t i_ = 0;                                                                          \
        if (LANES > 1 && (n) >= 16 * LANES) {                                                   \
            const size_t size_ = sizeof(*(out)), bytes_ = LANES * sizeof(*(out));               \
            const size_t misaligned_ = (size_t)((uintptr_t)(out) % bytes_);                     \
            if (misaligned_ != 0 && misaligned_ % size_ == 0) {                                 \
                i_ = (bytes_ - misaligned_) / size_;                                            \
                STEP(__VA_ARGS__, 0, i_);                                                       \
            }                                                                                   \
        }                                                                                       \
        for (; i_ + 4 * LANES <= (n); i_ += 4 * LANES) {                                        \
            STEP(__VA_ARGS__, i_, LANES);                                                       \
            STEP(__VA_ARGS__, i_ + LANES, LANES);                                               \
            STEP(__VA_ARGS__, i_ + 2 * LANES, LANES);                                           \
            STEP(__VA_ARGS__, i_ + 3 * LANES, LANES);                                           \
        }                                                                                       \
        for (; i_ + LANES <= (n); i_ += LANES) STEP(__VA_ARGS__, i_, LANES);                    \
        if (i_ < (n)) STEP(__VA_ARGS__, i_, (n) - i_);                                          \
    } while (0)

/* A unary step is inlined into every place RECT_DRIVE runs it: GCC would otherwise call the
 * larger ones out of line from the unrolled loop, and each call costs a vzeroupper and reloading
 * every constant (vmath_f32.h's always-inline) */
#define RECT_STEP_INLINE VM32_INLINE

/* Load or store r lanes at p: the full vector when r == LANES (a constant after inlining). */
#define RECT_LOAD(LOAD, p, r) ((r) == LANES ? LOAD(p) : LOAD##_part(p, r))
#define RECT_STORE(STORE, p, v, r)                                                               \
    do {                                                                                        \
        if ((r) == LANES) STORE(p, v);                                                          \
        else STORE##_part(p, v, r);                                                             \
    } while (0)

/* y = fn(x) as the kernel of op (fn is op itself but for the smooth ops, see ops_smooth.h) */
#define RECT_DEFINE_UNARY(op, dt, T, LOAD, STORE) RECT_DEFINE_UNARY_FN(op, op, dt, T, LOAD, STORE)
#define RECT_DEFINE_UNARY_FN(op, fn, dt, T, LOAD, STORE)                                          \
    RECT_STEP_INLINE void RECT_STEP(op, dt)(const T *x, T *y, const P *p, size_t i, size_t r) {     \
        RECT_STORE(STORE, y + i, OPF(fn)(RECT_LOAD(LOAD, x + i, r), p), r);                     \
    }                                                                                           \
    static void RECT_KNAME(op, dt)(size_t n, const void *xv, void *yv, const rect_params *rp) {  \
        const P p = VT(params)(rp);                                                             \
        RECT_DRIVE(n, (T *)yv, RECT_STEP(op, dt), (const T *)xv, (T *)yv, &p);                           \
    }

/* y = grad * fn(x), fn = op'; grad NULL means ones */
#define RECT_DEFINE_GRAD(op, dt, T, LOAD, STORE) RECT_DEFINE_GRAD_FN(op, op, dt, T, LOAD, STORE)
#define RECT_DEFINE_GRAD_FN(op, fn, dt, T, LOAD, STORE)                                           \
    static inline void RECT_STEP(op, dt)(const T *x, const T *g, T *y, const P *p, size_t i,     \
                                         size_t r) {                                            \
        V xi = RECT_LOAD(LOAD, x + i, r);                                                       \
        V gi = g ? RECT_LOAD(LOAD, g + i, r) : VT(one)();                                       \
        RECT_STORE(STORE, y + i, VT(chain)(xi, OPF(fn)(xi, p), gi), r);                         \
    }                                                                                           \
    RECT_DEFINE_GRAD_KERNEL(op, dt, T)
#define RECT_DEFINE_GRAD_KERNEL(op, dt, T)                                                        \
    static void RECT_KNAME(op, dt)(size_t n, const void *xv, const void *gv, void *yv,           \
                                   const rect_params *rp) {                                     \
        const P p = VT(params)(rp);                                                             \
        RECT_DRIVE(n, (T *)yv, RECT_STEP(op, dt), (const T *)xv, (const T *)gv, (T *)yv, &p);            \
    }

/* As RECT_DEFINE_GRAD_FN for a float32 fn that returns f'(x) as d 2^floor(s) (d normal, s through
 * its third argument): grad * d is rounded before the scaling, so that a subnormal derivative
 * does not lose its digits before the product (vm32_scalef: float32 instantiation only) */
#define RECT_DEFINE_GRAD_SCALED_FN(op, fn, dt, T, LOAD, STORE)                                    \
    static inline void RECT_STEP(op, dt)(const T *x, const T *g, T *y, const P *p, size_t i,     \
                                         size_t r) {                                            \
        V xi = RECT_LOAD(LOAD, x + i, r), s;                                                    \
        V gi = g ? RECT_LOAD(LOAD, g + i, r) : VT(one)();                                       \
        V d = OPF(fn)(xi, p, &s);                                                               \
        RECT_STORE(STORE, y + i, v_select(v_isnan(xi), xi, vm32_scalef(VT(chain_product)(d, gi), s)), r); \
    }                                                                                           \
    RECT_DEFINE_GRAD_KERNEL(op, dt, T)

/* As RECT_DEFINE_GRAD_FN for a float32 fn that returns f'(x) = 2^floor(s) (d + d_lo) (d_lo and s
 * through its last two arguments): grad (d + d_lo) is formed from both parts and rounded once,
 * then scaled (exact where the result is normal), so the product has one rounding, not the two of
 * f' rounded and then multiplied. A lane whose result is below 2^-100, infinite or NaN takes the
 * float64 derivative `wide` (ops_smooth_wide.h) times grad, rounded once: a subnormal result, an
 * underflow or overflow of grad d, an infinite or NaN grad (inf d + inf d_lo can be NaN), a
 * marker 0 or NaN from fn. A zero grad gives grad d (a zero with the sign of the product). Rare lanes, so the float64 route costs nothing in
 * the common case; float32 instantiation only. */
#define RECT_DEFINE_GRAD_PAIR_FN(op, fn, wide, dt, T, LOAD, STORE)                                \
    static inline f64_v RECT_CAT(RECT_KNAME(op, dt), _wide)(f64_v x, f64_v g, const f64_params_t *p) { \
        return f64_chain(x, RECT_CAT(f64_op_, wide)(x, p), g);                                  \
    }                                                                                           \
    RECT_STEP_INLINE void RECT_STEP(op, dt)(const T *x, const T *g, T *y, const P *p,           \
                                            const f64_params_t *pw, size_t i, size_t r) {       \
        V xi = RECT_LOAD(LOAD, x + i, r), lo, s;                                                \
        V gi = g ? RECT_LOAD(LOAD, g + i, r) : VT(one)();                                       \
        V d = OPF(fn)(xi, p, &lo, &s);                                                          \
        M zero = v_eq(gi, v_zero());                                                            \
        V yi = v_select(zero, v_mul(gi, d), vm32_scalef(f32_fma(gi, d, v_mul(gi, lo)), s));      \
        V check = v_abs(v_select(zero, d, yi));                                                 \
        M wide_ = v_or(v_or(v_lt(check, v_set1(0x1p-100f)), v_gt(check, v_set1(0x1.fffffep127f))), \
                       v_isnan(check));                                                         \
        if (f32_any(wide_))                                                                     \
            yi = v_select(wide_, RECT_WIDE2(RECT_CAT(RECT_KNAME(op, dt), _wide), xi, gi, pw), yi); \
        RECT_STORE(STORE, y + i, v_select(v_isnan(xi), xi, yi), r);                             \
    }                                                                                           \
    static void RECT_KNAME(op, dt)(size_t n, const void *xv, const void *gv, void *yv,           \
                                   const rect_params *rp) {                                     \
        const P p = VT(params)(rp);                                                             \
        const f64_params_t pw = f64_params(rp);                                                 \
        RECT_DRIVE(n, (T *)yv, RECT_STEP(op, dt), (const T *)xv, (const T *)gv, (T *)yv, &p, &pw); \
    }

/* y = fn(x, w) with one w per element, w stored in the compute type S: prelu (fn = sloped, w the
 * slopes) and the bias of bias_act (fn = add, w the bias pattern) */
#define RECT_DEFINE_PER_ELEMENT(name, fn, dt, T, LOAD, STORE)                                      \
    static inline void RECT_STEP(name, dt)(const T *x, const S *w, T *y, size_t i, size_t r) {   \
        RECT_STORE(STORE, y + i, OPF(fn)(RECT_LOAD(LOAD, x + i, r), RECT_LOAD(v_load, w + i, r)), r); \
    }                                                                                           \
    static void RECT_KNAME(name, dt)(size_t n, const void *xv, const void *wv, void *yv) {       \
        RECT_DRIVE(n, (T *)yv, RECT_STEP(name, dt), (const T *)xv, (const S *)wv, (T *)yv);     \
    }
#define RECT_DEFINE_PRELU(dt, T, LOAD, STORE) RECT_DEFINE_PER_ELEMENT(prelu, sloped, dt, T, LOAD, STORE)

/* y = op(x + bias), one bias per element in S, the sum rounded to T before op sees it (exactly
 * op's kernel run on the array x + bias): for native storage only. float16 data takes the
 * bias_add kernel, then op's kernel, so that the sum is rounded to float16 in between. */
#define RECT_DEFINE_BIAS_UNARY(op, dt, T)                                                         \
    static inline void RECT_STEP(bias_##op, dt)(const T *x, const S *b, T *y, const P *p,        \
                                                size_t i, size_t r) {                           \
        V sum = v_add(RECT_LOAD(v_load, x + i, r), RECT_LOAD(v_load, b + i, r));                \
        RECT_STORE(v_store, y + i, OPF(op)(sum, p), r);                                         \
    }                                                                                           \
    static void RECT_KNAME(bias_##op, dt)(size_t n, const void *xv, const void *bv, void *yv,    \
                                          const rect_params *rp) {                              \
        const P p = VT(params)(rp);                                                             \
        RECT_DRIVE(n, (T *)yv, RECT_STEP(bias_##op, dt), (const T *)xv, (const S *)bv, (T *)yv, &p); \
    }

/* counts[i] += (x[i] > 0), counts in the compute type S (exact while every count stays <= 2^24:
 * src/fused.c empties them into integers before that) */
#define RECT_DEFINE_COUNT_POSITIVE(dt, T, LOAD)                                                   \
    static inline void RECT_STEP(count_positive, dt)(const T *x, S *counts, size_t i, size_t r) { \
        V sum = v_add(RECT_LOAD(v_load, counts + i, r), OPF(positive)(RECT_LOAD(LOAD, x + i, r))); \
        RECT_STORE(v_store, counts + i, sum, r);                                                \
    }                                                                                           \
    static void RECT_KNAME(count_positive, dt)(size_t n, const void *xv, void *countsv) {        \
        RECT_DRIVE(n, (S *)countsv, RECT_STEP(count_positive, dt), (const T *)xv, (S *)countsv); \
    }

/* grad_x = grad * sloped'(x, w), grad_w = sloped_grad_slope(x, grad); grad NULL means ones */
#define RECT_DEFINE_PRELU_GRAD(dt, T, LOAD, STORE)                                                \
    static inline void RECT_STEP(prelu_grad, dt)(const T *x, const S *w, const T *g, T *gx,      \
                                                 S *gw, size_t i, size_t r) {                   \
        V xi = RECT_LOAD(LOAD, x + i, r);                                                       \
        V gi = g ? RECT_LOAD(LOAD, g + i, r) : VT(one)();                                       \
        RECT_STORE(STORE, gx + i, VT(chain)(xi, OPF(sloped_grad)(xi, RECT_LOAD(v_load, w + i, r)), gi), r); \
        RECT_STORE(v_store, gw + i, OPF(sloped_grad_slope)(xi, gi), r);                         \
    }                                                                                           \
    static void RECT_KNAME(prelu_grad, dt)(size_t n, const void *xv, const void *wv,             \
                                           const void *gv, void *gxv, void *gwv) {              \
        RECT_DRIVE(n, (T *)gxv, RECT_STEP(prelu_grad, dt), (const T *)xv, (const S *)wv, (const T *)gv,   \
                   (T *)gxv, (S *)gwv);                                                         \
    }

/* ---- float32 storage computed in float64 (the smooth family) ----
 * Instantiated with VPFX = f32 (so LANES, loads and stores are float32's) after the float64 ops
 * exist: each float32 vector is widened to RECT_F64_PER_F32 float64 vectors, the float64 op runs,
 * and the result is rounded to float32 once. float16 storage goes through float32 the same way. */
#if RECT_F64_PER_F32 == 2
#define RECT_WIDE1(FN, x, p) f64_narrow(FN(f32_widen_lo(x), p), FN(f32_widen_hi(x), p))
#define RECT_WIDE2(FN, x, g, p) f64_narrow(FN(f32_widen_lo(x), f32_widen_lo(g), p), FN(f32_widen_hi(x), f32_widen_hi(g), p))
#else
#define RECT_WIDE1(FN, x, p) f64_narrow1(FN(f32_widen_lo(x), p))
#define RECT_WIDE2(FN, x, g, p) f64_narrow1(FN(f32_widen_lo(x), f32_widen_lo(g), p))
#endif

/* fn: the float64 op to run (op itself, or a variant accurate enough for float32 results only) */
#define RECT_DEFINE_WIDE_UNARY_FN(op, fn, dt, T, LOAD, STORE)                                     \
    RECT_STEP_INLINE void RECT_STEP(op, dt)(const T *x, T *y, const f64_params_t *p, size_t i,      \
                                         size_t r) {                                            \
        RECT_STORE(STORE, y + i, RECT_WIDE1(RECT_CAT(RECT_CAT(f64_op_, fn), _pinned), RECT_LOAD(LOAD, x + i, r), p), r); \
    }                                                                                           \
    static void RECT_KNAME(op, dt)(size_t n, const void *xv, void *yv, const rect_params *rp) {  \
        const f64_params_t p = f64_params(rp);                                                  \
        RECT_DRIVE(n, (T *)yv, RECT_STEP(op, dt), (const T *)xv, (T *)yv, &p);                  \
    }

/* (always inlined, as the unary steps: GCC called the float64 halves out of line, each call a
 * vzeroupper and every constant reloaded) */
#define RECT_DEFINE_WIDE_GRAD_FN(op, fn, dt, T, LOAD, STORE)                                      \
    RECT_STEP_INLINE f64_v RECT_CAT(RECT_KNAME(op, dt), _half)(f64_v x, f64_v g, const f64_params_t *p) { \
        return f64_chain(x, RECT_CAT(f64_op_, fn)(x, p), g);                                    \
    }                                                                                           \
    RECT_STEP_INLINE void RECT_STEP(op, dt)(const T *x, const T *g, T *y, const f64_params_t *p, \
                                         size_t i, size_t r) {                                  \
        f32_v xi = RECT_LOAD(LOAD, x + i, r);                                                   \
        f32_v gi = g ? RECT_LOAD(LOAD, g + i, r) : f32_set1(1.0f);                              \
        RECT_STORE(STORE, y + i, RECT_WIDE2(RECT_CAT(RECT_KNAME(op, dt), _half), xi, gi, p), r); \
    }                                                                                           \
    static void RECT_KNAME(op, dt)(size_t n, const void *xv, const void *gv, void *yv,           \
                                   const rect_params *rp) {                                     \
        const f64_params_t p = f64_params(rp);                                                  \
        RECT_DRIVE(n, (T *)yv, RECT_STEP(op, dt), (const T *)xv, (const T *)gv, (T *)yv, &p);   \
    }

/* ---- bfloat16 storage of the float64 route ----
 * The float64 value d is rounded to float32 to odd, then to bfloat16 to nearest even: that is d
 * rounded once. (Rounded to float32 to nearest, a d just off a bfloat16 midpoint can land on it
 * and then go the wrong way: mish_grad did so at one of the 65536 inputs.) The float32 step is
 * float32(d) moved one ULP toward d where it is inexact and even; dir, the sign of d - float32(d)
 * per lane (0 where exact or NaN), is formed in float64 and narrowed exactly. The fix-up is
 * integer arithmetic, the same on every path. */
#ifndef RECT_STORE_BF16_ODD
#define RECT_STORE_BF16_ODD
static inline void rect_store_bf16_odd(rect_bf16 *p, f32_v rounded, f32_v dir, size_t n) {
    float values[f32_LANES], signs[f32_LANES];
    uint32_t bits[f32_LANES], dirs[f32_LANES];
    rect_bf16 out[f32_LANES];
    size_t k;
    f32_store(values, rounded);
    f32_store(signs, dir);
    memcpy(bits, values, sizeof bits);
    memcpy(dirs, signs, sizeof dirs);
    /* integer operations only, over whole vectors: the compiler vectorizes the loop */
    for (k = 0; k < f32_LANES; k++) {
        /* dir is +-1.0f or +0.0f: move an even float32 one step away from zero where dir has
         * its sign, else toward zero */
        const uint32_t move = (dirs[k] != 0u) & ~bits[k] & 1u;
        const uint32_t step = ((dirs[k] ^ bits[k]) >> 31) ? 0xffffffffu : 1u;
        out[k] = rect_bits_to_bf16(bits[k] + (move ? step : 0u));
    }
    memcpy(p, out, n * sizeof(rect_bf16));
}
#define RECT_ODD_DIR(d, n) f64_sub(f64_keep(f64_gt(d, n), f64_set1(1.0)), f64_keep(f64_lt(d, n), f64_set1(1.0)))
#if RECT_F64_PER_F32 == 2
#define RECT_STORE_BF16_WIDE(p, lo, hi, r)                                                       \
    do {                                                                                        \
        const f32_v n_ = f64_narrow(lo, hi);                                                    \
        rect_store_bf16_odd(p, n_, f64_narrow(RECT_ODD_DIR(lo, f32_widen_lo(n_)),               \
                                              RECT_ODD_DIR(hi, f32_widen_hi(n_))), r);          \
    } while (0)
#define RECT_HI(v) f32_widen_hi(v)
#else
#define RECT_STORE_BF16_WIDE(p, lo, hi, r)                                                       \
    do {                                                                                        \
        const f32_v n_ = f64_narrow1(lo);                                                       \
        (void)(hi);                                                                             \
        rect_store_bf16_odd(p, n_, f64_narrow1(RECT_ODD_DIR(lo, f32_widen_lo(n_))), r);         \
    } while (0)
#define RECT_HI(v) f32_widen_lo(v)
#endif
#endif

/* RECT_DEFINE_WIDE_UNARY_FN and RECT_DEFINE_WIDE_GRAD_FN for bfloat16 data */
#define RECT_DEFINE_WIDE_UNARY_BF16(op, fn)                                                       \
    RECT_STEP_INLINE void RECT_STEP(op, bf16)(const rect_bf16 *x, rect_bf16 *y,                  \
                                              const f64_params_t *p, size_t i, size_t r) {      \
        const f32_v xi = RECT_LOAD(f32_load_bf16, x + i, r);                                    \
        const f64_v lo = RECT_CAT(RECT_CAT(f64_op_, fn), _pinned)(f32_widen_lo(xi), p);         \
        const f64_v hi = RECT_F64_PER_F32 == 2 ? RECT_CAT(RECT_CAT(f64_op_, fn), _pinned)(RECT_HI(xi), p) : lo; \
        RECT_STORE_BF16_WIDE(y + i, lo, hi, r);                                                 \
    }                                                                                           \
    static void RECT_KNAME(op, bf16)(size_t n, const void *xv, void *yv, const rect_params *rp) { \
        const f64_params_t p = f64_params(rp);                                                  \
        RECT_DRIVE(n, (rect_bf16 *)yv, RECT_STEP(op, bf16), (const rect_bf16 *)xv, (rect_bf16 *)yv, &p); \
    }

#define RECT_DEFINE_WIDE_GRAD_BF16(op, fn)                                                        \
    static inline void RECT_STEP(op, bf16)(const rect_bf16 *x, const rect_bf16 *g, rect_bf16 *y, \
                                           const f64_params_t *p, size_t i, size_t r) {         \
        const f32_v xi = RECT_LOAD(f32_load_bf16, x + i, r);                                    \
        const f32_v gi = g ? RECT_LOAD(f32_load_bf16, g + i, r) : f32_set1(1.0f);               \
        const f64_v xlo = f32_widen_lo(xi), xhi = RECT_HI(xi);                                  \
        const f64_v lo = f64_chain(xlo, RECT_CAT(f64_op_, fn)(xlo, p), f32_widen_lo(gi));       \
        const f64_v hi = RECT_F64_PER_F32 == 2 ? f64_chain(xhi, RECT_CAT(f64_op_, fn)(xhi, p), RECT_HI(gi)) : lo; \
        RECT_STORE_BF16_WIDE(y + i, lo, hi, r);                                                 \
    }                                                                                           \
    static void RECT_KNAME(op, bf16)(size_t n, const void *xv, const void *gv, void *yv,         \
                                     const rect_params *rp) {                                   \
        const f64_params_t p = f64_params(rp);                                                  \
        RECT_DRIVE(n, (rect_bf16 *)yv, RECT_STEP(op, bf16), (const rect_bf16 *)xv,              \
                   (const rect_bf16 *)gv, (rect_bf16 *)yv, &p);                                 \
    }
