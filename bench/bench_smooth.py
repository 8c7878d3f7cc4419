"""Benchmark of the smooth rectifiers (float32, one thread): rectifier against PyTorch's CPU
functions, the best NumPy/SciPy composition, and np.copyto of the same array (the memory ceiling),
all in one process, interleaved, medians. Prints ratios: peer time / our time (> 1: we are faster).

    python bench/bench_smooth.py [--sizes 64K,16M] [--quick] [--path scalar|avx2] [--no-torch]

Never run it under qemu.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import _timing as T  # noqa: E402

import rectifier as r  # noqa: E402

try:
    import scipy.special as sp
except ImportError:  # the NumPy compositions below do without it
    sp = None

# name: (ours with out=, NumPy/SciPy composition, torch (allocating; its functions have no out=))
CASES = {
    "elu": ("r.elu(x, out=o)", "np.where(x > 0, x, np.expm1(np.minimum(x, 0)))", "F.elu(t)"),
    "softplus": ("r.softplus(x, out=o)", "np.logaddexp(x, 0, out=o)", "F.softplus(t)"),
    "sigmoid": ("r.sigmoid(x, out=o)", "sp.expit(x, out=o)" if sp else "np.exp(-np.logaddexp(0, -x))",
                "torch.sigmoid(t)"),
    "log_sigmoid": ("r.log_sigmoid(x, out=o)", "sp.log_expit(x, out=o)" if sp else "-np.logaddexp(0, -x)",
                    "F.logsigmoid(t)"),
    "silu": ("r.silu(x, out=o)", "np.multiply(x, sp.expit(x), out=o)" if sp else "x / (1 + np.exp(-x))",
             "F.silu(t)"),
    "gelu": ("r.gelu(x, out=o)", "np.multiply(x, sp.ndtr(x), out=o)" if sp else None, "F.gelu(t)"),
    "gelu_tanh": ("r.gelu(x, approximate='tanh', out=o)", None, "F.gelu(t, approximate='tanh')"),
    "mish": ("r.mish(x, out=o)", "x * np.tanh(np.logaddexp(x, 0))", "F.mish(t)"),
    "selu": ("r.selu(x, out=o)", None, "F.selu(t)"),
    "hardswish": ("r.hardswish(x, out=o)", "x * np.clip(x + 3, 0, 6) / 6", "F.hardswish(t)"),
}


def main(argv=None):
    ap = T.peer_parser(__doc__)
    ap.add_argument("--sizes", default="64K,16M")
    opts = ap.parse_args(argv)
    status, torch, min_time, repeat, info = T.start_peer_run("bench_smooth", opts, repeat=7)
    if status:
        return status
    print(f"rectifier smooth functions, float32, one thread; path {r.capabilities()['active']}; "
          f"{info['cpu']}, NumPy {info['numpy']}, torch {info['torch']}")
    print(f"{'size':>5} {'function':12} {'ours':>10} {'Gelem/s':>8} {'copyto':>7} {'numpy':>7} {'torch':>7}")
    for size in [T.parse_size(s) for s in opts.sizes.split(",")]:
        rng = np.random.default_rng(0)
        x = (rng.standard_normal(size) * 4).astype(np.float32)
        ns = {"r": r, "np": np, "sp": sp, "x": x, "o": np.empty_like(x), "dst": np.empty_like(x)}
        if torch is not None:
            ns.update(torch=torch, F=torch.nn.functional, t=torch.from_numpy(x))
        for name, (ours, numpy_stmt, torch_stmt) in CASES.items():
            stmts = {"ours": ours, "copyto": "np.copyto(dst, x)"}
            if numpy_stmt:
                stmts["numpy"] = numpy_stmt
            if torch is not None:
                stmts["torch"] = torch_stmt
            with np.errstate(all="ignore"):
                stats = T.compare(stmts, ns, min_time=min_time, repeat=repeat)
            mine = stats["ours"].median
            ratio = {k: (stats[k].median / mine if k in stats else None) for k in ("copyto", "numpy", "torch")}
            print(f"{T.fmt_size(size):>5} {name:12} {T.fmt_time(mine):>10} {size / mine / 1e9:8.2f} "
                  + " ".join(f"{T.fmt_ratio(ratio[k]):>7}" for k in ("copyto", "numpy", "torch")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
