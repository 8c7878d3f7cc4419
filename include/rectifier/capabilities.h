/* rectifier: which CPU paths exist, which this CPU can run, and which are enabled.
 *
 * A path is a set of kernels compiled for one instruction set. "scalar" is portable C and always
 * present; "avx2" needs AVX2+FMA+F16C and an OS that saves YMM state (x86-64); "neon" is AArch64's
 * Advanced SIMD. The dispatch table is filled once at import from the best enabled path.
 */
#ifndef RECTIFIER_CAPABILITIES_H
#define RECTIFIER_CAPABILITIES_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rect_cap_t {
    RECT_CAP_SCALAR = 1u << 0,
    RECT_CAP_AVX2 = 1u << 1,
    RECT_CAP_NEON = 1u << 2
} rect_cap_t;

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
/* The single path whose kernels are active, e.g. RECT_CAP_AVX2. */
unsigned rect_active_path(void);
/* Name of one path bit ("scalar", "avx2", "neon"), or NULL. */
const char *rect_path_name(unsigned cap);

#ifdef __cplusplus
}
#endif
#endif
