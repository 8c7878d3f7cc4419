"""Each smooth derivative's time against its forward function's (float32, one thread, 64K by
default): the target is a ratio of at most 1.5.  The grad kernels take the incoming gradient too
(rectifier.<name>_grad(x, grad, out=)), so each reads two arrays and writes one.

    python bench/bench_grads.py [--size 64K] [--functions mish,gelu,...] [--repeat 9]

Inputs are bench_smooth.py's (normal, scale 4); every pair is measured interleaved in one process
(_timing.compare), medians of the samples; the machine's load average is printed with them.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _timing as T  # noqa: E402

import rectifier as r  # noqa: E402

FUNCTIONS = ["sigmoid", "silu", "gelu", "gelu_tanh", "elu", "celu", "selu", "softplus",
             "log_sigmoid", "mish", "hardswish", "hardsigmoid", "tanh"]
TARGET = 1.5


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="64K")
    ap.add_argument("--functions", default=",".join(FUNCTIONS))
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args(argv)
    reason = T.check_not_emulated()
    if reason:
        sys.exit(reason)
    n = T.parse_size(args.size)
    x = (np.random.default_rng(0).standard_normal(n) * 4).astype(np.float32)
    g = np.ones_like(x)
    out = np.empty_like(x)
    T.warm_cpu()
    load = " ".join(open("/proc/loadavg").read().split()[:3]) if os.path.exists("/proc/loadavg") else "?"
    print(f"{args.size} float32, one thread; load average {load}")
    print(f"{'function':<12} {'forward us':>10} {'grad us':>9} {'grad/fwd':>8}")
    over = []
    for name in args.functions.split(","):
        if name == "gelu_tanh":
            calls = {"f": lambda: r.gelu(x, approximate="tanh", out=out),
                     "g": lambda: r.gelu_grad(x, g, approximate="tanh", out=out)}
        else:
            fwd, grad = getattr(r, name), getattr(r, name + "_grad")
            calls = {"f": lambda: fwd(x, out=out), "g": lambda: grad(x, g, out=out)}
        stats = T.compare(calls, {}, repeat=args.repeat)
        ratio = stats["g"].median / stats["f"].median
        if ratio > TARGET:
            over.append(name)
        print(f"{name:<12} {stats['f'].median * 1e6:>10.1f} {stats['g'].median * 1e6:>9.1f} {ratio:>8.2f}"
              + ("  over" if ratio > TARGET else ""))
    print(f"over {TARGET}x: {', '.join(over) or 'none'}")


if __name__ == "__main__":
    main()
