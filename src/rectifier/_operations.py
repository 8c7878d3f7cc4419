"""The table of elementwise operations: the one place an activation and its derivative are listed.

Everything else is generated from it or derived at import:

- ``include/rectifier/operations.h``: the C X-macro lists (enums, kernel tables, entry points);
- ``src/rectifier/_operations.pxi``: the Cython enum, the ufuncs, the public wrappers of the rows
  without a hand-written one (with their numpydoc docstrings), and the cimportable nogil API;
- ``src/rectifier/_core.pxd`` and the elementwise part of ``__init__.pyi`` and ``ufuncs.pyi``;
- at import: ``rectifier.__all__``, ``rectifier.ufuncs``; in the tests, the lists of functions.

The generated files are committed (a C user of include/ and a reader of the stubs need them
without running anything) and tools/generate_operations.py rewrites them; tests/test_operations.py
fails when one of them, or any list elsewhere, disagrees with this table.

This module imports nothing from the package: setup.py loads it by path before anything is built.

Adding an elementwise operation is its row here, its kernel body (src/kernels) and its reference
(tests/reference.py).
"""
from typing import NamedTuple, Optional, Tuple


class Param(NamedTuple):
    """A scalar-or-array parameter, passed to the kernel in rect_params' fields a, b, ... in order.

    check: how the public function validates it (the Cython helper each maps to is in
    tools/generate_operations.py): "number" (not NaN), "finite", "finite>=0", "finite>0",
    "none_is_inf" (None means +inf, else a number); "ignored" (accepted by the public function,
    not passed to the kernel).
    """
    name: str
    default: object      # REQUIRED: no default
    check: str
    doc: str


REQUIRED = object()


class Op(NamedTuple):
    """One elementwise function and its derivative ``<name>_grad``.

    family: which C list its kernels are in (FAMILIES). A two-input gated unit (``act(a) * b``)
    would be a family with arity 2 and its own kernel signature; none exists yet.
    wrapper: "generated" (tools/generate_operations.py writes the public functions) or "custom"
    (hand-written in _core.pyx: a special fast path, a choice between kernels, keyword-only
    parameters), or "ufunc" (a kernel reached only through rectifier.ufuncs and another
    function's wrapper, e.g. gelu_tanh through gelu(approximate="tanh")).
    """
    name: str
    family: str
    params: Tuple[Param, ...]
    formula: str          # the ufunc's one-line doc (after "name(x, params) = ")
    grad_formula: str
    summary: str = ""     # the public docstring's first paragraph
    notes: str = ""
    grad_summary: str = ""
    example: str = ""     # the repr of f([-2.0, 0.0, 1.5]) in float64, checked by the doctests
    grad_example: str = ""
    wrapper: str = "generated"
    grad_params: Optional[Tuple[Param, ...]] = None   # None: the forward's
    ufunc: str = "kernel"  # "prelu": leaky_relu's ufunc runs the per-element-slope kernel


# family -> (C list of the forward kernels, C list of the derivative kernels)
FAMILIES = {
    "exact": ("RECT_EXACT_UNARY_OPS", "RECT_EXACT_GRAD_OPS"),
    "smooth": ("RECT_SMOOTH_UNARY_OPS", "RECT_SMOOTH_GRAD_OPS"),
    # +, -, *, /, sqrt in float64 for every dtype (src/kernels/ops_algebraic.h)
    "algebraic": ("RECT_ALGEBRAIC_UNARY_OPS", "RECT_ALGEBRAIC_GRAD_OPS"),
}

_ALPHA = Param("alpha", 1.0, "finite>=0", "The saturation value for large negative inputs "
               "(``-alpha``).")

_LAMBD = Param("lambd", 0.5, "finite>=0", "The half-width of the interval sent to 0.")

OPS = (
    # ---- the rectifier family: exact, hand-written wrappers (their own docstrings) ----
    Op("relu", "exact", (), "relu(x) = +0.0 where x <= 0, else x (NaN stays NaN).",
       "relu_grad(x, grad, at_zero) = grad * relu'(x), relu'(0) = at_zero.", wrapper="custom",
       grad_params=(Param("at_zero", 0.0, "number", "The derivative at exactly 0."),)),
    Op("relu6", "exact", (), "relu6(x) = min(max(x, 0), 6) (NaN stays NaN, relu6(-0.0) = +0.0).",
       "relu6_grad(x, grad) = grad where 0 < x < 6, else 0.", wrapper="custom"),
    Op("hardtanh", "exact",
       (Param("min_val", -1.0, "number", "The lower bound."),
        Param("max_val", 1.0, "number", "The upper bound.")),
       "hardtanh(x, min_val, max_val) = x clamped to [min_val, max_val].",
       "hardtanh_grad(x, grad, min_val, max_val) = grad where min_val < x < max_val, else 0.",
       wrapper="custom"),
    Op("threshold", "exact",
       (Param("threshold", REQUIRED, "number", "The threshold."),
        Param("value", REQUIRED, "number", "The value below it.")),
       "threshold(x, threshold, value) = value where x <= threshold, else x.",
       "threshold_grad(x, grad, threshold) = grad where x > threshold, else 0.", wrapper="custom",
       grad_params=(Param("threshold", REQUIRED, "number", "The threshold."),
                    Param("value", None, "ignored", "Accepted for symmetry with threshold."))),
    Op("leaky_relu", "exact", (Param("negative_slope", 0.01, "number", "The slope below 0."),),
       "leaky_relu(x, negative_slope) = x where x > 0, else negative_slope * x.",
       "leaky_relu_grad(x, grad, negative_slope) = grad where x > 0, else negative_slope * grad.",
       wrapper="custom", ufunc="prelu"),
    # ---- the smooth family: float64 math (vmath.h), float32 sized for float32 results ----
    Op("elu", "smooth", (_ALPHA,),
       "elu(x, alpha) = x where x > 0, else alpha * expm1(x).",
       "elu_grad(x, grad, alpha) = grad * (x > 0 ? 1 : alpha exp(x)).",
       "The exponential linear unit, ``x if x > 0 else alpha * expm1(x)``.",
       "``elu(-0.0)`` is -0.0 and ``elu(-inf)`` is ``-alpha``.",
       "``grad`` where ``x > 0``, else ``grad * alpha * exp(x)`` (PyTorch's side of the kink at 0).",
       "array([-0.86466472,  0.        ,  1.5       ])",
       "array([0.13533528, 1.        , 1.        ])"),
    Op("celu", "smooth",
       (Param("alpha", 1.0, "finite>0", "The saturation value for large negative inputs "
              "(``-alpha``) and the scale of the exponential."),),
       "celu(x, alpha) = x where x > 0, else alpha * expm1(x / alpha).",
       "celu_grad(x, grad, alpha) = grad * (x > 0 ? 1 : exp(x / alpha)).",
       "The continuously differentiable ELU, ``max(0, x) + min(0, alpha * expm1(x / alpha))``.", "",
       "``grad`` where ``x > 0``, else ``grad * exp(x / alpha)``.",
       "array([-0.86466472,  0.        ,  1.5       ])",
       "array([0.13533528, 1.        , 1.        ])"),
    Op("selu", "smooth", (),
       "selu(x) = scale * elu(x, alpha), PyTorch's constants.",
       "selu_grad(x, grad) = grad * scale * (x > 0 ? 1 : alpha exp(x)).",
       "The scaled ELU, ``scale * elu(x, alpha)``.",
       "PyTorch's constants: alpha = 1.6732632423543772848170429916717, "
       "scale = 1.0507009873554804934193349852946.",
       "``grad * scale`` where ``x > 0``, else ``grad * scale * alpha * exp(x)``.",
       "array([-1.52016647,  0.        ,  1.57605148])",
       "array([0.23793287, 1.75809934, 1.05070099])"),
    Op("softplus", "smooth",
       (Param("beta", 1.0, "finite>0", "The sharpness: ``log1p(exp(beta * x)) / beta``."),
        Param("threshold", None, "none_is_inf", "PyTorch's linear cut-off: ``x`` where "
              "``beta * x > threshold``. None (the default): no cut-off.")),
       "softplus(x, beta, threshold) = log1p(exp(beta x)) / beta; x where beta x > threshold.",
       "softplus_grad(x, grad, beta, threshold) = grad * sigmoid(beta x); grad where beta x > "
       "threshold.",
       "The smooth rectifier ``log(1 + exp(beta * x)) / beta``.",
       "Computed as ``max(x, 0) + log1p(exp(-beta |x|)) / beta``, so it never overflows (exact "
       "for large x, where PyTorch's default threshold of 20 is off by up to ~6e5 ULP in "
       "float64).",
       "``grad * sigmoid(beta * x)``; ``grad`` where ``beta * x > threshold``.",
       "array([0.12692801, 0.69314718, 1.70141328])",
       "array([0.11920292, 0.5       , 0.81757448])"),
    Op("sigmoid", "smooth", (),
       "sigmoid(x) = 1 / (1 + exp(-x)), the logistic function.",
       "sigmoid_grad(x, grad) = grad * sigmoid(x) sigmoid(-x).",
       "The logistic function ``1 / (1 + exp(-x))`` (also `logistic`), the derivative of "
       "softplus.",
       "Subnormal results are kept: ``sigmoid(-100)`` in float32 is about 3.7e-44, not 0.",
       "``grad * sigmoid(x) * sigmoid(-x)``, computed from ``exp(-|x|)`` without cancellation.",
       "array([0.11920292, 0.5       , 0.81757448])",
       "array([0.10499359, 0.25      , 0.14914645])"),
    Op("log_sigmoid", "smooth", (),
       "log_sigmoid(x) = -softplus(-x).",
       "log_sigmoid_grad(x, grad) = grad * sigmoid(-x).",
       "``log(sigmoid(x)) = -softplus(-x) = min(x, 0) - log1p(exp(-|x|))``.", "",
       "``grad * sigmoid(-x)``.",
       "array([-2.12692801, -0.69314718, -0.20141328])",
       "array([0.88079708, 0.5       , 0.18242552])"),
    Op("tanh", "smooth", (),
       "tanh(x), the hyperbolic tangent.",
       "tanh_grad(x, grad) = grad * (1 - tanh(x)**2).",
       "The hyperbolic tangent, mish's inner function.",
       "Odd (the sign of a zero kept), exactly +-1 where the result rounds there, and "
       "``tanh(x) = x`` for tiny ``x`` (subnormals included).",
       "``grad * (1 - tanh(x)**2)``, computed as ``4 e / (1 + e)**2`` with ``e = exp(-2|x|)``.",
       "array([-0.96402758,  0.        ,  0.90514825])",
       "array([0.07065082, 1.        , 0.18070664])"),
    Op("tanhshrink", "smooth", (),
       "tanhshrink(x) = x - tanh(x).",
       "tanhshrink_grad(x, grad) = grad * tanh(x)**2.",
       "The tanh shrinkage, ``x - tanh(x)`` (PyTorch's ``F.tanhshrink``).",
       "Without the cancellation of ``x - tanh(x)`` for small ``|x|`` (where it is ``x**3 / 3``): "
       "odd, the sign of a zero kept, tiny results rounded once (subnormals included); "
       "``+-inf`` at ``+-inf``.",
       "``grad * tanh(x)**2``.",
       "array([-1.03597242,  0.        ,  0.59485175])",
       "array([0.92934918, 0.        , 0.81929336])"),
    Op("silu", "smooth", (),
       "silu(x) = x * sigmoid(x).",
       "silu_grad(x, grad) = grad * sigmoid(x) (1 + x sigmoid(-x)).",
       "The sigmoid-weighted linear unit (swish), ``x * sigmoid(x)``.",
       "``silu(-inf)`` is its limit, -0.0, not NaN.",
       "``grad * sigmoid(x) * (1 + x * sigmoid(-x))``; 0 at -inf, 1 at +inf.",
       "array([-0.23840584,  0.        ,  1.22636171])",
       "array([-0.09078425,  0.5       ,  1.04129415])"),
    Op("mish", "smooth", (),
       "mish(x) = x * tanh(softplus(x)).",
       "mish_grad(x, grad) = grad * (tanh(sp) + x sech^2(sp) sigmoid(x)), sp = softplus(x).",
       "Mish, ``x * tanh(softplus(x))``.",
       "``mish(-inf)`` is its limit, -0.0, not NaN.",
       "``grad * (tanh(sp) + x * sech(sp)^2 * sigmoid(x))`` with ``sp = softplus(x)``.",
       "array([-0.25250148,  0.        ,  1.40337827])",
       "array([-0.10835509,  0.6       ,  1.08848799])"),
    Op("hardsigmoid", "smooth", (),
       "hardsigmoid(x) = relu6(x + 3) / 6.",
       "hardsigmoid_grad(x, grad) = grad / 6 where -3 < x < 3, else 0.",
       "The piecewise-linear sigmoid ``relu6(x + 3) / 6`` (PyTorch).", "",
       "``grad / 6`` strictly inside (-3, 3), else 0 (PyTorch).",
       "array([0.16666667, 0.5       , 0.75      ])",
       "array([0.16666667, 0.16666667, 0.16666667])"),
    Op("hardswish", "smooth", (),
       "hardswish(x) = x * relu6(x + 3) / 6.",
       "hardswish_grad(x, grad) = grad * (x < -3 ? 0 : x <= 3 ? x/3 + 1/2 : 1).",
       "``x * relu6(x + 3) / 6`` (PyTorch).",
       "``hardswish(-inf)`` is -0.0.",
       "0 below -3, ``grad * (x / 3 + 1/2)`` on [-3, 3], ``grad`` above (PyTorch).",
       "array([-0.33333333,  0.        ,  1.125     ])",
       "array([-0.16666667,  0.5       ,  1.        ])"),
    Op("gelu", "smooth", (),
       "gelu(x) = x * Phi(x), Phi the standard normal distribution function.",
       "gelu_grad(x, grad) = grad * (Phi(x) + x phi(x)).", wrapper="custom"),
    # ---- the algebraic family: float64 arithmetic for every dtype, rounded once ----
    Op("softsign", "algebraic", (),
       "softsign(x) = x / (1 + |x|).",
       "softsign_grad(x, grad) = grad / (1 + |x|)^2.",
       "The soft sign, ``x / (1 + |x|)`` (PyTorch, JAX).",
       "Odd (the sign of a zero kept); +-1 at +-inf.",
       "``grad / (1 + |x|)**2``.",
       "array([-0.66666667,  0.        ,  0.6       ])",
       "array([0.11111111, 1.        , 0.16      ])"),
    Op("hardshrink", "algebraic", (_LAMBD,),
       "hardshrink(x, lambd) = +0.0 where |x| <= lambd, else x.",
       "hardshrink_grad(x, grad, lambd) = grad where |x| > lambd, else 0.",
       "The hard shrinkage, ``x if |x| > lambd else 0`` (PyTorch).",
       "Exact; NaN stays NaN.",
       "``grad`` where ``|x| > lambd``, else 0.",
       "array([-2. ,  0. ,  1.5])",
       "array([1., 0., 1.])"),
    Op("softshrink", "algebraic", (_LAMBD,),
       "softshrink(x, lambd) = x - lambd where x > lambd, x + lambd where x < -lambd, else +0.0.",
       "softshrink_grad(x, grad, lambd) = grad where |x| > lambd, else 0.",
       "The soft shrinkage, ``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between "
       "(PyTorch).",
       "Rounded once, as PyTorch computes it in the data's type; NaN stays NaN.",
       "``grad`` where ``|x| > lambd``, else 0.",
       "array([-1.5,  0. ,  1. ])",
       "array([1., 0., 1.])"),
    Op("squareplus", "algebraic",
       (Param("b", 4.0, "finite>=0", "The smoothness near 0: ``squareplus(0) = sqrt(b) / 2``."),),
       "squareplus(x, b) = (x + sqrt(x^2 + b)) / 2.",
       "squareplus_grad(x, grad, b) = grad * (1 + x / sqrt(x^2 + b)) / 2.",
       "The square plus, ``(x + sqrt(x**2 + b)) / 2`` (JAX; PyTorch has none).",
       "Computed as ``(b / 2) / (sqrt(x**2 + b) - x)`` for x < 0: no cancellation. With ``b = 0`` "
       "it is relu.",
       "``grad * (1 + x / sqrt(x**2 + b)) / 2``; 1/2 at ``x = 0`` when ``b = 0``.",
       "array([0.41421356, 1.        , 2.        ])",
       "array([0.14644661, 0.5       , 0.8       ])"),
    Op("sparse_plus", "algebraic", (),
       "sparse_plus(x) = 0 where x <= -1, (x + 1)^2 / 4 where -1 < x < 1, x where x >= 1.",
       "sparse_plus_grad(x, grad) = grad * sparse_sigmoid(x).",
       "The sparse plus, JAX's piecewise-quadratic softplus: 0 at and below -1, "
       "``(x + 1)**2 / 4`` on (-1, 1), ``x`` from 1 on.", "",
       "``grad * sparse_sigmoid(x)``.",
       "array([0.  , 0.25, 1.5 ])",
       "array([0. , 0.5, 1. ])"),
    Op("sparse_sigmoid", "algebraic", (),
       "sparse_sigmoid(x) = clip((x + 1) / 2, 0, 1).",
       "sparse_sigmoid_grad(x, grad) = grad / 2 where -1 < x < 1, else 0.",
       "The sparse sigmoid, JAX's ``0.5 * clip(x + 1, 0, 2)``, the derivative of `sparse_plus`.",
       "",
       "``grad / 2`` strictly inside (-1, 1), else 0 (at the kinks: 0, as PyTorch's hardsigmoid).",
       "array([0. , 0.5, 1. ])",
       "array([0. , 0.5, 0. ])"),
    Op("gelu_tanh", "smooth", (),
       "gelu_tanh(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).",
       "gelu_tanh_grad(x, grad) = grad * d/dx gelu_tanh(x).", wrapper="ufunc"),
)

BY_NAME = {op.name: op for op in OPS}


def grad_params(op):
    return op.params if op.grad_params is None else op.grad_params


def kernel_params(op, grad):
    """The parameters the kernel takes, in rect_params order."""
    return tuple(p for p in (grad_params(op) if grad else op.params) if p.check != "ignored")


def kernels(family, grad):
    """The kernel names of one C list, in table order."""
    return [op.name + ("_grad" if grad else "") for op in OPS if op.family == family]


# The ufuncs: every row's forward and derivative.
UFUNC_NAMES = tuple(n for op in OPS for n in (op.name, op.name + "_grad"))
# The public elementwise functions the table's rows give (their wrappers generated or written
# by hand); the rows of wrapper "ufunc" have none.
PUBLIC_NAMES = tuple(n for op in OPS if op.wrapper != "ufunc" for n in (op.name, op.name + "_grad"))

# Elementwise functions outside the table's kernel families, each hand-written in _core.pyx:
# prelu (a weight per channel), the randomized rectifiers (random.h's own kernel signature).
# Kernels outside the rows: rrelu's derivative (its multiplier, an exact grad kernel) and the
# randomized rectifiers (random.h's own kernel signature).
EXTRA_GRAD_KERNELS = {"exact": ("rrelu_grad",)}
RANDOM_KERNELS = ("rrelu", "noisy_relu")
OTHER_ELEMENTWISE = ("prelu", "prelu_grad", "rrelu", "rrelu_grad", "noisy_relu", "noisy_relu_grad")
OTHER_UFUNCS = ("prelu_grad", "rrelu_grad")
ALIASES = {"logistic": "sigmoid", "logistic_grad": "sigmoid_grad"}

# The gated units act(a) * b of two inputs (the halves of x along an axis, or two arrays), with
# their own kernel signatures (src/kernels/ops_gated.h, src/gated.c) and hand-written wrappers
# (src/rectifier/_gated.pxi). GATED_KERNELS: the C list (geglu_tanh: geglu's tanh form).
GATED_UNITS = ("glu", "swiglu", "geglu", "reglu")
GATED_KERNELS = ("glu", "swiglu", "geglu", "geglu_tanh", "reglu")
GATED_NAMES = tuple(n for u in GATED_UNITS for n in (u, u + "_grad"))
