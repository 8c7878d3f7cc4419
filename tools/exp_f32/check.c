/* Exhaustive check of vm32_exp (src/kernels/vmath_f32.h): every float32 bit pattern through every
 * CPU path built here; reports the largest error in ULPs of the correctly rounded float32 result
 * (reference: glibc's double exp, whose own error, < 1 ULP of double, is 2^-29 ULP of float),
 * whether the paths agree bit for bit, the specials, and the floating-point flags raised by inputs
 * whose true result is exact or not tiny. Run: tools/exp_f32/run.sh [stride] */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void exp_block_scalar(const float *x, float *y, size_t n);
#ifdef HAVE_AVX2
void exp_block_avx2(const float *x, float *y, size_t n);
#endif
#ifdef HAVE_NEON
void exp_block_neon(const float *x, float *y, size_t n);
#endif

static float from_bits(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }
static uint32_t to_bits(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }

/* error of y against the exact value e, in ULPs of float32 at e (subnormal ULP below 2^-126) */
static double ulp_error(float y, double e) {
    if (isinf(e) || e > 0x1.fffffep127) return isinf(y) ? 0.0 : 1e9;
    int ex;
    frexp(e, &ex); /* e = m 2^ex, m in [0.5, 1) */
    int ulp_exp = ex - 24;
    if (ulp_exp < -149) ulp_exp = -149;
    return fabs((double)y - e) / ldexp(1.0, ulp_exp);
}

#define BLOCK 4096
int main(int argc, char **argv) {
    uint64_t stride = argc > 1 ? strtoull(argv[1], 0, 10) : 1;
    static float x[BLOCK], ys[BLOCK], yv[BLOCK];
    double worst = 0.0;
    float worst_x = 0.0f;
    uint64_t checked = 0, mismatches = 0, flagged = 0;
    for (uint64_t start = 0; start < (1ull << 32); start += (uint64_t)BLOCK * stride) {
        size_t n = 0;
        for (uint64_t b = start; b < (1ull << 32) && n < BLOCK; b += stride) x[n++] = from_bits((uint32_t)b);
        exp_block_scalar(x, ys, n);
#if defined(HAVE_AVX2)
        exp_block_avx2(x, yv, n);
#elif defined(HAVE_NEON)
        exp_block_neon(x, yv, n);
#else
        memcpy(yv, ys, sizeof ys);
#endif
        for (size_t i = 0; i < n; i++) {
            if (to_bits(ys[i]) != to_bits(yv[i]) && !(isnan(ys[i]) && isnan(yv[i]))) {
                if (mismatches++ < 5) printf("paths differ at %a: %a vs %a\n", x[i], ys[i], yv[i]);
            }
            if (isnan(x[i])) {
                if (!isnan(ys[i])) { printf("exp(NaN) = %a\n", ys[i]); return 1; }
                continue;
            }
            double e = exp((double)x[i]);
            double err = ulp_error(ys[i], e);
            checked++;
            if (err > worst) { worst = err; worst_x = x[i]; }
        }
    }
    /* flags: one call per input class, each in a full vector of that input */
    static const float quiet_inputs[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-45f, 1.0f, -80.0f, 88.7f,
                                         INFINITY, NAN};
    for (size_t c = 0; c < sizeof quiet_inputs / sizeof *quiet_inputs; c++) {
        for (int i = 0; i < 64; i++) x[i] = quiet_inputs[c];
        feclearexcept(FE_ALL_EXCEPT);
        exp_block_scalar(x, ys, 64);
#if defined(HAVE_AVX2)
        exp_block_avx2(x, yv, 64);
#elif defined(HAVE_NEON)
        exp_block_neon(x, yv, 64);
#endif
        int raised = fetestexcept(FE_INVALID | FE_OVERFLOW | FE_UNDERFLOW | FE_DIVBYZERO);
        if (raised) { flagged++; printf("exp(%a) raised flags 0x%x\n", quiet_inputs[c], raised); }
    }
    /* specials, through the paths' blocks */
    static const float special_x[] = {INFINITY, -INFINITY, 0x1.62e42ep6f, 0x1.62e430p6f, -104.0f, 0.0f};
    static const float special_y[] = {INFINITY, 0.0f, 0x1.ffff08p127f, INFINITY, 0.0f, 1.0f};
    for (size_t c = 0; c < 6; c++) {
        exp_block_scalar(&special_x[c], ys, 1);
        if (to_bits(ys[0]) != to_bits(special_y[c])) {
            printf("exp(%a) = %a, expected %a\n", special_x[c], ys[0], special_y[c]);
            flagged++;
        }
    }
    printf("checked %llu inputs (stride %llu): max error %.4f ULP at x = %a (%.9g); "
           "%llu path mismatches; %llu spurious flags or wrong specials\n",
           (unsigned long long)checked, (unsigned long long)stride, worst, worst_x, worst_x,
           (unsigned long long)mismatches, (unsigned long long)flagged);
    return (worst <= 1.0 && mismatches == 0 && flagged == 0) ? 0 : 1;
}
