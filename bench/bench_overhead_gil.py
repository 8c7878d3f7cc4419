"""What releasing the GIL costs next to the kernel, to choose NOGIL_MIN_ELEMENTS (the size from which
the Cython layer runs a kernel inside ``with nogil``; src/rectifier/_core.pyx, read here as
rectifier._core._NOGIL_MIN_ELEMENTS).

    python bench/bench_overhead_gil.py [--quick] [--path scalar|avx2] [--json FILE]

Three views, float32, one process:
  1. r.relu(x, out=o) per call for n = 64 .. 16384 (powers of 2): the time, the time per element,
     straight lines fitted to the sizes below the threshold and to those from it on, and the step
     between the two lines at the threshold. The step is an *indirect* estimate: the kernel's own
     cost per element also changes there (x and out leave the L1 cache near 4096 elements), so
     the step mixes the GIL cost with cache effects.
  2. the *direct* measurement: the same exported C entry point (rect_relu_f32 of the extension
     module) called through ctypes.PyDLL (keeps the GIL) and through ctypes.CDLL (releases it
     around the call, as ``with nogil`` does), interleaved; the difference is the cost of one
     release + reacquire of an uncontended GIL.
  3. the contended case: the same calls while another Python thread runs pure-Python code. A
     thread that gives the GIL up must then wait for the other one to hand it back (up to
     sys.getswitchinterval()), so each release costs the caller latency but lets the other thread
     run: the reason to release only for calls long enough to be worth sharing.
The recommendation: the smallest power of 2 at which one uncontended release + reacquire costs at
most 10 % of the kernel call (GIL held).
"""
from __future__ import annotations

import argparse
import ctypes
import os
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _timing as T  # noqa: E402

import rectifier as r  # noqa: E402
import rectifier._core as _core  # noqa: E402

CURRENT_THRESHOLD = _core._NOGIL_MIN_ELEMENTS   # NOGIL_MIN_ELEMENTS in src/rectifier/_core.pyx
SIZES = [1 << k for k in range(6, 15)]   # 64 .. 16384


class RectParams(ctypes.Structure):
    _fields_ = [("a", ctypes.c_double), ("b", ctypes.c_double),
                ("c", ctypes.c_double), ("d", ctypes.c_double)]


def ctypes_entry(lib_cls):
    fn = lib_cls(_core.__file__).rect_relu_f32
    fn.argtypes = [ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    fn.restype = None
    return fn


def fit(points):
    """Least-squares line t = a + b*n through [(n, t)]: (a, b)."""
    n = np.array([p[0] for p in points], float)
    t = np.array([p[1] for p in points], float)
    b, a = np.polyfit(n, t, 1)
    return a, b


def make_ns(sizes):
    rng = np.random.default_rng(0)
    ns = {"relu": r.relu, "np": np,
          "held": ctypes_entry(ctypes.PyDLL), "released": ctypes_entry(ctypes.CDLL)}
    params = RectParams(0.0, 0.0, 0.0, 0.0)
    ns["params"] = params
    ns["pp"] = ctypes.addressof(params)
    for n in sizes:
        x = rng.standard_normal(n, dtype=np.float32)
        o = np.ones_like(x)
        ns[f"x{n}"], ns[f"o{n}"] = x, o
        ns[f"px{n}"], ns[f"po{n}"] = x.ctypes.data, o.ctypes.data
    return ns


class Spinner:
    """A background thread running pure-Python code (wants the GIL all the time)."""

    def __init__(self):
        self.stop = False
        self.count = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop:
            for _ in range(100):
                pass
            self.count += 1

    def __enter__(self):
        self.thread.start()
        time.sleep(0.01)
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run: fewer, shorter samples")
    ap.add_argument("--path", choices=T.cpu_paths())
    ap.add_argument("--json", metavar="FILE")
    opts = ap.parse_args(argv)
    min_time, repeat = (0.005, 3) if opts.quick else (0.02, 9)

    status = T.prepare_run("bench_overhead_gil", opts.path)
    if status:
        return status
    info = T.machine_info()
    print("GIL release cost vs kernel time, r.relu float32, one thread")
    print(f"  CPU path active: {r.capabilities()['active']}; machine: {info['cpu']} "
          f"({info['cpu_count']} CPUs); Python {info['python']}, NumPy {info['numpy']}")
    print(f"  NOGIL_MIN_ELEMENTS assumed {CURRENT_THRESHOLD} (src/rectifier/_core.pyx); "
          f"load average {info.get('loadavg', '?')}; median of {repeat} samples of >= {min_time * 1e3:g} ms, all sizes interleaved")
    T.warm_cpu()
    ns = make_ns([16] + SIZES)

    # 1. the Python API, sizes interleaved
    stmts = {n: f"relu(x{n}, out=o{n})" for n in SIZES}
    stmts["empty"] = "pass"
    st = T.compare(stmts, ns, min_time=min_time, repeat=repeat)
    loop = st["empty"].median
    t_api = {n: st[n].median for n in SIZES}
    below = [(n, t_api[n]) for n in SIZES if CURRENT_THRESHOLD / 8 <= n < CURRENT_THRESHOLD]
    above = [(n, t_api[n]) for n in SIZES if n >= CURRENT_THRESHOLD]
    print(f"\n== 1. relu(x, out=o) per call (timing loop {loop * 1e9:.0f} ns included)")
    print(f"{'n':>6} {'ns/call':>9} {'ns/elem':>8} {'GIL':>9}")
    for n in SIZES:
        print(f"{n:>6} {t_api[n] * 1e9:9.1f} {t_api[n] * 1e9 / n:8.3f} "
              f"{'released' if n >= CURRENT_THRESHOLD else 'held':>9}")
    step = None
    if len(below) >= 2 and len(above) >= 2:
        a0, b0 = fit(below)
        a1, b1 = fit(above)
        step = (a1 + b1 * CURRENT_THRESHOLD) - (a0 + b0 * CURRENT_THRESHOLD)
        print(f"  fit below ({below[0][0]}..{below[-1][0]}): {a0 * 1e9:6.1f} ns + {b0 * 1e9:.4f} ns/elem")
        print(f"  fit from  ({above[0][0]}..{above[-1][0]}): {a1 * 1e9:6.1f} ns + {b1 * 1e9:.4f} ns/elem")
        print(f"  step at n={CURRENT_THRESHOLD}: {step * 1e9:+.1f} ns (GIL release + cache effects; "
              "see 2. for the GIL alone)")

    # 2. the same C entry point with the GIL held / released (ctypes), interleaved
    stmts = {}
    for n in [16] + SIZES:
        stmts[("held", n)] = f"held({n}, px{n}, po{n}, pp)"
        stmts[("released", n)] = f"released({n}, px{n}, po{n}, pp)"
    st2 = T.compare(stmts, ns, min_time=min_time, repeat=repeat)
    print("\n== 2. rect_relu_f32 through ctypes: PyDLL (GIL held) vs CDLL (GIL released), uncontended")
    print(f"{'n':>6} {'held ns':>9} {'released':>9} {'GIL ns':>8} {'kernel ns':>10} {'GIL/kernel':>11}")
    gil_cost = {}
    for n in [16] + SIZES:
        h, rl = st2[("held", n)].median, st2[("released", n)].median
        gil_cost[n] = rl - h
    g_med = float(np.median(list(gil_cost.values())))
    # kernel time: the held call minus the held call at n=16 (the fixed cost of a ctypes call
    # and of an almost empty kernel)
    base = st2[("held", 16)].median
    kernel_ns = {}
    for n in [16] + SIZES:
        h, rl = st2[("held", n)].median, st2[("released", n)].median
        kernel_ns[n] = max(h - base, 0.0)
        ratio = g_med / kernel_ns[n] if kernel_ns[n] > 0 else float("inf")
        print(f"{n:>6} {h * 1e9:9.1f} {rl * 1e9:9.1f} {(rl - h) * 1e9:8.1f} {kernel_ns[n] * 1e9:10.1f} "
              f"{ratio:11.2f}")
    print(f"  one release + reacquire (median over sizes): {g_med * 1e9:.1f} ns; "
          "kernel ns = held call minus the held call at n=16; GIL/kernel = that median / kernel ns")

    # 3. contended: a busy Python thread
    print("\n== 3. contended: another thread runs Python code (switch interval "
          f"{sys.getswitchinterval() * 1e3:g} ms)")
    print(f"{'call':<34} {'alone':>10} {'contended':>11} {'other thread ops/s':>19}")
    cont_rows = []
    for label, stmt in [(f"relu, n={CURRENT_THRESHOLD // 2} (GIL held)",
                         f"relu(x{CURRENT_THRESHOLD // 2}, out=o{CURRENT_THRESHOLD // 2})"),
                        (f"relu, n={CURRENT_THRESHOLD} (GIL released)",
                         f"relu(x{CURRENT_THRESHOLD}, out=o{CURRENT_THRESHOLD})"),
                        ("ctypes PyDLL, n=16 (GIL held)", "held(16, px16, po16, pp)"),
                        ("ctypes CDLL, n=16 (GIL released)", "released(16, px16, po16, pp)")]:
        alone = T.measure(stmt, ns, min_time=min_time, repeat=3).median
        with Spinner() as sp:
            c0, t0 = sp.count, time.perf_counter()
            cont = T.measure(stmt, ns, min_time=min_time * 5, repeat=3).median
            rate = (sp.count - c0) / (time.perf_counter() - t0)
        cont_rows.append({"call": label, "alone_s": alone, "contended_s": cont, "other_rate": rate})
        print(f"{label:<34} {T.fmt_time(alone):>10} {T.fmt_time(cont):>11} {rate:19.0f}")

    # recommendation
    rec = None
    for n in SIZES:
        if kernel_ns[n] > 0 and g_med <= 0.10 * kernel_ns[n]:
            rec = n
            break
    print("\n== Recommendation")
    if g_med <= 0:
        print("  releasing the GIL costs nothing measurable here; any threshold >= a few hundred "
              "elements is fine")
    elif rec is None:
        print(f"  one release costs {g_med * 1e9:.0f} ns, more than 10 % of every kernel call up to "
              f"n={SIZES[-1]}: raise NOGIL_MIN_ELEMENTS above {SIZES[-1]}")
    else:
        cur = kernel_ns.get(CURRENT_THRESHOLD)
        share = f"{100 * g_med / cur:.0f} %" if cur else "?"
        print(f"  one uncontended release + reacquire: {g_med * 1e9:.0f} ns; at the current threshold "
              f"({CURRENT_THRESHOLD}) it is {share} of the kernel call.")
        print(f"  smallest power of 2 where it is <= 10 % of the kernel: {rec}"
              + (f" -> keep {CURRENT_THRESHOLD}" if rec == CURRENT_THRESHOLD else f" -> NOGIL_MIN_ELEMENTS = {rec}"))
        print("  (under contention every release can cost the caller up to a switch interval; "
              "releasing is still what lets other threads run, so do not go much below this)")
    if opts.json:
        T.save_json(opts.json, {
            "info": info, "active_path": r.capabilities()["active"],
            "api": {str(n): st[n].as_dict() for n in SIZES}, "empty_loop_s": loop,
            "step_s": step,
            "ctypes": {f"{k[0]}_{k[1]}": v.as_dict() for k, v in st2.items()},
            "gil_cost_s": gil_cost, "gil_cost_median_s": g_med, "kernel_s": kernel_ns,
            "contended": cont_rows, "recommended": rec})
        print(f"saved {opts.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
