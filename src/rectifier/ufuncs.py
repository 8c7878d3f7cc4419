"""Every elementwise function of rectifier as a real NumPy ufunc.

Use these to get NumPy's ufunc semantics and protocol: broadcasting of every operand, ``where=``,
``casting=``, ``__array_ufunc__`` dispatch for dask/xarray/pandas. Parameters are ufunc operands,
in the order of the public function's signature (``leaky_relu(x, negative_slope)``,
``relu_grad(x, grad, at_zero)``, ``prelu_grad(x, weight, grad) -> (grad_x, grad_weight_terms)``).
Loop types: float16 data with float32 parameters, float32, float64; other inputs follow NumPy's
casting rules (the public functions in `rectifier` instead turn integers into float64).
"""
from ._core import UFUNCS as _UFUNCS

relu = _UFUNCS["relu"]
relu6 = _UFUNCS["relu6"]
hardtanh = _UFUNCS["hardtanh"]
threshold = _UFUNCS["threshold"]
leaky_relu = _UFUNCS["leaky_relu"]
relu_grad = _UFUNCS["relu_grad"]
relu6_grad = _UFUNCS["relu6_grad"]
hardtanh_grad = _UFUNCS["hardtanh_grad"]
threshold_grad = _UFUNCS["threshold_grad"]
leaky_relu_grad = _UFUNCS["leaky_relu_grad"]
prelu_grad = _UFUNCS["prelu_grad"]
elu = _UFUNCS["elu"]
celu = _UFUNCS["celu"]
selu = _UFUNCS["selu"]
softplus = _UFUNCS["softplus"]
sigmoid = _UFUNCS["sigmoid"]
log_sigmoid = _UFUNCS["log_sigmoid"]
silu = _UFUNCS["silu"]
mish = _UFUNCS["mish"]
hardsigmoid = _UFUNCS["hardsigmoid"]
hardswish = _UFUNCS["hardswish"]
gelu = _UFUNCS["gelu"]
gelu_tanh = _UFUNCS["gelu_tanh"]
tanh = _UFUNCS["tanh"]
elu_grad = _UFUNCS["elu_grad"]
celu_grad = _UFUNCS["celu_grad"]
selu_grad = _UFUNCS["selu_grad"]
softplus_grad = _UFUNCS["softplus_grad"]
sigmoid_grad = _UFUNCS["sigmoid_grad"]
log_sigmoid_grad = _UFUNCS["log_sigmoid_grad"]
silu_grad = _UFUNCS["silu_grad"]
mish_grad = _UFUNCS["mish_grad"]
hardsigmoid_grad = _UFUNCS["hardsigmoid_grad"]
hardswish_grad = _UFUNCS["hardswish_grad"]
gelu_grad = _UFUNCS["gelu_grad"]
tanh_grad = _UFUNCS["tanh_grad"]
gelu_tanh_grad = _UFUNCS["gelu_tanh_grad"]
rrelu_grad = _UFUNCS["rrelu_grad"]

__all__ = sorted(_UFUNCS)
