"""The reductions and their gradients: logsumexp (with b, return_sign, include_zero),
softmax, log_softmax, logsumexp_grad, softmax_grad, log_softmax_grad.

Every path (scalar and AVX2 here through the cpu_path fixture; NEON under qemu in
test_reduce_neon_qemu.py) against SciPy and a float64 / long double NumPy reference: many shapes and
axes (rows, across columns, tuples, None), huge spreads, the special values, empty slices and
length 1, float16; the float32 logsumexp within 1 ULP; softmax summing to 1 within n eps; gradients
against central differences in float64; the paths bit-identical; every memory layout bit-identical
to the C-contiguous array.
"""
import numpy as np
import pytest

import rectifier
import reference
from conftest import DTYPES, TESTED_PATHS, require_module, require_other_paths

sp = require_module("scipy.special")

LD = np.longdouble
INF, NAN = np.inf, np.nan

SHAPES_AXES = [
    ((1,), -1), ((7,), 0), ((37,), None), ((3, 5), -1), ((3, 5), 0), ((4, 33), 1), ((33, 4), 0),
    ((2, 3, 17), -1), ((2, 3, 17), 1), ((2, 3, 17), 0), ((2, 3, 17), (0, 2)), ((2, 3, 17), (1, 2)),
    ((2, 3, 17), (0, 1)), ((2, 3, 17), None), ((5, 1), 0), ((1, 5), 0), ((16, 300), -1),
    ((300, 19), 0), ((3, 260, 2), 1), ((2, 600), 0), ((4, 2, 3, 5), (1, 3)),
]


def ids(case):
    shape, axis = case
    return f"{'x'.join(map(str, shape))}-ax{axis}"


def sample(shape, dtype, seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * scale).astype(dtype)


def ulp(values, dtype):
    """The ULP of `dtype` at each value (the subnormal ULP below the smallest normal)."""
    info = np.finfo(dtype)
    v = np.abs(np.asarray(values, np.float64))
    exp = np.floor(np.log2(np.maximum(v, info.smallest_normal)))
    return np.exp2(exp - info.nmant)


def ulp_error(got, exact, dtype):
    got = np.asarray(got, np.float64)
    exact = np.asarray(exact, np.float64)
    both_inf = np.isinf(got) & (got == exact)
    err = np.abs(got - exact) / ulp(exact, dtype)
    return np.where(both_inf, 0.0, err)


def ref_logsumexp(x, axis, include_zero=False):
    """log(sum(exp(x))) in long double (with an appended zero logit for include_zero)."""
    if np.asarray(x).dtype == np.float64:
        reference.require_wide_longdouble()
    a = np.asarray(x, LD)
    axes = tuple(range(a.ndim)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    axes = tuple(ax % a.ndim for ax in axes)
    m = np.max(a, axis=axes, keepdims=True, initial=-INF)
    if include_zero:
        m = np.maximum(m, 0)
    shift = np.where(np.isfinite(m), m, 0)
    s = np.sum(np.exp(a - shift), axis=axes, keepdims=True)
    if include_zero:
        s = s + np.exp(-shift)
    return np.squeeze(np.log(s) + shift, axis=axes)


def ref_softmax(x, axis, include_zero=False):
    lse = ref_logsumexp(x, axis, include_zero)
    axes = tuple(range(np.ndim(x))) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    return np.exp(np.asarray(x, LD) - np.expand_dims(lse, tuple(a % np.ndim(x) for a in axes)))


# ---- against SciPy and the long double reference, on every path --------------------------------


@pytest.mark.parametrize("case", SHAPES_AXES, ids=ids)
def test_against_scipy_and_reference(cpu_path, dtype, case):
    shape, axis = case
    x = sample(shape, dtype, seed=len(shape))
    x64 = x.astype(np.float64)
    tol = {np.float16: 1.0, np.float32: 1.0, np.float64: 2.0}[dtype.type]
    lse = rectifier.logsumexp(x, axis=axis)
    assert np.asarray(lse).dtype == dtype
    np.testing.assert_allclose(np.asarray(lse, np.float64), sp.logsumexp(x64, axis=axis),
                               rtol=4 * np.finfo(dtype).eps, atol=4 * np.finfo(dtype).eps)
    assert ulp_error(lse, ref_logsumexp(x, axis), dtype).max() <= tol
    # softmax: e^(x - max) with x - max rounded in the compute type (an error of up to
    # |x - max| eps / 2 in the exponent, as in PyTorch and SciPy), exp within 1 ULP, times 1/sum:
    # relative error <= |x - max| eps / 2 + 3 eps, then rounded to the output (float16);
    eps = np.finfo(np.float32 if dtype != np.float64 else np.float64).eps
    spread = np.abs(x64 - np.max(x64, axis=axis, keepdims=True))
    n = x.size // np.asarray(lse).size if x.size else 0
    # + the float64 sum's rounding, at most n 2^-53 (the worst case; it matters for float64 only)
    bound = spread * eps / 2 + 3 * eps + n * 2.0 ** -53 + np.finfo(dtype).eps / 2
    got = rectifier.softmax(x, axis=axis)
    assert got.dtype == dtype and got.shape == x.shape
    want = sp.softmax(x64, axis=axis) if dtype != np.float64 else ref_softmax(x, axis)
    err = np.abs(got.astype(np.float64) - want)
    assert np.all(err <= bound * want + np.finfo(dtype).smallest_subnormal), np.max(err / want / bound)
    # log_softmax: x - lse in float64 (lse unrounded, within the logsumexp bound: 1 ULP of the
    # result type), rounded once to the output
    got = rectifier.log_softmax(x, axis=axis)
    assert got.dtype == dtype and got.shape == x.shape
    want = sp.log_softmax(x64, axis=axis)
    if dtype == np.float64:   # SciPy's float64 result has errors of its own: long double
        keep = axis if axis is not None else tuple(range(x.ndim))
        want = np.asarray(x, LD) - np.expand_dims(ref_logsumexp(x, axis), keep)
    lse_ulp = np.expand_dims(ulp(lse, np.float32 if dtype != np.float64 else np.float64) * tol,
                             axis if axis is not None else tuple(range(x.ndim)))
    # (x - max) - log(sum): x - max is exact in float64 for float32 data, rounded for float64
    shifted = x64 - np.max(x64, axis=axis, keepdims=True)
    err = np.abs(got.astype(np.float64) - want)
    assert np.all(err <= lse_ulp + ulp(shifted, np.float64) / 2 + ulp(want, dtype) / 2 * 1.0001), \
        np.max(err - lse_ulp)


@pytest.mark.parametrize("case", SHAPES_AXES, ids=ids)
def test_include_zero_is_an_extra_zero_logit(cpu_path, dtype, case):
    shape, axis = case
    x = sample(shape, dtype, seed=3, scale=2.0)
    x64 = x.astype(np.float64).reshape(-1) if axis is None else x.astype(np.float64)
    ax = 0 if axis is None else axis
    axes = ax if isinstance(ax, tuple) else (ax,)
    # the zero logit appended along the (first) reduced axis, once per slice
    moved = np.moveaxis(x64, axes, tuple(range(-len(axes), 0))).reshape(
        np.moveaxis(x64, axes, tuple(range(-len(axes), 0))).shape[:x64.ndim - len(axes)] + (-1,))
    padded = np.concatenate([moved, np.zeros(moved.shape[:-1] + (1,))], axis=-1)
    want_lse = sp.logsumexp(padded, axis=-1)
    want_soft = sp.softmax(padded, axis=-1)[..., :-1]
    lse = np.asarray(rectifier.logsumexp(x, axis=axis, include_zero=True), np.float64)
    np.testing.assert_allclose(lse.reshape(want_lse.shape), want_lse, rtol=4 * np.finfo(dtype).eps,
                               atol=4 * np.finfo(dtype).eps)
    soft = rectifier.softmax(x, axis=axis, include_zero=True).astype(np.float64)
    soft_moved = np.moveaxis(soft.reshape(x64.shape), axes, tuple(range(-len(axes), 0))).reshape(moved.shape)
    # the bound of test_against_scipy_and_reference, the zero logit among the terms
    eps = np.finfo(np.float32 if dtype != np.float64 else np.float64).eps
    spread = np.abs(padded - np.max(padded, axis=-1, keepdims=True))[..., :-1]
    bound = spread * eps / 2 + 3 * eps + padded.shape[-1] * 2.0 ** -53 + np.finfo(dtype).eps / 2
    assert np.all(np.abs(soft_moved - want_soft) <= bound * want_soft + np.finfo(dtype).smallest_subnormal)
    logsoft = rectifier.log_softmax(x, axis=axis, include_zero=True).astype(np.float64)
    keep = np.asarray(rectifier.logsumexp(x, axis=axis, keepdims=True, include_zero=True), np.float64)
    np.testing.assert_allclose(logsoft, x.astype(np.float64) - keep,
                               rtol=4 * np.finfo(dtype).eps, atol=8 * np.finfo(dtype).eps)


def test_float32_logsumexp_within_one_ulp(cpu_path):
    """The accuracy target: float32 logsumexp <= 1 ULP of the exact value, on a sample of rows and
    columns of every length 1..64 and some long ones, at several scales (cancellation included:
    negative maxima whose logsumexp lands near 0)."""
    worst = 0.0
    rng = np.random.default_rng(7)
    for n in list(range(1, 65)) + [100, 255, 1000, 4097]:
        for scale, shift in ((1.0, 0.0), (10.0, 0.0), (0.01, -np.log(n) - 0.5), (3.0, -20.0), (30.0, 50.0)):
            x = (rng.standard_normal((6, n)) * scale + shift).astype(np.float32)
            for axis in (-1,):
                got = rectifier.logsumexp(x, axis=axis)
                worst = max(worst, ulp_error(got, ref_logsumexp(x, axis), np.float32).max())
            got = rectifier.logsumexp(x.T.copy(), axis=0)
            worst = max(worst, ulp_error(got, ref_logsumexp(x, -1), np.float32).max())
    print(f"float32 logsumexp max error: {worst:.3f} ULP")
    assert worst <= 1.0


def ref_rows(x, kind):
    """softmax, log_softmax or logsumexp of float32 rows in long double, the log of the sum as
    log1p of the terms other than the row's maximum (log_softmax of the largest element is
    -log1p(rest), often far below 1, and must keep its relative accuracy)."""
    z = np.asarray(x, LD)
    m = z.max(axis=-1, keepdims=True)
    z = z - m
    rest = np.exp(z)
    rest[np.arange(z.shape[0]), np.argmax(z, axis=-1)] = 0
    log_sum = np.log1p(rest.sum(axis=-1, keepdims=True))
    return {"softmax": np.exp(z - log_sum), "log_softmax": z - log_sum, "logsumexp": (m + log_sum)[:, 0]}[kind]


def adversarial_rows(rng, n):
    """float32 rows of length n: wide and narrow spreads, large offsets (x - max inexact in
    float32), near-cancelling logsumexp, one dominant logit, -inf entries, terms below e^-104."""
    for scale, shift in ((0.1, 0.0), (3.0, 0.0), (30.0, 5.0), (100.0, 0.0), (1e-3, -np.log(n)),
                         (0.01, -np.log(n) - 0.5), (3.0, 1e4), (3.0, -1e5), (50.0, 1e6)):
        yield (rng.standard_normal((4, n)) * scale + shift).astype(np.float32)
    x = (rng.standard_normal((4, n)) * 2).astype(np.float32)
    x[:, n // 2] += np.float32(12 + 4 * rng.random())
    yield x
    yield rng.uniform(-150, 0, (4, n)).astype(np.float32)
    x = rng.standard_normal((4, n)).astype(np.float32)
    x[:, ::3] = -INF
    x[:, -1] = 0.5
    yield x


def test_float32_softmax_within_one_ulp(cpu_path):
    """The accuracy target: float32 softmax, log_softmax and logsumexp within 1 ULP of the exact
    value, over rows (axis=-1) and columns (axis=0) of many lengths, the longest past the terms a
    row keeps (4096), at adversarial ranges."""
    rng = np.random.default_rng(11)
    worst = {}
    for n in (1, 2, 3, 7, 16, 17, 40, 100, 1024, 4100):
        for x in adversarial_rows(rng, n):
            for kind in ("softmax", "log_softmax", "logsumexp"):
                fn, want = getattr(rectifier, kind), ref_rows(x, kind)
                for axis, got in ((-1, fn(x, axis=-1)), (0, np.asarray(fn(np.ascontiguousarray(x.T), axis=0)).T)):
                    with np.errstate(invalid="ignore"):  # -inf - -inf where both are -inf
                        err = ulp_error(got, want, np.float32).max()
                    worst[kind, axis] = max(worst.get((kind, axis), 0.0), err)
    print({f"{k[0]} axis={k[1]}": round(v, 4) for k, v in worst.items()})
    assert max(worst.values()) <= 1.0, worst


def test_float64_logsumexp_within_two_ulp(cpu_path):
    worst = 0.0
    rng = np.random.default_rng(8)
    for n in (1, 2, 3, 7, 16, 17, 100, 1000):
        for scale, shift in ((1.0, 0.0), (10.0, 3.0), (0.001, 0.0), (5.0, -40.0)):
            x = rng.standard_normal((8, n)) * scale + shift
            worst = max(worst, ulp_error(rectifier.logsumexp(x, axis=-1), ref_logsumexp(x, -1), np.float64).max())
            worst = max(worst, ulp_error(rectifier.logsumexp(x.T.copy(), axis=0), ref_logsumexp(x, -1), np.float64).max())
    print(f"float64 logsumexp max error: {worst:.3f} ULP")
    assert worst <= 2.0


@pytest.mark.parametrize("n", [1, 2, 15, 16, 17, 1000, 1024, 5000])
def test_softmax_sums_to_one(cpu_path, dtype, n):
    x = sample((4, n), dtype, seed=n, scale=5.0)
    for axis, data in ((-1, x), (0, np.ascontiguousarray(x.T))):
        s = rectifier.softmax(data, axis=axis).astype(np.float64).sum(axis=axis)
        eps = np.finfo(dtype).eps
        assert np.all(np.abs(s - 1.0) <= max(n, 2) * eps), (axis, np.abs(s - 1).max())


# ---- special values and the edge cases -------------------------------------------------------

# (x, logsumexp, softmax, log_softmax): SciPy's results (checked against SciPy below as well)
SPECIAL_ROWS = [
    ([INF, 1.0], INF, [NAN, NAN], [NAN, -INF]),
    ([-INF, -INF], -INF, [NAN, NAN], [NAN, NAN]),
    ([NAN, 1.0], NAN, [NAN, NAN], [NAN, NAN]),
    ([INF, NAN], NAN, [NAN, NAN], [NAN, NAN]),
    ([INF, -INF], INF, [NAN, NAN], [NAN, -INF]),
    ([INF, INF], INF, [NAN, NAN], [NAN, NAN]),
    ([1.0], 1.0, [1.0], [0.0]),
    ([-INF, 0.0], 0.0, [0.0, 1.0], [-INF, 0.0]),
    ([0.0, -40.0], 4.248354255291589e-18, [1.0, 4.248354255291589e-18], [0.0, -40.0]),
    ([1e30, -1e30], 1e30, [1.0, 0.0], [0.0, -2e30]),
    ([-1e30, -1e30], -1e30 + np.log(2), [0.5, 0.5], [-np.log(2), -np.log(2)]),
]


def _representable(row, dtype):
    finite = [v for v in row[0] if np.isfinite(v)]
    return np.all(np.abs(finite) <= np.finfo(dtype).max)


@pytest.mark.parametrize("dtype, row", [(np.dtype(d), r) for d in DTYPES for r in SPECIAL_ROWS
                                        if _representable(r, d)],
                         ids=lambda v: np.dtype(v).name if isinstance(v, np.dtype) else str(v[0]))
@pytest.mark.parametrize("layout", ["row", "column", "padded"])
def test_special_values(cpu_path, dtype, row, layout):
    x, lse, soft, logsoft = row
    x = np.array(x, np.float64)
    if dtype != np.float64:
        lse = np.float64(dtype.type(lse)) if np.isfinite(lse) else lse
    with np.errstate(all="ignore"):
        xs = x.astype(dtype)
        want_soft = np.array(soft).astype(dtype)
        want_log = np.array(logsoft).astype(dtype)
    # the same slice as a row, as a column of a 2-column matrix, and inside a long row of -inf-free
    # padding would change it, so "padded" repeats the slice in 9 rows (every lane position)
    if layout == "row":
        data, axis, take = xs[None, :], -1, lambda a: a[0]
    elif layout == "column":
        data = np.stack([xs, np.zeros_like(xs)], axis=1)
        axis, take = 0, lambda a: a[..., 0] if a.ndim == 1 else a[:, 0]
    else:
        data, axis, take = np.tile(xs, (9, 1)), -1, lambda a: a[4]
    got = np.asarray(rectifier.logsumexp(data, axis=axis), np.float64)
    got = got[0] if layout != "padded" else got[4]
    np.testing.assert_allclose(got, lse, rtol=2 * np.finfo(dtype).eps)
    np.testing.assert_allclose(take(rectifier.softmax(data, axis=axis)).astype(np.float64),
                               want_soft.astype(np.float64), rtol=4 * np.finfo(dtype).eps)
    np.testing.assert_allclose(take(rectifier.log_softmax(data, axis=axis)).astype(np.float64),
                               want_log.astype(np.float64), rtol=2 * np.finfo(dtype).eps,
                               atol=2 * np.finfo(dtype).eps)
    # and SciPy agrees with the table (float64)
    if dtype == np.float64 and layout == "row":
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(sp.logsumexp(x), lse, rtol=1e-15)
            np.testing.assert_allclose(sp.softmax(x), soft, rtol=1e-15)
            np.testing.assert_allclose(sp.log_softmax(x), logsoft, rtol=1e-15)


def test_include_zero_specials(cpu_path, dtype):
    x = np.array([[-INF, -INF], [NAN, 1.0], [INF, 1.0], [-3.0, -INF]], dtype)
    lse = rectifier.logsumexp(x, axis=1, include_zero=True).astype(np.float64)
    np.testing.assert_allclose(lse, [0.0, NAN, INF, np.log1p(np.exp(-3.0))], rtol=2 * np.finfo(dtype).eps)
    soft = rectifier.softmax(x, axis=1, include_zero=True).astype(np.float64)
    np.testing.assert_array_equal(soft[0], [0.0, 0.0])
    assert np.isnan(soft[1]).all() and np.isnan(soft[2]).all()
    np.testing.assert_allclose(soft[3], [np.exp(-3.0) / (1 + np.exp(-3.0)), 0.0], rtol=4 * np.finfo(dtype).eps)
    log = rectifier.log_softmax(x, axis=1, include_zero=True).astype(np.float64)
    np.testing.assert_array_equal(log[0], [-INF, -INF])


def test_empty_and_length_one(cpu_path, dtype):
    empty = np.zeros((3, 0), dtype)
    assert_equal_nan = np.testing.assert_array_equal
    assert_equal_nan(rectifier.logsumexp(empty, axis=1), np.full(3, -INF, dtype))
    assert_equal_nan(rectifier.logsumexp(empty, axis=1, include_zero=True), np.zeros(3, dtype))
    assert rectifier.logsumexp(np.zeros(0, dtype)) == -INF
    lse, sign = rectifier.logsumexp(np.zeros(0, dtype), return_sign=True)
    assert lse == -INF and sign == 0
    assert rectifier.logsumexp(empty, axis=0).shape == (0,)
    assert rectifier.softmax(empty, axis=1).shape == (3, 0)
    assert rectifier.log_softmax(np.zeros((0, 4), dtype), axis=0).shape == (0, 4)
    assert rectifier.softmax_grad(empty, empty, axis=1).shape == (3, 0)
    one = np.array([[2.5], [-INF], [NAN]], dtype)
    assert_equal_nan(rectifier.logsumexp(one, axis=1), one[:, 0])
    assert_equal_nan(rectifier.softmax(one, axis=1), np.array([[1.0], [NAN], [NAN]], dtype))
    assert_equal_nan(rectifier.log_softmax(one, axis=1), np.array([[0.0], [NAN], [NAN]], dtype))
    # 0-d input: the one element is the slice, for axis None, 0 and -1 (SciPy's answers)
    for axis in (None, 0, -1, (0,), (-1,)):
        lse = rectifier.logsumexp(np.array(3.0, dtype), axis=axis)
        assert np.ndim(lse) == 0 and lse.dtype == dtype and lse == 3.0
        for fn, expected in ((rectifier.softmax, 1.0), (rectifier.log_softmax, 0.0)):
            y = fn(np.array(3.0, dtype), axis=axis)
            assert y.shape == () and y.dtype == dtype and y == expected, (fn, axis, y)
    for fn in (rectifier.softmax, rectifier.log_softmax, rectifier.logsumexp):
        with pytest.raises(np.exceptions.AxisError, match=f"{fn.__name__}.*axis 1"):
            fn(np.array(3.0, dtype), axis=1)


@pytest.mark.parametrize("x_dtype, b_dtype", [(np.float32, np.float64), (np.float32, np.int32),
                                              (np.int32, np.float32), (np.float16, np.float32),
                                              (np.float32, np.float16), (np.float64, np.float32)])
def test_weighted_logsumexp_dtype_follows_numpy_promotion(x_dtype, b_dtype):
    x = np.array([1.0, 2.0, 3.0]).astype(x_dtype)
    b = np.array([1.0, 2.0, 0.5]).astype(b_dtype)
    expected = np.result_type(x_dtype, b_dtype)
    expected = np.dtype(np.float64) if expected.kind in "iu" else expected
    lse, sign = rectifier.logsumexp(x, b=b, return_sign=True)
    assert lse.dtype == expected and sign.dtype == expected
    truth = np.log(np.sum(b.astype(np.float64) * np.exp(x.astype(np.float64))))
    np.testing.assert_allclose(lse.astype(np.float64), truth, rtol=np.finfo(expected).eps)
    # a Python number is a weak scalar (NEP 50): x's dtype stays, as SciPy
    x_float = x.astype(np.float64 if x.dtype.kind in "iu" else x_dtype)
    assert rectifier.logsumexp(x_float, b=2.0).dtype == x_float.dtype
    assert rectifier.logsumexp(x_float, b=2).dtype == x_float.dtype


def test_huge_spreads(cpu_path):
    for dtype in (np.float32, np.float64):
        big = np.finfo(dtype).max / 4
        x = np.array([[big, -big, 0.0, big], [-big, -big, -big, -big * 0.5]], dtype)
        np.testing.assert_allclose(rectifier.logsumexp(x, axis=1).astype(np.float64),
                                   [big + np.log(2.0), -big * 0.5], rtol=2 * np.finfo(dtype).eps)
        np.testing.assert_array_equal(rectifier.softmax(x, axis=1), np.array([[0.5, 0, 0, 0.5], [0, 0, 0, 1]], dtype))
        np.testing.assert_array_equal(rectifier.softmax(np.ascontiguousarray(x.T), axis=0),
                                      np.array([[0.5, 0, 0, 0.5], [0, 0, 0, 1]], dtype).T)


def test_subnormal_results_kept(cpu_path):
    """softmax values deep in the subnormals are kept (float32: e^-100 is 3.7e-44)."""
    x = np.array([0.0, -100.0, -90.0, -103.0, -110.0], np.float32)
    got = rectifier.softmax(x)
    want = (np.exp(x.astype(np.float64) - sp.logsumexp(x.astype(np.float64)))).astype(np.float32)
    assert got[1] > 0 and got[3] > 0 and got[4] == 0
    assert np.max(np.abs(got.astype(np.float64) - want) / np.finfo(np.float32).smallest_subnormal) <= 1


# ---- logsumexp's SciPy options -----------------------------------------------------------------


def test_b_and_return_sign_match_scipy(dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 6)).astype(dtype)
    for b in (rng.standard_normal((4, 6)), np.abs(rng.standard_normal(6)) + 0.1, np.array([[0.0], [1.0], [-2.0], [0.5]])):
        for axis in (None, 0, 1, (0, 1)):
            for return_sign in (False, True):
                with np.errstate(all="ignore"):
                    want = sp.logsumexp(x.astype(np.float64), axis=axis, b=b, return_sign=return_sign)
                got = rectifier.logsumexp(x, axis=axis, b=b, return_sign=return_sign)
                if return_sign:
                    np.testing.assert_allclose(np.asarray(got[0], np.float64), want[0], rtol=4 * np.finfo(dtype).eps)
                    np.testing.assert_array_equal(np.asarray(got[1], np.float64), want[1])
                    assert np.asarray(got[0]).dtype == np.result_type(dtype, b.dtype)  # float64 b: float64
                else:
                    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=4 * np.finfo(dtype).eps)
    # a zero weight removes even a +inf term (SciPy)
    assert rectifier.logsumexp([INF, 1.0], b=[0, 1]) == 1.0
    assert np.isnan(rectifier.logsumexp([1.0, 2.0], b=[1, -2]))
    assert rectifier.logsumexp([1.0, 2.0], b=[1, -2], return_sign=True)[1] == -1


def test_keepdims_and_return_sign_without_b(dtype):
    x = sample((3, 4, 5), dtype)
    for axis in (None, 0, (0, 2), -1):
        got = rectifier.logsumexp(x, axis=axis, keepdims=True)
        want = sp.logsumexp(x.astype(np.float64), axis=axis, keepdims=True)
        assert np.shape(got) == want.shape
    lse, sign = rectifier.logsumexp(np.array([[1.0, -INF], [-INF, -INF], [NAN, 0]], dtype), axis=1, return_sign=True)
    np.testing.assert_array_equal(sign, np.array([1.0, 0.0, NAN], dtype))


# ---- the gradients ---------------------------------------------------------------------------


def numeric_grad(f, x, g, h=1e-6):
    """d(sum(g * f(x)))/dx by central differences in float64."""
    out = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        out[i] = (np.sum(g * f(xp)) - np.sum(g * f(xm))) / (2 * h)
    return out


@pytest.mark.parametrize("shape,axis", [((5,), -1), ((3, 4), -1), ((3, 4), 0), ((2, 3, 4), (0, 2)), ((2, 3, 4), None)])
@pytest.mark.parametrize("include_zero", [False, True])
def test_gradients_against_finite_differences(cpu_path, shape, axis, include_zero):
    rng = np.random.default_rng(11)
    x = rng.standard_normal(shape)
    g = rng.standard_normal(shape)
    y = rectifier.softmax(x, axis=axis, include_zero=include_zero)
    want = numeric_grad(lambda v: rectifier.softmax(v, axis=axis, include_zero=include_zero), x, g)
    np.testing.assert_allclose(rectifier.softmax_grad(y, g, axis=axis), want, rtol=1e-6, atol=1e-8)
    ly = rectifier.log_softmax(x, axis=axis, include_zero=include_zero)
    want = numeric_grad(lambda v: rectifier.log_softmax(v, axis=axis, include_zero=include_zero), x, g)
    np.testing.assert_allclose(rectifier.log_softmax_grad(ly, g, axis=axis), want, rtol=1e-6, atol=1e-8)
    lse = rectifier.logsumexp(x, axis=axis, include_zero=include_zero)
    gl = rng.standard_normal(np.shape(lse))
    want = numeric_grad(lambda v: rectifier.logsumexp(v, axis=axis, include_zero=include_zero), x, gl)
    np.testing.assert_allclose(rectifier.logsumexp_grad(x, gl, axis=axis, include_zero=include_zero), want,
                               rtol=1e-6, atol=1e-8)
    # grad with the reduced axes kept
    gk = np.asarray(gl).reshape(np.shape(rectifier.logsumexp(x, axis=axis, keepdims=True)))
    np.testing.assert_array_equal(rectifier.logsumexp_grad(x, gk, axis=axis, include_zero=include_zero),
                                  rectifier.logsumexp_grad(x, gl, axis=axis, include_zero=include_zero))


def test_gradients_float32_and_float16_follow_float64(cpu_path):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((6, 40))
    g = rng.standard_normal((6, 40))
    for dtype, tol in ((np.float32, 2e-6), (np.float16, 2e-3)):
        for axis in (-1, 0):
            y = rectifier.softmax(x.astype(dtype), axis=axis)
            want = rectifier.softmax_grad(y.astype(np.float64), g.astype(dtype).astype(np.float64), axis=axis)
            got = rectifier.softmax_grad(y, g.astype(dtype), axis=axis)
            assert got.dtype == dtype
            np.testing.assert_allclose(got.astype(np.float64), want, atol=tol)
            ly = rectifier.log_softmax(x.astype(dtype), axis=axis)
            want = rectifier.log_softmax_grad(ly.astype(np.float64), g.astype(dtype).astype(np.float64), axis=axis)
            np.testing.assert_allclose(rectifier.log_softmax_grad(ly, g.astype(dtype), axis=axis).astype(np.float64),
                                       want, atol=tol * 10)


def test_gradients_are_zero_on_all_minus_inf_slices(cpu_path, dtype):
    x = np.array([[-INF, -INF, -INF], [0.0, 1.0, -INF]], dtype)
    g = np.array([[1.0, 2.0, 3.0], [1.0, -1.0, 0.5]], dtype)
    for axis, data, grad in ((1, x, g), (0, np.ascontiguousarray(x.T), np.ascontiguousarray(g.T))):
        y = rectifier.softmax(data, axis=axis)
        assert np.isnan(np.take(y, 0, axis=1 - axis)).all()
        for fn, fwd in ((rectifier.softmax_grad, y), (rectifier.log_softmax_grad, rectifier.log_softmax(data, axis=axis))):
            got = fn(fwd, grad, axis=axis)
            assert not np.isnan(got).any()
            np.testing.assert_array_equal(np.take(got, 0, axis=1 - axis), np.zeros(3, dtype))
        got = rectifier.logsumexp_grad(data, np.array([1.0, 2.0], dtype), axis=axis)
        assert not np.isnan(got).any()
        np.testing.assert_array_equal(np.take(got, 0, axis=1 - axis), np.zeros(3, dtype))


# ---- paths, layouts, out= ---------------------------------------------------------------------


CALLS = {
    "logsumexp": lambda x, ax: rectifier.logsumexp(x, axis=ax),
    "logsumexp_iz": lambda x, ax: rectifier.logsumexp(x, axis=ax, include_zero=True),
    "softmax": lambda x, ax: rectifier.softmax(x, axis=ax),
    "softmax_iz": lambda x, ax: rectifier.softmax(x, axis=ax, include_zero=True),
    "log_softmax": lambda x, ax: rectifier.log_softmax(x, axis=ax),
    "logsumexp_grad": lambda x, ax: rectifier.logsumexp_grad(x, np.ones(np.shape(rectifier.logsumexp(x, axis=ax))), axis=ax),
    "softmax_grad": lambda x, ax: rectifier.softmax_grad(rectifier.softmax(x, axis=ax), np.asarray(x)[..., ::-1] * 0.5, axis=ax),
    "log_softmax_grad": lambda x, ax: rectifier.log_softmax_grad(rectifier.log_softmax(x, axis=ax), np.asarray(x)[..., ::-1] * 0.5, axis=ax),
    "softmin": lambda x, ax: rectifier.softmin(x, axis=ax),
    "softmin_grad": lambda x, ax: rectifier.softmin_grad(rectifier.softmin(x, axis=ax), np.asarray(x)[..., ::-1] * 0.5, axis=ax),
}


def assert_same_bits(a, b, msg=""):
    """The same values bit for bit (the sign of zero included), NaN where the other is NaN (NaN
    payloads aside: x86 and ARM make different default NaNs)."""
    a, b = np.atleast_1d(np.asarray(a)), np.atleast_1d(np.asarray(b))
    assert a.dtype == b.dtype and a.shape == b.shape, msg
    nan = np.isnan(a)
    np.testing.assert_array_equal(nan, np.isnan(b), err_msg=msg)
    np.testing.assert_array_equal(a[~nan].view(np.uint8), b[~nan].view(np.uint8), err_msg=msg)


def special_mix(shape, dtype, seed):
    x = sample(shape, dtype, seed=seed)
    flat = x.reshape(-1)
    rng = np.random.default_rng(seed)
    for v in (INF, -INF, NAN, 0.0, -0.0, np.finfo(dtype).smallest_subnormal):
        flat[rng.integers(0, flat.size)] = v
    return x


def test_paths_are_bit_identical(dtype):
    paths = TESTED_PATHS
    if len(paths) < 2:
        require_other_paths(paths)
    before = rectifier.capabilities()["enabled"]
    try:
        for shape, axis in SHAPES_AXES:
            x = special_mix(shape, dtype, seed=sum(shape)) if np.prod(shape) > 20 else sample(shape, dtype)
            for name, fn in CALLS.items():
                results = []
                for p in paths:
                    rectifier.set_capabilities([p])
                    results.append(np.asarray(fn(x, axis)))
                for p, result in zip(paths[1:], results[1:]):
                    assert_same_bits(result, results[0], f"{name} {shape} axis={axis}: {p} vs {paths[0]}")
    finally:
        rectifier.set_capabilities(before)


def layouts(x):
    """x in other memory layouts with the same values."""
    yield "F", np.asfortranarray(x)
    big = np.zeros(tuple(2 * s + 1 for s in x.shape), x.dtype)
    view = big[tuple(slice(1, None, 2) for _ in x.shape)]
    view[...] = x
    yield "strided", view
    rev = np.ascontiguousarray(x[tuple(slice(None, None, -1) for _ in x.shape)])
    yield "negative", rev[tuple(slice(None, None, -1) for _ in x.shape)]
    yield "byteswapped", x.astype(x.dtype.newbyteorder(">"))
    ro = x.copy()
    ro.flags.writeable = False
    yield "read-only", ro


@pytest.mark.parametrize("case", [((5, 33), -1), ((33, 5), 0), ((3, 4, 5), (0, 2)), ((3, 4, 5), None)], ids=ids)
def test_every_layout_gives_the_same_bits(cpu_path, dtype, case):
    shape, axis = case
    x = special_mix(shape, dtype, seed=5)
    for name, fn in CALLS.items():
        want = np.asarray(fn(x, axis))
        for label, other in layouts(x):
            got = np.asarray(fn(other, axis))
            assert got.dtype == want.dtype, (name, label)
            assert_same_bits(got, want, f"{name} {label}")


def test_out_and_in_place(cpu_path, dtype):
    x = special_mix((6, 40), dtype, seed=9)
    for name in ("softmax", "log_softmax"):
        fn = getattr(rectifier, name)
        for axis in (-1, 0, None):
            want = fn(x, axis=axis)
            out = np.full_like(x, 7)
            assert fn(x, axis=axis, out=out) is out
            assert_same_bits(out, want)
            inplace = x.copy()
            assert fn(inplace, axis=axis, out=inplace) is inplace
            assert_same_bits(inplace, want)
            fout = np.asfortranarray(np.full_like(x, 7))
            fn(x, axis=axis, out=fout)
            np.testing.assert_array_equal(fout, want)
    y = rectifier.softmax(x, axis=1)
    g = sample(x.shape, dtype, seed=2)
    want = rectifier.softmax_grad(y, g, axis=1)
    gg = g.copy()
    assert rectifier.softmax_grad(y, gg, axis=1, out=gg) is gg
    assert_same_bits(gg, want)


def test_gradient_in_place_on_y_keeps_nan_from_grad(cpu_path):
    """out=y: an all -inf slice still gets 0, and a NaN incoming gradient still gives NaN."""
    x = np.array([[-INF, 0.0, 1.0], [-INF, 2.0, 3.0]])
    for axis, data in ((0, x), (1, np.ascontiguousarray(x.T))):
        g = np.ones_like(data)
        np.moveaxis(g, axis, 0)[:, 1] = NAN   # one NaN in the second slice
        y = rectifier.softmax(data, axis=axis)
        want = rectifier.softmax_grad(y.copy(), g, axis=axis)
        got = rectifier.softmax_grad(y, g, axis=axis, out=y)
        assert got is y
        assert_same_bits(got, want)
        assert (np.take(got, 0, axis=1 - axis) == 0).all()
        assert np.isnan(np.take(got, 1, axis=1 - axis)).all()


def test_integer_and_bool_inputs_give_float64():
    assert rectifier.logsumexp([1, 2, 3]).dtype == np.float64
    assert rectifier.softmax(np.array([True, False])).dtype == np.float64
    np.testing.assert_allclose(rectifier.softmax(np.arange(4)), sp.softmax(np.arange(4.0)), rtol=1e-15)


# ---- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["logsumexp", "softmax", "log_softmax", "softmin", "logsumexp_grad", "softmax_grad",
                                  "log_softmax_grad", "softmin_grad"])
def test_bad_arguments_name_the_function_parameter_and_value(name):
    fn = getattr(rectifier, name)
    x = np.ones((2, 3))
    extra = () if name in ("logsumexp", "softmax", "log_softmax", "softmin") else (
        (np.ones(2),) if name == "logsumexp_grad" else (np.ones((2, 3)),))
    with pytest.raises(np.exceptions.AxisError, match=f"{name}.*axis 2"):
        fn(x, *extra, axis=2)
    with pytest.raises(np.exceptions.AxisError, match=f"{name}.*axis -3"):
        fn(x, *extra, axis=-3)
    with pytest.raises(TypeError, match=f"{name}.*axis.*1.5"):
        fn(x, *extra, axis=1.5)
    with pytest.raises(ValueError, match=f"{name}.*axis.*twice"):
        fn(x, *extra, axis=(1, -1))
    with pytest.raises(TypeError, match=f"{name}.*complex"):
        fn(x.astype(complex), *extra)
    with pytest.raises(TypeError, match=f"{name}.*object"):
        fn(x.astype(object), *extra)


def test_bad_grad_and_out_write_nothing():
    x = np.ones((2, 3))
    out = np.full((2, 3), 7.0)
    with pytest.raises(ValueError, match="softmax_grad.*grad.*shape"):
        rectifier.softmax_grad(x, np.ones((3, 2)), out=out)
    with pytest.raises(ValueError, match="logsumexp_grad.*grad.*shape"):
        rectifier.logsumexp_grad(x, np.ones(5), axis=1, out=out)
    with pytest.raises(TypeError, match="softmax.*out.*dtype"):
        rectifier.softmax(x, out=np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="softmax.*out.*shape"):
        rectifier.softmax(x, out=np.ones((3, 2)))
    ro = np.ones((2, 3))
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="log_softmax.*out.*read-only"):
        rectifier.log_softmax(x, out=ro)
    with pytest.raises(TypeError, match="logsumexp.*keepdims"):
        rectifier.logsumexp(x, keepdims="yes")
    with pytest.raises(ValueError, match="logsumexp.*b.*shape"):
        rectifier.logsumexp(x, b=np.ones(4))
    np.testing.assert_array_equal(out, 7.0)


def test_softmin_is_softmax_of_the_negated_input(dtype, cpu_path):
    """softmin(x) has softmax(-x)'s bits (negation is exact); its gradient is the Jacobian-vector
    product of softmin, checked against float64 NumPy: -y (g - sum(g y))."""
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((7, 19)) * 4).astype(dtype)
    x[1, 3], x[2, :] = -INF, INF
    g = rng.standard_normal(x.shape).astype(dtype)
    for axis in (-1, 0, None):
        for include_zero in (False, True):
            assert_same_bits(rectifier.softmin(x, axis=axis, include_zero=include_zero),
                             rectifier.softmax(-x, axis=axis, include_zero=include_zero), f"axis={axis}")
        y = rectifier.softmin(x[3:], axis=axis)   # the finite rows
        g_part = g[3:]
        y64, g64 = y.astype(np.float64), g_part.astype(np.float64)
        want = -y64 * (g64 - np.sum(g64 * y64, axis=axis, keepdims=True))
        scale = np.abs(y64) * (np.abs(g64) + np.sum(np.abs(g64 * y64), axis=axis, keepdims=True))
        got = rectifier.softmin_grad(y, g_part, axis=axis).astype(np.float64)
        assert np.all(np.abs(got - want) <= 4 * np.finfo(dtype).eps * scale + np.finfo(dtype).smallest_subnormal)
    # a slice that is NaN throughout (softmin of a slice with -inf) gets 0, never NaN
    assert_same_bits(rectifier.softmin_grad(rectifier.softmin(x[1:3]), g[1:3]), np.zeros((2, 19), dtype))
    # the smallest entry gets the largest weight; PyTorch's example values
    np.testing.assert_allclose(rectifier.softmin(np.array([1.0, 2.0, 3.0])), [0.66524096, 0.24472847, 0.09003057],
                               rtol=1e-7)
    assert rectifier.softmin(np.array([True, False])).dtype == np.float64
    xw = x.copy()
    assert rectifier.softmin(xw, out=xw) is xw   # in place
    assert_same_bits(xw, rectifier.softmax(-x))
