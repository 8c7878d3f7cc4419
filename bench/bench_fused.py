"""Benchmark of the fused dense-layer epilogue (float32, one thread, one BLAS thread): bias_act against the NumPy
compositions and np.copyto (the memory ceiling), and linear against np.maximum(x @ w.T + b, 0),
all in one process, interleaved, medians (bench/_timing.py). Prints ratios: peer time / our time
(> 1: we are faster); "copyto" is copy time / our time (>= 0.91 meets "within 1.1x of copyto").

    python bench/bench_fused.py [--sizes 64K,1M,16M] [--quick] [--path PATH] [--no-torch]

Never run it under qemu.
"""
import os
import sys

# one BLAS thread, as one torch thread: matmul timings on a shared 2-core machine are too noisy
# otherwise (both sides of the linear rows call the same matmul)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
import _timing as T  # noqa: E402

import rectifier as r  # noqa: E402

# (batch, in_features, out_features)
LINEAR_SHAPES = [(1, 16, 16), (1, 128, 64), (8, 64, 64), (32, 128, 128), (64, 512, 256),
                 (256, 1024, 1024)]


def bias_act_rows(size, torch, min_time, repeat):
    """bias_act(y, b, 'relu', out=y) on y of `size` elements, (size / 1024, 1024) features last."""
    features = 1024 if size >= 1024 else size
    rng = np.random.default_rng(0)
    y = rng.standard_normal((size // features, features)).astype(np.float32)
    b = rng.standard_normal(features).astype(np.float32)
    ns = {"r": r, "np": np, "y": y, "b": b, "o": np.empty_like(y), "dst": np.empty_like(y), "src": y.copy()}
    stmts = {
        "ours in place": "r.bias_act(y, b, 'relu', out=y)",
        "ours new": "r.bias_act(src, b, 'relu')",
        "numpy": "np.maximum(src + b, 0)",
        "numpy in place": "np.add(y, b, out=y); np.maximum(y, 0, out=y)",
        "copyto": "np.copyto(dst, src)",
    }
    if torch is not None:
        ns.update(torch=torch, t=torch.from_numpy(y), ts=torch.from_numpy(ns["src"]), tb=torch.from_numpy(b))
        stmts["torch in place"] = "t.add_(tb).relu_()"
        stmts["torch"] = "torch.relu(ts + tb)"
    stats = T.compare(stmts, ns, min_time=min_time, repeat=repeat)
    return {k: v.median for k, v in stats.items()}


def linear_rows(shape, torch, min_time, repeat):
    batch, n_in, n_out = shape
    rng = np.random.default_rng(1)
    x = rng.standard_normal((batch, n_in)).astype(np.float32)
    w = (rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)).astype(np.float32)
    b = rng.standard_normal(n_out).astype(np.float32)
    ns = {"r": r, "np": np, "x": x, "w": w, "b": b}
    stmts = {"ours": "r.linear(x, w, b, 'relu')", "numpy": "np.maximum(x @ w.T + b, 0)"}
    if torch is not None:
        ns.update(torch=torch, F=torch.nn.functional, tx=torch.from_numpy(x), tw=torch.from_numpy(w),
                  tb=torch.from_numpy(b))
        stmts["torch"] = "torch.relu(F.linear(tx, tw, tb))"
    stats = T.compare(stmts, ns, min_time=min_time, repeat=repeat)
    return {k: v.median for k, v in stats.items()}


def main(argv=None):
    ap = T.peer_parser(__doc__)
    ap.add_argument("--sizes", default="64K,1M,16M")
    opts = ap.parse_args(argv)
    status, torch, min_time, repeat, info = T.start_peer_run("bench_fused", opts, repeat=9)
    if status:
        return status
    print(f"rectifier fused epilogue, float32, one thread; path {r.capabilities()['active']}; "
          f"{info['cpu']}, NumPy {info['numpy']}, torch {info['torch']}; medians of {repeat} "
          "interleaved samples")
    print("\nbias_act(y, b, 'relu', out=y), y of (n / 1024, 1024), b of 1024: ratios = their time / ours in place")
    print(f"{'size':>5} {'ours':>10} {'ours new':>10} {'copyto':>7} {'numpy':>7} {'np inpl':>7} {'torch':>7} {'t inpl':>7}")
    for size in [T.parse_size(s) for s in opts.sizes.split(",")]:
        m = bias_act_rows(size, torch, min_time, repeat)
        mine = m["ours in place"]
        ratio = lambda k: T.fmt_ratio(m[k] / mine if k in m else None)  # noqa: E731
        print(f"{T.fmt_size(size):>5} {T.fmt_time(mine):>10} {T.fmt_time(m['ours new']):>10} "
              f"{ratio('copyto'):>7} {ratio('numpy'):>7} {ratio('numpy in place'):>7} {ratio('torch'):>7} "
              f"{ratio('torch in place'):>7}")
    print("\nlinear(x, w, b, 'relu') against np.maximum(x @ w.T + b, 0): ratios = their time / ours")
    print(f"{'batch x in -> out':>20} {'ours':>10} {'numpy':>7} {'torch':>7}")
    for shape in LINEAR_SHAPES:
        m = linear_rows(shape, torch, min_time, repeat)
        mine = m["ours"]
        label = f"{shape[0]} x {shape[1]} -> {shape[2]}"
        print(f"{label:>20} {T.fmt_time(mine):>10} {T.fmt_ratio(m['numpy'] / mine):>7} "
              f"{T.fmt_ratio(m['torch'] / mine if 'torch' in m else None):>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
