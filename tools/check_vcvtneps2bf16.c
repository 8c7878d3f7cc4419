/* AVX512_BF16's vcvtneps2bf16 against the integer round-to-nearest-even of src/kernels/f16_soft.h,
 * over all 2^32 float32 bit patterns (on a CPU with AVX512_BF16):
 *
 *   gcc -O2 tools/check_vcvtneps2bf16.c -o /tmp/check && /tmp/check
 *
 * It prints "mismatches 16711678 (non-denormal 0)": the instruction treats subnormal inputs as
 * zero (every subnormal that does not round to zero anyway differs), so rectifier rounds with
 * integer arithmetic on every path instead. */
#include <immintrin.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
static uint16_t soft(uint32_t b) {
    if ((b & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((b >> 16) | 0x40u);
    return (uint16_t)((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}
__attribute__((target("avx512f,avx512bf16,avx512vl,avx512bw")))
int main(void) {
    uint64_t diff = 0, diff_nondenorm = 0, first = 0;
    uint32_t in[16]; uint16_t out[16];
    for (uint64_t base = 0; base < (1ull << 32); base += 16) {
        for (int k = 0; k < 16; k++) in[k] = (uint32_t)(base + k);
        __m512 v; memcpy(&v, in, 64);
        __m256bh r = _mm512_cvtneps_pbh(v);
        memcpy(out, &r, 32);
        for (int k = 0; k < 16; k++) if (out[k] != soft(in[k])) {
            uint32_t e = in[k] & 0x7f800000u;
            if (!diff) first = in[k];
            diff++;
            if (e != 0) diff_nondenorm++;
        }
    }
    printf("mismatches %llu (non-denormal %llu), first 0x%08llx; float32 denormals: %llu\n",
           (unsigned long long)diff, (unsigned long long)diff_nondenorm, (unsigned long long)first,
           (unsigned long long)(2ull * ((1u << 23) - 1)));
    return 0;
}
