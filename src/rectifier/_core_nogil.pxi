# The helpers of the cimportable nogil API (its functions are generated: _operations.pxi).
# Part of rectifier._core: included by _core.pyx, which holds the C declarations.

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
