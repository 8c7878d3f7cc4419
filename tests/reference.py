"""Plain-NumPy float64 reference of every rectifier function: the oracle all CPU paths are checked
against. Written from the functions' definitions, independently of the C kernels.

Each `<name>(x, **params)` takes float64 values and returns float64. `expected(name, x, **params)`
applies the package's dtype contract on top: parameters are rounded to the compute type (float32 for
float16 and float32 data, float64 for float64), the float64 result is rounded to the compute type,
then stored in x's dtype. For the exact functions every product of two compute-type values is exact
in float64, so this rounding is the correctly rounded result and the kernels must match it bit for bit.
"""
import inspect

import numpy as np


def _f64(x):
    return np.asarray(x, dtype=np.float64)


# ---- forward --------------------------------------------------------------------------------

def relu(x):
    x = _f64(x)
    return np.where(x <= 0, 0.0, x)  # NaN <= 0 is False: NaN stays; -0.0 <= 0 is True: +0.0


def relu6(x):
    x = _f64(x)
    return np.where(x <= 0, 0.0, np.where(x > 6, 6.0, x))


def hardtanh(x, min_val=-1.0, max_val=1.0):
    x = _f64(x)
    return np.where(x < min_val, min_val, np.where(x > max_val, max_val, x))


def threshold(x, threshold, value):
    x = _f64(x)
    return np.where(x <= threshold, value, x)


def leaky_relu(x, negative_slope=0.01):
    """A zero slope is relu exactly (+0 for x <= 0, -inf included)."""
    x = _f64(x)
    slope = _f64(negative_slope)
    with np.errstate(invalid="ignore"):
        product = slope * x
    return np.where(x > 0, x, np.where((slope == 0) & (x <= 0), 0.0, product))


def prelu(x, weight, axis=1):
    x = _f64(x)
    return leaky_relu(x, _along_axis(weight, x.ndim, axis))


def _along_axis(weight, ndim, axis):
    """weight (scalar or 1-D) shaped to broadcast along `axis` of an ndim array."""
    w = _f64(weight)
    if w.ndim == 0 or w.size == 1 or ndim < 2:
        return w.reshape(())
    shape = [1] * ndim
    shape[axis % ndim] = w.size
    return w.reshape(shape)


# ---- derivatives: f'(x), then the chain rule as the package defines it ----------------------

def _chain(x, derivative, grad):
    """grad * f'(x); +0 where f'(x) == 0 whatever grad is; NaN where x is NaN."""
    if grad is None:
        grad = np.ones_like(x)
    grad = _f64(grad)
    with np.errstate(invalid="ignore"):
        product = np.where(derivative == 0, 0.0, derivative * grad)
    return np.where(np.isnan(x), x, product)


def relu_grad(x, grad=None, at_zero=0.0):
    x = _f64(x)
    return _chain(x, np.where(x > 0, 1.0, np.where(x == 0, at_zero, 0.0)), grad)


def relu6_grad(x, grad=None):
    x = _f64(x)
    return _chain(x, np.where((x > 0) & (x < 6), 1.0, 0.0), grad)


def hardtanh_grad(x, grad=None, min_val=-1.0, max_val=1.0):
    x = _f64(x)
    return _chain(x, np.where((x > min_val) & (x < max_val), 1.0, 0.0), grad)


def threshold_grad(x, grad=None, threshold=0.0):
    x = _f64(x)
    return _chain(x, np.where(x > threshold, 1.0, 0.0), grad)


def leaky_relu_grad(x, grad=None, negative_slope=0.01):
    x = _f64(x)
    return _chain(x, np.where(x > 0, 1.0, _f64(negative_slope)), grad)


def rrelu_grad(x, grad=None):
    """x is the noise rrelu returned: grad * noise."""
    x = _f64(x)
    return _chain(x, x, grad)


def prelu_grad(x, weight, grad=None, axis=1):
    """(grad_x, grad_weight), grad_weight summed to weight's shape."""
    x = _f64(x)
    w = _along_axis(weight, x.ndim, axis)
    g = np.ones_like(x) if grad is None else _f64(grad)
    grad_x = _chain(x, np.where(x > 0, 1.0, w), g)
    contribution = np.where(x > 0, 0.0, g * x)
    weight = np.asarray(weight)
    if weight.ndim == 0 or weight.size == 1 or x.ndim < 2:
        grad_w = contribution.sum().reshape(weight.shape)
    else:
        ax = axis % x.ndim
        grad_w = contribution.sum(axis=tuple(i for i in range(x.ndim) if i != ax))
    return grad_x, grad_w


# ---- the dtype contract ---------------------------------------------------------------------

def compute_dtype(dtype):
    """float16 is computed in float32; float32 and float64 natively."""
    dtype = np.dtype(dtype)
    return np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)


def expected(name, x, **params):
    """What rectifier.<name>(x, **params) must return, bit for bit, for an exact function."""
    x = np.asarray(x)
    ct = compute_dtype(x.dtype)
    function = globals()[name]
    defaults = {k: p.default for k, p in inspect.signature(function).parameters.items()
                if p.default is not inspect.Parameter.empty}
    params = {**defaults, **params}
    rounded = {k: (v if v is None or k == "axis" else _f64(np.asarray(v, dtype=ct)))
               for k, v in params.items()}
    if rounded.get("grad") is not None:
        rounded["grad"] = _f64(np.asarray(params["grad"]).astype(ct))
    with np.errstate(all="ignore"):
        result = function(_f64(x.astype(ct)), **rounded)
        return result.astype(ct).astype(x.dtype)


# ---- the smooth family ------------------------------------------------------------------------
# Written in the dtype of x, so that the same formulas give the float64 reference (for float32
# and float16 results) and the np.longdouble reference (for float64 results). Stable forms:
# exp only of non-positive numbers, and the limits at -inf of x * f(x) made explicit.

# np.longdouble is wider than float64 on x86-64 Linux (x87, 64-bit significand) and AArch64 Linux
# (IEEE quad), but it is float64 itself with MSVC and on macOS arm64: there a float64 "reference"
# would have the errors it is meant to measure, so the tests that need one say they cannot run.
LONGDOUBLE_IS_WIDER = np.finfo(np.longdouble).nmant > np.finfo(np.float64).nmant


def require_wide_longdouble():
    """Skips the calling test where np.longdouble is no wider than float64."""
    if not LONGDOUBLE_IS_WIDER:
        import pytest
        pytest.skip("np.longdouble is float64 on this platform: no reference wider than float64 "
                    "for float64 results")

SELU_ALPHA = "1.6732632423543772848170429916717"
SELU_SCALE = "1.0507009873554804934193349852946"


def _real(x):
    x = np.asarray(x)
    return x if x.dtype in (np.float64, np.longdouble) else x.astype(np.float64)


def _const(value, x):
    """A constant in x's precision (from its decimal string for long double)."""
    if x.dtype == np.longdouble:
        return np.longdouble(value if isinstance(value, str) else repr(value))
    return np.asarray(float(value), dtype=x.dtype)


def _limit_at_minus_inf(x, value):
    """x * f(x) with f -> 0 at -inf: its limit -0.0 there instead of -inf * 0 = NaN."""
    return np.where(x == -np.inf, np.copysign(np.zeros_like(x), -1), value)


def _logistic(x):
    with np.errstate(all="ignore"):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _softplus(z):
    with np.errstate(all="ignore"):
        return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def _nonpositive(x):
    """0 where x > 0, else x, NaN and -0.0 included (np.minimum(x, 0) may turn -0.0 into +0.0)."""
    return np.where(x > 0, 0, x).astype(x.dtype)


def elu(x, alpha=1.0):
    x = _real(x)
    with np.errstate(all="ignore"):
        return np.where(x > 0, x, _const(alpha, x) * np.expm1(_nonpositive(x)))


def celu(x, alpha=1.0):
    x = _real(x)
    a = _const(alpha, x)
    with np.errstate(all="ignore"):
        return np.where(x > 0, x, a * np.expm1(_nonpositive(x) / a))


def selu(x):
    x = _real(x)
    scale, alpha = _const(SELU_SCALE, x), _const(SELU_ALPHA, x)
    with np.errstate(all="ignore"):
        return scale * np.where(x > 0, x, alpha * np.expm1(_nonpositive(x)))


def softplus(x, beta=1.0, threshold=None):
    x = _real(x)
    b = _const(beta, x)
    with np.errstate(all="ignore"):
        z = b * x
        result = _softplus(z) / b
    return result if threshold is None else np.where(z > threshold, x, result)


def sigmoid(x):
    return _logistic(_real(x))


def log_sigmoid(x):
    """Negative for every x: -0.0 where it underflows (x = +inf included)."""
    x = _real(x)
    with np.errstate(all="ignore"):
        return -(np.log1p(np.exp(-np.abs(x))) - _nonpositive(x))


def tanh(x):
    """libm's tanh (tanhl for long double): odd, +-1 at the ends."""
    return np.tanh(_real(x))


def _tanhshrink_series():
    """x - tanh(x) = sum c_n x^(2n-1) for n >= 2, c_n = -2^(2n) (2^(2n) - 1) B_2n / (2n)!: exact
    fractions (the Bernoulli numbers by their recurrence), highest n first, as decimal strings."""
    from decimal import Decimal, getcontext
    from fractions import Fraction
    from math import comb, factorial
    getcontext().prec = 40
    B = [Fraction(1)]
    for m in range(1, 61):
        B.append(-sum(comb(m + 1, k) * B[k] for k in range(m)) / (m + 1))
    c = [-Fraction(4 ** n * (4 ** n - 1)) * B[2 * n] / factorial(2 * n) for n in range(30, 1, -1)]
    return [str(Decimal(f.numerator) / Decimal(f.denominator)) for f in c]


_TANHSHRINK_SERIES = _tanhshrink_series()


def tanhshrink(x):
    """x - tanh(x): below |x| = 1/2 tanh's Taylor series (28 terms reach 2^-70 there, and x^3/3
    of a tiny x keeps its sign); above, x - tanh(x) cancels at most a factor 12 of the working
    precision (long double for float64 results)."""
    x = _real(x)
    with np.errstate(all="ignore"):
        t = x * x
        s = np.zeros_like(x)
        for c in _TANHSHRINK_SERIES:
            s = s * t + _const(c, x)
        return np.where(np.abs(x) < _const("0.5", x), x * t * s, x - np.tanh(x))


def silu(x):
    x = _real(x)
    with np.errstate(all="ignore"):
        return _limit_at_minus_inf(x, x * _logistic(x))


def mish(x):
    x = _real(x)
    with np.errstate(all="ignore"):
        return _limit_at_minus_inf(x, x * np.tanh(_softplus(x)))


def hardsigmoid(x):
    x = _real(x)
    with np.errstate(all="ignore"):
        return np.minimum(np.maximum(x + 3, 0), 6) / 6


def hardswish(x):
    x = _real(x)
    with np.errstate(all="ignore"):
        return _limit_at_minus_inf(x, x * np.minimum(np.maximum(x + 3, 0), 6) / 6)


PI = "3.14159265358979323846264338327950288"


def _sqrt_2_over_pi(x):
    return np.sqrt(2 / _const(PI, x))


def _gelu_2u(x):
    return 2 * _sqrt_2_over_pi(x) * (x + _const("0.044715", x) * x ** 3)


def gelu_tanh(x):
    """0.5 x (1 + tanh(u)) = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3)."""
    x = _real(x)
    with np.errstate(all="ignore"):
        return _limit_at_minus_inf(x, x * _logistic(_gelu_2u(x)))


# derivatives: f'(x), then _chain as for the exact functions

def elu_grad(x, grad=None, alpha=1.0):
    x = _real(x)
    with np.errstate(all="ignore"):
        return _chain(x, np.where(x > 0, 1, _const(alpha, x) * np.exp(np.minimum(x, 0))).astype(x.dtype), grad)


def celu_grad(x, grad=None, alpha=1.0):
    x = _real(x)
    a = _const(alpha, x)
    with np.errstate(all="ignore"):
        return _chain(x, np.where(x > 0, 1, np.exp(np.minimum(x, 0) / a)).astype(x.dtype), grad)


def selu_grad(x, grad=None):
    x = _real(x)
    scale, alpha = _const(SELU_SCALE, x), _const(SELU_ALPHA, x)
    with np.errstate(all="ignore"):
        return _chain(x, scale * np.where(x > 0, 1, alpha * np.exp(np.minimum(x, 0))), grad)


def softplus_grad(x, grad=None, beta=1.0, threshold=None):
    x = _real(x)
    z = _const(beta, x) * x
    d = _logistic(z)
    if threshold is not None:
        d = np.where(z > threshold, 1, d).astype(x.dtype)
    return _chain(x, d, grad)


def sigmoid_grad(x, grad=None):
    x = _real(x)
    return _chain(x, _logistic(x) * _logistic(-x), grad)


def tanh_grad(x, grad=None):
    """sech(x)^2 (1 - tanh(x)^2 would cancel to 0 for large |x|)."""
    x = _real(x)
    with np.errstate(over="ignore"):
        return _chain(x, 1 / np.cosh(x) ** 2, grad)


def tanhshrink_grad(x, grad=None):
    x = _real(x)
    return _chain(x, np.tanh(x) ** 2, grad)


def log_sigmoid_grad(x, grad=None):
    x = _real(x)
    return _chain(x, _logistic(-x), grad)


def _finite(x):
    return np.clip(x, -1e10, 1e10)


def silu_grad(x, grad=None):
    x = _real(x)
    s, s_neg = _logistic(x), _logistic(-x)
    with np.errstate(all="ignore"):
        return _chain(x, s + _finite(x) * s * s_neg, grad)


def mish_grad(x, grad=None):
    x = _real(x)
    with np.errstate(all="ignore"):
        sp = _softplus(x)
        t = np.tanh(sp)
        sech2 = 1 / np.cosh(sp) ** 2
        return _chain(x, t + _finite(x) * sech2 * _logistic(x), grad)


def hardsigmoid_grad(x, grad=None):
    x = _real(x)
    return _chain(x, np.where((x > -3) & (x < 3), 1 / _const(6.0, x), 0).astype(x.dtype), grad)


def hardswish_grad(x, grad=None):
    x = _real(x)
    return _chain(x, np.where(x <= -3, 0, np.where(x < 3, x / 3 + _const(0.5, x), 1)).astype(x.dtype), grad)


def gelu_tanh_grad(x, grad=None):
    x = _real(x)
    xc = _finite(x)
    with np.errstate(all="ignore"):
        two_u = _gelu_2u(xc)
        s, s_neg = _logistic(two_u), _logistic(-two_u)
        du = 2 * _sqrt_2_over_pi(x) * (1 + 3 * _const("0.044715", x) * xc * xc)
        return _chain(x, s + xc * s * s_neg * du, grad)


# The functions whose float32 and float16 kernels round their parameters to float32 first
PARAMS_IN_COMPUTE_TYPE = {"hardshrink", "softshrink", "squareplus"}


def smooth_expected(name, x, **params):
    """The reference of a smooth function for x's dtype: float64 formulas for float16/float32
    data, np.longdouble for float64 data; not rounded (errors are measured against it)."""
    x = np.asarray(x)
    if x.dtype == np.float64:
        require_wide_longdouble()
    work = np.longdouble if x.dtype == np.float64 else np.float64
    grad = params.pop("grad", None)
    if name.removesuffix("_grad") in PARAMS_IN_COMPUTE_TYPE and x.dtype != np.float64:
        # these take their parameters in the compute type: float32 for float16/float32 data
        params = {k: float(np.float32(v)) for k, v in params.items()}
    with np.errstate(all="ignore"):  # special values: inf * 0 and the like are part of the domain
        if grad is not None:
            params["grad"] = np.asarray(grad).astype(work)
        return globals()[name](x.astype(work), **params)


def _normal_cdf(x):
    """Phi(x): mpmath at 100 bits for long double (float64 results), math.erfc otherwise."""
    if x.dtype == np.longdouble:
        import mpmath
        mpmath.mp.prec = 100
        def phi(v):
            if np.isnan(v):
                return np.longdouble(np.nan)
            if v < -150 or v > 150:   # 0 or 1 in long double
                return np.longdouble(1 if v > 0 else 0)
            # mpf(float) is exact (not the shortest decimal, whose error x^2 would amplify)
            return np.longdouble(mpmath.nstr(mpmath.ncdf(mpmath.mpf(float(v))), 30))
        return np.vectorize(phi, otypes=[np.longdouble])(x)
    import math
    return np.vectorize(lambda v: 0.5 * math.erfc(-v / math.sqrt(2)), otypes=[np.float64])(x)


def gelu(x):
    """x Phi(x); -0.0 at -inf."""
    x = _real(x)
    with np.errstate(all="ignore"):
        return _limit_at_minus_inf(x, x * _normal_cdf(x))


def gelu_grad(x, grad=None):
    x = _real(x)
    with np.errstate(all="ignore"):
        density = np.exp(-_finite(x) ** 2 / 2) / np.sqrt(2 * _const(PI, x))
        return _chain(x, _normal_cdf(x) + _finite(x) * density, grad)



# ---- the algebraic family (src/kernels/ops_algebraic.h) ----------------------------------------

def softsign(x):
    x = _real(x)
    with np.errstate(all="ignore"):
        return np.where(np.isinf(x), np.sign(x), x / (1 + np.abs(x)))


def softsign_grad(x, grad=None):
    x = _real(x)
    with np.errstate(all="ignore"):
        return _chain(x, 1 / (1 + np.abs(x)) ** 2, grad)


def hardshrink(x, lambd=0.5):
    x = _real(x)
    return np.where(np.abs(x) <= lambd, _const(0.0, x), x)


def hardshrink_grad(x, grad=None, lambd=0.5):
    x = _real(x)
    return _chain(x, np.where(np.abs(x) > lambd, 1, 0).astype(x.dtype), grad)


def softshrink(x, lambd=0.5):
    x = _real(x)
    lam = x.dtype.type(lambd)   # the double itself, not its decimal string
    with np.errstate(all="ignore"):
        shrunk = np.where(x > lam, x - lam, np.where(x < -lam, x + lam, _const(0.0, x)))
    return np.where(np.isnan(x), x, shrunk)


softshrink_grad = hardshrink_grad


def squareplus(x, b=4.0):
    x = _real(x)
    b = x.dtype.type(b)
    with np.errstate(all="ignore"):
        s = np.sqrt(x * x + b)
        # (b / 2) / (s - x) for x < 0: the same value without the cancellation of x + s
        y = np.where(x < 0, b / 2 / (s - x), np.where(np.isinf(x), x, (x + s) / 2))
    return np.where(np.isnan(x), x, np.where((b == 0) & (x <= 0), _const(0.0, x), y)) if b == 0 else y


def squareplus_grad(x, grad=None, b=4.0):
    x = _real(x)
    b = x.dtype.type(b)
    with np.errstate(all="ignore"):
        s = np.sqrt(x * x + b)
        d = np.where(x < 0, b / 2 / s / (s - x), (1 + np.where(s == 0, 0, x / s)) / 2)
        d = np.where(np.isinf(x), np.where(x > 0, 1, 0), d).astype(x.dtype)
        if b == 0:   # relu's derivative, 1/2 at 0
            d = np.where(x > 0, 1, np.where(x == 0, 0.5, 0)).astype(x.dtype)
    return _chain(x, d, grad)


def sparse_sigmoid(x):
    x = _real(x)
    with np.errstate(all="ignore"):
        return np.where(x <= -1, _const(0.0, x), np.where(x >= 1, _const(1.0, x), (x + 1) / 2))


def sparse_sigmoid_grad(x, grad=None):
    x = _real(x)
    return _chain(x, np.where((x > -1) & (x < 1), _const(0.5, x), _const(0.0, x)), grad)


def sparse_plus(x):
    x = _real(x)
    with np.errstate(all="ignore"):
        return np.where(x <= -1, _const(0.0, x), np.where(x >= 1, x, (x + 1) ** 2 / 4))


def sparse_plus_grad(x, grad=None):
    return _chain(_real(x), sparse_sigmoid(x), grad)
