# The gated units act(a) * b (src/gated.c): a and b are the two halves of x along an axis, read
# in place, or two arrays given separately. Included by _core.pyx.

cdef extern from "gated.h":
    ctypedef struct rect_gated_rows:
        size_t rows, n, in_stride, out_stride, grad_stride
    void rect_gated(int dtype, int op, const rect_gated_rows *shape, const void *a, const void *b,
                    void *y, const rect_params *p) nogil
    void rect_gated_grad(int dtype, int op, const rect_gated_rows *shape, const void *a,
                         const void *b, const void *grad, void *grad_a, void *grad_b,
                         const rect_params *p) nogil


cdef object _gated_array(object v, object dt, tuple shape):
    """v as an aligned C-contiguous array of dtype dt and the given shape (a copy only where v is
    not one already, or is broadcast)."""
    v = np.asarray(v)
    if v.shape != shape:
        v = np.broadcast_to(v, shape)
    v = np.ascontiguousarray(v, dtype=dt)
    return v if v.flags.aligned else v.copy()


cdef object _gated_out(str fname, object out, object dt, tuple shape, tuple inputs, str pname="out"):
    """(the array the kernel writes, `out` to copy it into afterwards or None). The kernel writes
    `out` itself when it is C-contiguous and overlaps no input but exactly (in place)."""
    if out is None:
        return np.empty(shape, dt), None
    _check_out(fname, out, dt, shape)
    if out.flags.c_contiguous and out.flags.aligned:
        for v in inputs:
            if np.may_share_memory(out, v) and not (
                    v.shape == shape and
                    cnp.PyArray_DATA(<cnp.ndarray>v) == cnp.PyArray_DATA(<cnp.ndarray>out)):
                return np.empty(shape, dt), out
        return out, None
    return np.empty(shape, dt), out


cdef object _gated_done(object y, object out):
    if out is None:
        return y
    out[...] = y
    return out


cdef tuple _gated_halves(str fname, object x, object axis):
    """(x as an aligned C-contiguous array of its result dtype, the halves' shape, the rows)."""
    x, dt = _float_input(fname, x)
    x = np.asarray(x)
    cdef Py_ssize_t ax = _normalize_axis(fname, axis, x.ndim)
    cdef Py_ssize_t length = x.shape[ax]
    if length % 2:
        raise ValueError(_lazy.odd_length_message(fname, axis, length))
    x = _gated_array(x, dt, x.shape)
    cdef rect_gated_rows rows
    inner = 1
    for s in x.shape[ax + 1:]:
        inner *= s
    rows.n = length // 2 * inner
    rows.rows = x.size // (2 * rows.n) if rows.n else 0
    rows.in_stride = 2 * rows.n
    return x, x.shape[:ax] + (length // 2,) + x.shape[ax + 1:], rows


cdef inline bint _gated_ready(object v, object like):
    """v is an exact, aligned, native, C-contiguous float ndarray of like's dtype and shape."""
    if _fast_dtype(v) < 0 or not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>v):
        return False
    return like is None or (v.dtype == like.dtype and v.shape == like.shape)


cdef tuple _gated_pair(str fname, object x, object b):
    """(a, b as aligned C-contiguous arrays of the result dtype and the broadcast shape, the rows)."""
    cdef rect_gated_rows rows
    if _gated_ready(x, None) and _gated_ready(b, x):   # the common call, without conversions
        rows.rows, rows.n = 1, x.size
        rows.in_stride = rows.out_stride = rows.grad_stride = rows.n
        return x, b, rows
    x, adt = _float_input(fname, x)
    b, bdt = _float_input(fname, b, "b")
    dt = np.result_type(adt, bdt)
    try:
        shape = np.broadcast_shapes(np.shape(x), np.shape(b))
    except ValueError:
        raise ValueError(f"{fname}: b has shape {np.shape(b)}, which does not broadcast against "
                         f"x's shape {np.shape(x)}") from None
    x, b = _gated_array(x, dt, shape), _gated_array(b, dt, shape)
    rows.rows, rows.n = 1, x.size
    rows.in_stride = rows.out_stride = rows.grad_stride = rows.n
    return x, b, rows


cdef inline int _gated_dtype(object dt):
    return _kernel_dtype(dt)


cdef object _gated(str fname, int op, bint act_on_b, object x, object b, object axis, object out,
                   object lazy_fn):
    """act(a) * b (act_on_b: a * act(b), glu's order) of x's halves along axis, or of x and b."""
    if _lazy.is_dask(x) or _lazy.is_dask(b):
        return _lazy.gated(fname, lazy_fn, x, b, axis, out)
    cdef rect_gated_rows rows
    if b is None:
        x, shape, rows = _gated_halves(fname, x, axis)
        rows.out_stride = rows.n
        first, second, inputs = x, x, (x,)
        offset = rows.n * x.itemsize
    else:
        first, second, rows = _gated_pair(fname, x, b)
        shape, inputs, offset = first.shape, (first, second), 0
    y, copy_to = _gated_out(fname, out, first.dtype, shape, inputs)
    cdef char *pa = <char *>cnp.PyArray_DATA(<cnp.ndarray>first)
    cdef char *pb = <char *>cnp.PyArray_DATA(<cnp.ndarray>second) + <Py_ssize_t>offset
    cdef void *py = cnp.PyArray_DATA(<cnp.ndarray>y)
    if act_on_b:
        pa, pb = pb, pa
    cdef int dt = _gated_dtype(first.dtype)
    cdef rect_params p = _params()
    if rows.rows * rows.n >= <size_t>NOGIL_MIN_ELEMENTS:
        with nogil:
            rect_gated(dt, op, &rows, pa, pb, py, &p)
    else:
        rect_gated(dt, op, &rows, pa, pb, py, &p)
    return _gated_done(y, copy_to)


cdef object _gated_grad(str fname, int op, bint act_on_b, object x, object grad, object b,
                        object axis, object out, object lazy_fn):
    """The gradients of _gated: one array like x (x split), or (grad_a, grad_b)."""
    if _lazy.is_dask(x) or _lazy.is_dask(b) or _lazy.is_dask(grad):
        return _lazy.gated_grad(fname, lazy_fn, x, grad, b, axis, out)
    cdef rect_gated_rows rows
    split = b is None
    if split:
        x, shape, rows = _gated_halves(fname, x, axis)
        first, second, inputs = x, x, (x,)
        offset = rows.n * x.itemsize
        rows.out_stride, rows.grad_stride = rows.in_stride, rows.n
    else:
        first, second, rows = _gated_pair(fname, x, b)
        shape, inputs, offset = first.shape, (first, second), 0
    dt = first.dtype
    g = None
    if grad is not None:
        g, _ = _float_input(fname, grad, "grad")
        try:
            g = _gated_array(g, dt, shape)
        except ValueError:
            raise ValueError(f"{fname}: grad has shape {np.shape(g)}; it must broadcast to the "
                             f"result's shape {shape}") from None
        inputs = inputs + (g,)
    if split:
        ga, copy_to = _gated_out(fname, out, dt, first.shape, inputs)
        gb = ga
        out_offset = rows.n * first.itemsize
    else:
        if out is not None and not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"{fname}: out must be a tuple of two arrays (grad_a, grad_b), got "
                            f"{type(out).__name__}")
        ga, copy_a = _gated_out(fname, None if out is None else out[0], dt, shape, inputs, "out[0]")
        gb, copy_b = _gated_out(fname, None if out is None else out[1], dt, shape, inputs + (ga,), "out[1]")
        out_offset = 0
    cdef char *pa = <char *>cnp.PyArray_DATA(<cnp.ndarray>first)
    cdef char *pb = <char *>cnp.PyArray_DATA(<cnp.ndarray>second) + <Py_ssize_t>offset
    cdef char *qa = <char *>cnp.PyArray_DATA(<cnp.ndarray>ga)
    cdef char *qb = <char *>cnp.PyArray_DATA(<cnp.ndarray>gb) + <Py_ssize_t>out_offset
    cdef const void *pg = NULL if g is None else cnp.PyArray_DATA(<cnp.ndarray>g)
    if act_on_b:
        pa, pb = pb, pa
        qa, qb = qb, qa
    cdef int kdt = _gated_dtype(dt)
    cdef rect_params p = _params()
    if rows.rows * rows.n >= <size_t>NOGIL_MIN_ELEMENTS:
        with nogil:
            rect_gated_grad(kdt, op, &rows, pa, pb, pg, qa, qb, &p)
    else:
        rect_gated_grad(kdt, op, &rows, pa, pb, pg, qa, qb, &p)
    if split:
        return _gated_done(ga, copy_to)
    return _gated_done(ga, copy_a), _gated_done(gb, copy_b)


def glu(x, b=None, *, axis=-1, out=None):
    """The gated linear unit, ``a * sigmoid(b)`` (PyTorch's ``F.glu``, JAX's ``jax.nn.glu``).

    Two forms: ``glu(x, axis=-1)`` splits ``x`` into halves ``a, b`` along ``axis`` (which
    must have an even length; the result has half of it), as PyTorch's ``F.glu`` and JAX's
    ``jax.nn.glu``; ``glu(a, b)`` takes the halves as two arrays (broadcast together; the
    result dtype is NumPy's ``result_type`` of both), as transformer code computes them from two
    projections. One pass over memory: the halves are read in place, no temporary. A dask array
    gives a lazy dask array.

    Parameters
    ----------
    x : array_like
        The whole input (split along ``axis``), or the first half ``a`` when ``b`` is given.
    b : array_like, optional
        The second half, broadcast against ``a``; None (the default) splits ``x``.
    axis : int, optional
        The axis split into halves (-1 by default), keyword-only; its length must be even.
    out : ndarray, optional
        An array of the result's shape and dtype (``out=a`` in the two-array form is in place).

    Returns
    -------
    ndarray
        The result: ``x``'s shape with ``axis`` halved, or the broadcast shape of ``a`` and ``b``.

    Raises
    ------
    ValueError
        If ``axis`` has an odd length, or ``a`` and ``b`` do not broadcast together.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.glu(np.array([1.0, 2.0, 0.0, 0.0]))
    array([0.5, 1. ])
    >>> rectifier.glu(np.array([1.0, 2.0]), np.array([0.0, 0.0]))
    array([0.5, 1. ])
    """
    return _gated("glu", RECT_GATED_glu, True, x, b, axis, out, glu)


def swiglu(x, b=None, *, axis=-1, out=None):
    """``silu(a) * b``, the SwiGLU unit of current transformers' feed-forward layers.

    Two forms: ``swiglu(x, axis=-1)`` splits ``x`` into halves ``a, b`` along ``axis`` (which
    must have an even length; the result has half of it), as PyTorch's ``F.glu`` and JAX's
    ``jax.nn.glu``; ``swiglu(a, b)`` takes the halves as two arrays (broadcast together; the
    result dtype is NumPy's ``result_type`` of both), as transformer code computes them from two
    projections. One pass over memory: the halves are read in place, no temporary. A dask array
    gives a lazy dask array.

    Parameters
    ----------
    x : array_like
        The whole input (split along ``axis``), or the first half ``a`` when ``b`` is given.
    b : array_like, optional
        The second half, broadcast against ``a``; None (the default) splits ``x``.
    axis : int, optional
        The axis split into halves (-1 by default), keyword-only; its length must be even.
    out : ndarray, optional
        An array of the result's shape and dtype (``out=a`` in the two-array form is in place).

    Returns
    -------
    ndarray
        The result: ``x``'s shape with ``axis`` halved, or the broadcast shape of ``a`` and ``b``.

    Raises
    ------
    ValueError
        If ``axis`` has an odd length, or ``a`` and ``b`` do not broadcast together.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.swiglu(np.array([0.0, 1.0, 2.0, 1.0]))
    array([0.        , 0.73105858])
    """
    return _gated("swiglu", RECT_GATED_swiglu, False, x, b, axis, out, swiglu)


def geglu(x, b=None, *, axis=-1, approximate="none", out=None):
    """``gelu(a, approximate) * b``, the GeGLU unit.

    Two forms: ``geglu(x, axis=-1)`` splits ``x`` into halves ``a, b`` along ``axis`` (which
    must have an even length; the result has half of it), as PyTorch's ``F.glu`` and JAX's
    ``jax.nn.glu``; ``geglu(a, b)`` takes the halves as two arrays (broadcast together; the
    result dtype is NumPy's ``result_type`` of both), as transformer code computes them from two
    projections. One pass over memory: the halves are read in place, no temporary. A dask array
    gives a lazy dask array.

    Parameters
    ----------
    x : array_like
        The whole input (split along ``axis``), or the first half ``a`` when ``b`` is given.
    b : array_like, optional
        The second half, broadcast against ``a``; None (the default) splits ``x``.
    axis : int, optional
        The axis split into halves (-1 by default), keyword-only; its length must be even.
    approximate : {'none', 'tanh'}, optional
        The form of gelu: 'none' (the default, the erf form) or 'tanh', keyword-only.
    out : ndarray, optional
        An array of the result's shape and dtype (``out=a`` in the two-array form is in place).

    Returns
    -------
    ndarray
        The result: ``x``'s shape with ``axis`` halved, or the broadcast shape of ``a`` and ``b``.

    Raises
    ------
    ValueError
        If ``axis`` has an odd length, or ``a`` and ``b`` do not broadcast together.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.geglu(np.array([0.0, 1.0, 2.0, 1.0]))
    array([0.        , 0.84134475])
    """
    op = RECT_GATED_geglu_tanh if _gelu_is_tanh("geglu", approximate) else RECT_GATED_geglu
    return _gated("geglu", op, False, x, b, axis, out,
                  lambda *v, **k: geglu(*v, approximate=approximate, **k))


def reglu(x, b=None, *, axis=-1, out=None):
    """``relu(a) * b``, the ReGLU unit: exact (one rounding of the product).

    Two forms: ``reglu(x, axis=-1)`` splits ``x`` into halves ``a, b`` along ``axis`` (which
    must have an even length; the result has half of it), as PyTorch's ``F.glu`` and JAX's
    ``jax.nn.glu``; ``reglu(a, b)`` takes the halves as two arrays (broadcast together; the
    result dtype is NumPy's ``result_type`` of both), as transformer code computes them from two
    projections. One pass over memory: the halves are read in place, no temporary. A dask array
    gives a lazy dask array.

    Parameters
    ----------
    x : array_like
        The whole input (split along ``axis``), or the first half ``a`` when ``b`` is given.
    b : array_like, optional
        The second half, broadcast against ``a``; None (the default) splits ``x``.
    axis : int, optional
        The axis split into halves (-1 by default), keyword-only; its length must be even.
    out : ndarray, optional
        An array of the result's shape and dtype (``out=a`` in the two-array form is in place).

    Returns
    -------
    ndarray
        The result: ``x``'s shape with ``axis`` halved, or the broadcast shape of ``a`` and ``b``.

    Raises
    ------
    ValueError
        If ``axis`` has an odd length, or ``a`` and ``b`` do not broadcast together.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.reglu(np.array([-1.0, 2.0, 3.0, 4.0]))
    array([0., 8.])
    """
    return _gated("reglu", RECT_GATED_reglu, False, x, b, axis, out, reglu)


def glu_grad(x, grad=None, b=None, *, axis=-1, out=None):
    """The gradient of :func:`glu`: ``grad * sigmoid(b)`` for ``a``, ``grad * a * sigmoid'(b)`` for ``b``.

    The gradients of both halves in one pass: ``grad_a = grad * b * act'(a)``, ``grad_b = grad *
    act(a)``. ``glu_grad(x, grad, axis=-1)`` returns one array shaped like ``x``, the halves'
    gradients in the halves' places (the gradient with respect to ``x``); ``glu_grad(a, grad,
    b=b)`` returns ``(grad_a, grad_b)``.

    Parameters
    ----------
    x : array_like
        The whole input of the forward call (split along ``axis``), or its first half ``a`` when
        ``b`` is given.
    grad : array_like, optional
        The incoming gradient, of the forward result's shape; None (the default) means ones.
    b : array_like, optional
        The second half of the forward call; None (the default) splits ``x``.
    axis : int, optional
        The axis split into halves (-1 by default), keyword-only.
    out : ndarray or tuple of two ndarrays, optional
        Where to write the result: an array shaped like ``x``, or in the two-array form a tuple
        of two arrays.

    Returns
    -------
    ndarray or tuple of ndarray
        The gradient with respect to ``x`` (one array shaped like ``x``), or ``(grad_a,
        grad_b)`` when ``b`` is given.

    Raises
    ------
    ValueError
        If ``axis`` has an odd length, or the shapes do not broadcast together.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.glu_grad(np.array([1.0, 2.0, 0.0, 0.0]))
    array([0.5 , 0.5 , 0.25, 0.5 ])
    """
    return _gated_grad("glu_grad", RECT_GATED_glu, True, x, grad, b, axis, out, glu_grad)


def swiglu_grad(x, grad=None, b=None, *, axis=-1, out=None):
    """The gradient of :func:`swiglu`.

    The gradients of both halves in one pass: ``grad_a = grad * b * act'(a)``, ``grad_b = grad *
    act(a)``. ``swiglu_grad(x, grad, axis=-1)`` returns one array shaped like ``x``, the halves'
    gradients in the halves' places (the gradient with respect to ``x``); ``swiglu_grad(a, grad,
    b=b)`` returns ``(grad_a, grad_b)``.

    Parameters
    ----------
    x : array_like
        The whole input of the forward call (split along ``axis``), or its first half ``a`` when
        ``b`` is given.
    grad : array_like, optional
        The incoming gradient, of the forward result's shape; None (the default) means ones.
    b : array_like, optional
        The second half of the forward call; None (the default) splits ``x``.
    axis : int, optional
        The axis split into halves (-1 by default), keyword-only.
    out : ndarray or tuple of two ndarrays, optional
        Where to write the result: an array shaped like ``x``, or in the two-array form a tuple
        of two arrays.

    Returns
    -------
    ndarray or tuple of ndarray
        The gradient with respect to ``x`` (one array shaped like ``x``), or ``(grad_a,
        grad_b)`` when ``b`` is given.

    Raises
    ------
    ValueError
        If ``axis`` has an odd length, or the shapes do not broadcast together.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.swiglu_grad(np.array([0.0, 1.0, 2.0, 1.0]))
    array([1.        , 0.92767051, 0.        , 0.73105858])
    """
    return _gated_grad("swiglu_grad", RECT_GATED_swiglu, False, x, grad, b, axis, out, swiglu_grad)


def geglu_grad(x, grad=None, b=None, *, axis=-1, approximate="none", out=None):
    """The gradient of :func:`geglu`.

    The gradients of both halves in one pass: ``grad_a = grad * b * act'(a)``, ``grad_b = grad *
    act(a)``. ``geglu_grad(x, grad, axis=-1)`` returns one array shaped like ``x``, the halves'
    gradients in the halves' places (the gradient with respect to ``x``); ``geglu_grad(a, grad,
    b=b)`` returns ``(grad_a, grad_b)``.

    Parameters
    ----------
    x : array_like
        The whole input of the forward call (split along ``axis``), or its first half ``a`` when
        ``b`` is given.
    grad : array_like, optional
        The incoming gradient, of the forward result's shape; None (the default) means ones.
    b : array_like, optional
        The second half of the forward call; None (the default) splits ``x``.
    axis : int, optional
        The axis split into halves (-1 by default), keyword-only.
    approximate : {'none', 'tanh'}, optional
        The form of gelu: 'none' (the default, the erf form) or 'tanh', keyword-only.
    out : ndarray or tuple of two ndarrays, optional
        Where to write the result: an array shaped like ``x``, or in the two-array form a tuple
        of two arrays.

    Returns
    -------
    ndarray or tuple of ndarray
        The gradient with respect to ``x`` (one array shaped like ``x``), or ``(grad_a,
        grad_b)`` when ``b`` is given.

    Raises
    ------
    ValueError
        If ``axis`` has an odd length, or the shapes do not broadcast together.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.geglu_grad(np.array([0.0, 1.0, 2.0, 1.0]))
    array([1.        , 1.08331547, 0.        , 0.84134475])
    """
    op = RECT_GATED_geglu_tanh if _gelu_is_tanh("geglu_grad", approximate) else RECT_GATED_geglu
    return _gated_grad("geglu_grad", op, False, x, grad, b, axis, out,
                       lambda *v, **k: geglu_grad(*v, approximate=approximate, **k))


def reglu_grad(x, grad=None, b=None, *, axis=-1, out=None):
    """The gradient of :func:`reglu` (relu'(0) = 0, as PyTorch and JAX).

    The gradients of both halves in one pass: ``grad_a = grad * b * act'(a)``, ``grad_b = grad *
    act(a)``. ``reglu_grad(x, grad, axis=-1)`` returns one array shaped like ``x``, the halves'
    gradients in the halves' places (the gradient with respect to ``x``); ``reglu_grad(a, grad,
    b=b)`` returns ``(grad_a, grad_b)``.

    Parameters
    ----------
    x : array_like
        The whole input of the forward call (split along ``axis``), or its first half ``a`` when
        ``b`` is given.
    grad : array_like, optional
        The incoming gradient, of the forward result's shape; None (the default) means ones.
    b : array_like, optional
        The second half of the forward call; None (the default) splits ``x``.
    axis : int, optional
        The axis split into halves (-1 by default), keyword-only.
    out : ndarray or tuple of two ndarrays, optional
        Where to write the result: an array shaped like ``x``, or in the two-array form a tuple
        of two arrays.

    Returns
    -------
    ndarray or tuple of ndarray
        The gradient with respect to ``x`` (one array shaped like ``x``), or ``(grad_a,
        grad_b)`` when ``b`` is given.

    Raises
    ------
    ValueError
        If ``axis`` has an odd length, or the shapes do not broadcast together.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.reglu_grad(np.array([-1.0, 2.0, 3.0, 4.0]))
    array([0., 4., 0., 2.])
    >>> rectifier.reglu_grad(np.array([-1.0, 2.0]), b=np.array([3.0, 4.0]))
    (array([0., 4.]), array([0., 2.]))
    """
    return _gated_grad("reglu_grad", RECT_GATED_reglu, False, x, grad, b, axis, out, reglu_grad)
