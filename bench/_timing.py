"""Shared timing helpers for the benchmarks in bench/ (benchmark-only code, never imported by the
package).

Method, as in ``timeit``: each measured statement is compiled into a ``timeit.Timer`` loop (no
Python-level function call per repetition, GC off while timing), the number of repetitions per
sample is chosen so that one sample lasts at least ``min_time`` seconds (autorange), and the
result is the median over ``repeat`` samples of the time per call.  Several statements compared
with each other are measured *interleaved*: each round takes one sample of every statement, in an
order that rotates from round to round, so slow drifts of the machine (frequency, noisy
neighbours) hit all of them alike.

torch is optional: `import_torch()` returns None when it is not installed.
"""
from __future__ import annotations

import gc
import json
import math
import os
import platform
import statistics
import sys
import time
import timeit
from dataclasses import asdict, dataclass, field

# The peer comparisons are one thread each, rectifier's thread pool included (unless the caller
# sets RECTIFIER_NUM_THREADS); bench_threads.py sets its counts itself. Imported before rectifier.
os.environ.setdefault("RECTIFIER_NUM_THREADS", "1")

__all__ = [
    "Stat", "autorange", "measure", "compare", "warm_cpu", "machine_info", "check_not_emulated",
    "import_torch", "fmt_time", "fmt_ratio", "parse_size", "fmt_size", "save_json", "prepare_run",
]


@dataclass
class Stat:
    """The samples of one statement: seconds per call."""
    label: str
    number: int                     # calls per sample
    samples: list = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        """Interquartile range relative to the median (a noise indicator)."""
        if len(self.samples) < 4:
            return (max(self.samples) - min(self.samples)) / self.median
        q = statistics.quantiles(self.samples, n=4)
        return (q[2] - q[0]) / self.median

    def as_dict(self) -> dict:
        return {"label": self.label, "number": self.number, "median_s": self.median,
                "min_s": min(self.samples), "iqr_rel": self.spread, "samples_s": self.samples}


def _timer(stmt, ns: dict) -> timeit.Timer:
    return timeit.Timer(stmt, globals=ns)


def autorange(timer: timeit.Timer, min_time: float) -> int:
    """The number of calls that makes one sample last at least `min_time` seconds."""
    number = 1
    while True:
        t = timer.timeit(number)
        if t >= min_time:
            return number
        # aim 20 % above the target so that the next try usually succeeds
        guess = number * 1.2 * min_time / max(t, 1e-9)
        number = max(number * 2, min(int(math.ceil(guess)), number * 1000))


def compare(stmts: dict, ns: dict, *, min_time: float = 0.02, repeat: int = 7,
            warmup: int = 3) -> dict:
    """Interleaved measurement of several statements in one namespace.

    stmts: {label: statement string (or zero-argument callable)}; ns: the globals the statements
    see.  Returns {label: Stat}.  Each statement is warmed up (`warmup` calls), autoranged on its
    own, then `repeat` rounds each take one sample of every statement, the order rotating by one
    per round.
    """
    timers = {k: _timer(s, ns) for k, s in stmts.items()}
    for t in timers.values():
        t.timeit(warmup)
    stats = {k: Stat(k, autorange(t, min_time)) for k, t in timers.items()}
    keys = list(timers)
    for rnd in range(repeat):
        shift = rnd % len(keys)
        for k in keys[shift:] + keys[:shift]:
            st = stats[k]
            st.samples.append(timers[k].timeit(st.number) / st.number)
    return stats


def measure(stmt, ns: dict, *, min_time: float = 0.02, repeat: int = 7, warmup: int = 3) -> Stat:
    """One statement on its own (see `compare`)."""
    return compare({"stmt": stmt}, ns, min_time=min_time, repeat=repeat, warmup=warmup)["stmt"]


def warm_cpu(seconds: float = 0.3) -> None:
    """Spin for a while so that the core leaves its idle frequency before the first sample."""
    end = time.perf_counter() + seconds
    x = 0
    while time.perf_counter() < end:
        for i in range(1000):
            x += i
    gc.collect()


# ---------------------------------------------------------------------------------------------
# Machine description and sanity checks
# ---------------------------------------------------------------------------------------------

def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def cpu_model() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.lower().startswith(("model name", "hardware", "cpu model")):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def check_not_emulated() -> str | None:
    """A reason to refuse benchmarking (running under QEMU's instruction emulation), else None.

    Timings under emulation (qemu-user, or a full-system QEMU with the TCG emulator) say nothing
    about the real code.  A QEMU/KVM virtual machine (hardware virtualisation, a real CPU model
    name) is fine.
    """
    cpuinfo = _read("/proc/cpuinfo")
    model = cpu_model()
    if "qemu" in model.lower():
        return f"the CPU model is {model!r}: QEMU's emulated CPU"
    machine = platform.machine().lower()
    has_x86_flags = any(line.startswith("flags") and " sse2" in line for line in cpuinfo.splitlines())
    has_arm_lines = "CPU implementer" in cpuinfo
    if machine in ("aarch64", "arm64") and has_x86_flags:
        return "an aarch64 Python on an x86-64 CPU: qemu-user emulation"
    if machine in ("x86_64", "amd64") and has_arm_lines and not has_x86_flags:
        return "an x86-64 Python on an ARM CPU: qemu-user (or Rosetta-like) emulation"
    return None


def import_torch(threads: int = 1):
    """torch with `threads` intra-op threads, or None when it is not installed."""
    try:
        import torch
    except Exception:   # ImportError, or a broken install
        return None
    torch.set_num_threads(threads)
    return torch


def machine_info(torch=None) -> dict:
    import numpy as np
    info = {
        "cpu": cpu_model(),
        "processor": platform.processor(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "torch": None if torch is None else torch.__version__,
    }
    if torch is not None:
        try:
            info["torch_cpu_capability"] = torch.backends.cpu.get_cpu_capability()
        except Exception:
            pass
        info["torch_threads"] = torch.get_num_threads()
    try:
        import rectifier
        info["rectifier"] = rectifier.__version__
        info["rectifier_capabilities"] = {k: list(v) if isinstance(v, tuple) else v
                                          for k, v in rectifier.capabilities().items()}
    except Exception:
        pass
    load = _read("/proc/loadavg").split()
    if load:
        info["loadavg"] = " ".join(load[:3])   # other work on the machine makes the times noisy
    for var in ("OPENBLAS_CORETYPE", "OMP_NUM_THREADS", "RECTIFIER_DISABLE"):
        if os.environ.get(var):
            info.setdefault("env", {})[var] = os.environ[var]
    return info


# ---------------------------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------------------------

def fmt_time(seconds: float) -> str:
    """Seconds with a unit, 4 significant characters or so."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if seconds >= scale or unit == "ns":
            v = seconds / scale
            return f"{v:.3g} {unit}" if v < 100 else f"{v:.0f} {unit}"
    return str(seconds)


def fmt_ratio(r) -> str:
    if r is None:
        return "-"
    return f"{r:.2f}" if r < 100 else f"{r:.0f}"


_SUFFIX = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def parse_size(text: str) -> int:
    """'16', '4K', '64k', '1M', '16M' (binary prefixes) -> elements."""
    t = text.strip().lower()
    if t and t[-1] in _SUFFIX:
        return int(float(t[:-1]) * _SUFFIX[t[-1]])
    return int(t)


def fmt_size(n: int) -> str:
    for suffix, scale in (("M", 1 << 20), ("K", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{suffix}"
    return str(n)


def save_json(path: str, payload: dict) -> None:
    def default(o):
        if hasattr(o, "as_dict"):
            return o.as_dict()
        if hasattr(o, "__dataclass_fields__"):
            return asdict(o)
        if hasattr(o, "tolist"):
            return o.tolist()
        return str(o)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=1, default=default)
        f.write("\n")


def cpu_paths():
    """Every CPU path of rectifier's path table (the C table RECT_CPU_PATHS), lowest precedence
    first: the choices of --path."""
    from rectifier._core import PATHS
    return PATHS


def prepare_run(script: str, path) -> int:
    """The common start of a benchmark: refuse to run under emulation, and restrict rectifier to
    the CPU path `path` (None: leave it). Returns 0, or the exit status 2 after saying why."""
    why = check_not_emulated()
    if why:
        print(f"{script}: refusing to benchmark under emulation ({why})", file=sys.stderr)
        return 2
    if path:
        import rectifier
        try:
            rectifier.set_capabilities(["scalar", path])
        except ValueError as e:
            print(f"{script}: {e}", file=sys.stderr)
            return 2
    return 0


def peer_parser(doc: str):
    """The arguments the peer benchmarks share (--quick, --path, --no-torch); a script adds its own."""
    import argparse
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--path", choices=cpu_paths())
    ap.add_argument("--no-torch", action="store_true")
    return ap


def start_peer_run(script: str, opts, repeat: int):
    """prepare_run, then torch (one thread, unless --no-torch), the sampling (min_time, repeat:
    fewer with --quick) and the machine description. Returns (status, torch, min_time, repeat, info);
    a non-zero status means the script should exit with it."""
    status = prepare_run(script, opts.path)
    if status:
        return status, None, 0.0, 0, {}
    torch = None if opts.no_torch else import_torch(threads=1)
    min_time, repeat = (0.005, 3) if opts.quick else (0.02, repeat)
    return 0, torch, min_time, repeat, machine_info(torch)
