#!/usr/bin/env bash
# The hardening checks that need their own builds (run by .ci/run after the test suite):
#   1. tools/sanitize.sh: the whole test suite (but the slow tests) against an ASan+UBSan build;
#   2. tools/fuzz.sh: libFuzzer over the C entry points and the ufunc loop, FUZZ_RUNS inputs (300000;
#      0 leaves it out).
# The rest of the hardening (guard pages, properties, bad input, leaks, threads, floating-point
# environment, huge arrays) is ordinary pytest, in tests/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
start=$(date +%s)
status=0
bash "$here/sanitize.sh" || status=1
echo "== hardening: sanitizers done after $(( $(date +%s) - start )) s"
if [ "${FUZZ_RUNS:-300000}" -gt 0 ]; then
    bash "$here/fuzz.sh" "${FUZZ_RUNS:-300000}" || status=1
else
    echo "== hardening: fuzzing left out (FUZZ_RUNS=0)"
fi
echo "== hardening: $( [ $status = 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - start )) s"
exit $status
