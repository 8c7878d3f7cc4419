"""bench/bench_smooth.py, the peer comparison: its scoring finds the errors it reports (ULPs over
normal results, flushed subnormals, NaN at the limits, a lost sign of zero), and a tiny run with
only NumPy as the peer writes its tables and picture. The peers themselves are optional."""
import os
import sys

import numpy as np

from conftest import require_module

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")
sys.path.insert(0, BENCH)
import bench_smooth  # noqa: E402  (bench/ is not a package; it needs only NumPy and rectifier)
sys.path.remove(BENCH)


def _inputs():
    return bench_smooth.accuracy_input("sigmoid", 1 << 20)


def test_score_of_the_reference_rounded_once_is_at_most_half_an_ulp():
    x = _inputs()
    ref = bench_smooth.reference("sigmoid", x)
    with np.errstate(all="ignore"):
        s = bench_smooth.score(x, ref.astype(np.float32), ref)
    assert s["max_ulp"] <= 0.5
    assert s["flushed"] == 0 and s["mismatches"] == {}
    assert s["subnormal_results"] > 0          # the sample reaches sigmoid's subnormal tail
    assert bench_smooth.tail_note(s) == "ok"


def test_score_finds_one_ulp_flushed_subnormals_nan_and_signed_zero():
    x = _inputs()
    ref = bench_smooth.reference("silu", x)
    with np.errstate(all="ignore"):
        y = ref.astype(np.float32)
        normal = np.isfinite(y) & (np.abs(y) >= np.finfo(np.float32).tiny)
        k = np.flatnonzero(normal & (np.abs(y) < 1))[0]
        y[k] = np.nextafter(y[k], np.float32(np.inf))     # 0.5 to 1.5 ULP off
        sub = np.isfinite(y) & (y != 0) & ~normal
        y[sub] = 0                                         # flush to zero
        y[np.isneginf(x)] = np.nan                         # the limit at -inf lost
        y[x == 0] = -y[x == 0]                             # silu(+-0) = +-0, swapped
        s = bench_smooth.score(x, y, ref)
    assert 0.5 < s["max_ulp"] <= 1.5
    assert s["flushed"] == s["subnormal_results"] > 0
    assert s["mismatches"]["nan"][0] == 1
    assert s["mismatches"]["sign0"][0] == 2
    note = bench_smooth.tail_note(s)
    assert "NaN x1" in note and "subnormals flushed" in note and "-0/+0 swapped x2" in note


def test_softmax_reference_keeps_the_largest_elements_log_softmax():
    x = np.array([[0.0, -40.0, -200.0]], np.float32)
    ls = bench_smooth.reference("log_softmax", x)
    # log_softmax of the largest element is -log1p(e^-40 + e^-200), about -4.25e-18: not 0
    assert ls[0, 0] < 0 and abs(float(ls[0, 0]) / -4.248354255291589e-18 - 1) < 1e-12
    assert abs(float(bench_smooth.reference("softmax", x).sum()) - 1) < 1e-15


def test_a_tiny_run_writes_both_tables_and_the_picture(tmp_path, capsys):
    require_module("matplotlib")
    md, png = tmp_path / "peers.md", tmp_path / "peers.png"
    status = bench_smooth.main(["--quick", "--sizes", "2K", "--stride", "16777259",
                                "--functions", "sigmoid,hardsigmoid,softmax", "--peers", "numpy",
                                "--markdown", str(md), "--png", str(png)])
    assert status == 0
    out = capsys.readouterr().out
    assert "2K elements" in out and "max ULP error" in out
    text = md.read_text()
    assert "<!-- begin default -->" in text and "| sigmoid |" in text and "| softmax (rows) |" in text
    rows = [line for line in text.splitlines() if line.startswith("| sigmoid |")]
    ulp_row = rows[-1].split("|")                      # the accuracy table comes last
    assert float(ulp_row[2]) <= 1.0                    # rectifier's own error, scored like a peer's
    assert png.stat().st_size > 10000
    # a second run of the same mode replaces its section instead of adding one
    bench_smooth.main(["--quick", "--sizes", "2K", "--stride", "0", "--functions", "sigmoid",
                       "--peers", "numpy", "--markdown", str(md)])
    assert md.read_text().count("<!-- begin default -->") == 1
