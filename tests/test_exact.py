"""The exact rectifiers and their derivatives, on every CPU path, against tests/reference.py.

Exact functions must equal the reference bit for bit (sign of zero included; NaN where the reference
is NaN), for every dtype, every length around the vector widths, every memory layout, allocating,
with out= and in place.
"""
import numpy as np
import pytest

import rectifier
import reference
from conftest import TESTED_PATHS, assert_same_bits, mixed_input, require_other_paths

FORWARD_CASES = [
    ("relu", {}),
    ("relu6", {}),
    ("hardtanh", {}),
    ("hardtanh", {"min_val": 0.0, "max_val": 6.0}),
    ("hardtanh", {"min_val": -2.0, "max_val": -2.0}),
    ("hardtanh", {"min_val": -np.inf, "max_val": 0.5}),
    ("threshold", {"threshold": 0.5, "value": -3.0}),
    ("threshold", {"threshold": -1.0, "value": np.inf}),
    ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": -0.5}),
    ("leaky_relu", {"negative_slope": 3.0}),
    ("leaky_relu", {"negative_slope": 0.0}),
]
GRAD_CASES = [
    ("relu_grad", {}),
    ("relu_grad", {"at_zero": 0.5}),
    ("relu6_grad", {}),
    ("hardtanh_grad", {}),
    ("hardtanh_grad", {"min_val": -0.5, "max_val": 2.0}),
    ("threshold_grad", {"threshold": 0.5}),
    ("threshold_grad", {"threshold": 0.5, "value": 7.0}),  # the forward's keyword, ignored
    ("leaky_relu_grad", {}),
    ("leaky_relu_grad", {"negative_slope": 0.2}),
    ("leaky_relu_grad", {"negative_slope": -2.0}),
]
ALL_CASES = FORWARD_CASES + GRAD_CASES
LENGTHS = list(range(0, 2 * 8 + 2)) + [31, 100, 1000, 4099, 5003]


def case_id(case):
    name, params = case
    return name + "".join(f"-{k}={v}" for k, v in params.items())


def call(name, x, params, grad=None, out=None):
    f = getattr(rectifier, name)
    kwargs = dict(params)
    if out is not None:
        kwargs["out"] = out
    if name.endswith("_grad"):
        return f(x, grad, **kwargs)
    return f(x, **kwargs)


def expected(name, x, params, grad=None):
    params = {k: v for k, v in params.items() if not (name == "threshold_grad" and k == "value")}
    if name.endswith("_grad"):
        return reference.expected(name, x, grad=grad, **params)
    return reference.expected(name, x, **params)


def grad_input(dtype, n):
    """Incoming gradients with the awkward values too (inf, NaN, -0, huge)."""
    return mixed_input(dtype, n, seed=99)[::-1].copy()


# ---- values --------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ALL_CASES, ids=case_id)
def test_every_length_matches_reference(case, cpu_path, dtype):
    name, params = case
    for n in LENGTHS:
        x = mixed_input(dtype, n)
        grads = [None, grad_input(dtype, n)] if name.endswith("_grad") else [None]
        for g in grads:
            want = expected(name, x, params, g)
            with np.errstate(all="ignore"):
                assert_same_bits(call(name, x, params, g), want)
                out = np.full_like(x, 7)
                assert call(name, x, params, g, out=out) is out
                assert_same_bits(out, want)
                inplace = x.copy()
                assert call(name, inplace, params, g, out=inplace) is inplace
                assert_same_bits(inplace, want)
                if g is not None:  # the gradient buffer reused as the output
                    gbuf = g.copy()
                    call(name, x, params, gbuf, out=gbuf)
                    assert_same_bits(gbuf, want)


@pytest.mark.parametrize("case", ALL_CASES, ids=case_id)
def test_paths_agree_bit_for_bit(case, dtype):
    """Every path this CPU runs returns the scalar path's bits, NaN payloads included."""
    name, params = case
    paths = TESTED_PATHS
    if len(paths) < 2:
        require_other_paths(paths)
    x = mixed_input(dtype, 4099)
    g = grad_input(dtype, 4099) if name.endswith("_grad") else None
    before = rectifier.capabilities()["enabled"]
    results = []
    try:
        for path in paths:
            rectifier.set_capabilities([path])
            with np.errstate(all="ignore"):
                results.append(call(name, x, params, g).view(f"u{x.itemsize}"))
    finally:
        rectifier.set_capabilities(before)
    for path, result in zip(paths[1:], results[1:]):
        np.testing.assert_array_equal(result, results[0], err_msg=f"{path} vs {paths[0]}")


def test_float16_exhaustive(cpu_path):
    """All 65536 float16 inputs, computed in float32 and rounded once."""
    x = np.arange(65536, dtype=np.uint16).view(np.float16)
    for name, params in ALL_CASES:
        g = np.full_like(x, -1.5) if name.endswith("_grad") else None
        with np.errstate(all="ignore"):
            assert_same_bits(call(name, x, params, g), expected(name, x, params, g))


def test_special_values_documented():
    """The headline special values, spelled out."""
    f32 = np.float32
    x = np.array([-0.0, np.nan, -np.inf, np.inf, 1e-45], f32)
    r = rectifier.relu(x)
    assert not np.signbit(r[0]) and np.isnan(r[1]) and r[2] == 0 and r[3] == np.inf and r[4] == f32(1e-45)
    lr = rectifier.leaky_relu(x)
    assert lr[0] == 0 and np.signbit(lr[0]) and np.isnan(lr[1]) and lr[2] == -np.inf
    assert rectifier.relu_grad(np.array([0.0]))[0] == 0.0
    assert rectifier.relu_grad(np.array([0.0]), at_zero=1.0)[0] == 1.0
    assert rectifier.leaky_relu_grad(np.array([0.0]), negative_slope=0.3)[0] == 0.3
    assert np.isnan(rectifier.relu_grad(np.array([np.nan]))[0])
    # where f'(x) is 0, an infinite incoming gradient does not make NaN
    assert rectifier.relu_grad(np.array([-1.0]), np.array([np.inf]))[0] == 0.0


# ---- layouts -------------------------------------------------------------------------------

def layouts(base):
    """(label, view) pairs of the same logical data in different memory layouts."""
    yield "C", base
    yield "F", np.asfortranarray(base)
    yield "strided", np.repeat(base, 2, axis=1)[:, ::2]
    yield "negative", base[::-1, ::-1].copy()[::-1, ::-1]
    yield "transposed", base.T.copy().T
    ro = base.copy()
    ro.flags.writeable = False
    yield "read-only", ro
    big_endian = base.astype(base.dtype.newbyteorder(">"))
    yield "big-endian", big_endian


@pytest.mark.parametrize("case", ALL_CASES, ids=case_id)
def test_layouts_give_identical_results(case, cpu_path, dtype):
    name, params = case
    base = mixed_input(dtype, 37 * 11).reshape(37, 11)
    g = grad_input(dtype, 37 * 11).reshape(37, 11) if name.endswith("_grad") else None
    want = expected(name, base, params, g)
    for label, x in layouts(base):
        with np.errstate(all="ignore"):
            got = call(name, x, params, g)
        assert got.dtype == dtype, label
        assert_same_bits(got, want)
        if label == "F" and g is None:
            assert got.flags.f_contiguous, "F-ordered input gives F-ordered output"
    if g is not None:
        for label, gv in layouts(g):
            with np.errstate(all="ignore"):
                assert_same_bits(call(name, base, params, gv), want)


def test_zero_dim_scalars_and_empty(dtype):
    x0 = np.array(-1.5, dtype)
    r = rectifier.leaky_relu(x0)
    assert np.ndim(r) == 0 and r.dtype == dtype
    assert_same_bits(r, reference.expected("leaky_relu", x0))
    assert rectifier.relu(dtype.type(-2.0)) == 0
    for shape in [(0,), (3, 0), (0, 5, 2)]:
        e = np.empty(shape, dtype)
        assert rectifier.relu(e).shape == shape
        assert rectifier.relu_grad(e, e).shape == shape
        assert rectifier.relu(e, out=e) is e
    out0 = np.zeros((), dtype)
    rectifier.relu(np.array(3.0, dtype), out=out0)
    assert out0 == 3


# ---- dtypes --------------------------------------------------------------------------------

@pytest.mark.parametrize("int_dtype", [np.bool_, np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint64])
def test_integers_and_bool_become_float64(int_dtype):
    x = np.array([0, 1, 2, 3], dtype=int_dtype) if int_dtype is not np.bool_ else np.array([True, False])
    if np.dtype(int_dtype).kind == "i":
        x = x - 2
    for name, params in ALL_CASES:
        got = call(name, x, params, x if name.endswith("_grad") else None)
        assert got.dtype == np.float64, name
        with np.errstate(all="ignore"):
            want = expected(name, x.astype(np.float64), params,
                            x.astype(np.float64) if name.endswith("_grad") else None)
        assert_same_bits(got, want)
    assert rectifier.relu([-1, 2]).dtype == np.float64
    assert rectifier.relu(3) == 3.0


@pytest.mark.parametrize("bad", [np.array([1 + 2j]), np.array([object()]), np.array(["a"]),
                                 np.array([1.0], np.longdouble) if np.finfo(np.longdouble).bits > 64
                                 else np.array([1], "m8[s]"),
                                 np.array(["2020-01-01"], "M8[D]")])
def test_unsupported_dtypes_raise_type_error(bad):
    for name, params in ALL_CASES:
        with pytest.raises(TypeError, match="dtype"):
            call(name, bad, params)


# ---- out= -------------------------------------------------------------------------------------

BAD_OUTS = [
    ("wrong dtype", lambda x: np.zeros(x.shape, np.float64 if x.dtype != np.float64 else np.float32), TypeError),
    ("wrong shape", lambda x: np.zeros(x.shape + (1,), x.dtype), ValueError),
    ("too short", lambda x: np.zeros(x.size - 1, x.dtype), ValueError),
    ("read-only", lambda x: np.frombuffer(bytes(x.nbytes), x.dtype), ValueError),
    ("a list", lambda x: [0.0] * x.size, TypeError),
]


@pytest.mark.parametrize("case", ALL_CASES, ids=case_id)
@pytest.mark.parametrize("label,make,error", BAD_OUTS, ids=[b[0] for b in BAD_OUTS])
def test_bad_out_raises_and_writes_nothing(case, label, make, error, dtype):
    name, params = case
    x = mixed_input(dtype, 20)
    out = make(x)
    before = np.array(out, copy=True)
    with pytest.raises(error, match="out"):
        call(name, x, params, x if name.endswith("_grad") else None, out=out)
    np.testing.assert_array_equal(np.asarray(out), before)


@pytest.mark.parametrize("case", ALL_CASES, ids=case_id)
def test_partially_overlapping_out_is_handled_like_numpy(case, dtype):
    """out shifted against x over the same buffer: the result is as if x had been copied first."""
    name, params = case
    for shift in (1, -1, 5):
        buf = mixed_input(dtype, 64)
        x = buf[8:40] if shift > 0 else buf[8:40]
        out = buf[8 + shift:40 + shift]
        g = grad_input(dtype, 32) if name.endswith("_grad") else None
        with np.errstate(all="ignore"):
            want = expected(name, x.copy(), params, g)
            call(name, x, params, g, out=out)
        assert_same_bits(out, want)


# ---- parameters --------------------------------------------------------------------------

BAD_PARAMS = [
    (rectifier.leaky_relu, {"negative_slope": np.nan}, ValueError, "negative_slope"),
    (rectifier.leaky_relu, {"negative_slope": np.inf}, ValueError, "negative_slope"),
    (rectifier.leaky_relu, {"negative_slope": "0.1x"}, TypeError, "negative_slope"),
    (rectifier.leaky_relu, {"negative_slope": np.array([0.1, np.nan])}, ValueError, "negative_slope"),
    (rectifier.leaky_relu, {"negative_slope": np.array([1j])}, TypeError, "negative_slope"),
    (rectifier.leaky_relu_grad, {"negative_slope": np.inf}, ValueError, "negative_slope"),
    (rectifier.hardtanh, {"min_val": 2.0, "max_val": 1.0}, ValueError, "min_val"),
    (rectifier.hardtanh, {"min_val": np.nan}, ValueError, "min_val"),
    (rectifier.hardtanh, {"max_val": np.nan}, ValueError, "max_val"),
    (rectifier.hardtanh, {"min_val": np.array([0.0, 3.0]), "max_val": 2.0}, ValueError, "min_val"),
    (rectifier.hardtanh_grad, {"min_val": 2.0, "max_val": 1.0}, ValueError, "min_val"),
    (rectifier.threshold, {"threshold": np.nan, "value": 0.0}, ValueError, "threshold"),
    (rectifier.threshold, {"threshold": None, "value": 0.0}, TypeError, "threshold"),
    (rectifier.threshold_grad, {"threshold": np.nan}, ValueError, "threshold"),
    (rectifier.relu_grad, {"at_zero": np.nan}, ValueError, "at_zero"),
    (rectifier.relu_grad, {"at_zero": np.inf}, ValueError, "at_zero"),
    (rectifier.prelu, {"weight": np.array([0.1, 0.2, 0.3])}, ValueError, "weight"),
    (rectifier.prelu, {"weight": np.ones((2, 2))}, ValueError, "weight"),
    (rectifier.prelu, {"weight": np.array([0.1, np.nan, 0.1, 0.1])}, ValueError, "weight"),
    (rectifier.prelu, {"weight": np.ones(4), "axis": 5}, np.exceptions.AxisError, "axis"),
    (rectifier.prelu_grad, {"weight": np.array([0.1, 0.2])}, ValueError, "weight"),
]


@pytest.mark.parametrize("f,params,error,word", BAD_PARAMS,
                         ids=[f"{b[0].__name__}-{'-'.join(b[1])}-{i}" for i, b in enumerate(BAD_PARAMS)])
def test_bad_parameters_raise_naming_the_parameter(f, params, error, word):
    x = np.linspace(-2, 2, 12).reshape(3, 4)
    out = np.full_like(x, 7.0)
    with pytest.raises(error, match=word):
        if f in (rectifier.prelu,):
            f(x, out=out, **params)
        elif f is rectifier.prelu_grad:
            f(x, **params)
        else:
            f(x, out=out, **params)
    assert (out == 7.0).all()


def test_prelu_single_weight_only_for_low_ndim():
    with pytest.raises(ValueError, match="weight"):
        rectifier.prelu(np.ones(4), np.ones(4))
    assert rectifier.prelu(np.array([-2.0, 2.0]), 0.25).tolist() == [-0.5, 2.0]
    assert rectifier.prelu(np.array([-2.0, 2.0]), [0.25]).tolist() == [-0.5, 2.0]


def test_scalar_parameters_of_any_numeric_type(dtype):
    x = mixed_input(dtype, 50)
    want = reference.expected("leaky_relu", x, negative_slope=0.25)
    for slope in (0.25, np.float32(0.25), np.float64(0.25), np.array(0.25), np.array([0.25])):
        assert_same_bits(rectifier.leaky_relu(x, slope), want)


def test_array_parameters_broadcast(cpu_path, dtype):
    x = mixed_input(dtype, 6 * 9).reshape(6, 9)
    slopes = np.linspace(-1, 1, 9)
    with np.errstate(all="ignore"):
        assert_same_bits(rectifier.leaky_relu(x, slopes), reference.expected("leaky_relu", x, negative_slope=slopes))
        lo, hi = np.linspace(-3, 0, 6)[:, None], np.linspace(0.5, 5, 9)
        assert_same_bits(rectifier.hardtanh(x, lo, hi), reference.expected("hardtanh", x, min_val=lo, max_val=hi))
        th = np.linspace(-1, 1, 9)
        assert_same_bits(rectifier.threshold(x, th, 5.0), reference.expected("threshold", x, threshold=th, value=5.0))
        az = np.linspace(0, 1, 9)
        g = grad_input(dtype, 54).reshape(6, 9)
        assert_same_bits(rectifier.relu_grad(x, g, az), reference.expected("relu_grad", x, grad=g, at_zero=az))
        assert_same_bits(rectifier.leaky_relu_grad(x, g, slopes),
                         reference.expected("leaky_relu_grad", x, grad=g, negative_slope=slopes))
        # a parameter array can also broadcast x up
        col = np.array([[0.1], [0.2]])
        r = rectifier.leaky_relu(x[0], col)
        assert r.shape == (2, 9) and r.dtype == dtype


# ---- prelu -------------------------------------------------------------------------------

PRELU_SHAPES = [((5, 3), 1), ((2, 4, 3, 3), 1), ((4, 6), -1), ((6, 4), 0), ((3, 1, 7), 1),
                ((2, 3, 8, 9), 1), ((3, 70), 0), ((700, 3), 1)]


@pytest.mark.parametrize("shape,axis", PRELU_SHAPES)
def test_prelu_and_its_gradient(shape, axis, cpu_path, dtype):
    n = int(np.prod(shape))
    x = mixed_input(dtype, n).reshape(shape)
    channels = shape[axis]
    weight = np.linspace(-0.5, 1.5, channels)
    weight[0] = 0.0   # a zero slope is relu exactly, for both signs of zero
    weight[-1] = -0.0
    want = reference.expected("prelu", x, weight=weight, axis=axis)
    with np.errstate(all="ignore"):
        # the direct path (C or F order, float64 or float32 weights) and the ufunc path (a list)
        for variant, w in [("C", weight), ("C", weight.astype(np.float32)), ("F", weight), ("C", list(weight))]:
            xv = np.asfortranarray(x) if variant == "F" else x
            if isinstance(w, np.ndarray) and w.dtype == np.float32 and dtype == np.float64:
                continue   # float32 weights are rounded: another result for float64 data
            assert_same_bits(rectifier.prelu(xv, w, axis=axis), want)
            out = np.empty_like(xv)
            assert rectifier.prelu(xv, w, axis=axis, out=out) is out
            assert_same_bits(out, want)
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)   # finite, for the sums
    g = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    ct = reference.compute_dtype(dtype)
    w_ct = weight.astype(ct)
    for grad in (None, g):
        gx, gw = rectifier.prelu_grad(x, weight, grad, axis=axis)
        want_gx, want_gw = reference.prelu_grad(x.astype(ct), w_ct, None if grad is None else grad.astype(ct), axis=axis)
        assert_same_bits(gx, want_gx.astype(ct).astype(dtype))
        assert gw.shape == weight.shape and gw.dtype == dtype
        # grad_weight is a sum: compared within the summation error bound of its dtype
        terms = n // channels
        tol = {np.float16: 2e-3, np.float32: 4e-7 * terms, np.float64: 1e-15 * terms}[dtype.type]
        np.testing.assert_allclose(gw, want_gw, rtol=tol, atol=tol * np.abs(x).max())


def test_prelu_scalar_weight_gradient_shape():
    x = np.array([[-1.0, 2.0], [-3.0, 4.0]])
    gx, gw = rectifier.prelu_grad(x, np.array([0.25]))
    assert gw.shape == (1,) and gw[0] == -4.0
    gx, gw = rectifier.prelu_grad(x, 0.25)
    assert np.shape(gw) == () and gw == -4.0
    assert gx.tolist() == [[0.25, 1.0], [0.25, 1.0]]


# ---- floating-point flags ---------------------------------------------------------------

def test_no_spurious_floating_point_flags(cpu_path, dtype):
    """Through the ufunc path NumPy turns any flag a kernel raises into an error here: products
    in lanes a kernel discards (a big x times a slope > 1, 0 times an infinite gradient) and tail
    lanes must raise none."""
    info = np.finfo(dtype)
    x = np.array([info.max, info.max / 2, 1.0, -1.0, -0.0, 0.0, info.smallest_subnormal,
                  -info.smallest_subnormal, np.inf, -2.0, 3.0, np.nan, -np.inf], dtype)
    g = np.array([np.inf, -np.inf, info.max, 1.0, np.inf, -np.inf, 1.0, 1.0, 1.0, info.max / 8, 2.0, 1.0, 1.0], dtype)
    for n in range(len(x) + 1):
        xs, gs = x[:n][::-1], g[:n][::-1]          # negative strides force the ufunc path
        with np.errstate(all="raise"):
            rectifier.leaky_relu(xs, 3.0)
            rectifier.leaky_relu(xs, np.full(n, 3.0))
            rectifier.leaky_relu(xs, 0.0), rectifier.leaky_relu(xs, np.zeros(n)), rectifier.leaky_relu(xs, -0.0)
            rectifier.prelu(np.ascontiguousarray(np.tile(xs, (2, 1)).T), [0.0, -0.0])   # the direct path
            rectifier.relu(xs), rectifier.relu6(xs), rectifier.hardtanh(xs), rectifier.threshold(xs, 1.0, 2.0)
            rectifier.relu_grad(xs, gs), rectifier.relu6_grad(xs, gs), rectifier.hardtanh_grad(xs, gs)
            rectifier.threshold_grad(xs, gs, threshold=0.0)
            finite_x = np.isfinite(xs) | np.isnan(xs)
            rectifier.leaky_relu_grad(xs[finite_x], gs[finite_x] / 8, 0.5)
            rectifier.prelu_grad(xs[xs > 0].reshape(1, -1), 2.0, gs[xs > 0].reshape(1, -1))
