/* Turns ops.h into the kernels of one CPU path and the function that puts them in the table.
 *
 * An ISA's .c file defines RECT_ISA (scalar, avx2, neon), includes its shim, then this file. */
#include "table.h"
#include "f16_soft.h"

#define VT(name) RECT_CAT(VPFX, RECT_CAT(_, name))
#define OPF(name) VT(RECT_CAT(op_, name))
#define V VT(v)
#define M VT(m)
#define LANES RECT_CAT(VPFX, _LANES)
#define v_load VT(load)
#define v_store VT(store)
#define v_load_part VT(load_part)
#define v_store_part VT(store_part)
#define v_set1 VT(set1)
#define v_zero VT(zero)
#define v_add VT(add)
#define v_sub VT(sub)
#define v_mul VT(mul)
#define v_lt VT(lt)
#define v_le VT(le)
#define v_gt VT(gt)
#define v_ge VT(ge)
#define v_eq VT(eq)
#define v_isnan VT(isnan)
#define v_and VT(and)
#define v_select VT(select)
#define v_clear VT(clear)
#define v_keep VT(keep)
#define v_div VT(div)
#define v_abs VT(abs)
#define v_or VT(or)
#define v_pow2i VT(pow2i)
#define P VT(params_t)
#include "philox.h"

/* leaky_relu with a zero slope is relu (so -inf gives +0, not 0 * -inf = NaN). That is decided once
 * per call, here, which keeps the zero test out of the loop of ops.h's leaky_relu. */
#define RECT_LEAKY_ROUTED(dt) RECT_CAT(RECT_KNAME(leaky_relu, dt), _routed)
#define RECT_DEFINE_LEAKY_ROUTE(dt)                                                               \
    static void RECT_LEAKY_ROUTED(dt)(size_t n, const void *x, void *y, const rect_params *rp) { \
        if ((S)rp->a == 0)                                                                      \
            RECT_KNAME(relu, dt)(n, x, y, rp);                                                  \
        else                                                                                    \
            RECT_KNAME(leaky_relu, dt)(n, x, y, rp);                                            \
    }

/* The same choice for bias_act's fused leaky_relu (see RECT_DEFINE_BIAS_UNARY in loops.h). */
#define RECT_BIAS_LEAKY_ROUTED(dt) RECT_CAT(RECT_KNAME(bias_leaky_relu, dt), _routed)
#define RECT_DEFINE_BIAS_LEAKY_ROUTE(dt)                                                          \
    static void RECT_BIAS_LEAKY_ROUTED(dt)(size_t n, const void *x, const void *b, void *y,      \
                                           const rect_params *rp) {                             \
        if ((S)rp->a == 0)                                                                      \
            RECT_KNAME(bias_relu, dt)(n, x, b, y, rp);                                          \
        else                                                                                    \
            RECT_KNAME(bias_leaky_relu, dt)(n, x, b, y, rp);                                    \
    }

/* ---- float32, and float16 stored / float32 computed ---- */
#define VPFX f32
#define S float
#include "ops.h"
#include "vmath_f32.h"
#include "loops.h"
#define RECT_NATIVE_AND_HALF_UNARY(op)                                                            \
    RECT_DEFINE_UNARY(op, f32, float, v_load, v_store)                                          \
    RECT_DEFINE_UNARY(op, f16, rect_f16, f32_load_f16, f32_store_f16) \
    RECT_DEFINE_UNARY(op, bf16, rect_bf16, f32_load_bf16, f32_store_bf16)
#define RECT_NATIVE_AND_HALF_GRAD(op)                                                             \
    RECT_DEFINE_GRAD(op, f32, float, v_load, v_store)                                           \
    RECT_DEFINE_GRAD(op, f16, rect_f16, f32_load_f16, f32_store_f16) \
    RECT_DEFINE_GRAD(op, bf16, rect_bf16, f32_load_bf16, f32_store_bf16)
RECT_EXACT_UNARY_OPS(RECT_NATIVE_AND_HALF_UNARY)
RECT_EXACT_GRAD_OPS(RECT_NATIVE_AND_HALF_GRAD)
RECT_DEFINE_LEAKY_ROUTE(f32)
RECT_DEFINE_LEAKY_ROUTE(f16)
RECT_DEFINE_LEAKY_ROUTE(bf16)
RECT_DEFINE_PRELU(f32, float, v_load, v_store)
RECT_DEFINE_PRELU(f16, rect_f16, f32_load_f16, f32_store_f16)
RECT_DEFINE_PRELU(bf16, rect_bf16, f32_load_bf16, f32_store_bf16)
RECT_DEFINE_PRELU_GRAD(f32, float, v_load, v_store)
RECT_DEFINE_PRELU_GRAD(f16, rect_f16, f32_load_f16, f32_store_f16)
RECT_DEFINE_PRELU_GRAD(bf16, rect_bf16, f32_load_bf16, f32_store_bf16)
/* the reductions: float32 natively (e stored between passes), float16 computed in float32 */
#define RED_F32 1
#include "reduce.h"
RECT_DEFINE_REDUCE(f32, float, v_load, v_store, 1, -INFINITY)
RECT_DEFINE_REDUCE(f16, rect_f16, f32_load_f16, f32_store_f16, 0, (rect_f16)0xFC00)
RECT_DEFINE_REDUCE(bf16, rect_bf16, f32_load_bf16, f32_store_bf16, 0, (rect_bf16)0xFF80)
#undef RED_F32
RECT_DEFINE_PER_ELEMENT(bias_add, add, f32, float, v_load, v_store)
RECT_DEFINE_PER_ELEMENT(bias_add, add, f16, rect_f16, f32_load_f16, f32_store_f16)
RECT_DEFINE_PER_ELEMENT(bias_add, add, bf16, rect_bf16, f32_load_bf16, f32_store_bf16)
#define RECT_BIAS_F32(op) RECT_DEFINE_BIAS_UNARY(op, f32, float)
RECT_EXACT_UNARY_OPS(RECT_BIAS_F32)
RECT_DEFINE_BIAS_LEAKY_ROUTE(f32)
RECT_DEFINE_COUNT_POSITIVE(f32, float, v_load)
RECT_DEFINE_COUNT_POSITIVE(f16, rect_f16, f32_load_f16)
RECT_DEFINE_COUNT_POSITIVE(bf16, rect_bf16, f32_load_bf16)
#undef S
#undef VPFX

/* ---- which smooth ops the float32 and float16 kernels run: every op of RECT_SMOOTH_UNARY_OPS is
 * in exactly one list (the table at the end fails to compile for an op in neither, the kernels
 * for an op in both). Computed in float64 by a variant sized for float32 results
 * (ops_smooth_wide.h) and rounded once: */
#define RECT_F32_WIDE_LITE_SMOOTH_OPS(X) X(gelu_tanh) X(softplus) X(log_sigmoid) X(mish)
/* ... natively in float32 (ops_smooth_f32.h): */
#define RECT_F32_NATIVE_SMOOTH_OPS(X) X(elu) X(celu) X(sigmoid) X(silu) X(tanh) X(hardsigmoid) X(hardswish) \
    X(gelu) X(selu) X(tanhshrink)
/* The derivatives, likewise (every op of RECT_SMOOTH_GRAD_OPS in one list): */
#define RECT_F32_WIDE_LITE_GRAD_OPS(X) X(tanh_grad) X(elu_grad) X(celu_grad) \
    X(selu_grad) X(softplus_grad) X(log_sigmoid_grad) X(mish_grad) X(gelu_tanh_grad) X(tanhshrink_grad)
#define RECT_F32_NATIVE_GRAD_OPS(X) X(hardsigmoid_grad) X(hardswish_grad)
/* ... natively, the derivative returned with a separate power of two (RECT_DEFINE_GRAD_SCALED_FN): */
#define RECT_F32_NATIVE_SCALED_GRAD_OPS(X) X(gelu_grad)
/* ... natively as a pair times a power of two, rounded once with the gradient (RECT_DEFINE_GRAD_PAIR_FN;
 * bfloat16 data through the float64 route, which rounds to bfloat16 once): */
#define RECT_F32_NATIVE_PAIR_GRAD_OPS(X) X(sigmoid_grad) X(silu_grad)

/* ---- float64: every op, the smooth ones through the vector math ---- */
#define VPFX f64
#define S double
#include "ops.h"
#include "vmath.h"
#include "ops_smooth.h"
#include "ops_smooth_wide.h"
#include "ops_algebraic.h"
#define RECT_NATIVE_UNARY(op) RECT_DEFINE_UNARY(op, f64, double, v_load, v_store)
#define RECT_NATIVE_PINNED(op) RECT_DEFINE_UNARY_FN(op, RECT_CAT(op, _pinned), f64, double, v_load, v_store)
#define RECT_NATIVE_GRAD(op) RECT_DEFINE_GRAD(op, f64, double, v_load, v_store)
RECT_EXACT_UNARY_OPS(RECT_NATIVE_UNARY)
RECT_SMOOTH_UNARY_OPS(RECT_NATIVE_PINNED)
RECT_ALGEBRAIC_UNARY_OPS(RECT_NATIVE_PINNED)
RECT_GRAD_OPS(RECT_NATIVE_GRAD)
RECT_DEFINE_LEAKY_ROUTE(f64)
RECT_DEFINE_PRELU(f64, double, v_load, v_store)
RECT_DEFINE_PRELU_GRAD(f64, double, v_load, v_store)
RECT_DEFINE_PER_ELEMENT(bias_add, add, f64, double, v_load, v_store)
#define RECT_BIAS_F64(op) RECT_DEFINE_BIAS_UNARY(op, f64, double)
RECT_EXACT_UNARY_OPS(RECT_BIAS_F64)
RECT_DEFINE_BIAS_LEAKY_ROUTE(f64)
RECT_DEFINE_COUNT_POSITIVE(f64, double, v_load)
/* the randomized rectifiers (random.h) */
#define RECT_RANDOM_DOUBLE 1
#define RECT_RANDOM_LOGISTIC_STD(x) f64_sqrt(vm_sigmoid(x))
#include "random.h"
RECT_DEFINE_RRELU(f64, double, v_load, v_store)
RECT_DEFINE_NOISY_RELU(f64, double, v_load, v_store)
#undef RECT_RANDOM_LOGISTIC_STD
#undef RECT_RANDOM_DOUBLE
#define RED_F32 0
#include "reduce.h"
RECT_DEFINE_REDUCE(f64, double, v_load, v_store, 1, -INFINITY)
#undef RED_F32
#undef S
#undef VPFX

/* ---- the smooth ops for float32 and float16 storage (the lists above) ---- */
#define VPFX f32
#define S float
#include "ops_smooth_f32.h"
/* bfloat16 data: silu, hardswish and gelu (both forms) are x/2 + c x^2 with c > 0 near 0. Where
 * x/2 is subnormal (|x| < 2^-125) and x's significand odd, x/2 is a bfloat16 midpoint, which the
 * float32 (or float64) value is exactly, while the truth lies just above it: the result there is
 * x/2 + 2^-149, which rounds to bfloat16 the right way (and where x/2 is a bfloat16, to x/2). RECT_BF16_FN(op, fn) names
 * the op's bfloat16 variant where it has one (the RECT_BF16_VARIANT_ rows), else fn. */
#define RECT_SECOND_(a, b, ...) b
#define RECT_SECOND(...) RECT_SECOND_(__VA_ARGS__)
#define RECT_BF16_FN(op, fn) RECT_SECOND(RECT_CAT(RECT_BF16_VARIANT_, op), fn, ~)
#define RECT_BF16_VARIANT_silu ~, silu_bf16
#define RECT_BF16_VARIANT_hardswish ~, hardswish_bf16
#define RECT_BF16_VARIANT_gelu ~, gelu_bf16
#define RECT_BF16_VARIANT_gelu_tanh ~, gelu_tanh_bf16
#define RECT_HALF_AT_ZERO(T, x, y)                                                                \
    T##_select(T##_and(T##_gt(T##_abs(x), T##_zero()), T##_lt(T##_abs(x), T##_set1(0x1p-125f))),   \
               T##_add(T##_mul(x, T##_set1(0.5f)), T##_set1(0x1p-149f)), y)
static inline f32_v f32_op_silu_bf16(f32_v x, const f32_params_t *p) {
    return RECT_HALF_AT_ZERO(f32, x, f32_op_silu_native_pinned(x, p));
}
static inline f32_v f32_op_hardswish_bf16(f32_v x, const f32_params_t *p) {
    return RECT_HALF_AT_ZERO(f32, x, f32_op_hardswish_native_pinned(x, p));
}
static inline f32_v f32_op_gelu_bf16(f32_v x, const f32_params_t *p) {
    return RECT_HALF_AT_ZERO(f32, x, f32_op_gelu_native_pinned(x, p));
}
static inline f64_v f64_op_gelu_tanh_bf16_pinned(f64_v x, const f64_params_t *p) {
    return RECT_HALF_AT_ZERO(f64, x, f64_op_gelu_tanh_for_float32_pinned(x, p));
}
#define RECT_NATIVE32_UNARY(op)                                                                   \
    RECT_DEFINE_UNARY_FN(op, RECT_CAT(op, _native_pinned), f32, float, v_load, v_store)         \
    RECT_DEFINE_UNARY_FN(op, RECT_CAT(op, _native_pinned), f16, rect_f16, f32_load_f16, f32_store_f16) \
    RECT_DEFINE_UNARY_FN(op, RECT_BF16_FN(op, RECT_CAT(op, _native_pinned)), bf16, rect_bf16, f32_load_bf16, f32_store_bf16)
RECT_F32_NATIVE_SMOOTH_OPS(RECT_NATIVE32_UNARY)
#define RECT_NATIVE32_GRAD(op)                                                                    \
    RECT_DEFINE_GRAD_FN(op, RECT_CAT(op, _native), f32, float, v_load, v_store)                 \
    RECT_DEFINE_GRAD_FN(op, RECT_CAT(op, _native), f16, rect_f16, f32_load_f16, f32_store_f16) \
    RECT_DEFINE_GRAD_FN(op, RECT_CAT(op, _native), bf16, rect_bf16, f32_load_bf16, f32_store_bf16)
RECT_F32_NATIVE_GRAD_OPS(RECT_NATIVE32_GRAD)
#define RECT_NATIVE32_SCALED_GRAD(op)                                                             \
    RECT_DEFINE_GRAD_SCALED_FN(op, RECT_CAT(op, _native), f32, float, v_load, v_store)          \
    RECT_DEFINE_GRAD_SCALED_FN(op, RECT_CAT(op, _native), f16, rect_f16, f32_load_f16, f32_store_f16) \
    RECT_DEFINE_GRAD_SCALED_FN(op, RECT_CAT(op, _native), bf16, rect_bf16, f32_load_bf16, f32_store_bf16)
RECT_F32_NATIVE_SCALED_GRAD_OPS(RECT_NATIVE32_SCALED_GRAD)
#define RECT_NATIVE32_PAIR_GRAD(op)                                                               \
    RECT_DEFINE_GRAD_PAIR_FN(op, RECT_CAT(op, _native), RECT_CAT(op, _for_float32), f32, float, v_load, v_store) \
    RECT_DEFINE_GRAD_PAIR_FN(op, RECT_CAT(op, _native), RECT_CAT(op, _for_float32), f16, rect_f16, f32_load_f16, f32_store_f16) \
    RECT_DEFINE_WIDE_GRAD_BF16(op, RECT_CAT(op, _for_float32))
RECT_F32_NATIVE_PAIR_GRAD_OPS(RECT_NATIVE32_PAIR_GRAD)
#define RECT_WIDE_LITE_UNARY(op)                                                                  \
    RECT_DEFINE_WIDE_UNARY_FN(op, RECT_CAT(op, _for_float32), f32, float, v_load, v_store)      \
    RECT_DEFINE_WIDE_UNARY_FN(op, RECT_CAT(op, _for_float32), f16, rect_f16, f32_load_f16, f32_store_f16) \
    RECT_DEFINE_WIDE_UNARY_BF16(op, RECT_BF16_FN(op, RECT_CAT(op, _for_float32)))
RECT_F32_WIDE_LITE_SMOOTH_OPS(RECT_WIDE_LITE_UNARY)
#define RECT_WIDE_LITE_GRAD(op)                                                                   \
    RECT_DEFINE_WIDE_GRAD_FN(op, RECT_CAT(op, _for_float32), f32, float, v_load, v_store)       \
    RECT_DEFINE_WIDE_GRAD_FN(op, RECT_CAT(op, _for_float32), f16, rect_f16, f32_load_f16, f32_store_f16) \
    RECT_DEFINE_WIDE_GRAD_BF16(op, RECT_CAT(op, _for_float32))
RECT_F32_WIDE_LITE_GRAD_OPS(RECT_WIDE_LITE_GRAD)
/* The algebraic family (ops_algebraic.h) for float32 and float16 data: the float64 op with the
 * parameters rounded to float32 (the compute type, as the ufunc's float32 operands give them),
 * rounded once. The rounding goes through a volatile float: GCC 12 at -O2 under the AVX2 and
 * AVX-512 target pragmas dropped the plain (float) casts (the C driver of the NEON tests saw it). */
static inline void rect_params_to_float(const rect_params *rp, rect_params *q) {
    volatile float a = (float)rp->a, b = (float)rp->b, c = (float)rp->c, d = (float)rp->d;
    q->a = a, q->b = b, q->c = c, q->d = d;
}
#define RECT_F32_PARAMS(op, dt)                                                                   \
    static void RECT_KNAME(op, dt)(size_t n, const void *x, void *y, const rect_params *rp) {    \
        rect_params q;                                                                          \
        rect_params_to_float(rp, &q);                                                           \
        RECT_KNAME(op##_wide, dt)(n, x, y, &q);                                                 \
    }
#define RECT_F32_PARAMS_GRAD(op, dt)                                                              \
    static void RECT_KNAME(op, dt)(size_t n, const void *x, const void *g, void *y,             \
                                   const rect_params *rp) {                                     \
        rect_params q;                                                                          \
        rect_params_to_float(rp, &q);                                                           \
        RECT_KNAME(op##_wide, dt)(n, x, g, y, &q);                                              \
    }
#define RECT_ALGEBRAIC32_UNARY(op)                                                                \
    RECT_DEFINE_WIDE_UNARY_FN(op##_wide, op, f32, float, v_load, v_store)                       \
    RECT_DEFINE_WIDE_UNARY_FN(op##_wide, op, f16, rect_f16, f32_load_f16, f32_store_f16)        \
    RECT_DEFINE_WIDE_UNARY_BF16(op##_wide, op)                                                  \
    RECT_F32_PARAMS(op, f32) RECT_F32_PARAMS(op, f16) RECT_F32_PARAMS(op, bf16)
#define RECT_ALGEBRAIC32_GRAD(op)                                                                 \
    RECT_DEFINE_WIDE_GRAD_FN(op##_wide, op, f32, float, v_load, v_store)                        \
    RECT_DEFINE_WIDE_GRAD_FN(op##_wide, op, f16, rect_f16, f32_load_f16, f32_store_f16)         \
    RECT_DEFINE_WIDE_GRAD_BF16(op##_wide, op)                                                   \
    RECT_F32_PARAMS_GRAD(op, f32) RECT_F32_PARAMS_GRAD(op, f16) RECT_F32_PARAMS_GRAD(op, bf16)
RECT_ALGEBRAIC_UNARY_OPS(RECT_ALGEBRAIC32_UNARY)
RECT_ALGEBRAIC_GRAD_OPS(RECT_ALGEBRAIC32_GRAD)
/* the randomized rectifiers for float32 and float16 data, computed in float32; sigma="sigmoid"
 * takes sqrt(logistic(x)) in float64 (vmath.h), rounded once: no float32 underflow of the
 * variance before its square root */
static inline f64_v rect_random_logistic_std64(f64_v x, const void *unused) {
    (void)unused;
    return f64_sqrt(vm_sigmoid(x));
}
#define RECT_RANDOM_DOUBLE 0
#define RECT_RANDOM_LOGISTIC_STD(x) RECT_WIDE1(rect_random_logistic_std64, x, NULL)
#include "random.h"
RECT_DEFINE_RRELU(f32, float, v_load, v_store)
RECT_DEFINE_RRELU(f16, rect_f16, f32_load_f16, f32_store_f16)
RECT_DEFINE_RRELU(bf16, rect_bf16, f32_load_bf16, f32_store_bf16)
RECT_DEFINE_NOISY_RELU(f32, float, v_load, v_store)
RECT_DEFINE_NOISY_RELU(f16, rect_f16, f32_load_f16, f32_store_f16)
RECT_DEFINE_NOISY_RELU(bf16, rect_bf16, f32_load_bf16, f32_store_bf16)
#undef RECT_RANDOM_LOGISTIC_STD
#undef RECT_RANDOM_DOUBLE
#undef S
#undef VPFX

/* the gated units (act(a) * b and its gradients) */
#include "ops_gated.h"

/* Philox4x32-10 itself, for the known-answer tests: n_groups groups of 32 words (philox.h) */
static void RECT_CAT(philox_groups_, RECT_ISA)(size_t n_groups, uint64_t first_group, uint32_t c2,
                                               uint32_t c3, uint64_t key, uint32_t *out) {
    rect_philox_key ks;
    size_t g, count;
    rect_philox_schedule(key, &ks);
    for (g = 0; g < n_groups; g += count) {
        count = n_groups - g < RECT_GROUP_BATCH ? n_groups - g : RECT_GROUP_BATCH;
        rect_philox_run(first_group + g, count, c2, c3, &ks, out + RECT_GROUP_WORDS * g);
    }
}

void RECT_CAT(rect_fill_table_, RECT_ISA)(rect_kernel_table *t) {
#define RECT_FILL(kind, op)                                                                       \
    t->kind[RECT_OP_##op][RECT_F16] = RECT_KNAME(op, f16);                                      \
    t->kind[RECT_OP_##op][RECT_BF16] = RECT_KNAME(op, bf16);                                      \
    t->kind[RECT_OP_##op][RECT_F32] = RECT_KNAME(op, f32);                                      \
    t->kind[RECT_OP_##op][RECT_F64] = RECT_KNAME(op, f64);
#define RECT_FILL_UNARY(op) RECT_FILL(unary, op)
#define RECT_FILL_GRAD(op) RECT_FILL(grad, op)
    RECT_UNARY_OPS(RECT_FILL_UNARY)
    RECT_GRAD_OPS(RECT_FILL_GRAD)
    t->unary[RECT_OP_leaky_relu][RECT_F16] = RECT_LEAKY_ROUTED(f16);
    t->unary[RECT_OP_leaky_relu][RECT_BF16] = RECT_LEAKY_ROUTED(bf16);
    t->unary[RECT_OP_leaky_relu][RECT_F32] = RECT_LEAKY_ROUTED(f32);
    t->unary[RECT_OP_leaky_relu][RECT_F64] = RECT_LEAKY_ROUTED(f64);
    t->prelu[RECT_F16] = RECT_KNAME(prelu, f16);
    t->prelu[RECT_BF16] = RECT_KNAME(prelu, bf16);
    t->prelu[RECT_F32] = RECT_KNAME(prelu, f32);
    t->prelu[RECT_F64] = RECT_KNAME(prelu, f64);
    t->prelu_grad[RECT_F16] = RECT_KNAME(prelu_grad, f16);
    t->prelu_grad[RECT_BF16] = RECT_KNAME(prelu_grad, bf16);
    t->prelu_grad[RECT_F32] = RECT_KNAME(prelu_grad, f32);
    t->prelu_grad[RECT_F64] = RECT_KNAME(prelu_grad, f64);
#define RECT_FILL_EACH_DTYPE(field, name)                                                         \
    t->field[RECT_F16] = RECT_KNAME(name, f16);                                                 \
    t->field[RECT_BF16] = RECT_KNAME(name, bf16);                                                 \
    t->field[RECT_F32] = RECT_KNAME(name, f32);                                                 \
    t->field[RECT_F64] = RECT_KNAME(name, f64);
    RECT_FILL_EACH_DTYPE(bias_add, bias_add)
    RECT_FILL_EACH_DTYPE(count_positive, count_positive)
    /* bias_act's fused kernels: the exact ops on native storage; NULL elsewhere (src/fused.c
     * then runs bias_add and the op's own kernel block by block) */
#define RECT_NO_BIAS_KERNEL(op) t->bias_unary[RECT_OP_##op][RECT_F16] = t->bias_unary[RECT_OP_##op][RECT_BF16] = \
    t->bias_unary[RECT_OP_##op][RECT_F32] = \
    t->bias_unary[RECT_OP_##op][RECT_F64] = NULL;
#define RECT_FILL_BIAS(op)                                                                        \
    t->bias_unary[RECT_OP_##op][RECT_F32] = RECT_KNAME(bias_##op, f32);                        \
    t->bias_unary[RECT_OP_##op][RECT_F64] = RECT_KNAME(bias_##op, f64);
    RECT_UNARY_OPS(RECT_NO_BIAS_KERNEL)
    RECT_EXACT_UNARY_OPS(RECT_FILL_BIAS)
    t->bias_unary[RECT_OP_leaky_relu][RECT_F32] = RECT_BIAS_LEAKY_ROUTED(f32);
    t->bias_unary[RECT_OP_leaky_relu][RECT_F64] = RECT_BIAS_LEAKY_ROUTED(f64);
#define RECT_FILL_RANDOM(op) RECT_FILL(random, op)
    RECT_RANDOM_OPS(RECT_FILL_RANDOM)
    t->philox_groups = RECT_CAT(philox_groups_, RECT_ISA);
    t->reduce[RECT_F16] = RECT_KNAME(reduce, f16);
    t->reduce[RECT_BF16] = RECT_KNAME(reduce, bf16);
    t->reduce[RECT_F32] = RECT_KNAME(reduce, f32);
    t->reduce[RECT_F64] = RECT_KNAME(reduce, f64);
#define RECT_FILL_GATED(op)                                                                       \
    RECT_FILL_EACH_DTYPE(gated[RECT_GATED_##op], op)                                            \
    RECT_FILL_EACH_DTYPE(gated_grad[RECT_GATED_##op], op##_grad)
    RECT_GATED_OPS(RECT_FILL_GATED)
}
