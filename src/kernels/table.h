/* Internal: the kernel table every CPU path fills, and the dispatch state. */
#ifndef RECT_TABLE_H
#define RECT_TABLE_H

#include "rectifier/rectifier.h"

#define RECT_CAT_(a, b) a##b
#define RECT_CAT(a, b) RECT_CAT_(a, b)

/* bfloat16 last: the other indices keep their values */
enum rect_dtype { RECT_F16, RECT_F32, RECT_F64, RECT_BF16, RECT_NDTYPES };

#define RECT_ENUM_ENTRY(op) RECT_OP_##op,
enum rect_unary_op { RECT_UNARY_OPS(RECT_ENUM_ENTRY) RECT_N_UNARY };
enum rect_grad_op { RECT_GRAD_OPS(RECT_ENUM_ENTRY) RECT_N_GRAD };
enum rect_random_op { RECT_RANDOM_OPS(RECT_ENUM_ENTRY) RECT_N_RANDOM };
/* the gated units act(a) * b (src/kernels/ops_gated.h) */
#define RECT_GATED_ENTRY(op) RECT_GATED_##op,
enum rect_gated_op { RECT_GATED_OPS(RECT_GATED_ENTRY) RECT_N_GATED };
#undef RECT_GATED_ENTRY
#undef RECT_ENUM_ENTRY

/* Type-erased kernel signatures (the pointers are rect_f16/float/double/rect_bf16 by dtype). */
typedef void (*rect_unary_fn)(size_t n, const void *x, void *y, const rect_params *p);
typedef void (*rect_grad_fn)(size_t n, const void *x, const void *grad, void *y,
                             const rect_params *p);
typedef void (*rect_prelu_fn)(size_t n, const void *x, const void *w, void *y);
typedef void (*rect_count_fn)(size_t n, const void *x, void *counts);
/* the randomized rectifiers: sigma (compute type, one per element) is noisy_relu's and may be
 * NULL; noise may be NULL; first is the logical index of element 0 (rectifier.h) */
typedef void (*rect_random_fn)(size_t n, const void *x, const void *sigma, void *y, void *noise,
                               const rect_params *p, uint64_t key, uint64_t first);
typedef void (*rect_philox_fn)(size_t n_groups, uint64_t first_group, uint32_t c2, uint32_t c3,
                               uint64_t key, uint32_t *out);
typedef void (*rect_prelu_grad_fn)(size_t n, const void *x, const void *w, const void *grad,
                                   void *grad_x, void *grad_w);

/* grad_a = grad * b * act'(a), grad_b = grad * act(a) (grad NULL means ones) */
typedef void (*rect_gated_grad_fn)(size_t n, const void *a, const void *b, const void *grad,
                                   void *grad_a, void *grad_b, const rect_params *p);

/* Reductions (src/kernels/reduce.h): one kernel per dtype, the op an argument */
typedef void (*rect_reduce_fn)(int op, size_t outer, size_t n, size_t inner, const void *x,
                               const void *grad, void *y, const rect_params *p);

typedef struct rect_kernel_table {
    rect_unary_fn unary[RECT_N_UNARY][RECT_NDTYPES];
    rect_grad_fn grad[RECT_N_GRAD][RECT_NDTYPES];
    rect_prelu_fn prelu[RECT_NDTYPES];
    rect_prelu_grad_fn prelu_grad[RECT_NDTYPES];
    /* the building blocks of src/fused.c: y = x + bias, one bias per element in the compute type
     * (the prelu signature); y = op(x + bias) in one kernel (the grad signature, bias in the
     * compute type; NULL where src/fused.c combines bias_add and the op's kernel instead);
     * counts[i] += x[i] > 0 with counts in the compute type */
    rect_prelu_fn bias_add[RECT_NDTYPES];
    rect_grad_fn bias_unary[RECT_N_UNARY][RECT_NDTYPES];
    rect_count_fn count_positive[RECT_NDTYPES];
    rect_random_fn random[RECT_N_RANDOM][RECT_NDTYPES];
    rect_philox_fn philox_groups;
    rect_reduce_fn reduce[RECT_NDTYPES];
    /* y = act(a) * b: the grad signature, a in place of x, b in place of grad */
    rect_grad_fn gated[RECT_N_GATED][RECT_NDTYPES];
    rect_gated_grad_fn gated_grad[RECT_N_GATED][RECT_NDTYPES];
} rect_kernel_table;

/* The active kernels. Filled by rect_init() (the Python module calls it at import) and refilled by
 * rect_set_capabilities(); read by every entry point. */
extern rect_kernel_table rect_kernels;

/* Detects the CPU and fills rect_kernels from the best path. Idempotent. */
void rect_init(void);

/* One per path of RECT_CPU_PATHS (rectifier/capabilities.h), each defined by the path's
 * translation unit src/kernels/<name>.c (as an empty stub where the path is not built). */
#define RECT_DECLARE_FILL(name, bit, precedence, arch, ecx1, ebx7, xcr0)                          \
    void rect_fill_table_##name(rect_kernel_table *t);
RECT_CPU_PATHS(RECT_DECLARE_FILL)
#undef RECT_DECLARE_FILL

#endif
