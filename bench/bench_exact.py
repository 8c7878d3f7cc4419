"""Benchmark of the exact rectifier functions (float32, one thread) against a memory copy, NumPy
and (when importable) PyTorch on the CPU.

    python bench/bench_exact.py                      # the full run (~2 minutes on 2 cores)
    python bench/bench_exact.py --quick              # a smoke run
    python bench/bench_exact.py --sizes 16,64K --path scalar --json out.json

Printed:
  1. per size and function: our median time per call, our throughput, and the ratios
     peer time / our time (> 1: we are faster) for
       copyto  np.copyto(dst, x) into a preallocated dst: the memory ceiling (>= 1: as fast as a copy)
       copy    x.copy(), an *allocating* copy: the ceiling for allocating calls (like for like)
       numpy   the NumPy expression of the same function (listed under each table)
       torch   torch.nn.functional on torch.from_numpy(x), torch.set_num_threads(1)
     once for allocating calls (out=None; the peers allocate too) and once with a preallocated
     out= (the peers' out= forms; '-' where there is none);
  2. the per-call overhead at 16 elements against np.maximum(x, 0, out=o);
  3. the project's targets, PASS/FAIL.

The NumPy peers: the allocating table uses the obvious expressions (np.maximum, np.clip, np.where);
np.where is slow on inputs of random sign (it branches per element), which is what its users get.
The out= table uses the fastest out= forms found (branch-free where one exists); every peer is
checked to compute the same values as ours before timing.

Method (bench/_timing.py): one process; warm-up; each sample repeats the call enough times to last
>= --min-time (20 ms; 16M-element calls run once per sample); median of --repeat (7) samples; ours
and the peers of one row are sampled interleaved, in a rotating order. The grads read two arrays
(x, grad) and write one, so their copy ratios are expected to be below 1 even at full bandwidth.
It refuses to run under QEMU instruction emulation (timings there mean nothing).
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _timing as T  # noqa: E402

import rectifier as r  # noqa: E402

DEFAULT_SIZES = "16,256,4K,64K,1M,16M"
CHANNELS = 64
SLOPE = 0.01
TH, VAL = 0.5, -2.0

# name: (ours allocating, ours out=, numpy allocating, numpy out=, torch allocating, torch out=)
# The statements run in a namespace holding x, g (grad), w (C weights), wb (w shaped (1, C)),
# o (out), m (a bool scratch array), t/tg/tw/to (torch views of x, g, w and of a torch out buffer).
CASES = {
    "relu": (
        "r.relu(x)", "r.relu(x, out=o)",
        "np.maximum(x, 0)", "np.maximum(x, 0, out=o)",
        "F.relu(t)", "aten_relu_out(t, out=to)"),
    "relu6": (
        "r.relu6(x)", "r.relu6(x, out=o)",
        "np.clip(x, 0, 6)", "np.clip(x, 0, 6, out=o)",
        "F.relu6(t)", "nn_hardtanh(t, 0.0, 6.0, out=to)"),
    "hardtanh": (
        "r.hardtanh(x)", "r.hardtanh(x, out=o)",
        "np.clip(x, -1, 1)", "np.clip(x, -1, 1, out=o)",
        "F.hardtanh(t)", "nn_hardtanh(t, -1.0, 1.0, out=to)"),
    "threshold": (
        f"r.threshold(x, {TH}, {VAL})", f"r.threshold(x, {TH}, {VAL}, out=o)",
        f"np.where(x > {TH}, x, val32)",
        f"np.copyto(o, x); np.putmask(o, np.less_equal(x, {TH}, out=m), val32)",
        f"F.threshold(t, {TH}, {VAL})", f"torch.threshold(t, {TH}, {VAL}, out=to)"),
    "leaky_relu": (
        f"r.leaky_relu(x, {SLOPE})", f"r.leaky_relu(x, {SLOPE}, out=o)",
        "np.where(x > 0, x, x * slope32)",
        "np.multiply(x, slope32, out=o); np.maximum(x, o, out=o)",
        f"F.leaky_relu(t, {SLOPE})", f"nn_leaky_relu(t, {SLOPE}, out=to)"),
    "prelu": (
        "r.prelu(x, w)", "r.prelu(x, w, out=o)",
        "np.where(x > 0, x, x * wb)",
        "np.multiply(x, wb, out=o); np.maximum(x, o, out=o)",
        "F.prelu(t, tw)", None),
    # channels first (1, C, n/C): long runs of one weight (the "prelu" row is channels last)
    "prelu_cf": (
        "r.prelu(xcf, w)", "r.prelu(xcf, w, out=ocf)",
        "np.where(xcf > 0, xcf, xcf * wcf)",
        "np.multiply(xcf, wcf, out=ocf); np.maximum(xcf, ocf, out=ocf)",
        "F.prelu(tcf, tw)", None),
    # a single weight on a 1-D array: leaky_relu's kernel
    "prelu_1w": (
        f"r.prelu(x1, {SLOPE})", f"r.prelu(x1, {SLOPE}, out=o1)",
        "np.where(x1 > 0, x1, x1 * slope32)",
        "np.multiply(x1, slope32, out=o1); np.maximum(x1, o1, out=o1)",
        "F.prelu(t1, tw1)", None),
    "relu_grad": (
        "r.relu_grad(x, g)", "r.relu_grad(x, g, out=o)",
        "np.where(x > 0, g, zero32)",
        "np.multiply(g, np.greater(x, 0, out=m), out=o)",
        "aten_threshold_backward(tg, t, 0.0)",
        "aten_threshold_backward_out(tg, t, 0.0, grad_input=to)"),
    "leaky_relu_grad": (
        f"r.leaky_relu_grad(x, g, {SLOPE})", f"r.leaky_relu_grad(x, g, {SLOPE}, out=o)",
        "np.where(x > 0, g, g * slope32)",
        "np.greater(x, 0, out=m); np.multiply(m, one_minus_slope32, out=o); np.add(o, slope32, out=o); "
        "np.multiply(o, g, out=o)",
        f"aten_leaky_relu_backward(tg, t, {SLOPE}, False)",
        f"aten_leaky_relu_backward_out(tg, t, {SLOPE}, False, grad_input=to)"),
}
LEAKY_OUT_NUMPY = CASES["leaky_relu"][3]   # kept for the overhead table whatever --functions says

# the short names the torch statements use (bound once, so no attribute look-ups are timed)
TORCH_ALIASES = {
    "aten_relu_out": "torch.ops.aten.relu.out",
    "nn_hardtanh": "torch._C._nn.hardtanh",
    "nn_leaky_relu": "torch._C._nn.leaky_relu",
    "aten_threshold_backward_out": "torch.ops.aten.threshold_backward.grad_input",
    "aten_threshold_backward": "torch.ops.aten.threshold_backward.default",
    "aten_leaky_relu_backward_out": "torch.ops.aten.leaky_relu_backward.grad_input",
    "aten_leaky_relu_backward": "torch.ops.aten.leaky_relu_backward.default",
}


def readable(stmt: str) -> str:
    for alias, real in TORCH_ALIASES.items():   # longest names first where one prefixes another
        stmt = re.sub(r"\b" + alias + r"\(", real + "(", stmt)
    return stmt


TARGET_FUNCS = ("relu", "leaky_relu", "prelu", "prelu_cf", "prelu_1w")
TARGET_SIZES = (64 << 10, 16 << 20)


def shape_of(n: int) -> tuple:
    """(N, 64) for multiples of 64; (1, n) otherwise (16 elements: (1, 16) with 16 weights)."""
    if n >= CHANNELS and n % CHANNELS == 0:
        return (n // CHANNELS, CHANNELS)
    return (1, n)


def namespace(n: int, torch) -> dict:
    shape = shape_of(n)
    rng = np.random.default_rng(n)
    x = rng.standard_normal(shape, dtype=np.float32)
    g = rng.standard_normal(shape, dtype=np.float32)
    w = rng.uniform(0.05, 0.5, shape[1]).astype(np.float32)
    ns = {
        "np": np, "x": x, "g": g, "w": w, "wb": w.reshape(1, -1),
        "o": np.empty_like(x), "dst": np.empty_like(x), "m": np.empty(shape, dtype=bool),
        "val32": np.float32(VAL), "slope32": np.float32(SLOPE),
        "one_minus_slope32": np.float32(1 - SLOPE), "zero32": np.float32(0),
    }
    ns["r"] = r
    # prelu's other layouts, as views of x and o (so the checks below read them through o)
    ns.update(xcf=x.reshape(1, shape[1], -1), ocf=ns["o"].reshape(1, shape[1], -1),
              wcf=w.reshape(1, -1, 1), x1=x.reshape(-1), o1=ns["o"].reshape(-1))
    ns["o"].fill(1.0)
    ns["dst"].fill(1.0)    # touch the preallocated pages once, outside the timing
    ns["m"].fill(False)
    if torch is not None:
        import torch.nn.functional as F
        aten = torch.ops.aten
        ns.update(
            torch=torch, F=F, t=torch.from_numpy(x), tg=torch.from_numpy(g), tw=torch.from_numpy(w),
            tcf=torch.from_numpy(ns["xcf"]), t1=torch.from_numpy(ns["x1"]),
            tw1=torch.tensor([SLOPE], dtype=torch.float32),
            to=torch.from_numpy(np.ones_like(x)),
            aten_relu_out=aten.relu.out, nn_hardtanh=torch._C._nn.hardtanh,
            nn_leaky_relu=torch._C._nn.leaky_relu,
            aten_threshold_backward=aten.threshold_backward.default,
            aten_threshold_backward_out=aten.threshold_backward.grad_input,
            aten_leaky_relu_backward=aten.leaky_relu_backward.default,
            aten_leaky_relu_backward_out=aten.leaky_relu_backward.grad_input,
        )
    return ns


def check_equivalence(ns: dict, torch) -> None:
    """The peers compute what we compute (so that the comparison is of the same work)."""
    for name, (oa, oo, na, no, ta, to) in CASES.items():
        ref = eval(oa, ns).reshape(-1)   # (prelu's other layouts are views: compared flat)
        got_np = eval(na, ns).reshape(-1)
        exec(no, ns)
        for label, got in (("numpy", got_np), ("numpy out=", ns["o"].reshape(-1))):
            if not np.allclose(got, ref, rtol=1e-6, atol=0):
                raise AssertionError(f"{name}: {label} peer differs from ours")
        exec(oo, ns)
        if not np.array_equal(ns["o"].reshape(-1), ref):
            raise AssertionError(f"{name}: out= result differs from the allocating one")
        if torch is not None:
            got_t = eval(ta, ns).numpy().reshape(-1)
            if not np.allclose(got_t, ref, rtol=1e-6, atol=0):
                raise AssertionError(f"{name}: torch peer differs from ours")
            if to is not None:
                eval(to, ns)
                if not np.allclose(ns["to"].numpy().reshape(-1), ref, rtol=1e-6, atol=0):
                    raise AssertionError(f"{name}: torch out= peer differs from ours")


# ---------------------------------------------------------------------------------------------

HEAD = {
    "alloc": f"{'size':>5} {'function':<16}{'ours':>10} {'Gelem/s':>8} {'copyto':>7} {'copy':>7} {'numpy':>7} {'torch':>7}",
    "out": f"{'size':>5} {'function':<16}{'ours':>10} {'Gelem/s':>8} {'copyto':>7} {'numpy':>7} {'torch':>7}",
}


def run_table(mode: str, sizes, nss, torch, opts, results) -> None:
    title = ("allocating calls (out=None) -- ratios are peer time / our time, > 1: we are faster"
             if mode == "alloc" else
             "calls with a preallocated out= -- ratios are peer time / our time, > 1: we are faster")
    print(f"\n== Table {1 if mode == 'alloc' else 2}: {title}")
    print(HEAD[mode])
    for n in sizes:
        ns = nss[n]
        for name, (oa, oo, na, no, ta, to) in CASES.items():
            ours, npy, tch = (oa, na, ta) if mode == "alloc" else (oo, no, to)
            stmts = {"ours": ours, "copyto": "np.copyto(dst, x)"}
            if mode == "alloc":
                stmts["copy"] = "x.copy()"
            stmts["numpy"] = npy
            if torch is not None and tch is not None:
                stmts["torch"] = tch
            stats = T.compare(stmts, ns, min_time=opts.min_time, repeat=opts.repeat)
            t_ours = stats["ours"].median
            ratios = {k: stats[k].median / t_ours for k in stats if k != "ours"}
            row = {"size": n, "shape": list(ns["x"].shape), "function": name, "mode": mode,
                   "ours_s": t_ours, "gelem_s": n / t_ours / 1e9, "ratios": ratios,
                   "stmts": stmts, "stats": {k: v.as_dict() for k, v in stats.items()}}
            results.append(row)
            cols = ["copyto"] + (["copy"] if mode == "alloc" else []) + ["numpy", "torch"]
            noisy = max(s.spread for s in stats.values())
            print(f"{T.fmt_size(n):>5} {name:<16}{T.fmt_time(t_ours):>10} {n / t_ours / 1e9:8.3f} "
                  + " ".join(f"{T.fmt_ratio(ratios.get(c)):>7}" for c in cols)
                  + ("   (noisy: IQR %.0f%%)" % (100 * noisy) if noisy > 0.25 else ""), flush=True)
    print("  peers:" + ("" if torch is not None else " (no torch: '-')"))
    for name, (oa, oo, na, no, ta, to) in CASES.items():
        npy, tch = (na, ta) if mode == "alloc" else (no, to)
        print(f"    {name:<16} numpy: {npy}")
        print(f"    {'':<16} torch: {readable(tch) if tch else '- (no out= form)'}")


def run_overhead(torch, opts) -> list:
    """Per-call cost at 16 elements against one NumPy ufunc call."""
    ns = namespace(16, torch)
    stmts = {
        "empty loop": "pass",
        "r.relu(x, out=o)": "r.relu(x, out=o)",
        "np.maximum(x, 0, out=o)": "np.maximum(x, 0, out=o)",
        "r.leaky_relu(x, 0.01, out=o)": "r.leaky_relu(x, 0.01, out=o)",
        "np.multiply+np.maximum out=o": LEAKY_OUT_NUMPY,
        "r.relu(x)": "r.relu(x)",
        "np.maximum(x, 0)": "np.maximum(x, 0)",
    }
    if torch is not None:
        stmts["F.relu(t)"] = "F.relu(t)"
    stats = T.compare(stmts, ns, min_time=opts.min_time, repeat=max(opts.repeat, 11))
    rows = [("r.relu(x, out=o)", "np.maximum(x, 0, out=o)", 0.25),
            ("r.leaky_relu(x, 0.01, out=o)", "np.maximum(x, 0, out=o)", 0.25),
            ("r.leaky_relu(x, 0.01, out=o)", "np.multiply+np.maximum out=o", None),
            ("r.relu(x)", "np.maximum(x, 0)", None)]
    if torch is not None:
        rows.append(("r.relu(x)", "F.relu(t)", None))
    print(f"\n== Per-call overhead at 16 elements, x of shape {ns['x'].shape} float32 "
          f"(the timing loop itself costs {stats['empty loop'].median * 1e9:.0f} ns per call, "
          "included in every time)")
    print(f"{'ours':<30}{'us':>7}   {'reference':<30}{'us':>7} {'ours/ref':>9}  target")
    out = []
    for ours, ref, target in rows:
        a, b = stats[ours].median, stats[ref].median
        verdict = "" if target is None else (f"<= {target}: " + ("PASS" if a / b <= target else "FAIL"))
        print(f"{ours:<30}{a * 1e6:7.3f}   {ref:<30}{b * 1e6:7.3f} {a / b:9.3f}  {verdict}")
        out.append({"ours": ours, "ref": ref, "ours_s": a, "ref_s": b, "ratio": a / b,
                    "target": target})
    return out, {k: v.as_dict() for k, v in stats.items()}


def check_targets(results, overhead) -> list:
    by = {(row["size"], row["function"], row["mode"]): row for row in results}
    lines = []

    def add(label, value, ok):
        lines.append((label, value, ok))

    for o in overhead:
        if o["target"] is not None:
            add(f"16 elements: {o['ours']} / {o['ref']} <= {o['target']}", f"{o['ratio']:.3f}",
                o["ratio"] <= o["target"])
    for n in TARGET_SIZES:
        relu_np_alloc = by.get((n, "relu", "alloc"))
        for f in TARGET_FUNCS:
            a, b = by.get((n, f, "alloc")), by.get((n, f, "out"))
            if a is None:
                continue
            s = T.fmt_size(n)
            add(f"{s:>3} {f:<11} allocating vs np.copyto(dst, x) (the stated target) >= 0.9",
                f"{a['ratios']['copyto']:.2f}", a["ratios"]["copyto"] >= 0.9)
            add(f"{s:>3} {f:<11} allocating vs x.copy() (like for like)             >= 0.9",
                f"{a['ratios']['copy']:.2f}", a["ratios"]["copy"] >= 0.9)
            if b is not None:
                add(f"{s:>3} {f:<11} out=       vs np.copyto(dst, x) (like for like)    >= 0.9",
                    f"{b['ratios']['copyto']:.2f}", b["ratios"]["copyto"] >= 0.9)
            if relu_np_alloc is not None:
                t_np = relu_np_alloc["stats"]["numpy"]["median_s"]
                ratio = t_np / a["ours_s"]
                # the best any kernel can do: run as fast as the allocating copy x.copy()
                bound = t_np / a["stats"]["copy"]["median_s"]
                add(f"{s:>3} {f:<11} allocating vs np.maximum(x, 0) allocating         >= 3",
                    f"{ratio:.2f} (a kernel at x.copy() speed: {bound:.2f})", ratio >= 3)
            add(f"{s:>3} {f:<11} allocating vs its NumPy equivalent allocating      >= 3",
                f"{a['ratios']['numpy']:.2f}", a["ratios"]["numpy"] >= 3)
    print("\n== Targets")
    for label, value, ok in lines:
        print(f"  {'PASS' if ok else 'FAIL'}  {label}: {value}")
    return [{"target": label, "value": value, "pass": ok} for label, value, ok in lines]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=DEFAULT_SIZES,
                    help=f"comma list of element counts, K/M suffixes allowed (default {DEFAULT_SIZES})")
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: 3 samples of >= 5 ms each")
    ap.add_argument("--path", choices=T.cpu_paths(),
                    help="restrict the CPU path with rectifier.set_capabilities")
    ap.add_argument("--json", metavar="FILE", help="save all results and samples as JSON")
    ap.add_argument("--min-time", type=float, default=None,
                    help="seconds per sample (default 0.02; --quick 0.005)")
    ap.add_argument("--repeat", type=int, default=None, help="samples per measurement (default 7)")
    ap.add_argument("--functions", default=",".join(CASES), help="comma list of functions")
    ap.add_argument("--no-torch", action="store_true", help="do not compare against torch")
    opts = ap.parse_args(argv)
    opts.min_time = opts.min_time or (0.005 if opts.quick else 0.02)
    opts.repeat = opts.repeat or (3 if opts.quick else 7)
    sizes = [T.parse_size(s) for s in opts.sizes.split(",") if s.strip()]
    wanted = [f.strip() for f in opts.functions.split(",") if f.strip()]
    unknown = set(wanted) - set(CASES)
    if unknown:
        ap.error(f"unknown functions {sorted(unknown)}; choose from {', '.join(CASES)}")
    for name in list(CASES):
        if name not in wanted:
            del CASES[name]

    status = T.prepare_run("bench_exact", opts.path)
    if status:
        return status
    torch = None if opts.no_torch else T.import_torch(threads=1)

    info = T.machine_info(torch)
    print("rectifier exact functions, float32, one thread")
    print(f"  CPU path active: {r.capabilities()['active']}  (detected: "
          f"{', '.join(r.capabilities()['detected'])})")
    print(f"  machine: {info['cpu']} ({info['machine']}, {info['cpu_count']} CPUs), {info['platform']}")
    print(f"  Python {info['python']}, NumPy {info['numpy']}, torch "
          + (f"{info['torch']} (CPU capability {info.get('torch_cpu_capability')}, "
             f"{info['torch_threads']} thread)" if torch is not None
             else ("not used (--no-torch)" if opts.no_torch else "not importable")))
    print(f"  load average at start: {info.get('loadavg', '?')} (other processes add noise)")
    print(f"  method: median of {opts.repeat} samples of >= {opts.min_time * 1e3:g} ms, "
          "peers interleaved with ours" + (" [--quick]" if opts.quick else ""))

    start = time.perf_counter()
    T.warm_cpu()
    nss = {n: namespace(n, torch) for n in sizes}
    for n in sizes:
        check_equivalence(nss[n], torch)

    results = []
    run_table("alloc", sizes, nss, torch, opts, results)
    run_table("out", sizes, nss, torch, opts, results)
    overhead, overhead_stats = run_overhead(torch, opts)
    targets = check_targets(results, overhead)
    elapsed = time.perf_counter() - start
    print(f"\n(total {elapsed:.0f} s; load average at the end: {T.machine_info().get('loadavg', '?')})")
    if opts.json:
        T.save_json(opts.json, {"info": info, "active_path": r.capabilities()["active"],
                                "options": vars(opts), "results": results,
                                "overhead": overhead, "overhead_stats": overhead_stats,
                                "targets": targets, "elapsed_s": elapsed})
        print(f"saved {opts.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
