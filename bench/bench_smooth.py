"""Benchmark of the smooth family (float32, one thread) against the peers a user would pick instead:
PyTorch, ONNX Runtime, JAX (jit), numexpr and NumPy/SciPy, all in one process. For every function
it prints each library's speed (Gelem/s, medians of interleaved runs) and its measured maximum ULP
error on the same inputs, and draws one picture: speed against accuracy, one point per library.

    python bench/bench_smooth.py [--sizes 64K,1M,16M] [--functions sigmoid,gelu,...]
                                 [--peers torch,onnxruntime,jax,numexpr,numpy] [--quick]
                                 [--stride 4099] [--markdown bench/peers_results.md]
                                 [--png docs/peers_speed_accuracy.png] [--json out.json]

    ATEN_CPU_CAPABILITY=avx2 RECTIFIER_DISABLE=avx512 python bench/bench_smooth.py ...  # AVX2 view

Every peer is optional: one that is not installed is printed as absent. Each runs one thread:
torch.set_num_threads(1); ONNX Runtime intra_op_num_threads=1 (a one-node model per function,
built with onnx.helper, inputs and outputs bound in place); JAX with XLA_FLAGS
"--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1", set here before jax is
imported; numexpr.set_num_threads(1).  Where a library writes into a given array it does so
(rectifier, NumPy and numexpr out=, torch's out= variants, ONNX Runtime's bound output), so that
at 16M the times compare passes over memory and not page faults; np.copyto of the same array is
the memory ceiling.  softmax and log_softmax run over rows of 1024.

Speed: ratio = the fastest peer's time / rectifier's time (> 1: rectifier is faster), the fastest
among PyTorch, ONNX Runtime and JAX; "vs torch" the same against PyTorch alone (the one peer whose
CPU path can be forced: ATEN_CPU_CAPABILITY); at 16M also rectifier's time / np.copyto's.

Accuracy: every library computes the function on the same float32 inputs: every --stride-th bit
pattern of all 2**32 (each binade, both signs) plus the special values (+-0, +-inf, NaN, the
subnormal and overflow edges); the softmax rows are random rows whose scales run from 0.1 to 100.
The references are bench/accuracy.py's float64 ones (float64 NumPy for tanh and the softmax rows
where accuracy.py has none); the scoring is accuracy.py's.  The table gives the maximum ULP error
over results that are normal floats; the tail column says what happens elsewhere: NaN or a wrong
infinity where the true result is a number (often at +-inf), subnormal results flushed to zero, or
the sign of a zero lost.  These are samples, not the exhaustive sweep: rectifier's exhaustive
results are in bench/accuracy_results.md.

Never run it under qemu.
"""
from __future__ import annotations

import datetime
import os
import sys
import textwrap
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _timing as T  # noqa: E402
import accuracy as A  # noqa: E402

import rectifier as r  # noqa: E402

ELEMENTWISE = ["sigmoid", "silu", "gelu", "gelu_tanh", "elu", "celu", "selu", "softplus",
               "log_sigmoid", "mish", "hardswish", "hardsigmoid", "tanh", "tanhshrink"]
ROWS = ["softmax", "log_softmax"]          # along rows of ROW_LENGTH
ROW_LENGTH = 1024
LIBRARIES = ["rectifier", "torch", "onnxruntime", "jax", "numexpr", "numpy"]
FAST_PEERS = ("torch", "onnxruntime", "jax")   # the ratio is against the fastest of these
SELU_ALPHA, SELU_SCALE = float(A.SELU_ALPHA), float(A.SELU_SCALE)
# 16M targets (rectifier's time / np.copyto's)
COPY_TARGET = {"sigmoid": 1.3, "silu": 1.3, "elu": 1.3, "softplus": 1.3, "log_sigmoid": 1.3,
               "tanh": 1.3, "gelu": 2.0, "gelu_tanh": 2.0, "mish": 2.0}

# ------------------------------------------------------------------------------------------------
# the libraries: make(name, x, out) -> a zero-argument call that computes name(x), or None where
# the library has no such function; result(call) -> the float32 result as a NumPy array
# ------------------------------------------------------------------------------------------------


class Rectifier:
    label = "rectifier"

    def __init__(self):
        self.version = r.__version__

    def make(self, name, x, out):
        if name in ROWS:
            f = getattr(r, name)
            return lambda: f(x, axis=-1, out=out)
        func = A.FUNCS.get(name)
        public, kw = (func.public, func.kwargs) if func else (name, {})
        f = getattr(r, public, None)
        if f is None:
            return None                     # not in this build
        return lambda: f(x, out=out, **kw)

    def result(self, value):
        return value


class Torch:
    label = "torch"

    def __init__(self, torch):
        self.torch, self.version = torch, torch.__version__
        self.capability = torch.backends.cpu.get_cpu_capability()

    def make(self, name, x, out):
        torch = self.torch
        nn, t, o = torch._C._nn, torch.from_numpy(x), torch.from_numpy(out)
        F = torch.nn.functional
        calls = {   # the out= variants where torch has one (torch._C._nn is what F calls)
            "sigmoid": lambda: torch.sigmoid(t, out=o),
            "silu": lambda: nn.silu(t, out=o),
            "gelu": lambda: nn.gelu(t, out=o),
            "gelu_tanh": lambda: nn.gelu(t, approximate="tanh", out=o),
            "elu": lambda: nn.elu(t, out=o),
            "celu": lambda: F.celu(t),
            "selu": lambda: F.selu(t),
            "softplus": lambda: nn.softplus(t, out=o),
            "log_sigmoid": lambda: nn.log_sigmoid(t, out=o),
            "mish": lambda: nn.mish(t, out=o),
            "hardswish": lambda: nn.hardswish(t, out=o),
            "hardsigmoid": lambda: nn.hardsigmoid(t, out=o),
            "tanh": lambda: torch.tanh(t, out=o),
            "tanhshrink": lambda: F.tanhshrink(t),
            "softmax": lambda: torch.softmax(t, dim=-1),
            "log_softmax": lambda: torch.log_softmax(t, dim=-1),
        }
        return calls.get(name)

    def result(self, value):
        return value.numpy()


class OnnxRuntime:
    label = "onnxruntime"
    OPSET = 24          # Swish (silu) needs 24; Gelu 20; Mish 18
    # name: the nodes [(op, inputs, output, attributes)] from x to y
    GRAPHS = {
        "sigmoid": [("Sigmoid", ["x"], "y", {})],
        "silu": [("Swish", ["x"], "y", {})],
        "gelu": [("Gelu", ["x"], "y", {})],
        "gelu_tanh": [("Gelu", ["x"], "y", {"approximate": "tanh"})],
        "elu": [("Elu", ["x"], "y", {"alpha": 1.0})],
        "celu": [("Celu", ["x"], "y", {"alpha": 1.0})],
        "selu": [("Selu", ["x"], "y", {"alpha": SELU_ALPHA, "gamma": SELU_SCALE})],
        "softplus": [("Softplus", ["x"], "y", {})],
        "log_sigmoid": [("Neg", ["x"], "n", {}), ("Softplus", ["n"], "s", {}), ("Neg", ["s"], "y", {})],
        "mish": [("Mish", ["x"], "y", {})],
        "hardswish": [("HardSwish", ["x"], "y", {})],
        "hardsigmoid": [("HardSigmoid", ["x"], "y", {"alpha": 1.0 / 6.0, "beta": 0.5})],
        "tanh": [("Tanh", ["x"], "y", {})],
        "tanhshrink": [("Tanh", ["x"], "t", {}), ("Sub", ["x", "t"], "y", {})],
        "softmax": [("Softmax", ["x"], "y", {"axis": -1})],
        "log_softmax": [("LogSoftmax", ["x"], "y", {"axis": -1})],
    }

    def __init__(self, ort, onnx):
        self.ort, self.onnx, self.version = ort, onnx, ort.__version__
        self.sessions = {}

    # for a runtime older than the opset: silu as x * sigmoid(x)
    FALLBACK = {"silu": (13, [("Sigmoid", ["x"], "s", {}), ("Mul", ["x", "s"], "y", {})])}

    def session(self, name, ndim):
        key = (name, ndim)
        if key not in self.sessions:
            try:
                self.sessions[key] = self._session(self.GRAPHS[name], self.OPSET, ndim)
            except Exception:
                if name not in self.FALLBACK:
                    raise
                self.sessions[key] = self._session(self.FALLBACK[name][1], self.FALLBACK[name][0], ndim)
        return self.sessions[key]

    def _session(self, spec, opset, ndim):
        h, P = self.onnx.helper, self.onnx.TensorProto
        nodes = [h.make_node(op, ins, [out], **attrs) for op, ins, out, attrs in spec]
        dims = [None] * ndim
        graph = h.make_graph(nodes, "f", [h.make_tensor_value_info("x", P.FLOAT, dims)],
                             [h.make_tensor_value_info("y", P.FLOAT, dims)])
        model = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])
        model.ir_version = 10
        so = self.ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.execution_mode = self.ort.ExecutionMode.ORT_SEQUENTIAL
        return self.ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])

    def make(self, name, x, out):
        if name not in self.GRAPHS:
            return None
        sess = self.session(name, x.ndim)
        binding = sess.io_binding()
        binding.bind_cpu_input("x", x)
        binding.bind_output("y", "cpu", 0, np.float32, list(out.shape), out.ctypes.data)
        run = sess.run_with_iobinding
        return lambda: (run(binding), out)[1]

    def result(self, value):
        return value


class Jax:
    label = "jax"

    def __init__(self, jax):
        import jax.numpy as jnp
        self.jax, self.jnp, self.version = jax, jnp, jax.__version__
        nn = jax.nn
        self.fns = {
            "sigmoid": nn.sigmoid, "silu": nn.silu,
            "gelu": lambda v: nn.gelu(v, approximate=False),
            "gelu_tanh": lambda v: nn.gelu(v, approximate=True),
            "elu": nn.elu, "celu": nn.celu, "selu": nn.selu, "softplus": nn.softplus,
            "log_sigmoid": nn.log_sigmoid, "mish": getattr(nn, "mish", None),
            "hardswish": nn.hard_swish, "hardsigmoid": nn.hard_sigmoid, "tanh": jnp.tanh,
            "tanhshrink": lambda v: v - jnp.tanh(v),
            "softmax": lambda v: nn.softmax(v, axis=-1),
            "log_softmax": lambda v: nn.log_softmax(v, axis=-1),
        }

    def make(self, name, x, out):
        fn = self.fns.get(name)
        if fn is None:
            return None
        f, xj = self.jax.jit(fn), self.jax.device_put(x)
        return lambda: f(xj).block_until_ready()

    def result(self, value):
        return np.asarray(value)


class Numexpr:
    label = "numexpr"
    SOFTPLUS = "where(x > 0, x + log1p(exp(-x)), log1p(exp(x)))"
    HARDSIGMOID = "where(x <= -3, 0, where(x >= 3, 1, (x + 3) / 6))"
    # float constants are passed as float32 variables: a literal 1.05 would make numexpr compute
    # in float64
    EXPRESSIONS = {
        "sigmoid": "1 / (1 + exp(-x))",
        "silu": "x / (1 + exp(-x))",
        "gelu_tanh": "h * x * (1 + tanh(k * (x + c * x * x * x)))",
        "elu": "where(x > 0, x, expm1(x))",
        "celu": "where(x > 0, x, expm1(x))",
        "selu": "where(x > 0, s * x, sa * expm1(x))",
        "softplus": SOFTPLUS,
        "log_sigmoid": "where(x < 0, x - log1p(exp(x)), -log1p(exp(-x)))",
        "mish": f"x * tanh({SOFTPLUS})",
        "hardswish": f"x * {HARDSIGMOID}",
        "hardsigmoid": HARDSIGMOID,
        "tanh": "tanh(x)",
        "tanhshrink": "x - tanh(x)",
    }
    CONSTANTS = {"h": 0.5, "k": float(np.sqrt(2 / np.pi)), "c": 0.044715, "s": SELU_SCALE,
                 "sa": SELU_SCALE * SELU_ALPHA}

    def __init__(self, ne):
        ne.set_num_threads(1)
        self.ne, self.version = ne, ne.__version__

    def make(self, name, x, out):
        expr = self.EXPRESSIONS.get(name)
        if expr is None:
            return None
        env = {k: np.float32(v) for k, v in self.CONSTANTS.items()}
        env["x"] = x
        evaluate = self.ne.evaluate
        return lambda: evaluate(expr, local_dict=env, out=out)

    def result(self, value):
        return value


class NumpyScipy:
    label = "numpy"

    def __init__(self):
        try:
            import scipy
            import scipy.special as sp
        except ImportError:
            sp, scipy = None, None
        self.sp = sp
        self.version = f"{np.__version__}" + (f", SciPy {scipy.__version__}" if scipy else "")

    def make(self, name, x, out):
        sp, f32 = self.sp, np.float32
        s, sa = f32(SELU_SCALE), f32(SELU_SCALE * SELU_ALPHA)
        k, c = f32(np.sqrt(2 / np.pi)), f32(0.044715)

        def hardsigmoid():
            np.add(x, f32(3), out=out)
            np.clip(out, 0, 6, out=out)
            return np.divide(out, f32(6), out=out)

        def elu_like(scale_neg, scale_pos):
            return np.where(x > 0, x * scale_pos, scale_neg * np.expm1(np.minimum(x, 0)))

        calls = {
            "elu": lambda: elu_like(f32(1), f32(1)),
            "celu": lambda: elu_like(f32(1), f32(1)),
            "selu": lambda: elu_like(sa, s),
            "softplus": lambda: np.logaddexp(x, f32(0), out=out),
            "mish": lambda: np.multiply(x, np.tanh(np.logaddexp(x, f32(0))), out=out),
            "hardsigmoid": hardsigmoid,
            "hardswish": lambda: np.multiply(x, hardsigmoid(), out=out),
            "tanh": lambda: np.tanh(x, out=out),
            "tanhshrink": lambda: np.subtract(x, np.tanh(x, out=out), out=out),
        }
        if sp is not None:
            calls.update({
                "sigmoid": lambda: sp.expit(x, out=out),
                "silu": lambda: np.multiply(x, sp.expit(x), out=out),
                "gelu": lambda: np.multiply(x, sp.ndtr(x), out=out),
                "gelu_tanh": lambda: np.multiply(x, sp.expit(f32(2) * k * (x + c * x * x * x)), out=out),
                "log_sigmoid": lambda: sp.log_expit(x, out=out),
                "softmax": lambda: sp.softmax(x, axis=-1),
                "log_softmax": lambda: sp.log_softmax(x, axis=-1),
            })
        return calls.get(name)

    def result(self, value):
        return value


def load_libraries(wanted):
    """{label: library or the reason it is absent}; jax's thread flags are set before its import."""
    libs = {"rectifier": Rectifier()}
    for label in wanted:
        try:
            if label == "torch":
                torch = T.import_torch(threads=1)
                if torch is None:
                    raise ImportError("torch is not installed")
                libs[label] = Torch(torch)
            elif label == "onnxruntime":
                import onnx
                import onnxruntime as ort
                libs[label] = OnnxRuntime(ort, onnx)
            elif label == "jax":
                flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
                if "jax" not in sys.modules:
                    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + flags).strip()
                import jax
                libs[label] = Jax(jax)
            elif label == "numexpr":
                import numexpr
                libs[label] = Numexpr(numexpr)
            elif label == "numpy":
                libs[label] = NumpyScipy()
        except Exception as e:      # ImportError, or a broken install
            libs[label] = f"absent ({type(e).__name__}: {str(e).splitlines()[0][:80]})"
    return libs

# ------------------------------------------------------------------------------------------------
# inputs and references
# ------------------------------------------------------------------------------------------------


def timing_input(name, size):
    rng = np.random.default_rng(0)     # the same inputs in every run and for every function
    x = (rng.standard_normal(size) * 4).astype(np.float32)
    return x.reshape(-1, ROW_LENGTH) if name in ROWS and size >= ROW_LENGTH else x


def accuracy_input(name, stride):
    t = A.TYPES["float32"]
    if name in ROWS:
        rng = np.random.default_rng(1)
        scales = np.logspace(-1, 2, 256)[:, None]
        return (rng.standard_normal((256, ROW_LENGTH)) * scales).astype(np.float32)
    bits = np.arange(0, 1 << 32, stride, dtype=np.uint64).astype(np.uint32)
    special = A.special_bits(t)
    return np.concatenate([bits, special[special.astype(np.uint64) % np.uint64(stride) != 0]]).view(np.float32)


def reference(name, x):
    """A reference of name(x) in float64 (the softmax rows: long double)."""
    with np.errstate(all="ignore"):
        if name in A.FUNCS:
            return A.FUNCS[name].ref(x.astype(np.float64))
        if name == "tanh":
            return np.tanh(x.astype(np.float64))
        # in long double (x87 on x86-64: 11 more bits and the range to 1e-4951), with the log of
        # the sum as log1p of the terms other than the row's maximum: log_softmax of the largest
        # element is -log1p(rest), often far below 1, and must keep its relative accuracy
        z = x.astype(np.longdouble)
        z -= z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        e[np.arange(z.shape[0]), np.argmax(z, axis=-1)] = 0
        lse = np.log1p(e.sum(axis=-1, keepdims=True))
        return np.exp(z - lse) if name == "softmax" else z - lse


SMALLEST_NORMAL = float(np.finfo(np.float32).tiny)


def score(x, y, ref):
    """Max ULP over normal results, and what happens in the tails."""
    t = A.TYPES["float32"]
    x, y, ref = x.ravel(), np.ascontiguousarray(y, dtype=np.float32).ravel(), ref.ravel()
    with np.errstate(all="ignore"):
        rounded = ref.astype(np.float32)
    normal = np.isfinite(rounded) & (np.abs(rounded) >= SMALLEST_NORMAL)
    tails = {}
    st_n = A.compare(x[normal], y[normal], ref[normal], t, t.bound, 3)
    st_t = A.compare(x[~normal], y[~normal], ref[~normal], t, t.bound, 3)
    for kind in A.KINDS:
        n = st_n.mism[kind] + st_t.mism[kind]
        if n:
            ex = (st_n.mism_ex[kind] + st_t.mism_ex[kind])[:2]
            tails[kind] = (n, [float(e[0]) for e in ex])
    sub = ~normal & np.isfinite(rounded) & (rounded != 0)
    flushed = int(np.count_nonzero(sub & (y == 0)))
    return {"max_ulp": st_n.max_err,
            "worst_x": None if st_n.worst is None else float(st_n.worst[0]),
            "subnormal_results": int(np.count_nonzero(sub)), "flushed": flushed,
            "subnormal_max_ulp": st_t.max_err if st_t.worst is not None else 0.0,
            "mismatches": tails}


def tail_note(s):
    parts = []
    if s["max_ulp"] > 4 and s["worst_x"] is not None:     # where a large error is
        parts.append(f"max {fmt_ulp(s['max_ulp'])} ULP at x={s['worst_x']:.6g}")
    names = {"nan": "NaN", "inf": "wrong inf", "zero": "nonzero for 0", "sign0": "-0/+0 swapped"}
    for kind, (n, ex) in s["mismatches"].items():
        parts.append(f"{names[kind]} x{n} (x={', '.join(f'{v:.3g}' for v in ex)})")
    if s["subnormal_results"]:
        if s["flushed"] == s["subnormal_results"]:
            parts.append("subnormals flushed")
        elif s["flushed"]:
            parts.append(f"{s['flushed']}/{s['subnormal_results']} subnormals flushed")
        elif s["subnormal_max_ulp"] > 1:
            parts.append(f"subnormals {s['subnormal_max_ulp']:.3g} ULP")
    return "; ".join(parts) or "ok"

# ------------------------------------------------------------------------------------------------
# the machine, and the run
# ------------------------------------------------------------------------------------------------

FLAGS = ("avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16",
         "avx512vbmi", "avx512ifma", "avx512_vnni", "asimd", "sve")


def machine_line(libs):
    flags = set()
    for line in T._read("/proc/cpuinfo").splitlines():
        if line.startswith(("flags", "Features")):
            flags = set(line.split(":", 1)[1].split())
            break
    load = " ".join(T._read("/proc/loadavg").split()[:3]) or "?"
    env = " ".join(f"{k}={os.environ[k]}" for k in ("ATEN_CPU_CAPABILITY", "RECTIFIER_DISABLE")
                   if os.environ.get(k))
    torch = libs.get("torch")
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"{date}; {T.cpu_model()}, {os.cpu_count()} CPUs, flags {' '.join(f for f in FLAGS if f in flags)}; "
            f"load average {load}; rectifier path {r.capabilities()['active']}"
            + (f", torch {torch.capability}" if isinstance(torch, Torch) else "")
            + (f"; {env}" if env else ""))


def mode_name():
    return "avx2" if os.environ.get("ATEN_CPU_CAPABILITY", "").lower() == "avx2" else "default"


def measure_size(name, size, libs, min_time, repeat):
    """{label: seconds per call} (and 'copyto') for name at size."""
    x = timing_input(name, size)
    calls = {}
    outs = {}
    for label, lib in libs.items():
        if isinstance(lib, str):
            continue
        outs[label] = np.empty_like(x)
        call = lib.make(name, x, outs[label])
        if call is not None:
            calls[label] = call
    if name not in ROWS:
        dst = np.empty_like(x)
        calls["copyto"] = lambda: np.copyto(dst, x)
    with np.errstate(all="ignore"):
        stats = T.compare(calls, {}, min_time=min_time, repeat=repeat)
    return {k: s.median for k, s in stats.items()}


def measure_accuracy(name, libs, stride):
    x = accuracy_input(name, stride)
    ref = reference(name, x)
    out = {}
    for label, lib in libs.items():
        if isinstance(lib, str):
            continue
        y = np.empty_like(x)
        call = lib.make(name, x, y)
        if call is None:
            continue
        with np.errstate(all="ignore"):
            out[label] = score(x, lib.result(call()), ref)
    return out


def fmt_ulp(v):
    return "-" if v is None else (f"{v:.2f}" if v < 10 else f"{v:.3g}")


def speed_table(size, names, times, present):
    n = size
    head = ["function", *present, "fastest peer", "ratio", "vs torch"] + (["ours/copyto"] if size >= 1 << 24 else [])
    rows = []
    for name in names:
        t = times.get(name, {})
        mine = t.get("rectifier")
        cells = [name + (" (rows)" if name in ROWS else "")]
        for lib in present:
            cells.append(f"{n / t[lib] / 1e9:.2f}" if lib in t else "-")
        peers = {k: t[k] for k in FAST_PEERS if k in t}
        if peers:
            best = min(peers, key=peers.get)
            cells.append(best)
            cells.append(T.fmt_ratio(peers[best] / mine) if mine else "not in this build")
        else:
            cells += ["-", "-"]
        cells.append(T.fmt_ratio(t["torch"] / mine) if mine and "torch" in t else "-")
        if size >= 1 << 24:
            if mine and "copyto" in t:
                ratio = mine / t["copyto"]
                target = COPY_TARGET.get(name)
                cells.append(f"{ratio:.2f}" + (f" (target {target})" if target else ""))
            else:
                cells.append("-")
        rows.append(cells)
    return head, rows


def accuracy_table(names, acc, present):
    head = ["function", *present]
    rows, tails = [], []
    for name in names:
        a = acc.get(name, {})
        rows.append([name] + [fmt_ulp(a[lib]["max_ulp"]) if lib in a else "-" for lib in present])
        for lib in present:
            if lib in a:
                note = tail_note(a[lib])
                if note != "ok":
                    tails.append(f"{name}, {lib}: {note}")
    return head, rows, tails


def md_table(head, rows):
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(head, rows):
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows)]
    return "\n".join("  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths)))
                     for row in [head, *rows])


def write_markdown(path, mode, text):
    """Replace this mode's section of the file (the other mode's run keeps its own)."""
    begin, end = f"<!-- begin {mode} -->", f"<!-- end {mode} -->"
    old = open(path, encoding="utf-8").read() if os.path.exists(path) else (
        "# rectifier's smooth family against its peers (float32, one thread)\n\n"
        "Written by `bench/bench_smooth.py` (its docstring says how it measures); one section per "
        "run: the default CPU paths, and PyTorch and rectifier forced to AVX2.\n")
    section = f"{begin}\n{text}\n{end}"
    if begin in old and end in old:
        new = old[:old.index(begin)] + section + old[old.index(end) + len(end):]
    else:
        new = old.rstrip("\n") + "\n\n" + section + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(new)


def draw(path, names, times, acc, size, present, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = [n for n in names if n in acc]
    cols = min(5, len(names))
    rows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.7 * rows), squeeze=False)
    colors = dict(zip(LIBRARIES, ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#7f7f7f"]))
    markers = dict(zip(LIBRARIES, "o s ^ D v P".split()))
    for ax, name in zip(axes.flat, names):
        for lib in present:
            if lib in acc[name] and lib in times.get(name, {}):
                ulp = max(acc[name][lib]["max_ulp"], 0.1)   # a log axis: exact results shown at 0.1
                ax.scatter([ulp], [size / times[name][lib] / 1e9], color=colors[lib], marker=markers[lib],
                           s=40, label=lib, zorder=3)
        ax.set_xscale("log")
        ax.set_xlim(0.05, 1e8)
        ax.set_ylim(bottom=0)
        ax.axvline(1.0, color="0.6", lw=0.8, ls="--")
        ax.set_title(name, fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("Gelem/s", fontsize=8)
    for ax in axes[-1, :]:
        ax.set_xlabel("max ULP error (normal results)", fontsize=8)
    handles = [plt.Line2D([], [], color=colors[l], marker=markers[l], ls="", label=l) for l in present]
    fig.legend(handles=handles, loc="lower right", ncol=len(present), fontsize=8, frameon=False)
    fig.suptitle(textwrap.fill(title, 160), fontsize=8)
    fig.tight_layout(rect=(0, 0.03, 1, 0.95))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = T.peer_parser(__doc__)
    ap.add_argument("--sizes", default="64K,1M,16M")
    ap.add_argument("--functions", default=",".join(ELEMENTWISE + ROWS))
    ap.add_argument("--peers", default=",".join(LIBRARIES[1:]))
    ap.add_argument("--stride", type=int, default=4099,
                    help="accuracy inputs: every STRIDE-th float32 bit pattern (0: no accuracy)")
    ap.add_argument("--markdown", help="write (this mode's section of) a Markdown file")
    ap.add_argument("--png", help="draw speed (smallest size) against accuracy")
    ap.add_argument("--json")
    opts = ap.parse_args(argv)
    peers = [p for p in opts.peers.split(",") if p]
    if opts.no_torch and "torch" in peers:
        peers.remove("torch")
    names = [n for n in opts.functions.split(",") if n]
    unknown = set(names) - set(ELEMENTWISE + ROWS)
    if unknown:
        ap.error(f"unknown functions {sorted(unknown)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        libs = load_libraries(peers)
    status = T.prepare_run("bench_smooth", opts.path)
    if status:
        return status
    min_time, repeat = (0.005, 3) if opts.quick else (0.02, 7)
    present = [k for k in LIBRARIES if k in libs and not isinstance(libs[k], str)]
    sizes = [T.parse_size(s) for s in opts.sizes.split(",")]
    start = machine_line(libs)
    print(f"rectifier smooth family vs peers, float32, one thread, medians of {repeat} interleaved samples")
    print(f"machine: {start}")
    versions = "; ".join(f"{k} {v.version if not isinstance(v, str) else v}" for k, v in libs.items())
    print(f"libraries: {versions}")
    missing = [n for n in names if Rectifier().make(n, np.zeros(ROW_LENGTH, np.float32),
                                                    np.zeros(ROW_LENGTH, np.float32)) is None]
    if missing:
        print(f"not in this build of rectifier (no pass): {', '.join(missing)}")

    acc = {}
    if opts.stride:
        t0 = time.perf_counter()
        for name in names:
            acc[name] = measure_accuracy(name, libs, opts.stride)
        print(f"accuracy measured in {time.perf_counter() - t0:.0f} s")
    times = {}
    sections = []
    for size in sizes:
        times[size] = {name: measure_size(name, size, libs, min_time, repeat) for name in names}
        head, rows = speed_table(size, names, times[size], present)
        print(f"\n{T.fmt_size(size)} elements, Gelem/s (ratio: fastest of {', '.join(FAST_PEERS)} time / ours)")
        print(text_table(head, rows))
        sections.append(f"### {T.fmt_size(size)} elements: Gelem/s\n\n{md_table(head, rows)}")
    end = " ".join(T._read("/proc/loadavg").split()[:3])
    if acc:
        head, rows, tails = accuracy_table(names, acc, present)
        print(f"\nmax ULP error over normal results (every {opts.stride}th float32 pattern + specials; "
              f"softmax: 256 rows of {ROW_LENGTH}, scales 0.1-100)")
        print(text_table(head, rows))
        print("where the large errors are, and the tails:" + "".join(f"\n  {t}" for t in tails))
        sections.append(f"### max ULP error, normal results (every {opts.stride}th float32 bit pattern "
                        f"and the special values; softmax rows: 256 rows of {ROW_LENGTH}, scales 0.1 to 100)"
                        f"\n\n{md_table(head, rows)}\n\nWhere the large errors are, and the tails (results that are "
                        "not normal floats):\n\n"
                        + "\n".join(f"- {t}" for t in tails))
    print(f"load average at the end: {end}")
    mode = mode_name()
    if opts.markdown:
        text = (f"## {'PyTorch and rectifier forced to AVX2' if mode == 'avx2' else 'Default CPU paths'}\n\n"
                f"{start}; load average at the end {end}.\n\n{versions}.\n\n"
                + (f"Not in this build of rectifier (no pass): {', '.join(missing)}.\n\n" if missing else "")
                + "\n\n".join(sections))
        write_markdown(opts.markdown, mode, text)
    if opts.png and acc:
        draw(opts.png, names, times[sizes[0]], acc, sizes[0], present,
             f"float32, one thread, {T.fmt_size(sizes[0])} elements: speed against max ULP error. {start}")
    if opts.json:
        T.save_json(opts.json, {"machine": start, "end_load": end, "versions": versions, "mode": mode,
                                "times_s": {T.fmt_size(s): v for s, v in times.items()}, "accuracy": acc})
    return 0


if __name__ == "__main__":
    sys.exit(main())
