/* The gated units over rows of a split array: the halves a and b of each row are read in place
 * (no copy of either half), on the active CPU path's kernels, split over the thread pool for large
 * calls. Internal: the Python layer calls these. */
#ifndef RECT_GATED_H
#define RECT_GATED_H

#include "kernels/table.h"

/* The layout of one call: `rows` rows of n elements each. Row r of a starts at element r *
 * in_stride of a, of b likewise; row r of y (forward) or of grad_a and grad_b (gradient) at r *
 * out_stride; of grad at r * grad_stride. (x split along an axis: a = x, b = x + n, in_stride = 2n;
 * two separate arrays: rows = 1.) */
typedef struct rect_gated_rows {
    size_t rows, n, in_stride, out_stride, grad_stride;
} rect_gated_rows;

/* y = act(a) * b of unit `op` (enum rect_gated_op). y may be a (in place) only where the strides
 * agree; no other overlap. */
void rect_gated(int dtype, int op, const rect_gated_rows *shape, const void *a, const void *b,
                void *y, const rect_params *p);

/* grad_a = grad * b * act'(a), grad_b = grad * act(a); grad NULL means ones. */
void rect_gated_grad(int dtype, int op, const rect_gated_rows *shape, const void *a, const void *b,
                     const void *grad, void *grad_a, void *grad_b, const rect_params *p);

#endif
