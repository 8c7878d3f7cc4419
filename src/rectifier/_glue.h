/* Small accessors the Cython layer uses to reach the kernel table (Cython cannot declare the
 * table's array dimensions without repeating them). */
#ifndef RECT_GLUE_H
#define RECT_GLUE_H
#include "kernels/table.h"
#include "ufunc_loops.h"
#include "fused.h"

static inline rect_unary_fn rect_unary_kernel(int op, int dtype) { return rect_kernels.unary[op][dtype]; }
static inline rect_grad_fn rect_grad_kernel(int op, int dtype) { return rect_kernels.grad[op][dtype]; }
static inline rect_prelu_fn rect_prelu_kernel(int dtype) { return rect_kernels.prelu[dtype]; }
static inline rect_prelu_grad_fn rect_prelu_grad_kernel(int dtype) { return rect_kernels.prelu_grad[dtype]; }
static inline rect_random_fn rect_random_kernel(int op, int dtype) { return rect_kernels.random[op][dtype]; }
static inline rect_philox_fn rect_philox_kernel(void) { return rect_kernels.philox_groups; }
static inline rect_reduce_fn rect_reduce_kernel(int dtype) { return rect_kernels.reduce[dtype]; }
#endif
