"""bench/op_counts.py, the static instruction counts quoted beside the benchmarks: it finds the
unrolled main loop of a kernel and divides by the vectors it stores, so relu (a load, a compare, a
masked move and a store per vector, plus its share of the loop's counter) comes out at a handful, relu6
a little more, and a transcendental function far above both."""
import os
import shutil
import sys

import pytest

from conftest import TESTED_PATHS

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")
sys.path.insert(0, BENCH)
import op_counts  # noqa: E402  (bench/ is not a package)
sys.path.remove(BENCH)

pytestmark = pytest.mark.skipif(not (shutil.which("objdump") and shutil.which("nm")),
                                reason="needs binutils (objdump, nm)")


@pytest.mark.parametrize("path", [p for p in ("avx2", "avx512") if p in TESTED_PATHS])
def test_counts_of_known_loops(path):
    counts = op_counts.rectifier_counts(["relu", "relu6", "sigmoid"], [path])
    (relu, relu_arith), (relu6, relu6_arith) = counts["relu", path], counts["relu6", path]
    # a compare and a masked move (the load and the store are not arithmetic), then twice that
    assert 3 <= relu <= 8 and relu_arith == 2
    assert relu < relu6 <= relu + 3 and relu6_arith == 4
    assert counts["sigmoid", path][1] > 10 * relu_arith
