# The nogil C-level API of rectifier, for other Cython code:
#
#     from rectifier._core cimport relu_f32, leaky_relu_f64
#     with nogil:
#         status = relu_f32(x, out)     # x, out: contiguous float[::1]; out may be x
#
# Each function runs the active CPU path's kernel on contiguous 1-D typed memoryviews (pass
# arr.ravel() for n-D C-contiguous data) and returns 0, or -1 (writing nothing) when the lengths
# differ. The caller pays for acquiring the memoryviews once; the calls themselves hold no GIL.
# Gradient functions compute grad * f'(x), as rectifier.<name>_grad does. prelu_* take one slope
# per element (expand per-channel weights yourself); prelu_grad_* write grad_x and the per-element
# terms of the weight gradient (x > 0 ? 0 : grad * x), which the caller sums per channel.

cdef int relu_f32(const float[::1] x, float[::1] out) noexcept nogil
cdef int relu_f64(const double[::1] x, double[::1] out) noexcept nogil
cdef int relu6_f32(const float[::1] x, float[::1] out) noexcept nogil
cdef int relu6_f64(const double[::1] x, double[::1] out) noexcept nogil
cdef int hardtanh_f32(const float[::1] x, float[::1] out, double min_val, double max_val) noexcept nogil
cdef int hardtanh_f64(const double[::1] x, double[::1] out, double min_val, double max_val) noexcept nogil
cdef int threshold_f32(const float[::1] x, float[::1] out, double threshold, double value) noexcept nogil
cdef int threshold_f64(const double[::1] x, double[::1] out, double threshold, double value) noexcept nogil
cdef int leaky_relu_f32(const float[::1] x, float[::1] out, double negative_slope) noexcept nogil
cdef int leaky_relu_f64(const double[::1] x, double[::1] out, double negative_slope) noexcept nogil
cdef int prelu_f32(const float[::1] x, const float[::1] weight, float[::1] out) noexcept nogil
cdef int prelu_f64(const double[::1] x, const double[::1] weight, double[::1] out) noexcept nogil

cdef int relu_grad_f32(const float[::1] x, const float[::1] grad, float[::1] out, double at_zero) noexcept nogil
cdef int relu_grad_f64(const double[::1] x, const double[::1] grad, double[::1] out, double at_zero) noexcept nogil
cdef int relu6_grad_f32(const float[::1] x, const float[::1] grad, float[::1] out) noexcept nogil
cdef int relu6_grad_f64(const double[::1] x, const double[::1] grad, double[::1] out) noexcept nogil
cdef int hardtanh_grad_f32(const float[::1] x, const float[::1] grad, float[::1] out, double min_val, double max_val) noexcept nogil
cdef int hardtanh_grad_f64(const double[::1] x, const double[::1] grad, double[::1] out, double min_val, double max_val) noexcept nogil
cdef int threshold_grad_f32(const float[::1] x, const float[::1] grad, float[::1] out, double threshold) noexcept nogil
cdef int threshold_grad_f64(const double[::1] x, const double[::1] grad, double[::1] out, double threshold) noexcept nogil
cdef int leaky_relu_grad_f32(const float[::1] x, const float[::1] grad, float[::1] out, double negative_slope) noexcept nogil
cdef int leaky_relu_grad_f64(const double[::1] x, const double[::1] grad, double[::1] out, double negative_slope) noexcept nogil
cdef int prelu_grad_f32(const float[::1] x, const float[::1] weight, const float[::1] grad, float[::1] grad_x, float[::1] grad_weight) noexcept nogil
cdef int prelu_grad_f64(const double[::1] x, const double[::1] weight, const double[::1] grad, double[::1] grad_x, double[::1] grad_weight) noexcept nogil
