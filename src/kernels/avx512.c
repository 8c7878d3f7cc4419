/* The x86-64 AVX-512 path (F, BW, DQ, VL; with AVX2, FMA and F16C). Only this file is compiled for
 * those instructions (the pragmas below); dispatch.c checks the CPU and the OS (the opmask and ZMM
 * state saved, XCR0) before any of its kernels is called. */
#if defined(__x86_64__) || defined(_M_X64)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c"))), apply_to = function)
#elif defined(__GNUC__)
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")
#endif

#define RECT_ISA avx512
#include "shim_avx512.h"
#include "instantiate.h"

#if defined(__clang__)
#pragma clang attribute pop
#endif
#else
#include "table.h"
void rect_fill_table_avx512(rect_kernel_table *t) { (void)t; } /* not built here: never called */
#endif
