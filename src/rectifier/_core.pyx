# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The thin layer between Python and the C kernels.

Every public function first tries a direct path for the common call (an exact ndarray of a float
dtype, C- or F-contiguous, aligned, native byte order, scalar parameters, `out` absent or a matching
array): it reads the array through the NumPy C API and calls the kernel, releasing the GIL for
large inputs. Any other call goes to the NumPy ufunc of the same kernels (`rectifier.ufuncs`),
which brings broadcasting, strides, casting and `__array_ufunc__` (dask, xarray, pandas). Both
paths run the same kernel on the same values, so their results are bit-identical.
"""
cimport numpy as cnp
from libc.math cimport isfinite, isinf, isnan
from libc.stdint cimport intptr_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy
from libc.stdint cimport uintptr_t

import os

import numpy as np

from rectifier import _lazy, _rules

cnp.import_array()
cnp.import_ufunc()

cdef extern from "numpy/ndarraytypes.h":
    enum:
        NPY_HALF

cdef extern from "rectifier/rectifier.h":
    ctypedef struct rect_params:
        double a, b, c, d

cdef extern from "rectifier/capabilities.h":
    unsigned rect_capabilities_compiled() nogil
    unsigned rect_capabilities_detected() nogil
    unsigned rect_capabilities_enabled() nogil
    unsigned rect_active_path() nogil
    int rect_set_capabilities(unsigned mask) nogil
    const char *rect_path_name(unsigned cap) nogil
    int rect_path_precedence(unsigned cap) nogil
    unsigned rect_path_xcr0(unsigned cap) nogil

include "_operations_decl.pxi"

cdef extern from "_glue.h":
    enum:
        RECT_F16, RECT_F32, RECT_F64
        RECT_KIND_UNARY, RECT_KIND_GRAD, RECT_KIND_PRELU, RECT_KIND_PRELU_GRAD
    ctypedef void (*rect_unary_fn)(size_t n, const void *x, void *y, const rect_params *p) noexcept nogil
    ctypedef void (*rect_grad_fn)(size_t n, const void *x, const void *grad, void *y,
                                  const rect_params *p) noexcept nogil
    ctypedef void (*rect_prelu_fn)(size_t n, const void *x, const void *w, void *y) noexcept nogil
    ctypedef void (*rect_prelu_grad_fn)(size_t n, const void *x, const void *w, const void *grad,
                                        void *grad_x, void *grad_w) noexcept nogil
    ctypedef void (*rect_random_fn)(size_t n, const void *x, const void *sigma, void *y, void *noise,
                                    const rect_params *p, uint64_t key, uint64_t first) noexcept nogil
    ctypedef void (*rect_philox_fn)(size_t n_groups, uint64_t first_group, uint32_t c2, uint32_t c3,
                                    uint64_t key, uint32_t *out) noexcept nogil
    rect_random_fn rect_random_kernel(int op, int dtype) nogil
    rect_philox_fn rect_philox_kernel() nogil
    ctypedef void (*rect_reduce_fn)(int op, size_t outer, size_t n, size_t inner, const void *x,
                                    const void *grad, void *y, const rect_params *p) noexcept nogil
    enum:
        RECT_RED_logsumexp, RECT_RED_softmax, RECT_RED_log_softmax, RECT_RED_logsumexp_grad
        RECT_RED_softmax_grad, RECT_RED_log_softmax_grad
    rect_reduce_fn rect_reduce_kernel(int dtype) nogil
    ctypedef struct rect_loop_desc:
        int kind, op, dtype, nparams
    void rect_init() nogil
    rect_unary_fn rect_unary_kernel(int op, int dtype) nogil
    rect_grad_fn rect_grad_kernel(int op, int dtype) nogil
    rect_prelu_fn rect_prelu_kernel(int dtype) nogil
    rect_prelu_grad_fn rect_prelu_grad_kernel(int dtype) nogil
    void rect_ufunc_loop(char **args, const intptr_t *dimensions, const intptr_t *steps,
                         void *data) noexcept nogil
    int rect_bias_act(int dtype, int op, size_t outer, size_t channels, size_t inner,
                      const void *x, const void *bias, void *y, const rect_params *p) nogil
    int rect_count_positive(int dtype, size_t outer, size_t length, size_t inner, const void *x,
                            uint64_t *counts) nogil

cdef extern from "pool.h":
    size_t rect_parallel_min
    int rect_get_num_threads() nogil
    int rect_set_num_threads(int n) nogil
    uint64_t rect_pool_jobs() nogil
    void rect_par_unary(rect_unary_fn fn, size_t n, size_t esize, const void *x, void *y,
                        const rect_params *p) nogil
    void rect_par_grad(rect_grad_fn fn, size_t n, size_t esize, const void *x, const void *g,
                       void *y, const rect_params *p) nogil
    void rect_par_random(rect_random_fn fn, size_t n, size_t block, size_t esize, size_t csize,
                         const void *x, const void *sigma, void *y, void *noise,
                         const rect_params *p, uint64_t key) nogil
    void rect_par_reduce(rect_reduce_fn fn, int op, size_t outer, size_t n, size_t inner,
                         size_t esize, const void *x, const void *g, void *y,
                         const rect_params *p) nogil
    int rect_par_bias_act(int dtype, int op, size_t outer, size_t channels, size_t inner,
                          const void *x, const void *bias, void *y, const rect_params *p) nogil
    int rect_par_count_positive(int dtype, size_t outer, size_t length, size_t inner,
                                const void *x, uint64_t *counts) nogil

rect_init()


# bias_act asks an activation which kernel a call would run by passing _PLAN as x: _unary_fast
# answers with a _Plan (the kernel and its parameters, already checked by the activation itself);
# a call that needs the ufunc (array-valued parameters) raises _NeedsComposition instead.
cdef object _PLAN = object()


class _NeedsComposition(Exception):
    pass


cdef class _Plan:
    cdef int op
    cdef rect_params p
    cdef object function   # the activation's public function (set by _resolve_activation)
    cdef dict params       # the keyword parameters it was resolved with

    @staticmethod
    cdef _Plan of(int op, const rect_params *p):
        cdef _Plan plan = _Plan.__new__(_Plan)
        plan.op, plan.p = op, p[0]
        return plan

# Below this many elements the kernel is cheaper than releasing and re-taking the GIL
# (bench/bench_overhead_gil.py measures both: one release and re-take costs ~32 ns).
cdef Py_ssize_t NOGIL_MIN_ELEMENTS = 8192
_NOGIL_MIN_ELEMENTS = NOGIL_MIN_ELEMENTS   # read by the benchmark

# The intra-op thread pool (src/pool.c): the direct paths hand a kernel call to it only where they
# release the GIL (at least NOGIL_MIN_ELEMENTS elements), so a small call costs what it did; the
# pool then splits only calls of at least two thresholds' worth (rect_parallel_min elements per
# thread). rectifier/_threads.py holds the user-facing controls.
cdef size_t[3] _ESIZE = [2, 4, 8]   # storage bytes per element, by kernel dtype index


def _get_num_threads():
    return rect_get_num_threads()


def _set_num_threads(int n):
    """Sets the threads a large call may use (clamped to [1, 1024]); returns the old count."""
    return rect_set_num_threads(n)


def _pool_jobs():
    """How many calls the pool has split among threads in this process (for tests)."""
    return rect_pool_jobs()


def _get_parallel_min():
    return rect_parallel_min


def _set_parallel_min(size_t elements):
    """Sets the elements per thread below which a call stays on one thread; returns the old
    value (tests lower it to split small arrays)."""
    global rect_parallel_min
    old = rect_parallel_min
    rect_parallel_min = elements if elements > 0 else 1
    return old

# ---------------------------------------------------------------------------------------------
# CPU paths
# ---------------------------------------------------------------------------------------------

def _path_table():
    """name -> capability bit of every path the C table (RECT_CPU_PATHS) declares, lowest
    precedence first."""
    cdef unsigned cap
    rows = []
    for bit in range(32):
        cap = (<unsigned>1) << bit
        if rect_path_name(cap) != NULL:
            rows.append((rect_path_precedence(cap), bit, rect_path_name(cap).decode()))
    return {name: 1 << bit for _, bit, name in sorted(rows)}


_PATH_BITS = _path_table()
PATHS = tuple(_PATH_BITS)   # every path of the C table, lowest precedence first
# the XCR0 bits (register state) each path needs: what tests/test_build_isolation.py allows it
PATH_XCR0 = {name: rect_path_xcr0(bit) for name, bit in _PATH_BITS.items()}


def _path_names(unsigned mask):
    return tuple(name for name, bit in _PATH_BITS.items() if mask & bit)


def capabilities():
    """The CPU paths of this build and process.

    Returns a dict: ``compiled`` (paths built into this binary), ``detected`` (those this CPU and
    OS can run), ``enabled`` (those currently allowed, see `set_capabilities` and the environment
    variable ``RECTIFIER_DISABLE``) and ``active`` (the one path whose kernels run).
    """
    return {
        "compiled": _path_names(rect_capabilities_compiled()),
        "detected": _path_names(rect_capabilities_detected()),
        "enabled": _path_names(rect_capabilities_enabled()),
        "active": rect_path_name(rect_active_path()).decode(),
    }


def set_capabilities(paths):
    """Allow only the CPU paths named in `paths` (e.g. ``["scalar"]`` or ``("scalar", "avx2")``).

    The best allowed path becomes active for every function and ufunc. ``scalar`` is always
    allowed. Raises ValueError, changing nothing, for an unknown name or a path this CPU cannot run.
    Meant for start-up and tests: do not call it while other threads run kernels.
    """
    if isinstance(paths, str):
        paths = [paths]
    cdef unsigned mask = 1
    detected = rect_capabilities_detected()
    for name in paths:
        if name not in _PATH_BITS:
            raise ValueError(f"set_capabilities: unknown CPU path {name!r}; "
                             f"the paths are {', '.join(_PATH_BITS)}")
        if not detected & _PATH_BITS[name]:
            raise ValueError(f"set_capabilities: this CPU cannot run the {name!r} path "
                             f"(it can run: {', '.join(_path_names(detected))})")
        mask |= _PATH_BITS[name]
    rect_set_capabilities(mask)


def show_config():
    """Print the compiled, detected, enabled and active CPU paths."""
    caps = capabilities()
    for key in ("compiled", "detected", "enabled"):
        print(f"{key + ':':10s}{', '.join(caps[key])}")
    print(f"{'active:':10s}{caps['active']}")


# ---------------------------------------------------------------------------------------------
# The ufuncs: one per kernel, all served by the same strided loop (src/ufunc_loops.c)
# ---------------------------------------------------------------------------------------------

UFUNCS = {}
cdef list _ufunc_keepalive = []   # the name and doc bytes the ufunc objects point into
cdef dict _OPERAND_NAMES = {}      # ufunc name -> the names of its inputs
cdef int[3] _DTYPE_INDEX = [RECT_F16, RECT_F32, RECT_F64]
cdef int[3] _STORAGE = [NPY_HALF, cnp.NPY_FLOAT, cnp.NPY_DOUBLE]
cdef int[3] _COMPUTE = [cnp.NPY_FLOAT, cnp.NPY_FLOAT, cnp.NPY_DOUBLE]


cdef _make_ufunc(str name, int kind, int op, int nparams, str roles, str doc):
    """roles: 'inputs|outputs', one letter per operand: 'x' stored like x, 'p' in the compute type
    (float32 for float16 data)."""
    inputs, outputs = roles.split("|")
    letters = inputs + outputs
    cdef int nin = len(inputs), nargs = len(letters)
    cdef cnp.PyUFuncGenericFunction *funcs = <cnp.PyUFuncGenericFunction *>malloc(3 * sizeof(cnp.PyUFuncGenericFunction))
    cdef void **data = <void **>malloc(3 * sizeof(void *))
    cdef char *types = <char *>malloc(3 * nargs)
    cdef rect_loop_desc *desc
    cdef int i, j
    if funcs == NULL or data == NULL or types == NULL:
        raise MemoryError()
    for i in range(3):
        desc = <rect_loop_desc *>malloc(sizeof(rect_loop_desc))
        if desc == NULL:
            raise MemoryError()
        desc.kind, desc.op, desc.dtype, desc.nparams = kind, op, _DTYPE_INDEX[i], nparams
        funcs[i] = <cnp.PyUFuncGenericFunction>rect_ufunc_loop
        data[i] = desc
        for j in range(nargs):
            types[i * nargs + j] = <char>(_STORAGE[i] if letters[j] == "x" else _COMPUTE[i])
    name_b, doc_b = name.encode(), doc.encode()
    _ufunc_keepalive.extend((name_b, doc_b))
    uf = cnp.PyUFunc_FromFuncAndData(funcs, data, types, 3, nin, nargs - nin, cnp.PyUFunc_None,
                                     name_b, doc_b, 0)
    UFUNCS[name] = uf
    # the operand names, for error messages: each doc starts with the call, "name(x, grad, ...)"
    _OPERAND_NAMES[name] = tuple(a.strip() for a in doc[doc.index("(") + 1:doc.index(")")].split(","))
    return uf


# ---------------------------------------------------------------------------------------------
# Argument handling shared by every function
# ---------------------------------------------------------------------------------------------

_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
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
    """A finite parameter that rounds to infinity in float32, the compute type of float16 and
    float32 data (the kernel would see inf: a slope of 1e300 would make -0.0 * inf = NaN)."""
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
    if arr.dtype.kind not in "biuf":
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
    """(x, result dtype): float16/32/64 keep their dtype, integers and bool become float64."""
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
    pdt = _F32 if dt == _F16 else dt
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
            if value.dtype.kind not in "biuf":
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
    cdef size_t esize = 2 if dt == RECT_F16 else (8 if dt == RECT_F64 else 4)
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


# The ufuncs of every row of the table of operations (_operations.py), the public functions of
# the rows without a hand-written one, and the cimportable API: generated.
include "_operations.pxi"

logistic = sigmoid
logistic_grad = sigmoid_grad


def gelu(x, approximate="none", out=None):
    """``x * Phi(x)``, Phi the standard normal distribution (the erf form, via a Chebyshev series of
    erfcx: accurate in the far negative tail); ``approximate="tanh"``: PyTorch's ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715
    x^3)))``, computed as ``x * sigmoid(2u)`` (no cancellation for x < 0). ``gelu(-inf)`` is -0.0.
    """
    if _gelu_is_tanh("gelu", approximate):
        return _unary_op(RECT_OP_gelu_tanh, _uf_gelu_tanh, "gelu", x, out, (), "|x")
    return _unary_op(RECT_OP_gelu, _uf_gelu, "gelu", x, out, (), "|x")



def gelu_grad(x, grad=None, approximate="none", out=None):
    """``grad * gelu'(x)`` for the chosen form; 0 at -inf, 1 at +inf.
    """
    if _gelu_is_tanh("gelu_grad", approximate):
        return _grad_op(RECT_OP_gelu_tanh_grad, _uf_gelu_tanh_grad, "gelu_grad", x, grad, out, (), "x|x")
    return _grad_op(RECT_OP_gelu_grad, _uf_gelu_grad, "gelu_grad", x, grad, out, (), "x|x")


# ---------------------------------------------------------------------------------------------
# The randomized rectifiers: src/kernels/random.h draws the
# variates inside the kernels from Philox4x32-10, keyed by the seed, counted by the logical
# (C-order) index of each output element. The result therefore does not depend on the CPU path,
# the memory layout of x or out, or how the work is cut into kernel calls.
# ---------------------------------------------------------------------------------------------

# Elements per kernel call (the GIL is released once around all of them). Any value gives the
# same bits; tests/test_random.py changes it through _set_random_block to check that.
cdef Py_ssize_t RANDOM_BLOCK = 1 << 16


def _set_random_block(Py_ssize_t elements):
    """Set the elements per kernel call of rrelu and noisy_relu (testing); returns the old value."""
    global RANDOM_BLOCK
    if elements < 1:
        raise ValueError("_set_random_block: elements must be >= 1")
    old, RANDOM_BLOCK = RANDOM_BLOCK, elements
    return old


def _philox4x32_10_groups(Py_ssize_t n_groups, uint64_t first_group, uint32_t c2, uint32_t c3,
                          uint64_t key):
    """The raw generator on the active CPU path (for the known-answer tests): n_groups groups of
    32 uint32 words, word t of group g being word t // 8 of Philox4x32-10 at counter
    (c, c >> 32, c2, c3), c = 8 g + t % 8, with key (key & 0xffffffff, key >> 32)."""
    words = np.empty(32 * n_groups, np.uint32)
    rect_philox_kernel()(n_groups, first_group, c2, c3, key, <uint32_t *>cnp.PyArray_DATA(words))
    return words


_KEY_LIMIT = 2 ** 64


cdef object _random_key(str fname, object seed):
    """The 64-bit Philox key for `seed`: the int itself, one drawn from a Generator (which
    advances it), one from a SeedSequence, or fresh operating-system entropy for None."""
    if seed is None:
        return int.from_bytes(os.urandom(8), "little")
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, _KEY_LIMIT, dtype=np.uint64))
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.generate_state(1, np.uint64)[0])
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{fname}: seed must be an int in [0, 2**64), a numpy.random.Generator, "
                        f"a numpy.random.SeedSequence or None, got {seed!r}")
    key = int(seed)
    if not 0 <= key < _KEY_LIMIT:
        raise ValueError(f"{fname}: seed must be in [0, 2**64), got {seed!r}")
    return key


cdef _check_seed_type(str fname, object seed):
    """The seed checks of _random_key, without drawing from anything (eval mode)."""
    if seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        return
    _random_key(fname, seed)


cdef bint _flag(str fname, str pname, object value) except -1:
    return _rules.flag(fname, pname, value)


cdef object _random_input(str fname, object x):
    """x as a C-ordered, aligned ndarray of its result dtype (a copy only where needed: an
    unaligned C-contiguous x reached the kernels' float loads as it was, found by UBSan)."""
    x, dt = _float_input(fname, x)
    return np.require(x, dtype=dt, requirements=["C", "A"])


cdef inline bint _writes_directly(object out, object xc, object sigma):
    """`out` can take the kernel's output as it is: C-contiguous, aligned, and either x itself or
    sharing no memory with x or sigma."""
    if not (out.flags.c_contiguous and out.flags.aligned and out.dtype.isnative):
        return False
    if sigma is not None and np.may_share_memory(out, sigma):
        return False
    if not np.may_share_memory(out, xc):
        return True
    return cnp.PyArray_DATA(<cnp.ndarray>out) == cnp.PyArray_DATA(<cnp.ndarray>xc)


cdef void _random_blocks(rect_random_fn fn, Py_ssize_t n, Py_ssize_t block, const char *x,
                         const char *sigma, char *y, char *noise, size_t esize, size_t csize,
                         const rect_params *p, uint64_t key) noexcept nogil:
    cdef Py_ssize_t start = 0, count
    while start < n:
        count = min(block, n - start)
        fn(count, x + start * esize, sigma + start * csize if sigma != NULL else NULL,
           y + start * esize, noise + start * esize if noise != NULL else NULL, p, key, start)
        start += count


cdef object _run_random(int op, str fname, object xc, object sigma, object out, double a, double b,
                        object key, bint return_noise):
    """The kernel over xc (C-ordered, its result dtype, the result's shape); sigma None or a
    C-ordered compute-type array of that shape. Returns y, or (y, noise)."""
    dt = xc.dtype
    shape = xc.shape
    if out is not None:
        _check_out(fname, out, dt, shape)
    y = out if out is not None and _writes_directly(out, xc, sigma) else np.empty(shape, dt)
    noise = np.empty(shape, dt) if return_noise else None
    cdef int di = RECT_F16 if dt == _F16 else (RECT_F32 if dt == _F32 else RECT_F64)
    cdef rect_random_fn fn = rect_random_kernel(op, di)
    cdef rect_params p = _params(a, b)
    cdef uint64_t k = key
    cdef Py_ssize_t n = cnp.PyArray_SIZE(<cnp.ndarray>xc), block = RANDOM_BLOCK
    cdef size_t esize = dt.itemsize, csize = 8 if di == RECT_F64 else 4
    cdef const char *xp = <const char *>cnp.PyArray_DATA(<cnp.ndarray>xc)
    cdef const char *sp = NULL
    if sigma is not None:   # (as a conditional expression, Cython's C temporary drops the const)
        sp = <const char *>cnp.PyArray_DATA(<cnp.ndarray>sigma)
    cdef char *yp = <char *>cnp.PyArray_DATA(<cnp.ndarray>y)
    cdef char *np_ = NULL if noise is None else <char *>cnp.PyArray_DATA(<cnp.ndarray>noise)
    if n >= NOGIL_MIN_ELEMENTS:
        with nogil:
            rect_par_random(fn, n, block, esize, csize, xp, sp, yp, np_, &p, k)
    else:
        _random_blocks(fn, n, block, xp, sp, yp, np_, esize, csize, &p, k)
    if out is not None and y is not out:
        np.copyto(out, y)
        y = out
    return (y, noise) if return_noise else y


def _random_block(str fname, object xb, object sigma, double a, double b, object key,
                  bint return_noise, tuple shape, tuple origin):
    """rrelu or noisy_relu (by fname) on one block of a larger array (dask): the
    block xb starts at index `origin` of an array of shape `shape`, and each of its C-ordered runs
    of consecutive elements is drawn with the counters of its global C-order index, so the blocks
    together give the bits of the call on the whole array. a, b: the kernel's parameters (rrelu's
    bounds; noisy_relu's scalar sigma and mode); sigma: noisy_relu's per-element sigma (compute type, xb's shape) or None. Returns y or (y, noise)."""
    cdef int op = RECT_OP_rrelu if fname == "rrelu" else RECT_OP_noisy_relu
    xc = _random_input(fname, xb)
    dt = xc.dtype
    y = np.empty(xc.shape, dt)
    noise = np.empty(xc.shape, dt) if return_noise else None
    if sigma is not None:
        sigma = np.require(np.broadcast_to(sigma, xc.shape), _F64 if dt == _F64 else _F32, ["C", "A"])
    cdef Py_ssize_t nd = xc.ndim, k, run, runs, i, first
    cdef Py_ssize_t n = cnp.PyArray_SIZE(<cnp.ndarray>xc)
    if n == 0:
        return (y, noise) if return_noise else y
    # the trailing axes the block spans whole merge into one run with the first one it does not
    k = nd - 1 if nd > 0 else 0
    while k > 0 and xc.shape[k] == shape[k]:
        k -= 1
    run = 1
    for i in range(k, nd):
        run *= xc.shape[i]
    runs = n // run
    cdef int di = RECT_F16 if dt == _F16 else (RECT_F32 if dt == _F32 else RECT_F64)
    cdef rect_random_fn fn = rect_random_kernel(op, di)
    cdef rect_params p = _params(a, b)
    cdef uint64_t kk = key
    cdef size_t esize = dt.itemsize, csize = 8 if di == RECT_F64 else 4
    cdef const char *xp = <const char *>cnp.PyArray_DATA(<cnp.ndarray>xc)
    cdef const char *sp = NULL
    if sigma is not None:
        sp = <const char *>cnp.PyArray_DATA(<cnp.ndarray>sigma)
    cdef char *yp = <char *>cnp.PyArray_DATA(<cnp.ndarray>y)
    cdef char *np_ = NULL if noise is None else <char *>cnp.PyArray_DATA(<cnp.ndarray>noise)
    # the global index of each run's first element: the block's index of the run, over the axes
    # before k (an odometer), offset by origin, in the whole array's C order
    cdef Py_ssize_t[64] idx
    cdef Py_ssize_t[64] bshape
    cdef Py_ssize_t[64] gstride
    cdef Py_ssize_t[64] org
    if nd > 64:
        raise ValueError(f"{fname}: at most 64 dimensions")
    cdef Py_ssize_t stride = 1
    for i in range(nd - 1, -1, -1):
        gstride[i] = stride
        stride *= shape[i]
        bshape[i] = xc.shape[i]
        org[i] = origin[i]
        idx[i] = 0
    cdef Py_ssize_t r, off
    with nogil:
        for r in range(runs):
            first = 0
            for i in range(nd):
                first += (org[i] + idx[i]) * gstride[i]
            off = r * run
            fn(run, xp + off * esize, sp + off * csize if sp != NULL else NULL, yp + off * esize,
               np_ + off * esize if np_ != NULL else NULL, &p, kk, <uint64_t>first)
            i = k - 1
            while i >= 0:
                idx[i] += 1
                if idx[i] < bshape[i]:
                    break
                idx[i] = 0
                i -= 1
    return (y, noise) if return_noise else y


def _positive_counts_of(str fname, object x, object axis):
    """(the counts of entries > 0 over axis, uint64, the entries per count), for dask's blocks."""
    return _positive_counts(fname, x, axis)


def _prelu_grad_parts(object x, object w, object grad):
    """prelu_grad's two ufunc outputs on numpy blocks (dask): grad_x, and the per-element terms
    of the weight gradient in the compute type."""
    return _via_ufunc(_uf_prelu_grad, "prelu_grad", x, (w, _grad_or_ones(grad)), "px|xp", None)


cdef double _compute_type_max(object dt):
    return 1.7976931348623157e308 if dt == _F64 else 3.4028234663852886e38


def rrelu(x, lower=1.0 / 8, upper=1.0 / 3, training=False, seed=None, return_noise=False, out=None):
    """Randomized leaky ReLU (PyTorch's semantics). Training: ``x if x > 0 else a * x`` with a slope
    ``a ~ U(lower, upper)`` drawn independently for every element; eval (the default, as
    ``torch.nn.functional.rrelu``): `leaky_relu` with the slope ``(lower + upper) / 2``.
    ``return_noise=True`` returns ``(y, noise)``, noise the multiplier of each element (1 where
    ``x > 0`` or x is NaN, the slope elsewhere), the input of `rrelu_grad`. A zero slope gives
    +0.0 (as `leaky_relu`).

    ``seed``: an int in [0, 2**64) (the Philox4x32-10 key: the same seed, shape and parameters
    give the same bits on every CPU path, memory layout and thread), a ``numpy.random.Generator``
    (a key is drawn from it, so successive calls differ), a ``numpy.random.SeedSequence``, or
    None (fresh entropy from the operating system); eval mode checks the seed's type and draws
    nothing. Element i of the output (in C order) gets
    the variates of counter i whatever the layout. ``0 <= lower <= upper``, finite; the slopes are
    drawn in the compute type (float32 for float16 and float32 data, 24-bit uniforms; float64
    with 53 bits) and lie in [lower, upper]. Not a ufunc: a dask array gives a lazy dask array
    whose blocks draw with their elements' global indices (the NumPy call's bits for any chunking);
    other containers are converted to ndarrays.
    """
    lo = _scalar("rrelu", "lower", lower, finite=True)
    hi = _scalar("rrelu", "upper", upper, finite=True)
    if lo < 0:
        raise ValueError(f"rrelu: lower must be >= 0, got lower={lower!r}")
    if lo > hi:
        raise ValueError(f"rrelu: lower must be <= upper, got lower={lower!r}, upper={upper!r}")
    cdef bint train = _flag("rrelu", "training", training)
    cdef bint with_noise = _flag("rrelu", "return_noise", return_noise)
    _, dt = _float_input("rrelu", x)
    if dt != _F64:
        for name, value, given in (("lower", lo, lower), ("upper", hi, upper)):
            if _beyond_float32(value):
                raise ValueError(f"rrelu: {name} must be within float32's range for {dt} data "
                                 f"(its compute type), got {given!r}")
    if not train:
        _check_seed_type("rrelu", seed)
        slope = lo / 2 + hi / 2   # (lo + hi) / 2 could overflow
        y = _sloped("rrelu", x, slope, out, "lower")
        if not with_noise:
            return y
        ct = _F64 if dt == _F64 else _F32     # the slope as the kernel rounds it, then stored
        xs = x if _lazy.is_dask(x) else np.asarray(x)
        return y, np.where(np.less_equal(xs, 0), ct.type(slope), ct.type(1)).astype(dt)
    key = _random_key("rrelu", seed)
    if _lazy.is_dask(x):
        return _lazy.random("rrelu", x, lo, hi, key, with_noise, out)
    xc = _random_input("rrelu", x)
    return _run_random(RECT_OP_rrelu, "rrelu", xc, None, out, lo, hi, key, with_noise)


def noisy_relu(x, sigma=1.0, seed=None, return_noise=False, out=None):
    """Noisy ReLU ``max(0, x + Y)``, ``Y ~ N(0, s^2)`` drawn independently for every element, with
    ``s = sigma`` (a finite scalar >= 0, or such an array broadcast against x: the result has the
    broadcast shape), or ``sigma="sigmoid"``: the variance ``logistic(x)`` of Nair and Hinton
    (2010), ``s = sqrt(sigmoid(x))``. ``return_noise=True`` returns ``(y, noise)``, noise the
    Y added (stored in x's dtype; y is ``relu(x + noise)`` computed in the compute type), the
    input of `noisy_relu_grad`. NaN in x stays NaN. ``seed`` as for `rrelu`. The normal variates
    come from Box-Muller in the compute type (float32 for float16 and float32 data): ``|Y|`` is at
    most 5.77 s in float32 and 9.42 s in float64 (the normal law puts 8e-9 and 4e-21 beyond).
    Not a ufunc: a dask array gives a lazy dask array with the NumPy call's bits for any chunking;
    other containers are converted to ndarrays.
    """
    cdef double scalar_sigma = 0.0, mode = 0.0
    sigma_array = None
    if isinstance(sigma, str):
        if sigma != "sigmoid":
            raise ValueError(f"noisy_relu: sigma must be a number, an array or 'sigmoid', got {sigma!r}")
        mode = 1.0
    else:
        s = _param("noisy_relu", "sigma", sigma, finite=True)
        if type(s) is float:
            if s < 0:
                raise ValueError(f"noisy_relu: sigma must be >= 0, got {sigma!r}")
            scalar_sigma = s
        else:
            if np.any(np.less(s, 0)):
                raise ValueError(f"noisy_relu: sigma must be >= 0, got {sigma!r}")
            sigma_array = np.asarray(s)
    cdef bint with_noise = _flag("noisy_relu", "return_noise", return_noise)
    key = _random_key("noisy_relu", seed)
    lazy = _lazy.is_dask(x)
    xc = x if lazy else _random_input("noisy_relu", x)
    dt = _lazy.result_dtype("noisy_relu", x) if lazy else xc.dtype
    limit = _compute_type_max(dt)
    if scalar_sigma > limit or (sigma_array is not None and np.any(np.greater(sigma_array, limit))):
        raise ValueError(f"noisy_relu: sigma={sigma!r} is out of the range of the compute type "
                         f"{'float64' if dt == _F64 else 'float32'}")
    if sigma_array is not None:
        try:
            shape = np.broadcast_shapes(xc.shape, sigma_array.shape)
        except ValueError:
            raise ValueError(f"noisy_relu: sigma of shape {sigma_array.shape} does not broadcast "
                             f"against x of shape {xc.shape}") from None
        if lazy:
            return _lazy.random("noisy_relu", x, scalar_sigma, mode, key, with_noise, out, sigma_array)
        xc = np.require(np.broadcast_to(xc, shape), requirements=["C", "A"])
        sigma_array = np.asarray(np.broadcast_to(sigma_array.astype(_F64 if dt == _F64 else _F32), shape),
                                 order="C")
    if lazy:
        return _lazy.random("noisy_relu", x, scalar_sigma, mode, key, with_noise, out)
    return _run_random(RECT_OP_noisy_relu, "noisy_relu", xc, sigma_array, out, scalar_sigma, mode,
                       key, with_noise)


_uf_rrelu_grad = _make_ufunc("rrelu_grad", RECT_KIND_GRAD, RECT_OP_rrelu_grad, 0, "xx|x",
                             "rrelu_grad(noise, grad) = grad * noise, noise as rrelu returned it.")


def rrelu_grad(noise, grad=None, out=None):
    """``grad * noise``, with ``noise`` the multipliers ``rrelu(..., return_noise=True)`` returned
    (``noise`` itself when grad is None); +0 where the noise is 0, NaN where it is NaN.
    """
    return _grad_op(RECT_OP_rrelu_grad, _uf_rrelu_grad, "rrelu_grad", noise, grad, out, (), "x|x")


cdef object _real_array(str fname, str pname, object value, bint dtype_repr=True):
    """value as an ndarray of real numbers, or a TypeError/ValueError naming it (and its dtype,
    as dtype('...') or, with dtype_repr False, by its name alone)."""
    try:
        a = np.asarray(value)
    except ValueError as error:   # a ragged nested sequence
        raise ValueError(f"{fname}: {pname} is not a regular array: {error}") from error
    if a.dtype.kind not in "biuf":
        shown = repr(a.dtype) if dtype_repr else str(a.dtype)
        raise TypeError(f"{fname}: {pname} has unsupported dtype {shown}; expected real numbers")
    return a


def noisy_relu_grad(x, noise, grad=None, out=None):
    """``grad`` where ``x + noise > 0`` (the sum in the compute type, as `noisy_relu` forms it), +0
    elsewhere, NaN where ``x + noise`` is NaN; ``noise`` as ``noisy_relu(..., return_noise=True)``
    returned it. x, noise and grad broadcast together. (A few NumPy operations: no kernel.)
    """
    if _lazy.is_dask(x) or _lazy.is_dask(noise) or _lazy.is_dask(grad):
        if not _lazy.is_dask(x):
            import dask.array as da
            x = da.from_array(np.asarray(x), chunks=-1)
        return _lazy.noisy_relu_grad(x, noise, grad, out)
    x, dt = _float_input("noisy_relu_grad", x)
    xa = np.asarray(x)
    ct = _F32 if dt == _F16 else dt
    noise_a = _real_array("noisy_relu_grad", "noise", noise)
    total = np.add(xa, noise_a, dtype=ct)
    passed = np.ones((), ct) if grad is None else _real_array("noisy_relu_grad", "grad", grad).astype(ct)
    try:
        shape = np.broadcast_shapes(total.shape, passed.shape)
    except ValueError:
        raise ValueError(f"noisy_relu_grad: grad of shape {passed.shape} does not broadcast against "
                         f"x + noise of shape {total.shape}") from None
    if out is not None:
        _check_out("noisy_relu_grad", out, dt, shape)
    result = np.where(np.isnan(total), total, np.where(total > 0, passed, ct.type(0))).astype(dt)
    result = np.broadcast_to(result, shape)
    if out is None:
        return np.array(result, copy=True)
    np.copyto(out, result)
    return out


# ---------------------------------------------------------------------------------------------
# The cimportable nogil API declared in _core.pxd
# ---------------------------------------------------------------------------------------------

cdef inline int _nogil_unary(int op, int dt, Py_ssize_t n, Py_ssize_t n_out, const void *x,
                             void *y, double a, double b) noexcept nogil:
    cdef rect_params p
    if n != n_out:
        return -1
    p.a, p.b, p.c, p.d = a, b, 0.0, 0.0
    rect_unary_kernel(op, dt)(n, x, y, &p)
    return 0


cdef inline int _nogil_grad(int op, int dt, Py_ssize_t n, Py_ssize_t n_grad, Py_ssize_t n_out,
                            const void *x, const void *g, void *y, double a, double b) noexcept nogil:
    cdef rect_params p
    if n != n_grad or n != n_out:
        return -1
    p.a, p.b, p.c, p.d = a, b, 0.0, 0.0
    rect_grad_kernel(op, dt)(n, x, g, y, &p)
    return 0



cdef int prelu_f32(const float[::1] x, const float[::1] weight, float[::1] out) noexcept nogil:
    if x.shape[0] != weight.shape[0] or x.shape[0] != out.shape[0]:
        return -1
    rect_prelu_kernel(RECT_F32)(x.shape[0], &x[0], &weight[0], &out[0])
    return 0
cdef int prelu_f64(const double[::1] x, const double[::1] weight, double[::1] out) noexcept nogil:
    if x.shape[0] != weight.shape[0] or x.shape[0] != out.shape[0]:
        return -1
    rect_prelu_kernel(RECT_F64)(x.shape[0], &x[0], &weight[0], &out[0])
    return 0


cdef int prelu_grad_f32(const float[::1] x, const float[::1] weight, const float[::1] grad, float[::1] grad_x, float[::1] grad_weight) noexcept nogil:
    cdef Py_ssize_t n = x.shape[0]
    if weight.shape[0] != n or grad.shape[0] != n or grad_x.shape[0] != n or grad_weight.shape[0] != n:
        return -1
    rect_prelu_grad_kernel(RECT_F32)(n, &x[0], &weight[0], &grad[0], &grad_x[0], &grad_weight[0])
    return 0
cdef int prelu_grad_f64(const double[::1] x, const double[::1] weight, const double[::1] grad, double[::1] grad_x, double[::1] grad_weight) noexcept nogil:
    cdef Py_ssize_t n = x.shape[0]
    if weight.shape[0] != n or grad.shape[0] != n or grad_x.shape[0] != n or grad_weight.shape[0] != n:
        return -1
    rect_prelu_grad_kernel(RECT_F64)(n, &x[0], &weight[0], &grad[0], &grad_x[0], &grad_weight[0])
    return 0


# ---------------------------------------------------------------------------------------------
# Reductions: the kernel call; argument handling is in _reduce.py
# ---------------------------------------------------------------------------------------------

REDUCE_OPS = {"logsumexp": RECT_RED_logsumexp, "softmax": RECT_RED_softmax,
              "log_softmax": RECT_RED_log_softmax, "logsumexp_grad": RECT_RED_logsumexp_grad,
              "softmax_grad": RECT_RED_softmax_grad, "log_softmax_grad": RECT_RED_log_softmax_grad}


def _reduce(int op, cnp.ndarray x, object grad, cnp.ndarray y, Py_ssize_t outer, Py_ssize_t n,
            Py_ssize_t inner, bint include_zero):
    """Runs reduction `op` on C-contiguous, aligned, native x of shape (outer, n, inner) into y
    (and grad), all of x's dtype; the caller (_reduce.py) has checked all of that."""
    cdef int dt = _fast_dtype(x)
    if dt < 0 or not cnp.PyArray_IS_C_CONTIGUOUS(x) or not cnp.PyArray_IS_C_CONTIGUOUS(y):
        raise AssertionError("_reduce: x and y must be C-contiguous float arrays")
    if cnp.PyArray_TYPE(y) != cnp.PyArray_TYPE(x):
        raise AssertionError("_reduce: y must have x's dtype")
    cdef const void *g = NULL
    if grad is not None:
        if _fast_dtype(grad) != dt or not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>grad):
            raise AssertionError("_reduce: grad must be C-contiguous with x's dtype")
        g = cnp.PyArray_DATA(<cnp.ndarray>grad)
    cdef rect_params p = _params(1.0 if include_zero else 0.0)
    cdef rect_reduce_fn fn = rect_reduce_kernel(dt)
    cdef const void *xd = cnp.PyArray_DATA(x)
    cdef void *yd = cnp.PyArray_DATA(y)
    if outer * n * inner >= NOGIL_MIN_ELEMENTS:
        with nogil:
            rect_par_reduce(fn, op, outer, n, inner, _ESIZE[dt], xd, g, yd, &p)
    else:
        fn(op, outer, n, inner, xd, g, yd, &p)


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
    if b.dtype.kind not in "biuf":
        raise TypeError(f"{fname}: bias has unsupported dtype {b.dtype}; expected real numbers")
    if b.ndim > 1:
        raise ValueError(f"{fname}: bias must be a scalar or 1-D, got shape {b.shape}")
    if b.ndim == 1 and b.shape[0] != channels:
        if ndim == 0:
            raise ValueError(f"{fname}: bias must be a single value for a 0-d y, got {b.shape[0]} values")
        raise ValueError(f"{fname}: bias has {b.shape[0]} values; y has {channels} features "
                         f"along axis {axis}")
    stored = b.astype(dt).reshape(-1)        # rounded to y's dtype first, as NumPy's y + b would
    compute = stored if dt != _F16 else stored.astype(_F32)
    return stored, compute, b.ndim == 1


cdef _check_plan_fits(str fname, _Plan plan, int dt):
    """A parameter beyond float32's range for float16/float32 data is refused, by the activation's
    own check (on one element of that dtype), before anything is written."""
    if plan is None or _params_fit(dt, &plan.p):
        return
    try:
        plan.function(np.zeros(1, (_F16, _F32, _F64)[dt]), **plan.params)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{fname}: activation {plan.function.__name__!r}: {error}") from None
    raise ValueError(f"{fname}: the parameters of {plan.function.__name__!r} must be within "
                     f"float32's range for {(_F16, _F32, _F64)[dt]} data, got {plan.params!r}")


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
    kdt = RECT_F16 if dt == _F16 else (RECT_F32 if dt == _F32 else RECT_F64)
    _run_epilogue(fname, work, work, kdt, compute, per_axis, ax, action)
    if out is None:
        return work[()] if ndim == 0 else work
    np.copyto(out, work)
    return out


def bias_act(y, bias, activation="relu", axis=-1, out=None, **params):
    """``activation(y + bias, **params)`` in one pass over memory, the fused epilogue of a dense
    layer (``max(0, w.x + b)``): ``bias`` is a scalar or holds one value per feature along
    ``axis``; each cache-sized block gets its bias, then the activation kernel while it is still
    in L1. ``activation`` is the name of any deterministic elementwise function of the package
    (``"relu"``, ``"leaky_relu"``, ``"elu"``, ``"gelu"``...; see `activations`) with its keyword
    parameters, or None for the bias alone. The result has y's dtype (integers: float64); the
    bias is first rounded to that dtype, and float16 sums are rounded as NumPy rounds them, so the
    result equals ``activation(y + bias.astype(y.dtype), **params)`` bit for bit. ``out=y`` works
    in place. Array-valued parameters and per-channel prelu weights are applied by that
    composition (two passes); dask/xarray inputs are composed too, keeping their type.
    """
    return _bias_act("bias_act", y, bias, _resolve_activation("bias_act", activation, params),
                     params, axis, out)


def activations():
    """The activation names that `bias_act` and `linear` accept, as a tuple of str.

    Every deterministic elementwise function of the package (found at first use, so new functions
    join by themselves).
    """
    return tuple(sorted(_activations()))


def linear(x, weight, bias=None, activation=None, **params):
    """A dense layer, ``activation(x @ weight.T + bias, **params)``: NumPy's matmul (BLAS) computes
    the product, then the fused epilogue (`bias_act`) adds the bias and applies the activation in
    place on it, without another array. ``x``: (..., in_features); ``weight``: (out_features,
    in_features); ``bias``: None, a scalar or (out_features,). The result dtype is NumPy's
    promotion of x and weight (integers and bool: float64).
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
    if dt.kind != "f":
        dt = _F64
    if bias is not None:
        nb = np.ndim(bias)
        if nb > 1 or (nb == 1 and np.shape(bias)[0] != wa.shape[0]):
            raise ValueError(f"linear: bias must be a scalar or have {wa.shape[0]} values "
                             f"(out_features), got shape {np.shape(bias)}")
    z = np.matmul(xa.astype(dt, copy=False), wa.astype(dt, copy=False).T)
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
    """The share of entries ``> 0`` (of ReLU units that fire), over all of x (a float) or along
    ``axis`` (an int or a tuple of ints: a float64 array of the other axes' shape). NaN is not
    ``> 0``, so it counts as inactive; an empty slice gives NaN (0 / 0, without a warning). One
    SIMD pass over x, no temporary of x's size (a non-contiguous x, or a tuple of non-adjacent
    axes, is copied first). Around 0.5 at a ReLU network's initialisation; far below, units die.
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
    """A boolean mask of the units that never fire: True where every entry along ``axis`` (the
    samples of a batch) is ``<= 0`` or NaN (NaN is not ``> 0``), the dying-ReLU diagnostic. x of
    shape (batch, units) gives a mask of shape (units,). ``axis`` may be an int, a tuple or None
    (one bool for the whole array). An empty axis gives True (no sample fired). One SIMD pass.
    """
    if _lazy.is_dask(x):
        return _lazy.dead_units(x, axis)
    counts, _ = _positive_counts("dead_units", x, axis)
    mask = counts == 0
    return mask[()] if axis is None else mask
include "_gated.pxi"
