/* The one NumPy ufunc inner loop behind every rectifier ufunc: any strides, any broadcasting of
 * parameters, the same kernels (and so the same bits) as the contiguous fast path. */
#ifndef RECT_UFUNC_LOOPS_H
#define RECT_UFUNC_LOOPS_H

#include <stdint.h>

/* The operand layout of each kernel kind, in ufunc argument order:
 *   UNARY       x, params..., y
 *   GRAD        x, grad, params..., y
 *   PRELU       x, w, y                      (w in the compute type: float32 for float16 data)
 *   PRELU_GRAD  x, w, grad, grad_x, grad_w   (w, grad_w in the compute type) */
enum rect_kernel_kind { RECT_KIND_UNARY, RECT_KIND_GRAD, RECT_KIND_PRELU, RECT_KIND_PRELU_GRAD };

typedef struct rect_loop_desc {
    int kind;    /* rect_kernel_kind */
    int op;      /* rect_unary_op or rect_grad_op; unused for PRELU kinds */
    int dtype;   /* rect_dtype of x */
    int nparams; /* scalar parameters, stored in the compute type, mapped to rect_params a, b, ... */
} rect_loop_desc;

/* Matches NumPy's PyUFuncGenericFunction; `data` is a rect_loop_desc. */
void rect_ufunc_loop(char **args, const intptr_t *dimensions, const intptr_t *steps, void *data);

#endif
