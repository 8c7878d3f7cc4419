"""rectifier: the rectifier family of activation functions and their derivatives, on C kernels
chosen at import for this CPU (AVX-512 or AVX2 on x86-64, NEON on AArch64, portable C elsewhere).

NumPy in, NumPy out: every function takes an array-like and returns an ndarray of x's shape and
float dtype (float16 and ml_dtypes' bfloat16 are computed in float32; integers and bool become
float64), accepts ``out=``,
and is also a real NumPy ufunc in `rectifier.ufuncs`, so dask/xarray/pandas inputs keep their type.
"""
import os as _os
import warnings as _warnings

from . import _core, _operations
from ._core import (
    active_fraction,
    activations,
    bias_act,
    capabilities,
    dead_units,
    linear,
    set_capabilities,
    show_config,
)

# The elementwise functions: every row of the table of operations (and its derivative), the
# aliases, and those outside the table's kernel families (prelu, the randomized rectifiers).
_ELEMENTWISE = (*_operations.PUBLIC_NAMES, *_operations.ALIASES, *_operations.OTHER_ELEMENTWISE)
globals().update({_name: getattr(_core, _name) for _name in _ELEMENTWISE})
# The gated units act(a) * b (two inputs: not elementwise in x)
globals().update({_name: getattr(_core, _name) for _name in _operations.GATED_NAMES})

from ._reduce import (
    log_softmax,
    log_softmax_grad,
    logsumexp,
    logsumexp_grad,
    softmax,
    softmax_grad,
    softmin,
    softmin_grad,
)
from . import ufuncs
from ._threads import get_num_threads, num_threads, set_num_threads

__version__ = "0.1.0"

__all__ = [
    *_ELEMENTWISE,
    "logsumexp", "softmax", "log_softmax", "softmin", "logsumexp_grad", "softmax_grad", "log_softmax_grad",
    "softmin_grad",
    *_operations.GATED_NAMES,
    "bias_act", "linear", "activations", "active_fraction", "dead_units",
    "capabilities", "set_capabilities", "show_config", "ufuncs",
    "get_num_threads", "set_num_threads", "num_threads",
]


def _apply_disable_variable():
    """RECTIFIER_DISABLE=avx512 (a comma list of path names) turns paths off for this process."""
    value = _os.environ.get("RECTIFIER_DISABLE", "")
    disabled = {name.strip().lower() for name in value.split(",") if name.strip()}
    if not disabled:
        return
    paths = _core.PATHS
    ignored = (disabled - set(paths)) | (disabled & {"scalar"})
    if ignored:
        _warnings.warn(f"RECTIFIER_DISABLE={value!r}: ignoring {sorted(ignored)} (the paths are "
                       f"{', '.join(p for p in paths if p != 'scalar')}; scalar cannot be disabled)",
                       RuntimeWarning, stacklevel=3)
    set_capabilities([p for p in capabilities()["detected"] if p not in disabled])


_apply_disable_variable()


def _start_threads():
    """The pool's thread count from RECTIFIER_NUM_THREADS (or every available CPU), its size
    threshold, and the threadpoolctl controller where threadpoolctl is installed."""
    from . import _threads
    _core._set_parallel_min(_threads.PARALLEL_MIN_ELEMENTS)
    _core._set_num_threads(_threads._from_environment())
    _threads._register_threadpoolctl()


from . import _core  # noqa: E402
_start_threads()
