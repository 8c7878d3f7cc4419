"""dask arrays through the functions that are not plain ufuncs: each returns a lazy dask array built
with dask's own map_blocks and reduction, running the NumPy functions of this package on the
blocks. (The elementwise functions are ufuncs: dask handles them through __array_ufunc__.)

- softmax, log_softmax and the gradients: each slice along the reduced axes must be in one block,
  so those axes are rechunked to one chunk (nothing moves when they already are), and then every
  block gives exactly the bits of the NumPy call on it.
- logsumexp: one chunk along the reduced axes gives the NumPy bits; otherwise a tree of partial
  log-sum-exps (each block's max and sum, folded as m + log(sum)) combined by logsumexp itself.
- active_fraction, dead_units: dask.array.reduction over exact integer counts per block.
- prelu_grad: one map_blocks with both outputs stacked, then the weight gradient summed by dask.
- rrelu and noisy_relu: each block draws its variates with the counters of its elements' global
  C-order indices, so the dask result equals the NumPy result bit for bit for any chunking.

dask is imported only here, and only when a dask array arrives: it is never a dependency.
"""
import math

import numpy as np

from . import _rules


def is_dask(x):
    """x is a dask array (checked without importing dask)."""
    return type(x).__module__.startswith("dask.") and hasattr(x, "map_blocks") and hasattr(x, "chunks")


def _da():
    import dask.array as da
    return da


def result_dtype(fname, x, pname="x"):
    """The dtype the functions return for x's dtype (the errors of the NumPy path)."""
    from ._reduce import _float_array
    return _float_array(fname, np.empty(0, x.dtype), pname)[1]


def no_out(fname, out):
    if out is not None:
        raise TypeError(f"{fname}: out= is not supported for a dask array x (the result is lazy; "
                        "store it with dask, e.g. dask.array.store)")


def aligned(a, like):
    """a (a dask or NumPy array, or a scalar) broadcast to like's shape, in like's chunks."""
    da = _da()
    a = a if is_dask(a) else da.from_array(np.asarray(a), chunks=-1)
    if a.shape == like.shape:
        return a.rechunk(like.chunks)
    offset = like.ndim - a.ndim
    chunks = tuple(like.chunks[offset + i] if a.shape[i] == like.shape[offset + i] else (a.shape[i],)
                   for i in range(a.ndim))
    return da.broadcast_to(a.rechunk(chunks), like.shape, chunks=like.chunks)


def _one_chunk(x, axes):
    return x.rechunk({a: -1 for a in axes}) if axes else x


# ---- the reductions ----------------------------------------------------------------------------

def shaped_like_x(fname, x, axis, out, numpy_fn, grad=None, grad_name="grad", **params):
    """softmax, log_softmax, softmax_grad, log_softmax_grad: each block whole along the axes."""
    from ._reduce import _axes
    no_out(fname, out)
    dt = result_dtype(fname, x)
    axes = _axes(fname, axis, x.ndim)
    x = _one_chunk(x, axes)
    if grad is None:
        return x.map_blocks(lambda b: numpy_fn(b, axis=axes, **params), dtype=dt)
    if tuple(np.shape(grad)) != x.shape:
        raise ValueError(f"{fname}: {grad_name} has shape {tuple(np.shape(grad))}; it must have the "
                         f"shape of the first argument, {x.shape}")
    result_dtype(fname, grad if hasattr(grad, "dtype") else np.asarray(grad), grad_name)
    g = aligned(grad, x)
    return _da().map_blocks(lambda b, gb: numpy_fn(b, gb, axis=axes, **params), x, g, dtype=dt)


def _reduced_map(fn, arrays, axes, keepdims, dtype):
    """fn(*blocks) -> the reduction of each block over `axes` (kept as length 1): a dask array of
    the reduced shape (keepdims: length 1 there)."""
    da = _da()
    x = arrays[0]
    chunks = tuple((1,) if i in axes else c for i, c in enumerate(x.chunks))
    kept = da.map_blocks(lambda *b: np.asarray(fn(*b)), *arrays, chunks=chunks, dtype=dtype)
    if keepdims:
        return kept
    return kept.reshape(tuple(s for i, s in enumerate(kept.shape) if i not in axes))


def logsumexp(fname, x, axis, b, keepdims, return_sign, include_zero):
    from . import _reduce
    from ._reduce import _axes, _bool
    dt = result_dtype(fname, x) if b is None else _reduce._weighted_dtype(fname, x.dtype, b)
    keepdims = _bool(fname, "keepdims", keepdims)
    return_sign = _bool(fname, "return_sign", return_sign)
    include_zero = _bool(fname, "include_zero", include_zero)
    axes = _axes(fname, axis, x.ndim)
    single = all(len(x.chunks[a]) == 1 for a in axes)
    if b is not None or single:
        # every slice in one block: the NumPy function's own bits (the weighted form needs b's
        # blocks beside x's)
        x = _one_chunk(x, axes)
        arrays = [x] if b is None else [x, aligned(b, x)]

        def block_lse(xb, bb=None):
            r = _reduce.logsumexp(xb, axis=axes, b=bb, keepdims=True, return_sign=return_sign,
                                  include_zero=include_zero)
            return r if return_sign else (r,)

        # (lse, sign)[k] of a block; b reaches the blocks as an array, so a weak Python number's
        # dtype rule is the astype's (the weighted form is float64 inside, rounded once either way)
        def part(k):
            return lambda xb, bb=None: np.asarray(block_lse(xb, bb)[k]).astype(dt)

        lse = _reduced_map(part(0), arrays, axes, keepdims, dt)
        if not return_sign:
            return lse
        return lse, _reduced_map(part(1), arrays, axes, keepdims, dt)
    # a tree: each block's logsumexp over its part of the axes (in the compute type, so that
    # float16 data keeps float32 partials), then logsumexp over the partials
    ct = _rules.compute_dtype(dt)

    def chunk(block, axis, keepdims):
        return np.asarray(_reduce.logsumexp(block.astype(ct, copy=False), axis=axis, keepdims=True))

    def combine(parts, axis, keepdims):
        return np.asarray(_reduce.logsumexp(parts, axis=axis, keepdims=True))

    def aggregate(parts, axis, keepdims):
        return np.asarray(_reduce.logsumexp(parts, axis=axis, keepdims=keepdims,
                                            include_zero=include_zero)).astype(dt)

    lse = _da().reduction(x, chunk, aggregate, combine=combine, axis=axes, keepdims=keepdims,
                          dtype=dt, concatenate=True)
    if not return_sign:
        return lse

    def sign(v):
        with np.errstate(invalid="ignore"):
            return np.where(np.isnan(v), np.nan, np.where(v == -np.inf, 0.0, 1.0)).astype(dt)
    return lse, lse.map_blocks(sign, dtype=dt)


def logsumexp_grad(fname, x, grad, axis, include_zero, out):
    from . import _reduce
    from ._reduce import _axes, _bool
    no_out(fname, out)
    dt = result_dtype(fname, x)
    include_zero = _bool(fname, "include_zero", include_zero)
    axes = _axes(fname, axis, x.ndim)
    kept_dims = tuple(1 if a in axes else s for a, s in enumerate(x.shape))
    reduced_shape = tuple(s for a, s in enumerate(x.shape) if a not in axes)
    g = grad if is_dask(grad) else np.asarray(grad)
    if g.shape == reduced_shape and g.ndim != len(kept_dims):
        g = g.reshape(kept_dims)
    try:
        fits = np.broadcast_shapes(g.shape, kept_dims) == kept_dims
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{fname}: grad has shape {g.shape}; it must broadcast to the logsumexp "
                         f"result's shape {reduced_shape} (or {kept_dims} with keepdims)")
    x = _one_chunk(x, axes)
    da = _da()
    g = g if is_dask(g) else da.from_array(g, chunks=-1)
    g = da.broadcast_to(g, kept_dims).rechunk(tuple((1,) if i in axes else c for i, c in enumerate(x.chunks)))
    return da.map_blocks(lambda xb, gb: _reduce.logsumexp_grad(xb, gb, axis=axes, include_zero=include_zero),
                         x, g, dtype=dt)


# ---- the counters ------------------------------------------------------------------------------

def counts(fname, x, axis):
    """(the counts of entries > 0 over axis, a lazy uint64 dask array, the entries per count)."""
    from . import _core
    # the NumPy path's errors for the dtype and the axis, on a small array of x's dtype and ndim
    _core._positive_counts_of(fname, np.zeros((1,) * x.ndim, x.dtype), axis)
    if axis is None:
        axes = tuple(range(x.ndim))
    else:
        items = axis if isinstance(axis, tuple) else (axis,)
        axes = tuple(sorted(int(a) % x.ndim for a in items))

    def chunk(block, axis, keepdims):
        c, _ = _core._positive_counts_of(fname, block, axis)
        return c.reshape(tuple(1 if i in axis else s for i, s in enumerate(block.shape)))

    def total(c, axis, keepdims):
        return c.sum(axis=axis, keepdims=keepdims, dtype=np.uint64)

    c = _da().reduction(x, chunk, total, combine=total, axis=axes, keepdims=False, dtype=np.uint64,
                        concatenate=True)
    return c, math.prod(x.shape[a] for a in axes)


def active_fraction(x, axis):
    c, length = counts("active_fraction", x, axis)
    if length == 0:
        return c.map_blocks(lambda b: np.full(b.shape, np.nan), dtype=np.float64)
    return c.map_blocks(lambda b: np.true_divide(b, length, dtype=np.float64), dtype=np.float64)


def dead_units(x, axis):
    c, _ = counts("dead_units", x, axis)
    return c == 0


# ---- prelu_grad --------------------------------------------------------------------------------

def prelu_grad(x, w, grad, axes, dt, weight_shape):
    """w: the weight as the NumPy path shaped it (a float, or broadcast along the channel axis);
    axes: the axes its gradient sums over (None: all)."""
    from . import _core
    pdt = _rules.compute_dtype(dt)
    da = _da()
    arrays = [x] if type(w) is float else [x, aligned(w, x)]
    if grad is not None:
        arrays.append(aligned(grad, x))

    def both(xb, *rest):
        wb = w if type(w) is float else rest[0]
        gb = rest[-1] if grad is not None else None
        gx, terms = _core._prelu_grad_parts(xb, wb, gb)
        return np.stack([gx.astype(pdt), terms.astype(pdt)])   # (float16 to float32 is exact)

    stacked = da.map_blocks(both, *arrays, new_axis=0, chunks=((2,),) + x.chunks, dtype=pdt)
    grad_x = stacked[0].astype(dt)
    grad_w = stacked[1].sum(axis=axes).astype(dt).reshape(weight_shape)
    return grad_x, grad_w


# ---- the random functions ----------------------------------------------------------------------

def random(fname, x, a, b, key, return_noise, out, sigma=None):
    """rrelu / noisy_relu: each block drawn with its elements' global counters (see
    rectifier._core._random_block). sigma: noisy_relu's per-element sigma array, or None."""
    from . import _core
    no_out(fname, out)
    dt = result_dtype(fname, x)
    da = _da()
    arrays = [x]
    if sigma is not None:
        shape = np.broadcast_shapes(x.shape, np.shape(sigma))
        if shape != x.shape:
            arrays[0] = x = da.broadcast_to(x, shape)
        arrays.append(aligned(sigma, x))

    def block(xb, sb=None, block_info=None):
        info = block_info[0]
        origin = tuple(start for start, _ in info["array-location"])
        r = _core._random_block(fname, xb, sb, a, b, key, return_noise, tuple(info["shape"]), origin)
        return np.stack(r) if return_noise else r

    if not return_noise:
        return da.map_blocks(block, *arrays, dtype=dt)
    stacked = da.map_blocks(block, *arrays, new_axis=0, chunks=((2,),) + x.chunks, dtype=dt)
    return stacked[0], stacked[1]


def noisy_relu_grad(x, noise, grad, out):
    from . import _core
    no_out("noisy_relu_grad", out)
    dt = result_dtype("noisy_relu_grad", x)
    da = _da()
    operands = [noise] if grad is None else [noise, grad]
    shape = np.broadcast_shapes(x.shape, *[np.shape(o) for o in operands])
    like = x if shape == x.shape else da.broadcast_to(x, shape)
    arrays = [like] + [aligned(o, like) for o in operands]
    return da.map_blocks(lambda xb, nb, gb=None: _core.noisy_relu_grad(xb, nb, gb), *arrays, dtype=dt)


# ---- linear ------------------------------------------------------------------------------------

def linear(x, weight, bias, activation, params):
    """The dense layer per block of rows (the features in one chunk): matmul, then the fused
    epilogue, on each block."""
    from . import _core
    w = np.asarray(weight)
    if w.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape {w.shape}")
    if x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"linear: x has {x.shape[-1] if x.ndim else 0} input features (last axis of "
                         f"shape {x.shape}); weight of shape {w.shape} expects {w.shape[1]}")
    # the NumPy path's checks of everything else, and the result dtype, on one row
    dt = _core.linear(np.zeros((1, w.shape[1]), x.dtype), w, bias, activation, **params).dtype
    x = x.rechunk({x.ndim - 1: -1})
    chunks = x.chunks[:-1] + ((w.shape[0],),)
    return x.map_blocks(lambda b: _core.linear(b, w, bias, activation, **params), chunks=chunks,
                        dtype=dt)


# ---- the gated units -----------------------------------------------------------------------------

def odd_length_message(fname, axis, length):
    return (f"{fname}: x must have an even length along axis {axis} (its halves a and b), "
            f"got {length}")


def _split_axis(fname, x, axis):
    """x rechunked to one chunk along the split axis (normalized), and that axis."""
    from ._reduce import _axes
    if x.ndim == 0 or type(axis) is not int:
        _axes(fname, axis, max(x.ndim, 1) if type(axis) is int else x.ndim)   # its error
    (ax,) = _axes(fname, axis, x.ndim)
    if x.shape[ax] % 2:
        raise ValueError(odd_length_message(fname, axis, x.shape[ax]))
    return x.rechunk({ax: -1}), ax


def _broadcast(*arrays):
    """dask arrays (NumPy ones wrapped) broadcast together, in the first one's chunks."""
    da = _da()
    arrays = da.broadcast_arrays(*[a if is_dask(a) else da.from_array(np.asarray(a), chunks=-1)
                                   for a in arrays])
    return [arrays[0]] + [a.rechunk(arrays[0].chunks) for a in arrays[1:]]


def _result_dtype(fname, *arrays):
    names = ("x", "b", "grad")
    return np.result_type(*[result_dtype(fname, a if hasattr(a, "dtype") else np.asarray(a), n)
                            for a, n in zip(arrays, names)])


def gated(fname, numpy_fn, x, b, axis, out):
    """glu, swiglu, geglu, reglu: split form, each block whole along the axis; two-array form,
    block by block."""
    no_out(fname, out)
    if b is None:
        dt = result_dtype(fname, x)
        x, ax = _split_axis(fname, x, axis)
        chunks = x.chunks[:ax] + ((x.shape[ax] // 2,),) + x.chunks[ax + 1:]
        return x.map_blocks(lambda blk: numpy_fn(blk, axis=ax), chunks=chunks, dtype=dt)
    dt = _result_dtype(fname, x, b)
    a, b = _broadcast(x, b)
    return _da().map_blocks(lambda p, q: numpy_fn(p, q), a, b, dtype=dt)


def gated_grad(fname, numpy_fn, x, grad, b, axis, out):
    """The gradients of the gated units, lazily: the split form gives one array like x, the
    two-array form both gradients from one map_blocks (stacked, then taken apart)."""
    no_out(fname, out)
    da = _da()
    if b is None:
        if not is_dask(x):
            x = da.from_array(np.asarray(x), chunks=-1)
        dt = result_dtype(fname, x)
        x, ax = _split_axis(fname, x, axis)
        if grad is None:
            return x.map_blocks(lambda blk: numpy_fn(blk, axis=ax), dtype=dt)
        half = x.shape[:ax] + (x.shape[ax] // 2,) + x.shape[ax + 1:]
        g = grad if is_dask(grad) else da.from_array(np.asarray(grad), chunks=-1)
        g = da.broadcast_to(g, half).rechunk(x.chunks[:ax] + ((half[ax],),) + x.chunks[ax + 1:])
        return da.map_blocks(lambda blk, gb: numpy_fn(blk, gb, axis=ax), x, g, chunks=x.chunks,
                             dtype=dt)
    dt = _result_dtype(fname, x, b) if grad is None else _result_dtype(fname, x, b, grad)
    if grad is None:
        a, b = _broadcast(x, b)
        both = da.map_blocks(lambda p, q: np.stack(numpy_fn(p, None, q)), a, b, dtype=dt,
                             new_axis=0, chunks=((2,),) + a.chunks)
    else:
        a, b, g = _broadcast(x, b, grad)
        both = da.map_blocks(lambda p, q, r: np.stack(numpy_fn(p, r, q)), a, b, g, dtype=dt,
                             new_axis=0, chunks=((2,),) + a.chunks)
    return both[0], both[1]
