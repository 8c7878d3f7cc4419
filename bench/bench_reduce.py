"""Benchmark of the reductions (softmax, log_softmax, logsumexp and the gradients): rectifier against
PyTorch (one thread) and SciPy, all in one process, interleaved, medians. Prints each time and the
ratios peer time / our time (> 1: we are faster), and the axis=0 / axis=-1 time of our own calls.

    python bench/bench_reduce.py [--shapes 1024x1024,64x4096] [--dtype float32] [--quick]
                                 [--path PATH] [--no-torch]

The issue-5 targets (float32, (1024, 1024)): softmax and logsumexp over rows at least 2x
torch (one thread) and 5x SciPy; axis=0 within 1.5x of axis=-1. Never run it under qemu.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import _timing as T  # noqa: E402

import rectifier as r  # noqa: E402

try:
    import scipy.special as sp
except ImportError:
    sp = None

# name: (ours, SciPy, torch) for reductions along `ax` (x is C-ordered)
CASES = {
    "softmax": ("r.softmax(x, axis=ax)", "sp.softmax(x, axis=ax)", "torch.softmax(t, dim=ax)"),
    "log_softmax": ("r.log_softmax(x, axis=ax)", "sp.log_softmax(x, axis=ax)", "torch.log_softmax(t, dim=ax)"),
    "logsumexp": ("r.logsumexp(x, axis=ax)", "sp.logsumexp(x, axis=ax)", "torch.logsumexp(t, dim=ax)"),
    "softmax_grad": ("r.softmax_grad(y, g, axis=ax)", "y * (g - np.sum(g * y, axis=ax, keepdims=True))",
                     "torch._softmax_backward_data(tg, ty, ax, ty.dtype)"),
    "log_softmax_grad": ("r.log_softmax_grad(ly, g, axis=ax)",
                         "g - np.exp(ly) * np.sum(g, axis=ax, keepdims=True)",
                         "torch._log_softmax_backward_data(tg, tly, ax, tly.dtype)"),
}


def main(argv=None):
    ap = T.peer_parser(__doc__)
    ap.add_argument("--shapes", default="1024x1024,64x4096,4096x64")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    opts = ap.parse_args(argv)
    status, torch, min_time, repeat, info = T.start_peer_run("bench_reduce", opts, repeat=9)
    if status:
        return status
    print(f"rectifier reductions, {opts.dtype}, one thread; path {r.capabilities()['active']}; "
          f"{info['cpu']}, NumPy {info['numpy']}, torch {info['torch']}; medians of {repeat} interleaved samples")
    print(f"{'shape':>10} {'axis':>4} {'function':16} {'ours':>10} {'vs torch':>8} {'vs scipy':>8} {'ax0/ax-1':>8}")
    for shape_text in opts.shapes.split(","):
        shape = tuple(int(v) for v in shape_text.split("x"))
        rng = np.random.default_rng(0)
        x = (rng.standard_normal(shape) * 3).astype(opts.dtype)
        g = rng.standard_normal(shape).astype(opts.dtype)
        ours_by_axis = {}
        for ax in (-1, 0):
            y, ly = r.softmax(x, axis=ax), r.log_softmax(x, axis=ax)
            ns = {"r": r, "np": np, "sp": sp, "x": x, "g": g, "y": y, "ly": ly, "ax": ax}
            if torch is not None:
                ns.update(torch=torch, t=torch.from_numpy(x), tg=torch.from_numpy(g), ty=torch.from_numpy(y),
                          tly=torch.from_numpy(ly))
            for name, (ours, scipy_stmt, torch_stmt) in CASES.items():
                stmts = {"ours": ours}
                if sp is not None:
                    stmts["scipy"] = scipy_stmt
                if torch is not None:
                    stmts["torch"] = torch_stmt
                with np.errstate(all="ignore"):
                    stats = T.compare(stmts, ns, min_time=min_time, repeat=repeat)
                mine = stats["ours"].median
                ours_by_axis[(name, ax)] = mine
                ratio = {k: (stats[k].median / mine if k in stats else None) for k in ("torch", "scipy")}
                axis_ratio = mine / ours_by_axis[(name, -1)] if ax == 0 else None
                print(f"{shape_text:>10} {ax:>4} {name:16} {T.fmt_time(mine):>10} "
                      f"{T.fmt_ratio(ratio['torch']):>8} {T.fmt_ratio(ratio['scipy']):>8} "
                      f"{T.fmt_ratio(axis_ratio):>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
