# The hand-written public wrappers of the table's rows (the rest are generated: _operations.pxi).
# Part of rectifier._core: included by _core.pyx, which holds the C declarations.

# ---------------------------------------------------------------------------------------------
# The rectifier family
# ---------------------------------------------------------------------------------------------

_uf_prelu_grad = _make_ufunc("prelu_grad", RECT_KIND_PRELU_GRAD, 0, 0, "xpx|xp",
                             "prelu_grad(x, weight, grad) -> (grad * (x > 0 ? 1 : weight), x > 0 ? 0 : grad * x).")


def relu(x, out=None):
    """The rectifier, ``max(0, x)``.

    ``+0.0 if x <= 0 else x``. NaN stays NaN; ``relu(-0.0)`` is ``+0.0`` (as NumPy and JAX).

    Parameters
    ----------
    x : array_like
        The input. float16, float32 and float64 keep their dtype (float16 is computed in float32);
        integers and bool give float64.
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable. It may be ``x``
        (in place).

    Returns
    -------
    ndarray
        The result, of ``x``'s shape and float dtype (``out`` when given).

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.relu(np.array([-2.0, -0.0, 3.0]))
    array([0., 0., 3.])
    """
    return _unary_op(RECT_OP_relu, _uf_relu, "relu", x, out, (), "|x")


def relu6(x, out=None):
    """ReLU capped at 6, ``min(max(x, 0), 6)``.

    NaN stays NaN; ``relu6(-0.0)`` is ``+0.0`` (as `relu`).

    Parameters
    ----------
    x : array_like
        The input. float16, float32 and float64 keep their dtype (float16 is computed in float32);
        integers and bool give float64.
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable. It may be ``x``
        (in place).

    Returns
    -------
    ndarray
        The result, of ``x``'s shape and float dtype (``out`` when given).
    """
    return _unary_op(RECT_OP_relu6, _uf_relu6, "relu6", x, out, (), "|x")


def hardtanh(x, min_val=-1.0, max_val=1.0, out=None):
    """``x`` clamped to ``[min_val, max_val]``.

    ``min_val if x < min_val``, ``max_val if x > max_val``, else ``x`` (so ``-0.0`` inside the
    interval stays ``-0.0``; NaN stays NaN).

    Parameters
    ----------
    x : array_like
        The input. float16, float32 and float64 keep their dtype (float16 is computed in float32);
        integers and bool give float64.
    min_val, max_val : float or array_like, optional
        The bounds, -1 and 1 by default; arrays are broadcast against ``x``. Neither may be NaN,
        and ``min_val <= max_val``.
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable. It may be ``x``
        (in place).

    Returns
    -------
    ndarray
        The result, of ``x``'s shape and float dtype (``out`` when given).
    """
    lo = _param("hardtanh", "min_val", min_val)
    hi = _param("hardtanh", "max_val", max_val)
    _check_bounds("hardtanh", lo, hi)
    return _unary_op(RECT_OP_hardtanh, _uf_hardtanh, "hardtanh", x, out, (lo, hi), "pp|x")


def threshold(x, threshold, value, out=None):
    """Replaces the entries at or below a threshold, ``value if x <= threshold else x``.

    PyTorch's ``threshold``. NaN stays NaN.

    Parameters
    ----------
    x : array_like
        The input. float16, float32 and float64 keep their dtype (float16 is computed in float32);
        integers and bool give float64.
    threshold : float or array_like
        Not NaN; an array is broadcast against ``x``.
    value : float or array_like
        Any float (NaN or inf included, to mark the replaced entries); an array is broadcast
        against ``x``.
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable. It may be ``x``
        (in place).

    Returns
    -------
    ndarray
        The result, of ``x``'s shape and float dtype (``out`` when given).
    """
    th = _param("threshold", "threshold", threshold)
    val = _param("threshold", "value", value, False, False)
    return _unary_op(RECT_OP_threshold, _uf_threshold, "threshold", x, out, (th, val), "pp|x")


def leaky_relu(x, negative_slope=0.01, out=None):
    """Leaky ReLU, ``x if x > 0 else negative_slope * x``.

    ``leaky_relu(-0.0)`` is ``-0.0`` for a positive slope; NaN stays NaN. A zero slope gives `relu`
    exactly (+0.0 for every x <= 0, including -inf).

    Parameters
    ----------
    x : array_like
        The input. float16, float32 and float64 keep their dtype (float16 is computed in float32);
        integers and bool give float64.
    negative_slope : float or array_like, optional
        The slope below zero, 0.01 by default. Finite; an array is broadcast against ``x``.
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable. It may be ``x``
        (in place).

    Returns
    -------
    ndarray
        The result, of ``x``'s shape and float dtype (``out`` when given).
    """
    return _sloped("leaky_relu", x, _param("leaky_relu", "negative_slope", negative_slope, finite=True), out,
                   "negative_slope")


cdef object _sloped(str fname, object x, object slope, object out, str pname):
    """leaky_relu and prelu: one slope (a float) or slopes broadcast against x (pname: the
    slope's name, for errors)."""
    cdef rect_params p
    if type(slope) is float:
        p = _params(slope)
        r = _unary_fast(RECT_OP_leaky_relu, x, out, &p)
        if r is not None:
            return r
    return _via_ufunc(_uf_leaky_relu, fname, x, (slope,), "p|x", out, (pname,))


cdef tuple _prelu_weight(str fname, object x, object weight, object axis):
    """(the weight shaped to broadcast along `axis` of x, or a float for a single weight, the
    reduction axes for its gradient, or None for all)."""
    w = _param_array(fname, "weight", weight, finite=True)
    if w.ndim > 1:
        raise ValueError(f"{fname}: weight must be a scalar or 1-D, got shape {w.shape}")
    if w.size != 1 and x is _PLAN:
        raise _NeedsComposition()   # per-channel weights: bias_act composes
    ndim = np.ndim(x)
    if w.size == 1:
        return float(w.reshape(())), None
    if ndim < 2:
        raise ValueError(f"{fname}: weight must be a single value for x with ndim {ndim} < 2, "
                         f"got {w.size} values")
    ax = _normalize_axis(fname, axis, ndim)
    channels = np.shape(x)[ax]
    if w.size != channels:
        raise ValueError(f"{fname}: weight has {w.size} values; x has {channels} channels "
                         f"along axis {axis}")
    shape = [1] * ndim
    shape[ax] = channels
    return w.reshape(shape), tuple(i for i in range(ndim) if i != ax)


def prelu(x, weight, axis=1, out=None):
    """Leaky ReLU with a learned slope per channel, ``x if x > 0 else weight[c] * x``.

    ``c`` is the index along ``axis`` (PyTorch's layout N, C, ...).

    Parameters
    ----------
    x : array_like
        The input. float16, float32 and float64 keep their dtype (float16 is computed in float32);
        integers and bool give float64.
    weight : float or array_like
        A scalar, or 1-D of length ``x.shape[axis]``; for ``x.ndim < 2`` only a single weight.
        Finite.
    axis : int, optional
        The channel axis, 1 by default.
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable. It may be ``x``
        (in place).

    Returns
    -------
    ndarray
        The result, of ``x``'s shape and float dtype (``out`` when given).
    """
    if _fast_dtype(x) >= 0 and _is_scalar(weight):
        # a single weight on a plain float array (which has no errors to report first): leaky_relu's
        # kernel, without the general path's array handling (as fast as leaky_relu)
        return _sloped("prelu", x, _scalar("prelu", "weight", weight, True, True), out, "weight")
    r = _prelu_fast(x, weight, axis, out)
    if r is not None:
        return r
    x, _ = _float_input("prelu", x)   # x's errors before the weight's, which is checked against x
    w, _ = _prelu_weight("prelu", x, weight, axis)
    return _sloped("prelu", x, w, out, "weight")


# Channel blocks at least this long run the one-slope kernel each; shorter ones (channels last)
# run the per-element-slope kernel over a tiled pattern of about PRELU_PATTERN elements.
cdef Py_ssize_t PRELU_BLOCK_MIN = 64
cdef Py_ssize_t PRELU_PATTERN = 4096


cdef tuple _view_3d(cnp.ndarray a, Py_ssize_t ax, bint per_axis):
    """(outer, middle, inner) of a C- or F-contiguous array seen in memory order with axis ax in
    the middle (an F-contiguous array is the C-contiguous array of the reversed shape); with
    per_axis False, everything is one run."""
    cdef Py_ssize_t outer = 1, inner = 1, i, nd = cnp.PyArray_NDIM(a)
    if not per_axis or nd == 0:
        return 1, 1, cnp.PyArray_SIZE(a)
    cdef bint reversed_order = not cnp.PyArray_IS_C_CONTIGUOUS(a)
    for i in range(nd):
        if i == ax:
            continue
        if (i < ax) != reversed_order:
            outer *= cnp.PyArray_DIM(a, i)
        else:
            inner *= cnp.PyArray_DIM(a, i)
    return outer, cnp.PyArray_DIM(a, ax), inner


cdef object _prelu_fast(object x, object weight, object axis, object out):
    """prelu's direct path for a contiguous x and a contiguous 1-D float32/float64 weight array;
    None when the call needs the general path (which also reports every error)."""
    cdef int dt = _fast_dtype(x)
    if dt < 0 or not cnp.PyArray_CheckExact(weight) or type(axis) is not int:
        return None
    cdef cnp.ndarray a = <cnp.ndarray>x, w = <cnp.ndarray>weight
    cdef int nd = cnp.PyArray_NDIM(a), wt = cnp.PyArray_TYPE(w)
    cdef Py_ssize_t ax = axis
    if nd < 2 or not -nd <= ax < nd or cnp.PyArray_NDIM(w) != 1:
        return None
    if ax < 0:
        ax += nd
    if (wt != cnp.NPY_FLOAT and wt != cnp.NPY_DOUBLE) or not cnp.PyArray_IS_C_CONTIGUOUS(w) \
            or not cnp.PyArray_ISALIGNED(w) or not cnp.PyArray_ISNOTSWAPPED(w):
        return None
    cdef Py_ssize_t channels = cnp.PyArray_DIM(a, ax)
    if cnp.PyArray_DIM(w, 0) != channels or channels < 2:
        return None
    o = _fast_out(a, out, None)
    if o is None:
        return None
    if cnp.PyArray_SIZE(a) == 0:
        return o    # (an empty dimension would make a channel row of length 0)
    cdef Py_ssize_t outer, inner
    outer, _, inner = _view_3d(a, ax, True)
    cdef size_t csize = 8 if dt == RECT_F64 else 4
    cdef char *slopes = <char *>malloc(channels * csize)
    if slopes == NULL:
        raise MemoryError()
    try:
        if not _compute_type_weights(cnp.PyArray_DATA(w), wt, channels, dt == RECT_F64, slopes):
            return None    # a non-finite weight: the general path raises the error
        _prelu_blocks(dt, <const char *>cnp.PyArray_DATA(a), <char *>cnp.PyArray_DATA(<cnp.ndarray>o),
                      outer, channels, inner, slopes)
    finally:
        free(slopes)
    return o


cdef bint _compute_type_weights(const void *src, int src_type, Py_ssize_t n, bint to_double,
                                char *dst) noexcept:
    """Weights converted to the compute type (float64 for float64 data, else float32); False if
    any is not finite."""
    cdef Py_ssize_t i
    cdef double v
    for i in range(n):
        v = (<const double *>src)[i] if src_type == cnp.NPY_DOUBLE else (<const float *>src)[i]
        if not isfinite(v) or (not to_double and _beyond_float32(v)):
            return False
        if to_double:
            (<double *>dst)[i] = v
        else:
            (<float *>dst)[i] = <float>v
    return True


cdef int _prelu_blocks(int dt, const char *x, char *y, Py_ssize_t outer, Py_ssize_t channels,
                       Py_ssize_t inner, const char *slopes) except -1:
    """x viewed as C-ordered (outer, channels, inner): the one-slope kernel per (outer, channel)
    block when blocks are long, else the per-element-slope kernel over a tiled slope pattern."""
    cdef size_t csize = 8 if dt == RECT_F64 else 4
    cdef Py_ssize_t row = channels * inner, pattern_len = 0
    cdef char *pattern = NULL
    if inner < PRELU_BLOCK_MIN:
        pattern_len = row * min(outer, max(1, PRELU_PATTERN // row))
        pattern = <char *>malloc(pattern_len * csize)
        if pattern == NULL:
            raise MemoryError()
    if outer * row >= NOGIL_MIN_ELEMENTS:
        with nogil:
            _prelu_run(dt, x, y, outer, channels, inner, slopes, pattern, pattern_len)
    else:
        _prelu_run(dt, x, y, outer, channels, inner, slopes, pattern, pattern_len)
    free(pattern)
    return 0


cdef void _prelu_run(int dt, const char *x, char *y, Py_ssize_t outer, Py_ssize_t channels,
                     Py_ssize_t inner, const char *slopes, char *pattern,
                     Py_ssize_t pattern_len) noexcept nogil:
    cdef size_t esize = _ESIZE[dt]
    cdef size_t csize = 8 if dt == RECT_F64 else 4
    cdef Py_ssize_t total = outer * channels * inner, row = channels * inner
    cdef Py_ssize_t o, c, start, count
    cdef rect_params p = _params()
    cdef rect_unary_fn leaky = rect_unary_kernel(RECT_OP_leaky_relu, dt)
    cdef rect_prelu_fn per_element = rect_prelu_kernel(dt)
    if pattern == NULL:
        for o in range(outer):
            for c in range(channels):
                p.a = (<const double *>slopes)[c] if dt == RECT_F64 else (<const float *>slopes)[c]
                start = (o * channels + c) * inner
                rect_par_unary(leaky, inner, esize, x + start * esize, y + start * esize, &p)
        return
    # the pattern: one row (each slope repeated `inner` times), then copies of that row
    for c in range(channels):
        for o in range(inner):
            memcpy(pattern + (c * inner + o) * csize, slopes + c * csize, csize)
    start = row
    while start < pattern_len:
        memcpy(pattern + start * csize, pattern, row * csize)
        start += row
    start = 0
    while start < total:
        count = min(pattern_len, total - start)
        per_element(count, x + start * esize, pattern, y + start * esize)
        start += count


# ---------------------------------------------------------------------------------------------
# Derivatives: grad * f'(x), or f'(x) when grad is None. Where f'(x) is 0 the result is
# +0 whatever grad is; a NaN x gives NaN.
# ---------------------------------------------------------------------------------------------

def relu_grad(x, grad=None, at_zero=0.0, out=None):
    """The derivative of `relu` times ``grad``.

    ``grad`` where ``x > 0``, ``at_zero * grad`` at ``x == 0``, 0 below. NaN in x gives NaN.

    Parameters
    ----------
    x : array_like
        The forward input. float16, float32 and float64 keep their dtype (float16 is computed in
        float32); integers and bool give float64.
    grad : array_like, optional
        The incoming gradient, broadcast against ``x``; None gives the derivative itself. Where
        the derivative is 0 the result is +0.0, whatever ``grad`` holds.
    at_zero : float or array_like, optional
        The value of the derivative at the kink, 0 by default (as PyTorch and JAX).
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable. It may be ``x``
        or ``grad`` (in place).

    Returns
    -------
    ndarray
        ``grad * f'(x)``, of ``x``'s float dtype (``out`` when given).
    """
    az = _param("relu_grad", "at_zero", at_zero, finite=True)
    return _grad_op(RECT_OP_relu_grad, _uf_relu_grad, "relu_grad", x, grad, out, (az,), "xp|x")


def relu6_grad(x, grad=None, out=None):
    """The derivative of `relu6` times ``grad``.

    ``grad`` where ``0 < x < 6``, else 0 (0 at both kinks, as PyTorch and JAX).

    Parameters
    ----------
    x : array_like
        The forward input. float16, float32 and float64 keep their dtype (float16 is computed in
        float32); integers and bool give float64.
    grad : array_like, optional
        The incoming gradient, broadcast against ``x``; None gives the derivative itself. Where
        the derivative is 0 the result is +0.0, whatever ``grad`` holds.
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable. It may be ``x``
        or ``grad`` (in place).

    Returns
    -------
    ndarray
        ``grad * f'(x)``, of ``x``'s float dtype (``out`` when given).
    """
    return _grad_op(RECT_OP_relu6_grad, _uf_relu6_grad, "relu6_grad", x, grad, out, (), "x|x")


def hardtanh_grad(x, grad=None, min_val=-1.0, max_val=1.0, out=None):
    """The derivative of `hardtanh` times ``grad``.

    ``grad`` where ``min_val < x < max_val``, else 0 (0 at the bounds, as PyTorch).

    Parameters
    ----------
    x : array_like
        The forward input. float16, float32 and float64 keep their dtype (float16 is computed in
        float32); integers and bool give float64.
    grad : array_like, optional
        The incoming gradient, broadcast against ``x``; None gives the derivative itself. Where
        the derivative is 0 the result is +0.0, whatever ``grad`` holds.
    min_val, max_val : float or array_like, optional
        The forward call's bounds, -1 and 1 by default.
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable. It may be ``x``
        or ``grad`` (in place).

    Returns
    -------
    ndarray
        ``grad * f'(x)``, of ``x``'s float dtype (``out`` when given).
    """
    lo = _param("hardtanh_grad", "min_val", min_val)
    hi = _param("hardtanh_grad", "max_val", max_val)
    _check_bounds("hardtanh_grad", lo, hi)
    return _grad_op(RECT_OP_hardtanh_grad, _uf_hardtanh_grad, "hardtanh_grad", x, grad, out, (lo, hi), "xpp|x")


def threshold_grad(x, grad=None, *, threshold, value=None, out=None):
    """The derivative of `threshold` times ``grad``.

    ``grad`` where ``x > threshold``, else 0.

    Parameters
    ----------
    x : array_like
        The forward input. float16, float32 and float64 keep their dtype (float16 is computed in
        float32); integers and bool give float64.
    grad : array_like, optional
        The incoming gradient, broadcast against ``x``; None gives the derivative itself. Where
        the derivative is 0 the result is +0.0, whatever ``grad`` holds.
    threshold : float or array_like
        The forward call's threshold (keyword only).
    value : optional
        Accepted and ignored, so that the forward call's keywords can be passed unchanged.
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable. It may be ``x``
        or ``grad`` (in place).

    Returns
    -------
    ndarray
        ``grad * f'(x)``, of ``x``'s float dtype (``out`` when given).
    """
    th = _param("threshold_grad", "threshold", threshold)
    return _grad_op(RECT_OP_threshold_grad, _uf_threshold_grad, "threshold_grad", x, grad, out, (th,), "xp|x")


def leaky_relu_grad(x, grad=None, negative_slope=0.01, out=None):
    """The derivative of `leaky_relu` times ``grad``.

    ``grad`` where ``x > 0``, else ``negative_slope * grad`` (the slope at 0, as PyTorch).

    Parameters
    ----------
    x : array_like
        The forward input. float16, float32 and float64 keep their dtype (float16 is computed in
        float32); integers and bool give float64.
    grad : array_like, optional
        The incoming gradient, broadcast against ``x``; None gives the derivative itself. Where
        the derivative is 0 the result is +0.0, whatever ``grad`` holds.
    negative_slope : float or array_like, optional
        The forward call's slope, 0.01 by default.
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable. It may be ``x``
        or ``grad`` (in place).

    Returns
    -------
    ndarray
        ``grad * f'(x)``, of ``x``'s float dtype (``out`` when given).
    """
    slope = _param("leaky_relu_grad", "negative_slope", negative_slope, finite=True)
    return _grad_op(RECT_OP_leaky_relu_grad, _uf_leaky_relu_grad, "leaky_relu_grad", x, grad, out, (slope,), "xp|x")


def prelu_grad(x, weight, grad=None, axis=1):
    """The derivatives of `prelu` with respect to ``x`` and to ``weight``.

    A dask array gives lazy dask arrays (both outputs of one map_blocks); another container keeps
    its type if it takes two-output ufuncs.

    Parameters
    ----------
    x : array_like
        The forward input. float16, float32 and float64 keep their dtype (float16 is computed in
        float32); integers and bool give float64.
    grad : array_like, optional
        The incoming gradient, broadcast against ``x``; None gives the derivative itself. Where
        the derivative is 0 the result is +0.0, whatever ``grad`` holds.
    weight : float or array_like
        The forward call's weight: a scalar, or 1-D of length ``x.shape[axis]``.
    axis : int, optional
        The channel axis, 1 by default.

    Returns
    -------
    grad_x : ndarray
        ``grad * (1 if x > 0 else weight[c])`` (the slope at 0, as PyTorch).
    grad_weight : ndarray
        ``sum of grad * x`` over the entries of channel ``c`` with ``x <= 0``, in ``weight``'s
        shape and x's result dtype (summed in the compute type).
    """
    x, dt = _float_input("prelu_grad", x)   # x's errors before the weight's
    w, axes = _prelu_weight("prelu_grad", x, weight, axis)
    if _lazy.is_dask(x):
        return _lazy.prelu_grad(x, w, grad, axes, dt, np.shape(weight))
    try:
        grad_x, contribution = _via_ufunc(_uf_prelu_grad, "prelu_grad", x, (w, _grad_or_ones(grad)),
                                          "px|xp", None)
    except TypeError as error:
        if isinstance(x, np.ndarray) or "NotImplemented" not in str(error):
            raise
        raise TypeError(f"prelu_grad: {type(x).__name__} does not take two-output ufuncs; "
                        "pass numpy.asarray(x)") from error
    # methods, not np.sum: a container (dask...) keeps its type and laziness
    return grad_x, contribution.sum(axis=axes).astype(dt).reshape(np.shape(weight))


# ---------------------------------------------------------------------------------------------
# The smooth rectifiers and their derivatives. float64 data is computed in float64
# (src/kernels/vmath.h); float32 and float16 data in float64 sized for a float32 result
# (src/kernels/ops_smooth_wide.h), rounded once.
# ---------------------------------------------------------------------------------------------

_INF = float("inf")   # softplus's threshold=None: no cut-off


cdef object _bounded(str fname, str pname, object value, double lower, bint strict):
    """A finite parameter >= lower (> lower if strict), scalar or array."""
    v = _param(fname, pname, value, finite=True)
    bad = (v <= lower if strict else v < lower) if type(v) is float else \
        np.any(np.less_equal(v, lower) if strict else np.less(v, lower))
    if bad:
        raise ValueError(f"{fname}: {pname} must be {'>' if strict else '>='} {lower:g}, got {value!r}")
    return v


cdef bint _gelu_is_tanh(str fname, object approximate) except -1:
    if type(approximate) is str and approximate == "none":
        return False
    if type(approximate) is str and approximate == "tanh":
        return True
    raise ValueError(f"{fname}: approximate must be 'none' or 'tanh', got {approximate!r}")




def gelu(x, approximate="none", out=None):
    """The Gaussian error linear unit, ``x * Phi(x)``, Phi the standard normal distribution.

    The erf form is computed via a Chebyshev series of erfcx: accurate in the far negative tail.
    ``approximate="tanh"``: PyTorch's ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``,
    computed as ``x * sigmoid(2u)`` (no cancellation for x < 0). ``gelu(-inf)`` is -0.0.

    Parameters
    ----------
    x : array_like
        The input. float16, float32 and float64 keep their dtype (float16 is computed in
        float32); integers and bool give float64.
    approximate : {'none', 'tanh'}, optional
        The form: 'none' (the default, the erf form) or 'tanh'.
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable. It may be
        ``x`` (in place).

    Returns
    -------
    ndarray
        The result, of ``x``'s shape and float dtype (``out`` when given).

    Raises
    ------
    ValueError
        If `approximate` is neither 'none' nor 'tanh'.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.gelu(np.array([-1.0, 0.0, 1.0]))
    array([-0.15865525,  0.        ,  0.84134475])
    >>> rectifier.gelu(np.array([-1.0, 0.0, 1.0]), approximate="tanh")
    array([-0.15880801,  0.        ,  0.84119199])
    """
    if _gelu_is_tanh("gelu", approximate):
        return _unary_op(RECT_OP_gelu_tanh, _uf_gelu_tanh, "gelu", x, out, (), "|x")
    return _unary_op(RECT_OP_gelu, _uf_gelu, "gelu", x, out, (), "|x")



def gelu_grad(x, grad=None, approximate="none", out=None):
    """``grad * gelu'(x)`` for the chosen form; 0 at -inf, 1 at +inf.

    Parameters
    ----------
    x : array_like
        The input. float16, float32 and float64 keep their dtype (float16 is computed in
        float32); integers and bool give float64.
    grad : array_like, optional
        The incoming gradient, broadcast against ``x``; None (the default) gives the
        derivative itself.
    approximate : {'none', 'tanh'}, optional
        The form: 'none' (the default, the erf form) or 'tanh'.
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable. It may be
        ``x`` (in place).

    Returns
    -------
    ndarray
        The result, of ``x``'s shape and float dtype (``out`` when given).

    Raises
    ------
    ValueError
        If `approximate` is neither 'none' nor 'tanh'.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.gelu_grad(np.array([-1.0, 0.0, 1.0]))
    array([-0.08331547,  0.5       ,  1.08331547])
    """
    if _gelu_is_tanh("gelu_grad", approximate):
        return _grad_op(RECT_OP_gelu_tanh_grad, _uf_gelu_tanh_grad, "gelu_grad", x, grad, out, (), "x|x")
    return _grad_op(RECT_OP_gelu_grad, _uf_gelu_grad, "gelu_grad", x, grad, out, (), "x|x")
