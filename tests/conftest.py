"""Shared fixtures: every test that takes `cpu_path` runs once per CPU path this process can run
(compiled into the extension and detected on this CPU, in the order of rectifier's path table),
with that path forced through rectifier.set_capabilities. Paths the CPU lacks are not collected
(NEON is tested under qemu by test_neon_qemu.py, whose driver runs the same kernels), and a run
that passes without exercising every path it can run fails (pytest_sessionfinish below)."""
import os
import sys

import numpy as np
import pytest

import rectifier

sys.path.insert(0, os.path.dirname(__file__))

# Set in CI: a tool the tests need (the AArch64 cross compiler, qemu-aarch64, objdump) that is
# missing fails the run instead of skipping its tests.
TOOLS_REQUIRED = os.environ.get("RECTIFIER_REQUIRE_NEON", "").strip().lower() not in ("", "0", "false", "no")


def require_module(name):
    """Imports the optional test dependency NAME (a dotted name), or skips: one wording for all."""
    return pytest.importorskip(name, reason=f"needs {name.partition('.')[0]}, an optional test dependency "
                                            "(pip install '.[test]' installs it)")


def tool_unavailable(reason):
    """Skips a test for a missing build or run tool, or fails it where TOOLS_REQUIRED is set."""
    if TOOLS_REQUIRED:
        pytest.fail(f"{reason} (RECTIFIER_REQUIRE_NEON is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def require_other_paths(paths):
    """Skips a comparison between CPU paths where this CPU runs only one (NEON is compared with
    the others under qemu-aarch64, in the test_*neon_qemu.py files)."""
    if len(paths) < 2:
        pytest.skip("this CPU runs one CPU path only: nothing to compare it with")


def path_unavailable(path):
    """Skips a test of a CPU path that this CPU cannot run."""
    pytest.skip(f"this CPU cannot run the {path} path")


# every path compiled into the extension and supported by this CPU
TESTED_PATHS = rectifier.capabilities()["detected"]
DTYPES = (np.float16, np.float32, np.float64)

_collected_paths, _exercised_paths = set(), set()


@pytest.fixture(params=TESTED_PATHS)
def cpu_path(request):
    path = request.param
    before = rectifier.capabilities()["enabled"]
    rectifier.set_capabilities([path])
    assert rectifier.capabilities()["active"] == path
    _exercised_paths.add(path)
    yield path
    rectifier.set_capabilities(before)


def pytest_collection_modifyitems(items):
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "cpu_path" in callspec.params:
            _collected_paths.add(callspec.params["cpu_path"])


def pytest_sessionfinish(session, exitstatus):
    """A passing run that collected per-path tests must have run them on each collected path (a
    path the CPU can run is never skipped)."""
    missing = sorted(_collected_paths - _exercised_paths)
    if exitstatus == 0 and missing:
        print(f"\nFAILED: no test exercised the CPU path(s) {', '.join(missing)}, which this CPU "
              "runs and the tests collected", file=sys.stderr)
        session.exitstatus = 1


@pytest.fixture(params=DTYPES, ids=lambda d: np.dtype(d).name)
def dtype(request):
    return np.dtype(request.param)


def special_values(dtype):
    """NaN of both signs, +-inf, +-0, subnormals, extreme normals, kinks of the functions."""
    info = np.finfo(dtype)
    with np.errstate(invalid="ignore"):
        neg_nan = -np.array(np.nan, dtype)
    values = [np.nan, neg_nan, np.inf, -np.inf, 0.0, -0.0,
              info.smallest_subnormal, -info.smallest_subnormal,
              info.smallest_normal, -info.smallest_normal, info.max, -info.max,
              1.0, -1.0, 6.0, -6.0, 0.5, -0.5, -3.0, 5.999, 6.001, -2.0, 2.0, 1e-3, -1e-3]
    return np.array(values, dtype=dtype)


def mixed_input(dtype, n, seed=0):
    """n values: the special values first (cycled so each lands in every lane position over the
    sizes tested), then random values of all magnitudes, both signs."""
    rng = np.random.default_rng(seed + n)
    specials = special_values(dtype)
    rolled = np.roll(specials, n % len(specials))
    random = (rng.standard_normal(n) * 10.0 ** rng.integers(-3, 3, n)).astype(dtype)
    out = random.copy()
    k = min(n, len(rolled))
    out[:k] = rolled[:k]
    if n > 2 * len(specials):
        positions = rng.choice(n, len(specials), replace=False)
        out[positions] = specials
    return out


def assert_same_bits(actual, expected):
    """Equal values with the same sign of zero; NaN where expected is NaN (payloads not compared)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    nan_a, nan_e = np.isnan(actual), np.isnan(expected)
    bad = (nan_a != nan_e) | (~nan_e & ((actual != expected) | (np.signbit(actual) != np.signbit(expected))))
    if bad.any():
        idx = np.argwhere(bad)[:10]
        details = [(tuple(i), actual[tuple(i)], expected[tuple(i)]) for i in idx]
        raise AssertionError(f"{int(bad.sum())} of {bad.size} elements differ (index, got, expected): {details}")
