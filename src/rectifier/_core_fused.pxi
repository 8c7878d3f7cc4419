# The fused dense-layer epilogue (bias_act, linear) and the dying-ReLU diagnostics.
# Part of rectifier._core: included by _core.pyx, which holds the C declarations.

# ---------------------------------------------------------------------------------------------
# Beyond the peers: the fused dense-layer epilogue and the dying-ReLU diagnostics
# (src/fused.c)
# ---------------------------------------------------------------------------------------------

cdef dict _activation_table = None   # name -> public function; filled on first use
cdef dict _default_plans = {}        # name -> _Plan at default parameters


cdef dict _activations():
    """Every deterministic elementwise activation of the package, found rather than listed: each
    public function f(x, ...) without a `seed` (the random ones) that answers the _PLAN probe,
    at zero for its required parameters, with a kernel plan. A function added to the package
    (and to rectifier.__all__) that runs through the shared elementwise helpers joins by itself."""
    global _activation_table
    if _activation_table is not None:
        return _activation_table
    import inspect
    import rectifier
    table = {}
    for name in rectifier.__all__:
        fn = getattr(rectifier, name, None)
        if not callable(fn) or name.endswith("_grad") or name in _NOT_ACTIVATIONS:
            continue
        try:
            parameters = list(inspect.signature(fn).parameters.values())
        except (TypeError, ValueError):
            continue
        if not parameters or parameters[0].name != "x" or any(q.name == "seed" for q in parameters):
            continue
        required = {q.name: 0.0 for q in parameters[1:]
                    if q.default is inspect.Parameter.empty and q.kind is not q.VAR_KEYWORD
                    and q.kind is not q.VAR_POSITIONAL}
        try:
            answer = fn(_PLAN, **required)
        except _NeedsComposition:
            answer = None
        except Exception:
            continue
        if answer is None or isinstance(answer, _Plan):
            table[name] = fn
    _activation_table = table
    return table


_NOT_ACTIVATIONS = frozenset({"bias_act", "linear", "active_fraction", "dead_units"})


cdef object _resolve_activation(str fname, object activation, dict params):
    """What the epilogue runs after the bias: None (nothing), a _Plan (one kernel, fused), or the
    activation's public function (array-valued parameters or per-channel prelu weights: composed,
    which costs a second pass)."""
    for reserved in ("x", "out"):
        if reserved in params:   # the activation's own x and out are not parameters here
            raise TypeError(f"{fname}() got an unexpected keyword argument {reserved!r}")
    if activation is None:
        if params:
            raise TypeError(f"{fname}: parameters {', '.join(sorted(params))} given without an "
                            "activation")
        return None
    table = _activations()
    fn = table.get(activation) if type(activation) is str else None
    if fn is None:
        raise ValueError(f"{fname}: unknown activation {activation!r}; the activations are "
                         f"{', '.join(sorted(table))} (or None)")
    if not params:
        plan = _default_plans.get(activation)
        if plan is not None:
            return plan
    try:
        answer = fn(_PLAN, **params)
    except _NeedsComposition:
        return fn
    except (TypeError, ValueError) as error:
        raise type(error)(f"{fname}: activation {activation!r}: {error}") from None
    (<_Plan>answer).function = fn
    (<_Plan>answer).params = params
    if not params:
        _default_plans[activation] = answer
    return answer


cdef tuple _bias_values(str fname, object bias, object dt, Py_ssize_t channels, object axis,
                        Py_ssize_t ndim):
    """(the bias rounded to y's dtype, the same in the compute type, both contiguous 1-D, and
    whether it runs along the axis: False for a scalar, which is added everywhere)."""
    b = np.asarray(bias)
    if not _rules.is_real(b.dtype):
        raise TypeError(f"{fname}: bias has unsupported dtype {b.dtype}; expected real numbers")
    if b.ndim > 1:
        raise ValueError(f"{fname}: bias must be a scalar or 1-D, got shape {b.shape}")
    if b.ndim == 1 and b.shape[0] != channels:
        if ndim == 0:
            raise ValueError(f"{fname}: bias must be a single value for a 0-d y, got {b.shape[0]} values")
        raise ValueError(f"{fname}: bias has {b.shape[0]} values; y has {channels} features "
                         f"along axis {axis}")
    stored = b.astype(dt).reshape(-1)        # rounded to y's dtype first, as NumPy's y + b would
    compute = stored.astype(_rules.compute_dtype(dt), copy=False)
    return stored, compute, b.ndim == 1


cdef _check_plan_fits(str fname, _Plan plan, int dt):
    """A parameter beyond float32's range for float16/float32 data is refused, by the activation's
    own check (on one element of that dtype), before anything is written."""
    if plan is None or _params_fit(dt, &plan.p):
        return
    try:
        plan.function(np.zeros(1, _dtype_of(dt)), **plan.params)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{fname}: activation {plan.function.__name__!r}: {error}") from None
    raise ValueError(f"{fname}: the parameters of {plan.function.__name__!r} must be within "
                     f"float32's range for {_dtype_of(dt)} data, got {plan.params!r}")


cdef object _run_epilogue(str fname, cnp.ndarray work, object y, int dt, object compute_bias,
                          bint per_axis, Py_ssize_t ax, _Plan plan):
    """work = act(y + bias) by the fused C loop; y and work have the same layout (or are one)."""
    _check_plan_fits(fname, plan, dt)
    cdef Py_ssize_t outer, channels, inner
    outer, channels, inner = _view_3d(work, ax, per_axis)
    cdef cnp.ndarray b = <cnp.ndarray>compute_bias
    cdef const void *xd = cnp.PyArray_DATA(<cnp.ndarray>y)
    cdef const void *bd = cnp.PyArray_DATA(b)
    cdef void *yd = cnp.PyArray_DATA(work)
    cdef int op = -1 if plan is None else plan.op
    cdef rect_params p = _params() if plan is None else plan.p
    cdef int status
    if outer * channels * inner >= NOGIL_MIN_ELEMENTS:
        with nogil:
            status = rect_par_bias_act(dt, op, outer, channels, inner, xd, bd, yd, &p)
    else:
        status = rect_bias_act(dt, op, outer, channels, inner, xd, bd, yd, &p)
    if status != 0:
        raise MemoryError(f"{fname}: no memory for the tiled bias")
    return work


cdef object _bias_act_fast(object y, object bias, object action, object axis, object out):
    """bias_act's direct path, for the common call where every overhead counts: an exact float32
    or float64 ndarray y (C- or F-contiguous), a contiguous native 1-D bias of the same dtype with
    one value per feature, an int axis, out absent or of y's layout (y itself included), and no
    activation or a kernel plan. None when the call needs the general path (which also reports
    every error)."""
    if action is not None and not isinstance(action, _Plan):
        return None
    if type(axis) is not int or not cnp.PyArray_CheckExact(bias):
        return None
    cdef int dt = _fast_dtype(y)
    if dt != RECT_F32 and dt != RECT_F64:
        return None
    cdef cnp.ndarray a = <cnp.ndarray>y, b = <cnp.ndarray>bias
    cdef Py_ssize_t nd = cnp.PyArray_NDIM(a), ax = axis
    if ax < 0:
        ax += nd
    if not 0 <= ax < nd or cnp.PyArray_NDIM(b) != 1 or cnp.PyArray_TYPE(b) != cnp.PyArray_TYPE(a):
        return None
    if cnp.PyArray_DIM(b, 0) != cnp.PyArray_DIM(a, ax) or not cnp.PyArray_IS_C_CONTIGUOUS(b) \
            or not cnp.PyArray_ISALIGNED(b) or not cnp.PyArray_ISNOTSWAPPED(b):
        return None
    o = _fast_out(a, out, None)
    if o is None:
        return None
    return _run_epilogue("bias_act", <cnp.ndarray>o, a, dt, b, True, ax, action)


cdef object _bias_act(str fname, object y, object bias, object action, dict params, object axis,
                      object out):
    """bias_act with the activation already resolved (see _resolve_activation)."""
    r = _bias_act_fast(y, bias, action, axis, out)
    if r is not None:
        return r
    cdef bint container = (not isinstance(y, np.ndarray) and hasattr(y, "__array_ufunc__")
                           and not isinstance(y, np.generic))
    if container:
        y_arr, dt = y, _float_input(fname, y, "y")[1]
    else:
        y_arr, dt = _float_input(fname, y, "y")
        y_arr = np.asarray(y_arr)
    cdef Py_ssize_t ndim = np.ndim(y_arr), ax = 0, channels = 1
    if ndim > 0:
        ax = _normalize_axis(fname, axis, ndim)
        channels = np.shape(y_arr)[ax]
    stored, compute, per_axis = _bias_values(fname, bias, dt, channels, axis, ndim)
    if out is not None:
        _check_out(fname, out, dt, tuple(np.shape(y_arr)))

    if container or not (action is None or isinstance(action, _Plan)):
        # the composition, two passes: a container keeps its type (and laziness), and
        # array-valued parameters broadcast as the activation's own ufunc does
        shape = [1] * ndim
        if per_axis:
            shape[ax] = channels
        b = stored.reshape(shape) if per_axis else stored.reshape(())
        summed = (y_arr + b) if container else np.add(y_arr, b, dtype=dt)
        if action is None:
            if out is None:
                return summed
            out[...] = summed
            return out
        fn = (<_Plan>action).function if isinstance(action, _Plan) else action
        target = out if out is not None else (None if container else summed)
        return fn(summed, **params) if target is None else fn(summed, **params, out=target)

    cdef int kdt = _fast_dtype(y_arr)
    cdef cnp.ndarray work
    if kdt >= 0:
        o = _fast_out(<cnp.ndarray>y_arr, out, None)
        if o is not None:
            return _run_epilogue(fname, <cnp.ndarray>o, y_arr, kdt, compute, per_axis, ax, action)
    # any other layout (strided, reversed, 0-d, byte-swapped, partly overlapping out): a contiguous
    # native copy, computed in place; its own result when there is no out
    f_order = ndim >= 2 and y_arr.flags.f_contiguous and not y_arr.flags.c_contiguous
    work = np.array(y_arr, dtype=dt, order="F" if f_order else "C", copy=True)
    kdt = _kernel_dtype(dt)
    _run_epilogue(fname, work, work, kdt, compute, per_axis, ax, action)
    if out is None:
        return work[()] if ndim == 0 else work
    np.copyto(out, work)
    return out


def bias_act(y, bias, activation="relu", axis=-1, out=None, **params):
    """``activation(y + bias, **params)`` in one pass over memory, the fused epilogue of a dense layer.

    As in ``max(0, w.x + b)``: each cache-sized block gets its bias, then the activation kernel
    while it is still in L1. The bias is first rounded to the result dtype, and float16 sums are
    rounded as NumPy rounds them, so the result equals ``activation(y + bias.astype(y.dtype),
    **params)`` bit for bit. Array-valued parameters and per-channel prelu weights are applied
    by that composition (two passes); dask/xarray inputs are composed too, keeping their type.

    Parameters
    ----------
    y : array_like
        The pre-activations.
    bias : array_like
        A scalar, or one value per feature along ``axis``.
    activation : str or None, optional
        The name of any deterministic elementwise function of the package (``"relu"``, the
        default, ``"leaky_relu"``, ``"elu"``, ``"gelu"``...; see `activations`), or None for
        the bias alone.
    axis : int, optional
        The feature axis of ``y`` (-1 by default).
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable; ``out=y``
        works in place.
    **params
        The keyword parameters of the activation (e.g. ``negative_slope`` of leaky_relu).

    Returns
    -------
    ndarray
        The result, of y's shape and dtype (integers: float64).

    Raises
    ------
    ValueError
        For an unknown activation name, or a bias that does not match ``axis``.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.bias_act(np.array([[1.0, -2.0], [-3.0, 4.0]]), np.array([0.5, 1.0]))
    array([[1.5, 0. ],
           [0. , 5. ]])
    >>> rectifier.bias_act(np.array([-1.0, 2.0]), 0.5, None)
    array([-0.5,  2.5])
    """
    return _bias_act("bias_act", y, bias, _resolve_activation("bias_act", activation, params),
                     params, axis, out)


def activations():
    """The activation names that `bias_act` and `linear` accept.

    Every deterministic elementwise function of the package (found at first use, so new functions
    join by themselves).

    Parameters
    ----------
    None

    Returns
    -------
    tuple of str
        The names, sorted.

    Examples
    --------
    >>> import rectifier
    >>> names = rectifier.activations()
    >>> "relu" in names, "gelu" in names
    (True, True)
    """
    return tuple(sorted(_activations()))


def linear(x, weight, bias=None, activation=None, **params):
    """A dense layer, ``activation(x @ weight.T + bias, **params)``.

    NumPy's matmul (BLAS) computes the product, then the fused epilogue (`bias_act`) adds the
    bias and applies the activation in place on it, without another array.

    Parameters
    ----------
    x : array_like
        The input, of shape (..., in_features).
    weight : array_like
        The weights, of shape (out_features, in_features).
    bias : array_like, optional
        None (the default), a scalar or an array of shape (out_features,).
    activation : str or None, optional
        The name of an activation (see `activations`), or None (the default) for none.
    **params
        The keyword parameters of the activation.

    Returns
    -------
    ndarray
        Of shape (..., out_features); the dtype is NumPy's promotion of x and weight (integers
        and bool: float64).

    Raises
    ------
    ValueError
        If weight is not 2-D, x is 0-d, the feature counts differ, or the bias has the wrong
        shape.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> x = np.array([[1.0, 2.0]])
    >>> w = np.array([[1.0, 1.0], [-1.0, 0.0]])
    >>> rectifier.linear(x, w, np.array([0.5, 0.5]), "relu")
    array([[3.5, 0. ]])
    """
    if _lazy.is_dask(x):
        return _lazy.linear(x, weight, bias, activation, params)
    action = _resolve_activation("linear", activation, params)
    r = _linear_fast(x, weight, bias, action)
    if r is not None:
        return r
    xa = _real_array("linear", "x", x, False)
    wa = _real_array("linear", "weight", weight, False)
    if wa.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape {wa.shape}")
    if xa.ndim < 1:
        raise ValueError("linear: x must have at least one dimension (in_features), got a 0-d array")
    in_features = xa.shape[xa.ndim - 1]   # (no negative indices: wraparound is off)
    if in_features != wa.shape[1]:
        raise ValueError(f"linear: x has {in_features} input features (last axis of shape {xa.shape}); "
                         f"weight of shape {wa.shape} expects {wa.shape[1]}")
    dt = np.result_type(xa.dtype, wa.dtype)
    if dt.kind != "f" and not _rules.is_bfloat16(dt):
        dt = _F64
    if bias is not None:
        nb = np.ndim(bias)
        if nb > 1 or (nb == 1 and np.shape(bias)[0] != wa.shape[0]):
            raise ValueError(f"linear: bias must be a scalar or have {wa.shape[0]} values "
                             f"(out_features), got shape {np.shape(bias)}")
    # (bfloat16's matmul accumulates and returns float32: rounded once to bfloat16 here)
    z = np.matmul(xa.astype(dt, copy=False), wa.astype(dt, copy=False).T).astype(dt, copy=False)
    if bias is None:
        if action is None:
            return z
        if isinstance(action, _Plan):
            return _run_unary_plan(z, <_Plan>action)
        return action(z, **params, out=z)
    return _bias_act("linear", z, bias, action, params, -1, z)


cdef object _linear_fast(object x, object weight, object bias, object action):
    """linear's direct path, for small layers where every call overhead counts: exact float32 or
    float64 ndarrays of one dtype, a 2-D weight, bias None or a contiguous native 1-D array of
    that dtype with one value per output feature, and no activation or a kernel plan. None when
    the call needs the general path (which also reports every error)."""
    if not (cnp.PyArray_CheckExact(x) and cnp.PyArray_CheckExact(weight)):
        return None
    if action is not None and not isinstance(action, _Plan):
        return None
    cdef cnp.ndarray xa = <cnp.ndarray>x, wa = <cnp.ndarray>weight, ba, z
    cdef int t = cnp.PyArray_TYPE(xa), nd = cnp.PyArray_NDIM(xa)
    if (t != cnp.NPY_FLOAT and t != cnp.NPY_DOUBLE) or cnp.PyArray_TYPE(wa) != t:
        return None
    if cnp.PyArray_NDIM(wa) != 2 or nd < 1 or cnp.PyArray_DIM(xa, nd - 1) != cnp.PyArray_DIM(wa, 1):
        return None
    cdef Py_ssize_t n_out = cnp.PyArray_DIM(wa, 0)
    cdef const void *bd = NULL
    if bias is not None:
        if not cnp.PyArray_CheckExact(bias):
            return None
        ba = <cnp.ndarray>bias
        if cnp.PyArray_NDIM(ba) != 1 or cnp.PyArray_TYPE(ba) != t or cnp.PyArray_DIM(ba, 0) != n_out \
                or not cnp.PyArray_IS_C_CONTIGUOUS(ba) or not cnp.PyArray_ISALIGNED(ba) \
                or not cnp.PyArray_ISNOTSWAPPED(ba):
            return None
        bd = cnp.PyArray_DATA(ba)
    z = <cnp.ndarray>np.matmul(xa, cnp.PyArray_Transpose(wa, NULL))
    if not cnp.PyArray_CheckExact(z) or not cnp.PyArray_IS_C_CONTIGUOUS(z) or cnp.PyArray_TYPE(z) != t:
        return None if z is None else _linear_epilogue_general(z, bias, action)
    if bias is None and action is None:
        return z
    cdef int dt = RECT_F32 if t == cnp.NPY_FLOAT else RECT_F64
    _check_plan_fits("linear", action, dt)
    cdef int op = -1 if action is None else (<_Plan>action).op
    cdef rect_params p = _params() if action is None else (<_Plan>action).p
    cdef Py_ssize_t total = cnp.PyArray_SIZE(z)
    cdef void *zd = cnp.PyArray_DATA(z)
    cdef int status = 0
    if bias is None:
        _run_unary(rect_unary_kernel(op, dt), dt, total, zd, zd, &p)
    elif total >= NOGIL_MIN_ELEMENTS:
        with nogil:
            status = rect_par_bias_act(dt, op, total // n_out if n_out else 0, n_out, 1, zd, bd, zd, &p)
    else:
        status = rect_bias_act(dt, op, total // n_out if n_out else 0, n_out, 1, zd, bd, zd, &p)
    if status != 0:
        raise MemoryError("linear: no memory for the tiled bias")
    return z


cdef object _linear_epilogue_general(object z, object bias, object action):
    if bias is None:
        return z if action is None else _run_unary_plan(z, <_Plan>action)
    return _bias_act("linear", z, bias, action, {}, -1, z)


cdef object _run_unary_plan(object z, _Plan plan):
    """The activation alone, in place on matmul's fresh result (a C-contiguous array, or a NumPy
    scalar for a 0-d result). The kernel is called directly: through _unary_fast(z, out=z) GCC's
    -Warray-bounds saw NumPy's accessors applied to a None it cannot rule out."""
    cdef cnp.ndarray r = z if cnp.PyArray_CheckExact(z) and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>z) \
        else np.array(z)
    cdef int dt = _fast_dtype(r.reshape(-1))
    if dt < 0:
        raise AssertionError("linear: matmul's result is not a float32/float64 array")
    _check_plan_fits("linear", plan, dt)
    _run_unary(rect_unary_kernel(plan.op, dt), dt, cnp.PyArray_SIZE(r), cnp.PyArray_DATA(r), cnp.PyArray_DATA(r),
               &plan.p)
    return r if cnp.PyArray_NDIM(r) > 0 else r[()]


cdef tuple _positive_counts(str fname, object x, object axis):
    """(counts of entries > 0 reduced over axis as uint64, in the reduced shape, the number of
    entries per count)."""
    a, dt = _float_input(fname, x)
    a = np.asarray(a)
    cdef Py_ssize_t nd = a.ndim, ax
    if axis is None:
        a = a.reshape(-1) if a.flags.c_contiguous or a.flags.f_contiguous else np.ravel(a)
        ax = 0
        reduced_shape = ()
    elif isinstance(axis, tuple):
        axes = tuple(sorted({_normalize_axis(fname, v, nd) for v in axis}))
        if len(axes) != len(axis):
            raise ValueError(f"{fname}: repeated axis in {axis!r}")
        kept = [i for i in range(nd) if i not in axes]
        reduced_shape = tuple(a.shape[i] for i in kept)
        # the reduced axes last, merged into one (a copy unless they already are)
        merged = 1
        for i in axes:
            merged *= a.shape[i]
        # (merged, not -1: the length of an empty array's merged axes is not implied)
        a = np.moveaxis(a, axes, range(nd - len(axes), nd)).reshape(reduced_shape + (merged,))
        ax = len(kept)
    else:
        ax = _normalize_axis(fname, axis, nd)
        reduced_shape = a.shape[:ax] + a.shape[ax + 1:]
    cdef cnp.ndarray c
    if _fast_dtype(a) < 0:
        # strided, reversed, unaligned, byte-swapped or converted: a new (so aligned) C copy
        # (np.ascontiguousarray would return an unaligned contiguous array as it is)
        a = np.array(a, dtype=dt, order="C", copy=True)
    c = <cnp.ndarray>a
    cdef Py_ssize_t outer, length, inner
    outer, length, inner = _view_3d(c, ax, True)
    counts = np.empty(outer * inner, dtype=np.uint64)
    cdef int kdt = _fast_dtype(c)
    cdef const void *xd = cnp.PyArray_DATA(c)
    cdef uint64_t *cd = <uint64_t *>cnp.PyArray_DATA(<cnp.ndarray>counts)
    cdef int status
    if outer * length * inner >= NOGIL_MIN_ELEMENTS:
        with nogil:
            status = rect_par_count_positive(kdt, outer, length, inner, xd, cd)
    else:
        status = rect_count_positive(kdt, outer, length, inner, xd, cd)
    if status != 0:
        raise MemoryError(f"{fname}: no memory for the counters")
    order = "F" if not cnp.PyArray_IS_C_CONTIGUOUS(c) else "C"
    return counts.reshape(reduced_shape, order=order), length


def active_fraction(x, axis=None):
    """The share of entries ``> 0`` (of ReLU units that fire).

    NaN is not ``> 0``, so it counts as inactive; an empty slice gives NaN (0 / 0, without a
    warning). One SIMD pass over x, no temporary of x's size (a non-contiguous x, or a tuple of
    non-adjacent axes, is copied first). Around 0.5 at a ReLU network's initialisation; far
    below, units die.

    Parameters
    ----------
    x : array_like
        The activations.
    axis : int, tuple of int or None, optional
        The axes counted along; None (the default): all of x.

    Returns
    -------
    float or ndarray
        A float over all of x, or along ``axis`` a float64 array of the other axes' shape.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> x = np.array([[1.0, -1.0], [2.0, 0.0]])
    >>> rectifier.active_fraction(x)
    np.float64(0.5)
    >>> rectifier.active_fraction(x, axis=0)
    array([1., 0.])
    """
    if _lazy.is_dask(x):
        return _lazy.active_fraction(x, axis)
    counts, length = _positive_counts("active_fraction", x, axis)
    if length == 0:   # (not 0 / 0: that would raise the invalid flag)
        share = np.full(counts.shape, np.nan)
    else:
        share = np.true_divide(counts, length, dtype=np.float64)
    return share[()] if axis is None else share


def dead_units(x, axis=0):
    """A boolean mask of the units that never fire, the dying-ReLU diagnostic.

    True where every entry along ``axis`` (the samples of a batch) is ``<= 0`` or NaN (NaN is
    not ``> 0``). An empty axis gives True (no sample fired). One SIMD pass.

    Parameters
    ----------
    x : array_like
        The activations; x of shape (batch, units) gives a mask of shape (units,).
    axis : int, tuple of int or None, optional
        The axes of the samples (0 by default); None gives one bool for the whole array.

    Returns
    -------
    ndarray of bool or bool
        The mask, of the other axes' shape.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.dead_units(np.array([[1.0, -1.0, 0.0], [2.0, 0.0, np.nan]]))
    array([False,  True,  True])
    """
    if _lazy.is_dask(x):
        return _lazy.dead_units(x, axis)
    counts, _ = _positive_counts("dead_units", x, axis)
    mask = counts == 0
    return mask[()] if axis is None else mask
