"""A pytest plugin that runs SciPy's own tests of logsumexp, softmax, log_softmax, expit and
log_expit against rectifier: it puts rectifier's functions in scipy.special before SciPy's test
modules import them. Loaded by test_scipy_suite.py in a separate pytest process.

softmax and log_softmax get SciPy's default axis (None, all elements; rectifier's is -1, as
PyTorch's); nothing else is adapted. Out of scope, and skipped with the reason: complex inputs
and np.longdouble inputs (rectifier computes float16, float32 and float64)."""
import numpy as np
import pytest
import scipy.special
from scipy._lib._array_api import xp_capabilities_table

import rectifier


def _softmax(x, axis=None):
    return rectifier.softmax(x, axis=axis)


def _log_softmax(x, axis=None):
    return rectifier.log_softmax(x, axis=axis)


REPLACEMENTS = {"logsumexp": rectifier.logsumexp, "softmax": _softmax, "log_softmax": _log_softmax,
                "expit": rectifier.sigmoid, "log_expit": rectifier.log_sigmoid}

# Tests of the out-of-scope inputs that no parameter of theirs names (SciPy 1.17).
OUT_OF_SCOPE = {
    "test_gh21709_small_imaginary": "complex input",
    "test_large": "np.longdouble input (TestExpit: float32, float64 and longdouble)",
}

for name, replacement in REPLACEMENTS.items():
    original = getattr(scipy.special, name)
    if original in xp_capabilities_table:   # SciPy's decorators look the function up there
        xp_capabilities_table[replacement] = xp_capabilities_table[original]
    setattr(scipy.special, name, replacement)


def _is_complex(value):
    if isinstance(value, (complex, np.complexfloating)):
        return True
    if isinstance(value, str):
        return value.startswith("complex")
    return isinstance(value, type) and issubclass(value, np.complexfloating)


def pytest_collection_modifyitems(config, items):
    """Skips the out-of-scope cases, and checks that every test module calls rectifier's
    functions: a module that bound one of SciPy's originals is an error, not a silent pass."""
    modules = {item.module for item in items if getattr(item, "module", None) is not None}
    bound = 0
    for module in modules:
        for name, replacement in REPLACEMENTS.items():
            if hasattr(module, name):
                if getattr(module, name) is not replacement:
                    raise pytest.UsageError(f"{module.__name__}.{name} is not rectifier's")
                bound += 1
    config.rectifier_bindings = bound
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "complex" in item.name or any(_is_complex(v) for v in params.values()):
            item.add_marker(pytest.mark.skip(reason="out of scope: complex input"))
        elif item.originalname in OUT_OF_SCOPE:
            item.add_marker(pytest.mark.skip(reason="out of scope: " + OUT_OF_SCOPE[item.originalname]))


def pytest_terminal_summary(terminalreporter, config):
    terminalreporter.write_line("rectifier's functions bound in SciPy's test modules: "
                                f"{getattr(config, 'rectifier_bindings', 0)}")
