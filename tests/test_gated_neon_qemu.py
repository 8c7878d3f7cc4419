"""The gated units (src/gated.c, src/kernels/ops_gated.h) on the NEON path, under qemu-aarch64,
against every native path (scalar, AVX2, AVX-512): bit for bit, NaNs included (the units make one
NaN on every path), and no write past any output.

tests/c_driver/gated_driver.c makes its own inputs (every pair of special values, then a fixed
pseudo-random sequence), runs every unit's forward and gradient kernels for every dtype at every
length 0..40 and 1001, as two arrays and as the rows of a split array, and prints one hash of the
outputs per unit and dtype. It is built natively and with aarch64-linux-gnu-gcc -static, as in
test_neon_qemu.py, whose skip rules (and RECTIFIER_REQUIRE_NEON) apply here too. test_gated.py
checks the in-process paths against SciPy and mpmath; bit identity carries that over to NEON.
"""
import subprocess

import pytest

import test_neon_qemu as base

SOURCES = [base.TESTS / "c_driver" / "gated_driver.c"] + [
    base.ROOT / "src" / name for name in ("dispatch.c", "gated.c", "pool.c", "fused.c")] + sorted(
    (base.ROOT / "src" / "kernels").glob("*.c"))


def _compile(compiler, extra, output):
    """The gated driver, from the kernels' objects that test_neon_qemu.py's drivers compiled."""
    return base._compile(compiler, extra, output, SOURCES, ("-lm", "-pthread"))


@pytest.fixture(scope="module")
def gated_drivers(tmp_path_factory):
    build = tmp_path_factory.mktemp("gated_driver")
    found = base.Drivers()
    cc = base._native_compiler()
    if cc is None:
        found.native_missing = "no native C compiler found"
    else:
        found.native = [str(_compile(cc, [], build / "gated_driver"))]
    if base.NATIVE_AARCH64:
        found.neon, found.neon_missing = found.native, found.native_missing
    elif any(base.shutil.which(t) is None for t in (base.CROSS_CC, base.QEMU)):
        found.neon_missing = f"{base.CROSS_CC} or {base.QEMU} not found (see test_neon_qemu.py)"
    else:
        binary = _compile([base.CROSS_CC], ["-static"], build / "gated_driver-aarch64")
        found.neon = base._qemu_prefix(binary) + [str(binary)]
    return found


def _hashes(drivers, path):
    result = subprocess.run(drivers.command(path) + [path], capture_output=True, text=True)
    assert result.returncode == 0, f"{path}: exit status {result.returncode}: {result.stderr}"
    return result.stdout.split("\n")


@pytest.mark.parametrize("path", base.NATIVE_PATHS)
def test_neon_matches_the_native_path_bit_for_bit(gated_drivers, path):
    neon = _hashes(gated_drivers, "neon")
    assert len(neon) > 15
    assert _hashes(gated_drivers, path) == neon
