# The randomized rectifiers: seeds, keys and the blocked kernel calls.
# Part of rectifier._core: included by _core.pyx, which holds the C declarations.

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
    cdef int di = _kernel_dtype(dt)
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
    cdef int di = _kernel_dtype(dt)
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
    """Randomized leaky ReLU (PyTorch's semantics).

    Training: ``x if x > 0 else a * x`` with a slope ``a ~ U(lower, upper)`` drawn independently
    for every element; eval (the default, as ``torch.nn.functional.rrelu``): `leaky_relu` with
    the slope ``(lower + upper) / 2``. A zero slope gives +0.0 (as `leaky_relu`).

    Element i of the output (in C order) gets the variates of counter i whatever the layout. The
    slopes are drawn in the compute type (float32 for float16 and float32 data, 24-bit uniforms;
    float64 with 53 bits) and lie in [lower, upper]. Not a ufunc: a dask array gives a lazy dask
    array whose blocks draw with their elements' global indices (the NumPy call's bits for any
    chunking); other containers are converted to ndarrays.

    Parameters
    ----------
    x : array_like
        The input. float16, float32 and float64 keep their dtype; integers and bool give float64.
    lower, upper : float, optional
        The range of the slopes, ``0 <= lower <= upper``, finite (1/8 and 1/3 by default); for
        float16 and float32 data, within float32's range.
    training : bool, optional
        Draw a random slope per element (True) or use the mean slope (False, the default).
    seed : int, numpy.random.Generator, numpy.random.SeedSequence or None, optional
        An int in [0, 2**64) (the Philox4x32-10 key: the same seed, shape and parameters give
        the same bits on every CPU path, memory layout and thread), a ``numpy.random.Generator``
        (a key is drawn from it, so successive calls differ), a ``numpy.random.SeedSequence``,
        or None (fresh entropy from the operating system); eval mode checks the seed's type and
        draws nothing.
    return_noise : bool, optional
        Also return the noise (False by default).
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable.

    Returns
    -------
    y : ndarray
        The result, of ``x``'s shape and float dtype.
    noise : ndarray
        Only with ``return_noise=True``: the multiplier of each element (1 where ``x > 0`` or x
        is NaN, the slope elsewhere), the input of `rrelu_grad`.

    Raises
    ------
    ValueError
        If ``lower < 0``, ``lower > upper``, a bound is not finite, or a bound is beyond
        float32's range for float16 or float32 data.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.rrelu(np.array([-3.0, 2.0]))
    array([-0.6875,  2.    ])
    >>> y, noise = rectifier.rrelu(np.array([-3.0, 2.0]), training=True, seed=0, return_noise=True)
    >>> bool(1 / 8 <= noise[0] <= 1 / 3), float(noise[1])
    (True, 1.0)
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
    """Noisy ReLU ``max(0, x + Y)``, ``Y ~ N(0, s^2)`` drawn independently for every element.

    ``sigma="sigmoid"`` gives the variance ``logistic(x)`` of Nair and Hinton (2010),
    ``s = sqrt(sigmoid(x))``. NaN in x stays NaN. The normal variates come from Box-Muller in the
    compute type (float32 for float16 and float32 data): ``|Y|`` is at most 5.77 s in float32
    and 9.42 s in float64 (the normal law puts 8e-9 and 4e-21 beyond). Not a ufunc: a dask array
    gives a lazy dask array with the NumPy call's bits for any chunking; other containers are
    converted to ndarrays.

    Parameters
    ----------
    x : array_like
        The input. float16, float32 and float64 keep their dtype; integers and bool give float64.
    sigma : float, array_like or 'sigmoid', optional
        ``s``: a finite scalar >= 0 (1.0 by default), or such an array broadcast against x (the
        result has the broadcast shape), or ``"sigmoid"``.
    seed : int, numpy.random.Generator, numpy.random.SeedSequence or None, optional
        As for `rrelu`.
    return_noise : bool, optional
        Also return the noise (False by default).
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable.

    Returns
    -------
    y : ndarray
        ``relu(x + noise)`` computed in the compute type.
    noise : ndarray
        Only with ``return_noise=True``: the Y added (stored in x's dtype), the input of
        `noisy_relu_grad`.

    Raises
    ------
    ValueError
        If `sigma` is negative, not finite, out of the compute type's range, a string other
        than 'sigmoid', or an array that does not broadcast against x.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.noisy_relu(np.array([-1.0, 2.0]), sigma=0.0, seed=0)
    array([0., 2.])
    >>> y, noise = rectifier.noisy_relu(np.zeros(3), seed=7, return_noise=True)
    >>> bool(np.array_equal(y, np.maximum(noise, 0)))
    True
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
    """``grad * noise``, with ``noise`` the multipliers ``rrelu(..., return_noise=True)`` returned.

    ``noise`` itself when grad is None; +0 where the noise is 0, NaN where it is NaN.

    Parameters
    ----------
    noise : array_like
        The multipliers returned by `rrelu` with ``return_noise=True``.
    grad : array_like, optional
        The incoming gradient, broadcast against ``noise``; None (the default) gives ``noise``.
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and shape, writable.

    Returns
    -------
    ndarray
        The gradient with respect to ``x``, of the broadcast shape and float dtype.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.rrelu_grad(np.array([0.25, 1.0]), np.array([2.0, 3.0]))
    array([0.5, 3. ])
    """
    return _grad_op(RECT_OP_rrelu_grad, _uf_rrelu_grad, "rrelu_grad", noise, grad, out, (), "x|x")


cdef object _real_array(str fname, str pname, object value, bint dtype_repr=True):
    """value as an ndarray of real numbers, or a TypeError/ValueError naming it (and its dtype,
    as dtype('...') or, with dtype_repr False, by its name alone)."""
    try:
        a = np.asarray(value)
    except ValueError as error:   # a ragged nested sequence
        raise ValueError(f"{fname}: {pname} is not a regular array: {error}") from error
    if not _rules.is_real(a.dtype):
        shown = repr(a.dtype) if dtype_repr else str(a.dtype)
        raise TypeError(f"{fname}: {pname} has unsupported dtype {shown}; expected real numbers")
    return a


def noisy_relu_grad(x, noise, grad=None, out=None):
    """The gradient of `noisy_relu`: ``grad`` where ``x + noise > 0``, +0 elsewhere.

    The sum is formed in the compute type, as `noisy_relu` forms it; NaN where ``x + noise`` is
    NaN. x, noise and grad broadcast together. (A few NumPy operations: no kernel.)

    Parameters
    ----------
    x : array_like
        The input of `noisy_relu`.
    noise : array_like
        The noise ``noisy_relu(..., return_noise=True)`` returned.
    grad : array_like, optional
        The incoming gradient; None (the default) means ones.
    out : ndarray, optional
        Where to write the result: exactly the result's dtype and the broadcast shape, writable.

    Returns
    -------
    ndarray
        The gradient with respect to ``x``, of the broadcast shape and x's float dtype.

    Raises
    ------
    ValueError
        If grad does not broadcast against ``x + noise``.

    Examples
    --------
    >>> import numpy as np, rectifier
    >>> rectifier.noisy_relu_grad(np.array([-1.0, 1.0]), np.array([0.5, -0.5]), np.array([3.0, 3.0]))
    array([0., 3.])
    """
    if _lazy.is_dask(x) or _lazy.is_dask(noise) or _lazy.is_dask(grad):
        if not _lazy.is_dask(x):
            import dask.array as da
            x = da.from_array(np.asarray(x), chunks=-1)
        return _lazy.noisy_relu_grad(x, noise, grad, out)
    x, dt = _float_input("noisy_relu_grad", x)
    xa = np.asarray(x)
    ct = _rules.compute_dtype(dt)
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
