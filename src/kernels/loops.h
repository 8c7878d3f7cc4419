/* The kernel loops, written once: each maps an op of ops.h over n contiguous elements.
 *
 * Included by instantiate.h once per element type after ops.h. A kernel takes the storage type T
 * (native, or rect_f16 for float16 computed in float32) and its load/store shim operations; full
 * vectors first, then one partial vector, so element i gets the same bits whatever n is, and no
 * byte outside [0, n) is read or written. */

#define RECT_KNAME(op, dt) RECT_CAT(RECT_CAT(RECT_CAT(k_, op), RECT_CAT(_, dt)), RECT_CAT(_, RECT_ISA))

/* y = op(x) */
#define RECT_DEFINE_UNARY(op, dt, T, LOAD, STORE)                                                 \
    static void RECT_KNAME(op, dt)(size_t n, const void *xv, void *yv, const rect_params *rp) {  \
        const T *x = (const T *)xv;                                                             \
        T *y = (T *)yv;                                                                         \
        const P p = VT(params)(rp);                                                             \
        size_t i = 0;                                                                           \
        for (; i + LANES <= n; i += LANES) STORE(y + i, OPF(op)(LOAD(x + i), &p));             \
        if (i < n) STORE##_part(y + i, OPF(op)(LOAD##_part(x + i, n - i), &p), n - i);         \
    }

/* y = grad * op'(x); grad NULL means ones */
#define RECT_DEFINE_GRAD(op, dt, T, LOAD, STORE)                                                  \
    static void RECT_KNAME(op, dt)(size_t n, const void *xv, const void *gv, void *yv,           \
                                   const rect_params *rp) {                                     \
        const T *x = (const T *)xv, *g = (const T *)gv;                                         \
        T *y = (T *)yv;                                                                         \
        const P p = VT(params)(rp);                                                             \
        V ones = VT(one)(), xi;                                                                 \
        size_t i = 0;                                                                           \
        for (; i + LANES <= n; i += LANES) {                                                    \
            xi = LOAD(x + i);                                                                   \
            STORE(y + i, VT(chain)(xi, OPF(op)(xi, &p), g ? LOAD(g + i) : ones));               \
        }                                                                                       \
        if (i < n) {                                                                            \
            xi = LOAD##_part(x + i, n - i);                                                     \
            STORE##_part(y + i, VT(chain)(xi, OPF(op)(xi, &p), g ? LOAD##_part(g + i, n - i) : ones), \
                         n - i);                                                                \
        }                                                                                       \
    }

/* y = sloped(x, w): one slope per element, slopes stored in the compute type S */
#define RECT_DEFINE_PRELU(dt, T, LOAD, STORE)                                                     \
    static void RECT_KNAME(prelu, dt)(size_t n, const void *xv, const void *wv, void *yv) {      \
        const T *x = (const T *)xv;                                                             \
        const S *w = (const S *)wv;                                                             \
        T *y = (T *)yv;                                                                         \
        size_t i = 0;                                                                           \
        for (; i + LANES <= n; i += LANES) STORE(y + i, OPF(sloped)(LOAD(x + i), v_load(w + i))); \
        if (i < n)                                                                              \
            STORE##_part(y + i, OPF(sloped)(LOAD##_part(x + i, n - i), v_load_part(w + i, n - i)), \
                         n - i);                                                                \
    }

/* grad_x = grad * sloped'(x, w), grad_w = sloped_grad_slope(x, grad); grad NULL means ones */
#define RECT_DEFINE_PRELU_GRAD(dt, T, LOAD, STORE)                                                \
    static void RECT_KNAME(prelu_grad, dt)(size_t n, const void *xv, const void *wv,             \
                                           const void *gv, void *gxv, void *gwv) {              \
        const T *x = (const T *)xv, *g = (const T *)gv;                                         \
        const S *w = (const S *)wv;                                                             \
        T *gx = (T *)gxv;                                                                       \
        S *gw = (S *)gwv;                                                                       \
        V ones = VT(one)(), xi, gi;                                                             \
        size_t i = 0, r;                                                                        \
        for (; i + LANES <= n; i += LANES) {                                                    \
            xi = LOAD(x + i);                                                                   \
            gi = g ? LOAD(g + i) : ones;                                                        \
            STORE(gx + i, VT(chain)(xi, OPF(sloped_grad)(xi, v_load(w + i)), gi));              \
            v_store(gw + i, OPF(sloped_grad_slope)(xi, gi));                                    \
        }                                                                                       \
        if (i < n) {                                                                            \
            r = n - i;                                                                          \
            xi = LOAD##_part(x + i, r);                                                         \
            gi = g ? LOAD##_part(g + i, r) : ones;                                              \
            STORE##_part(gx + i, VT(chain)(xi, OPF(sloped_grad)(xi, v_load_part(w + i, r)), gi), r); \
            v_store_part(gw + i, OPF(sloped_grad_slope)(xi, gi), r);                            \
        }                                                                                       \
    }
