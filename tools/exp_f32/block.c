/* vm32_exp over a block of floats on one CPU path: compiled once per path by tools/check_exp_f32.sh
 * with -DCHECK_ISA=scalar|avx2|neon. */
#include <stddef.h>
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#if CHECK_ISA_AVX2
#include "../../src/kernels/shim_avx2.h"
#elif CHECK_ISA_NEON
#include "../../src/kernels/shim_neon.h"
#else
#include "../../src/kernels/shim_scalar.h"
#endif
#include "../../src/kernels/vmath_f32.h"

void CAT(exp_block_, CHECK_ISA)(const float *x, float *y, size_t n) {
    size_t i = 0;
    for (; i + f32_LANES <= n; i += f32_LANES) f32_store(y + i, vm32_exp(f32_load(x + i)));
    if (i < n) f32_store_part(y + i, vm32_exp(f32_load_part(x + i, n - i)), n - i);
}
