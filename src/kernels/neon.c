/* The AArch64 Advanced SIMD path (always present on AArch64, so no target flags are needed). */
#if defined(__aarch64__) || defined(_M_ARM64)
#define RECT_ISA neon
#include "shim_neon.h"
#include "instantiate.h"
#else
typedef int rect_neon_not_built; /* an ISO C translation unit may not be empty */
#endif
