"""The smooth rectifiers and their derivatives on every CPU path: accuracy in ULPs against
tests/reference.py (float64 for float16/float32 results, np.longdouble for float64 results),
special values bit for bit, parameters and errors.

The bounds at default parameters: float32 <= 1 ULP (here on a dense sample of every binade;
bench/accuracy.py sweeps all 2^32 inputs), float16 <= 1 ULP over all 65536 inputs, float64 <= 2 ULP.
"""
import mpmath
import numpy as np
import pytest

import rectifier
from rectifier import _operations
import reference
from conftest import TESTED_PATHS, assert_same_bits

# every function of the table's smooth and algebraic families (gelu_tanh: gelu(approximate="tanh"))
FORWARD = [(op.name, {}) for op in _operations.OPS if op.family in ("smooth", "algebraic")]
# gelu's float64 reference is mpmath, element by element: a thinner sample
MPMATH_STRIDE = {"gelu": 25}
# the bound each function meets in float64 (ULP); gelu's tanh form is the exception, see below
F64_BOUND = {name: 2.0 for name, _ in FORWARD}


def call(name, x, grad=None, **params):
    if name == "gelu":
        return rectifier.gelu(x, approximate="none", **params)
    if name == "gelu_grad":
        return rectifier.gelu_grad(x, grad, approximate="none", **params)
    if name == "gelu_tanh":
        return rectifier.gelu(x, approximate="tanh", **params)
    if name == "gelu_tanh_grad":
        return rectifier.gelu_grad(x, grad, approximate="tanh", **params)
    if name.endswith("_grad"):
        return getattr(rectifier, name)(x, grad, **params)
    return getattr(rectifier, name)(x, **params)


def ulp_error(got, ref, dtype):
    """|got - ref| in units of the last place of dtype at ref (smallest subnormal at least);
    NaN where both are NaN or equal infinities, inf where one is special and the other is not."""
    dtype = np.dtype(dtype)
    info = np.finfo(dtype)
    with np.errstate(all="ignore"):  # NaN and inf inputs, and rounding to dtype overflowing to inf
        ref_wide = ref.astype(np.longdouble)
        got_wide = got.astype(np.longdouble)
        rounded = np.abs(ref).astype(dtype)
        ulp = np.maximum(np.spacing(np.minimum(rounded, info.max)).astype(np.longdouble),
                         np.longdouble(info.smallest_subnormal))
        err = np.abs(got_wide - ref_wide) / ulp
        same_special = (np.isnan(got) & np.isnan(ref)) | (np.isinf(got) & (got == ref.astype(dtype)))
    err = np.where(same_special, 0, err)
    err = np.where(np.isnan(err) & ~same_special, np.inf, err)
    return err


def dense_float32_sample():
    """Every 4099th float32 bit pattern (all binades, both signs) and the edges of exp."""
    bits = np.arange(0, 2 ** 32, 4099, dtype=np.uint64).astype(np.uint32)
    edges = np.array([88.72283, 88.72284, -87.33654, -103.97208, -103.97209, 17.32868, -17.32868,
                      14.556091, 20.0, -20.0, 1e-30, -1e-30, 3.0, -3.0], np.float32)
    return np.concatenate([bits.view(np.float32), edges, np.nextafter(edges, np.float32(np.inf)),
                           np.nextafter(edges, np.float32(-np.inf))])


def float64_sample(n=200_000, seed=7):
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2 ** 64, n, dtype=np.uint64).view(np.float64)
    bits = bits[np.isfinite(bits)]
    decades = rng.uniform(-1, 1, n) * 10.0 ** rng.uniform(-300, 3, n)
    edges = np.array([709.782712893384, -708.3964185322641, -745.1332191019411, 37.42994775023705,
                      -37.42994775023705, 33.27106466687737, 0.5, -0.5, 3, -3, 1e-300, -1e-300])
    moderate = rng.uniform(-40, 40, n)
    return np.concatenate([bits, decades, edges, np.nextafter(edges, np.inf), moderate])


def max_ulp(name, x, **params):
    got = call(name, x, **params)
    ref = reference.smooth_expected(name, x, **params)
    err = ulp_error(got, ref, x.dtype)
    worst = int(np.argmax(err))
    return float(err[worst]), x[worst], got[worst], ref[worst]


@pytest.mark.parametrize("name,params", FORWARD, ids=[f[0] for f in FORWARD])
def test_float32_dense_sample_within_1_ulp(name, params, cpu_path):
    x = dense_float32_sample()
    err, at, got, ref = max_ulp(name, x, **params)
    assert err <= 1.0, f"{name}: {err:.3f} ULP at x={at!r} ({np.float32(at).view(np.uint32):#010x}): got {got!r}, want {ref!r}"


@pytest.mark.parametrize("name,params", FORWARD, ids=[f[0] for f in FORWARD])
def test_float16_exhaustive_within_1_ulp(name, params, cpu_path):
    x = np.arange(65536, dtype=np.uint16).view(np.float16)
    err, at, got, ref = max_ulp(name, x, **params)
    assert err <= 1.0, f"{name}: {err:.3f} ULP at x={at!r}: got {got!r}, want {ref!r}"


@pytest.mark.parametrize("name,params", FORWARD, ids=[f[0] for f in FORWARD])
def test_float64_within_2_ulp(name, params, cpu_path):
    x = float64_sample()[::MPMATH_STRIDE.get(name, 1)]
    if name == "gelu_tanh":
        # float64 gelu(tanh) is held to 2 ULP on [-5, inf): below, sigmoid(2u) is tiny and its
        # relative error is about |2u| times that of u (a cubic in x with rounded constants)
        x = x[x >= -5]
    err, at, got, ref = max_ulp(name, x, **params)
    assert err <= F64_BOUND[name], f"{name}: {err:.3f} ULP at x={at!r}: got {got!r}, want {ref!r}"


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("name,params", FORWARD, ids=[f[0] for f in FORWARD])
def test_special_values_and_limits(name, params, dtype, cpu_path):
    """NaN, +-inf and +-0 in: bit for bit against the reference (NaN-ness, limits, sign of zero);
    subnormals and the extreme normals in: within the bound, at every position of a vector. (Bit
    for bit there would ask the reference to round exactly where it cannot: float64 gelu of the
    smallest subnormal is just above a rounding tie that long double cannot see.)"""
    info = np.finfo(dtype)
    special = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0], dtype)
    extreme = np.array([info.smallest_subnormal, -info.smallest_subnormal, info.max, -info.max,
                        info.smallest_normal, -info.smallest_normal], dtype)
    x = np.concatenate([special, extreme])
    # float16 is computed in float32 and rounded again: the reference is rounded the same way
    ref = reference.smooth_expected(name, x, **params)
    with np.errstate(over="ignore"):  # to inf where the result overflows dtype
        want = ref.astype(np.float32 if dtype == np.float16 else dtype).astype(dtype)
    bound = 2.0 if dtype == np.float64 else 1.0
    for n in range(len(x)):  # every position, full vectors and tails
        got = np.roll(call(name, np.roll(x, n), **params), -n)
        assert_same_bits(got[:len(special)], want[:len(special)])
        err = ulp_error(got[len(special):], ref[len(special):], dtype)
        assert err.max() <= bound, (name, x[len(special) + int(np.argmax(err))], err.max())
        assert_same_bits(np.isnan(got[len(special):]), np.isnan(want[len(special):]))


def _mp_tanhshrink(v):
    """x - tanh(x) by mpmath: x^3/3 - 2x^5/15 + 17x^7/315 below 1e-6 (within 2^-120), else at
    200 bits (the cancellation costs at most 42)."""
    with mpmath.workprec(200):
        x = mpmath.mpf(float(v))
        if abs(x) < 1e-6:
            t = x * x
            return x * t * (mpmath.mpf(1) / 3 - 2 * t / 15 + 17 * t * t / 315)
        return x - mpmath.tanh(x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tanhshrink_against_mpmath(dtype, cpu_path):
    """x - tanh(x) cancels below |x| = 2 (to x^3/3 near 0). Against mpmath: the edges of the
    kernels' pieces (|x| = 1, the float64 scaling at 2^-200, float32 results that are subnormal
    near |x| = 2^-42 and round to 0 below 2^-50) and a random sample of every scale; tiny results
    (x^3/3) rounded once: correctly, but for ties closer than 2^-20 ULP (float32) or the double
    rounding of float64 subnormal results (0.75 ULP)."""
    rng = np.random.default_rng(5)
    info = np.finfo(dtype)
    edges = np.array([1.0, 0.5, 0.55, 2.0, 20.0, 40.0, 2.0 ** -42, 2.0 ** -43, 2.0 ** -50, 2.0 ** -200,
                      2.0 ** -341, 2.0 ** -358, 1e-5, float(info.smallest_subnormal), float(info.max)])
    edges = edges[(edges <= info.max) & (edges >= info.smallest_subnormal)]
    scale = 10.0 ** rng.uniform(np.log10(float(info.smallest_subnormal)), 1.5, 3000)
    edges = edges.astype(dtype)
    x = np.concatenate([edges, np.nextafter(edges, dtype(0)), np.nextafter(edges[:-1], dtype(np.inf)),
                        rng.uniform(0, 3, 3000), scale]).astype(dtype)
    x = np.concatenate([x, -x])
    want = np.array([np.longdouble(mpmath.nstr(_mp_tanhshrink(v), 40)) for v in x])
    got = rectifier.tanhshrink(x)
    err = ulp_error(got, want, dtype)
    assert err.max() <= (1.0 if dtype == np.float32 else 2.0), f"{err.max():.3f} ULP at x={x[np.argmax(err)]!r}"
    assert_same_bits(np.signbit(got), np.signbit(x))
    tiny = np.abs(x) < 2.0 ** -20
    bound = 0.5 + 2.0 ** -20 if dtype == np.float32 else 0.75
    assert err[tiny].max() <= bound, f"{err[tiny].max():.6f} ULP at x={x[tiny][np.argmax(err[tiny])]!r}"
    if dtype == np.float64:
        # the reference of the other tests (tests/reference.py, long double) against mpmath: its
        # x - tanh(x) just above |x| = 1/2 cancels a factor 12 of long double's 2^-64
        assert ulp_error(reference.tanhshrink(x.astype(np.longdouble)), want, dtype).max() < 0.02


def test_documented_limits():
    f32 = np.float32
    assert rectifier.sigmoid(np.array([-100.0], f32))[0] == f32(3.7200760e-44)
    for f in (rectifier.silu, rectifier.mish, rectifier.gelu, lambda v: rectifier.gelu(v, approximate="tanh")):
        r = f(np.array([-np.inf]))
        assert r[0] == 0 and np.signbit(r[0])
    assert np.signbit(rectifier.elu(np.array([-0.0]))[0]) and np.signbit(rectifier.selu(np.array([-0.0]))[0])
    assert rectifier.softplus(np.array([1000.0]))[0] == 1000.0
    assert rectifier.softplus(np.array([20.5]))[0] == 20.5 + np.log1p(np.exp(-20.5))  # not PyTorch's 20.5
    assert rectifier.softplus(np.array([20.5]), threshold=20.0)[0] == 20.5              # PyTorch's rule


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_paths_and_layouts_agree_bit_for_bit(dtype):
    paths = TESTED_PATHS
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((37, 11)) * 10).astype(dtype)
    before = rectifier.capabilities()["enabled"]
    try:
        for name, params in FORWARD + [(n + "_grad", {}) for n, _ in FORWARD]:
            results = []
            for path in paths:
                rectifier.set_capabilities([path])
                g = x[::-1] if name.endswith("_grad") else None
                for view in (x, np.asfortranarray(x), x[:, ::-1].copy()[:, ::-1], x.astype(x.dtype.newbyteorder(">"))):
                    gv = None if g is None else np.ascontiguousarray(g)
                    results.append(call(name, view, gv, **params).view(f"u{x.itemsize}"))
            for r in results[1:]:
                np.testing.assert_array_equal(r, results[0], err_msg=name)
    finally:
        rectifier.set_capabilities(before)


# ---- derivatives -------------------------------------------------------------------------

# The terms whose size sets the rounding error of each derivative: near a root of f' (silu's at
# x = -1.278, mish's, gelu's) the result is much smaller than its terms, so the tolerance is
# relative to the terms.
def derivative_scale(name, x):
    x = x.astype(np.longdouble)
    with np.errstate(all="ignore"):
        s = reference._logistic(x)
        if name == "silu_grad":
            return s + np.abs(reference._finite(x) * s * (1 - s))
        if name == "mish_grad":
            return 1 + np.abs(reference._finite(x) * s)
        if name == "gelu_grad":
            return reference._normal_cdf(x) + np.abs(reference._finite(x)) * np.exp(-reference._finite(x) ** 2 / 2)
        if name == "hardswish_grad":
            return np.abs(x) / 3 + 0.5
        if name == "gelu_tanh_grad":
            xc = reference._finite(x)
            return 1 + np.abs(xc) * (1 + 0.134 * xc * xc)
    return None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,params", FORWARD, ids=[f[0] for f in FORWARD])
def test_derivatives_against_the_analytic_derivative(name, params, dtype, cpu_path):
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.uniform(-30, 30, 20000), rng.standard_normal(20000),
                        [0.0, -0.0, -3.0, 3.0, -1.2784645427610738, 1e-8, -1e-8]]).astype(dtype)
    if dtype == np.float64:
        x = x[::MPMATH_STRIDE.get(name, 1)]
    g = rng.uniform(-2, 2, x.size).astype(dtype)
    gname = name + "_grad"
    got = call(gname, x, g, **params)
    ref = reference.smooth_expected(gname, x, grad=g, **params)
    eps = np.finfo(dtype).eps
    scale = derivative_scale(gname, x)
    if scale is None:
        err = ulp_error(got, ref, dtype)
        assert err.max() <= (1.0 if dtype == np.float32 else 4.0), \
            f"{gname}: {err.max():.2f} ULP at x={x[np.argmax(err)]!r}"
    else:
        tolerance = 4 * eps * scale * np.abs(g)
        bad = np.abs(got.astype(np.longdouble) - ref) > tolerance + np.spacing(np.abs(ref).astype(dtype))
        assert not bad.any(), f"{gname}: x={x[bad][:3]!r} got={got[bad][:3]!r} want={ref[bad][:3]!r}"
    # without grad: f'(x) itself
    assert_same_bits(call(gname, x), call(gname, x, np.ones_like(x)))



@pytest.mark.parametrize("name", ["sigmoid_grad", "silu_grad"])
def test_float32_gradient_products_over_every_binade_of_grad(name, cpu_path):
    """grad * f'(x) for grads over every binade (subnormal to the largest) and x into the tails
    where f' underflows: the lanes computed natively in float32 (f' in two parts times grad,
    rounded once) and those left to the float64 route (tiny, subnormal and overflowing products)
    are both within 1 ULP of the exact product (silu': away from its root, where the bound is
    relative to its terms, as above). At finite x, a zero grad gives a zero with the product's
    sign, an infinite one +-inf."""
    rng = np.random.default_rng(5)
    n = 100_000
    # |x| <= 150: both routes clamp e^-|x| at |x| = 160, which only a grad above 2^100 can see
    x = np.concatenate([rng.uniform(-150, 150, n), rng.standard_normal(n) * 4]).astype(np.float32)
    g = (rng.choice([-1.0, 1.0], x.size) * 2.0 ** rng.uniform(-149, 128, x.size)).astype(np.float32)
    err = ulp_error(call(name, x, g), reference.smooth_expected(name, x, grad=g), np.float32)
    if name == "silu_grad":
        err = err[np.abs(x + 1.2784645) > 0.01]
    assert err.max() <= 1.0, f"{name}: {err.max():.3f} ULP"
    x = np.concatenate([x[:1000], np.array([0.0, -0.0, -1.2784646], np.float32)])
    for fill in (0.0, -0.0, np.inf, -np.inf):
        gf = np.full_like(x, fill)
        assert_same_bits(call(name, x, gf), reference.smooth_expected(name, x, grad=gf).astype(np.float32))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_piecewise_derivatives_at_the_kinks_as_pytorch(dtype, cpu_path):
    """PyTorch's values where hardswish and hardsigmoid bend: hardswish' is 0 at -3 and 1 at 3 (the
    flat pieces' slopes), hardsigmoid' is 0 at both; strictly inside, x / 3 + 1/2 and 1/6."""
    x = np.array([-3.0, 3.0, -2.5, 2.5, 0.0, -4.0, 4.0], dtype)
    # the middle pieces computed in float64 and rounded once to the result type
    middle = [-2.5 / 3.0 + 0.5, 2.5 / 3.0 + 0.5]
    assert_same_bits(rectifier.hardswish_grad(x), np.array([0.0, 1.0, *middle, 0.5, 0.0, 1.0]).astype(dtype))
    sixth = 1.0 / 6.0
    assert_same_bits(rectifier.hardsigmoid_grad(x), np.array([0, 0, sixth, sixth, sixth, 0, 0]).astype(dtype))


def test_float64_derivatives_use_float64_constants(cpu_path):
    """float64 gradients carry float64 constants (PyTorch 2.13's float64 celu and hardsigmoid
    backward use float32 ones, 1e-8 off): 1/6 exactly rounded, celu' = exp(x / alpha)."""
    assert rectifier.hardsigmoid_grad(np.array([0.5]))[0] == 1.0 / 6.0
    x = np.array([-1.0, -0.1, -2.5])
    for alpha in (0.7, 1.0, 2.5):
        expected = [float(mpmath.exp(mpmath.mpf(v) / mpmath.mpf(alpha))) for v in x]
        np.testing.assert_allclose(rectifier.celu_grad(x, alpha=alpha), expected, rtol=4e-16, atol=0)


@pytest.mark.parametrize("name,params", FORWARD, ids=[f[0] for f in FORWARD])
def test_derivatives_special_values(name, params, cpu_path):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e300, -1e300], np.float64)
    got = call(name + "_grad", x, **params)
    want = reference.smooth_expected(name + "_grad", x, **params).astype(np.float64)
    assert_same_bits(got, want)
    # where f' is 0 an infinite gradient gives 0, not NaN
    assert not np.isnan(call(name + "_grad", x[1:], np.full(6, np.inf), **params)[want[1:] == 0]).any()


# ---- parameters ----------------------------------------------------------------------------

def test_parameterised_functions_match_the_reference(cpu_path):
    x = np.linspace(-8, 8, 1001)
    for name, params in [("elu", {"alpha": 0.5}), ("elu", {"alpha": 0.0}), ("celu", {"alpha": 2.5}),
                         ("softplus", {"beta": 2.0}), ("softplus", {"beta": 0.5, "threshold": 1.0})]:
        for suffix in ("", "_grad"):
            got = call(name + suffix, x, **params)
            ref = reference.smooth_expected(name + suffix, x, **params)
            err = ulp_error(got, ref, np.float64)
            assert err.max() <= 4, (name + suffix, params, err.max())
    # array parameters broadcast, through the ufunc
    alphas = np.array([[0.5], [1.0], [2.0]])
    got = rectifier.elu(x[:10], alphas)
    assert got.shape == (3, 10)
    for row, a in zip(got, alphas[:, 0]):
        np.testing.assert_array_equal(row, rectifier.elu(x[:10], a))


@pytest.mark.parametrize("call_bad,error,word", [
    (lambda x: rectifier.elu(x, alpha=-1.0), ValueError, "alpha"),
    (lambda x: rectifier.elu(x, alpha=np.nan), ValueError, "alpha"),
    (lambda x: rectifier.celu(x, alpha=0.0), ValueError, "alpha"),
    (lambda x: rectifier.softplus(x, beta=0.0), ValueError, "beta"),
    (lambda x: rectifier.softplus(x, beta=np.inf), ValueError, "beta"),
    (lambda x: rectifier.softplus(x, threshold=np.nan), ValueError, "threshold"),
    (lambda x: rectifier.softplus_grad(x, beta=-2.0), ValueError, "beta"),
    (lambda x: rectifier.gelu(x, approximate="erf"), ValueError, "approximate"),
    (lambda x: rectifier.gelu_grad(x, approximate=None), ValueError, "approximate"),
    (lambda x: rectifier.sigmoid(x.astype(np.complex64)), TypeError, "dtype"),
])
def test_bad_parameters(call_bad, error, word):
    with pytest.raises(error, match=word):
        call_bad(np.linspace(-1, 1, 5))


def test_no_overflow_or_invalid_flags_from_discarded_lanes(cpu_path):
    """Through the ufunc path NumPy reports any flag a kernel raises. Overflow, invalid and
    divide must not come from lanes a kernel discards or from tails (underflow may, legitimately:
    exp(-|x|) of a large |x| is an intermediate that underflows)."""
    info = np.finfo(np.float64)
    # (half the largest float: selu of the largest overflows, legitimately)
    x = np.array([info.max / 2, -info.max, np.inf, -np.inf, np.nan, 0.0, -0.0, 700.0, -700.0, 1e-300, 30.0], np.float64)
    for name, params in FORWARD:
        for n in range(len(x) + 1):
            xs = x[:n][::-1]
            with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
                call(name, xs, **params)
                call(name + "_grad", xs, **params)
