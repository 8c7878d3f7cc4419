/* The reductions and their gradients: logsumexp (LSE0+ with include_zero),
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
 * Passes (as few as the math allows): max (and whether a NaN is there; for float32 data also the
 * min); e = exp(x - max) and its sum (e kept for the scale: in the output for float64 data, in a
 * float64 buffer of RED_KEPT terms for float32 data, computed again past it); then the scale
 * (softmax, logsumexp_grad) or x - lse (log_softmax). The gradients take two: a sum, then the
 * output.
 *
 * float32 data (and float16, computed in float32) is computed in float64: x - max exactly, e^(x -
 * max) within 2^-34 (RED_NAME(term)), softmax e * (1 / sum) rounded once to float32, log_softmax
 * (x - max) - log(sum) rounded once: every result within 1 ULP (0.5 + 2^-8 before the rare
 * cancellations below), where rounding x - max to float32 first, as PyTorch, NumPy and ONNX
 * Runtime do, costs up to |x - max| / 2 ULP (65 ULP at a spread of 100).
 *
 * Same bits on every path: sums are accumulated in float64 in a fixed order: along a slice in 16
 * interleaved partial sums combined by a fixed tree (rows), or in order of the reduced index
 * (columns); exp is bit-identical across paths (FMAs and IEEE operations only).
 *
 * logsumexp = m + log1p(t), m the max (or 0 when include_zero and the max is negative), t the sum of
 * the other terms: one term equal to 1 is left out, so that [0, -40] gives 4.2e-18, not 0 (SciPy's
 * fix for gh-18295). float32 data takes t as sum - 1 where the partial sums' roundings leave it
 * within 2^-33, else sums the terms below 1 again apart from a count of those equal to 1, so t
 * keeps its relative accuracy however small. float64 data takes t as sum - 1. An extra pass in
 * long double (libm's expl) runs where lse cancels: float32 data where |lse| < log1p(t) / 16,
 * float64 data where |lse| < 2 or t < 2^-20.
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
#define RED_KEPT 4096          /* float32 data: terms of a row kept in float64 for the scale (32 KB) */
#define RED_NAME(name) VT(RECT_CAT(red_, name))

/* float64 pieces of a compute vector: RED_NW float64 vectors per V */
#undef RED_NW
#if RED_F32
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
/* A term e^d of a float32 slice, d = x - shift <= 0 formed in float64 (exact, or within 2^-53 |d|
 * where x and shift are 29 binades apart), e^d in float64 within 2^-34 relative: softmax, e / sum,
 * is then within 2^-32 of its exact value before its one rounding to float32 (0.5 + 2^-8 ULP), and
 * so is the sum in logsumexp. k = round(d / ln 2) in the low bits of kb, r = d - k ln 2 (|r| <=
 * 0.347; the error of k ln 2 in float64 is below 2^-46), e^r = 1 + r (1 + r q(r)), q a degree-5
 * near-minimax fit of (e^r - 1 - r) / r^2 (2^-34.2 relative for e^r), 2^k added to the exponent.
 * e^0 is exactly 1, so a slice's terms other than its maximum can be summed apart (finish).
 * clamp 1: d below RED_FLOOR (-inf: a -inf element, or a lane past the end) gives 0; clamp 2
 * also takes any d (NaN, +inf: a special slice whose term is discarded) without a flag. Without
 * clamp, every d must be in [RED_FLOOR, 0]. */
#define RED_FLOOR -200.0 /* e^-200 times 2^31 terms is far below half the smallest float32 */
VM32_INLINE f64_v RED_NAME(term)(f64_v d, int clamp) {
    const f64_v magic = f64_set1(0x1.8p52), one = f64_set1(1.0), floor = f64_set1(RED_FLOOR);
    f64_v z = clamp ? f64_max(d, floor) : d; /* NaN: floor */
    if (clamp == 2) z = f64_select(f64_gt(z, f64_zero()), f64_zero(), z);
    f64_v kb = f64_fma(z, f64_set1(0x1.71547652b82fep0), magic);
    f64_v r = f64_fma(f64_sub(kb, magic), f64_set1(-0x1.62e42fefa39efp-1), z);
    f64_v q = f64_fma(f64_set1(0x1.9f08c563d4578p-13), r, f64_set1(0x1.6d8d0228eed86p-10));
    q = f64_fma(q, r, f64_set1(0x1.1112708d0919ap-7));
    q = f64_fma(q, r, f64_set1(0x1.55548dc86bc2cp-5));
    q = f64_fma(q, r, f64_set1(0x1.5555544355889p-3));
    q = f64_fma(q, r, f64_set1(0x1.0000003a229f8p-1));
    f64_v e = f64_scale_exponent(f64_fma(f64_fma(q, r, one), r, one), kb);
    return clamp ? f64_clear(f64_lt(d, floor), e) : e;
}
#else
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
VM32_INLINE V RED_NAME(term)(V d, int clamp) { (void)clamp; return RED_NAME(exp)(d); }
#endif

/* acc += term. float64 data: compensated (Knuth's TwoSum), the rounding errors gathered in comp,
 * so that a long float64 sum keeps the 2 ULP bound; float32 data needs no compensation (float64
 * sums of terms within 2^-34). */
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

/* The terms e^(x - shift) of one chunk of RED_W elements (v[q] holds elements q LANES .. q LANES +
 * LANES - 1) into RED_W partial sums: partial sum l takes element l, the same order on every path
 * whatever LANES is. With split (float32 data's logsumexp and log_softmax) acc takes the terms
 * below 1 and units counts those equal to 1, so that the sum of the others keeps its relative
 * accuracy however small it is. The terms are stored at e when it is not NULL. */
VM32_INLINE void RED_NAME(chunk_terms)(const V *v, f64_v shift, int clamp, int split, f64_v *acc,
                                       f64_v *comp, f64_v *units, double *e) {
    int q, h;
    for (q = 0; q < RED_NV; q++)
        for (h = 0; h < RED_NW; h++) {
            int at = q * RED_NW + h;
            f64_v d = f64_sub(RED_NAME(wide)(v[q], h), shift), t = RED_NAME(term)(d, clamp);
            if (e) f64_store(e + at * f64_LANES, t);
            if (RED_F32 && split) {
                f64_m unit = f64_eq(d, f64_zero());
                units[at] = f64_add(units[at], f64_keep(unit, f64_set1(1.0)));
                t = f64_clear(unit, t);
            }
            RED_NAME(add)(acc + at, comp + at, t);
        }
}

/* the RED_NW float64 vectors of the kept terms at e, k of them valid (fewer than LANES: the rest
 * read 0) */
VM32_INLINE void RED_NAME(load_kept)(f64_v *parts, const double *e, size_t k) {
    double buffer[LANES] = {0};
    int h;
    if (k < LANES) e = (const double *)memcpy(buffer, e, k * sizeof(double));
    for (h = 0; h < RED_NW; h++) parts[h] = f64_load(e + h * f64_LANES);
}

/* the fixed-order sum of count partial sums */
static inline double RED_NAME(tree_of)(const f64_v *acc, const f64_v *comp, int count) {
    double s[RED_W];
    int k, h;
    for (k = 0; k < count / f64_LANES; k++) f64_store(s + k * f64_LANES, f64_add(acc[k], comp[k]));
    for (h = count / 2; h >= 1; h /= 2)
        for (k = 0; k < h; k++) s[k] += s[k + h];
    return s[0];
}

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

/* After the sum of e^(x - shift) (the zero logit not in it): lse and scale. sum: the terms, but
 * for the units terms equal to 1 left out of it (float32 data's split sums; 0 otherwise).
 * exact_lse, when not NULL, recomputes lse in a wider type for the slices that need it. */
static inline void RED_NAME(finish)(RED_NAME(slice) *r, S max, int has_nan, double sum, double units,
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
    double total = sum + units + zero_term;
    /* t: the terms but one equal to 1 (log1p(t) keeps the digits of [0, -40]); float32 data's
     * split sum has it to 2^-33 relative, float64 data's only as total - 1 */
    double t = RED_F32 ? sum + ((units - 1.0) + zero_term) : total - 1.0;
    r->log_sum = log1p(t);
    r->lse = (double)r->shift + r->log_sum;
    /* Slices summed again in a wider type (exact_lse): float32 data where lse cancels to below
     * log_sum / 16 (log_sum's 2^-33 would exceed 2^-29 of lse); float64 data where the terms'
     * error, about one ULP of the sum, is more than 0.5 ULP of lse (|lse| < 2), or where t lost
     * digits */
    if (exact_lse && (RED_F32 ? fabs(r->lse) < r->log_sum / 16 : (t < 0x1p-20 || fabs(r->lse) < 2.0)))
        r->lse = exact_lse(ctx, &r->log_sum);
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
     * the sum of the terms but one equal to 1 in long double (80-bit on x86-64, 128-bit on     \
     * AArch64 Linux: these slices' last bit may differ between the two), with libm's expl */   \
    static double RED_F(exact_lse, dt)(const void *vctx, double *log_sum) {                     \
        const RED_F(exact_ctx, dt) *c = (const RED_F(exact_ctx, dt) *)vctx;                    \
        long double rest = 0, equal = 0, shift = (long double)c->shift;                               \
        size_t i;                                                                               \
        for (i = 0; i < c->n; i++) {                                                            \
            S xi = RED_F(get, dt)(c->x + i * c->stride);                                        \
            if (xi == c->shift) equal += 1;                                                     \
            else rest += expl((long double)xi - shift);                                    \
        }                                                                                       \
        if (c->include_zero) {                                                                  \
            if (c->shift == 0) equal += 1;                                                      \
            else rest += expl(-shift);                                                  \
        }                                                                                       \
        long double wide_log_sum = log1pl(rest + (equal - 1));                             \
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

/* whole chunks of a row's terms from x + i on, with the flags constant (inside row_terms) */
#define RED_ROW_CHUNKS(LOAD, CLAMP, SPLIT)                                                           \
    for (; i + RED_W <= n; i += RED_W) {                                                             \
        for (q = 0; q < RED_NV; q++) v[q] = LOAD(x + i + q * LANES);                                 \
        RED_NAME(chunk_terms)(v, m, CLAMP, SPLIT, acc, comp, ones, e && i + RED_W <= e_len ? e + i : NULL); \
    }

/* ---- rows: inner == 1, vectors along the slice ---- */
#define RED_ROWS(dt, T, LOAD, STORE, STORE_E, NEG_INF)                                               \
    /* the max of a row, whether a NaN is in it, and its min (float32 data: whether a term may       \
     * fall below RED_FLOOR) */                                                                      \
    static inline S RED_F(row_max, dt)(const T *x, size_t n, int *has_nan, S *min) {                 \
        V acc[RED_NV], low[RED_NV], v;                                                               \
        M nan = v_lt(v_zero(), v_zero());                                                            \
        S lanes[RED_W], max = -(S)INFINITY;                                                          \
        size_t i = 0, q;                                                                             \
        for (q = 0; q < RED_NV; q++) acc[q] = v_set1(-(S)INFINITY), low[q] = v_set1((S)INFINITY);    \
        for (; i + RED_W <= n; i += RED_W)                                                           \
            for (q = 0; q < RED_NV; q++) {                                                           \
                v = LOAD(x + i + q * LANES);                                                         \
                acc[q] = VT(max)(v, acc[q]); /* acc where v is NaN */                                \
                if (RED_F32) low[q] = v_select(v_lt(v, low[q]), v, low[q]);                          \
                nan = v_or(nan, v_isnan(v));                                                         \
            }                                                                                        \
        *min = (S)INFINITY;                                                                          \
        for (; i < n; i += LANES) { /* a short tail: its chunk takes the clamped terms anyway */     \
            v = RED_F(load, dt)(x + i, n - i, NEG_INF);                                              \
            acc[0] = v_select(v_gt(v, acc[0]), v, acc[0]);                                           \
            nan = v_or(nan, v_isnan(v));                                                             \
        }                                                                                            \
        for (q = 0; q < RED_NV; q++) v_store(lanes + q * LANES, acc[q]);                             \
        for (q = 0; q < RED_W; q++) max = isgreater(lanes[q], max) ? lanes[q] : max;                 \
        for (q = 0; q < RED_NV; q++) v_store(lanes + q * LANES, low[q]);                             \
        for (q = 0; q < RED_W; q++) *min = isless(lanes[q], *min) ? lanes[q] : *min;                 \
        v_store(lanes, v_keep(nan, v_set1((S)1)));                                                   \
        *has_nan = 0;                                                                                \
        for (q = 0; q < LANES; q++) *has_nan |= lanes[q] != 0;                                       \
        return max;                                                                                  \
    }                                                                                                \
    /* The sum of the terms e^(x - shift) of an ordinary slice (no NaN, shift >= every x), split     \
     * as chunk_terms says (*units: the count of the terms equal to 1 left out); the first e_len     \
     * terms stored at e (float64). clamp: some x - shift may be below RED_FLOOR. */                 \
    RED_FLATTEN static inline double RED_F(row_terms, dt)(const T *x, size_t n, S shift, int clamp, int split, \
                                                          double *e, size_t e_len, double *units) {  \
        f64_v acc[RED_W / f64_LANES], comp[RED_W / f64_LANES], ones[RED_W / f64_LANES];              \
        f64_v zero[RED_W / f64_LANES], m = f64_set1((double)shift);                                  \
        V v[RED_NV];                                                                                 \
        double last[RED_W];                                                                          \
        size_t i = 0, q, k;                                                                          \
        for (k = 0; k < RED_W / f64_LANES; k++) acc[k] = comp[k] = ones[k] = zero[k] = f64_zero();   \
        if (split) {                                                                                 \
            if (clamp) RED_ROW_CHUNKS(LOAD, 1, 1) else RED_ROW_CHUNKS(LOAD, 0, 1)                    \
        } else {                                                                                     \
            if (clamp) RED_ROW_CHUNKS(LOAD, 1, 0) else RED_ROW_CHUNKS(LOAD, 0, 0)                    \
        }                                                                                            \
        if (i < n) { /* the last, partial chunk: lanes past the end read -inf, so their term is 0 */ \
            for (q = 0; q < RED_NV; q++) {                                                           \
                size_t at = i + q * LANES;                                                           \
                k = at < n ? n - at : 0;                                                             \
                v[q] = RED_F(load, dt)(x + (k ? at : 0), k, NEG_INF);                                \
            }                                                                                        \
            RED_NAME(chunk_terms)(v, m, 1, split, acc, comp, ones, last);                            \
            if (e && i < e_len) memcpy(e + i, last, ((e_len < n ? e_len : n) - i) * sizeof(double)); \
        }                                                                                            \
        *units = RED_NAME(tree_of)(ones, zero, RED_W);                                               \
        return RED_NAME(tree_of)(acc, comp, RED_W);                                                  \
    }                                                                                                \
    RED_FLATTEN static void RED_F(row_forward, dt)(int op, const T *x, size_t n, int include_zero,   \
                                       const T *grad, T *y) {                                        \
        int has_nan;                                                                                 \
        S min, max = RED_F(row_max, dt)(x, n, &has_nan, &min);                                       \
        RED_NAME(slice) r = RED_NAME(start)(max, has_nan, include_zero);                             \
        /* softmax and logsumexp_grad keep the terms for the scale: float32 data in a float64        \
         * buffer (past its end they are computed again, the same bits), float64 data in y */        \
        int keep_e = op == RECT_RED_softmax || op == RECT_RED_logsumexp_grad;                        \
        int split = RED_F32 && (op == RECT_RED_logsumexp || op == RECT_RED_log_softmax);             \
        int clamp = !((double)min - (double)r.shift >= RED_FLOOR);                                   \
        double buffer[RED_F32 ? RED_KEPT : 1], units = 0.0, lse[LANES];                              \
        double *e = keep_e ? (RED_F32 ? buffer : (double *)(void *)y) : NULL;                        \
        size_t e_len = keep_e ? (RED_F32 ? RED_KEPT : n) : 0, i, k;                                  \
        /* a special slice's result needs no sum (and its terms may be +inf). float32 logsumexp and  \
         * log_softmax take t, the terms but one equal to 1, as sum - 1 where that is within 2^-33   \
         * of t (the partial sums' roundings: (n / 16 + 4) 2^-53 of sum), else the terms below 1     \
         * are summed again apart (split) */                                                         \
        double sum = r.special ? 0.0 : RED_F(row_terms, dt)(x, n, r.shift, clamp, 0, e, e_len, &units); \
        if (split && !r.special) {                                                                   \
            double zero_term = include_zero ? exp(-(double)r.shift) : 0.0;                           \
            if (sum + (zero_term - 1.0) < (double)(n + 64) * 0x1p-24 * (sum + zero_term))            \
                sum = RED_F(row_terms, dt)(x, n, r.shift, clamp, 1, NULL, 0, &units);                \
        }                                                                                            \
        RED_F(exact_ctx, dt) ctx = {x, n, 1, r.shift, include_zero};                                 \
        RED_NAME(finish)(&r, max, has_nan, sum, units, include_zero, grad ? (double)RED_F(get, dt)(grad) : 1.0, \
                         split || (!RED_F32 && (op == RECT_RED_logsumexp || op == RECT_RED_log_softmax)) \
                             ? RED_F(exact_lse, dt) : NULL, &ctx);                                   \
        if (op == RECT_RED_logsumexp) {                                                              \
            RED_F(put, dt)(y, (S)r.lse);                                                             \
        } else if (op == RECT_RED_log_softmax) {                                                     \
            for (k = 0; k < LANES; k++) lse[k] = r.log_sum;                                          \
            for (i = 0; i < n; i += LANES)                                                           \
                RED_F(store, dt)(y + i, RED_F(minus, dt)(RED_F(load, dt)(x + i, n - i, NEG_INF),     \
                                                         v_set1(r.shift), lse), n - i);              \
        } else if (r.special) { /* NaN throughout, or 0 (the gradient of an all -inf slice) */       \
            V fill = v_set1((S)(r.special == 2 && op == RECT_RED_softmax ? RED_NAME(nan)() : r.scale)); \
            for (i = 0; i < n; i += LANES) RED_F(store, dt)(y + i, fill, n - i);                     \
        } else { /* e times the scale in float64, rounded once */                                    \
            f64_v scale = f64_set1(r.scale), m = f64_set1((double)r.shift), parts[RED_NW];           \
            size_t kept = e_len < n ? e_len : n;                                                     \
            int h;                                                                                   \
            for (i = 0; i < n; i += LANES) {                                                         \
                if (i < kept) {                                                                      \
                    RED_NAME(load_kept)(parts, e + i, kept - i);                                     \
                } else {                                                                             \
                    V v = RED_F(load, dt)(x + i, n - i, NEG_INF);                                    \
                    for (h = 0; h < RED_NW; h++) parts[h] = RED_NAME(term)(f64_sub(RED_NAME(wide)(v, h), m), 1); \
                }                                                                                    \
                for (h = 0; h < RED_NW; h++) parts[h] = f64_mul(parts[h], scale);                    \
                RED_F(store, dt)(y + i, RED_NAME(narrow)(parts), n - i);                             \
            }                                                                                        \
        }                                                                                            \
    }                                                                                                \
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
#define RED_COLUMNS(dt, T, LOAD, STORE, STORE_E, NEG_INF)                                            \
    RED_FLATTEN static void RED_F(col_forward, dt)(int op, const T *x, size_t n, size_t inner, size_t c, \
                                       int include_zero, const T *grad, T *y) {                      \
        V acc[RED_CV], low[RED_CV];                                                                  \
        M nan[RED_CV];                                                                               \
        f64_v sums_v[RED_CV * RED_NW], comps_v[RED_CV * RED_NW], units_v[RED_CV * RED_NW], parts[RED_NW]; \
        S max[RED_COLS], min[RED_COLS], flag[RED_COLS], shift_s[RED_COLS];                                              \
        double sums[RED_COLS], units[RED_COLS], lse[RED_COLS], scale[RED_COLS], special[RED_COLS];   \
        double shift[RED_COLS];                                                \
        size_t nv = (c + LANES - 1) / LANES, i, q, j;                                                \
        /* float64 data keeps the terms in y; float32 data computes them again for the scale */      \
        int h, keep_e = !RED_F32 && (op == RECT_RED_softmax || op == RECT_RED_logsumexp_grad);       \
        int split = RED_F32 && (op == RECT_RED_logsumexp || op == RECT_RED_log_softmax);             \
        int clamp = c % LANES != 0; /* 1: some term may be below RED_FLOOR, 2: a slice is special */ \
        for (q = 0; q < nv; q++)                                                                     \
            acc[q] = v_set1(-(S)INFINITY), low[q] = v_set1((S)INFINITY), nan[q] = v_lt(v_zero(), v_zero()); \
        for (i = 0; i < n; i++) {                                                                    \
            const T *row = x + i * inner;                                                            \
            for (q = 0; q < nv; q++) {                                                               \
                V v = RED_F(load, dt)(row + q * LANES, c - q * LANES, NEG_INF);                      \
                acc[q] = VT(max)(v, acc[q]);                                                         \
                if (RED_F32) low[q] = v_select(v_lt(v, low[q]), v, low[q]);                          \
                nan[q] = v_or(nan[q], v_isnan(v));                                                   \
            }                                                                                        \
        }                                                                                            \
        for (q = 0; q < nv; q++) {                                                                   \
            v_store(max + q * LANES, acc[q]);                                                        \
            v_store(min + q * LANES, low[q]);                                                        \
            v_store(flag + q * LANES, v_keep(nan[q], v_set1((S)1)));                                 \
        }                                                                                            \
        for (j = 0; j < nv * LANES; j++) {                                                           \
            shift[j] = special[j] = 0.0, shift_s[j] = (S)0;                                                             \
            if (j < c) {                                                                             \
                RED_NAME(slice) r = RED_NAME(start)(max[j], flag[j] != 0, include_zero);             \
                shift_s[j] = r.shift, shift[j] = (double)r.shift;                                                          \
                special[j] = r.special != 0;                                                         \
                if (r.special) clamp = 2;                                                            \
                else if (clamp == 0 && !((double)min[j] - shift[j] >= RED_FLOOR)) clamp = 1;         \
            }                                                                                        \
        }                                                                                            \
        for (q = 0; q < nv * RED_NW; q++) sums_v[q] = comps_v[q] = units_v[q] = f64_zero();          \
        for (i = 0; i < n; i++) {                                                                    \
            const T *row = x + i * inner;                                                            \
            for (q = 0; q < nv; q++) {                                                               \
                V v = RED_F(load, dt)(row + q * LANES, c - q * LANES, NEG_INF);                      \
                for (h = 0; h < RED_NW; h++) {                                                       \
                    size_t at = q * LANES + h * f64_LANES;                                           \
                    f64_v d = f64_sub(RED_NAME(wide)(v, h), f64_load(shift + at));                   \
                    f64_v t = parts[h] = RED_NAME(term)(d, clamp);                                   \
                    /* special slices need no sum, and +inf terms would make NaN in the compensation */ \
                    if (clamp == 2) t = f64_clear(f64_gt(f64_load(special + at), f64_zero()), t);    \
                    if (split) {                                                                     \
                        f64_m unit = f64_eq(d, f64_zero());                                          \
                        units_v[q * RED_NW + h] = f64_add(units_v[q * RED_NW + h], f64_keep(unit, f64_set1(1.0))); \
                        t = f64_clear(unit, t);                                                      \
                    }                                                                                \
                    RED_NAME(add)(sums_v + q * RED_NW + h, comps_v + q * RED_NW + h, t);             \
                }                                                                                    \
                if (keep_e) RED_F(store, dt)(y + i * inner + q * LANES, RED_NAME(narrow)(parts), c - q * LANES); \
            }                                                                                        \
        }                                                                                            \
        for (q = 0; q < nv * RED_NW; q++) {                                                          \
            f64_store(sums + q * f64_LANES, f64_add(sums_v[q], comps_v[q]));                         \
            f64_store(units + q * f64_LANES, units_v[q]);                                            \
        }                                                                                            \
        for (j = 0; j < nv * LANES; j++) {                                                           \
            lse[j] = scale[j] = 0.0;                                                                 \
            if (j >= c) continue;                                                                    \
            RED_NAME(slice) r = RED_NAME(start)(max[j], flag[j] != 0, include_zero);                 \
            RED_F(exact_ctx, dt) ctx = {x + j, n, inner, r.shift, include_zero};                     \
            RED_NAME(finish)(&r, max[j], flag[j] != 0, sums[j], units[j], include_zero,              \
                             grad ? (double)RED_F(get, dt)(grad + j) : 1.0,                          \
                             (op == RECT_RED_logsumexp || op == RECT_RED_log_softmax) ? RED_F(exact_lse, dt) : NULL, &ctx); \
            lse[j] = op == RECT_RED_log_softmax ? r.log_sum : r.lse;                                 \
            scale[j] = r.special == 2 && op == RECT_RED_softmax ? RED_NAME(nan)() : r.scale;         \
        }                                                                                            \
        if (op == RECT_RED_logsumexp) {                                                              \
            for (j = 0; j < c; j++) RED_F(put, dt)(y + j, (S)lse[j]);                                \
            return;                                                                                  \
        }                                                                                            \
        for (i = 0; i < n; i++) {                                                                    \
            const T *row = x + i * inner;                                                            \
            T *out = y + i * inner;                                                                  \
            for (q = 0; q < nv; q++) {                                                               \
                size_t k = c - q * LANES;                                                            \
                V v;                                                                                 \
                if (op == RECT_RED_log_softmax) {                                                    \
                    v = RED_F(minus, dt)(RED_F(load, dt)(row + q * LANES, k, NEG_INF), v_load(shift_s + q * LANES), lse + q * LANES); \
                } else { /* e times the scale in float64, rounded once */                            \
                    if (keep_e) v = RED_F(load, dt)(out + q * LANES, k, (T)0);                       \
                    else v = RED_F(load, dt)(row + q * LANES, k, NEG_INF);                           \
                    for (h = 0; h < RED_NW; h++) {                                                   \
                        size_t at = q * LANES + h * f64_LANES;                                       \
                        parts[h] = keep_e ? RED_NAME(wide)(v, h)                                     \
                                          : RED_NAME(term)(f64_sub(RED_NAME(wide)(v, h), f64_load(shift + at)), clamp); \
                        parts[h] = f64_mul(parts[h], f64_load(scale + at));                          \
                    }                                                                                \
                    v = RED_NAME(narrow)(parts);                                                     \
                }                                                                                    \
                RED_F(store, dt)(out + q * LANES, v, k);                                             \
            }                                                                                        \
        }                                                                                            \
    }                                                                                                \
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
