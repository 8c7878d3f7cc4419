/* The AArch64 Advanced SIMD path (always present on AArch64, so no target flags are needed). */
#if defined(__aarch64__) || defined(_M_ARM64)
#define RECT_ISA neon
#include "shim_neon.h"
#include "instantiate.h"
#else
#include "table.h"
void rect_fill_table_neon(rect_kernel_table *t) { (void)t; } /* not built here: never called */
#endif
