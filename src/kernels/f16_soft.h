/* Portable float16 <-> float32 conversion, bit-identical to x86 F16C (VCVTPH2PS / VCVTPS2PH with
 * round-to-nearest-even) and AArch64 FCVT: NaNs stay NaN, are made quiet, keep the sign and the top
 * payload bits. Used by the scalar path; the SIMD shims use the hardware instructions.
 * bfloat16 <-> float32 likewise (every path does the same integer arithmetic, see below). */
#ifndef RECT_F16_SOFT_H
#define RECT_F16_SOFT_H

#include <stdint.h>
#include <string.h>

static inline float rect_soft_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu;
    uint32_t bits;
    float f;
    if (exponent == 0) {
        /* zero or subnormal: mantissa * 2^-24 is exact in float32 */
        f = (float)mantissa * 0x1p-24f;
        memcpy(&bits, &f, 4);
        bits |= sign;
    } else if (exponent == 31) {
        bits = sign | 0x7f800000u | (mantissa << 13);
        if (mantissa) bits |= 0x00400000u; /* signalling NaN becomes quiet */
    } else {
        bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
    }
    memcpy(&f, &bits, 4);
    return f;
}

static inline uint16_t rect_soft_f32_to_f16(float f) {
    uint32_t bits, magnitude;
    uint16_t sign;
    memcpy(&bits, &f, 4);
    sign = (uint16_t)((bits >> 16) & 0x8000u);
    magnitude = bits & 0x7fffffffu;
    if (magnitude > 0x7f800000u) /* NaN: quiet, top 10 payload bits kept */
        return (uint16_t)(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));
    if (magnitude >= 0x477ff000u) /* >= 65520 rounds to infinity (65504 is odd, so ties go up) */
        return (uint16_t)(sign | 0x7c00u);
    if (magnitude < 0x38800000u) {
        /* below 2^-14: a subnormal or zero result. |f| * 2^24 < 1024 is exact, and adding 2^23
         * rounds it to an integer, ties to even (the default rounding mode). */
        float scaled, absolute;
        uint32_t abits = magnitude;
        memcpy(&absolute, &abits, 4);
        scaled = (absolute * 0x1p24f + 0x1p23f) - 0x1p23f;
        return (uint16_t)(sign | (uint16_t)scaled); /* 1024 is the smallest normal, 0x0400 */
    }
    {
        uint32_t half = ((magnitude >> 23) - 112u) << 10 | ((magnitude >> 13) & 0x3ffu);
        uint32_t rest = magnitude & 0x1fffu;
        if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) half += 1u; /* carry may reach the exponent: still right */
        return (uint16_t)(sign | half);
    }
}

/* bfloat16 is the top half of a float32: widening is exact. Narrowing rounds to nearest even on
 * the bits (the carry out of the significand steps the exponent, up to infinity); a NaN is made
 * quiet and keeps its sign and top payload bits. Subnormals are rounded like any other value. The
 * SIMD shims do the same integer operations. AVX512_BF16's vcvtneps2bf16 is not used: it treats
 * float32 subnormal inputs as zero (all 2^32 inputs compared, tools/check_vcvtneps2bf16.c: it
 * differs on exactly the 16711678 subnormals that do not round to zero), so subnormal bfloat16
 * results would be lost on that path alone. */
static inline float rect_soft_bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline uint16_t rect_bits_to_bf16(uint32_t bits) {
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40u);
    return (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

static inline uint16_t rect_soft_f32_to_bf16(float f) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    return rect_bits_to_bf16(bits);
}

#endif
