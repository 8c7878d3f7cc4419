/* rectifier: which CPU paths exist, which this CPU can run, and which are enabled.
 *
 * A path is a set of kernels compiled for one instruction set. "scalar" is portable C and always
 * present; the others are listed in RECT_CPU_PATHS below, the one list of paths that the dispatch
 * code, the Python layer (capabilities(), set_capabilities, RECTIFIER_DISABLE), the tests and the
 * benchmarks all read. The dispatch table is filled once at import from the best enabled path.
 */
#ifndef RECTIFIER_CAPABILITIES_H
#define RECTIFIER_CAPABILITIES_H

#ifdef __cplusplus
extern "C" {
#endif

/* The CPU paths, one row each:
 *   X(name, bit, precedence, arch, cpuid_1_ecx, cpuid_7_ebx, xcr0)
 * name        the path's name, its kernels' suffix and its translation unit src/kernels/<name>.c,
 *             which defines rect_fill_table_<name>;
 * bit         its capability bit (RECT_CAP_<NAME> = 1 << bit);
 * precedence  among the enabled paths the highest runs;
 * arch        the architecture it is built for: RECT_ARCH_ANY, RECT_ARCH_X86_64, RECT_ARCH_AARCH64;
 * cpuid_1_ecx, cpuid_7_ebx
 *             x86-64: the feature bits CPUID leaf 1 (ECX) and leaf 7 subleaf 0 (EBX) must report;
 * xcr0        x86-64: the register state the OS must save (XGETBV 0; OSXSAVE is then required too).
 * On AArch64 a path is detected when built (Advanced SIMD is mandatory there). */
#define RECT_CPU_PATHS(X)                                                                         \
    X(scalar, 0, 0, RECT_ARCH_ANY, 0, 0, 0)                                                      \
    X(avx2, 1, 1, RECT_ARCH_X86_64, RECT_CPUID1_AVX2_PATH, RECT_CPUID7_AVX2, RECT_XCR0_AVX)      \
    X(neon, 2, 1, RECT_ARCH_AARCH64, 0, 0, 0)                                                    \
    X(avx512, 3, 2, RECT_ARCH_X86_64, RECT_CPUID1_AVX2_PATH,                                     \
      RECT_CPUID7_AVX2 | RECT_CPUID7_AVX512F | RECT_CPUID7_AVX512DQ | RECT_CPUID7_AVX512BW |     \
          RECT_CPUID7_AVX512VL,                                                                 \
      RECT_XCR0_AVX | RECT_XCR0_AVX512)

/* CPUID leaf 1 ECX: FMA (12), OSXSAVE (27), AVX (28), F16C (29) */
#define RECT_CPUID1_AVX2_PATH ((1u << 12) | (1u << 27) | (1u << 28) | (1u << 29))
/* CPUID leaf 7 EBX */
#define RECT_CPUID7_AVX2 (1u << 5)
#define RECT_CPUID7_AVX512F (1u << 16)
#define RECT_CPUID7_AVX512DQ (1u << 17)
#define RECT_CPUID7_AVX512BW (1u << 30)
#define RECT_CPUID7_AVX512VL (1u << 31)
/* XCR0: XMM and YMM state (bits 1, 2); opmask, upper halves of ZMM0-15, ZMM16-31 (bits 5, 6, 7) */
#define RECT_XCR0_AVX 0x6u
#define RECT_XCR0_AVX512 0xe0u

#if defined(__x86_64__) || defined(_M_X64)
#define RECT_ARCH_X86_64 1
#else
#define RECT_ARCH_X86_64 0
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
#define RECT_ARCH_AARCH64 1
#else
#define RECT_ARCH_AARCH64 0
#endif
#define RECT_ARCH_ANY 1

#define RECT_CAP_ENUM_ENTRY(name, bit, precedence, arch, ecx1, ebx7, xcr0) RECT_CAP_##name = 1u << (bit),
typedef enum rect_cap_t { RECT_CPU_PATHS(RECT_CAP_ENUM_ENTRY) } rect_cap_t;
#undef RECT_CAP_ENUM_ENTRY
/* the historical upper-case names of the first paths */
#define RECT_CAP_SCALAR RECT_CAP_scalar
#define RECT_CAP_AVX2 RECT_CAP_avx2
#define RECT_CAP_NEON RECT_CAP_neon

/* Paths built into this binary. */
unsigned rect_capabilities_compiled(void);
/* Paths this CPU (and OS) can run: compiled & detected. */
unsigned rect_capabilities_detected(void);
/* Paths currently allowed; the kernels come from the best of them. */
unsigned rect_capabilities_enabled(void);
/* Restrict to `mask` (scalar is always kept). Returns 0, or -1 and changes nothing when `mask`
 * names a path that is not detected. Not meant to race with running kernels: call it at start-up
 * or between calls (each table entry is a single pointer store, so a racing call still runs a
 * valid kernel, just possibly from either path). */
int rect_set_capabilities(unsigned mask);
/* The single path whose kernels are active, e.g. RECT_CAP_avx2. */
unsigned rect_active_path(void);
/* Name of one path bit ("scalar", "avx2", ...), or NULL for a bit that is no path. */
const char *rect_path_name(unsigned cap);
/* The bit of the path called `name`, or 0. */
unsigned rect_path_bit(const char *name);
/* Precedence of one path bit (the highest enabled one is active), or -1. */
int rect_path_precedence(unsigned cap);
/* The XCR0 bits one path bit needs saved by the OS (its register state: 0x6 YMM, 0xe0 opmask and
 * ZMM), 0 for a path without x86 vector state or a bit that is no path. */
unsigned rect_path_xcr0(unsigned cap);

#ifdef __cplusplus
}
#endif
#endif
