/* The fused dense-layer epilogue and the dying-ReLU counts, over the active CPU path's
 * kernels. Internal: the Python layer and the test driver call these. */
#ifndef RECT_FUSED_H
#define RECT_FUSED_H

#include <stdint.h>
#include "kernels/table.h"

/* y = act(x + bias[c]) for x and y viewed as C-ordered arrays of shape (outer, channels, inner),
 * c the index along the middle axis. bias: `channels` values in the compute type (float32 for
 * float16 data). act: the unary kernel `op` (enum rect_unary_op) with parameters p, or none for
 * op < 0. y may be x (in place); no other overlap. One pass over memory: each block of at most
 * RECT_FUSED_BLOCK elements gets its bias, then the activation while it is still in L1, so the
 * result is bit for bit act(x + bias) of two separate kernel calls. Returns 0, or -1 (nothing
 * written) when the memory for the tiled bias cannot be had. */
int rect_bias_act(int dtype, int op, size_t outer, size_t channels, size_t inner, const void *x,
                  const void *bias, void *y, const rect_params *p);

/* counts[o * inner + i] = the number of k < len with x[(o * len + k) * inner + i] > 0 (NaN is not
 * > 0), x C-ordered (outer, len, inner): one pass, no copy of x. Returns 0, or -1 (nothing
 * written) when the counters cannot be allocated. */
int rect_count_positive(int dtype, size_t outer, size_t len, size_t inner, const void *x,
                        uint64_t *counts);

#endif
