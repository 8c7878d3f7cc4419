"""Benchmark of the randomized rectifiers (float32, one thread): rrelu(training=True) against
torch.nn.functional.rrelu(training=True), noisy_relu against NumPy's Generator (x + normal noise,
then max with 0) and torch (x + randn, relu), and np.copyto of the same array (the memory ceiling),
all in one process, interleaved, medians. Ratios are peer time / our time (> 1: we are faster).

    python bench/bench_random.py [--sizes 64K,1M] [--quick] [--path PATH] [--no-torch]

Targets (issue 4): rrelu(training=True) >= 10x torch at 1M float32; noisy_relu >= 1 Gelem/s at
64K float32. Never run it under qemu.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import _timing as T  # noqa: E402

import rectifier as r  # noqa: E402

# name: (ours with out=, NumPy composition, torch)
CASES = {
    "rrelu train": ("r.rrelu(x, training=True, seed=1, out=o)", None,
                    "F.rrelu(t, training=True)"),
    "rrelu train+noise": ("r.rrelu(x, training=True, seed=1, return_noise=True)", None,
                          "F.rrelu(t, training=True)"),
    "noisy_relu": ("r.noisy_relu(x, 1.0, seed=1, out=o)",
                   "np.maximum(np.add(x, g.standard_normal(x.size, np.float32), out=o), 0, out=o)",
                   "torch.relu(t + torch.randn_like(t))"),
    "noisy_relu sigmoid": ("r.noisy_relu(x, 'sigmoid', seed=1, out=o)", None,
                           "torch.relu(t + torch.randn_like(t) * torch.sigmoid(t).sqrt())"),
    "rrelu eval": ("r.rrelu(x, out=o)", None, "F.rrelu(t)"),
}


def main(argv=None):
    ap = T.peer_parser(__doc__)
    ap.add_argument("--sizes", default="64K,1M")
    opts = ap.parse_args(argv)
    status, torch, min_time, repeat, info = T.start_peer_run("bench_random", opts, repeat=9)
    if status:
        return status
    print(f"rectifier randomized rectifiers, float32, one thread; path {r.capabilities()['active']}; "
          f"{info['cpu']}, NumPy {info['numpy']}, torch {info['torch']}")
    print(f"{'size':>5} {'function':20} {'ours':>10} {'Gelem/s':>8} {'copyto':>7} {'numpy':>7} {'torch':>7}")
    for size in [T.parse_size(s) for s in opts.sizes.split(",")]:
        rng = np.random.default_rng(0)
        x = (rng.standard_normal(size) * 4).astype(np.float32)
        ns = {"r": r, "np": np, "x": x, "o": np.empty_like(x), "dst": np.empty_like(x),
              "g": np.random.default_rng(1)}
        if torch is not None:
            ns.update(torch=torch, F=torch.nn.functional, t=torch.from_numpy(x))
        for name, (ours, numpy_stmt, torch_stmt) in CASES.items():
            stmts = {"ours": ours, "copyto": "np.copyto(dst, x)"}
            if numpy_stmt:
                stmts["numpy"] = numpy_stmt
            if torch is not None:
                stmts["torch"] = torch_stmt
            stats = T.compare(stmts, ns, min_time=min_time, repeat=repeat)
            mine = stats["ours"].median
            ratio = {k: (stats[k].median / mine if k in stats else None) for k in ("copyto", "numpy", "torch")}
            print(f"{T.fmt_size(size):>5} {name:20} {T.fmt_time(mine):>10} {size / mine / 1e9:8.2f} "
                  + " ".join(f"{T.fmt_ratio(ratio[k]):>7}" for k in ("copyto", "numpy", "torch")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
