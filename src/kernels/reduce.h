/* The reductions of SPEC 2.2 and their gradients (2.3): logsumexp (LSE0+ with include_zero),
 * softmax, log_softmax, logsumexp_grad, softmax_grad, log_softmax_grad, written once over the shim.
 *
 * Included by instantiate.h once per compute type after its vector math: float32 (VPFX f32, the
 * exp of vmath_f32.h; float16 storage computed in float32) and float64 (vm_exp of vmath.h).
 *
 * Layout: C-ordered (outer, n, inner) with the reduction over n. inner == 1 ("rows": each slice
 * contiguous) vectorizes along the slice; inner > 1 ("columns") vectorizes across the slices: a
 * vector holds one element of LANES neighbouring slices, and the passes stream over whole rows of
 * the (n, inner) block, so axis=0 of a C-ordered matrix reads memory in order, with no transposed
 * copy and no strided loop.
 *
 * Passes (as few as the math allows): max (and whether a NaN is there); e = exp(x - max) and its
 * sum (e stored in the output when the output is the compute type); then the scale (softmax,
 * logsumexp_grad) or x - lse (log_softmax). The gradients take two: a sum, then the output.
 *
 * Same bits on every path: sums are accumulated in float64 (float32 data widened) in a fixed
 * order: along a slice in 16 interleaved partial sums combined by a fixed tree (rows), or in order
 * of the reduced index (columns); exp is bit-identical across paths (vmath_f32.h, vmath.h).
 *
 * logsumexp = m + log1p(t), m the max (or 0 when include_zero and the max is negative), t the sum of
 * the other terms: one term equal to 1 is left out, so that [0, -40] gives 4.2e-18, not 0 (SciPy's
 * fix for gh-18295). t is taken as sum - 1 unless that is below 2^-20, when an extra pass sums the
 * terms below the max on their own; for float32 data that pass (exact x - max in float64, libm's
 * exp) also runs where |logsumexp| < 2, where the float32 terms' error would exceed 0.5 ULP of
 * the result. (The float32 softmax is e^(x - max) with x - max rounded to float32, as in PyTorch.)
 *
 * Specials (SciPy's semantics): a NaN gives NaN; +inf (without NaN): logsumexp +inf, softmax NaN,
 * log_softmax NaN where x is +inf and -inf elsewhere; an all -inf or empty slice: logsumexp -inf,
 * softmax and log_softmax NaN, and every gradient 0 (never NaN). With include_zero these slices
 * are ordinary (logsumexp 0, softmax 0). A gradient whose forward output y is NaN over a whole
 * slice takes that slice as all -inf and returns 0 there.
 *
 * Tails are read through a small buffer filled with -inf (forward) or 0 (gradients), so no byte
 * outside the arrays is touched and no lane raises a floating-point flag.
 */

/* The kernels' loops get every exp inlined, the float64 vm_exp included (GCC otherwise calls
 * its out-of-line copy once per vector, with the vectors passed through memory). */
#if defined(__GNUC__) || defined(__clang__)
#define RED_FLATTEN __attribute__((flatten))
#else
#define RED_FLATTEN
#endif

#define RED_W 16               /* elements per chunk of a row: one fixed interleave on every path */
#define RED_NV (RED_W / LANES) /* compute vectors per chunk */
#define RED_COLS 256           /* slices a column pass holds at once */
#define RED_CV (RED_COLS / LANES)
#define RED_NAME(name) VT(RECT_CAT(red_, name))

/* float64 pieces of a compute vector: RED_NW float64 vectors per V */
#undef RED_NW
#undef RED_SUMS
#undef RED_WIDE
#undef RED_WIDE_EXP
#undef RED_WIDE_LOG1P
#if RED_F32
#define RED_WIDE double
#define RED_WIDE_EXP exp
#define RED_WIDE_LOG1P log1p
#define RED_NW RECT_F64_PER_F32
VM32_INLINE f64_v RED_NAME(wide)(V v, int half) {
#if RECT_F64_PER_F32 == 2
    return half ? f32_widen_hi(v) : f32_widen_lo(v);
#else
    (void)half;
    return f32_widen_lo(v);
#endif
}
VM32_INLINE V RED_NAME(narrow)(const f64_v *parts) {
#if RECT_F64_PER_F32 == 2
    return f64_narrow(parts[0], parts[1]);
#else
    return f64_narrow1(parts[0]);
#endif
}
VM32_INLINE V RED_NAME(exp)(V d) { return vm32_exp(d); }
/* e^d for d <= 0 without NaN (an ordinary slice, after the max is subtracted): the short form
 * unless a lane's result may be subnormal; the same bits either way */
VM32_INLINE V RED_NAME(exp_shifted)(V d) {
    return f32_any(f32_lt(d, f32_set1(VM32_EXP_FAST_MIN))) ? vm32_exp(d) : vm32_exp_normal(d);
}
#else
#define RED_WIDE long double
#define RED_WIDE_EXP expl
#define RED_WIDE_LOG1P log1pl
#define RED_NW 1
VM32_INLINE f64_v RED_NAME(wide)(V v, int half) { (void)half; return v; }
VM32_INLINE V RED_NAME(narrow)(const f64_v *parts) { return parts[0]; }
/* vm_exp outside its range computes an underflowing or overflowing product; those lanes get +0
 * or +inf by a select instead, without a flag (a special slice exponentiates x itself) */
VM32_INLINE V RED_NAME(exp)(V d) {
    M tiny = v_lt(d, v_set1(-746.0)), huge = v_gt(d, v_set1(0x1.62e42fefa39efp9)); /* ln(DBL_MAX) */
    V e = vm_exp(v_clear(v_or(tiny, huge), d));
    return v_clear(tiny, v_select(huge, v_set1(INFINITY), e));
}
VM32_INLINE V RED_NAME(exp_shifted)(V d) { return RED_NAME(exp)(d); }
#endif

/* acc += term. float64 data: compensated (Knuth's TwoSum), the rounding errors gathered in comp,
 * so that a long float64 sum keeps the 2 ULP bound; float32 data needs no compensation (float64
 * sums of float32 terms). */
VM32_INLINE void RED_NAME(add)(f64_v *acc, f64_v *comp, f64_v term) {
#if RED_F32
    (void)comp;
    *acc = f64_add(*acc, term);
#else
    f64_v sum = f64_add(*acc, term), term_part = f64_sub(sum, *acc);
    f64_v acc_part = f64_sub(sum, term_part);
    *comp = f64_add(*comp, f64_add(f64_sub(*acc, acc_part), f64_sub(term, term_part)));
    *acc = sum;
#endif
}

/* e^d of one value, the same bits as the vector lanes */
static inline double RED_NAME(exp1)(S d) {
    S lanes[LANES];
    v_store(lanes, RED_NAME(exp)(v_set1(d)));
    return (double)lanes[0];
}

/* One chunk of RED_W terms (e[q] holds elements q LANES .. q LANES + LANES - 1) into the row's
 * RED_SUMS float64 partial sums. float32 data: elements l and l + RED_W/2 are first added in
 * float32 (half the conversions; the pair's rounding is 2^-25 of the terms), partial sum l
 * (mod RED_W/2) then takes the pair; float64: partial sum l (mod RED_W) takes element l,
 * compensated. The same order on every path, whatever LANES is. */
#if RED_F32
#define RED_SUMS (RED_W / 2)
VM32_INLINE void RED_NAME(chunk_sum)(f64_v *acc, f64_v *comp, const V *e) {
#if RED_NV >= 2
    int q, h;
    for (q = 0; q < RED_NV / 2; q++) {
        V pair = v_add(e[q], e[q + RED_NV / 2]);
        for (h = 0; h < RED_NW; h++) RED_NAME(add)(acc + q * RED_NW + h, comp + q * RED_NW + h, RED_NAME(wide)(pair, h));
    }
#else
    /* one vector holds the whole chunk: the pairs are its two halves, and their sums (the lower
     * half) fill the float64 vectors of the lower half */
    int h;
    V pair = v_add(e[0], f32_upper_half(e[0]));
    _Static_assert(LANES == RED_W && RED_SUMS % f64_LANES == 0, "a chunk is one vector here");
    for (h = 0; h < RED_SUMS / f64_LANES; h++) RED_NAME(add)(acc + h, comp + h, RED_NAME(wide)(pair, h));
#endif
}
#else
#define RED_SUMS RED_W
VM32_INLINE void RED_NAME(chunk_sum)(f64_v *acc, f64_v *comp, const V *e) {
    int q;
    for (q = 0; q < RED_NV; q++) RED_NAME(add)(acc + q, comp + q, e[q]);
}
#endif

/* the fixed-order sum of the RED_SUMS partial sums (and, for the gradients, of RED_W) */
static inline double RED_NAME(tree_of)(const f64_v *acc, const f64_v *comp, int count) {
    double s[RED_W];
    int k, h;
    for (k = 0; k < count / f64_LANES; k++) f64_store(s + k * f64_LANES, f64_add(acc[k], comp[k]));
    for (h = count / 2; h >= 1; h /= 2)
        for (k = 0; k < h; k++) s[k] += s[k + h];
    return s[0];
}
static inline double RED_NAME(tree)(const f64_v *acc, const f64_v *comp) { return RED_NAME(tree_of)(acc, comp, RED_SUMS); }

/* What a slice's statistics give (see the header comment for the specials). */
typedef struct {
    S shift;       /* subtracted before exp: the max (or 0), or 0 for special slices */
    double lse;    /* logsumexp */
    double log_sum; /* lse - shift (log_softmax is (x - shift) - log_sum): NaN, +-inf in specials */
    double scale;  /* softmax: 1/sum; logsumexp_grad: grad/sum; NaN or 0 for special slices */
    int special;   /* 1: NaN or +inf, 2: all -inf (or empty) without include_zero */
} RED_NAME(slice);

static inline RED_NAME(slice) RED_NAME(start)(S max, int has_nan, int include_zero) {
    RED_NAME(slice) r;
    S m = (include_zero && !(max > 0)) ? (S)0 : max;
    r.special = has_nan || m == (S)INFINITY ? 1 : (m == -(S)INFINITY ? 2 : 0);
    r.shift = r.special ? (S)0 : m;
    r.lse = r.scale = r.log_sum = 0.0;
    return r;
}

static inline double RED_NAME(nan)(void) { return (double)NAN; }

/* After the sum of e^(x - shift) (the zero logit not in it): lse and scale. exact_lse, when not
 * NULL, recomputes lse in a wider type for the slices that need it (see below). */
static inline void RED_NAME(finish)(RED_NAME(slice) *r, S max, int has_nan, double sum,
                                    int include_zero, double grad, double (*exact_lse)(const void *, double *),
                                    const void *ctx) {
    if (r->special == 1) {
        r->lse = r->log_sum = (has_nan || !(max == (S)INFINITY)) ? RED_NAME(nan)() : (double)INFINITY;
        r->scale = RED_NAME(nan)();
        return;
    }
    if (r->special == 2) {
        r->lse = -(double)INFINITY;
        r->log_sum = RED_NAME(nan)(); /* log_softmax of an all -inf slice: NaN */
        r->scale = 0.0;
        return;
    }
    double zero_term = include_zero ? exp(-(double)r->shift) : 0.0;
    double total = sum + zero_term, t = total - 1.0;
    r->log_sum = log1p(t);
    r->lse = (double)r->shift + r->log_sum;
    /* The terms carry their exp's error (up to 1 ULP) and the rounding of x - max, about one
     * ULP of the sum; below |lse| = 2 that is more than 0.5 ULP of lse, so such slices (and those
     * where t = sum - 1 lost digits) are summed again in a wider type (exact_lse) */
    if (exact_lse && (t < 0x1p-20 || fabs(r->lse) < 2.0)) r->lse = exact_lse(ctx, &r->log_sum);
    r->scale = grad / total;
}

/* ---- one storage type: T stored, loaded into V by LOAD and stored by STORE; STORE_E says whether
 * the output can hold e^(x - max) between passes (it is the compute type) ---- */

#define RED_F(name, dt) RED_NAME(RECT_CAT(name, RECT_CAT(_, dt)))
#define RED_IS_GRAD(op) ((op) == RECT_RED_softmax_grad || (op) == RECT_RED_log_softmax_grad)

#define RED_BASICS(dt, T, LOAD, STORE)                                                           \
    /* a vector from the k < LANES elements at p, the other lanes `fill` */                     \
    static inline V RED_F(tail, dt)(const T *p, size_t k, T fill) {                             \
        T buffer[LANES];                                                                        \
        size_t j;                                                                               \
        for (j = 0; j < LANES; j++) buffer[j] = fill;                                           \
        memcpy(buffer, p, k * sizeof(T));                                                       \
        return LOAD(buffer);                                                                    \
    }                                                                                           \
    VM32_INLINE V RED_F(load, dt)(const T *p, size_t k, T fill) {                             \
        return k >= LANES ? LOAD(p) : RED_F(tail, dt)(p, k, fill);                              \
    }                                                                                           \
    VM32_INLINE void RED_F(store, dt)(T *p, V v, size_t k) {                                  \
        if (k >= LANES) {                                                                       \
            STORE(p, v);                                                                        \
        } else {                                                                                \
            T buffer[LANES];                                                                    \
            STORE(buffer, v);                                                                   \
            memcpy(p, buffer, k * sizeof(T));                                                   \
        }                                                                                       \
    }                                                                                           \
    static inline S RED_F(get, dt)(const T *p) {                                                \
        S lanes[LANES];                                                                         \
        v_store(lanes, RED_F(tail, dt)(p, 1, *p));                                              \
        return lanes[0];                                                                        \
    }                                                                                           \
    static inline void RED_F(put, dt)(T *p, S value) { RED_F(store, dt)(p, v_set1(value), 1); } \
    /* log_softmax: (x - shift) - log_sum in float64 (exact x - shift for float32 data, and no \
     * shift + log_sum rounded first: [-1e30, -1e30] gives -log 2), +inf - +inf giving NaN     \
     * without a flag */                                                                       \
    static inline V RED_F(minus, dt)(V x, V shift, const double *log_sum) {                     \
        f64_v parts[RED_NW];                                                                    \
        int h;                                                                                  \
        x = v_select(v_eq(x, v_set1((S)INFINITY)), v_set1((S)NAN), x);                          \
        for (h = 0; h < RED_NW; h++)                                                            \
            parts[h] = f64_sub(f64_sub(RED_NAME(wide)(x, h), RED_NAME(wide)(shift, h)),         \
                               f64_load(log_sum + h * f64_LANES));                              \
        return RED_NAME(narrow)(parts);                                                         \
    }                                                                                           \
    /* softmax_grad: y (g - dot); log_softmax_grad: g - e^y sum(g); in the compute type, the    \
     * sum (accumulated in float64) rounded to it once per slice */                             \
    static inline V RED_F(grad_out, dt)(int op, V y, V g, V sum) {                              \
        if (op == RECT_RED_softmax_grad) return v_mul(y, v_sub(g, sum));                        \
        return v_sub(g, v_mul(RED_NAME(exp)(y), sum));                                          \
    }                                                                                           \
    /* acc[0 .. RED_NW) += the float64 pieces of y g (softmax_grad) or of g */                  \
    static inline void RED_F(grad_acc, dt)(int op, f64_v *acc, f64_v *comp, V y, V g) {                      \
        int h;                                                                                  \
        for (h = 0; h < RED_NW; h++) {                                                          \
            f64_v term = RED_NAME(wide)(g, h);                                                  \
            if (op == RECT_RED_softmax_grad) term = f64_mul(RED_NAME(wide)(y, h), term);        \
            RED_NAME(add)(acc + h, comp + h, term);                                             \
        }                                                                                       \
    }                                                                                           \
    typedef struct {                                                                            \
        const T *x;                                                                             \
        size_t n, stride;                                                                       \
        S shift;                                                                                \
        int include_zero;                                                                       \
    } RED_F(exact_ctx, dt);                                                                     \
    /* logsumexp again, in index order, for the rare slices finish sends here: x - shift and  \
     * the sum of the terms but one equal to 1 in RED_WIDE (float64 for float32 data, long      \
     * double for float64: 80-bit on x86-64, 128-bit on AArch64 Linux), with libm's exp */      \
    static double RED_F(exact_lse, dt)(const void *vctx, double *log_sum) {                     \
        const RED_F(exact_ctx, dt) *c = (const RED_F(exact_ctx, dt) *)vctx;                    \
        RED_WIDE rest = 0, equal = 0, shift = (RED_WIDE)c->shift;                               \
        size_t i;                                                                               \
        for (i = 0; i < c->n; i++) {                                                            \
            S xi = RED_F(get, dt)(c->x + i * c->stride);                                        \
            if (xi == c->shift) equal += 1;                                                     \
            else rest += RED_WIDE_EXP((RED_WIDE)xi - shift);                                    \
        }                                                                                       \
        if (c->include_zero) {                                                                  \
            if (c->shift == 0) equal += 1;                                                      \
            else rest += RED_WIDE_EXP(-shift);                                                  \
        }                                                                                       \
        RED_WIDE wide_log_sum = RED_WIDE_LOG1P(rest + (equal - 1));                             \
        *log_sum = (double)wide_log_sum;                                                        \
        return (double)(shift + wide_log_sum);                                                  \
    }                                                                                           \
    /* whether the n values at p (stride apart) are all NaN */                                  \
    static inline int RED_F(all_nan, dt)(const T *p, size_t n, size_t stride) {                \
        size_t i;                                                                               \
        for (i = 0; i < n; i++)                                                                 \
            if (!isnan(RED_F(get, dt)(p + i * stride))) return 0;                               \
        return 1;                                                                               \
    }

/* one whole chunk of RED_W elements at x + i into the partial sums (inside RED_ROWS) */
#define RED_ROW_CHUNK(EXP, STORING, LOAD, STORE)                                                 \
    do {                                                                                        \
        V e_[RED_NV];                                                                           \
        for (q = 0; q < RED_NV; q++) {                                                          \
            e_[q] = EXP(v_sub(LOAD(x + i + q * LANES), m));                                     \
            if (STORING) STORE(y + i + q * LANES, e_[q]);                                       \
        }                                                                                       \
        RED_NAME(chunk_sum)(acc, comp, e_);                                                     \
    } while (0)

/* ---- rows: inner == 1, vectors along the slice ---- */
#define RED_ROWS(dt, T, LOAD, STORE, STORE_E, NEG_INF)                                           \
    static inline S RED_F(row_max, dt)(const T *x, size_t n, int *has_nan) {                    \
        V acc[RED_NV], v;                                                                       \
        M nan = v_lt(v_zero(), v_zero());                                                       \
        S lanes[RED_W], max = -(S)INFINITY;                                                     \
        size_t i = 0, q;                                                                        \
        for (q = 0; q < RED_NV; q++) acc[q] = v_set1(-(S)INFINITY);                             \
        for (; i + RED_W <= n; i += RED_W)                                                      \
            for (q = 0; q < RED_NV; q++) {                                                      \
                v = LOAD(x + i + q * LANES);                                                    \
                acc[q] = VT(max)(v, acc[q]); /* acc where v is NaN */                           \
                nan = v_or(nan, v_isnan(v));                                                    \
            }                                                                                   \
        for (; i < n; i += LANES) {                                                             \
            v = RED_F(load, dt)(x + i, n - i, NEG_INF);                                         \
            acc[0] = v_select(v_gt(v, acc[0]), v, acc[0]);                                      \
            nan = v_or(nan, v_isnan(v));                                                        \
        }                                                                                       \
        for (q = 0; q < RED_NV; q++) v_store(lanes + q * LANES, acc[q]);                        \
        for (q = 0; q < RED_W; q++) max = isgreater(lanes[q], max) ? lanes[q] : max;            \
        v_store(lanes, v_keep(nan, v_set1((S)1)));                                              \
        *has_nan = 0;                                                                           \
        for (q = 0; q < LANES; q++) *has_nan |= lanes[q] != 0;                                  \
        return max;                                                                             \
    }                                                                                           \
    /* the sum of e^(x - shift) over a row; e stored in y when y is not NULL. ordinary: the   \
     * slice has no NaN and shift is its max, so every x - shift <= 0 */                        \
    RED_FLATTEN static inline double RED_F(row_expsum, dt)(const T *x, size_t n, S shift, T *y, int ordinary) { \
        f64_v acc[RED_W / f64_LANES], comp[RED_W / f64_LANES];                                  \
        V m = v_set1(shift);                                                                    \
        size_t i = 0, q, k;                                                                     \
        int h;                                                                                  \
        for (k = 0; k < RED_W / f64_LANES; k++) acc[k] = comp[k] = f64_zero();                  \
        /* whole chunks: loads, exp and stores without tail tests, one loop per case */         \
        if (ordinary && STORE_E && y) {                                                         \
            for (; i + RED_W <= n; i += RED_W) RED_ROW_CHUNK(RED_NAME(exp_shifted), 1, LOAD, STORE);          \
        } else if (ordinary) {                                                                  \
            for (; i + RED_W <= n; i += RED_W) RED_ROW_CHUNK(RED_NAME(exp_shifted), 0, LOAD, STORE);          \
        } else {                                                                                \
            for (; i + RED_W <= n; i += RED_W) RED_ROW_CHUNK(RED_NAME(exp), STORE_E && y, LOAD, STORE);       \
        }                                                                                       \
        if (i < n) { /* the last, partial chunk: lanes past the end read -inf, so e = 0 */       \
            V e_[RED_NV];                                                                       \
            for (q = 0; q < RED_NV; q++) {                                                      \
                size_t at = i + q * LANES, k = at < n ? n - at : 0;                             \
                e_[q] = RED_NAME(exp)(v_sub(RED_F(load, dt)(x + (k ? at : 0), k, NEG_INF), m)); \
                if (STORE_E && y && k) RED_F(store, dt)(y + at, e_[q], k);                      \
            }                                                                                   \
            RED_NAME(chunk_sum)(acc, comp, e_);                                                 \
        }                                                                                       \
        (void)h;                                                                                \
        return RED_NAME(tree)(acc, comp);                                                       \
    }                                                                                           \
    RED_FLATTEN static void RED_F(row_forward, dt)(int op, const T *x, size_t n, int include_zero,         \
                                       const T *grad, T *y) {                                   \
        int has_nan;                                                                            \
        S max = RED_F(row_max, dt)(x, n, &has_nan);                                             \
        RED_NAME(slice) r = RED_NAME(start)(max, has_nan, include_zero);                        \
        int keep_e = STORE_E && (op == RECT_RED_softmax || op == RECT_RED_logsumexp_grad);      \
        /* a special slice's result needs no sum (and its terms may be +inf) */                  \
        double sum = r.special ? 0.0 : RED_F(row_expsum, dt)(x, n, r.shift, keep_e ? y : NULL, 1); \
        RED_F(exact_ctx, dt) ctx = {x, n, 1, r.shift, include_zero};                            \
        double lse[LANES];                                                                      \
        size_t i, k;                                                                            \
        RED_NAME(finish)(&r, max, has_nan, sum, include_zero, grad ? (double)RED_F(get, dt)(grad) : 1.0, \
                         (op == RECT_RED_logsumexp || op == RECT_RED_log_softmax) ? RED_F(exact_lse, dt) : NULL, &ctx);           \
        if (op == RECT_RED_logsumexp) {                                                         \
            RED_F(put, dt)(y, (S)r.lse);                                                        \
        } else if (op == RECT_RED_log_softmax) {                                                \
            for (k = 0; k < LANES; k++) lse[k] = r.log_sum;                                     \
            for (i = 0; i < n; i += LANES)                                                      \
                RED_F(store, dt)(y + i, RED_F(minus, dt)(RED_F(load, dt)(x + i, n - i, NEG_INF),  \
                                                         v_set1(r.shift), lse), n - i);         \
        } else {                                                                                \
            V scale = v_set1((S)(r.special == 2 && op == RECT_RED_softmax ? RED_NAME(nan)() : r.scale)); \
            V m = v_set1(r.shift);                                                              \
            if (r.special) { /* NaN throughout, or 0 (the gradient of an all -inf slice) */     \
                for (i = 0; i < n; i += LANES) RED_F(store, dt)(y + i, scale, n - i);           \
                return;                                                                         \
            }                                                                                   \
            for (i = 0; i < n; i += LANES) {                                                    \
                V e = keep_e ? RED_F(load, dt)(y + i, n - i, (T)0)                              \
                             : RED_NAME(exp)(v_sub(RED_F(load, dt)(x + i, n - i, NEG_INF), m)); \
                RED_F(store, dt)(y + i, v_mul(e, scale), n - i);                                \
            }                                                                                   \
        }                                                                                       \
    }                                                                                           \
    RED_FLATTEN static void RED_F(row_grad, dt)(int op, const T *y, const T *g, T *out, size_t n) {         \
        f64_v acc[RED_W / f64_LANES], comp[RED_W / f64_LANES];                                  \
        V sum;                                                                                  \
        size_t i, q, k;                                                                         \
        if (n > 0 && isnan(RED_F(get, dt)(y)) && RED_F(all_nan, dt)(y, n, 1)) {                 \
            for (i = 0; i < n; i += LANES) RED_F(store, dt)(out + i, v_zero(), n - i);          \
            return;                                                                             \
        }                                                                                       \
        for (k = 0; k < RED_W / f64_LANES; k++) acc[k] = comp[k] = f64_zero();                  \
        for (i = 0; i < n; i += RED_W)                                                          \
            for (q = 0; q < RED_NV && i + q * LANES < n; q++) {                                 \
                size_t at = i + q * LANES;                                                      \
                RED_F(grad_acc, dt)(op, acc + q * RED_NW, comp + q * RED_NW, RED_F(load, dt)(y + at, n - at, (T)0), \
                                    RED_F(load, dt)(g + at, n - at, (T)0));                     \
            }                                                                                   \
        sum = v_set1((S)RED_NAME(tree_of)(acc, comp, RED_W));                                   \
        for (i = 0; i < n; i += LANES)                                                          \
            RED_F(store, dt)(out + i, RED_F(grad_out, dt)(op, RED_F(load, dt)(y + i, n - i, (T)0), \
                                                          RED_F(load, dt)(g + i, n - i, (T)0), sum), n - i); \
    }

/* ---- columns: inner > 1, a vector across LANES neighbouring slices; c <= RED_COLS of them,
 * whose element i is at x[i * inner + j] ---- */
#define RED_COLUMNS(dt, T, LOAD, STORE, STORE_E, NEG_INF)                                        \
    RED_FLATTEN static void RED_F(col_forward, dt)(int op, const T *x, size_t n, size_t inner, size_t c,   \
                                       int include_zero, const T *grad, T *y) {                 \
        V acc[RED_CV];                                                                          \
        M nan[RED_CV];                                                                          \
        f64_v sums_v[RED_CV * RED_NW], comps_v[RED_CV * RED_NW];                                \
        S max[RED_COLS], shift[RED_COLS], scale[RED_COLS], special[RED_COLS];                   \
        double sums[RED_COLS], lse[RED_COLS];                                                   \
        int has_nan[RED_COLS];                                                                  \
        size_t nv = (c + LANES - 1) / LANES, i, q, j;                                           \
        int h, keep_e = STORE_E && (op == RECT_RED_softmax || op == RECT_RED_logsumexp_grad);   \
        int ordinary = 1; /* every slice of the block: no NaN, shift its max */                  \
        for (q = 0; q < nv; q++) acc[q] = v_set1(-(S)INFINITY), nan[q] = v_lt(v_zero(), v_zero()); \
        for (i = 0; i < n; i++) {                                                               \
            const T *row = x + i * inner;                                                       \
            for (q = 0; q < nv; q++) {                                                          \
                V v = RED_F(load, dt)(row + q * LANES, c - q * LANES, NEG_INF);                 \
                acc[q] = VT(max)(v, acc[q]);                                                    \
                nan[q] = v_or(nan[q], v_isnan(v));                                              \
            }                                                                                   \
        }                                                                                       \
        for (q = 0; q < nv; q++) {                                                              \
            v_store(max + q * LANES, acc[q]);                                                   \
            v_store(scale + q * LANES, v_keep(nan[q], v_set1((S)1)));                           \
        }                                                                                       \
        for (j = 0; j < nv * LANES; j++) {                                                      \
            has_nan[j] = scale[j] != 0;                                                         \
            shift[j] = special[j] = (S)0;                                                       \
            if (j < c) {                                                                        \
                RED_NAME(slice) r = RED_NAME(start)(max[j], has_nan[j], include_zero);          \
                shift[j] = r.shift;                                                             \
                special[j] = (S)(r.special != 0);                                               \
                ordinary &= !r.special;                                                         \
            }                                                                                   \
        }                                                                                       \
        for (q = 0; q < nv * RED_NW; q++) sums_v[q] = comps_v[q] = f64_zero();                  \
        for (i = 0; i < n; i++) {                                                               \
            const T *row = x + i * inner;                                                       \
            for (q = 0; q < nv; q++) {                                                          \
                V d = v_sub(RED_F(load, dt)(row + q * LANES, c - q * LANES, NEG_INF),           \
                            v_load(shift + q * LANES));                                         \
                V e = ordinary ? RED_NAME(exp_shifted)(d) : RED_NAME(exp)(d), term = e;         \
                if (keep_e) RED_F(store, dt)(y + i * inner + q * LANES, e, c - q * LANES);       \
                /* special slices need no sum, and +inf terms would make NaN in the compensation */ \
                if (!ordinary) term = v_clear(v_gt(v_load(special + q * LANES), v_zero()), e);  \
                for (h = 0; h < RED_NW; h++)                                                    \
                    RED_NAME(add)(sums_v + q * RED_NW + h, comps_v + q * RED_NW + h, RED_NAME(wide)(term, h)); \
            }                                                                                   \
        }                                                                                       \
        for (q = 0; q < nv * RED_NW; q++)                                                       \
            f64_store(sums + q * f64_LANES, f64_add(sums_v[q], comps_v[q]));                    \
        for (j = 0; j < nv * LANES; j++) {                                                      \
            lse[j] = 0.0, scale[j] = (S)0;                                                      \
            if (j >= c) continue;                                                               \
            RED_NAME(slice) r = RED_NAME(start)(max[j], has_nan[j], include_zero);              \
            RED_F(exact_ctx, dt) ctx = {x + j, n, inner, r.shift, include_zero};                \
            RED_NAME(finish)(&r, max[j], has_nan[j], sums[j], include_zero,                     \
                             grad ? (double)RED_F(get, dt)(grad + j) : 1.0,                     \
                             (op == RECT_RED_logsumexp || op == RECT_RED_log_softmax) ? RED_F(exact_lse, dt) : NULL, &ctx);       \
            lse[j] = op == RECT_RED_log_softmax ? r.log_sum : r.lse;                           \
            scale[j] = (S)(r.special == 2 && op == RECT_RED_softmax ? RED_NAME(nan)() : r.scale); \
        }                                                                                       \
        if (op == RECT_RED_logsumexp) {                                                         \
            for (j = 0; j < c; j++) RED_F(put, dt)(y + j, (S)lse[j]);                           \
            return;                                                                             \
        }                                                                                       \
        for (i = 0; i < n; i++) {                                                               \
            const T *row = x + i * inner;                                                       \
            T *out = y + i * inner;                                                             \
            for (q = 0; q < nv; q++) {                                                          \
                size_t k = c - q * LANES;                                                       \
                V r;                                                                            \
                if (op == RECT_RED_log_softmax) {                                               \
                    r = RED_F(minus, dt)(RED_F(load, dt)(row + q * LANES, k, NEG_INF),            \
                                         v_load(shift + q * LANES), lse + q * LANES);           \
                } else {                                                                        \
                    V e = keep_e ? RED_F(load, dt)(out + q * LANES, k, (T)0)                    \
                                 : RED_NAME(exp)(v_sub(RED_F(load, dt)(row + q * LANES, k, NEG_INF), \
                                                       v_load(shift + q * LANES)));             \
                    r = v_mul(e, v_load(scale + q * LANES));                                    \
                }                                                                               \
                RED_F(store, dt)(out + q * LANES, r, k);                                        \
            }                                                                                   \
        }                                                                                       \
    }                                                                                           \
    RED_FLATTEN static void RED_F(col_grad, dt)(int op, const T *y, const T *g, T *out, size_t n,           \
                                    size_t inner, size_t c) {                                   \
        f64_v sums_v[RED_CV * RED_NW], comps_v[RED_CV * RED_NW];                                \
        double sums[RED_COLS];                                                                  \
        S sums_s[RED_COLS];                                                                     \
        int all_nan[RED_COLS];                                                                  \
        size_t nv = (c + LANES - 1) / LANES, i, q, j;                                           \
        for (q = 0; q < nv * RED_NW; q++) sums_v[q] = comps_v[q] = f64_zero();                  \
        for (i = 0; i < n; i++)                                                                 \
            for (q = 0; q < nv; q++) {                                                          \
                size_t at = i * inner + q * LANES, k = c - q * LANES;                           \
                RED_F(grad_acc, dt)(op, sums_v + q * RED_NW, comps_v + q * RED_NW, RED_F(load, dt)(y + at, k, (T)0),  \
                                    RED_F(load, dt)(g + at, k, (T)0));                          \
            }                                                                                   \
        for (q = 0; q < nv * RED_NW; q++)                                                       \
            f64_store(sums + q * f64_LANES, f64_add(sums_v[q], comps_v[q]));                    \
        for (j = 0; j < nv * LANES; j++) sums_s[j] = (S)sums[j];                                \
        /* a slice whose forward output is all NaN was all -inf: its gradient is 0 (found       \
         * before the output is written, which may be y itself) */                              \
        for (j = 0; j < c; j++)                                                                 \
            all_nan[j] = n > 0 && isnan(RED_F(get, dt)(y + j)) && RED_F(all_nan, dt)(y + j, n, inner); \
        for (i = 0; i < n; i++)                                                                 \
            for (q = 0; q < nv; q++) {                                                          \
                size_t at = i * inner + q * LANES, k = c - q * LANES;                           \
                RED_F(store, dt)(out + at, RED_F(grad_out, dt)(op, RED_F(load, dt)(y + at, k, (T)0), \
                                                               RED_F(load, dt)(g + at, k, (T)0), \
                                                               v_load(sums_s + q * LANES)), k); \
            }                                                                                   \
        for (j = 0; j < c; j++)                                                                 \
            if (all_nan[j])                                                                     \
                for (i = 0; i < n; i++) RED_F(put, dt)(out + i * inner + j, (S)0);              \
    }

/* The kernel of one storage type: the op over outer blocks of (n, inner) */
#define RECT_DEFINE_REDUCE(dt, T, LOAD, STORE, STORE_E, NEG_INF)                                 \
    RED_BASICS(dt, T, LOAD, STORE)                                                              \
    RED_ROWS(dt, T, LOAD, STORE, STORE_E, NEG_INF)                                              \
    RED_COLUMNS(dt, T, LOAD, STORE, STORE_E, NEG_INF)                                           \
    static void RECT_KNAME(reduce, dt)(int op, size_t outer, size_t n, size_t inner,            \
                                       const void *xv, const void *gv, void *yv,                \
                                       const rect_params *p) {                                  \
        const T *x = (const T *)xv, *g = (const T *)gv;                                         \
        T *y = (T *)yv;                                                                         \
        int include_zero = p->a != 0;                                                           \
        size_t o, j;                                                                            \
        for (o = 0; o < outer; o++) {                                                           \
            size_t block = o * n * inner;                                                       \
            if (inner == 1) {                                                                   \
                if (RED_IS_GRAD(op))                                                            \
                    RED_F(row_grad, dt)(op, x + block, g + block, y + block, n);                \
                else                                                                            \
                    RED_F(row_forward, dt)(op, x + block, n, include_zero, g ? g + o : NULL,    \
                                           op == RECT_RED_logsumexp ? y + o : y + block);       \
                continue;                                                                       \
            }                                                                                   \
            for (j = 0; j < inner; j += RED_COLS) {                                             \
                size_t c = inner - j < RED_COLS ? inner - j : RED_COLS;                         \
                if (RED_IS_GRAD(op))                                                            \
                    RED_F(col_grad, dt)(op, x + block + j, g + block + j, y + block + j, n, inner, c); \
                else                                                                            \
                    RED_F(col_forward, dt)(op, x + block + j, n, inner, c, include_zero,        \
                                           g ? g + o * inner + j : NULL,                        \
                                           op == RECT_RED_logsumexp ? y + o * inner + j         \
                                                                    : y + block + j);           \
            }                                                                                   \
        }                                                                                       \
    }
