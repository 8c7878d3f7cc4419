#!/bin/sh
# Exhaustive check of vm32_exp on this machine's paths (scalar, plus AVX2 on x86-64):
#   tools/exp_f32/run.sh [stride]     (stride 1: all 2^32 inputs, a minute or two)
# With CROSS=1, builds for AArch64 (scalar + NEON) and runs under qemu-aarch64 (use a stride).
set -e
here=$(dirname "$0")
out=${TMPDIR:-/tmp}/rect_exp_f32_check
flags="-O2 -ffp-contract=off -std=c11 -D_GNU_SOURCE"
if [ "${CROSS:-0}" = 1 ]; then
    cc=aarch64-linux-gnu-gcc
    $cc $flags -DCHECK_ISA=scalar -c "$here/block.c" -o "$out.s.o"
    $cc $flags -DCHECK_ISA=neon -DCHECK_ISA_NEON=1 -c "$here/block.c" -o "$out.n.o"
    $cc $flags -DHAVE_NEON "$here/check.c" "$out.s.o" "$out.n.o" -lm -static -o "$out.arm"
    exec qemu-aarch64 "$out.arm" "$@"
fi
cc=${CC:-cc}
$cc $flags -DCHECK_ISA=scalar -c "$here/block.c" -o "$out.s.o"
$cc $flags -mavx2 -mfma -mf16c -DCHECK_ISA=avx2 -DCHECK_ISA_AVX2=1 -c "$here/block.c" -o "$out.a.o"
$cc $flags -DHAVE_AVX2 "$here/check.c" "$out.s.o" "$out.a.o" -lm -o "$out"
exec "$out" "$@"
