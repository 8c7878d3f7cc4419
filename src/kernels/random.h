/* The randomized rectifiers rrelu and noisy_relu: uniform and normal variates made inside the
 * kernel from Philox4x32-10 words (philox.h), written once over the shim.
 *
 * Included by instantiate.h twice, after ops.h and loops.h: with VPFX = f64 (RECT_RANDOM_DOUBLE 1)
 * for float64 data, and with VPFX = f32 (RECT_RANDOM_DOUBLE 0) for float32 and float16 data
 * (float16 is computed in float32). RECT_RANDOM_LOGISTIC_STD(x) is sqrt(logistic(x)) in the
 * compute type (noisy_relu's sigma="sigmoid"). No include guard on purpose.
 *
 * Which words an element gets depends on its logical index i (the C-order position in the output,
 * plus the call's `first`) only. Element i is element t = i % G of group g = i / G, whose 32 words
 * are philox.h's group g of the function's stream:
 *   float32 (G = 32)  rrelu: u from word t. noisy_relu: elements t and t + 16 (t < 16) are the
 *                     Box-Muller pair of words t (radius) and t + 16 (angle).
 *   float64 (G = 16)  rrelu: u from words t (high) and t + 16 (low). noisy_relu: elements t and
 *                     t + 8 (t < 8) are the pair of words (t, t + 8) (radius) and (t + 16, t + 24).
 * Every path performs the same IEEE operations (add, sub, mul, div, sqrt; no fused multiply-add) in
 * the same order, so every path, layout and chunking gives the same bits.
 *
 * Accuracy of the variates (they are not correctly rounded, and need not be: the bits are the
 * contract, the distribution is what the tests check):
 *   uniform  float32: k 2^-24 for k a 24-bit integer, in [0, 1 - 2^-24]; float64: a 64-bit fraction
 *            rounded to 53 bits, in [0, 1].
 *   normal   Box-Muller r (cos, sin) with r = sqrt(-2 log u1), u1 in (0, 1] (2^-24 or 2^-64 steps:
 *            |z| <= 5.77 in float32, <= 9.42 in float64; the normal law puts 8e-9 and 4e-21 beyond),
 *            the angle a uniform quarter turn (22 or 51 bits) reflected into a quadrant by two
 *            random signs. log, sin and cos are series on reduced ranges, truncated below 2^-25
 *            (float32) or 2^-55 (float64) of the result: each variate is within a few ULPs of
 *            r cos(angle) for its uniforms.
 */

#include "philox.h"

#undef RAND_GROUP
#undef RAND_HALF
#undef RAND_FOR_EACH_GROUP
#undef RECT_DEFINE_RRELU
#undef RECT_DEFINE_NOISY_RELU
#if RECT_RANDOM_DOUBLE
#define RAND_GROUP 16
#else
#define RAND_GROUP 32
#endif
#define RAND_HALF (RAND_GROUP / 2)

/* ones for the lanes of a partial vector (noisy_relu's sigma), as many as the widest vector has */
static const S VT(rand_ones)[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
_Static_assert(sizeof(VT(rand_ones)) / sizeof(S) >= LANES, "rand_ones needs a one per lane");
/* a whole group's pairs are made a vector at a time */
_Static_assert(RAND_HALF % LANES == 0, "a half group must be a whole number of vectors");

/* ---- uniform and normal variates from a group's words ---------------------------------------- */

/* u in [0, 1) (float64: [0, 1], see above) for the elements whose words start at w */
static inline V VT(rand_uniform)(const uint32_t *w) {
#if RECT_RANDOM_DOUBLE
    return v_add(v_mul(f64_load_u32(w), v_set1(0x1p-32)), v_mul(f64_load_u32(w + 16), v_set1(0x1p-64)));
#else
    return v_mul(f32_from_top24(u32_load(w)), v_set1(0x1p-24f));
#endif
}

/* log(u) for u in (0, 1], a normal number: u = m 2^k, m in [sqrt(1/2), sqrt(2)), and
 * log(m) = f - s (f - R) with f = m - 1 (exact), s = f / (2 + f), R = 2 s^2 / 3 + 2 s^4 / 5 + ...
 * (|s| <= 0.1716; vmath.h's log1p uses the same series). */
static inline V VT(rand_log_unit)(V u) {
    const V one = v_set1((S)1);
    V k, m = VT(split_exponent)(u, &k);
    M big = v_gt(m, v_set1((S)1.4142135623730951));
    m = v_select(big, v_mul(m, v_set1((S)0.5)), m);
    k = v_add(k, v_keep(big, one));
    V f = v_sub(m, one);
    V s = v_div(f, v_add(v_set1((S)2), f));
    V z = v_mul(s, s);
#if RECT_RANDOM_DOUBLE
    V R = v_set1(2.0 / 21.0);
    R = v_add(v_mul(R, z), v_set1(2.0 / 19.0));
    R = v_add(v_mul(R, z), v_set1(2.0 / 17.0));
    R = v_add(v_mul(R, z), v_set1(2.0 / 15.0));
    R = v_add(v_mul(R, z), v_set1(2.0 / 13.0));
    R = v_add(v_mul(R, z), v_set1(2.0 / 11.0));
    R = v_add(v_mul(R, z), v_set1(2.0 / 9.0));
    const V ln2_hi = v_set1(VM_LN2_HI), ln2_lo = v_set1(VM_LN2_LO);
#else
    V R = v_set1(2.0f / 11.0f);
    R = v_add(v_mul(R, z), v_set1(2.0f / 9.0f));
    const V ln2_hi = v_set1(0x1.62e400p-1f), ln2_lo = v_set1(0x1.7f7d1cp-20f); /* k ln2_hi is exact */
#endif
    R = v_add(v_mul(R, z), v_set1((S)(2.0 / 7.0)));
    R = v_add(v_mul(R, z), v_set1((S)(2.0 / 5.0)));
    R = v_add(v_mul(R, z), v_set1((S)(2.0 / 3.0)));
    R = v_mul(R, z);
    V log_m = v_sub(f, v_mul(s, v_sub(f, R)));
    return v_add(v_mul(k, ln2_hi), v_add(log_m, v_mul(k, ln2_lo)));
}

/* cos and sin of f pi/2 for f in [0, 1]: the series at g pi/2, g = min(f, 1 - f) <= 1/2 (1 - f is
 * exact), swapped where f > 1/2. */
static inline void VT(rand_quarter_sincos)(V f, V *c, V *s) {
    const V one = v_set1((S)1);
    M upper_half = v_gt(f, v_set1((S)0.5));
    V g = v_select(upper_half, v_sub(one, f), f);
    V t = v_mul(g, v_set1((S)1.5707963267948966));
    V t2 = v_mul(t, t);
#if RECT_RANDOM_DOUBLE
    V sp = v_set1(1.0 / 355687428096000.0);                  /* 1/17! */
    sp = v_add(v_mul(sp, t2), v_set1(-1.0 / 1307674368000.0)); /* -1/15! */
    sp = v_add(v_mul(sp, t2), v_set1(1.0 / 6227020800.0));
    sp = v_add(v_mul(sp, t2), v_set1(-1.0 / 39916800.0));
    V cp = v_set1(1.0 / 6402373705728000.0);                  /* 1/18! */
    cp = v_add(v_mul(cp, t2), v_set1(-1.0 / 20922789888000.0));
    cp = v_add(v_mul(cp, t2), v_set1(1.0 / 87178291200.0));
    cp = v_add(v_mul(cp, t2), v_set1(-1.0 / 479001600.0));
    cp = v_add(v_mul(cp, t2), v_set1(1.0 / 3628800.0));
    sp = v_add(v_mul(sp, t2), v_set1(1.0 / 362880.0));
#else
    V sp = v_set1(1.0f / 362880.0f);                          /* 1/9! */
    V cp = v_set1(1.0f / 3628800.0f);                         /* 1/10! */
#endif
    sp = v_add(v_mul(sp, t2), v_set1((S)(-1.0 / 5040.0)));
    sp = v_add(v_mul(sp, t2), v_set1((S)(1.0 / 120.0)));
    sp = v_add(v_mul(sp, t2), v_set1((S)(-1.0 / 6.0)));
    cp = v_add(v_mul(cp, t2), v_set1((S)(-1.0 / 40320.0)));
    cp = v_add(v_mul(cp, t2), v_set1((S)(1.0 / 720.0)));
    cp = v_add(v_mul(cp, t2), v_set1((S)(-1.0 / 24.0)));
    cp = v_add(v_mul(cp, t2), v_set1((S)0.5));
    V sin_t = v_add(t, v_mul(t, v_mul(t2, sp)));
    V cos_t = v_sub(one, v_mul(t2, cp));
    *c = v_select(upper_half, sin_t, cos_t);
    *s = v_select(upper_half, cos_t, sin_t);
}

/* One Box-Muller pair from the words at w (see the top of this file): z0, z1 independent N(0, 1). */
static inline void VT(rand_normal_pair)(const uint32_t *w, V *z0, V *z1) {
    V u1, angle, f, c, s;
#if RECT_RANDOM_DOUBLE
    u1 = v_add(v_mul(f64_load_u32(w), v_set1(0x1p-32)),
               v_mul(v_add(f64_load_u32(w + 8), v_set1(1.0)), v_set1(0x1p-64)));
    angle = f64_load_u32(w + 16);
    const V sign_c = v_set1(0x1p31), sign_s = v_set1(0x1p30);
#else
    u1 = v_mul(v_add(f32_from_top24(u32_load(w)), v_set1(1.0f)), v_set1(0x1p-24f));
    angle = f32_from_top24(u32_load(w + RAND_HALF));
    const V sign_c = v_set1(0x1p23f), sign_s = v_set1(0x1p22f);
#endif
    /* the angle's top two bits choose the signs of cos and sin; the rest is f in [0, 1) */
    M negative_c = v_ge(angle, sign_c);
    angle = v_sub(angle, v_keep(negative_c, sign_c));
    M negative_s = v_ge(angle, sign_s);
    angle = v_sub(angle, v_keep(negative_s, sign_s));
#if RECT_RANDOM_DOUBLE
    f = v_add(v_mul(angle, v_set1(0x1p-30)), v_mul(f64_load_u32(w + 24), v_set1(0x1p-62)));
#else
    f = v_mul(angle, v_set1(0x1p-22f));
#endif
    VT(rand_quarter_sincos)(f, &c, &s);
    c = v_select(negative_c, v_sub(v_zero(), c), c);
    s = v_select(negative_s, v_sub(v_zero(), s), s);
    V r = VT(sqrt)(v_mul(VT(rand_log_unit)(u1), v_set1((S)-2)));
    *z0 = v_mul(r, c);
    *z1 = v_mul(r, s);
}

/* ---- the kernels ------------------------------------------------------------------------------ */

/* Runs BODY once per group that elements [first, first + n) of the output touch, with `words`
 * pointing at that group's words (whole groups are made a batch at a time where they fit, see
 * rect_philox_run; the buffer holds a batch). BODY sees `done` (elements of this call before the
 * group's part)
 * and the part's bounds lo <= t < hi within the group: the element of group index t is element
 * done + t - lo of the call's arrays. */
#define RAND_FOR_EACH_GROUP(n, first, stream, ks, words_buffer, ...)                            \
    do {                                                                                        \
        size_t done = 0, ready_ = 0; /* ready_: groups of the last batch not yet used */        \
        const uint32_t *words = (words_buffer);                                                  \
        while (done < (n)) {                                                                    \
            const uint64_t index_ = (first) + done;                                             \
            const size_t lo = (size_t)(index_ % RAND_GROUP);                                     \
            const size_t hi = lo + ((n) - done < RAND_GROUP - lo ? (n) - done : RAND_GROUP - lo); \
            if (ready_) { /* the next group of the batch made earlier */                         \
                words += RECT_GROUP_WORDS, ready_--;                                            \
            } else if (lo == 0 && (n) - done >= 2 * RAND_GROUP) { /* whole groups: a batch */   \
                const size_t whole_ = ((n) - done) / RAND_GROUP;                                 \
                const size_t count_ = whole_ < RECT_GROUP_BATCH ? whole_ : RECT_GROUP_BATCH;     \
                rect_philox_run(index_ / RAND_GROUP, count_, (stream), 0, (ks), (words_buffer)); \
                words = (words_buffer), ready_ = count_ - 1;                                    \
            } else {                                                                            \
                rect_philox_run(index_ / RAND_GROUP, 1, (stream), 0, (ks), (words_buffer));     \
                words = (words_buffer);                                                         \
            }                                                                                   \
            __VA_ARGS__;                                                                        \
            done += hi - lo;                                                                    \
        }                                                                                       \
    } while (0)

/* rrelu (training): y = x where x > 0, else a x with a = lower + (upper - lower) u (a zero slope
 * gives +0, as leaky_relu's); noise = a where x <= 0, else 1 (NaN x: y NaN, noise 1, as PyTorch).
 * params: a = lower, b = upper (in the compute type). */
#define RECT_DEFINE_RRELU(dt, T, LOAD, STORE)                                                     \
    static inline void RECT_STEP(rrelu, dt)(const T *x, T *y, T *noise, const uint32_t *w, V lower, \
                                            V width, V upper, size_t i, size_t r) {             \
        V xi = RECT_LOAD(LOAD, x + i, r);                                                       \
        V a = v_add(lower, v_mul(width, VT(rand_uniform)(w)));                                  \
        a = v_select(v_gt(a, upper), upper, a);                                                 \
        if (noise) RECT_STORE(STORE, noise + i, v_select(v_le(xi, v_zero()), a, VT(one)()), r); \
        RECT_STORE(STORE, y + i, OPF(sloped)(xi, a), r);                                        \
    }                                                                                           \
    static void RECT_KNAME(rrelu, dt)(size_t n, const void *xv, const void *sigma, void *yv,     \
                                      void *noisev, const rect_params *rp, uint64_t key,         \
                                      uint64_t first) {                                          \
        const T *x = (const T *)xv;                                                             \
        T *y = (T *)yv, *noise = (T *)noisev;                                                   \
        const S lower_s = (S)rp->a, upper_s = (S)rp->b;                                         \
        const V lower = v_set1(lower_s), upper = v_set1(upper_s), width = v_set1(upper_s - lower_s); \
        uint32_t words_buffer[RECT_GROUP_BUFFER] = {0};                                                \
        rect_philox_key ks;                                                                     \
        (void)sigma;                                                                            \
        rect_philox_schedule(key, &ks);                                                         \
        RAND_FOR_EACH_GROUP(n, first, RECT_STREAM_RRELU, &ks, words_buffer, {                          \
            size_t t;                                                                           \
            for (t = lo; t < hi; t += LANES)                                                    \
                RECT_STEP(rrelu, dt)(x, y, noise, words + t, lower, width, upper, done + t - lo, \
                                     hi - t < LANES ? hi - t : LANES);                          \
        });                                                                                     \
    }

/* noisy_relu: noise = s z rounded to the storage type, z ~ N(0, 1), s = sigma (the scalar a, or
 * one per element), or sqrt(logistic(x)) when params b = 1; y = relu(x + noise) in the compute
 * type (a NaN x gives x itself). Lanes past the end of a partial vector get s = 0, so they raise
 * no overflow. */
#define RECT_DEFINE_NOISY_RELU(dt, T, LOAD, STORE)                                                \
    static inline void RECT_CAT(RECT_STEP(noisy_relu, dt), _emit)(const T *x, const S *sigma,     \
                                                                  T *y, T *noise, V z, V scalar, \
                                                                  int logistic, size_t i,        \
                                                                  size_t r) {                    \
        V xi = RECT_LOAD(LOAD, x + i, r);                                                       \
        V s = sigma ? RECT_LOAD(v_load, sigma + i, r) : logistic ? RECT_RANDOM_LOGISTIC_STD(xi) : scalar; \
        V added;                                                                                \
        if (r < LANES) s = v_mul(s, v_load_part(VT(rand_ones), r));                             \
        added = v_mul(s, z);                                                                    \
        if (sizeof(T) != sizeof(S)) { /* float16: the noise as stored */                        \
            T rounded[LANES];                                                                   \
            STORE(rounded, added);                                                              \
            added = LOAD(rounded);                                                              \
        }                                                                                       \
        if (noise) RECT_STORE(STORE, noise + i, added, r);                                      \
        /* x's own NaN (x + noise would pick either NaN operand where both are NaN) */         \
        RECT_STORE(STORE, y + i, v_select(v_isnan(xi), xi, OPF(relu)(v_add(xi, added), NULL)), r); \
    }                                                                                           \
    static void RECT_KNAME(noisy_relu, dt)(size_t n, const void *xv, const void *sigmav, void *yv, \
                                           void *noisev, const rect_params *rp, uint64_t key,    \
                                           uint64_t first) {                                     \
        const T *x = (const T *)xv;                                                             \
        const S *sigma = (const S *)sigmav;                                                     \
        T *y = (T *)yv, *noise = (T *)noisev;                                                   \
        const V scalar = v_set1((S)rp->a);                                                      \
        const int logistic = rp->b == 1.0;                                                      \
        uint32_t words_buffer[RECT_GROUP_BUFFER] = {0};                                                \
        rect_philox_key ks;                                                                     \
        rect_philox_schedule(key, &ks);                                                         \
        RAND_FOR_EACH_GROUP(n, first, RECT_STREAM_NOISY_RELU, &ks, words_buffer, {                     \
            V z0, z1;                                                                           \
            size_t t, h;                                                                        \
            if (lo == 0 && hi == RAND_GROUP) { /* a whole group: both variates of every pair */ \
                for (t = 0; t < RAND_HALF; t += LANES) {                                        \
                    VT(rand_normal_pair)(words + t, &z0, &z1);                                  \
                    RECT_CAT(RECT_STEP(noisy_relu, dt), _emit)(x, sigma, y, noise, z0, scalar,  \
                                                              logistic, done + t, LANES);      \
                    RECT_CAT(RECT_STEP(noisy_relu, dt), _emit)(x, sigma, y, noise, z1, scalar,  \
                                                              logistic, done + t + RAND_HALF, LANES); \
                }                                                                               \
            } else { /* part of a group: each half in turn, z0 for the first, z1 for the second */ \
                for (h = 0; h < 2; h++) {                                                       \
                    const size_t start = lo > h * RAND_HALF ? lo : h * RAND_HALF;               \
                    const size_t end = hi < (h + 1) * RAND_HALF ? hi : (h + 1) * RAND_HALF;     \
                    for (t = start; t < end; t += LANES) {                                      \
                        VT(rand_normal_pair)(words + t - h * RAND_HALF, &z0, &z1);              \
                        RECT_CAT(RECT_STEP(noisy_relu, dt), _emit)(x, sigma, y, noise, h ? z1 : z0, \
                                                                  scalar, logistic, done + t - lo, \
                                                                  end - t < LANES ? end - t : LANES); \
                    }                                                                           \
                }                                                                               \
            }                                                                                   \
        });                                                                                     \
    }

