/* The x86-64 AVX2+FMA+F16C path. Only this file is compiled for those instructions (the pragmas
 * below); dispatch.c checks the CPU before any of its kernels is called. */
#if defined(__x86_64__) || defined(_M_X64)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC target("avx2,fma,f16c")
#endif

#define RECT_ISA avx2
#include "shim_avx2.h"
#include "instantiate.h"

#if defined(__clang__)
#pragma clang attribute pop
#endif
#else
#include "table.h"
void rect_fill_table_avx2(rect_kernel_table *t) { (void)t; } /* not built here: never called */
#endif
