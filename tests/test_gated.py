"""The gated units glu, swiglu, geglu (both forms), reglu and their gradients, against float64
SciPy and mpmath references, on every CPU path.

Accuracy (float32 and float16 data: glu and swiglu natively in float32, geglu in float64, each
rounded once):
- float32: act(a) * b within 0.5 + 2^-3 ULP of the exact product (one rounding; silu(a) * b
  composed of two calls rounds twice), glu and swiglu within 0.5 + 2^-4 over every binade;
  reglu exact (correctly rounded).
- float64: within the float64 activation's error plus the product's rounding, 2.5 ULP.
- float16: within 0.5 + 2^-10 ULP (the float32 result rounded to float16).
- gradients: float32 within 0.5 + 2^-3 ULP of the exact grad * b * act'(a) and grad * act(a)
  (swiglu's also around silu's minimum, where 1 + e^a + a cancels).
"""
import numpy as np
import pytest
from scipy import special

import rectifier
from conftest import require_other_paths

UNITS = ("glu", "swiglu", "geglu", "geglu_tanh", "reglu")


def _call(unit, *args, **kw):
    if unit == "geglu_tanh":
        return rectifier.geglu(*args, approximate="tanh", **kw)
    return getattr(rectifier, unit)(*args, **kw)


def _call_grad(unit, *args, **kw):
    if unit == "geglu_tanh":
        return rectifier.geglu_grad(*args, approximate="tanh", **kw)
    return getattr(rectifier, unit + "_grad")(*args, **kw)


def _act(unit, t):
    """The activation and its derivative in float64 (the limits at +-inf)."""
    t = np.asarray(t, np.float64)
    with np.errstate(all="ignore"):
        if unit == "glu":
            s = special.expit(t)
            return s, s * special.expit(-t)
        if unit == "swiglu":
            s = special.expit(t)
            v = np.where(np.isinf(t), np.where(t > 0, t, -0.0), t * s)
            d = np.where(np.isinf(t), np.where(t > 0, 1.0, 0.0), s + t * s * special.expit(-t))
            return v, d
        if unit == "geglu":
            phi = 0.5 * special.erfc(-t / np.sqrt(2))
            dens = np.exp(-0.5 * t * t) / np.sqrt(2 * np.pi)
            v = np.where(np.isinf(t), np.where(t > 0, t, -0.0), t * phi)
            d = np.where(np.isinf(t), np.where(t > 0, 1.0, 0.0), phi + t * dens)
            return v, d
        if unit == "geglu_tanh":
            c = np.sqrt(2 / np.pi)
            two_u = 2 * c * (t + 0.044715 * t ** 3)
            s = special.expit(two_u)
            v = np.where(np.isinf(t), np.where(t > 0, t, -0.0), t * s)
            d = s + t * s * special.expit(-two_u) * 2 * c * (1 + 3 * 0.044715 * t * t)
            d = np.where(np.isinf(t), np.where(t > 0, 1.0, 0.0), d)
            return v, d
        return np.where(t > 0, t, 0.0), np.where(t > 0, 1.0, 0.0)


def _reference(unit, a, b):
    """act(a) * b in float64 (glu: a * sigmoid(b))."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    with np.errstate(all="ignore"):
        if unit == "glu":
            return a * _act(unit, b)[0]
        return _act(unit, a)[0] * b


def _ulps(y, ref, dtype):
    """|y - ref| in ULPs of dtype at ref (NaN where ref is not finite)."""
    info = np.finfo(dtype)
    ref = np.asarray(ref, np.float64)
    mag = np.maximum(np.abs(ref), float(info.tiny))
    ulp = 2.0 ** (np.floor(np.log2(mag)) - info.nmant)
    with np.errstate(all="ignore"):
        return np.where(np.isfinite(ref), np.abs(np.asarray(y, np.float64) - ref) / ulp, np.nan)


def _random_pairs(dtype, n, rng):
    a = rng.standard_normal(n) * 4
    b = rng.standard_normal(n) * 3
    wide = rng.uniform(-30, 30, n // 4)      # the saturated tails
    a[: n // 4] = wide
    return a.astype(dtype), b.astype(dtype)


BOUNDS = {np.float32: 0.5 + 2.0 ** -3, np.float16: 0.5 + 2.0 ** -10, np.float64: 2.5}


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_accuracy_random(cpu_path, unit, dtype):
    """Against float64 SciPy (float64 data: test_float64_against_mpmath)."""
    rng = np.random.default_rng(14)
    a, b = _random_pairs(dtype, 20000, rng)
    y = _call(unit, a, b)
    assert y.dtype == dtype
    ref = _reference(unit, a, b)
    # float16 results below float16's normal range: their absolute error, half a subnormal step
    err = _ulps(y, ref, dtype)
    bound = 0.5 if unit == "reglu" else BOUNDS[dtype]
    assert np.nanmax(err) <= bound, (unit, dtype, np.nanmax(err))


SPECIAL_A = [0.0, -0.0, 1e-40, -1e-40, 1e-30, -1e-30, 0.5, -0.5, 3.0, -3.0, -13.0, -13.7, -19.5,
             -20.0, -20.5, -88.0, -104.0, -150.0, -199.0, -200.0, -200.5, -1e30, 20.0, 88.0,
             1e30, 3.4e38, -3.4e38, np.inf, -np.inf]
SPECIAL_B = [0.0, -0.0, 1.0, -1.0, 1e-45, -1e-45, 1e-30, 1e30, 3.4e38, -3.4e38, np.inf, -np.inf]


@pytest.mark.parametrize("unit", UNITS)
def test_edges_float32(cpu_path, unit):
    """Every pair of special values: within the bound where the exact product is a number (large
    b and the tails of act, where one rounding of act(a) alone would lose the product), NaN where
    it is inf * 0, the sign of a zero product kept."""
    a, b = np.meshgrid(np.array(SPECIAL_A, np.float32), np.array(SPECIAL_B, np.float32))
    a, b = a.ravel(), b.ravel()
    y = _call(unit, a, b)
    ref = _reference(unit, a, b)
    overflow = float.fromhex("0x1.ffffffp127")   # the least magnitude that rounds to inf
    finite = np.abs(ref) < overflow
    assert np.nanmax(_ulps(y[finite], ref[finite], np.float32)) <= BOUNDS[np.float32]
    # act(t) of a finite t != 0 is not 0, though float64 may underflow it: times an infinite
    # multiplier, the exact product is an infinity (the float64 reference says NaN)
    t, m = (b, a) if unit == "glu" else (a, b)
    nonzero_act = np.isfinite(t) & (t != 0) & (unit != "reglu")
    sure = nonzero_act & np.isinf(m)
    with np.errstate(invalid="ignore"):
        sign = np.sign(m) * (1.0 if unit == "glu" else np.sign(t))
        ref = np.where(sure, sign * np.inf, ref)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(ref))
    inf = np.abs(ref) >= overflow
    np.testing.assert_array_equal(y[inf], np.copysign(np.inf, ref[inf]).astype(np.float32))
    zero = ref == 0
    np.testing.assert_array_equal(np.signbit(y[zero]), np.signbit(ref[zero]))


def _mp_silu_grad(t):
    """silu'(t) = sigmoid(t) (1 + t sigmoid(-t)) to 40 digits"""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(40):
        s = 1 / (1 + mpmath.exp(-mpmath.mpf(t)))
        return float(s * (1 + mpmath.mpf(t) * (1 - s)))


def _every_binade_pairs(n, rng):
    """n pairs (t, v) spread over every binade of both (random float32 bit patterns: subnormals,
    infinities and NaNs included), n / 2 more drawn as activations are, and the grid of the
    thresholds of the float32 kernels: where sigmoid's scaled result and the product leave the
    normal range, 2^-100 and 2^100 for the factor, t near -87, -104, -126 ln 2 ... -200."""
    bits = rng.integers(0, 2 ** 32, (2, n), dtype=np.uint64).astype(np.uint32).view(np.float32)
    t = np.concatenate([bits[0], (rng.standard_normal(n // 2) * 4).astype(np.float32)])
    v = np.concatenate([bits[1], (rng.standard_normal(n // 2) * 3).astype(np.float32)])
    f = np.float32
    ts = [0.0, 1e-45, 2.0 ** -126, 2.0 ** -32, 1e-8, 0.5, 1.0, 16.0, 87.0, 88.7, 103.0, 104.0,
          126.0, 150.0, 159.0, 160.0, 161.0, 190.0, 200.0, 250.0, 4096.0, 1e20, 3.4e38, np.inf]
    vs = [0.0, 1e-45, 2.0 ** -126, 2.0 ** -101, 2.0 ** -100, 2.0 ** -60, 1.0, 1.5, 2.0 ** 60,
          2.0 ** 88, 2.0 ** 100, 2.0 ** 101, 2.0 ** 127, 3.4e38, np.inf]

    def near(values):
        x = np.array(values, f)
        return np.concatenate([x, np.nextafter(x, f(np.inf)), np.nextafter(x, f(-np.inf)), -x])

    gt, gv = np.meshgrid(near(ts), near(vs))
    return np.concatenate([t, gt.ravel()]), np.concatenate([v, gv.ravel()])


@pytest.mark.parametrize("unit", ["glu", "swiglu"])
def test_float32_native_units_over_every_binade(cpu_path, unit):
    """glu and swiglu compute float32 and float16 data natively in float32 (sigmoid's parts times
    the factor, rounded once) and send the lanes that leave the normal range to float64: within
    0.5 + 2^-4 ULP of the exact product (the float64 reference: the product of two float32 values
    and expit in float64 is within 2^-50 of it), on 1.5 million pairs and the thresholds' grid."""
    t, v = _every_binade_pairs(10 ** 6, np.random.default_rng(1406))
    y = rectifier.glu(v, t) if unit == "glu" else rectifier.swiglu(t, v)
    with np.errstate(all="ignore"):   # the casts of signaling NaNs
        t64, v64 = t.astype(np.float64), v.astype(np.float64)
        ref = v64 * special.expit(t64) * (1.0 if unit == "glu" else t64)
    overflow = float.fromhex("0x1.ffffffp127")
    finite = np.abs(ref) < overflow
    assert np.max(_ulps(y[finite], ref[finite], np.float32)) <= 0.5 + 2.0 ** -4
    inf = np.isfinite(t) & np.isfinite(v) & ~finite
    np.testing.assert_array_equal(y[inf], np.copysign(np.inf, ref[inf]).astype(np.float32))
    zero = ref == 0
    np.testing.assert_array_equal(np.signbit(y[zero]), np.signbit(ref[zero]))
    # the activation's argument's NaN as it came (a signaling one stays signaling: the same bits
    # on every path), the factor's NaN the positive quiet NaN
    nan = np.isnan(t)
    np.testing.assert_array_equal(y[nan].view(np.uint32), t[nan].view(np.uint32))
    other = np.isnan(v) & ~nan
    np.testing.assert_array_equal(y[other].view(np.uint32), np.uint32(0x7FC00000))
    # the gradients, with grad = v and the factor g: grad_b = act(t) * v as the forward unit (the
    # same kernel; outside its domain the float64 route of the chain rule), grad_a = v * g *
    # act'(t) within 0.5 + 2^-3 ULP, also where silu' vanishes (mpmath there: float64 cancels)
    g = np.random.default_rng(1407).permutation(v)
    if unit == "glu":
        got_b, got_a = rectifier.glu_grad(g, v, b=t)
    else:
        got_a, got_b = rectifier.swiglu_grad(t, v, b=g)
    finite = np.abs(ref) < overflow
    assert np.max(_ulps(got_b[finite], ref[finite], np.float32)) <= 0.5 + 2.0 ** -4
    with np.errstate(all="ignore"):
        g64, s = g.astype(np.float64), special.expit(t64)
        slope = s * special.expit(-t64) * (1.0 if unit == "glu" else t64) + (0.0 if unit == "glu" else s)
        ref_a = v64 * g64 * slope
    if unit == "swiglu":
        near = np.flatnonzero(np.abs(t64 + 1.2784645427610738) < 0.01)
        ref_a[near] = [_mp_silu_grad(t64[i]) * v64[i] * g64[i] for i in near]
    finite = np.abs(ref_a) < overflow
    assert np.max(_ulps(got_a[finite], ref_a[finite], np.float32)) <= 0.5 + 2.0 ** -3
    # and every float32 a within 2^-10 of silu's minimum (the closest one's silu' is 2^-26.7)
    if unit == "swiglu":
        bits = np.float32(-1.2784645427610738).view(np.int32)
        t = np.arange(bits - 8192, bits + 8192, dtype=np.int32).view(np.float32)
        pick = np.r_[0:16384:64, 8160:8224]
        got = rectifier.swiglu_grad(t, None, b=np.ones_like(t))[0][pick]
        ref = np.array([_mp_silu_grad(float(x)) for x in t[pick]])
        assert np.max(_ulps(got, ref, np.float32)) <= 0.5 + 2.0 ** -3


@pytest.mark.parametrize("unit", ["glu", "swiglu"])
def test_float32_native_units_paths_agree(unit):
    paths = rectifier.capabilities()["detected"]
    require_other_paths(paths)
    t, v = _every_binade_pairs(2 * 10 ** 5, np.random.default_rng(77))
    results = {}
    before = rectifier.capabilities()["enabled"]
    try:
        for path in paths:
            rectifier.set_capabilities([path])
            results[path] = _call(unit, t, v).view(np.uint32), _call_grad(unit, t, v, b=t)
    finally:
        rectifier.set_capabilities(before)
    first = results[paths[0]]
    for path in paths[1:]:
        np.testing.assert_array_equal(results[path][0], first[0], err_msg=path)
        for got, want in zip(results[path][1], first[1]):
            np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32), err_msg=path)


@pytest.mark.parametrize("unit", ["glu", "swiglu", "geglu", "geglu_tanh"])
def test_float64_against_mpmath(unit):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    rng = np.random.default_rng(3)
    a = np.concatenate([rng.standard_normal(300) * 5, [-30.0, -8.0, 1e-300, -1e-300, 1e-8, 40.0]])
    b = rng.standard_normal(a.size) * 2

    def act(t):
        t = mpmath.mpf(t)
        if unit == "glu":
            return 1 / (1 + mpmath.exp(-t))
        if unit == "swiglu":
            return t / (1 + mpmath.exp(-t))
        if unit == "geglu":
            return t * mpmath.ncdf(t)
        c = mpmath.sqrt(2 / mpmath.pi)
        return t / (1 + mpmath.exp(-2 * c * (t + mpmath.mpf("0.044715") * t ** 3)))

    if unit == "glu":
        ref = np.array([float(mpmath.mpf(p) * act(q)) for p, q in zip(a, b)])
    else:
        ref = np.array([float(act(p) * mpmath.mpf(q)) for p, q in zip(a, b)])
    y = _call(unit, a, b)
    assert np.max(_ulps(y, ref, np.float64)) <= BOUNDS[np.float64]


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients(cpu_path, unit, dtype):
    rng = np.random.default_rng(5)
    a, b = _random_pairs(dtype, 4000, rng)
    g = (rng.standard_normal(a.size) * 2).astype(dtype)
    ga, gb = _call_grad(unit, a, g, b=b)
    assert ga.dtype == gb.dtype == dtype
    a64, b64, g64 = (np.asarray(v, np.float64) for v in (a, b, g))
    if unit == "glu":   # a * sigmoid(b)
        s, ds = _act(unit, b64)
        ref_a, ref_b = g64 * s, g64 * a64 * ds
    else:
        v, d = _act(unit, a64)
        ref_a, ref_b = g64 * b64 * d, g64 * v
    bound = BOUNDS[np.float32] if dtype == np.float32 else 4.0
    # near the roots of act' the float64 reference itself cancels: a terms-relative bound there
    scale = np.abs(g64 * b64) + np.abs(g64)
    for got, ref in ((ga, ref_a), (gb, ref_b)):
        err = _ulps(got, ref, dtype)
        ok = (err <= bound) | (np.abs(got - ref) <= 1e-13 * scale)
        assert ok.all(), (unit, dtype, np.nanmax(err))
    ones = _call_grad(unit, a, None, b=b)
    np.testing.assert_array_equal(ones[0], _call_grad(unit, a, np.ones_like(a), b=b)[0])


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_paths_agree_bit_for_bit(unit, dtype):
    rng = np.random.default_rng(9)
    a, b = _random_pairs(dtype, 3001, rng)
    a[::97] = np.nan
    b[5::89] = np.inf
    g = rng.standard_normal(a.size).astype(dtype)
    results = {}
    before = rectifier.capabilities()["enabled"]
    try:
        for path in rectifier.capabilities()["detected"]:
            rectifier.set_capabilities([path])
            results[path] = (_call(unit, a, b),) + _call_grad(unit, a, g, b=b)
    finally:
        rectifier.set_capabilities(before)
    first = next(iter(results.values()))
    for path, r in results.items():
        for got, want in zip(r, first):
            np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8), err_msg=path)


@pytest.mark.parametrize("unit", UNITS)
def test_split_form_is_the_two_array_form(unit):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((3, 4, 10)) * 3).astype(np.float32)
    for axis in (-1, 0, 1, 2, -3):
        ax = axis % 3
        h = x.shape[ax] // 2 if x.shape[ax] % 2 == 0 else None
        if h is None:
            with pytest.raises(ValueError, match="even length along axis"):
                _call(unit, x, axis=axis)
            continue
        a, b = np.split(x, 2, axis=ax)
        y = _call(unit, x, axis=axis)
        np.testing.assert_array_equal(y, _call(unit, a, b))
        g = rng.standard_normal(y.shape).astype(np.float32)
        gx = _call_grad(unit, x, g, axis=axis)
        ga, gb = _call_grad(unit, a, g, b=b)
        np.testing.assert_array_equal(gx, np.concatenate([ga, gb], axis=ax))
    # non-contiguous x, F order, negative strides: the same bits
    xt = np.asfortranarray(x[:, :, ::-1])
    np.testing.assert_array_equal(_call(unit, xt), _call(unit, np.ascontiguousarray(xt)))


@pytest.mark.parametrize("n", list(range(0, 36)) + [1001])
def test_every_length(cpu_path, n):
    rng = np.random.default_rng(n)
    a = (rng.standard_normal(n) * 4).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    y = rectifier.swiglu(a, b)
    assert np.nanmax(_ulps(y, _reference("swiglu", a, b), np.float32), initial=0) <= BOUNDS[np.float32]
    x = np.concatenate([a, b])
    np.testing.assert_array_equal(rectifier.swiglu(x), y)


def test_out_and_in_place():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 8)).astype(np.float32)
    a, b = np.ascontiguousarray(x[:, :4]), np.ascontiguousarray(x[:, 4:])
    want = rectifier.swiglu(x)
    out = np.empty((4, 4), np.float32)
    assert rectifier.swiglu(x, out=out) is out
    np.testing.assert_array_equal(out, want)
    a2 = a.copy()
    assert rectifier.swiglu(a2, b, out=a2) is a2
    np.testing.assert_array_equal(a2, want)
    # out overlapping x (a view into it) and a non-contiguous out
    xc = x.copy()
    r = rectifier.swiglu(xc, out=xc[:, :4])
    np.testing.assert_array_equal(r, want)
    big = np.zeros((4, 8), np.float32)
    rectifier.swiglu(x, out=big[:, ::2])
    np.testing.assert_array_equal(big[:, ::2], want)
    ga, gb = rectifier.swiglu_grad(a, None, b=b, out=(np.empty_like(a), np.empty_like(b)))
    np.testing.assert_array_equal(np.concatenate([ga, gb], 1), rectifier.swiglu_grad(x))


def test_dtypes_and_broadcasting():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b64 = np.linspace(-1, 1, 3)
    y = rectifier.reglu(a, b64)
    assert y.dtype == np.float64 and y.shape == (2, 3)
    np.testing.assert_array_equal(y, np.maximum(a, 0) * b64)
    assert rectifier.swiglu(np.arange(4)).dtype == np.float64
    assert rectifier.swiglu(np.ones(4, np.float16)).dtype == np.float16


def test_errors_name_function_parameter_value_and_write_nothing():
    x = np.ones((2, 5), np.float32)
    out = np.full((2, 2), 7.0, np.float32)
    with pytest.raises(ValueError, match=r"swiglu: x must have an even length along axis -1.*got 5"):
        rectifier.swiglu(x, out=out)
    with pytest.raises(np.exceptions.AxisError, match="geglu: axis 2"):
        rectifier.geglu(x, axis=2)
    with pytest.raises(ValueError, match=r"reglu: b has shape \(3,\)"):
        rectifier.reglu(np.ones(4), np.ones(3))
    with pytest.raises(TypeError, match="glu: x has unsupported dtype complex128"):
        rectifier.glu(np.ones(4, complex))
    with pytest.raises(TypeError, match="swiglu: b has unsupported dtype"):
        rectifier.swiglu(np.ones(4), np.array(["a"] * 4))
    with pytest.raises(ValueError, match="geglu: approximate must be 'none' or 'tanh', got 'x'"):
        rectifier.geglu(np.ones(4), approximate="x")
    with pytest.raises(ValueError, match="swiglu: out has shape"):
        rectifier.swiglu(np.ones((2, 4), np.float32), out=np.ones((2, 4), np.float32))
    with pytest.raises(TypeError, match="swiglu: out has dtype float64"):
        rectifier.swiglu(np.ones((2, 4), np.float32), out=np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"swiglu_grad: grad has shape \(3,\)"):
        rectifier.swiglu_grad(np.ones((2, 4)), np.ones(3))
    with pytest.raises(TypeError, match="swiglu_grad: out must be a tuple"):
        rectifier.swiglu_grad(np.ones(4), None, b=np.ones(4), out=np.ones(4))
    np.testing.assert_array_equal(out, 7.0)


def test_nan_rules(cpu_path):
    nan_a = np.float32(np.nan)
    a = np.array([nan_a, 1.0, -np.inf, 2.0], np.float32)
    b = np.array([1.0, np.nan, np.inf, 0.0], np.float32)
    y = rectifier.swiglu(a, b)
    assert np.isnan(y[:3]).all() and y[3] == 0
    # a's own NaN kept
    payload = np.array([0x7FC12345], np.uint32).view(np.float32)
    assert rectifier.swiglu(payload, np.ones(1, np.float32)).view(np.uint32)[0] == 0x7FC12345


def test_dask_is_lazy_and_equal():
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((8, 12)).astype(np.float32)
    dx = da.from_array(x, chunks=(4, 3))
    for unit in UNITS:
        y = _call(unit, dx)
        assert isinstance(y, da.Array) and y.shape == (8, 6)
        np.testing.assert_array_equal(y.compute(), _call(unit, x))
        a, b = x[:, :6], x[:, 6:]
        y2 = _call(unit, da.from_array(a, chunks=3), b)
        np.testing.assert_array_equal(y2.compute(), _call(unit, a, b))
        g = rng.standard_normal((8, 6)).astype(np.float32)
        gx = _call_grad(unit, dx, da.from_array(g, chunks=2))
        np.testing.assert_array_equal(gx.compute(), _call_grad(unit, x, g))
        ga, gb = _call_grad(unit, da.from_array(a, chunks=3), g, b=b)
        want = _call_grad(unit, a, g, b=b)
        np.testing.assert_array_equal(ga.compute(), want[0])
        np.testing.assert_array_equal(gb.compute(), want[1])
    with pytest.raises(ValueError, match="even length"):
        rectifier.swiglu(da.ones((2, 3)))


def test_threads_give_the_same_bits():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((64, 8192)).astype(np.float32)
    with rectifier.num_threads(1):
        one = rectifier.swiglu(x), rectifier.swiglu_grad(x)
    old = rectifier._core._get_parallel_min()
    rectifier._core._set_parallel_min(1000)
    try:
        with rectifier.num_threads(2):
            two = rectifier.swiglu(x), rectifier.swiglu_grad(x)
    finally:
        rectifier._core._set_parallel_min(old)
    for p, q in zip(one, two):
        np.testing.assert_array_equal(p, q)
