"""Leaks: a million calls of every public function (and of every ufunc) keep the resident memory
within 1 MB and leave the reference counts of their inputs, parameters and outputs unchanged;
results are freed when dropped.

Per-call costs measured here (8-element float32 arrays, Python loop included): the direct path
(a contiguous ndarray, scalar parameters) 0.15-0.3 us with out= or allocating, a ufunc 0.3-0.9 us,
the general path of a public function (reversed views, through the ufunc) 3-7 us, prelu_grad
(always the general path, plus a reduction) ~7 us; summed over the 40 rows of the table, a million
calls of every kind is about 3 minutes. So by default: 2*10^5 calls with out=, 10^5 allocating or
through a ufunc, 5*10^4 through the general path (a leak of one 24-byte object per call is still
over 1 MB there, and the reference counts are exact whatever the count). The slow test, run with
RECTIFIER_HEAVY_TESTS=1, makes a million calls of everything, for float32 and float16.
"""
import gc
import os
import sys
import weakref

import numpy as np
import pytest

import hardening_cases as hc
import rectifier
import rectifier.ufuncs

MB = 1 << 20
SANITIZED = os.environ.get("RECTIFIER_SANITIZED") == "1"   # tools/sanitize.sh: ASan's allocator
# calls by default, per kind of call (the slow test makes each a million)
DEFAULT = {"direct": 200_000, "new": 100_000, "other": 50_000, "ufunc": 100_000}
if SANITIZED:   # the reference counts are still checked; memory figures mean nothing under ASan
    DEFAULT = {k: 5_000 for k in DEFAULT}


LINUX = sys.platform.startswith("linux")


def rss():
    """Resident memory in bytes (Linux; elsewhere 0, and only the reference counts are checked)."""
    if not LINUX:
        return 0
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(fn, calls, tracked):
    """Run fn() `calls` times after a warm-up; (RSS growth in bytes, [(refcount before, after)])."""
    for _ in range(min(calls, 2_000)):
        fn()
    if not SANITIZED:     # (a full collection takes a second under ASan; no memory figure there)
        gc.collect()
    before_refs = [sys.getrefcount(o) for o in tracked]
    before = rss()
    for _ in range(calls):
        fn()
    if not SANITIZED:
        gc.collect()
    after = rss()
    after_refs = [sys.getrefcount(o) for o in tracked]
    return after - before, list(zip(before_refs, after_refs))


def check(label, fn, calls, tracked):
    growth, refs = measure(fn, calls, tracked)
    changed = [(i, type(tracked[i]).__name__, b, a) for i, (b, a) in enumerate(refs) if b != a]
    assert not changed, f"{label}: reference counts changed over {calls} calls (index, type, before, after): {changed}"
    if not SANITIZED and LINUX:
        assert growth < MB, f"{label}: resident memory grew by {growth / MB:.2f} MB over {calls} calls"
    return growth


def public_cases(row, dtype):
    """(label, fn, tracked objects, path) for the calls of one public function."""
    n = 8
    ops = hc.operands(row, hc.data(dtype, n))
    ops = {k: np.ascontiguousarray(v) for k, v in ops.items()}
    # numeric parameters as Python floats (the direct path's parameters), but flags, seeds and an
    # axis as they are
    params = {k: (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in ("seed", "axis") else v)
              for k, v in row.params.items()}
    kwargs = {**params, **hc.keyword_operands(ops)}
    x = ops["x"]
    f = getattr(rectifier, row.function)
    tracked = [x, *kwargs.values(), np.dtype(dtype), f]
    cases = []
    if row.has_out:
        out = np.empty(x.shape, dtype)

        def direct_out():
            f(x, out=out, **kwargs)

        def direct_new():
            f(x, **kwargs)
        cases.append(("direct out=", direct_out, tracked + [out], "direct"))
        cases.append(("direct new", direct_new, tracked, "new"))
        xr = x[..., ::-1]
        rev = {k: (v[..., ::-1] if isinstance(v, np.ndarray) and v.shape == x.shape else v) for k, v in kwargs.items()}
        outr = np.empty(x.shape, dtype)[..., ::-1]

        def general():
            f(xr, out=outr, **rev)
        cases.append(("general path", general, tracked + [xr, outr, *rev.values()], "other"))
    else:
        def direct():
            f(x, **kwargs)
        cases.append(("only path", direct, tracked, "other"))
    return cases


ROWS = hc.rows()


def run_public(row, dtype, calls):
    for label, fn, tracked, kind in public_cases(row, dtype):
        check(f"{row.name} {np.dtype(dtype).name} {label}", fn, calls[kind], tracked)
    # results are freed when dropped (no reference kept inside the package)
    ops = hc.operands(row, hc.data(dtype, 8))
    result = hc.call(row, ops)
    if row.reduces:   # a NumPy scalar (active_fraction, dead_units) takes no weak reference:
        result = hc.call(row, {k: v.reshape(2, -1) for k, v in ops.items()}, axis=1)   # an array
    refs = [weakref.ref(r) for r in (result if isinstance(result, tuple) else (result,))]
    del result      # freed at once by reference counting (no collection: a cycle would be a leak too)
    assert all(r() is None for r in refs), f"{row.name}: a result is still referenced after it was dropped"


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_public_functions_do_not_leak(row):
    run_public(row, np.float32, DEFAULT)


def ufunc_call(name, dtype):
    uf = getattr(rectifier.ufuncs, name)
    ins = hc.ufunc_operand_values(name, dtype, 8)
    _, out_types = hc.ufunc_loop(uf, dtype)
    outs = tuple(np.empty(8, t) for t in out_types)

    def fn():
        uf(*ins, out=outs)
    return fn, [uf, *ins, *outs]


@pytest.mark.parametrize("name", hc.ufunc_names())
def test_ufuncs_do_not_leak(name):
    fn, tracked = ufunc_call(name, np.float32)
    check(f"ufunc {name}", fn, DEFAULT["ufunc"], tracked)


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("RECTIFIER_HEAVY_TESTS") != "1",
                    reason="a million calls of every kind of call of every function take minutes: "
                           "RECTIFIER_HEAVY_TESTS=1 runs it")
@pytest.mark.skipif(SANITIZED, reason="a million calls per path under ASan take too long; the default tests run there")
def test_a_million_calls_of_everything(capsys):
    """The full million on every path of every public function and every ufunc (float32 and
    float16 data), with the growth of each printed (pytest -s to see it)."""
    report = []
    for row in ROWS:
        for dtype in (np.float32, np.float16):
            for label, fn, tracked, _ in public_cases(row, dtype):
                growth = check(f"{row.name} {np.dtype(dtype).name} {label}", fn, 1_000_000, tracked)
                report.append(f"{row.name:24s} {np.dtype(dtype).name:8s} {label:13s} {growth / 1024:8.1f} KiB")
    for name in hc.ufunc_names():
        fn, tracked = ufunc_call(name, np.float32)
        growth = check(f"ufunc {name}", fn, 1_000_000, tracked)
        report.append(f"ufunc {name:18s} float32  {'out=':13s} {growth / 1024:8.1f} KiB")
    with capsys.disabled():
        print("\nresident memory growth over 10^6 calls each:\n" + "\n".join(report))
