import numpy as np

relu: np.ufunc
relu6: np.ufunc
hardtanh: np.ufunc
threshold: np.ufunc
leaky_relu: np.ufunc
relu_grad: np.ufunc
relu6_grad: np.ufunc
hardtanh_grad: np.ufunc
threshold_grad: np.ufunc
leaky_relu_grad: np.ufunc
prelu_grad: np.ufunc
__all__: list[str]
