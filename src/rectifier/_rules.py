"""The argument rules every public function applies, each written once, with one error wording:
the result dtype, the `out` check, the axis rule and the flag rule. Used by the elementwise layer
(_core.pyx) and the reductions (_reduce.py) alike."""
import operator

import numpy as np

F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
_NATIVE = (F16, F32, F64)

# Called with ml_dtypes' bfloat16 dtype each time result_dtype meets it: the kernel layer
# (_core) sets it, to learn the dtype's number and give its ufuncs their bfloat16 loops.
on_bfloat16 = None


def is_bfloat16(dt):
    """Whether dt is ml_dtypes' bfloat16 (JAX's, and most model files'), recognised by its name,
    size and module, so that nothing imports ml_dtypes for an array of another dtype."""
    return (dt.kind == "V" and dt.itemsize == 2 and dt.name == "bfloat16"
            and getattr(dt.type, "__module__", "").partition(".")[0] == "ml_dtypes")


def is_real(dt):
    """Whether an operand of dtype dt holds real numbers (a parameter, a weight, a bias)."""
    return dt.kind in "biuf" or is_bfloat16(dt)


def compute_dtype(dt):
    """The dtype the kernels compute a result dtype in, and parameters' dtype: float32 for the
    2-byte floats (float16, bfloat16), else the dtype itself."""
    return F32 if dt.itemsize == 2 else dt


def result_dtype(fname, dt, pname="x"):
    """The dtype computed for data of dtype dt: float16/32/64 and bfloat16 keep theirs (in
    native byte order), integers and bool give float64; anything else is a TypeError naming
    the dtype."""
    if dt in _NATIVE:
        return dt
    if is_bfloat16(dt):
        on_bfloat16(dt)
        return dt
    if dt.kind == "f" and dt.itemsize in (2, 4, 8):
        return dt.newbyteorder("=")
    if dt.kind in "biu":
        return F64
    raise TypeError(f"{fname}: {pname} has unsupported dtype {dt} ({dt!r}); "
                    "expected float16, float32, float64, bfloat16, an integer or bool")


def check_out(fname, out, dtype, shape):
    """`out` must be a writable ndarray of exactly the result's dtype and shape."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{fname}: out must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"{fname}: out has dtype {out.dtype}; the result has dtype {dtype}")
    if out.shape != shape:
        raise ValueError(f"{fname}: out has shape {out.shape}; the result has shape {shape}")
    if not out.flags.writeable:
        raise ValueError(f"{fname}: out is read-only")


def flag(fname, pname, value):
    """A switch is True or False (NumPy's bools included); 1, 0, None or a string is refused, so
    that a misplaced positional argument cannot pass for one."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{fname}: {pname} must be True or False, got {value!r}")


def axis(fname, value, ndim):
    """One axis, non-negative: an integer (not a bool) in [-ndim, ndim)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{fname}: axis must be an integer, got {value!r}")
    try:
        a = operator.index(value)
    except TypeError:
        raise TypeError(f"{fname}: axis must be an integer, got {value!r}") from None
    if not -ndim <= a < ndim:
        raise np.exceptions.AxisError(f"{fname}: axis {a} is out of bounds for x with ndim {ndim}")
    return a % ndim


def axes(fname, value, ndim):
    """The reduced axes, sorted, non-negative: None (all), an integer or a tuple of integers, each
    by the rule of `axis`; a repeated axis is refused."""
    if value is None:
        return tuple(range(ndim))
    out = [axis(fname, a, ndim) for a in (value if isinstance(value, tuple) else (value,))]
    if len(set(out)) != len(out):
        raise ValueError(f"{fname}: axis {value!r} names an axis twice")
    return tuple(sorted(out))
