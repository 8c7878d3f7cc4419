"""The table the hardening tests share: every public function of `rectifier` and every ufunc of
`rectifier.ufuncs`, how to call it, good parameter values and bad ones.

The tests iterate over `rectifier.__all__` and `rectifier.ufuncs.__all__`, so a new function is
covered by adding one row to ROWS. A public function without a row whose parameters (after x and
grad) all have defaults gets a row derived from its signature, called at its defaults;
test_bad_input.py's test_every_public_function_has_a_row fails for any other, naming it.

Conventions (see `operands` and `call`): the data of a call is a 1-D array of n elements. prelu and
prelu_grad see it as (1, n) with one weight per channel, so their own direct path (a weight array)
runs; every other function sees it as it is.

Reductions (softmax, logsumexp, ... : Row.reduction) reduce along the data's one axis. Their value at
an element depends on the whole slice and the float sum's order, so a reversed view is checked
against the call on a contiguous copy of the same reversed values (any layout must give the bits
of the contiguous path), not against the reversed result. logsumexp_grad's incoming gradient has
the logsumexp result's shape with the reduced axis kept (Row.grad_shape "reduced": (1,)).
runs; every other function sees it as it is. bias_act gets a bias of n moderate values (one per
feature along its default axis -1); linear sees the data as (n, 1): n samples of one feature, with
a (1, 1) weight matrix and one bias (so its result has x's shape); active_fraction and dead_units
reduce x (a scalar result).
"""
import inspect
from dataclasses import dataclass, field

import numpy as np

import rectifier
import rectifier.ufuncs

NOT_KERNELS = {"capabilities", "set_capabilities", "show_config", "ufuncs", "activations",
               "get_num_threads", "set_num_threads", "num_threads",
               # the gated units split x or take two arrays: tests/test_gated.py covers them
               *rectifier._operations.GATED_NAMES}
DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


@dataclass(frozen=True)
class Row:
    name: str                 # the function's name, or "name:variant" for another parameter set
    params: dict = field(default_factory=dict)   # good keyword parameters, scalars
    grad: bool = False        # takes an incoming gradient shaped like x
    weight: bool = False      # takes a weight, one per channel along axis 1 (prelu)
    has_out: bool = True      # accepts out=
    nout: int = 1             # arrays returned
    exact: bool = False       # tests/reference.py has it: results must match it bit for bit
    # (keyword parameters, exception type, words the message must contain)
    bad: tuple = ()
    # array-valued parameters that broadcast against x, for the wrong-length test
    array_params: tuple = ()
    # x and grad values for which the mathematically required operations raise no floating-point
    # flag with `params` (the flags test asserts that none is raised): "exact", "moderate" or
    # "narrow" (see quiet_values)
    quiet_x: str = "exact"
    derived: bool = False     # made from the signature, not written here
    bias: bool = False        # takes a bias, one per feature (bias_act, linear)
    matrix: bool = False      # takes a weight matrix (linear): ops["matrix"], passed as weight=
    reduces: bool = False     # reduces x (active_fraction, dead_units): not x's shape or dtype
    # draws random numbers by the logical index of each element (rrelu, noisy_relu): the same
    # values in another order give other results, so f(x[::-1]) is not f(x)[::-1]
    positional: bool = False
    reduction: bool = False   # reduces along an axis (see the module docstring)
    grad_shape: str = "x"     # "x": grad shaped like x; "reduced": like the reduction's result, kept dims

    @property
    def function(self):
        return self.name.split(":")[0]


def _nan_inf_bad(fname, pname, extra=()):
    """A finite-only scalar parameter: NaN, +-inf, a string, None and complex are refused."""
    return ((({pname: np.nan}, ValueError, (fname, pname, "nan")),
             ({pname: np.inf}, ValueError, (fname, pname, "inf")),
             ({pname: -np.inf}, ValueError, (fname, pname, "-inf")),
             ({pname: "0.1x"}, TypeError, (fname, pname)),
             ({pname: None}, TypeError, (fname, pname)),
             ({pname: 1j}, TypeError, (fname, pname)),
             ({pname: np.array([0.1, np.nan])}, ValueError, (fname, pname)),
             ({pname: np.array(["a"])}, TypeError, (fname, pname)),
             ({pname: np.array([1 + 1j])}, TypeError, (fname, pname)),
             ({pname: np.array([None], object)}, TypeError, (fname, pname)))
            + tuple(extra))


def _not_nan_bad(fname, pname):
    """A parameter that may be infinite but not NaN."""
    return ((({pname: np.nan}, ValueError, (fname, pname, "nan")),
             ({pname: "x"}, TypeError, (fname, pname)),
             ({pname: None}, TypeError, (fname, pname)),
             ({pname: 2j}, TypeError, (fname, pname)),
             ({pname: np.array([0.0, np.nan])}, ValueError, (fname, pname)),
             ({pname: np.array([1j])}, TypeError, (fname, pname))))


def _hardtanh_bad(fname):
    return (_not_nan_bad(fname, "min_val") + _not_nan_bad(fname, "max_val") + (
        ({"min_val": 2.0, "max_val": 1.0}, ValueError, (fname, "min_val", "2.0")),
        ({"min_val": np.inf, "max_val": 1.0}, ValueError, (fname, "min_val")),
        ({"min_val": 1.0, "max_val": -np.inf}, ValueError, (fname, "max_val")),
        ({"min_val": np.array([0.0, 3.0]), "max_val": 2.0}, ValueError, (fname, "min_val")),
    ))


def _seed_bad(fname, params):
    """Bad seeds, with the row's other parameters."""
    return tuple(({**params, "seed": seed}, error, (fname, "seed") + words) for seed, error, words in (
        (-1, ValueError, ("-1",)), (2**64, ValueError, ()), (1.5, TypeError, ("1.5",)),
        ("7", TypeError, ()), (True, TypeError, ()), ([1], TypeError, ()), (object(), TypeError, ())))


def _rrelu_bad(params):
    return (
        ({**params, "lower": 0.5, "upper": 0.25}, ValueError, ("rrelu", "lower", "upper", "0.5")),
        ({**params, "lower": -0.1}, ValueError, ("rrelu", "lower", "-0.1")),
        ({**params, "lower": np.nan}, ValueError, ("rrelu", "lower", "nan")),
        ({**params, "upper": np.inf}, ValueError, ("rrelu", "upper", "inf")),
        ({**params, "upper": "u"}, TypeError, ("rrelu", "upper")),
        ({**params, "lower": None}, TypeError, ("rrelu", "lower")),
        ({**params, "lower": np.array([0.1, 0.2])}, TypeError, ("rrelu", "lower")),
        ({**params, "training": "yes"}, TypeError, ("rrelu", "training")),
        ({**params, "return_noise": 1}, TypeError, ("rrelu", "return_noise")),
    ) + _seed_bad("rrelu", params)


def _noisy_relu_bad(params):
    return (
        ({**params, "sigma": -1.0}, ValueError, ("noisy_relu", "sigma", "-1")),
        ({**params, "sigma": np.nan}, ValueError, ("noisy_relu", "sigma", "nan")),
        ({**params, "sigma": np.inf}, ValueError, ("noisy_relu", "sigma", "inf")),
        ({**params, "sigma": "tanh"}, ValueError, ("noisy_relu", "sigma", "tanh")),
        ({**params, "sigma": None}, TypeError, ("noisy_relu", "sigma")),
        ({**params, "sigma": 1j}, TypeError, ("noisy_relu", "sigma")),
        ({**params, "sigma": np.array([0.5, -0.5, 0.5, 0.5])}, ValueError, ("noisy_relu", "sigma")),
        ({**params, "sigma": np.array([0.5, np.nan, 0.5, 0.5])}, ValueError, ("noisy_relu", "sigma", "nan")),
        ({**params, "sigma": np.ones(3)}, ValueError, ("noisy_relu", "sigma", "(3,)")),
        ({**params, "return_noise": "no"}, TypeError, ("noisy_relu", "return_noise")),
    ) + _seed_bad("noisy_relu", params)


def _weight_bad(fname):
    return (
        ({"weight": np.nan}, ValueError, (fname, "weight", "nan")),
        ({"weight": np.inf}, ValueError, (fname, "weight", "inf")),
        ({"weight": -np.inf}, ValueError, (fname, "weight", "inf")),
        ({"weight": "a"}, TypeError, (fname, "weight")),
        ({"weight": None}, TypeError, (fname, "weight")),
        ({"weight": 1j}, TypeError, (fname, "weight")),
        ({"weight": np.array([0.1, np.nan, 0.1, 0.1])}, ValueError, (fname, "weight", "nan")),
        ({"weight": np.array([0.1, 0.2, 0.3])}, ValueError, (fname, "weight", "3")),      # wrong length
        ({"weight": np.array([])}, ValueError, (fname, "weight", "0")),
        ({"weight": np.ones((2, 2))}, ValueError, (fname, "weight", "(2, 2)")),
        ({"weight": np.ones(4, complex)}, TypeError, (fname, "weight", "complex")),
        ({"weight": np.ones(4, object)}, TypeError, (fname, "weight", "object")),
        ({"weight": np.ones(4), "axis": 5}, np.exceptions.AxisError, (fname, "axis", "5")),
        ({"weight": np.ones(4), "axis": -3}, np.exceptions.AxisError, (fname, "axis", "-3")),
        ({"weight": np.ones(4), "axis": 1.5}, TypeError, (fname, "axis", "1.5")),
        ({"weight": np.ones(4), "axis": "1"}, TypeError, (fname, "axis")),
        ({"weight": np.ones(4), "axis": None}, TypeError, (fname, "axis")),
    )


def _reduction_bad(fname):
    """axis: an int, a tuple of distinct ints or None, within x's dimensions; flags are bools."""
    return (
        ({"axis": 5}, np.exceptions.AxisError, (fname, "axis", "5")),
        ({"axis": -2}, np.exceptions.AxisError, (fname, "axis", "-2")),
        ({"axis": 1.5}, TypeError, (fname, "axis", "1.5")),
        ({"axis": "0"}, TypeError, (fname, "axis")),
        ({"axis": (0, 0)}, ValueError, (fname, "axis", "(0, 0)")),
        ({"axis": (0, 3)}, np.exceptions.AxisError, (fname, "axis", "3")),
    )


def _flag_bad(fname, pname):
    return (({pname: "yes"}, TypeError, (fname, pname, "yes")),
            ({pname: 2}, TypeError, (fname, pname, "2")),
            ({pname: None}, TypeError, (fname, pname, "None")))


ROWS = {row.name: row for row in [
    Row("relu", exact=True),
    Row("relu6", exact=True),
    Row("hardtanh", params={"min_val": -0.5, "max_val": 2.0}, exact=True, bad=_hardtanh_bad("hardtanh"),
        array_params=("min_val", "max_val")),
    Row("threshold", params={"threshold": 0.5, "value": -3.0}, exact=True,
        bad=_not_nan_bad("threshold", "threshold") + (
            ({"value": "v"}, TypeError, ("threshold", "value")),
            ({"value": None}, TypeError, ("threshold", "value")),
            ({"value": np.array([1j])}, TypeError, ("threshold", "value"))),
        array_params=("threshold", "value")),
    Row("leaky_relu", params={"negative_slope": 0.2}, exact=True,
        bad=_nan_inf_bad("leaky_relu", "negative_slope"), array_params=("negative_slope",)),
    Row("prelu", weight=True, exact=True, bad=_weight_bad("prelu")),
    Row("relu_grad", grad=True, params={"at_zero": 0.5}, exact=True,
        bad=_nan_inf_bad("relu_grad", "at_zero"), array_params=("at_zero",)),
    Row("relu6_grad", grad=True, exact=True),
    Row("hardtanh_grad", grad=True, params={"min_val": -0.5, "max_val": 2.0}, exact=True,
        bad=_hardtanh_bad("hardtanh_grad"), array_params=("min_val", "max_val")),
    Row("threshold_grad", grad=True, params={"threshold": 0.5}, exact=True,
        bad=_not_nan_bad("threshold_grad", "threshold") + (
            ({"threshold": None}, TypeError, ("threshold_grad", "threshold")),),
        array_params=("threshold",)),
    Row("leaky_relu_grad", grad=True, params={"negative_slope": 0.2}, exact=True,
        bad=_nan_inf_bad("leaky_relu_grad", "negative_slope"), array_params=("negative_slope",)),
    Row("prelu_grad", grad=True, weight=True, has_out=False, nout=2, exact=True,
        bad=_weight_bad("prelu_grad")),
    # The smooth family: parameters and their constraints. The functions without
    # parameters (selu, sigmoid, silu, mish, ...) get rows derived from their signatures.
    *[Row(name, grad=name.endswith("_grad"), params={"alpha": 0.75}, quiet_x="moderate",
          bad=_nan_inf_bad(name, "alpha", ((({"alpha": -0.5}, ValueError, (name, "alpha", "-0.5")),))),
          array_params=("alpha",))
      for name in ("elu", "elu_grad")],
    *[Row(name, grad=name.endswith("_grad"), params={"alpha": 0.75}, quiet_x="moderate",
          bad=_nan_inf_bad(name, "alpha", (({"alpha": 0.0}, ValueError, (name, "alpha", "0")),
                                           ({"alpha": -1.0}, ValueError, (name, "alpha", "-1")))),
          array_params=("alpha",))
      for name in ("celu", "celu_grad")],
    *[Row(name + variant, grad=name.endswith("_grad"), params=params, quiet_x="moderate",
          bad=_nan_inf_bad(name, "beta", (({"beta": 0.0}, ValueError, (name, "beta", "0")),
                                          ({"beta": -2.0}, ValueError, (name, "beta", "-2")),
                                          ({"threshold": np.nan}, ValueError, (name, "threshold", "nan")),
                                          ({"threshold": "t"}, TypeError, (name, "threshold")))),
          array_params=("beta",))
      for name in ("softplus", "softplus_grad")
      for variant, params in (("", {"beta": 1.5}), (":threshold", {"beta": 2.0, "threshold": 3.0}))],
    # The fused epilogue and the diagnostics
    Row("bias_act", bias=True, bad=(
        ({"activation": "nope"}, ValueError, ("bias_act", "activation", "nope", "relu", "elu")),
        ({"activation": "relu_grad"}, ValueError, ("bias_act", "activation", "relu_grad")),
        ({"activation": 3}, ValueError, ("bias_act", "activation", "3")),
        ({"activation": "elu", "alpha": -1.0}, ValueError, ("bias_act", "elu", "alpha", "-1")),
        ({"activation": "leaky_relu", "negative_slope": np.nan}, ValueError, ("bias_act", "negative_slope", "nan")),
        ({"activation": "gelu", "approximate": "x"}, ValueError, ("bias_act", "approximate")),
        ({"activation": None, "alpha": 1.0}, TypeError, ("bias_act", "alpha", "activation")),
        ({"bias": np.ones(3)}, ValueError, ("bias_act", "bias", "3")),
        ({"bias": np.ones((1, 4))}, ValueError, ("bias_act", "bias", "shape")),
        ({"bias": np.ones(4, complex)}, TypeError, ("bias_act", "bias", "complex")),
        ({"bias": "b"}, TypeError, ("bias_act", "bias")),
        ({"axis": 1}, np.exceptions.AxisError, ("bias_act", "axis", "1")),
        ({"axis": 0.5}, TypeError, ("bias_act", "axis")))),
    Row("bias_act:leaky", bias=True, params={"activation": "leaky_relu", "negative_slope": 0.2}),
    Row("bias_act:elu", bias=True, params={"activation": "elu", "alpha": 0.5}, quiet_x="moderate"),
    Row("linear", bias=True, matrix=True, has_out=False, quiet_x="moderate", params={"activation": "relu"}, bad=(
        ({"activation": "nope"}, ValueError, ("linear", "activation", "nope", "relu")),
        ({"bias": np.ones(3)}, ValueError, ("linear", "bias", "3")),
        ({"bias": np.ones((1, 1))}, ValueError, ("linear", "bias", "shape")),
        ({"activation": "elu", "alpha": -1.0}, ValueError, ("linear", "elu", "alpha", "-1")))),
    Row("active_fraction", has_out=False, reduces=True,
        bad=(({"axis": 1}, np.exceptions.AxisError, ("active_fraction", "axis", "1")),
             ({"axis": "a"}, TypeError, ("active_fraction", "axis")),
             ({"axis": (0, 0)}, ValueError, ("active_fraction", "axis")))),
    Row("dead_units", has_out=False, reduces=True,
        bad=(({"axis": 1}, np.exceptions.AxisError, ("dead_units", "axis", "1")),
             ({"axis": -2}, np.exceptions.AxisError, ("dead_units", "axis", "-2")))),
    # The randomized rectifiers (a fixed seed: every call of a row gives the same bits)
    Row("rrelu", params={"lower": 0.1, "upper": 0.3, "training": True, "seed": 1234}, positional=True,
        bad=_rrelu_bad({"training": True, "seed": 1234})),
    Row("rrelu:eval", params={"lower": 0.1, "upper": 0.3}, exact=False,
        bad=_rrelu_bad({"training": False})),
    # x is rrelu's noise, a multiplier: moderate values (huge ones times grad overflow for real)
    Row("rrelu_grad", grad=True, exact=True, quiet_x="moderate"),
    Row("noisy_relu", params={"sigma": 0.5, "seed": 99}, quiet_x="moderate", positional=True,
        bad=_noisy_relu_bad({"seed": 99})),
    Row("noisy_relu:sigmoid", params={"sigma": "sigmoid", "seed": 5}, quiet_x="moderate", positional=True),
    Row("noisy_relu_grad", grad=True, params={"noise": 0.25}, quiet_x="moderate",
        bad=(({"noise": "n"}, TypeError, ("noisy_relu_grad", "noise")),
             ({"noise": np.ones(4, complex)}, TypeError, ("noisy_relu_grad", "noise", "complex")))),
    *[Row(name + variant, grad=name.endswith("_grad"), params=params, quiet_x="moderate",
          bad=(({"approximate": "foo"}, ValueError, (name, "approximate", "foo")),
               ({"approximate": None}, ValueError, (name, "approximate", "None")),
               ({"approximate": 1}, ValueError, (name, "approximate", "1"))))
      for name in ("gelu", "gelu_grad")
      for variant, params in (("", {}), (":tanh", {"approximate": "tanh"}))],
    # The reductions. logsumexp keeps the reduced axis so that its result is an
    # array (reversible, guardable); "weighted" takes SciPy's b (the NumPy float64 path).
    *[Row(name + variant, params=params, reduction=True, quiet_x="narrow",
          bad=_reduction_bad(name) + _flag_bad(name, "include_zero"))
      for name in ("softmax", "log_softmax", "softmin")
      for variant, params in (("", {}), (":include_zero", {"include_zero": True}))],
    *[Row("logsumexp" + variant, params={"axis": -1, "keepdims": True, **params}, has_out=False,
          reduction=True, quiet_x="narrow",
          bad=_reduction_bad("logsumexp") + _flag_bad("logsumexp", "include_zero")
          + _flag_bad("logsumexp", "keepdims") + _flag_bad("logsumexp", "return_sign"))
      for variant, params in (("", {}), (":include_zero", {"include_zero": True}), (":weighted", {"b": 2.0}))],
    Row("logsumexp_grad", grad=True, grad_shape="reduced", params={"axis": -1}, reduction=True,
        quiet_x="narrow", bad=_reduction_bad("logsumexp_grad") + _flag_bad("logsumexp_grad", "include_zero")),
    Row("logsumexp_grad:include_zero", grad=True, grad_shape="reduced", params={"axis": -1, "include_zero": True},
        reduction=True, quiet_x="narrow"),
    *[Row(name, grad=True, reduction=True, quiet_x="narrow", bad=_reduction_bad(name))
      for name in ("softmax_grad", "log_softmax_grad", "softmin_grad")],
]}


def public_names():
    """Every kernel function rectifier exports."""
    return [n for n in rectifier.__all__ if n not in NOT_KERNELS and callable(getattr(rectifier, n))]


def _derived_row(name):
    """A row made from the signature, or None when a parameter has no default."""
    try:
        sig = inspect.signature(getattr(rectifier, name))
    except (TypeError, ValueError):
        return None
    names = list(sig.parameters)
    rest = [p for p in sig.parameters.values() if p.name not in ("x", "grad", "out")]
    if names[:1] != ["x"] or any(p.default is inspect.Parameter.empty for p in rest):
        return None
    return Row(name, grad="grad" in sig.parameters, has_out="out" in sig.parameters,
               quiet_x="moderate", derived=True)


def row(name):
    """The (first) row of public function `name`, derived from its signature if not written
    above; None if rectifier has no such function or it needs a row written."""
    if name not in public_names():
        return None
    return ROWS.get(name) or _derived_row(name)


def rows(include_unimplemented=False):
    """Every row (variants included) of every public function that has one. A row whose call
    raises NotImplementedError (work in progress) is left out unless include_unimplemented."""
    out = []
    for name in public_names():
        written = [r for r in ROWS.values() if r.function == name]
        out += written or [r for r in [_derived_row(name)] if r is not None]
    return out if include_unimplemented else [r for r in out if implemented(r)]


def implemented(row):
    try:
        with np.errstate(all="ignore"):
            call(row, operands(row, np.linspace(-1, 1, 4)))
    except NotImplementedError:
        return False
    return True


# ---- values -----------------------------------------------------------------------------------

def data(dtype, n, seed=0):
    """n values of every kind: special values first, cycled through the lanes, then random ones."""
    dtype = np.dtype(dtype)
    info = np.finfo(dtype)
    specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, info.smallest_subnormal,
                         -info.smallest_subnormal, info.max, -info.max, 1.0, -1.0, 6.0, 0.5, -0.5,
                         2.0, -3.0, 0.25, 7.0], dtype)
    rng = np.random.default_rng(seed * 1000 + n)
    x = (rng.standard_normal(n) * 4).astype(dtype)
    k = min(n, len(specials))
    x[:k] = np.roll(specials, n)[:k]
    return x


def quiet_values(row, dtype, n, role="x"):
    """n values whose required operations raise no floating-point flag (see Row.quiet_x)."""
    dtype = np.dtype(dtype)
    if row.quiet_x == "exact" and role == "x":
        info = np.finfo(dtype)
        with np.errstate(invalid="ignore"):
            neg_nan = -np.array(np.nan, dtype)
        # no negative subnormals: a slope times one underflows, a real flag
        pool = np.array([np.nan, neg_nan, np.inf, -np.inf, 0.0, -0.0, info.smallest_subnormal,
                         info.max, info.max / 2, -info.max / 16, 1.0, -1.0, 6.0, -6.0, 0.5, -0.5,
                         2.0, -3.0, 5.5, 7.0, -1e3 if dtype != np.float16 else -1e2], dtype)
    elif row.quiet_x == "exact":   # a gradient: finite, no subnormal, not so big that x * grad overflows
        pool = np.array([1.0, -1.0, 2.0, 0.5, -0.25, 3.0, -7.0], dtype)
    elif row.quiet_x == "narrow":  # reductions: a spread of 1, so that no softmax of up to 300
        # elements is subnormal in float16 (an underflow there would be a real flag)
        pool = np.array([0.0, -0.0, 0.25, -0.25, 0.5, -0.5], dtype)
    else:
        pool = np.array([0.0, -0.0, 0.25, -0.25, 1.0, -1.0, 1.5, -1.5, 2.0, -2.0, 3.0, -3.0], dtype)
    rng = np.random.default_rng(n + (7 if role == "grad" else 0))
    return pool[(np.arange(n) + rng.integers(0, len(pool))) % len(pool)]


def weights_for(dtype, channels):
    """One slope per channel (zero and -0.0 slopes among them), in the compute type's width."""
    wdt = np.float64 if np.dtype(dtype) == np.float64 else np.float32
    w = np.linspace(-0.75, 1.5, channels).astype(wdt)
    if channels > 2:
        w[1], w[2] = 0.0, -0.0
    return w


def shaped(row, x):
    """x as the function's data: (1, n) for prelu and prelu_grad, (n, 1) for linear, else
    unchanged."""
    return x.reshape(1, -1) if row.weight else x.reshape(-1, 1) if row.matrix else x


def operands(row, x, grad=None, weight=None):
    """The array operands of one call of `row` on 1-D data x, as a dict (x, grad, weight)."""
    ops = {"x": shaped(row, x)}
    if row.grad and row.grad_shape == "reduced":
        ops["grad"] = grad if grad is not None and grad.shape == (1,) else data(x.dtype, 1, seed=5)[::-1] * 0 + x.dtype.type(1.5)
    elif row.grad:
        ops["grad"] = shaped(row, grad if grad is not None else data(x.dtype, x.size, seed=5))
    if row.weight:
        ops["weight"] = weight if weight is not None else weights_for(x.dtype, x.size)
    if row.matrix:
        ops["matrix"] = np.full((1, 1), -0.75, x.dtype)
        ops["bias"] = np.full(1, 0.25, x.dtype)
    elif row.bias:
        ops["bias"] = np.linspace(-1.5, 1.5, x.size).astype(x.dtype)
    return ops


def keyword_operands(ops):
    """The operands of `operands` but x, by the keyword the function takes them by."""
    names = {"grad": "grad", "weight": "weight", "bias": "bias", "matrix": "weight"}
    return {names[k]: v for k, v in ops.items() if k in names}


def call(row, ops, out=None, **override):
    """rectifier.<row.name> on the operands of `operands`, the row's parameters, and out."""
    kwargs = {**row.params, **override}
    keywords = keyword_operands(ops)
    if "bias" in override:    # (a bad bias is a parameter override)
        keywords.pop("bias", None)
    kwargs.update(keywords)
    if out is not None:
        kwargs["out"] = out
    return getattr(rectifier, row.function)(ops["x"], **kwargs)


def result_dtype(x_dtype):
    dt = np.dtype(x_dtype)
    return dt if dt.kind == "f" else np.dtype(np.float64)


# ---- the ufuncs -------------------------------------------------------------------------------

def ufunc_names():
    return list(rectifier.ufuncs.__all__)


def ufunc_loop(uf, dtype):
    """(input dtypes, output dtypes) of the ufunc's loop for data of `dtype`."""
    char = np.dtype(dtype).char
    for types in uf.types:
        ins, outs = types.split("->")
        if ins[0] == char:
            return [np.dtype(c) for c in ins], [np.dtype(c) for c in outs]
    raise LookupError(f"{uf.__name__} has no loop for {np.dtype(dtype)}: {uf.types}")


def ufunc_operand_names(name):
    """Names of the ufunc's inputs: x, then the public function's parameters in order."""
    uf = getattr(rectifier.ufuncs, name)
    names = ["x"]
    try:
        sig = inspect.signature(getattr(rectifier, name))
        names += [p for p in sig.parameters if p not in ("x", "out", "axis")]
    except (AttributeError, TypeError, ValueError):
        pass
    while len(names) < uf.nin:
        names.append("grad" if name.endswith("_grad") and len(names) == 1 else f"p{len(names)}")
    return names[:uf.nin]


def ufunc_operand_values(name, dtype, n, kind="data"):
    """One array of n elements per ufunc input (in the loop's dtype): x, grad and weight get data
    (or quiet values when kind='quiet'), a scalar parameter its row's value or default (or 1.0)."""
    uf = getattr(rectifier.ufuncs, name)
    in_types, _ = ufunc_loop(uf, dtype)
    r = row(name) or Row(name, quiet_x="moderate")
    defaults = {}
    try:
        defaults = {p.name: p.default for p in inspect.signature(getattr(rectifier, name)).parameters.values()
                    if p.default is not inspect.Parameter.empty}
    except (AttributeError, TypeError, ValueError):
        pass
    values = []
    for i, (opname, dt) in enumerate(zip(ufunc_operand_names(name), in_types)):
        if opname in ("x", "grad"):
            v = quiet_values(r, dt, n, role=opname) if kind == "quiet" else data(dt, n, seed=i)
        elif opname == "weight":
            v = weights_for(dtype, max(n, 3))[:n].astype(dt)
        else:
            p = r.params.get(opname, defaults.get(opname, 1.0))
            v = np.full(n, 1.0 if p is None else p, dt)
        values.append(v.astype(dt))
    return values
