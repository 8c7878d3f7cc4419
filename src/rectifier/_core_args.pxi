# Argument checking and the direct (no ufunc) call of a kernel, shared by every function.
# Part of rectifier._core: included by _core.pyx, which holds the C declarations.

# ---------------------------------------------------------------------------------------------
# Argument handling shared by every function
# ---------------------------------------------------------------------------------------------

_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
# ml_dtypes' bfloat16 and its type number (NumPy numbers a user dtype when its module registers
# it), once _use_bfloat16 has seen it; the kernel dtype index of a result dtype is _kernel_dtype.
_BF16 = None
cdef int _bf16_num = -1


def _use_bfloat16(dt):
    """Called by _rules.result_dtype for every bfloat16 dtype it meets: the first time, gives the
    ufuncs their bfloat16 loops, after which the direct path takes bfloat16 arrays too."""
    global _BF16, _bf16_num
    if _BF16 is None:
        _register_bfloat16_loops(dt.num)
        _BF16, _bf16_num = dt, dt.num


_rules.on_bfloat16 = _use_bfloat16


cdef int _kernel_dtype(object dt) except -1:
    """The kernel dtype index of a result dtype (of _rules.result_dtype)."""
    if dt == _F32:
        return RECT_F32
    if dt == _F64:
        return RECT_F64
    return RECT_F16 if dt == _F16 else RECT_BF16


cdef object _dtype_of(int kdt):
    """The NumPy dtype of a kernel dtype index."""
    return (_F16, _F32, _F64, _BF16)[kdt]
_FLOAT32_OVERFLOW = float.fromhex("0x1.ffffffp127")   # the smallest double that rounds to float32 inf


cdef inline int _fast_dtype(object x) noexcept:
    """The kernel dtype index of an array the direct path can take, else -1."""
    if not cnp.PyArray_CheckExact(x):
        return -1
    cdef cnp.ndarray a = <cnp.ndarray>x
    if cnp.PyArray_NDIM(a) == 0 or not cnp.PyArray_ISALIGNED(a) or not cnp.PyArray_ISNOTSWAPPED(a):
        return -1
    if not (cnp.PyArray_IS_C_CONTIGUOUS(a) or cnp.PyArray_IS_F_CONTIGUOUS(a)):
        return -1
    cdef int t = cnp.PyArray_TYPE(a)
    if t == cnp.NPY_FLOAT:
        return RECT_F32
    if t == cnp.NPY_DOUBLE:
        return RECT_F64
    if t == NPY_HALF:
        return RECT_F16
    if t == _bf16_num:
        return RECT_BF16
    return -1


cdef inline bint _same_layout(cnp.ndarray a, object other) noexcept:
    """`other` is an exact, aligned, native ndarray with a's dtype and shape, contiguous in the
    same order, so element i of both is at byte i * itemsize."""
    if not cnp.PyArray_CheckExact(other):
        return False
    cdef cnp.ndarray b = <cnp.ndarray>other
    cdef int i, nd = cnp.PyArray_NDIM(a)
    if cnp.PyArray_TYPE(b) != cnp.PyArray_TYPE(a) or cnp.PyArray_NDIM(b) != nd:
        return False
    if not cnp.PyArray_ISALIGNED(b) or not cnp.PyArray_ISNOTSWAPPED(b):
        return False
    for i in range(nd):
        if cnp.PyArray_DIM(a, i) != cnp.PyArray_DIM(b, i):
            return False
    return ((cnp.PyArray_IS_C_CONTIGUOUS(a) and cnp.PyArray_IS_C_CONTIGUOUS(b)) or
            (cnp.PyArray_IS_F_CONTIGUOUS(a) and cnp.PyArray_IS_F_CONTIGUOUS(b)))


cdef inline bint _overlaps_partly(cnp.ndarray a, cnp.ndarray b) noexcept:
    """a and b share bytes without being the same elements (they have the same layout)."""
    cdef uintptr_t pa = <uintptr_t>cnp.PyArray_DATA(a), pb = <uintptr_t>cnp.PyArray_DATA(b)
    cdef uintptr_t nbytes = <uintptr_t>cnp.PyArray_NBYTES(a)
    return pa != pb and pa < pb + nbytes and pb < pa + nbytes


cdef inline object _fast_out(cnp.ndarray a, object out, object other):
    """The array the direct path writes to (new, or `out`), or None if `out` needs the ufunc path
    (which checks it and reports what is wrong, or handles the overlap)."""
    cdef cnp.ndarray o
    if out is None:
        return cnp.PyArray_EMPTY(cnp.PyArray_NDIM(a), cnp.PyArray_DIMS(a), cnp.PyArray_TYPE(a),
                                 not cnp.PyArray_IS_C_CONTIGUOUS(a))
    if not _same_layout(a, out) or not cnp.PyArray_ISWRITEABLE(<cnp.ndarray>out):
        return None
    o = <cnp.ndarray>out
    if _overlaps_partly(a, o) or (other is not None and _overlaps_partly(<cnp.ndarray>other, o)):
        return None
    return o


cdef inline bint _beyond_float32(double v) noexcept nogil:
    """A finite parameter that rounds to infinity in float32, the compute type of float16,
    bfloat16 and float32 data (the kernel would see inf: a slope of 1e300 would make -0.0 * inf = NaN)."""
    return isinf(<float>v) and not isinf(v)


cdef inline bint _params_fit(int dt, const rect_params *p) noexcept nogil:
    return dt == RECT_F64 or not (_beyond_float32(p.a) or _beyond_float32(p.b))


cdef inline rect_params _params(double a=0.0, double b=0.0) noexcept nogil:
    cdef rect_params p
    p.a, p.b, p.c, p.d = a, b, 0.0, 0.0
    return p


cdef inline bint _is_scalar(object v):
    return type(v) is float or type(v) is int or (not isinstance(v, str) and np.ndim(v) == 0)


cdef double _scalar(str fname, str pname, object value, bint finite=False, bint not_nan=True) except? -1.5:
    """A scalar parameter as a double, or a ValueError/TypeError naming it."""
    cdef double v
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{fname}: {pname} must be a real number, got {value!r}") from None
    if finite and not isfinite(v):
        raise ValueError(f"{fname}: {pname} must be finite, got {value!r}")
    if not_nan and isnan(v):
        raise ValueError(f"{fname}: {pname} must not be NaN, got {value!r}")
    return v


cdef object _param_array(str fname, str pname, object value, bint finite=False, bint not_nan=True):
    """An array-valued parameter, checked, as a float64 ndarray (containers pass through)."""
    if hasattr(value, "__array_ufunc__") and not isinstance(value, (np.ndarray, np.generic)):
        return value
    arr = np.asarray(value)
    if not _rules.is_real(arr.dtype):
        raise TypeError(f"{fname}: {pname} has unsupported dtype {arr.dtype}; expected real numbers")
    arr = arr.astype(np.float64, copy=False)
    if finite and not np.isfinite(arr).all():
        raise ValueError(f"{fname}: {pname} must be finite, got {value!r}")
    if not_nan and np.isnan(arr).any():
        raise ValueError(f"{fname}: {pname} must not contain NaN, got {value!r}")
    return arr


cdef object _param(str fname, str pname, object value, bint finite=False, bint not_nan=True):
    """A checked parameter: a Python float for a scalar, an array otherwise."""
    if _is_scalar(value):
        return _scalar(fname, pname, value, finite, not_nan)
    return _param_array(fname, pname, value, finite, not_nan)


cdef _check_bounds(str fname, object lo, object hi):
    if (lo > hi) if (type(lo) is float and type(hi) is float) else np.any(np.greater(lo, hi)):
        raise ValueError(f"{fname}: min_val must be <= max_val, got min_val={lo!r}, max_val={hi!r}")


cdef Py_ssize_t _normalize_axis(str fname, object axis, Py_ssize_t ndim) except -1:
    return _rules.axis(fname, axis, ndim)


cdef tuple _float_input(str fname, object x, str pname="x"):
    """(x, result dtype): float16/32/64 and bfloat16 keep their dtype, integers and bool become
    float64."""
    if x is _PLAN:
        return x, None   # bias_act's probe passes through to the kernel choice (see _PLAN)
    if isinstance(x, np.ndarray):
        dt = x.dtype
    elif hasattr(x, "__array_ufunc__") and hasattr(x, "dtype") and not isinstance(x, np.generic):
        dt = np.dtype(x.dtype)   # dask, xarray, pandas...: the ufunc dispatches to the container
    else:
        try:
            x = np.asarray(x)
        except ValueError as error:   # a ragged nested sequence
            raise ValueError(f"{fname}: {pname} is not a regular array: {error}") from error
        dt = x.dtype
    return x, _rules.result_dtype(fname, dt, pname)


cdef _check_out(str fname, object out, object dt, tuple shape):
    _rules.check_out(fname, out, dt, shape)


cdef object _via_ufunc(object uf, str fname, object x, tuple args, str roles, object out,
                       tuple names=None):
    """Call the ufunc with the package's dtype rules: the loop is chosen by x's result dtype
    (parameters in its compute type), and `out` must match exactly. roles: one letter per operand
    after x, then '|', then one per output: 'x' stored like x, 'p' in the compute type. names: the
    operands after x as the caller calls them, for errors (default: the ufunc's own names)."""
    if x is _PLAN:
        raise _NeedsComposition()   # array-valued parameters: bias_act composes
    x, dt = _float_input(fname, x)
    pdt = _rules.compute_dtype(dt)
    letters = roles.replace("|", "")
    if names is None:
        names = _OPERAND_NAMES[uf.__name__][1:]
    _check_operands(fname, x, args, letters, names, pdt)
    if out is not None:
        _check_out(fname, out, dt, np.broadcast_shapes(np.shape(x), *[np.shape(a) for a in args]))
    if isinstance(x, np.ndarray):
        sig = (dt,) + tuple(dt if r == "x" else pdt for r in letters)
        return uf(x, *args, signature=sig) if out is None else uf(x, *args, out=out, signature=sig)
    # A container (dask...) gets the ufunc call through __array_ufunc__, which may not accept
    # `signature`: give it operands already in their loop's dtypes, and `dtype` for one output.
    args = tuple(a.astype(dt if r == "x" else pdt, copy=False) if isinstance(a, np.ndarray) else a
                 for a, r in zip(args, letters))
    kwargs = {"dtype": dt} if roles.endswith("|x") else {}
    if out is not None:
        kwargs["out"] = out
    return uf(x, *args, **kwargs)


cdef _check_operands(str fname, object x, tuple args, str letters, tuple names, object pdt):
    """The errors NumPy would raise for the operands after x, naming the function and the operand
    instead of the ufunc and 'input 1': an unsupported dtype, a shape that does not broadcast
    against x, a parameter beyond float32's range for float16/float32 data."""
    shape = np.shape(x)
    for value, letter, name in zip(args, letters, names):
        if hasattr(value, "__array_ufunc__") and not isinstance(value, (np.ndarray, np.generic)):
            continue   # a container (dask...) checks its own operands
        if not isinstance(value, (np.ndarray, float)):
            try:
                value = np.asarray(value)
            except ValueError as error:
                raise ValueError(f"{fname}: {name} is not a regular array: {error}") from error
        if isinstance(value, np.ndarray):
            if not _rules.is_real(value.dtype):
                raise TypeError(f"{fname}: {name} has unsupported dtype {value.dtype!r}; "
                                "expected real numbers")
            try:
                np.broadcast_shapes(shape, value.shape)
            except ValueError:
                raise ValueError(f"{fname}: {name} has shape {value.shape}, which does not broadcast "
                                 f"against x's shape {shape}") from None
        if letter == "p" and pdt == _F32:
            magnitude = np.abs(value)
            if np.any((magnitude >= _FLOAT32_OVERFLOW) & (magnitude != np.inf)):
                raise ValueError(f"{fname}: {name} must be within float32's range for {pdt} data "
                                 f"(its compute type), got {value!r}")


cdef inline void _run_unary(rect_unary_fn fn, int dt, Py_ssize_t n, const void *x, void *y,
                            const rect_params *p) noexcept:
    if n >= NOGIL_MIN_ELEMENTS:
        with nogil:
            rect_par_unary(fn, n, _ESIZE[dt], x, y, p)
    else:
        fn(n, x, y, p)


cdef inline object _unary_fast(int op, object x, object out, const rect_params *p):
    """The direct path of y = f(x); None when the call needs the ufunc."""
    if x is _PLAN:
        return _Plan.of(op, p)   # bias_act asking which kernel this call would run
    cdef int dt = _fast_dtype(x)
    if dt < 0 or not _params_fit(dt, p):
        return None
    cdef cnp.ndarray a = <cnp.ndarray>x
    o = _fast_out(a, out, None)
    if o is None:
        return None
    _run_unary(rect_unary_kernel(op, dt), dt, cnp.PyArray_SIZE(a), cnp.PyArray_DATA(a),
               cnp.PyArray_DATA(<cnp.ndarray>o), p)
    return o


cdef inline object _grad_fast(int op, object x, object grad, object out, const rect_params *p):
    """The direct path of y = grad * f'(x); None when the call needs the ufunc."""
    cdef int dt = _fast_dtype(x)
    if dt < 0 or not _params_fit(dt, p):
        return None
    cdef cnp.ndarray a = <cnp.ndarray>x
    cdef const void *g = NULL
    if grad is not None:
        if not _same_layout(a, grad):
            return None
        g = cnp.PyArray_DATA(<cnp.ndarray>grad)
    o = _fast_out(a, out, grad)
    if o is None:
        return None
    cdef rect_grad_fn fn = rect_grad_kernel(op, dt)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(a)
    cdef void *y = cnp.PyArray_DATA(<cnp.ndarray>o)
    cdef const void *xd = cnp.PyArray_DATA(a)
    if n >= NOGIL_MIN_ELEMENTS:
        with nogil:
            rect_par_grad(fn, n, _ESIZE[dt], xd, g, y, p)
    else:
        fn(n, xd, g, y, p)
    return o


cdef object _grad_or_ones(object grad):
    return 1.0 if grad is None else grad


cdef inline bint _scalar_params(tuple params, rect_params *p):
    """Fills p from up to two float parameters; False if any parameter is an array."""
    cdef Py_ssize_t k = len(params)
    p[0] = _params()
    if k > 0:
        if type(params[0]) is not float:
            return False
        p.a = params[0]
    if k > 1:
        if type(params[1]) is not float:
            return False
        p.b = params[1]
    return True


cdef object _unary_op(int op, object uf, str fname, object x, object out, tuple params, str roles):
    """f(x, *params): the direct path when every parameter is a float, else the ufunc."""
    cdef rect_params p
    if _scalar_params(params, &p):
        r = _unary_fast(op, x, out, &p)
        if r is not None:
            return r
    return _via_ufunc(uf, fname, x, params, roles, out)


cdef object _grad_op(int op, object uf, str fname, object x, object grad, object out, tuple params,
                     str roles):
    """grad * f'(x, *params): the direct path when every parameter is a float, else the ufunc."""
    cdef rect_params p
    if _scalar_params(params, &p):
        r = _grad_fast(op, x, grad, out, &p)
        if r is not None:
            return r
    return _via_ufunc(uf, fname, x, (_grad_or_ones(grad),) + params, roles, out)
