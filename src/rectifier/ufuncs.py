"""Every elementwise function of rectifier as a real NumPy ufunc.

Use these to get NumPy's ufunc semantics and protocol: broadcasting of every operand, ``where=``,
``casting=``, ``__array_ufunc__`` dispatch for dask/xarray/pandas. Parameters are ufunc operands,
in the order of the public function's signature (``leaky_relu(x, negative_slope)``,
``relu_grad(x, grad, at_zero)``, ``prelu_grad(x, weight, grad) -> (grad_x, grad_weight_terms)``).
Loop types: float16 data with float32 parameters, float32, float64; other inputs follow NumPy's
casting rules (the public functions in `rectifier` instead turn integers into float64). bfloat16
(``ml_dtypes.bfloat16``) data with float32 parameters gets its loops the first time a rectifier
function sees that dtype, or at import when ml_dtypes is already loaded (rectifier never imports
it): before that, NumPy finds no loop for a bfloat16 array.
"""
from ._core import UFUNCS as _UFUNCS

# one name per ufunc of the table of operations (_operations.py) and of prelu_grad, rrelu_grad
globals().update(_UFUNCS)

__all__ = sorted(_UFUNCS)
