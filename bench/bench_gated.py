"""Benchmark of the fused gated units (float32, one thread) against the same unit composed from
separate calls: rectifier's own (``silu(a) * b``: two passes and a temporary), PyTorch's
(``F.silu(a) * b``) and NumPy's. All in one process, interleaved, medians (bench/_timing.py).

    python bench/bench_gated.py [--sizes 64K,1M] [--units swiglu,geglu,glu,reglu] [--path avx2]
                                [--json out.json]

    ATEN_CPU_CAPABILITY=avx2 RECTIFIER_DISABLE=avx512 python bench/bench_gated.py  # AVX2 view

Each size n is the number of elements of each half: x has shape (n // 4096, 8192) (rows of a
transformer's hidden size, split along the last axis), a and b are its halves. Three calls are
timed for rectifier: the split form ``swiglu(x)`` (halves read in place), the two-array form
``swiglu(a, b)`` on contiguous halves, and the gradient ``swiglu_grad(x, g)``. The gradient is
compared with the composed backward pass as autograd runs it, the activation's output saved
from the forward pass: ``silu_grad(a, g * b), g * silu(a)`` (rectifier) and ``silu_backward(g *
b, a), g * silu(a)`` (torch; ``glu_backward`` for glu). Ratios > 1: the fused call is faster.
Never run it under qemu.
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _timing as T  # noqa: E402

import numpy as np  # noqa: E402

import rectifier  # noqa: E402

# unit -> (rectifier's separate activation, torch's expression, torch's backward pass given the
# saved activation ts = act(ta) and the gradient tg)
UNITS = {
    "swiglu": ("silu", "F.silu(ta) * tb", "(torch.ops.aten.silu_backward(tg * tb, ta), tg * ts)"),
    "geglu": ("gelu", "F.gelu(ta) * tb", "(torch.ops.aten.gelu_backward(tg * tb, ta), tg * ts)"),
    "glu": ("sigmoid", "F.glu(tx, dim=-1)", "torch.ops.aten.glu_backward(tg, tx, -1)"),
    "reglu": ("relu", "F.relu(ta) * tb", "(torch.ops.aten.threshold_backward(tg * tb, ta, 0), tg * ts)"),
}


def run_size(unit, n, torch):
    rng = np.random.default_rng(0)
    width = 8192 if n >= 4096 else 2 * n
    x = (rng.standard_normal((n * 2 // width, width)) * 3).astype(np.float32)
    a, b = np.ascontiguousarray(x[:, : width // 2]), np.ascontiguousarray(x[:, width // 2:])
    g = rng.standard_normal(a.shape).astype(np.float32)
    act, torch_expr, torch_grad = UNITS[unit]
    fused, grad = getattr(rectifier, unit), getattr(rectifier, unit + "_grad")
    ns = dict(r=rectifier, np=np, x=x, a=a, b=b, g=g, fused=fused, grad=grad,
              act=getattr(rectifier, act), act_grad=getattr(rectifier, act + "_grad"))
    composed = "act(b) * a" if unit == "glu" else "act(a) * b"
    # the activation's output a backward pass would have saved (glu = a * sigmoid(b))
    ns["s"] = ns["act"](b) if unit == "glu" else ns["act"](a)
    stmts = {
        "fused(x)": "fused(x)",
        "fused(a, b)": "fused(a, b)",
        "composed": composed,
        "numpy-mul-only": "a * b",
        "fused_grad(x, g)": "grad(x, g)",
        "composed_grad": "(g * s, act_grad(b, g * a))" if unit == "glu" else "(act_grad(a, g * b), g * s)",
    }
    if torch is not None:
        import torch.nn.functional as F
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        ns.update(F=F, torch=torch, ta=ta, tb=tb, tx=torch.from_numpy(x), tg=torch.from_numpy(g))
        ns["ts"] = eval(torch_expr.replace(" * tb", ""), ns) if unit != "glu" else None
        stmts["torch"] = torch_expr
        stmts["torch_grad"] = torch_grad
    stats = T.compare(stmts, ns)
    med = {k: s.median for k, s in stats.items()}
    return med


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="64K,1M")
    ap.add_argument("--units", default="swiglu,geglu,glu,reglu")
    ap.add_argument("--path", default=None, help="restrict rectifier to this CPU path")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    status = T.prepare_run("bench_gated.py", args.path)
    if status:
        return status
    torch = T.import_torch(1)
    T.warm_cpu()
    print(f"rectifier path {rectifier.capabilities()['active']}, load {os.getloadavg()[0]:.2f}, "
          "float32, one thread; times per call, ratios = other / fused(x)")
    print(f"{'unit':8} {'n':>6} {'fused(x)':>10} {'fused(a,b)':>10} {'composed':>10} "
          f"{'torch':>10} {'vs comp':>8} {'vs torch':>8} {'grad(x,g)':>10} {'comp grad':>10} "
          f"{'torch grad':>10} {'vs comp':>8} {'vs torch':>8}")
    results = {}
    for unit in args.units.split(","):
        for size in args.sizes.split(","):
            n = T.parse_size(size)
            med = run_size(unit, n, torch)
            results[f"{unit}/{size}"] = med
            t, tg = med.get("torch", float("nan")), med.get("torch_grad", float("nan"))
            fg = med["fused_grad(x, g)"]
            print(f"{unit:8} {size:>6} {T.fmt_time(med['fused(x)']):>10} "
                  f"{T.fmt_time(med['fused(a, b)']):>10} {T.fmt_time(med['composed']):>10} "
                  f"{T.fmt_time(t):>10} {med['composed'] / med['fused(x)']:>7.2f}x "
                  f"{t / med['fused(x)']:>7.2f}x {T.fmt_time(fg):>10} "
                  f"{T.fmt_time(med['composed_grad']):>10} {T.fmt_time(tg):>10} "
                  f"{med['composed_grad'] / fg:>7.2f}x {tg / fg:>7.2f}x")
    if args.json:
        T.save_json(args.json, {"machine": T.machine_info(torch), "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
