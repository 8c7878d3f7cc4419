"""The reductions and their gradients: argument handling around the C kernels of
src/kernels/reduce.h (run through rectifier._core._reduce).

The kernels take C-ordered data of shape (outer, n, inner) and reduce over n. Reduced axes that are
adjacent map onto that directly (axis=-1: inner == 1, each slice contiguous; axis=0: inner > 1,
the kernel vectorizes across slices): no copy of C-ordered data. Other inputs (F-ordered, strided,
byte-swapped, non-adjacent axes such as (0, 2)) are first copied to that C-ordered form, so every
layout gives the same bits as the C-contiguous array.

Choices where SciPy is silent (also in docs/functions.md):
- softmax, log_softmax and the gradients of an empty array return an empty array (SciPy raises);
  logsumexp over an empty slice is -inf (0 with include_zero), with sign 0 when return_sign
  (SciPy's sign there is -1, although the sum is 0).
- the weighted form (b=) is computed in float64 by NumPy, as SciPy does, then rounded to x's dtype;
  only the unweighted form runs the SIMD kernels.
- softmax_grad / log_softmax_grad take a slice whose forward output is NaN throughout as an all
  -inf slice and return 0 there (never NaN).
"""
import math

import numpy as np

from . import _core, _lazy, _rules

_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
_OPS = _core.REDUCE_OPS


def _float_array(fname, x, pname="x"):
    """x as an ndarray and its result dtype: float16/32/64 keep theirs, integers and bool give
    float64; anything else is a TypeError naming the dtype."""
    try:
        arr = x if type(x) is np.ndarray else np.asarray(x)
    except ValueError as error:   # a ragged nested sequence
        raise ValueError(f"{fname}: {pname} is not a regular array: {error}") from error
    return arr, _result_dtype(fname, arr.dtype, pname)


_result_dtype = _rules.result_dtype


def _weighted_dtype(fname, x_dtype, b):
    """logsumexp's result dtype with weights b: NumPy's promotion of x's and b's dtypes, as SciPy
    (float32 x with a float64 or integer array b gives float64), where a Python number b is weak
    and keeps x's dtype (NEP 50)."""
    if type(b) in (int, float):
        return _result_dtype(fname, np.result_type(x_dtype, b))
    b_dtype = b.dtype if hasattr(b, "dtype") else _float_array(fname, b, "b")[0].dtype
    return _result_dtype(fname, np.result_type(x_dtype, _result_dtype(fname, b_dtype, "b")))


def _axes(fname, axis, ndim):
    """The reduced axes, sorted, non-negative: from None (all), an int or a tuple of ints.

    A 0-d x is one element along a single axis, as SciPy takes it: axis None, 0 or -1 (alone or
    in a tuple) reduces over that element (softmax 1, log_softmax 0, logsumexp the value), and
    the result is 0-d; any other axis is out of bounds."""
    if ndim == 0:
        _axes(fname, axis, 1)
        return ()
    if type(axis) is int and -ndim <= axis < ndim:   # the common call, quickly
        return (axis % ndim,)
    return _rules.axes(fname, axis, ndim)


_bool = _rules.flag


def _c_aligned(a, dtype):
    """a as a flat C-contiguous, aligned, native array of dtype (a copy only where needed)."""
    if type(a) is np.ndarray and a.dtype == dtype and a.flags.c_contiguous and a.flags.aligned:
        return a.reshape(-1)
    return np.require(a, dtype=dtype, requirements=["C", "A"]).reshape(-1)


class _Layout:
    """x as the kernels' (outer, n, inner) C-ordered array, and the way back to x's shape."""

    def __init__(self, x, dtype, axes):
        shape = x.shape
        self.shape, self.axes = shape, axes
        kept = [a for a in range(x.ndim) if a not in axes]
        adjacent = not axes or axes == tuple(range(axes[0], axes[-1] + 1))
        if adjacent:
            first = axes[0] if axes else x.ndim
            last = axes[-1] + 1 if axes else x.ndim
            self.perm = None
            self.data = _c_aligned(x, dtype)
            self.outer = math.prod(shape[:first])
            self.n = math.prod(shape[first:last])
            self.inner = math.prod(shape[last:])
        else:
            self.perm = kept + list(axes)
            self.data = _c_aligned(np.transpose(x, self.perm), dtype)
            self.outer = math.prod(shape[a] for a in kept)
            self.n = math.prod(shape[a] for a in axes)
            self.inner = 1
        self.kept_shape = tuple(shape[a] for a in kept)

    def like_data(self, a, dtype):
        """Another operand shaped like x (a gradient), in the same C-ordered form."""
        if self.perm is not None:
            a = np.transpose(a, self.perm)
        return _c_aligned(a, dtype)

    def back(self, flat):
        """A result laid out like self.data, as an array of x's shape."""
        if self.perm is None:
            return flat.reshape(self.shape)
        permuted = flat.reshape([self.shape[a] for a in self.perm])
        return np.transpose(permuted, np.argsort(self.perm))

    def run(self, op, y, grad=None, include_zero=False):
        _core._reduce(_OPS[op], self.data, grad, y, self.outer, self.n, self.inner, include_zero)


_check_out = _rules.check_out


def _direct_out(out, layout, g):
    """out, flat, when the kernel can write into it: C-contiguous, aligned, native, in the
    kernel's layout, and either apart from the inputs or exactly one of them (in place);
    otherwise None (the result then goes through a new array and a copy)."""
    if out is None or layout.perm is not None or not (out.flags.c_contiguous and out.flags.aligned):
        return None
    if not out.dtype.isnative:
        return None
    flat = out.reshape(-1)
    for a in (layout.data, g):
        if a is not None and np.may_share_memory(flat, a):
            same = a.ctypes.data == flat.ctypes.data and a.size == flat.size
            if not same:
                return None
    return flat


def _deliver(result, out):
    """The result in `out` (copied, so any layout and overlap with the inputs is fine), or itself."""
    if out is None:
        return result
    np.copyto(out, result)
    return out


def _ones_if_none(grad, like):
    if grad is None and not _lazy.is_dask(like):   # (dask: each block gets its ones)
        return np.ones(np.shape(like))
    return grad


def _elementwise_shaped(fname, op, x, axis, include_zero, out, grad=None, grad_name="grad", negate=None):
    """softmax, log_softmax, softmin and their gradients: a result shaped like x. negate names the
    operand ("x" or "grad") that the kernel takes negated (softmin is softmax of -x; negation is
    exact, so the bits are softmax's)."""
    if _lazy.is_dask(x):
        numpy_fn = globals()[fname]
        params = {"include_zero": include_zero} if fname in ("softmax", "log_softmax", "softmin") else {}
        return _lazy.shaped_like_x(fname, x, axis, out, numpy_fn, grad, grad_name, **params)
    x, dtype = _float_array(fname, x)
    if negate == "x":
        x = np.negative(x, dtype=dtype)
    include_zero = _bool(fname, "include_zero", include_zero)
    axes = _axes(fname, axis, x.ndim)
    if grad is not None:
        grad, gdt = _float_array(fname, grad, grad_name)
        if grad.shape != x.shape:
            raise ValueError(f"{fname}: {grad_name} has shape {grad.shape}; it must have the shape "
                             f"of the first argument, {x.shape}")
    if out is not None:
        _check_out(fname, out, dtype, x.shape)
    layout = _Layout(x, dtype, axes)
    g = None if grad is None else layout.like_data(grad, dtype)
    if negate == "grad":
        g = np.negative(g)
    direct = _direct_out(out, layout, g)
    y = np.empty(layout.data.size, dtype) if direct is None else direct
    if y.size:
        layout.run(op, y, g, include_zero)
    if out is None and x.ndim == 0:
        return y.reshape(())[()]   # a NumPy scalar, as SciPy and NumPy's reductions give
    return out if direct is not None else _deliver(layout.back(y), out)


def softmax(x, axis=-1, include_zero=False, out=None):
    """Softmax, ``exp(x - logsumexp(x, axis, keepdims=True))``.

    Non-negative, summing to 1 along ``axis``. ``include_zero=True`` adds an implicit zero logit to
    the normaliser (the multivariate logistic function): ``exp(x) / (1 + sum(exp(x)))``.

    Stable for any finite input. A slice holding NaN or +inf, or (without include_zero) only -inf,
    gives NaN throughout, as SciPy and PyTorch. float16 is computed in float32; integers and bool
    give float64. Empty input gives an empty result.

    Parameters
    ----------
    x : array_like
        The logits.
    axis : int, tuple of int or None, optional
        The axes reduced over (None: all of them), -1 by default.
    include_zero : bool, optional
        Add an implicit zero logit (False by default).
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable.

    Returns
    -------
    ndarray
        The probabilities, of ``x``'s shape and float dtype.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.softmax(np.array([0.0, np.log(3.0)]))
    array([0.25, 0.75])
    """
    return _elementwise_shaped("softmax", "softmax", x, axis, include_zero, out)


def log_softmax(x, axis=-1, include_zero=False, out=None):
    """Log-softmax, ``x - logsumexp(x, axis, keepdims=True, include_zero=include_zero)``.

    Computed without forming softmax (no log of an underflowed 0). With a +inf entry: NaN there and
    -inf elsewhere (SciPy); NaN anywhere in a slice, or a slice of only -inf without include_zero:
    NaN throughout.

    Parameters
    ----------
    x : array_like
        The logits.
    axis : int, tuple of int or None, optional
        The axes reduced over (None: all of them), -1 by default.
    include_zero : bool, optional
        Add an implicit zero logit (False by default).
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable.

    Returns
    -------
    ndarray
        The log-probabilities, of ``x``'s shape and float dtype.
    """
    return _elementwise_shaped("log_softmax", "log_softmax", x, axis, include_zero, out)


def softmin(x, axis=-1, include_zero=False, out=None):
    """Softmin, ``softmax(-x, axis, include_zero)`` (PyTorch's softmin).

    Non-negative, summing to 1 along `axis`, largest where x is smallest. The same kernels and
    bits as softmax of the negated x, and the same special values with the signs of the
    infinities swapped.

    Parameters
    ----------
    x : array_like
        The logits.
    axis : int, tuple of int or None, optional
        The axes reduced over (None: all of them), -1 by default.
    include_zero : bool, optional
        Add an implicit zero logit (False by default).
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable.

    Returns
    -------
    ndarray
        The probabilities, of ``x``'s shape and float dtype.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.softmin(np.array([0.0, np.log(3.0)]))
    array([0.75, 0.25])
    """
    return _elementwise_shaped("softmin", "softmax", x, axis, include_zero, out, negate="x")


def softmin_grad(y, grad=None, axis=-1, out=None):
    """The gradient through softmin from its output ``y = softmin(x, axis)``.

    ``-y * (grad - sum(grad * y, axis, keepdims=True))``, which is softmax_grad with grad negated
    (exactly). A slice of y that is NaN throughout gets 0, never NaN. grad None means ones.

    Parameters
    ----------
    y : array_like
        The output of `softmin`.
    grad : array_like, optional
        The incoming gradient, of ``y``'s shape; None (the default) means ones.
    axis : int, tuple of int or None, optional
        The axes reduced over (None: all of them), -1 by default.
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable.

    Returns
    -------
    ndarray
        The gradient with respect to ``x``, of ``y``'s shape and float dtype.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.softmin_grad(np.array([0.25, 0.75]), np.array([1.0, 0.0]))
    array([-0.1875,  0.1875])
    """
    return _elementwise_shaped("softmin_grad", "softmax_grad", y, axis, False, out, _ones_if_none(grad, y),
                               negate="grad")


def softmax_grad(y, grad=None, axis=-1, out=None):
    """The gradient through softmax from its output ``y = softmax(x, axis)``.

    ``y * (grad - sum(grad * y, axis, keepdims=True))``, in one pass after the sum, for either
    include_zero. A slice of y that is NaN throughout (the softmax of an all -inf slice) gets 0,
    never NaN. grad None means ones (the gradient of the sum of the outputs), as for the
    elementwise gradients.

    Parameters
    ----------
    y : array_like
        The output of `softmax`.
    grad : array_like, optional
        The incoming gradient, of ``y``'s shape; None (the default) means ones.
    axis : int, tuple of int or None, optional
        The axes reduced over (None: all of them), -1 by default.
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable.

    Returns
    -------
    ndarray
        The gradient with respect to ``x``, of ``y``'s shape and float dtype.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.softmax_grad(np.array([0.25, 0.75]), np.array([1.0, 0.0]))
    array([ 0.1875, -0.1875])
    """
    return _elementwise_shaped("softmax_grad", "softmax_grad", y, axis, False, out, _ones_if_none(grad, y))


def log_softmax_grad(y, grad=None, axis=-1, out=None):
    """The gradient through log_softmax from its output ``y = log_softmax(x, axis)``.

    ``grad - exp(y) * sum(grad, axis, keepdims=True)``, for either include_zero. A slice of y
    that is NaN throughout (an all -inf slice) gets 0, never NaN. grad None means ones.

    Parameters
    ----------
    y : array_like
        The output of `log_softmax`.
    grad : array_like, optional
        The incoming gradient, of ``y``'s shape; None (the default) means ones.
    axis : int, tuple of int or None, optional
        The axes reduced over (None: all of them), -1 by default.
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable.

    Returns
    -------
    ndarray
        The gradient with respect to ``x``, of ``y``'s shape and float dtype.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.log_softmax_grad(np.log([0.25, 0.75]), np.array([1.0, 0.0]))
    array([ 0.75, -0.75])
    """
    return _elementwise_shaped("log_softmax_grad", "log_softmax_grad", y, axis, False, out, _ones_if_none(grad, y))


def logsumexp_grad(x, grad=None, axis=None, include_zero=False, out=None):
    """The gradient of ``logsumexp(x, axis, include_zero=...)``.

    ``grad * softmax(x, axis, include_zero)``. 0, never NaN, on a slice of only -inf.

    Parameters
    ----------
    x : array_like
        The input of `logsumexp`.
    grad : array_like, optional
        The incoming gradient, shaped like the logsumexp result (with or without the reduced
        axes kept as length 1, or anything that broadcasts to that); None (the default) means 1.
    axis : int, tuple of int or None, optional
        The axes reduced over (None, the default: all of them).
    include_zero : bool, optional
        Whether the logsumexp had an implicit zero term (False by default).
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable.

    Returns
    -------
    ndarray
        The gradient with respect to ``x``, of ``x``'s shape and float dtype.

    Raises
    ------
    ValueError
        If `grad` does not broadcast to the logsumexp result's shape.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.logsumexp_grad(np.array([0.0, np.log(3.0)]))
    array([0.25, 0.75])
    """
    if grad is None:
        grad = 1.0
    fname = "logsumexp_grad"
    if _lazy.is_dask(x):
        return _lazy.logsumexp_grad(fname, x, grad, axis, include_zero, out)
    x, dtype = _float_array(fname, x)
    include_zero = _bool(fname, "include_zero", include_zero)
    axes = _axes(fname, axis, x.ndim)
    if out is not None:
        _check_out(fname, out, dtype, x.shape)
    g, _ = _float_array(fname, grad, "grad")
    kept_dims = tuple(1 if a in axes else s for a, s in enumerate(x.shape))
    reduced_shape = tuple(s for a, s in enumerate(x.shape) if a not in axes)
    try:
        if g.shape == reduced_shape and g.ndim != len(kept_dims):
            g = g.reshape(kept_dims)
        g = np.broadcast_to(g, kept_dims)
    except ValueError:
        raise ValueError(f"{fname}: grad has shape {g.shape}; it must broadcast to the logsumexp "
                         f"result's shape {reduced_shape} (or {kept_dims} with keepdims)") from None
    layout = _Layout(x, dtype, axes)
    g = _c_aligned(g.reshape(layout.kept_shape) if layout.kept_shape else g.reshape(()), dtype)
    y = np.empty(layout.data.size, dtype)
    if y.size:
        layout.run("logsumexp_grad", y, g, include_zero)
    return _deliver(layout.back(y), out)


def logsumexp(x, axis=None, b=None, keepdims=False, return_sign=False, include_zero=False):
    """``log(sum(b * exp(x), axis))``, SciPy's `scipy.special.logsumexp` for real input.

    An entry with b == 0 is left out, even +inf. ``include_zero=True`` adds an implicit 0 term:
    ``log(1 + sum(exp(x)))``, LSE0+, the multivariate softplus.

    Stable for any finite input and accurate when one term dominates (``[0, -40]`` gives 4.2e-18).
    NaN gives NaN; +inf gives +inf; an empty slice or one of only -inf gives -inf (0 with
    include_zero). The result has x's dtype (float16 computed in float32; integers and bool give
    float64); with `b`, NumPy's promotion of x's and b's dtypes, as SciPy (float32 x with float64
    b gives float64). Without `b`, the SIMD kernels run (max, then exp-and-sum); with `b`, NumPy in
    float64.

    Parameters
    ----------
    x : array_like
        The input.
    axis : int, tuple of int or None, optional
        The axes reduced over (None, the default: all elements).
    b : array_like, optional
        Weights, broadcast against x.
    keepdims : bool, optional
        Keep the reduced axes as length 1 (False by default).
    return_sign : bool, optional
        Return ``(log|s|, sign(s))`` so that negative sums are representable (otherwise a
        negative sum gives NaN). False by default.
    include_zero : bool, optional
        Add an implicit 0 term (False by default).

    Returns
    -------
    ndarray or scalar
        The result (a NumPy scalar when every axis is reduced without keepdims).
    sign : ndarray or scalar
        The sign of the sum, only with ``return_sign=True``.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.logsumexp(np.array([0.0, np.log(3.0)]))
    np.float64(1.3862943611198908)
    >>> rectifier.logsumexp(np.array([[0.0, 0.0], [1.0, 1.0]]), axis=1)
    array([0.69314718, 1.69314718])
    """
    fname = "logsumexp"
    if _lazy.is_dask(x):
        return _lazy.logsumexp(fname, x, axis, b, keepdims, return_sign, include_zero)
    x, dtype = _float_array(fname, x)
    keepdims = _bool(fname, "keepdims", keepdims)
    return_sign = _bool(fname, "return_sign", return_sign)
    include_zero = _bool(fname, "include_zero", include_zero)
    axes = _axes(fname, axis, x.ndim)
    kept_dims = tuple(1 if a in axes else s for a, s in enumerate(x.shape))
    if b is not None:
        dtype = _weighted_dtype(fname, x.dtype, b)
        b, _ = _float_array(fname, b, "b")
        lse, sign = _weighted_logsumexp(fname, x, axes, b, include_zero, return_sign)
        lse = lse.astype(dtype)
        sign = sign.astype(dtype)
    else:
        layout = _Layout(x, dtype, axes)
        lse = np.empty(layout.outer * layout.inner, dtype)
        if lse.size:
            layout.run("logsumexp", lse, None, include_zero)
        lse = lse.reshape(layout.kept_shape)
        sign = None
        if return_sign:
            with np.errstate(invalid="ignore"):
                sign = np.where(np.isnan(lse), np.nan, np.where(lse == -np.inf, 0.0, 1.0)).astype(dtype)
    if keepdims:
        lse = lse.reshape(kept_dims)
        sign = None if sign is None else sign.reshape(kept_dims)
    if lse.ndim == 0:
        lse = lse[()]
        sign = None if sign is None else sign[()]
    return (lse, sign) if return_sign else lse


def _weighted_logsumexp(fname, x, axes, b, include_zero, return_sign):
    """log|sum(b exp(x))| and its sign, in float64 (SciPy's rules for b)."""
    try:
        a, b = np.broadcast_arrays(x.astype(np.float64), b.astype(np.float64))
    except ValueError:
        raise ValueError(f"{fname}: b has shape {b.shape}, which does not broadcast against x's "
                         f"shape {x.shape}") from None
    with np.errstate(all="ignore"):
        a = np.where(b == 0, -np.inf, a)          # a zero weight removes its term, even +inf
        m = np.max(a, axis=axes, keepdims=True, initial=-np.inf)
        if include_zero:
            m = np.maximum(m, 0.0)
        shift = np.where(np.isfinite(m), m, 0.0)
        s = np.sum(b * np.exp(a - shift), axis=axes, keepdims=True)
        if include_zero:
            s = s + np.exp(-shift)
        sign = np.sign(s)
        lse = np.log(np.abs(s)) + shift
        lse = np.where(np.isnan(m) | np.isnan(s), np.nan, lse)
        lse = np.where(np.isposinf(m) & ~np.isnan(s), np.inf, lse)
        if not return_sign:
            lse = np.where(sign < 0, np.nan, lse)
    return lse.reshape([d for i, d in enumerate(lse.shape) if i not in axes]), \
        sign.reshape([d for i, d in enumerate(sign.shape) if i not in axes])
