/* The public entry points (rect_<op>_<dtype>) as type-erased functions call_<op>_<dtype>, one per
 * op and dtype, generated from the operation lists of rectifier.h. Shared by the test driver
 * (tests/c_driver/driver.c) and the fuzzer (tools/fuzz/fuzz_kernels.c), which call the kernels
 * through the public API the way a C user does. */
#ifndef RECT_TEST_ENTRY_POINTS_H
#define RECT_TEST_ENTRY_POINTS_H

#include "rectifier/rectifier.h"


#define WRAP_UNARY_DT(op, dt, T, C)                                                               \
    static void call_##op##_##dt(size_t n, const void *x, void *y, const rect_params *p) {       \
        rect_##op##_##dt(n, (const T *)x, (T *)y, p);                                            \
    }
#define WRAP_GRAD_DT(op, dt, T, C)                                                                \
    static void call_##op##_##dt(size_t n, const void *x, const void *g, void *y,                \
                                 const rect_params *p) {                                         \
        rect_##op##_##dt(n, (const T *)x, (const T *)g, (T *)y, p);                              \
    }
#define WRAP_PRELU_DT(dt, T, C)                                                                   \
    static void call_prelu_##dt(size_t n, const void *x, const void *w, void *y) {               \
        rect_prelu_##dt(n, (const T *)x, (const C *)w, (T *)y);                                  \
    }                                                                                           \
    static void call_prelu_grad_##dt(size_t n, const void *x, const void *w, const void *g,      \
                                     void *gx, void *gw) {                                       \
        rect_prelu_grad_##dt(n, (const T *)x, (const C *)w, (const T *)g, (T *)gx, (C *)gw);     \
    }

#define WRAP_UNARY(op) WRAP_UNARY_DT(op, f16, rect_f16, float) WRAP_UNARY_DT(op, f32, float, float) \
    WRAP_UNARY_DT(op, f64, double, double) WRAP_UNARY_DT(op, bf16, rect_bf16, float)
#define WRAP_GRAD(op) WRAP_GRAD_DT(op, f16, rect_f16, float) WRAP_GRAD_DT(op, f32, float, float)  \
    WRAP_GRAD_DT(op, f64, double, double) WRAP_GRAD_DT(op, bf16, rect_bf16, float)
#define WRAP_RANDOM_DT(op, dt, T, C)                                                              \
    static void call_##op##_##dt(size_t n, const void *x, const void *sigma, void *y, void *noise, \
                                 const rect_params *p, uint64_t key, uint64_t first) {           \
        rect_##op##_##dt(n, (const T *)x, (const C *)sigma, (T *)y, (T *)noise, p, key, first);  \
    }
#define WRAP_RANDOM(op) WRAP_RANDOM_DT(op, f16, rect_f16, float) WRAP_RANDOM_DT(op, f32, float, float) \
    WRAP_RANDOM_DT(op, f64, double, double) WRAP_RANDOM_DT(op, bf16, rect_bf16, float)
RECT_RANDOM_OPS(WRAP_RANDOM)
RECT_UNARY_OPS(WRAP_UNARY)
RECT_GRAD_OPS(WRAP_GRAD)
RECT_DTYPES(WRAP_PRELU_DT)

#endif
