"""The intra-op thread pool: speed-up of large calls, and the size below which one thread is faster.

    python bench/bench_threads.py [--threads 2] [--quick] [--json FILE]

float32, out= given (no allocation timed), one process. Two tables:
  1. scaling: gelu, sigmoid and relu at 16 elements, 64K, 1M and 16M, one thread against
     --threads threads (the pool at its default size threshold), interleaved medians;
  2. the threshold: the same functions at 16K to 1M elements with the threshold lowered so that
     every call is split, against one thread: where the split call starts to win is the size
     threshold (rectifier/_threads.py PARALLEL_MIN_ELEMENTS is elements per thread).
The machine's load average is printed with the results: on a shared machine the second thread
competes with other processes for the cores, so the speed-up measures the machine as much as
the pool.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import compare, fmt_size, fmt_time, machine_info, save_json, warm_cpu  # noqa: E402

import rectifier as rf  # noqa: E402
from rectifier import _core  # noqa: E402

FUNCTIONS = ("gelu", "sigmoid", "relu")


def load():
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def pair(fname, n, threads, repeat, min_time):
    x = np.random.default_rng(n).standard_normal(n).astype(np.float32)
    ns = {"f": getattr(rf, fname), "x": x, "o": np.empty_like(x), "s": _core._set_num_threads}
    stats = compare({"1": "s(1); f(x, out=o)", str(threads): f"s({threads}); f(x, out=o)"}, ns,
                    min_time=min_time, repeat=repeat)
    return stats["1"].median, stats[str(threads)].median


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json")
    opts = parser.parse_args()
    repeat, min_time = (5, 0.02) if opts.quick else (11, 0.05)
    before = rf.get_num_threads()
    warm_cpu()
    results = {"machine": machine_info(), "load_before": load(), "scaling": [], "threshold": []}
    print(f"load average before: {results['load_before']}")
    default_min = _core._get_parallel_min()
    print(f"\n1. scaling, 1 vs {opts.threads} threads (threshold {default_min} elements per thread)")
    print(f"| function | n | 1 thread | {opts.threads} threads | speed-up |")
    print("|---|---|---|---|---|")
    for fname in FUNCTIONS:
        for n in (16, 1 << 16, 1 << 20, 1 << 24):
            one, many = pair(fname, n, opts.threads, repeat if n < 1 << 24 else max(5, repeat // 2), min_time)
            results["scaling"].append({"function": fname, "n": n, "one_s": one, "many_s": many})
            print(f"| {fname} | {fmt_size(n)} | {fmt_time(one)} | {fmt_time(many)} | {one / many:.2f}x |")
    print(f"\n2. every call split ({opts.threads} threads, threshold lowered) against one thread")
    _core._set_parallel_min(1)
    print("| function | n | 1 thread | split | split / 1 thread |")
    print("|---|---|---|---|---|")
    for fname in FUNCTIONS:
        for n in (1 << 14, 1 << 15, 1 << 16, 1 << 17, 1 << 18, 1 << 19, 1 << 20):
            one, many = pair(fname, n, opts.threads, repeat, min_time)
            results["threshold"].append({"function": fname, "n": n, "one_s": one, "split_s": many})
            print(f"| {fname} | {fmt_size(n)} | {fmt_time(one)} | {fmt_time(many)} | {many / one:.2f} |")
    _core._set_parallel_min(default_min)
    rf.set_num_threads(before)
    results["load_after"] = load()
    print(f"\nload average after: {results['load_after']}")
    if opts.json:
        save_json(opts.json, results)


if __name__ == "__main__":
    main()
