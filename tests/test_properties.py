"""Property tests (hypothesis) over dtypes, shapes, memory layouts, parameters and out aliasing.

- Exact functions: the result equals tests/reference.py's `expected(...)` bit for bit (sign of zero
  included, NaN where it is NaN), whatever the layout, the parameters (scalars or arrays that
  broadcast), the CPU path and the `out` (none, a fresh array of any layout, x itself, grad itself,
  a strided view).
- Every function (the smooth family included): any layout gives the bits of the same call on a
  C-contiguous native copy, and `out=` changes nothing but where the result goes.
- No input is ever modified, unless it is `out`.

Deterministic: derandomized, a fixed number of examples, no example database.
"""
import os

import numpy as np
import pytest

from conftest import require_module

hypothesis = require_module("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import hardening_cases as hc  # noqa: E402
import rectifier  # noqa: E402
import reference  # noqa: E402
from conftest import TESTED_PATHS, assert_same_bits  # noqa: E402

# 100 examples per test; 25 under tools/sanitize.sh, where they are there for the memory checks
EXAMPLES = 25 if os.environ.get("RECTIFIER_SANITIZED") == "1" else 100
SETTINGS = settings(derandomize=True, max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])
PATHS = TESTED_PATHS   # every path this CPU runs
ROWS = hc.rows()
EXACT_ROWS = [r for r in ROWS if r.exact]


def elements(dtype, finite=False, bound=None):
    width = np.dtype(dtype).itemsize * 8
    if bound is not None:
        return st.floats(-bound, bound, width=width, allow_subnormal=True)
    return st.floats(width=width, allow_nan=not finite, allow_infinity=not finite, allow_subnormal=True)


def values(draw, dtype, shape, **kw):
    """An array of every kind of float: specials, subnormals, both zeros, and often repeats."""
    return draw(hnp.arrays(dtype, shape, elements=elements(dtype, **kw)))


LAYOUTS = ["C", "F", "strided", "negative", "transposed", "unaligned", "big-endian", "read-only"]


def in_layout(base, layout, draw):
    """The values of `base` (C order) in another memory layout."""
    if layout == "C" or base.ndim == 0:
        return base.copy()
    if layout == "F":
        return np.asfortranarray(base)
    if layout == "strided":
        axis = draw(st.integers(0, base.ndim - 1))
        step = draw(st.integers(2, 3))
        big = np.repeat(base, step, axis=axis)
        return big[(slice(None),) * axis + (slice(None, None, step),)]
    if layout == "negative":
        flip = tuple(slice(None, None, -1) if draw(st.booleans()) else slice(None) for _ in range(base.ndim))
        return base[flip].copy()[flip]
    if layout == "transposed":
        return base.T.copy().T
    if layout == "unaligned":
        raw = np.zeros(base.nbytes + 1, np.uint8)
        a = raw[1:].view(base.dtype).reshape(base.shape)
        a[...] = base
        return a
    if layout == "big-endian":
        return base.astype(base.dtype.newbyteorder(">"))
    if layout == "read-only":
        a = base.copy()
        a.flags.writeable = False
        return a
    raise ValueError(layout)


def snapshot(arrays):
    return {k: (v, v.tobytes(), v.shape) for k, v in arrays.items() if isinstance(v, np.ndarray)}


def assert_unmodified(snap, out):
    for key, (arr, data, shape) in snap.items():
        if out is not None and any(np.shares_memory(arr, o) for o in (out if isinstance(out, tuple) else (out,))):
            continue
        assert arr.tobytes() == data and arr.shape == shape, f"{key} was modified"


@st.composite
def param_values(draw, row, dtype, shape):
    """Parameters for an exact row: scalars or arrays broadcasting along the last axis."""
    ct = reference.compute_dtype(dtype)
    params = {}
    last = shape[-1:] if shape else ()

    def scalar_or_array(finite, not_nan=True, lo=None, hi=None):
        if draw(st.booleans()) or not last:
            v = draw(st.floats(lo, hi, allow_nan=not not_nan, allow_infinity=not finite, width=ct.itemsize * 8))
            return v
        return draw(hnp.arrays(ct, last, elements=st.floats(lo, hi, allow_nan=not not_nan, allow_infinity=not finite,
                                                            width=ct.itemsize * 8)))

    name = row.function
    if name in ("hardtanh", "hardtanh_grad"):
        a, b = scalar_or_array(False), scalar_or_array(False)
        params["min_val"], params["max_val"] = np.minimum(a, b), np.maximum(a, b)
        if np.ndim(a) == 0 and np.ndim(b) == 0:
            params["min_val"], params["max_val"] = float(params["min_val"]), float(params["max_val"])
    elif name == "threshold":
        params["threshold"] = scalar_or_array(False)
        params["value"] = scalar_or_array(False, not_nan=False)
    elif name == "threshold_grad":
        params["threshold"] = scalar_or_array(False)
    elif name in ("leaky_relu", "leaky_relu_grad"):
        slope = draw(st.sampled_from(["any", "zero", "small"]))
        params["negative_slope"] = (scalar_or_array(True) if slope == "any" else
                                    draw(st.sampled_from([0.0, -0.0])) if slope == "zero" else
                                    scalar_or_array(True, lo=-4.0, hi=4.0))
    elif name == "relu_grad":
        params["at_zero"] = scalar_or_array(True)
    return params


def choose_out(draw, row, x, ops, result_shape, dtype):
    """(kind, out): None, a new array of some layout, x itself, grad itself, or a strided view."""
    kinds = ["none", "new", "new-F", "strided"]
    writable_native = lambda a: a.flags.writeable and a.dtype.isnative and a.dtype == dtype  # noqa: E731
    if writable_native(x) and x.shape == result_shape:
        kinds.append("x")
    if "grad" in ops and isinstance(ops["grad"], np.ndarray) and writable_native(ops["grad"]) \
            and ops["grad"].shape == result_shape:
        kinds.append("grad")
    kind = draw(st.sampled_from(kinds)) if row.has_out else "none"
    if kind == "none":
        return kind, None
    if kind == "new":
        return kind, np.full(result_shape, 7, dtype)
    if kind == "new-F":
        return kind, np.full(result_shape, 7, dtype, order="F")
    if kind == "strided":
        big = np.full(result_shape[:-1] + (2 * result_shape[-1],) if result_shape else (), 7, dtype)
        return kind, big[..., ::2] if result_shape else big
    return kind, ops[kind]


def run_on_path(path, fn):
    before = rectifier.capabilities()["enabled"]
    rectifier.set_capabilities([path])
    try:
        with np.errstate(all="ignore"):
            return fn()
    finally:
        rectifier.set_capabilities(before)


# ---- exact functions against the reference ---------------------------------------------------

@SETTINGS
@given(data=st.data())
@pytest.mark.parametrize("row", [r for r in EXACT_ROWS if not r.weight], ids=lambda r: r.name)
def test_exact_functions_equal_the_reference(row, data):
    draw = data.draw
    dtype = np.dtype(draw(st.sampled_from(hc.DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=9))
    base = values(draw, dtype, shape)
    layout = draw(st.sampled_from(LAYOUTS))
    x = in_layout(base, layout, draw)
    params = draw(param_values(row, dtype, shape))
    ops = {"x": x}
    gbase = None
    if row.grad and draw(st.booleans()):
        gbase = values(draw, dtype, shape)
        ops["grad"] = in_layout(gbase, draw(st.sampled_from(LAYOUTS)), draw)
    want = reference.expected(row.function, base, **({"grad": gbase} if gbase is not None else {}), **params)
    kind, out = choose_out(draw, row, x, ops, want.shape, dtype)
    path = draw(st.sampled_from(PATHS))
    snap = snapshot({**ops, **{k: v for k, v in params.items() if isinstance(v, np.ndarray)}})
    got = run_on_path(path, lambda: hc.call(row, ops, out=out, **params))
    if out is not None:
        assert got is out, kind
    assert got.dtype == dtype
    assert_same_bits(got, want)
    assert_unmodified(snap, out)


@st.composite
def prelu_case(draw):
    dtype = np.dtype(draw(st.sampled_from(hc.DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=6))
    axis = draw(st.integers(-len(shape), len(shape) - 1)) if len(shape) >= 2 else 1
    channels = shape[axis] if len(shape) >= 2 else 1
    wdt = draw(st.sampled_from([np.float64, np.float32] if dtype != np.float64 else [np.float64]))
    form = draw(st.sampled_from(["array", "scalar", "list"] if len(shape) >= 2 else ["scalar", "one"]))
    # float16/float32 data compute in float32: weights beyond its range are refused (test_bad_input)
    w = values(draw, wdt, (channels,), finite=True,
               bound=None if dtype == np.float64 else float(np.finfo(np.float32).max))
    weight = {"array": w, "list": [float(v) for v in w], "scalar": float(w[0]) if channels else 0.5,
              "one": w[:1] if channels else np.array([0.5])}[form]
    if form == "scalar" and channels == 0:
        weight = 0.5
    return dtype, shape, axis, weight


@SETTINGS
@given(data=st.data(), case=prelu_case())
def test_prelu_equals_the_reference(data, case):
    draw = data.draw
    dtype, shape, axis, weight = case
    base = values(draw, dtype, shape)
    x = in_layout(base, draw(st.sampled_from(LAYOUTS)), draw)
    want = reference.expected("prelu", base, weight=weight, axis=axis)
    row = hc.ROWS["prelu"]
    kind, out = choose_out(draw, row, x, {"x": x}, want.shape, dtype)
    snap = snapshot({"x": x, "weight": weight})
    got = run_on_path(draw(st.sampled_from(PATHS)), lambda: rectifier.prelu(x, weight, axis=axis, out=out))
    assert_same_bits(got, want)
    assert_unmodified(snap, out)


@SETTINGS
@given(data=st.data(), case=prelu_case())
def test_prelu_grad_equals_the_reference(data, case):
    """grad_x bit for bit; grad_weight (a sum) within the summation bound n * eps * sum|terms|."""
    draw = data.draw
    dtype, shape, axis, weight = case
    base = values(draw, dtype, shape, bound=1e3)
    gbase = values(draw, dtype, shape, bound=1e3) if draw(st.booleans()) else None
    x = in_layout(base, draw(st.sampled_from(LAYOUTS)), draw)
    g = None if gbase is None else in_layout(gbase, draw(st.sampled_from(LAYOUTS)), draw)
    snap = snapshot({"x": x, "grad": g, "weight": weight})
    gx, gw = run_on_path(draw(st.sampled_from(PATHS)), lambda: rectifier.prelu_grad(x, weight, g, axis=axis))
    ct = reference.compute_dtype(dtype)
    w_ct = np.asarray(weight, dtype=ct)
    xs, gs = base.astype(ct).astype(np.float64), None if gbase is None else gbase.astype(ct).astype(np.float64)
    want_gx, want_gw = reference.prelu_grad(xs, w_ct, gs, axis=axis)
    with np.errstate(over="ignore"):  # rounding to dtype overflows to inf where the kernel's does
        want_gx = want_gx.astype(ct).astype(dtype)
    assert_same_bits(gx, want_gx)
    assert gw.dtype == dtype and np.shape(gw) == np.shape(weight)
    terms = np.where(xs > 0, 0.0, (np.ones_like(xs) if gs is None else gs) * xs)
    axes = None if (w_ct.ndim == 0 or w_ct.size == 1 or base.ndim < 2) else \
        tuple(i for i in range(base.ndim) if i != axis % base.ndim)
    bound = np.abs(terms).sum(axis=axes).reshape(np.shape(want_gw)) * (terms.size + 1) * np.finfo(ct).eps
    bound = bound + np.abs(want_gw) * (np.finfo(dtype).eps if dtype == np.float16 else 0)
    got = np.asarray(gw, np.float64)
    within = np.abs(got - want_gw) <= bound
    overflowed = np.isinf(got) & (np.sign(got) == np.sign(want_gw)) & (np.abs(want_gw) + bound >= np.finfo(dtype).max)
    assert np.all(within | overflowed), (gw, want_gw, bound)
    assert_unmodified(snap, None)


# ---- every function: layout and out= invariance -----------------------------------------------

@SETTINGS
@given(data=st.data())
# (prelu, and the functions of more than x alone or not x-shaped, bias_act, linear,
# active_fraction, dead_units, have their own property tests: here, test_prelu_*; test_fused.py)
@pytest.mark.parametrize("row", [r for r in ROWS if not (r.weight or r.bias or r.matrix or r.reduces)],
                         ids=lambda r: r.name)
def test_layout_and_out_do_not_change_the_bits(row, data):
    """Any layout of x (and grad), any out, gives the bits of the call on C-contiguous copies."""
    draw = data.draw
    dtype = np.dtype(draw(st.sampled_from(hc.DTYPES)))
    # (the reductions' rows reduce along axis -1: at least one dimension)
    shape = draw(hnp.array_shapes(min_dims=1 if row.reduction else 0, max_dims=3, min_side=0, max_side=9))
    base = values(draw, dtype, shape)
    ops = {"x": in_layout(base, draw(st.sampled_from(LAYOUTS)), draw)}
    ref_ops = {"x": base}
    if row.grad and (draw(st.booleans()) or row.grad_shape == "reduced"):
        # logsumexp_grad's grad: the result's shape with the reduced axis kept
        gbase = values(draw, dtype, shape[:-1] + (1,) if row.grad_shape == "reduced" else shape)
        ops["grad"], ref_ops["grad"] = in_layout(gbase, draw(st.sampled_from(LAYOUTS)), draw), gbase
    path = draw(st.sampled_from(PATHS))
    want = run_on_path(path, lambda: hc.call(row, ref_ops))
    kind, out = choose_out(draw, row, ops["x"], ops, want.shape, dtype)
    snap = snapshot(ops)
    got = run_on_path(path, lambda: hc.call(row, ops, out=out))
    if out is not None:
        assert got is out, kind
    assert got.dtype == dtype and got.shape == want.shape
    np.testing.assert_array_equal(got.view(f"u{dtype.itemsize}"), want.view(f"u{dtype.itemsize}"))
    assert_unmodified(snap, out)
