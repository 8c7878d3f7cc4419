"""bfloat16 (ml_dtypes' dtype): every elementwise function and derivative of the table of
operations, the gated units, the fused epilogue and the reductions, computed in float32 and
rounded once to nearest even, on every CPU path with the same bits.

The reference is tests/reference.py in float64, rounded to bfloat16 here by round-to-odd to
float32 (its 16 extra bits make the second rounding exact) and ml_dtypes' nearest-even
conversion: independent of rectifier's own rounding. The forward functions are held to 0.5 ULP
(correctly rounded) over all 65536 inputs.
"""
import mpmath
import numpy as np
import pytest

import rectifier
from test_reduce import ref_logsumexp, ref_softmax
from rectifier import _operations
import reference
from conftest import TESTED_PATHS, assert_same_bits, require_module, require_other_paths

ml_dtypes = require_module("ml_dtypes")
BF16 = np.dtype(ml_dtypes.bfloat16)
ALL = np.arange(65536, dtype=np.uint16).view(BF16)   # every bfloat16 bit pattern
TABLE = {op.name: op for op in _operations.OPS}
# the parameters a function needs (the others run at their defaults), forward and derivative
REQUIRED = {"threshold": {"threshold": 0.5, "value": -2.0}, "threshold_grad": {"threshold": 0.5}}
NAMES = [n for op in _operations.OPS for n in (op.name, op.name + "_grad")]


def to_bfloat16(ref):
    """float64 values rounded once to bfloat16, to nearest even."""
    with np.errstate(all="ignore"):
        f = ref.astype(np.float32)
        back = f.astype(np.float64)
        inexact = np.isfinite(ref) & (back != ref)
        bits = f.view(np.uint32).copy()
        bits[inexact & (np.abs(back) > np.abs(ref))] -= 1   # truncated toward zero...
        bits[inexact] |= 1                                   # ...and made odd
        return bits.view(np.float32).astype(BF16)


# x/2 + c x^2 with c > 0 near 0: where x/2 is subnormal (|x| < 2^-125) and x's significand odd,
# x/2 is a bfloat16 midpoint, which the float64 reference is exactly while the truth lies just
# above it. There (at every |x| < 2^-125) the reference is mpmath's, at 400 bits.
HALF_AT_ZERO = {
    "silu": lambda m: m / (1 + mpmath.exp(-m)),
    "gelu": lambda m: m / 2 * mpmath.erfc(-m / mpmath.sqrt(2)),
    "gelu_tanh": lambda m: m / 2 * (1 + mpmath.tanh(mpmath.sqrt(2 / mpmath.pi)
                                                    * (m + mpmath.mpf("0.044715") * m ** 3))),
    "hardswish": lambda m: m * (m + 3) / 6,
}
TINY = (np.abs(ALL.astype(np.float32)) < 2.0 ** -125) & (ALL.astype(np.float32) != 0)


def tiny_reference(name):
    """bfloat16 bits of HALF_AT_ZERO[name] at the TINY inputs (subnormal results, quantum 2^-133,
    of x's sign), rounded to nearest by mpmath (the true values are never ties)."""
    x = ALL[TINY].astype(np.float64)
    with mpmath.workprec(400):
        k = [int(mpmath.nint(HALF_AT_ZERO[name](mpmath.mpf(float(v))) * mpmath.mpf(2) ** 133)) for v in x]
    return np.copysign(np.array(k, np.float64) * 2.0 ** -133, x).astype(np.float32).astype(BF16)


def call(name, x, grad=None, **params):
    base = name.removesuffix("_grad")
    fname = "gelu" + name[len("gelu_tanh"):] if base == "gelu_tanh" else name
    if base == "gelu_tanh":
        params["approximate"] = "tanh"
    f = getattr(rectifier, fname)
    return f(x, grad, **params) if name.endswith("_grad") else f(x, **params)


def reference_of(name, x, grad=None, **params):
    """The float64 reference of x (bfloat16 data, float32 parameters and grad), not rounded."""
    x64 = x.astype(np.float64)
    with np.errstate(all="ignore"):
        if TABLE[name.removesuffix("_grad")].family == "exact":
            p32 = {k: float(np.float32(v)) for k, v in params.items()}
            if grad is not None:
                p32["grad"] = grad.astype(np.float64)
            return getattr(reference, name)(x64, **p32)
        if grad is not None:
            params["grad"] = grad.astype(np.float32)
        return reference.smooth_expected(name, x.astype(np.float32), **params)


def ulp_error(got, ref):
    """|got - ref| in bfloat16 ULPs at ref (2^-133 at least); 0 where ref is not finite."""
    with np.errstate(all="ignore"):
        r = to_bfloat16(ref).astype(np.float64)
        _, e = np.frexp(np.abs(r))
        ulp = np.ldexp(1.0, np.maximum(np.where(r == 0, -125, e) - 8, -133))
        err = np.abs(got.astype(np.float64) - ref) / ulp
    return np.where(np.isfinite(ref) & np.isfinite(r), err, 0.0)


@pytest.mark.parametrize("name", NAMES)
def test_every_input_correctly_rounded(name, cpu_path):
    params = dict(REQUIRED.get(name, {}))
    got = call(name, ALL, **params)
    assert got.dtype == BF16
    ref = reference_of(name, ALL, **params)
    err = ulp_error(got, ref)
    want = to_bfloat16(ref)
    if name in HALF_AT_ZERO:
        err[TINY] = 0   # checked bit for bit against mpmath below
        want[TINY] = tiny_reference(name)
    if name.endswith("_grad"):
        # a derivative that underflows: the float64 reference's zero may have either sign
        zero = (got.astype(np.float32) == 0) & (want.astype(np.float32) == 0)
        want[zero] = got[zero]
    worst = int(np.argmax(err))
    assert err[worst] <= 0.5, (f"{name}: {err[worst]:.4f} ULP at x={ALL[worst]} "
                               f"({ALL.view(np.uint16)[worst]:#06x}): got {got[worst]}, want {ref[worst]!r}")
    # NaN where the reference is NaN, quiet; infinities and the sign of zero as rounded
    assert_same_bits(got.astype(np.float32), want.astype(np.float32))
    nan = np.isnan(got.astype(np.float32))
    assert (got.view(np.uint16)[nan] & 0x40).all(), "a NaN result is not quiet"


@pytest.mark.parametrize("name", [n for n in NAMES if n.endswith("_grad")])
def test_derivatives_take_a_bfloat16_grad(name, cpu_path):
    params = dict(REQUIRED.get(name, {}))
    grad = np.linspace(-3, 3, ALL.size).astype(BF16)
    got = call(name, ALL, grad, **params)
    ref = reference_of(name, ALL, grad, **params)
    # grad * f'(x) is rounded to float32, then to bfloat16 (like float16): within 0.5 + 2^-14 ULP
    err = ulp_error(got, ref)
    worst = int(np.argmax(err))
    assert err[worst] <= 0.5 + 2.0 ** -14, (name, ALL[worst], got[worst], ref[worst])


def test_every_path_gives_the_same_bits():
    require_other_paths(TESTED_PATHS)
    before = rectifier.capabilities()["enabled"]
    try:
        for name in NAMES:
            params = REQUIRED.get(name, {})
            results = []
            for path in TESTED_PATHS:
                rectifier.set_capabilities([path])
                results.append(call(name, ALL, **dict(params)).view(np.uint16))
            for path, r in zip(TESTED_PATHS[1:], results[1:]):
                assert (r == results[0]).all(), (name, path)
    finally:
        rectifier.set_capabilities(before)


def test_narrowing_keeps_subnormals_signs_and_nan(cpu_path):
    """The float32 -> bfloat16 rounding of the kernels, through relu6 (exact, so the input's own
    bits come back; relu6(-0.0) is +0.0) and leaky_relu: ties to even, subnormal results kept,
    -0.0 kept."""
    x = np.array([-0.0, 0.0, 2.0 ** -133, 2.0 ** -126, 1.5 * 2.0 ** -130, -1.0, np.nan, -np.inf], BF16)
    assert_same_bits(rectifier.relu6(x), np.array([0.0, 0.0, 2.0 ** -133, 2.0 ** -126,
                                                   1.5 * 2.0 ** -130, 0.0, np.nan, 0.0], BF16))
    # slope 0.5: -2^-133 * 0.5 is a tie between 0 and -2^-133 (even: -0.0); -3 * 2^-133 * 0.5
    # is a tie between -1 and -2 (even: -2) times 2^-133
    x = np.array([-(2.0 ** -133), -3 * 2.0 ** -133, -3.0, -np.inf, -0.0], BF16)
    assert_same_bits(rectifier.leaky_relu(x, 0.5),
                     np.array([-0.0, -2 * 2.0 ** -133, -1.5, -np.inf, -0.0], BF16))
    # sigmoid(-90) is about 8.2e-40: a bfloat16 subnormal
    y = rectifier.sigmoid(np.array([-90.0], BF16))
    assert y[0] != 0 and y.astype(np.float32)[0] < 2.0 ** -126
    # a signalling NaN comes back quiet with its sign
    snan = np.array([0xFF81, 0x7F81], np.uint16).view(BF16)
    out = rectifier.elu(snan).view(np.uint16)
    assert (out & 0x7FC0 == 0x7FC0).all() and (out >> 15 == [1, 0]).all()


@pytest.mark.parametrize("n", [0, 1, 7, 15, 16, 17, 31, 33, 64, 100, 1000])
def test_every_length_and_layout(n, cpu_path):
    rng = np.random.default_rng(n)
    x = rng.normal(0, 4, 2 * n + 3).astype(BF16)
    want = to_bfloat16(reference.smooth_expected("silu", x.astype(np.float32)))
    assert_same_bits(rectifier.silu(x[:n]), want[:n])
    assert_same_bits(rectifier.silu(x[1:2 * n + 1:2]), want[1:2 * n + 1:2])   # strided: the ufunc
    assert_same_bits(rectifier.silu(x[::-1])[::-1], want)
    y = x.copy()
    assert rectifier.silu(y, out=y) is y
    assert_same_bits(y, want)


def test_ufuncs_take_bfloat16():
    x = np.linspace(-4, 4, 50).astype(BF16)
    assert_same_bits(rectifier.ufuncs.gelu(x), rectifier.gelu(x))
    assert_same_bits(rectifier.ufuncs.leaky_relu(x, 0.25), rectifier.leaky_relu(x, 0.25))
    assert_same_bits(rectifier.ufuncs.elu_grad(x, x, 0.5), rectifier.elu_grad(x, x, alpha=0.5))
    # array-valued parameters (float32 compute type) broadcast through the ufunc
    slopes = np.linspace(0.1, 1, 50)
    got = rectifier.leaky_relu(x, slopes)
    want = to_bfloat16(np.where(x.astype(np.float64) > 0, x.astype(np.float64),
                                x.astype(np.float64) * slopes.astype(np.float32)))
    assert_same_bits(got, want)


def test_a_fresh_process_without_ml_dtypes_never_imports_it(tmp_path):
    import subprocess
    import sys
    code = ("import sys, numpy as np, rectifier\n"
            "rectifier.relu(np.ones(3, np.float32)); rectifier.softmax(np.ones(3))\n"
            "assert 'ml_dtypes' not in sys.modules\n"
            # imported after rectifier: the first bfloat16 array seen gives the ufuncs their loops
            "import ml_dtypes\n"
            "x = np.ones(3, ml_dtypes.bfloat16)\n"
            "assert rectifier.sigmoid(x).dtype == x.dtype\n"
            "assert rectifier.ufuncs.relu(x).dtype == x.dtype\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_dtype_rules_and_errors():
    x = np.linspace(-2, 2, 9).astype(BF16)
    # grad of another dtype is cast to x's dtype (the result has x's dtype)
    assert rectifier.elu_grad(x, np.ones(9, np.float32)).dtype == BF16
    assert rectifier.elu_grad(np.ones(9, np.float32), x).dtype == np.float32
    with pytest.raises(TypeError, match="tanh: out has dtype float32; the result has dtype bfloat16"):
        rectifier.tanh(x, out=np.empty(9, np.float32))
    with pytest.raises(TypeError, match="tanh: out has dtype bfloat16; the result has dtype float32"):
        rectifier.tanh(x.astype(np.float32), out=np.empty(9, BF16))
    with pytest.raises(ValueError, match=r"elu: alpha must be >= 0, got -1"):
        rectifier.elu(x, alpha=-1)
    with pytest.raises(ValueError, match="leaky_relu: negative_slope must be within float32's range"):
        rectifier.leaky_relu(x, np.array([1e300]))
    with pytest.raises(ValueError, match="leaky_relu"):
        rectifier.leaky_relu(x, 1e300)
    # other 2-byte ml_dtypes types are not bfloat16
    with pytest.raises(TypeError, match="unsupported dtype"):
        rectifier.relu(np.zeros(2, ml_dtypes.float8_e4m3fn))


def test_gated_units(cpu_path):
    from test_gated import _act, _reference
    rng = np.random.default_rng(3)
    x = rng.normal(0, 3, (64, 2 * 33)).astype(BF16)
    a64, b64 = x[:, :33].astype(np.float64), x[:, 33:].astype(np.float64)
    for unit in ("glu", "swiglu", "geglu", "reglu"):
        got = getattr(rectifier, unit)(x)
        assert got.dtype == BF16
        # act(a) * b rounded to float32 (within 0.53 float32 ULP), then to bfloat16
        err = ulp_error(got, _reference(unit, a64, b64))
        assert err.max() <= 0.5 + 2.0 ** -14, (unit, err.max())
        # the gradient of sum(act(a) * b): b act'(a) and act(a) (glu: a's and b's roles swapped),
        # each within 0.5 + 2^-3 float32 ULP before the bfloat16 rounding
        g = getattr(rectifier, unit + "_grad")(x)
        assert g.dtype == BF16 and g.shape == x.shape
        t, w = (b64, a64) if unit == "glu" else (a64, b64)
        value, slope = _act(unit, t)
        d_t, d_w = w * slope, value
        want = np.concatenate([d_w, d_t] if unit == "glu" else [d_t, d_w], axis=1)
        err = ulp_error(g, want)
        assert err.max() <= 0.5 + 2.0 ** -10, (unit, err.max())
    a, b = x[:, :33], x[:, 33:]
    assert_same_bits(rectifier.reglu(x), to_bfloat16(np.maximum(a.astype(np.float64), 0) * b.astype(np.float64)))


def test_fused_epilogue(cpu_path):
    rng = np.random.default_rng(4)
    y = rng.normal(0, 2, (8, 300)).astype(BF16)
    bias = rng.normal(0, 1, 300).astype(BF16)
    # the sum is rounded to bfloat16 as NumPy (ml_dtypes) rounds y + bias, then the activation
    summed = (y.astype(np.float32) + bias.astype(np.float32)).astype(BF16)
    for act in ("relu", "gelu", "leaky_relu"):
        assert_same_bits(rectifier.bias_act(y, bias, act), getattr(rectifier, act)(summed))
    assert_same_bits(rectifier.bias_act(y.T.copy(), bias, "silu", axis=0), rectifier.silu(summed.T))
    w = rng.normal(0, 1, (5, 300)).astype(BF16)
    z = rectifier.linear(y, w, None, "relu")
    assert z.dtype == BF16
    assert np.isclose(rectifier.active_fraction(y), (y.astype(np.float32) > 0).mean())


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin", "logsumexp"])
def test_reductions(name, cpu_path):
    rng = np.random.default_rng(5)
    x = rng.normal(0, 5, (7, 129)).astype(BF16)
    x[2, 3] = -np.inf
    f = getattr(rectifier, name)
    x32 = x.astype(np.float32)
    # softmin takes -x, so that every function sees the logits x (and the -inf entry)
    arg = -x if name == "softmin" else x
    for axis in (-1, 0):
        got = f(arg, axis=axis)
        assert got.dtype == BF16
        # the float32 computation is within 0.51 float32 ULP before the one bfloat16 rounding
        lse = ref_logsumexp(x32, axis)
        want = {"softmax": lambda: ref_softmax(x32, axis), "softmin": lambda: ref_softmax(x32, axis),
                "log_softmax": lambda: x32 - np.expand_dims(lse, axis), "logsumexp": lambda: lse}[name]()
        want = np.asarray(want, np.float64)
        err = ulp_error(got, want)
        assert err.max() <= 0.5 + 2.0 ** -14, (name, axis, err.max())
        assert (np.isinf(want) == np.isinf(got.astype(np.float64))).all(), name
    # gradients
    y = f(x, axis=-1)
    g = rng.normal(0, 1, y.shape).astype(BF16)
    grad = getattr(rectifier, name + "_grad")
    got = grad(x, g, axis=-1) if name == "logsumexp" else grad(y, g, axis=-1)
    assert got.dtype == BF16 and got.shape == x.shape
    assert np.isfinite(got.astype(np.float32)).all()


def test_reductions_specials_same_on_every_path():
    x = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [np.nan, 0.0], [0.0, 0.0]], BF16)
    before = rectifier.capabilities()["enabled"]
    try:
        for path in TESTED_PATHS:
            rectifier.set_capabilities([path])
            assert_same_bits(rectifier.logsumexp(x, axis=1).astype(np.float32),
                             np.array([-np.inf, np.inf, np.nan, np.log(2)], np.float32).astype(BF16).astype(np.float32))
            s = rectifier.softmax(x, axis=1).astype(np.float32)
            assert np.isnan(s[:3]).all() and (s[3] == 0.5).all()
            assert (rectifier.softmax_grad(rectifier.softmax(x[:1], axis=1), np.ones((1, 2), BF16)).astype(np.float32) == 0).all()
    finally:
        rectifier.set_capabilities(before)


def test_dask_stays_lazy_with_the_same_bits():
    da = require_module("dask.array")
    x = np.linspace(-6, 6, 1000).astype(BF16)
    d = da.from_array(x, chunks=128)
    for f in (rectifier.gelu, rectifier.softmax, lambda v: rectifier.leaky_relu(v, 0.2),
              lambda v: rectifier.elu_grad(v, v)):
        r = f(d)
        assert isinstance(r, da.Array) and r.dtype == BF16
        assert_same_bits(r.compute(), f(x))


def test_random_rectifiers(cpu_path):
    x = np.linspace(-3, 3, 101).astype(BF16)
    y, noise = rectifier.rrelu(x, training=True, seed=11, return_noise=True)
    assert y.dtype == noise.dtype == BF16
    y32, noise32 = rectifier.rrelu(x.astype(np.float32), training=True, seed=11, return_noise=True)
    assert_same_bits(noise, noise32.astype(BF16))
    assert rectifier.noisy_relu(x, seed=2).dtype == BF16


def test_neon_gives_the_bits_of_the_native_paths(tmp_path):
    """Every op of the NEON run (tests/test_neon_qemu.py's cases: the kernels through the C
    driver, under qemu-aarch64) over all 65536 bfloat16 inputs, one call per length of its list
    (every tail and alignment) then the rest in one call: NEON's bits are the native paths'."""
    import test_neon_qemu as neon
    drivers = neon.build_drivers(tmp_path)
    if drivers.neon is None:
        neon.tool_unavailable(drivers.neon_missing)
    if drivers.native is None:
        neon.tool_unavailable(drivers.native_missing)
    ALL.tofile(tmp_path / "x.bin")
    np.linspace(-3, 3, ALL.size).astype(BF16).tofile(tmp_path / "grad.bin")
    lengths = neon.SMALL_LENGTHS + [ALL.size - sum(neon.SMALL_LENGTHS)]
    for op, params, with_grad in neon.CASES:
        if op in ("prelu", "prelu_grad"):
            continue   # a weight array: test_neon_qemu.py's float16 and float32 runs cover it
        values = [float(params[f]) for f in neon.PARAM_FIELDS.get(op, ())]
        a, b = (values + [0.0, 0.0])[:2]
        outputs = {}
        for path in ("neon",) + neon.NATIVE_PATHS:
            y = tmp_path / f"y-{path}.bin"
            args = drivers.command(path) + [path, op, "bf16", str(tmp_path / "x.bin"), str(y),
                                            f"a={a!r}", f"b={b!r}", "n=" + ",".join(map(str, lengths))]
            if op.endswith("_grad"):
                args.append("grad=" + (str(tmp_path / "grad.bin") if with_grad else "none"))
            result = neon.subprocess.run(args, capture_output=True, text=True, timeout=300)
            if result.returncode == neon.EXIT_NO_PATH:
                continue
            assert result.returncode == 0, result.stderr
            outputs[path] = np.fromfile(y, np.uint16)
        for path, bits in outputs.items():
            differ = np.flatnonzero(bits != outputs["neon"])
            assert differ.size == 0, (op, params, with_grad, path, ALL[differ[:5]])

