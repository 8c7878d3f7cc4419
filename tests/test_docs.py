"""Every code block of README.md and docs/*.md runs, so that none can go stale:

- ```python blocks run in order, one namespace per page (a later block may use an earlier one's
  names), from an empty directory, against the rectifier under test;
- a ```cython block is an extension module: the ```python block after it that calls cythonize is
  its setup.py; the module is built and its ``run`` called (docs/cython.md);
- ```bash blocks hold commands that .ci/run runs, character for character (installing, the demo,
  the test suite), so CI runs them;
- ```text blocks are output or listings, not code. A block in any other language, or in none,
  fails here: say what it is, and this test runs it.
"""
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import rectifier
from conftest import require_module

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```\s*$", re.S | re.M)
KNOWN = {"python", "cython", "bash", "text"}

if not (ROOT / "README.md").exists() or not (ROOT / ".ci" / "run").exists():
    pytest.skip("the README and .ci/run are not beside these tests (a copy of tests/ alone)",
                allow_module_level=True)


def blocks(page):
    """(language, code) of every fenced code block of a Markdown page, in order (Sphinx directives
    such as ```{toctree} are not code)."""
    return [(m.group(1).strip(), m.group(2)) for m in FENCE.finditer(page.read_text())
            if not m.group(1).strip().startswith("{")]


def page_id(page):
    return str(page.relative_to(ROOT))


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_block_is_in_a_known_language(page):
    unknown = [lang or "(none)" for lang, _ in blocks(page) if lang not in KNOWN]
    assert not unknown, f"{page_id(page)}: code blocks in {unknown}; use one of {sorted(KNOWN)}"


@pytest.mark.parametrize("page", [p for p in PAGES if any(lang == "python" for lang, _ in blocks(p))],
                         ids=page_id)
def test_python_blocks_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = rectifier.capabilities()["enabled"]
    namespace = {"__name__": "__docs__"}
    try:
        for n, (lang, code) in enumerate(blocks(page)):
            if lang != "python" or "cythonize(" in code:  # a setup.py: test_cython_blocks_build
                continue
            try:
                exec(compile(code, f"{page_id(page)} block {n}", "exec"), namespace)
            except Exception as e:
                raise AssertionError(f"{page_id(page)}, code block {n} fails:\n{code}") from e
    finally:
        rectifier.set_capabilities(before)


CI_RUN = (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("page", [p for p in PAGES if any(lang == "bash" for lang, _ in blocks(p))],
                         ids=page_id)
def test_shell_commands_are_run_by_ci(page):
    for lang, code in blocks(page):
        if lang != "bash":
            continue
        for line in code.splitlines():
            line = line.split("  #")[0].strip()
            if line and not line.startswith("#"):
                assert re.search(rf"^\s*{re.escape(line)}\s*$", CI_RUN, re.M), \
                    f"{page_id(page)}: `{line}` is not a command of .ci/run, so nothing checks it"


CYTHON_PAGES = [p for p in PAGES if any(lang == "cython" for lang, _ in blocks(p))]


@pytest.mark.slow
@pytest.mark.parametrize("page", CYTHON_PAGES, ids=page_id)
def test_cython_blocks_build(page, tmp_path):
    require_module("Cython")
    found = blocks(page)
    for n, (lang, code) in enumerate(found):
        if lang != "cython":
            continue
        setup = next((c for lg, c in found[n + 1:] if lg == "python" and "cythonize(" in c), None)
        assert setup is not None, f"{page_id(page)}: no setup.py (a python block calling cythonize) after the cython block"
        module = re.search(r'Extension\("(\w+)"', setup).group(1)
        (tmp_path / f"{module}.pyx").write_text(code)
        (tmp_path / "setup.py").write_text(setup)
        # the rectifier under test must be the one Cython and the module find
        env = dict(os.environ, PYTHONPATH=str(Path(rectifier.__file__).resolve().parent.parent))
        build = subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace"], cwd=tmp_path,
                               capture_output=True, text=True, timeout=300, env=env)
        assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
        call = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
            import numpy as np, {module}
            x = np.array([-1, 2, -0.0, np.nan], np.float32); out = np.zeros(4, np.float32)
            x64 = np.array([-1.0, 2.0]); g64 = np.array([4.0, 4.0]); out64 = np.zeros(2)
            print({module}.run(x, out, x64, g64, out64), out.tolist(), out64.tolist())
        """)], cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env)
        assert call.returncode == 0, call.stderr
        # relu: +0.0 for -1 and -0.0, NaN kept; leaky_relu_grad: 0.5 * 4 below zero, 4 above
        assert call.stdout.strip() == "(0, 0, -1) [0.0, 2.0, 0.0, nan] [2.0, 4.0]"


def test_the_pages_name_no_missing_file():
    """Every relative link of the README and the pages points at a file of the repository."""
    missing = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            if not (page.parent / target).exists():
                missing.append(f"{page_id(page)} -> {target}")
    assert not missing, missing


def test_docstring_examples_run():
    """The Examples of the public docstrings (doctest), so that the API reference cannot go stale."""
    import doctest
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    ran = 0
    for name in rectifier.__all__:
        doc = getattr(getattr(rectifier, name), "__doc__", None) or ""
        test = parser.get_doctest(doc, {}, f"rectifier.{name}", None, 0)
        if test.examples:
            runner.run(test)
            ran += len(test.examples)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples fail (above)"
    assert ran > 0, "no docstring has an example"
