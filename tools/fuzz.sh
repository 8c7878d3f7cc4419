#!/usr/bin/env bash
# libFuzzer run over the C entry points and the ufunc loop (tools/fuzz/fuzz_kernels.c).
#
#   tools/fuzz.sh [RUNS]             default 300000; FUZZ_SEED (default 1), FUZZ_DIR (work directory)
#
# Builds the harness with clang -fsanitize=fuzzer,address,undefined from the C sources (the
# kernels of every path this CPU can run, the dispatch table, the ufunc loop), seeds a corpus with
# one input per operation, dtype and a spread of lengths, and runs RUNS inputs. A run count and a
# fixed seed, not a time limit, so that a CI run is repeatable: the same tree fuzzes the same
# inputs however fast the machine is (about a minute here). Exits non-zero
# if the harness finds anything (a sanitizer report, a path mismatch, a wrong ufunc loop result);
# the input that did it is kept in the work directory, and the command to replay it is printed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-300000}
work=${FUZZ_DIR:-$(mktemp -d /tmp/rectifier-fuzz.XXXXXX)}
mkdir -p "$work/corpus" "$work/artifacts"

if ! command -v clang >/dev/null; then
    echo "== fuzz: installing clang"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq clang >/dev/null
fi
# The package's own Clang flags (setup.py): without maytrap Clang treats signalling NaNs as quiet and
# may rewrite a select of x into arithmetic on x (x * 1.0), which quiets one (found by this harness).
build() {
    clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -ffp-contract=off -fno-math-errno -ffp-exception-behavior=maytrap -Wall -Wextra -Wno-unused-function \
        -I"$repo/include" -I"$repo/src" \
        "$repo/tools/fuzz/fuzz_kernels.c" "$repo/src/dispatch.c" "$repo/src/ufunc_loops.c" \
        "$repo/src/pool.c" "$repo/src/fused.c" \
        "$repo"/src/kernels/*.c \
        -lm -lpthread -o "$work/fuzz_kernels"
}
if ! build 2>"$work/build.log"; then
    if grep -q "libclang_rt.fuzzer\|fuzzer" "$work/build.log"; then
        major=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
        echo "== fuzz: installing libclang-rt-$major-dev (the libFuzzer runtime)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq "libclang-rt-$major-dev" >/dev/null
        build
    else
        cat "$work/build.log" >&2
        exit 2
    fi
fi

# Seeds: [kind][op][dtype][flags][n lo][n hi][misalign][mode][a x8][b x8][data]
python3 - "$work/corpus" <<'EOF'
import os, struct, sys
out = sys.argv[1]
data = struct.pack("<16d", float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 5e-324, -1.5, 2.0,
                   1e300, -1e-300, 6.0, 7.5, -0.25, 3.0, 0.5, -6.0)
i = 0
for kind in range(8):
    for dtype in range(3):
        for n in (0, 1, 3, 7, 8, 9, 17, 33, 64, 129, 257, 515):
            header = bytes([kind, (i * 7) % 251, dtype, (i * 37) % 256, n & 255, n >> 8, i % 64, (i * 13) % 256])
            with open(os.path.join(out, f"seed-{i:04d}"), "wb") as f:
                f.write(header + struct.pack("<dd", 0.25, 2.0) + data)
            i += 1
EOF
# Past findings, fixed: libFuzzer runs every corpus input first, so a regression fails at once.
cp "$repo"/tools/fuzz/findings/* "$work/corpus/"

echo "== fuzz: $runs libFuzzer runs (seed ${FUZZ_SEED:-1}) in $work"
status=0
(cd "$work" && ./fuzz_kernels -seed="${FUZZ_SEED:-1}" -runs="$runs" -max_len=4096 \
    -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/" corpus \
    >"$work/fuzz.log" 2>&1) || status=$?
grep -E "^#[0-9]+.*DONE|stat::number_of_executed_units|stat::new_units_added|Done [0-9]+ runs" "$work/fuzz.log" || true
if [ $status -ne 0 ] || [ -n "$(ls -A "$work/artifacts")" ]; then
    grep -E -A30 "ERROR|fuzz_kernels:|runtime error" "$work/fuzz.log" | head -60 >&2
    for a in "$work"/artifacts/*; do
        echo "== fuzz: found $a; replay with: $work/fuzz_kernels $a" >&2
    done
    exit 1
fi
echo "== fuzz: no finding"
[ -n "${FUZZ_DIR:-}" ] || rm -rf "$work"
