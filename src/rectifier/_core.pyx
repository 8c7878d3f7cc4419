# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The thin layer between Python and the C kernels.

Every public function first tries a direct path for the common call (an exact ndarray of a float
dtype, C- or F-contiguous, aligned, native byte order, scalar parameters, `out` absent or a matching
array): it reads the array through the NumPy C API and calls the kernel, releasing the GIL for
large inputs. Any other call goes to the NumPy ufunc of the same kernels (`rectifier.ufuncs`),
which brings broadcasting, strides, casting and `__array_ufunc__` (dask, xarray, pandas). Both
paths run the same kernel on the same values, so their results are bit-identical.

This file holds the C declarations and the module's state; each job is its own include file:
_core_paths.pxi (CPU paths), _core_ufuncs.pxi (making ufuncs), _core_args.pxi (argument checking
and the direct kernel call), _core_wrappers.pxi (the hand-written public functions),
_operations.pxi (generated from the table of operations: the ufuncs, the other public functions
and the cimportable API), _core_random.pxi (the randomized rectifiers), _core_nogil.pxi (the
cimportable API's helpers), _core_fused.pxi (bias_act, linear, diagnostics); the rules themselves
(dtype, out, axis, flags) are in _rules.py.
"""
cimport numpy as cnp
from libc.math cimport isfinite, isinf, isnan
from libc.stdint cimport intptr_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy
from libc.stdint cimport uintptr_t

import os
import sys

import numpy as np

from rectifier import _lazy, _rules

cnp.import_array()
cnp.import_ufunc()

cdef extern from "numpy/ndarraytypes.h":
    enum:
        NPY_HALF

cdef extern from "rectifier/rectifier.h":
    ctypedef struct rect_params:
        double a, b, c, d

cdef extern from "rectifier/capabilities.h":
    unsigned rect_capabilities_compiled() nogil
    unsigned rect_capabilities_detected() nogil
    unsigned rect_capabilities_enabled() nogil
    unsigned rect_active_path() nogil
    int rect_set_capabilities(unsigned mask) nogil
    const char *rect_path_name(unsigned cap) nogil
    int rect_path_precedence(unsigned cap) nogil
    unsigned rect_path_xcr0(unsigned cap) nogil

include "_operations_decl.pxi"

cdef extern from "_glue.h":
    enum:
        RECT_F16, RECT_F32, RECT_F64, RECT_BF16
        RECT_KIND_UNARY, RECT_KIND_GRAD, RECT_KIND_PRELU, RECT_KIND_PRELU_GRAD
    ctypedef void (*rect_unary_fn)(size_t n, const void *x, void *y, const rect_params *p) noexcept nogil
    ctypedef void (*rect_grad_fn)(size_t n, const void *x, const void *grad, void *y,
                                  const rect_params *p) noexcept nogil
    ctypedef void (*rect_prelu_fn)(size_t n, const void *x, const void *w, void *y) noexcept nogil
    ctypedef void (*rect_prelu_grad_fn)(size_t n, const void *x, const void *w, const void *grad,
                                        void *grad_x, void *grad_w) noexcept nogil
    ctypedef void (*rect_random_fn)(size_t n, const void *x, const void *sigma, void *y, void *noise,
                                    const rect_params *p, uint64_t key, uint64_t first) noexcept nogil
    ctypedef void (*rect_philox_fn)(size_t n_groups, uint64_t first_group, uint32_t c2, uint32_t c3,
                                    uint64_t key, uint32_t *out) noexcept nogil
    rect_random_fn rect_random_kernel(int op, int dtype) nogil
    rect_philox_fn rect_philox_kernel() nogil
    ctypedef void (*rect_reduce_fn)(int op, size_t outer, size_t n, size_t inner, const void *x,
                                    const void *grad, void *y, const rect_params *p) noexcept nogil
    enum:
        RECT_RED_logsumexp, RECT_RED_softmax, RECT_RED_log_softmax, RECT_RED_logsumexp_grad
        RECT_RED_softmax_grad, RECT_RED_log_softmax_grad
    rect_reduce_fn rect_reduce_kernel(int dtype) nogil
    ctypedef struct rect_loop_desc:
        int kind, op, dtype, nparams
    void rect_init() nogil
    rect_unary_fn rect_unary_kernel(int op, int dtype) nogil
    rect_grad_fn rect_grad_kernel(int op, int dtype) nogil
    rect_prelu_fn rect_prelu_kernel(int dtype) nogil
    rect_prelu_grad_fn rect_prelu_grad_kernel(int dtype) nogil
    void rect_ufunc_loop(char **args, const intptr_t *dimensions, const intptr_t *steps,
                         void *data) noexcept nogil
    int rect_bias_act(int dtype, int op, size_t outer, size_t channels, size_t inner,
                      const void *x, const void *bias, void *y, const rect_params *p) nogil
    int rect_count_positive(int dtype, size_t outer, size_t length, size_t inner, const void *x,
                            uint64_t *counts) nogil

cdef extern from "pool.h":
    size_t rect_parallel_min
    int rect_get_num_threads() nogil
    int rect_set_num_threads(int n) nogil
    uint64_t rect_pool_jobs() nogil
    void rect_par_unary(rect_unary_fn fn, size_t n, size_t esize, const void *x, void *y,
                        const rect_params *p) nogil
    void rect_par_grad(rect_grad_fn fn, size_t n, size_t esize, const void *x, const void *g,
                       void *y, const rect_params *p) nogil
    void rect_par_random(rect_random_fn fn, size_t n, size_t block, size_t esize, size_t csize,
                         const void *x, const void *sigma, void *y, void *noise,
                         const rect_params *p, uint64_t key) nogil
    void rect_par_reduce(rect_reduce_fn fn, int op, size_t outer, size_t n, size_t inner,
                         size_t esize, const void *x, const void *g, void *y,
                         const rect_params *p) nogil
    int rect_par_bias_act(int dtype, int op, size_t outer, size_t channels, size_t inner,
                          const void *x, const void *bias, void *y, const rect_params *p) nogil
    int rect_par_count_positive(int dtype, size_t outer, size_t length, size_t inner,
                                const void *x, uint64_t *counts) nogil

rect_init()


# bias_act asks an activation which kernel a call would run by passing _PLAN as x: _unary_fast
# answers with a _Plan (the kernel and its parameters, already checked by the activation itself);
# a call that needs the ufunc (array-valued parameters) raises _NeedsComposition instead.
cdef object _PLAN = object()


class _NeedsComposition(Exception):
    pass


cdef class _Plan:
    cdef int op
    cdef rect_params p
    cdef object function   # the activation's public function (set by _resolve_activation)
    cdef dict params       # the keyword parameters it was resolved with

    @staticmethod
    cdef _Plan of(int op, const rect_params *p):
        cdef _Plan plan = _Plan.__new__(_Plan)
        plan.op, plan.p = op, p[0]
        return plan

# Below this many elements the kernel is cheaper than releasing and re-taking the GIL
# (bench/bench_overhead_gil.py measures both: one release and re-take costs ~32 ns).
cdef Py_ssize_t NOGIL_MIN_ELEMENTS = 8192
_NOGIL_MIN_ELEMENTS = NOGIL_MIN_ELEMENTS   # read by the benchmark

# The intra-op thread pool (src/pool.c): the direct paths hand a kernel call to it only where they
# release the GIL (at least NOGIL_MIN_ELEMENTS elements), so a small call costs what it did; the
# pool then splits only calls of at least two thresholds' worth (rect_parallel_min elements per
# thread). rectifier/_threads.py holds the user-facing controls.
cdef size_t[4] _ESIZE = [2, 4, 8, 2]   # storage bytes per element, by kernel dtype index


def _get_num_threads():
    return rect_get_num_threads()


def _set_num_threads(int n):
    """Sets the threads a large call may use (clamped to [1, 1024]); returns the old count."""
    return rect_set_num_threads(n)


def _pool_jobs():
    """How many calls the pool has split among threads in this process (for tests)."""
    return rect_pool_jobs()


def _get_parallel_min():
    return rect_parallel_min


def _set_parallel_min(size_t elements):
    """Sets the elements per thread below which a call stays on one thread; returns the old
    value (tests lower it to split small arrays)."""
    global rect_parallel_min
    old = rect_parallel_min
    rect_parallel_min = elements if elements > 0 else 1
    return old

include "_core_paths.pxi"

include "_core_ufuncs.pxi"

include "_core_args.pxi"

include "_core_wrappers.pxi"

# The ufuncs of every row of the table of operations (_operations.py), the public functions of
# the rows without a hand-written one, and the cimportable API: generated.
include "_operations.pxi"

logistic = sigmoid
logistic_grad = sigmoid_grad

include "_core_random.pxi"

include "_core_nogil.pxi"

# ---------------------------------------------------------------------------------------------
# Reductions: the kernel call; argument handling is in _reduce.py
# ---------------------------------------------------------------------------------------------

REDUCE_OPS = {"logsumexp": RECT_RED_logsumexp, "softmax": RECT_RED_softmax,
              "log_softmax": RECT_RED_log_softmax, "logsumexp_grad": RECT_RED_logsumexp_grad,
              "softmax_grad": RECT_RED_softmax_grad, "log_softmax_grad": RECT_RED_log_softmax_grad}


def _reduce(int op, cnp.ndarray x, object grad, cnp.ndarray y, Py_ssize_t outer, Py_ssize_t n,
            Py_ssize_t inner, bint include_zero):
    """Runs reduction `op` on C-contiguous, aligned, native x of shape (outer, n, inner) into y
    (and grad), all of x's dtype; the caller (_reduce.py) has checked all of that."""
    cdef int dt = _fast_dtype(x)
    if dt < 0 or not cnp.PyArray_IS_C_CONTIGUOUS(x) or not cnp.PyArray_IS_C_CONTIGUOUS(y):
        raise AssertionError("_reduce: x and y must be C-contiguous float arrays")
    if cnp.PyArray_TYPE(y) != cnp.PyArray_TYPE(x):
        raise AssertionError("_reduce: y must have x's dtype")
    cdef const void *g = NULL
    if grad is not None:
        if _fast_dtype(grad) != dt or not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>grad):
            raise AssertionError("_reduce: grad must be C-contiguous with x's dtype")
        g = cnp.PyArray_DATA(<cnp.ndarray>grad)
    cdef rect_params p = _params(1.0 if include_zero else 0.0)
    cdef rect_reduce_fn fn = rect_reduce_kernel(dt)
    cdef const void *xd = cnp.PyArray_DATA(x)
    cdef void *yd = cnp.PyArray_DATA(y)
    if outer * n * inner >= NOGIL_MIN_ELEMENTS:
        with nogil:
            rect_par_reduce(fn, op, outer, n, inner, _ESIZE[dt], xd, g, yd, &p)
    else:
        fn(op, outer, n, inner, xd, g, yd, &p)


include "_core_fused.pxi"
include "_gated.pxi"

# bfloat16 arrays made before rectifier was imported: their ufunc loops now (ml_dtypes is only
# looked up here, never imported)
if "ml_dtypes" in sys.modules and hasattr(sys.modules["ml_dtypes"], "bfloat16"):
    _rules.result_dtype("rectifier", np.dtype(sys.modules["ml_dtypes"].bfloat16))
