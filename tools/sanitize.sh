#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer run of the test suite (tools/hardening.sh, in CI,
# gives it a subset).
#
# Copies the source tree (without build outputs) to a scratch directory, builds the extension there
# with -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
# into a virtual environment of its own, and runs `pytest tests -m "not slow"` with the sanitizer
# runtimes preloaded into Python (CPython itself is not instrumented). Fails on any sanitizer
# report, from the test process or any child it starts: every report goes to a log file, and the
# run passes only if there are none and pytest passed.
#
#   tools/sanitize.sh [pytest arguments...]      (default: tests -q -rs -m "not slow")
#
# Environment: RECTIFIER_SANITIZE_DIR (scratch directory; default a new one under /tmp), KEEP=1
# (keep it afterwards). The slow tests (2^31-element arrays, a million calls per function for the
# leak check, building a Cython user extension) are left out: under ASan they take minutes and the
# memory figures mean nothing there. Never builds in the source tree itself.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${RECTIFIER_SANITIZE_DIR:-$(mktemp -d /tmp/rectifier-sanitize.XXXXXX)}
mkdir -p "$work"
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$work"; }
trap cleanup EXIT
start=$(date +%s)

cc=${CC_FOR_SANITIZE:-gcc}
libasan=$("$cc" -print-file-name=libasan.so)
libubsan=$("$cc" -print-file-name=libubsan.so)
if [ ! -e "$libasan" ] || [ ! -e "$libubsan" ]; then
    echo "sanitize: $cc has no libasan.so/libubsan.so (install gcc's libasan and libubsan)" >&2
    exit 2
fi

echo "== sanitize: copying $repo to $work/tree (without build outputs)"
rm -rf "$work/tree" && mkdir -p "$work/tree"
tar -C "$repo" --exclude=./.git --exclude=./build --exclude=./dist --exclude='*.egg-info' \
    --exclude='*.so' --exclude='*.o' --exclude='__pycache__' --exclude=./.pytest_cache \
    --exclude=./.hypothesis --exclude=./src/rectifier/_core.c --exclude='./.venv*' -cf - . \
    | tar -C "$work/tree" -xf -

# The flags go last on every compile and link line (setup.py's own -O3 comes earlier, and the last
# -O wins), through a compiler wrapper that setuptools uses for CC and, derived from it, LDSHARED.
flags="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
cat > "$work/cc" <<EOF
#!/bin/sh
exec $cc "\$@" $flags
EOF
chmod +x "$work/cc"

echo "== sanitize: virtual environment and build ($flags)"
python3 -m venv "$work/venv"
# shellcheck disable=SC1091
source "$work/venv/bin/activate"
python -m pip install -q --upgrade pip
python -m pip install -q "setuptools>=77" "Cython>=3.0" "numpy>=2.0" wheel
(cd "$work/tree" && CC="$work/cc" python -m pip install -q --no-build-isolation --no-cache-dir ".[test]")
# (importing rectifier needs the preloaded runtime: look for the file instead)
so=$(ls "$(python -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')"/rectifier/_core*.so)
symbols=$(nm -D "$so")
if ! grep -q __asan_report_load <<<"$symbols"; then
    echo "sanitize: $so is not instrumented by AddressSanitizer" >&2
    exit 1
fi
if ! grep -q __ubsan_handle <<<"$symbols"; then
    echo "sanitize: $so is not instrumented by UndefinedBehaviorSanitizer" >&2
    exit 1
fi
echo "   built in $(( $(date +%s) - start )) s: $so"

logs="$work/reports"
rm -rf "$logs" && mkdir -p "$logs"
export LD_PRELOAD="$libasan:$libubsan"
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:log_path=$logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
export PYTHONMALLOC=malloc
export RECTIFIER_SANITIZED=1      # tests that measure memory or deliberately crash adapt to it
if [ $# -eq 0 ]; then
    set -- tests -q -rs -m "not slow" -p no:cacheprovider
fi
echo "== sanitize: python -m pytest $*"
status=0
(cd "$work/tree" && python -m pytest "$@") || status=$?
unset LD_PRELOAD

reports=$(find "$logs" -type f | sort)
if [ -n "$reports" ]; then
    echo "== sanitize: sanitizer reports:" >&2
    for f in $reports; do echo "--- $f" >&2; head -60 "$f" >&2; done
    status=1
fi
echo "== sanitize: $( [ $status = 0 ] && echo "no sanitizer report, tests passed" || echo FAILED) in $(( $(date +%s) - start )) s"
exit $status
