"""Plain-NumPy float64 reference of every rectifier function: the oracle all CPU paths are checked
against. Written from the SPEC's definitions, independently of the C kernels.

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
