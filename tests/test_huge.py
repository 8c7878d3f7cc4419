"""Huge arrays: 2^31 + 17 float32 elements (8.6 GB), in place, so that every length, index and
offset must be 64-bit end to end (an int or a 32-bit unsigned count anywhere would process 17
elements, or none, or write before the array).

The array is filled with one value, with marker values planted around index 2^31 and at both ends;
after each kernel every marker must hold the result the same kernel gives on a small array, and
every other element the result for the fill value: counted over the whole array, chunk by chunk.
Runs relu (direct path), leaky_relu (direct path), relu through its ufunc (the strided loop, called
by NumPy with the full length), and one exp-family function when the package has one.

Marked slow, and run only with RECTIFIER_HEAVY_TESTS=1 (the README's test command runs the slow
tests, in CI and in every wheel test); skipped unless about 10 GB are available (MemAvailable, or
NPY_AVAILABLE_MEM as in NumPy's requires_memory).
"""
import os
import time

import numpy as np
import pytest

import rectifier
import rectifier.ufuncs

N = 2**31 + 17
NEEDED = 10 * 10**9
CHUNK = 1 << 27


def available_memory():
    env = os.environ.get("NPY_AVAILABLE_MEM")
    if env:
        units = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "kb": 10**3, "mb": 10**6,
                 "gb": 10**9, "tb": 10**12}
        number = env.strip().lower().rstrip("ib")
        digits = number.rstrip("kmgt")
        return int(float(digits) * units[number[len(digits):]])
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def marker_positions():
    around = [2**31 + d for d in range(-40, N - 2**31)] + [2**30 + d for d in range(-3, 4)]
    return np.array(sorted(set(list(range(40)) + around + list(range(N - 40, N)))), np.int64)


def marker_values(count):
    f32 = np.float32
    specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 3.4e38, -3.4e38, 1.0, -1.0,
                         6.0, 7.5, -2.25, 0.5, -0.125, 42.0, -42.0], f32)
    return np.resize(specials, count)


def fill_with_markers(x, fill):
    x.fill(fill)
    pos = marker_positions()
    vals = marker_values(len(pos))
    x[pos] = vals
    return pos, vals


def count_not_equal(x, value, skip):
    """Elements of x (outside positions `skip`) whose bits differ from `value`'s, chunk by chunk."""
    target = np.array(value, np.float32).view(np.uint32)
    bad = 0
    skip_set = np.asarray(skip)
    for start in range(0, len(x), CHUNK):
        block = x[start:start + CHUNK].view(np.uint32)
        wrong = np.flatnonzero(block != target) + start
        if len(wrong):
            bad += len(np.setdiff1d(wrong, skip_set, assume_unique=True))
    return bad


def smooth_function():
    for name in ("elu", "sigmoid", "softplus", "silu"):
        f = getattr(rectifier, name, None)
        if f is not None:
            try:
                f(np.zeros(2, np.float32))
                return name, f
            except NotImplementedError:
                continue
    return None, None


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("RECTIFIER_HEAVY_TESTS") != "1",
                    reason="8.6 GB and half a minute, on a machine others may share: RECTIFIER_HEAVY_TESTS=1 runs it")
@pytest.mark.skipif((available_memory() or 0) < NEEDED,
                    reason=f"needs about {NEEDED / 1e9:.0f} GB of available memory "
                           f"(available: {(available_memory() or 0) / 1e9:.1f} GB)")
def test_two_to_the_31_plus_17_elements_in_place(capsys):
    timings = []
    x = np.empty(N, np.float32)
    name, smooth = smooth_function()
    kernels = [("relu", lambda a: rectifier.relu(a, out=a), -1.5),
               ("leaky_relu", lambda a: rectifier.leaky_relu(a, 0.5, out=a), -2.0),
               ("ufuncs.relu", lambda a: rectifier.ufuncs.relu(a, out=a), -3.0)]
    if smooth is not None:
        kernels.append((name, lambda a: smooth(a, out=a), -1.0))
    try:
        for label, kernel, fill in kernels:
            t0 = time.perf_counter()
            pos, vals = fill_with_markers(x, fill)
            t1 = time.perf_counter()
            with np.errstate(all="ignore"):
                assert kernel(x) is x or label == "ufuncs.relu"
                t2 = time.perf_counter()
                want_markers = vals.copy()
                kernel(want_markers)
                want_fill = np.array([fill], np.float32)
                kernel(want_fill)
            got = x[pos]
            same = (got.view(np.uint32) == want_markers.view(np.uint32)) | (np.isnan(got) & np.isnan(want_markers))
            assert same.all(), (f"{label}: wrong markers at {pos[~same][:10]}: "
                                f"got {got[~same][:10]}, expected {want_markers[~same][:10]}")
            bad = count_not_equal(x, want_fill[0], pos)
            t3 = time.perf_counter()
            assert bad == 0, f"{label}: {bad} elements of {N} do not hold {label}({fill}) = {want_fill[0]}"
            timings.append(f"{label:12s} fill {t1 - t0:5.1f} s, kernel {t2 - t1:5.1f} s, check {t3 - t2:5.1f} s")
    finally:
        del x
    with capsys.disabled():
        print(f"\n2^31 + 17 float32 in place ({N * 4 / 1e9:.1f} GB), active path "
              f"{rectifier.capabilities()['active']}:\n  " + "\n  ".join(timings))
