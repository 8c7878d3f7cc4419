"""The fused dense-layer epilogue (bias_act, linear) and the dying-ReLU diagnostics
(active_fraction, dead_units), against plain-NumPy compositions on every CPU path in
process (scalar and AVX2 through the cpu_path fixture; NEON under qemu: test_neon_qemu.py's
test_fused_* tests run the same C code through tests/c_driver).

The contract checked: bias_act(y, b, act, **p) is act(y + b.astype(y.dtype), **p) bit for bit,
with the sum rounded to y's dtype as NumPy rounds it; the activation is checked against the NumPy
oracle (tests/reference.py): exact functions bit for bit, the smooth ones within the package's ULP
bounds (test_smooth.py).
"""
import numpy as np
import pytest

import reference
import rectifier
from conftest import DTYPES, TESTED_PATHS, assert_same_bits, mixed_input, require_module
from test_smooth import ulp_error

# Every activation with parameters worth covering; test_every_activation_is_covered fails when the
# package gains an activation this list lacks.
ACTIVATIONS = [
    ("relu", {}), ("relu6", {}), ("hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    ("threshold", {"threshold": 0.5, "value": -3.0}), ("leaky_relu", {"negative_slope": 0.2}),
    ("leaky_relu", {"negative_slope": 0.0}), ("prelu", {"weight": -0.25}),
    ("elu", {"alpha": 0.5}), ("celu", {"alpha": 2.0}), ("selu", {}),
    ("softplus", {"beta": 2.0}), ("softplus", {"beta": 1.0, "threshold": 3.0}), ("sigmoid", {}),
    ("logistic", {}), ("log_sigmoid", {}), ("silu", {}), ("mish", {}), ("hardsigmoid", {}),
    ("hardswish", {}), ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("tanh", {}),
    ("tanhshrink", {}),
    ("softsign", {}), ("hardshrink", {"lambd": 0.5}), ("softshrink", {"lambd": 0.25}),
    ("squareplus", {"b": 4.0}), ("sparse_plus", {}), ("sparse_sigmoid", {}), (None, {}),
]
EXACT = {"relu", "relu6", "hardtanh", "threshold", "leaky_relu", "prelu"}
SMOOTH_NAME = {"logistic": "sigmoid"}


def case_id(case):
    name, params = case
    return f"{name}" + "".join(f"-{k}={v}" for k, v in params.items())


def summed(y, bias, axis, dtype):
    """y + bias along axis, in dtype, as NumPy computes it (float16: in float32, rounded)."""
    y = np.asarray(y).astype(dtype)
    b = np.asarray(bias).astype(dtype)
    if b.ndim == 1 and y.ndim > 0:
        shape = [1] * y.ndim
        shape[axis] = b.size
        b = b.reshape(shape)
    with np.errstate(all="ignore"):
        return np.add(y, b, dtype=dtype)


def composed(name, params, s):
    """The package's own activation on the sum: the documented contract, bit for bit."""
    if name is None:
        return s.copy()
    with np.errstate(all="ignore"):
        return getattr(rectifier, name)(s, **params)


def assert_matches_oracle(name, params, s, got):
    """got = activation(s) against the NumPy oracle."""
    if name is None:
        assert_same_bits(got, s)
    elif name in EXACT:
        if name == "prelu":
            want = reference.expected("leaky_relu", s, negative_slope=params["weight"])
        else:
            want = reference.expected(name, s, **params)
        assert_same_bits(got, want)
    else:
        oracle = SMOOTH_NAME.get(name, name)
        p = dict(params)
        if oracle == "gelu" and p.pop("approximate", "none") == "tanh":
            oracle = "gelu_tanh"
        ref = reference.smooth_expected(oracle, s, **p)
        with np.errstate(all="ignore"):
            err = ulp_error(got, ref, s.dtype)
        bound = 2.0 if s.dtype == np.float64 else 1.0
        worst = int(np.argmax(err.reshape(-1))) if err.size else 0
        assert err.size == 0 or err.reshape(-1)[worst] <= bound, (
            f"{name} {s.dtype}: {float(err.reshape(-1)[worst])} ULP at s={s.reshape(-1)[worst]!r}")


def test_every_activation_is_covered():
    names = set(rectifier.activations())
    assert {"relu", "leaky_relu", "elu", "gelu", "softplus", "logistic", "prelu"} <= names
    assert not any(n.endswith("_grad") for n in names)
    assert names <= {name for name, _ in ACTIVATIONS}, names - {name for name, _ in ACTIVATIONS}
    assert "bias_act" not in names and "linear" not in names
    # the random functions (those with a seed: rrelu, noisy_relu) are not activations here
    import inspect
    seeded = {n for n in rectifier.__all__ if callable(getattr(rectifier, n))
              and "seed" in inspect.signature(getattr(rectifier, n)).parameters}
    assert not names & seeded
    for name in seeded:
        with pytest.raises(ValueError, match=f"unknown activation '{name}'"):
            rectifier.bias_act(np.zeros(3), np.zeros(3), name)


# Shapes and axes that reach every branch of src/fused.c: channels last with a tiled pattern
# (rows shorter than a block), channels last with rows longer than a block (the bias itself is the
# pattern), short runs tiled (inner > 1), long runs of one bias (inner >= 256), F-order.
LAYOUTS = [((37, 19), -1, "C"), ((3, 2100), -1, "C"), ((3, 4, 5), 1, "C"), ((2, 3, 300), 1, "C"),
           ((6, 7), 0, "F"), ((40,), 0, "C")]


@pytest.mark.parametrize("case", ACTIVATIONS, ids=case_id)
def test_bias_act_matches_the_composition_and_the_oracle(case, dtype, cpu_path):
    name, params = case
    for shape, axis, order in LAYOUTS:
        size = int(np.prod(shape))
        y = np.asarray(mixed_input(dtype, size, seed=3).reshape(shape), order=order)
        bias = mixed_input(dtype, shape[axis], seed=4) * dtype.type(0.5)
        s = summed(y, bias, axis, dtype)
        got = rectifier.bias_act(y, bias, name, axis=axis, **params)
        assert got.dtype == dtype and got.shape == shape
        assert_same_bits(got, composed(name, params, s))
        assert_matches_oracle(name, params, s, got)
        # in place, and into a given out
        inplace = y.copy(order="K")
        assert rectifier.bias_act(inplace, bias, name, axis=axis, out=inplace, **params) is inplace
        assert_same_bits(inplace, got)


def test_softplus_of_huge_x_with_beta(dtype, cpu_path):
    """Where beta * x overflows, softplus(x, beta) is x (it was inf; found by this file's oracle
    check through bias_act)."""
    big = np.finfo(dtype).max / 2
    got = rectifier.softplus(np.array([big, -big], dtype), beta=4.0)
    assert_same_bits(got, np.array([big, 0.0], dtype))


@pytest.mark.parametrize("name,params", [("relu", {}), ("leaky_relu", {"negative_slope": -0.5}), ("elu", {})])
def test_bias_act_every_tail_length(name, params, dtype, cpu_path):
    """1-D y of every length 0..2*8+1 (AVX2's 8 float32 lanes), and 2-D with short rows."""
    for n in range(18):
        y = mixed_input(dtype, n, seed=n)
        bias = mixed_input(dtype, n, seed=n + 50)
        s = summed(y, bias, 0, dtype)
        got = rectifier.bias_act(y, bias, name, **params)
        assert_same_bits(got, composed(name, params, s))
        y2 = mixed_input(dtype, 3 * n, seed=n).reshape(3, n)
        got2 = rectifier.bias_act(y2, bias, name, **params)
        assert_same_bits(got2, composed(name, params, summed(y2, bias, 1, dtype)))


def test_bias_act_long_rows_of_short_runs(cpu_path):
    """Rows longer than the tiled pattern's limit with short runs (inner 2..255): run by run."""
    y = mixed_input(np.dtype(np.float32), 2 * 40000 * 3, seed=9).reshape(2, 40000, 3)
    bias = np.linspace(-2, 2, 40000).astype(np.float32)
    for name, params in (("relu", {}), ("elu", {"alpha": 0.5})):
        got = rectifier.bias_act(y, bias, name, axis=1, **params)
        assert_same_bits(got, composed(name, params, summed(y, bias, 1, np.float32)))


LAYOUT_CHANGES = {
    "strided": lambda a: np.repeat(a, 2, axis=-1)[..., ::2],
    "reversed": lambda a: a[::-1, ::-1].copy()[::-1, ::-1],
    "negative strides": lambda a: np.ascontiguousarray(a[::-1])[::-1],
    "F-order": lambda a: np.asfortranarray(a),
    "big-endian": lambda a: a.astype(a.dtype.newbyteorder(">")),
    "read-only": lambda a: np.lib.stride_tricks.as_strided(a, writeable=False),
    "list": lambda a: a.tolist(),
    "unaligned": lambda a: unaligned(a),
}


def unaligned(a):
    """a copy of a at an address one byte off its dtype's alignment"""
    raw = np.zeros(a.nbytes + 1, np.uint8)
    b = raw[1:].view(a.dtype).reshape(a.shape)
    b[...] = a
    return b


@pytest.mark.parametrize("change", list(LAYOUT_CHANGES), ids=str)
@pytest.mark.parametrize("name,params", [("relu", {}), ("leaky_relu", {"negative_slope": 0.1}), ("silu", {})])
def test_bias_act_any_layout_gives_the_same_bits(change, name, params, dtype, cpu_path):
    base = mixed_input(dtype, 9 * 13, seed=1).reshape(9, 13)
    bias = mixed_input(dtype, 13, seed=2)
    want = rectifier.bias_act(base, bias, name, **params)
    y = LAYOUT_CHANGES[change](base)
    before = np.array(y, copy=True)
    got = rectifier.bias_act(y, bias, name, **params)
    assert_same_bits(got, want if change != "list" else rectifier.bias_act(np.asarray(y), bias, name, **params))
    np.testing.assert_array_equal(np.asarray(y), before)   # the input is not written
    # out of any layout, and axis 0 with a strided y
    out = np.full((13, 9), 7, dtype).T
    assert rectifier.bias_act(base, bias, name, out=out, **params) is out
    assert_same_bits(out, want)
    b0 = mixed_input(dtype, 9, seed=5)
    assert_same_bits(rectifier.bias_act(base[:, ::-2], b0, name, axis=0, **params),
                     composed(name, params, summed(base[:, ::-2], b0, 0, dtype)))


def test_bias_act_special_shapes_and_inputs(cpu_path):
    f32 = np.float32
    # 0-d y and a scalar bias: a NumPy scalar, as the elementwise functions return
    r = rectifier.bias_act(np.array(-1.0, f32), 0.5)
    assert isinstance(r, np.float32) and r == 0.0 and not np.signbit(r)
    assert rectifier.bias_act(np.float64(2.0), 0.5) == 2.5
    # empty arrays of every kind
    for shape, axis in (((0,), -1), ((3, 0), -1), ((0, 4), -1), ((0, 4), 0), ((2, 0, 3), 1)):
        got = rectifier.bias_act(np.zeros(shape, f32), np.zeros(shape[axis], f32), axis=axis)
        assert got.shape == shape and got.dtype == f32
    # a scalar (or one-element) bias is added everywhere, whatever axis is
    y = mixed_input(np.dtype(f32), 24, seed=2).reshape(4, 6)
    for b in (0.25, np.float32(0.25), np.array(0.25), [0.25] * 6):
        assert_same_bits(rectifier.bias_act(y, b), reference.expected("relu", summed(y, np.float32(0.25), 1, f32)))
    # integers and bool become float64; a float64 bias on float32 data is rounded to float32 first
    assert_same_bits(rectifier.bias_act(np.arange(-3, 3), [1, 2, 3, 4, 5, 6]),
                     np.maximum(np.arange(-3, 3) + np.arange(1, 7), 0).astype(np.float64))
    b64 = np.full(6, 0.1)
    assert_same_bits(rectifier.bias_act(y, b64, None), y + np.float32(0.1))
    # partial overlap of out and y: the result of the copies
    buf = mixed_input(np.dtype(f32), 30, seed=8)
    want = rectifier.bias_act(buf[:20].copy(), np.arange(20, dtype=f32) / 8, "elu")
    got = rectifier.bias_act(buf[:20], np.arange(20, dtype=f32) / 8, "elu", out=buf[5:25])
    assert_same_bits(got, want)


def test_bias_act_no_spurious_flags_from_tails(dtype, cpu_path):
    """np.errstate(all='raise') around every length: NumPy's errstate sees nothing."""
    for n in range(20):
        y = np.linspace(-2, 2, n).astype(dtype)
        with np.errstate(all="raise"):
            for name in ("relu", "elu", "silu", "leaky_relu"):
                rectifier.bias_act(y, np.full(n, 0.5, dtype), name)
                rectifier.bias_act(y[::-1], np.full(n, 0.5, dtype), name)


def test_bias_act_array_parameters_and_prelu_weights_compose(cpu_path):
    rng = np.random.default_rng(0)
    y = rng.standard_normal((4, 5)).astype(np.float32)
    bias = rng.standard_normal(5).astype(np.float32)
    s = summed(y, bias, 1, np.float32)
    alpha = np.linspace(0.1, 1.0, 5)
    assert_same_bits(rectifier.bias_act(y, bias, "elu", alpha=alpha), rectifier.elu(s, alpha=alpha))
    # (prelu's own axis is its default, 1: bias_act's axis keyword is the bias's)
    w = np.linspace(-0.5, 0.5, 5)
    got = rectifier.bias_act(y, bias, "prelu", weight=w)
    assert_same_bits(got, reference.expected("prelu", s, weight=w, axis=1))
    out = np.empty_like(y)
    assert rectifier.bias_act(y, bias, "elu", alpha=alpha, out=out) is out
    assert_same_bits(out, rectifier.elu(s, alpha=alpha))


def test_bias_act_errors_name_the_problem_and_write_nothing():
    y = np.linspace(-1, 1, 12).reshape(3, 4).astype(np.float32)
    out = np.full_like(y, 7)
    keep = y.copy()
    with pytest.raises(ValueError, match="bias_act: unknown activation 'reluu'; the activations are .*elu.*relu"):
        rectifier.bias_act(y, np.zeros(4), "reluu", out=out)
    with pytest.raises(ValueError, match="bias_act: bias has 3 values; y has 4 features along axis -1"):
        rectifier.bias_act(y, np.zeros(3), out=out)
    with pytest.raises(TypeError, match="bias_act: y has unsupported dtype complex64"):
        rectifier.bias_act(y.astype(np.complex64), np.zeros(4))
    with pytest.raises(TypeError, match="bias_act: out has dtype float64"):
        rectifier.bias_act(y, np.zeros(4), out=np.zeros((3, 4)))
    with pytest.raises(ValueError, match="bias_act: out is read-only"):
        rectifier.bias_act(y, np.zeros(4), out=np.broadcast_to(np.float32(0), (3, 4)))
    with pytest.raises(ValueError, match="bias_act: activation 'elu': elu: alpha must be >= 0, got -2"):
        rectifier.bias_act(y, np.zeros(4), "elu", alpha=-2, out=out)
    with pytest.raises(TypeError, match="bias_act: activation 'relu'.*'alpha'"):
        rectifier.bias_act(y, np.zeros(4), "relu", alpha=1.0, out=out)
    with pytest.raises(ValueError, match="bias_act: bias must be a single value for a 0-d y"):
        rectifier.bias_act(np.float32(1), np.zeros(2))
    np.testing.assert_array_equal(out, 7)
    np.testing.assert_array_equal(y, keep)


def test_bias_act_keeps_a_dask_array_lazy():
    da = require_module("dask.array")
    y = np.linspace(-2, 2, 20).reshape(4, 5)
    bias = np.linspace(-1, 1, 5)
    lazy = rectifier.bias_act(da.from_array(y, chunks=2), bias, "elu", alpha=0.5)
    assert isinstance(lazy, da.Array)
    assert_same_bits(lazy.compute(), rectifier.bias_act(y, bias, "elu", alpha=0.5))


# ---- linear ------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 5, 4), (64, 32, 16), (7, 300, 9)], ids=str)
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_linear_is_the_numpy_composition(shape, dt, cpu_path):
    batch, n_in, n_out = shape
    rng = np.random.default_rng(batch)
    x = rng.standard_normal((batch, n_in)).astype(dt)
    w = rng.standard_normal((n_out, n_in)).astype(dt)
    b = rng.standard_normal(n_out).astype(dt)
    z = x @ w.T      # the same BLAS call, so the same bits
    assert_same_bits(rectifier.linear(x, w), z)
    assert_same_bits(rectifier.linear(x, w, b), z + b)
    assert_same_bits(rectifier.linear(x, w, b, "relu"), reference.expected("relu", z + b))
    assert_same_bits(rectifier.linear(x, w, None, "leaky_relu", negative_slope=0.1),
                     reference.expected("leaky_relu", z, negative_slope=0.1))
    assert_same_bits(rectifier.linear(x, w, b, "gelu", approximate="tanh"),
                     rectifier.gelu(z + b, approximate="tanh"))
    # batch dimensions and a single sample
    x3 = np.stack([x, -x])
    assert_same_bits(rectifier.linear(x3, w, b, "relu"), reference.expected("relu", x3 @ w.T + b))
    assert_same_bits(rectifier.linear(x[0], w, b, "relu"), reference.expected("relu", x[0] @ w.T + b))


def test_linear_general_path_gives_the_same_bits(cpu_path):
    """Off the direct path (a list bias, an F-ordered weight, a strided x, float16, a bias of
    another dtype): the same result as the composition."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 10)).astype(np.float32)
    w = rng.standard_normal((4, 5)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    xs = x[:, ::2]
    want = reference.expected("relu", xs @ w.T + b)
    assert_same_bits(rectifier.linear(xs, w, b, "relu"), want)
    assert_same_bits(rectifier.linear(xs, np.asfortranarray(w), b.tolist(), "relu"), want)
    assert_same_bits(rectifier.linear(xs, w, b.astype(np.float64), "relu"), want)
    assert_same_bits(rectifier.linear(xs, w, 0.5, "elu"), rectifier.elu(xs @ w.T + np.float32(0.5)))
    x16, w16, b16 = xs.astype(np.float16), w.astype(np.float16), b.astype(np.float16)
    z16 = x16 @ w16.T
    assert_same_bits(rectifier.linear(x16, w16, b16, "leaky_relu", negative_slope=0.1),
                     reference.expected("leaky_relu", z16 + b16, negative_slope=0.1))


def test_linear_dtypes_and_errors():
    x16, w32 = np.ones((2, 3), np.float16), np.ones((4, 3), np.float32)
    assert rectifier.linear(x16, w32).dtype == np.float32
    assert rectifier.linear(np.ones((2, 3), int), np.ones((4, 3), int), 1, "relu").dtype == np.float64
    x, w = np.ones((2, 3)), np.ones((4, 3))
    with pytest.raises(ValueError, match="linear: x has 2 input features .* weight of shape \\(4, 3\\) expects 3"):
        rectifier.linear(np.ones((2, 2)), w)
    with pytest.raises(ValueError, match="linear: weight must be 2-D"):
        rectifier.linear(x, np.ones(3))
    with pytest.raises(ValueError, match="linear: bias must be a scalar or have 4 values"):
        rectifier.linear(x, w, np.ones(3))
    with pytest.raises(ValueError, match="linear: unknown activation 'swish'"):
        rectifier.linear(x, w, None, "swish")
    with pytest.raises(TypeError, match="linear: weight has unsupported dtype.*complex128"):
        rectifier.linear(x, w.astype(complex))
    with pytest.raises(ValueError, match="linear: x must have at least one dimension"):
        rectifier.linear(np.float64(1), w)
    with pytest.raises(TypeError, match="linear.* 'out'"):
        rectifier.linear(x, w, None, "relu", out=np.empty((2, 4)))


# ---- active_fraction and dead_units ------------------------------------------------------------

def positive(x):
    with np.errstate(invalid="ignore"):
        return np.asarray(x) > 0


REDUCTIONS = [((37,), None), ((37,), 0), ((5, 19), 0), ((5, 19), 1), ((5, 19), -1), ((5, 19), None),
              ((5, 19), (0, 1)), ((3, 4, 2100), 1), ((3, 4, 2100), (0, 2)), ((2, 3000), 0),
              ((4100, 3), 0), ((2, 0, 3), 1), ((0, 3), 0)]


@pytest.mark.parametrize("shape,axis", REDUCTIONS, ids=str)
def test_active_fraction_and_dead_units_match_numpy(shape, axis, dtype, cpu_path):
    x = mixed_input(dtype, int(np.prod(shape)), seed=len(shape)).reshape(shape)
    x[x < -0.5] = np.nan if x.size else x[x < -0.5]    # NaN is not active
    x_dead = np.where(positive(x) & (np.arange(x.size).reshape(shape) % 3 == 0), -x, x)
    for order in ("C", "F", "reversed"):
        for data in (x, x_dead):
            a = data[::-1] if order == "reversed" and data.ndim else np.asarray(data, order="K" if order == "C" else "F")
            p = positive(a)
            n = p.size if axis is None else int(np.prod([p.shape[i] for i in np.atleast_1d(axis)]))
            want = p.sum(axis=axis) / n if n else np.full(np.sum(p, axis=axis).shape, np.nan)
            got = rectifier.active_fraction(a, axis=axis)
            assert np.asarray(got).dtype == np.float64 and np.shape(got) == np.shape(want)
            np.testing.assert_array_equal(got, want)
            dead = rectifier.dead_units(a, axis=axis)
            np.testing.assert_array_equal(dead, ~np.any(p, axis=axis))
            assert np.asarray(dead).dtype == bool


def test_diagnostics_on_any_layout_and_dtype():
    x = np.array([[1.0, -1.0, 0.0], [-0.0, np.nan, 2.0], [np.inf, -np.inf, 0.5]])
    assert rectifier.active_fraction(x) == 4 / 9
    np.testing.assert_array_equal(rectifier.dead_units(x), [False, True, False])
    np.testing.assert_array_equal(rectifier.dead_units(x, axis=1), [False, False, False])
    for variant in (x.astype(">f8"), x[:, ::-1][:, ::-1], np.repeat(x, 2, axis=1)[:, ::2], x.tolist(),
                    x.astype(np.float16), x.astype(np.float32), unaligned(x), unaligned(x.astype(np.float16))):
        assert rectifier.active_fraction(variant) == 4 / 9
        np.testing.assert_array_equal(rectifier.dead_units(variant), [False, True, False])
    assert rectifier.active_fraction(np.arange(-2, 3)) == 2 / 5      # integers
    assert np.isnan(rectifier.active_fraction(np.zeros(0)))
    assert rectifier.dead_units(np.zeros(0), axis=None) is np.True_
    with pytest.raises(TypeError, match="active_fraction: x has unsupported dtype complex128"):
        rectifier.active_fraction(x.astype(complex))
    with pytest.raises(ValueError, match="dead_units: repeated axis"):
        rectifier.dead_units(x, axis=(0, 0))


def test_the_digits_example_shows_dying_relus():
    """examples/two_layer_digits.py's claims (docs/guide.md): a sane learning rate kills no unit and
    learns; a too-high one kills most ReLU units and ruins accuracy; leaky_relu still learns."""
    require_module("sklearn")
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(__file__), os.pardir, "examples", "two_layer_digits.py")
    spec = importlib.util.spec_from_file_location("two_layer_digits", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    from sklearn.datasets import load_digits
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    x -= x.mean(axis=0)
    order = np.random.default_rng(42).permutation(len(x))
    tr, te = order[:1400], order[1400:]
    results = {}
    with np.errstate(all="ignore"):
        for activation, params in (("relu", {}), ("leaky_relu", {"negative_slope": 0.01})):
            for lr in (0.05, 10.0):
                model, _ = example.train(x[tr], digits.target[tr], lr, activation, params)
                dead = example.evaluate(model, x[tr], digits.target[tr], activation, params)[1]
                acc = example.evaluate(model, x[te], digits.target[te], activation, params)[0]
                results[activation, lr] = acc, dead
    assert results["relu", 0.05][0] > 0.9 and results["relu", 0.05][1] == 0
    assert results["relu", 10.0][1] > 0.5 and results["relu", 10.0][0] < 0.8
    assert results["leaky_relu", 10.0][0] > 0.9


# ---- properties (hypothesis): any shape, axis, layout and out, on a random path ----------------

hypothesis = require_module("hypothesis")
from hypothesis import given, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from test_properties import LAYOUTS as MEMORY_LAYOUTS  # noqa: E402
from test_properties import SETTINGS, in_layout, run_on_path, values  # noqa: E402

PATHS = TESTED_PATHS   # every path this CPU runs
PROPERTY_ACTIVATIONS = [("relu", {}), ("leaky_relu", {"negative_slope": 0.25}), ("threshold", {"threshold": 0.5, "value": -2.0}),
                        ("hardtanh", {}), (None, {})]


@SETTINGS
@given(data=st.data())
def test_bias_act_property_any_shape_axis_layout_and_out(data):
    """bias_act equals the oracle of y + bias (exact activations, bit for bit) for any shape
    (0-d to 4-d, empty sides), axis, layout of y, bias of either form, and out (none, a new
    array of either order, in place); y is never written unless it is out."""
    draw = data.draw
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=7))
    base = values(draw, dtype, shape)
    y = in_layout(base, draw(st.sampled_from(MEMORY_LAYOUTS)), draw)
    axis = draw(st.integers(-len(shape), len(shape) - 1)) if shape else -1
    if shape and draw(st.booleans()):
        bias = values(draw, dtype, (shape[axis],), bound=1e4)
    else:
        bias = values(draw, dtype, (), bound=1e4)
    name, params = draw(st.sampled_from(PROPERTY_ACTIVATIONS))
    want_sum = summed(base, bias, axis, dtype)
    want = want_sum if name is None else reference.expected(name, want_sum, **params)
    out_kind = draw(st.sampled_from(["none", "C", "F", "in place"]))
    out = {"none": None, "C": np.full(shape, 7, dtype), "F": np.full(shape, 7, dtype, order="F"),
           "in place": y if y.flags.writeable and y.dtype.isnative and y.dtype == dtype else None}[out_kind]
    before = np.array(y, copy=True)
    got = run_on_path(draw(st.sampled_from(PATHS)), lambda: rectifier.bias_act(y, bias, name, axis=axis, out=out, **params))
    if out is not None:
        assert got is out
    assert_same_bits(np.asarray(got), want)
    if out is not y:
        np.testing.assert_array_equal(np.asarray(y).view(f"u{dtype.itemsize}"), before.view(f"u{dtype.itemsize}"))


@SETTINGS
@given(data=st.data())
def test_diagnostics_property_any_shape_axis_and_layout(data):
    draw = data.draw
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=7))
    base = values(draw, dtype, shape)
    x = in_layout(base, draw(st.sampled_from(MEMORY_LAYOUTS)), draw)
    nd = len(shape)
    axis = draw(st.one_of(st.none(), st.integers(-nd, nd - 1) if nd else st.none(),
                          st.lists(st.integers(0, nd - 1), unique=True, min_size=1).map(tuple) if nd else st.none()))
    p = positive(base)
    n = p.size if axis is None else int(np.prod([shape[i] for i in np.atleast_1d(axis)]))
    counts = p.sum(axis=axis)
    got = run_on_path(draw(st.sampled_from(PATHS)), lambda: rectifier.active_fraction(x, axis=axis))
    np.testing.assert_array_equal(got, counts / n if n else np.full(np.shape(counts), np.nan))
    np.testing.assert_array_equal(rectifier.dead_units(x, axis=axis), counts == 0)
