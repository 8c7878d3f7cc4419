/* rectifier: public C API.
 *
 * Every function works on contiguous arrays of n elements and may run in place (y == x). The
 * dispatched entry points rect_<op>_<dtype> call the kernel of the active CPU path (see
 * capabilities.h). float16 and bfloat16 data are passed as uint16_t bit patterns and are computed in
 * float32 (the result rounded once to nearest even).
 *
 * Parameters travel in rect_params; the meaning of each field per operation:
 *   relu, relu6                 -
 *   hardtanh, hardtanh_grad     a = min_val, b = max_val
 *   threshold                   a = threshold, b = value
 *   threshold_grad              a = threshold
 *   leaky_relu, leaky_relu_grad a = negative_slope
 *   relu_grad                   a = at_zero (derivative at exactly 0)
 *   elu, celu (and _grad)       a = alpha
 *   softplus (and _grad)        a = beta, b = threshold (+inf for none)
 *   the other smooth functions  -
 *   rrelu_grad                  - (x is the noise of rrelu: the result is grad * noise)
 *   rrelu                       a = lower, b = upper
 *   noisy_relu                  a = sigma (when the sigma array is NULL), b = 1 for sigma="sigmoid"
 * Gradient kernels compute grad * f'(x), or f'(x) when grad is NULL; where f'(x) is 0 the result
 * is +0 whatever grad holds, and a NaN x gives NaN.
 */
#ifndef RECTIFIER_RECTIFIER_H
#define RECTIFIER_RECTIFIER_H

#include <stddef.h>
#include <stdint.h>
#include "capabilities.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rect_params {
    double a, b, c, d;
} rect_params;

typedef uint16_t rect_f16; /* IEEE binary16 bits */
typedef uint16_t rect_bf16; /* bfloat16 bits: the top half of a float32 */

/* The X-macro lists (RECT_EXACT_UNARY_OPS, RECT_SMOOTH_GRAD_OPS, RECT_UNARY_OPS, RECT_RANDOM_OPS,
 * ...): each operation named once; enums, kernel tables and entry points are generated from them.
 * The exact family is exact in every dtype; the smooth family is computed in float64 (float32 in
 * float64 sized for a float32 result, src/kernels/ops_smooth_wide.h); the randomized rectifiers
 * draw their variates in src/kernels/random.h. */
#include "operations.h"

#define RECT_DTYPES(X) X(f16, rect_f16, float) X(f32, float, float) X(f64, double, double) \
    X(bf16, rect_bf16, float)

/* y = f(x) */
#define RECT_DECLARE_UNARY(op)                                                                 \
    void rect_##op##_f16(size_t n, const rect_f16 *x, rect_f16 *y, const rect_params *p);     \
    void rect_##op##_bf16(size_t n, const rect_bf16 *x, rect_bf16 *y, const rect_params *p);  \
    void rect_##op##_f32(size_t n, const float *x, float *y, const rect_params *p);           \
    void rect_##op##_f64(size_t n, const double *x, double *y, const rect_params *p);
/* y = grad * f'(x) */
#define RECT_DECLARE_GRAD(op)                                                                  \
    void rect_##op##_f16(size_t n, const rect_f16 *x, const rect_f16 *grad, rect_f16 *y,      \
                         const rect_params *p);                                               \
    void rect_##op##_bf16(size_t n, const rect_bf16 *x, const rect_bf16 *grad, rect_bf16 *y,  \
                          const rect_params *p);                                              \
    void rect_##op##_f32(size_t n, const float *x, const float *grad, float *y,               \
                         const rect_params *p);                                               \
    void rect_##op##_f64(size_t n, const double *x, const double *grad, double *y,            \
                         const rect_params *p);
RECT_UNARY_OPS(RECT_DECLARE_UNARY)
RECT_GRAD_OPS(RECT_DECLARE_GRAD)

/* PReLU with one slope per element: y = x > 0 ? x : w * x. For float16 data the slopes are
 * float32 (parameters are always in the compute type). */
void rect_prelu_f16(size_t n, const rect_f16 *x, const float *w, rect_f16 *y);
void rect_prelu_bf16(size_t n, const rect_bf16 *x, const float *w, rect_bf16 *y);
void rect_prelu_f32(size_t n, const float *x, const float *w, float *y);
void rect_prelu_f64(size_t n, const double *x, const double *w, double *y);

/* PReLU derivative: grad_x = grad * (x > 0 ? 1 : w), grad_w = x > 0 ? 0 : grad * x (per element,
 * to be summed over the elements that share a weight). grad may be NULL (ones). */
void rect_prelu_grad_f16(size_t n, const rect_f16 *x, const float *w, const rect_f16 *grad,
                         rect_f16 *grad_x, float *grad_w);
void rect_prelu_grad_bf16(size_t n, const rect_bf16 *x, const float *w, const rect_bf16 *grad,
                          rect_bf16 *grad_x, float *grad_w);
void rect_prelu_grad_f32(size_t n, const float *x, const float *w, const float *grad,
                         float *grad_x, float *grad_w);
void rect_prelu_grad_f64(size_t n, const double *x, const double *w, const double *grad,
                         double *grad_x, double *grad_w);

/* The randomized rectifiers: y (and, where noise is not NULL, the noise: rrelu's multiplier,
 * noisy_relu's added value) for the n elements whose logical indices are first .. first + n - 1,
 * drawn from Philox4x32-10 keyed by `key`. Element i's variates depend on key, i and the
 * parameters only: a call over [0, n) and calls over any split of it at any `first` give the same
 * bits, on every CPU path. sigma: noisy_relu's per-element standard deviations in the compute
 * type (NULL: p->a, or sqrt(logistic(x)) where p->b == 1); rrelu takes NULL. y may be x. */
#define RECT_DECLARE_RANDOM(op)                                                                 \
    void rect_##op##_f16(size_t n, const rect_f16 *x, const float *sigma, rect_f16 *y,         \
                         rect_f16 *noise, const rect_params *p, uint64_t key, uint64_t first); \
    void rect_##op##_bf16(size_t n, const rect_bf16 *x, const float *sigma, rect_bf16 *y,      \
                          rect_bf16 *noise, const rect_params *p, uint64_t key, uint64_t first); \
    void rect_##op##_f32(size_t n, const float *x, const float *sigma, float *y, float *noise,  \
                         const rect_params *p, uint64_t key, uint64_t first);                  \
    void rect_##op##_f64(size_t n, const double *x, const double *sigma, double *y,            \
                         double *noise, const rect_params *p, uint64_t key, uint64_t first);
RECT_RANDOM_OPS(RECT_DECLARE_RANDOM)

/* The generator itself: n_groups groups of 32 words from group first_group on, where word t of
 * group g is word t / 8 of Philox4x32-10(counter = (c, c >> 32, c2, c3), key) for c = 8 g + t % 8
 * (the key's low 32 bits are its first word). */
void rect_philox4x32_10_groups(size_t n_groups, uint64_t first_group, uint32_t c2, uint32_t c3,
                               uint64_t key, uint32_t *out);
/* Reductions and their gradients over C-ordered data of shape (outer, n, inner), reducing over n
 * (inner == 1: each slice contiguous; inner > 1: slices interleaved, as axis 0 of a matrix).
 * op, and what x, grad and y hold:
 *   RECT_RED_logsumexp       x the data; y the outer * inner results (grad unused)
 *   RECT_RED_softmax         x the data; y like x
 *   RECT_RED_log_softmax     x the data; y like x
 *   RECT_RED_logsumexp_grad  x the data; grad outer * inner values; y = grad * softmax(x), like x
 *   RECT_RED_softmax_grad    x the forward output; grad like x; y like x
 *   RECT_RED_log_softmax_grad  x the forward output; grad like x; y like x
 * p->a != 0: include the implicit zero logit (logsumexp, softmax, log_softmax, logsumexp_grad).
 * y may be x itself (or grad itself); other overlaps are not allowed. */
#define RECT_REDUCE_OPS(X) \
    X(logsumexp) X(softmax) X(log_softmax) X(logsumexp_grad) X(softmax_grad) X(log_softmax_grad)
#define RECT_RED_ENUM_ENTRY(op) RECT_RED_##op,
enum rect_reduce_op { RECT_REDUCE_OPS(RECT_RED_ENUM_ENTRY) RECT_N_REDUCE };
#undef RECT_RED_ENUM_ENTRY
void rect_reduce_f16(int op, size_t outer, size_t n, size_t inner, const rect_f16 *x,
                     const rect_f16 *grad, rect_f16 *y, const rect_params *p);
void rect_reduce_bf16(int op, size_t outer, size_t n, size_t inner, const rect_bf16 *x,
                      const rect_bf16 *grad, rect_bf16 *y, const rect_params *p);
void rect_reduce_f32(int op, size_t outer, size_t n, size_t inner, const float *x,
                     const float *grad, float *y, const rect_params *p);
void rect_reduce_f64(int op, size_t outer, size_t n, size_t inner, const double *x,
                     const double *grad, double *y, const rect_params *p);

/* float16 <-> float32, round to nearest even, NaN kept quiet with its payload's top bits. */
float rect_f16_to_f32(rect_f16 h);
rect_f16 rect_f32_to_f16(float f);
/* bfloat16 <-> float32, round to nearest even on the bits (subnormals kept), NaN kept quiet. */
float rect_bf16_to_f32(rect_bf16 h);
rect_bf16 rect_f32_to_bf16(float f);

#ifdef __cplusplus
}
#endif
#endif
