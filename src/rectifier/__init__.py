"""rectifier: the rectifier family of activation functions and their derivatives, on C kernels
chosen at import for this CPU (AVX-512 or AVX2 on x86-64, NEON on AArch64, portable C elsewhere).

NumPy in, NumPy out: every function takes an array-like and returns an ndarray of x's shape and
float dtype (float16 is computed in float32; integers and bool become float64), accepts ``out=``,
and is also a real NumPy ufunc in `rectifier.ufuncs`, so dask/xarray/pandas inputs keep their type.
"""
import os as _os
import warnings as _warnings

from ._core import (
    active_fraction,
    activations,
    bias_act,
    capabilities,
    dead_units,
    linear,
    celu,
    celu_grad,
    elu,
    elu_grad,
    gelu,
    gelu_grad,
    hardsigmoid,
    hardsigmoid_grad,
    hardswish,
    hardswish_grad,
    log_sigmoid,
    log_sigmoid_grad,
    tanh,
    tanh_grad,
    logistic,
    logistic_grad,
    mish,
    mish_grad,
    selu,
    selu_grad,
    sigmoid,
    sigmoid_grad,
    silu,
    silu_grad,
    softplus,
    softplus_grad,
    hardtanh,
    hardtanh_grad,
    leaky_relu,
    leaky_relu_grad,
    prelu,
    prelu_grad,
    relu,
    relu6,
    relu6_grad,
    relu_grad,
    rrelu,
    rrelu_grad,
    noisy_relu,
    noisy_relu_grad,
    set_capabilities,
    show_config,
    threshold,
    threshold_grad,
)
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
from ._core import geglu, geglu_grad, glu, glu_grad, reglu, reglu_grad, swiglu, swiglu_grad
from . import _core, ufuncs
from ._threads import get_num_threads, num_threads, set_num_threads

__version__ = "0.1.0"

__all__ = [
    "relu", "relu6", "hardtanh", "threshold", "leaky_relu", "prelu",
    "relu_grad", "relu6_grad", "hardtanh_grad", "threshold_grad", "leaky_relu_grad", "prelu_grad",
    "elu", "celu", "selu", "softplus", "sigmoid", "logistic", "log_sigmoid", "silu", "gelu", "mish",
    "hardsigmoid", "hardswish", "tanh", "rrelu", "noisy_relu", "rrelu_grad", "noisy_relu_grad",
    "elu_grad", "celu_grad", "selu_grad", "softplus_grad", "sigmoid_grad", "logistic_grad",
    "log_sigmoid_grad", "silu_grad", "gelu_grad", "mish_grad", "hardsigmoid_grad", "hardswish_grad",
    "tanh_grad",
    "logsumexp", "softmax", "log_softmax", "softmin", "logsumexp_grad", "softmax_grad", "log_softmax_grad",
    "softmin_grad",
    "glu", "swiglu", "geglu", "reglu", "glu_grad", "swiglu_grad", "geglu_grad", "reglu_grad",
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
