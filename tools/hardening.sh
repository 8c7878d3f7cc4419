#!/usr/bin/env bash
# The hardening checks that need their own builds (run by .ci/run after the test suite):
#   1. tools/sanitize.sh: an ASan+UBSan build of the extension, tested with the smoke subset
#      (.ci/smoke-tests) plus the tests that feed the entry points malformed and edge-case input
#      (bad input, the fused epilogue's shapes and strides); SANITIZE_TESTS=all runs the whole
#      suite (but the slow tests) instead;
#   2. tools/fuzz.sh: libFuzzer over the C entry points and the ufunc loop, FUZZ_RUNS inputs (300000;
#      0 leaves it out).
# The rest of the hardening (guard pages, properties, bad input, leaks, threads, floating-point
# environment, huge arrays) is ordinary pytest, in tests/, and runs in the full suite.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
# shellcheck source=../.ci/lib.sh
source "$repo/.ci/lib.sh"
if [ -z "${CI_TIMES:-}" ]; then  # run alone: a table of its own
    CI_TIMES=$(mktemp)
    export CI_TIMES
    trap 'status=$?; print_times "$CI_TIMES"; rm -f "$CI_TIMES"; exit $status' EXIT
fi

# The memory-safety tests, on top of the smoke subset (names relative to tests/). The guard-page and
# property tests, which look for the same faults by other means, run in the full suite.
MEMORY_TESTS="test_bad_input.py test_fused.py"

status=0
if [ "${SANITIZE_TESTS:-}" = all ]; then
    timed "asan: ASan+UBSan build (build 5), the suite but slow tests" bash "$here/sanitize.sh" || status=1
else
    # shellcheck disable=SC2046
    timed "asan: ASan+UBSan build (build 5), smoke + memory-safety tests" bash "$here/sanitize.sh" \
        $( (smoke_tests tests; for t in $MEMORY_TESTS; do echo "tests/$t"; done) | sort -u) \
        -q -rs -m "not slow" -p no:cacheprovider || status=1
fi
if [ "${FUZZ_RUNS:-300000}" -gt 0 ]; then
    timed "fuzz: libFuzzer, ${FUZZ_RUNS:-300000} runs" bash "$here/fuzz.sh" "${FUZZ_RUNS:-300000}" || status=1
else
    echo "== hardening: fuzzing left out (FUZZ_RUNS=0)"
fi
echo "== hardening: $( [ $status = 0 ] && echo passed || echo FAILED)"
exit $status
