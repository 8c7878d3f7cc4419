"""SciPy's own tests of logsumexp, softmax, log_softmax, expit and log_expit, run against
rectifier's functions (scipy_as_rectifier.py swaps them in) in a pytest process of their own."""
import importlib.util
import os
import re
import subprocess
import sys

import pytest

import rectifier

SCIPY_TEST_MODULES = ["scipy.special.tests.test_logsumexp", "scipy.special.tests.test_logit"]


@pytest.mark.slow
def test_scipy_own_tests_pass_against_rectifier(tmp_path):
    missing = [m for m in SCIPY_TEST_MODULES if importlib.util.find_spec(m) is None]
    assert not missing, f"this SciPy was installed without its tests: {missing}"
    here = os.path.dirname(os.path.abspath(__file__))
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(rectifier.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([here, package_root, os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "scipy_as_rectifier", "-p", "no:cacheprovider",
                          "-q", "-rfEs", "--pyargs", *SCIPY_TEST_MODULES],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    report = run.stdout[-6000:] + run.stderr[-3000:]
    assert run.returncode == 0, report
    bindings = re.search(r"rectifier's functions bound in SciPy's test modules: (\d+)", run.stdout)
    assert bindings and int(bindings.group(1)) >= len(SCIPY_TEST_MODULES), report
    passed = int(re.search(r"(\d+) passed", run.stdout).group(1))
    assert passed >= 60, report   # 69 with SciPy 1.17
    reasons = set(re.findall(r"SKIPPED \[\d+\] \S+?: (.*)", run.stdout))
    assert all(r.startswith("out of scope: ") for r in reasons), reasons
