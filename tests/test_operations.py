"""The hidden-list test: every place that lists the elementwise operations agrees with the table
of operations (src/rectifier/_operations.py).

Adding an operation is its row in the table, its kernel body (src/kernels) and its reference
(tests/reference.py); a list anywhere else that misses it fails here.
"""
import importlib.util
import inspect
import re
import sys
from pathlib import Path

import pytest

import rectifier
import rectifier.ufuncs
import reference
from rectifier import _core, _operations as table

ROOT = Path(__file__).resolve().parent.parent
KERNEL_NAMES = [n for op in table.OPS for n in (op.name, op.name + "_grad")]
FORWARD_PUBLIC = [op.name for op in table.OPS if op.wrapper != "ufunc"]


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _source(relative):
    path = ROOT / relative
    if not path.exists():
        pytest.skip(f"{relative} is not beside these tests (a copy of tests/ alone)")
    return path.read_text()


def test_the_generated_files_are_up_to_date():
    if not (ROOT / "tools" / "generate_operations.py").exists():
        pytest.skip("tools/ is not beside these tests")
    generator = _load(ROOT / "tools" / "generate_operations.py", "generate_operations")
    assert generator.stale() == [], "run python tools/generate_operations.py"


def test_the_c_lists_hold_every_kernel_once():
    text = _source("include/rectifier/operations.h")
    listed = re.findall(r"X\((\w+)\)", text)
    expected = KERNEL_NAMES + [n for ex in table.EXTRA_GRAD_KERNELS.values() for n in ex]
    assert sorted(listed) == sorted(expected + list(table.RANDOM_KERNELS) + list(table.GATED_KERNELS))
    assert len(listed) == len(set(listed))


def test_the_ufuncs_are_the_tables():
    assert sorted(_core.UFUNCS) == sorted(table.UFUNC_NAMES + table.OTHER_UFUNCS)
    assert sorted(rectifier.ufuncs.__all__) == sorted(_core.UFUNCS)
    for name, uf in _core.UFUNCS.items():
        assert getattr(rectifier.ufuncs, name) is uf
        assert uf.__name__ == name


def test_the_public_functions_are_the_tables():
    for name in table.PUBLIC_NAMES + tuple(table.ALIASES) + table.OTHER_ELEMENTWISE:
        assert name in rectifier.__all__ and callable(getattr(rectifier, name)), name
    for alias, target in table.ALIASES.items():
        assert getattr(rectifier, alias) is getattr(rectifier, target)
    # nothing elementwise outside the table: every public kernel function is a row, an alias,
    # or one of the listed others
    kernels = {n for n in rectifier.__all__ if n in _core.UFUNCS or n + "_grad" in _core.UFUNCS}
    assert kernels <= set(table.PUBLIC_NAMES) | set(table.ALIASES) | set(table.OTHER_ELEMENTWISE)


@pytest.mark.parametrize("op", table.OPS, ids=[op.name for op in table.OPS])
def test_the_signatures_are_the_tables(op):
    if op.wrapper == "ufunc":
        assert not hasattr(rectifier, op.name)
        return
    for name, params, grad in ((op.name, op.params, False),
                               (op.name + "_grad", table.grad_params(op), True)):
        sig = inspect.signature(getattr(rectifier, name))
        names = [p for p in sig.parameters if p not in ("x", "grad", "out", "approximate")]
        assert names == [p.name for p in params], name
        for p in params:
            default = sig.parameters[p.name].default
            expected = inspect.Parameter.empty if p.default is table.REQUIRED else p.default
            assert default == expected or (default is None and expected is None), (name, p.name)
        assert ("grad" in sig.parameters) == grad


def test_the_stubs_name_every_public_function():
    stubs = _source("src/rectifier/__init__.pyi")
    defined = set(re.findall(r"^def (\w+)\(", stubs, re.M))
    missing = [n for n in rectifier.__all__ if callable(getattr(rectifier, n)) and n not in defined
               and not isinstance(getattr(rectifier, n), type(rectifier))]
    assert missing == []
    ufunc_stubs = set(re.findall(r"^(\w+): np\.ufunc$", _source("src/rectifier/ufuncs.pyi"), re.M))
    assert ufunc_stubs == set(_core.UFUNCS)


def test_the_cimportable_api_covers_every_kernel():
    pxd = _source("src/rectifier/_core.pxd")
    declared = set(re.findall(r"^cdef int (\w+)\(", pxd, re.M))
    assert {f"{n}_{d}" for n in KERNEL_NAMES for d in ("f32", "f64")} <= declared


def test_every_ufunc_has_a_reference():
    assert [n for n in table.UFUNC_NAMES if not callable(getattr(reference, n, None))] == []


def test_the_neon_run_covers_every_kernel():
    import test_neon_qemu
    covered = {case[0] for case in test_neon_qemu.CASES}
    assert [n for n in table.UFUNC_NAMES if n not in covered] == []


def test_the_generated_docstrings_are_numpydoc():
    for op in table.OPS:
        if op.wrapper != "generated":
            continue
        for name in (op.name, op.name + "_grad"):
            doc = getattr(rectifier, name).__doc__
            for section in ("Parameters\n", "Returns\n", "Examples\n", ">>> "):
                assert section in doc, (name, section)
            assert not doc.lstrip().startswith(name + "("), name   # help() shows the signature once


def test_the_sweeps_and_benchmarks_cover_the_inexact_families():
    inexact = [op.name for op in table.OPS if op.family != "exact"]
    smooth = [op.name for op in table.OPS if op.family == "smooth"]
    accuracy = _source("bench/accuracy.py")
    funcs = accuracy[accuracy.index("FUNCS = {"):accuracy.index("]}", accuracy.index("FUNCS = {"))]
    bench = _source("bench/bench_smooth.py")
    elementwise = bench[bench.index("ELEMENTWISE = ["):bench.index("]", bench.index("ELEMENTWISE = ["))]
    assert [n for n in inexact if f'Func("{n}"' not in funcs] == []
    assert [n for n in smooth if f'"{n}"' not in elementwise] == []


def test_every_function_is_plotted_and_documented():
    _source("docs/plot_activations.py")
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        plot = _load(ROOT / "docs" / "plot_activations.py", "plot_activations")
    finally:
        sys.path.remove(str(ROOT / "docs"))
    assert [n for n in plot.unplotted() if n in FORWARD_PUBLIC] == []
    readme, functions = _source("README.md"), _source("docs/functions.md")
    assert [n for n in FORWARD_PUBLIC if f"`{n}" not in readme] == []
    assert [n for n in FORWARD_PUBLIC if f"`{n}" not in functions] == []
