"""Instructions per vector in the hot loops of rectifier's float32 kernels, and of PyTorch's where
its library has symbols: the static count the benchmarks' speeds can be read against (a 2-CPU KVM
guest has no hardware counters, so this is what can be measured without them).

    python bench/op_counts.py [--functions sigmoid,silu,...] [--paths avx512,avx2] [--no-torch]

How it counts: it disassembles the kernel (objdump -d) and takes its loops (the bodies of the
conditional backward jumps); the loop with the most vector stores is the unrolled main loop
(RECT_DRIVE in src/kernels/loops.h: four vectors per iteration), and its length divided by its
stores is the count per vector: 16 floats on avx512, 8 on avx2. For PyTorch it takes the AVX-512
float loop of `<name>_kernel` (its `VectorizedLoop2d` callback) and adds the length of every function
that loop calls (Sleef's, straight-line code) to the loop's own length, then divides by the loop's
stores. Functions PyTorch computes elsewhere (tanh and gelu go through other loops, or MKL) are left
out ("-"). Two counts per kernel: every instruction, and the vector arithmetic alone (instructions
on vector registers other than plain register moves, loads and stores: what occupies the vector
ports, which is what bounds these loops where a core issues two 512-bit operations a cycle at
most). Counts are instructions, not cycles: read them beside the speeds of bench_smooth.py.
"""
from __future__ import annotations

import argparse
import bisect
import re
import shutil
import subprocess
import sys

FUNCTIONS = ["sigmoid", "silu", "gelu", "gelu_tanh", "elu", "celu", "selu", "softplus", "log_sigmoid",
             "mish", "hardswish", "hardsigmoid", "tanh", "tanhshrink"]
# rectifier's name -> the name of PyTorch's kernel, where it differs
TORCH_KERNEL = {"gelu_tanh": None, "gelu": None, "tanh": None, "tanhshrink": None, "celu": None,
                "selu": None, "log_sigmoid": None, "hardsigmoid": None}
VECTOR_REGISTER = {"avx512": "zmm", "avx2": "ymm"}


class Binary:
    """A shared library's symbols (address -> name) and its disassembly by address ranges."""

    def __init__(self, path, demangle=False):
        self.path = path
        out = subprocess.run(["nm", "-C" if demangle else "--no-demangle", path],
                             capture_output=True, text=True, check=True).stdout
        self.names = {}
        for line in out.splitlines():
            if len(line) > 19 and line[0] != " " and line[17] in "tTwW":
                self.names.setdefault(line[19:], int(line[:16], 16))
        self.starts = sorted(set(self.names.values()))

    def instructions(self, start):
        j = bisect.bisect_right(self.starts, start)
        stop = self.starts[j] if j < len(self.starts) else start + 65536
        out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", f"--start-address={start}",
                              f"--stop-address={stop}", self.path], capture_output=True, text=True,
                             check=True).stdout
        found = []
        for line in out.splitlines():
            m = re.match(r"\s+([0-9a-f]+):\s+(\S+)\s*(.*)", line)
            if m:
                found.append((int(m.group(1), 16), m.group(2), m.group(3)))
        return found

    def loops(self, start):
        """The bodies of the function's conditional backward jumps, as lists of instructions."""
        ins = self.instructions(start)
        index = {a: i for i, (a, _, _) in enumerate(ins)}
        bodies = []
        for i, (address, op, args) in enumerate(ins):
            m = re.match(r"([0-9a-f]+)", args)
            if op.startswith("j") and op != "jmp" and m:
                target = int(m.group(1), 16)
                if target < address and target in index:
                    bodies.append((index[target], i))
        # the innermost loops only: an enclosing jump (the alignment head's, say) is not a loop body
        inner = [(a, b) for a, b in bodies if not any(a <= c and d <= b and (c, d) != (a, b) for c, d in bodies)]
        return [ins[a:b + 1] for a, b in inner]


def vector_stores(body, register):
    """Stores of a whole vector register to memory other than the stack (the kernels' outputs;
    a register spilled to the stack, by %rsp or %rbp, is not one)."""
    return sum(1 for _, op, args in body
               if op.startswith("vmov") and re.match(rf"%{register}\d+,[^%]*\(", args) and "%rsp" not in args and "%rbp" not in args)


def vector_arithmetic(body, register):
    """Instructions on vector registers but plain moves between registers and memory."""
    return sum(1 for _, op, args in body
               if f"%{register}" in args and not (re.match(r"vmov(aps|ups|apd|upd|dqa|dqu)", op) and "{" not in args)
               and not op.startswith("vbroadcast"))


def per_vector(body, register, extra=(0, 0)):
    """(instructions, vector arithmetic) per vector stored, extra adding the callees' counts."""
    stores = vector_stores(body, register)
    if not stores:
        return None
    return (len(body) + extra[0]) / stores, (vector_arithmetic(body, register) + extra[1]) / stores


def rectifier_counts(functions, paths):
    import rectifier._core as core
    binary = Binary(core.__file__)
    counts = {}
    for name in functions:
        for path in paths:
            start = binary.names.get(f"k_{name}_f32_{path}")
            if start is None:
                continue
            register = VECTOR_REGISTER[path]
            main = max(binary.loops(start), key=lambda b: vector_stores(b, register), default=None)
            counts[name, path] = per_vector(main, register) if main else None
    return counts


def torch_counts(functions):
    try:
        import torch
    except ImportError:
        return {}
    import os
    binary = Binary(os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so"), demangle=True)
    by_address = {a: n for n, a in binary.names.items()}
    counts = {}
    for name in functions:
        kernel = TORCH_KERNEL.get(name, name)
        if kernel is None:
            continue
        pattern = re.compile(rf"AVX512::VectorizedLoop2d<at::native::(AVX512::|\(anonymous namespace\)::){kernel}_kernel\("
                             r".*lambda\(float\)")
        starts = [a for n, a in binary.names.items() if pattern.search(n)]
        if not starts:
            continue
        best = None
        for body in binary.loops(starts[0]):
            extra = [0, 0]
            for _, op, args in body:
                m = re.match(r"([0-9a-f]+)", args)
                if op.startswith("call") and m:
                    callee = int(m.group(1), 16)
                    target = by_address.get(callee)
                    if target is None:  # through the PLT: the name in the disassembly's <...@plt>
                        plt = re.search(r"<(\w+)@plt>", args)
                        callee = binary.names.get(plt.group(1)) if plt else None
                    if callee:
                        code = binary.instructions(callee)
                        extra[0] += len(code)
                        extra[1] += vector_arithmetic(code, "zmm")
            if vector_stores(body, "zmm") and (best is None or vector_stores(body, "zmm") > best[1]):
                best = (per_vector(body, "zmm", extra), vector_stores(body, "zmm"))
        counts[name] = best[0] if best else None
    return counts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--functions", default=",".join(FUNCTIONS))
    ap.add_argument("--paths", default="avx512,avx2")
    ap.add_argument("--no-torch", action="store_true")
    args = ap.parse_args(argv)
    if not shutil.which("objdump") or not shutil.which("nm"):
        sys.exit("needs objdump and nm (binutils)")
    functions, paths = args.functions.split(","), args.paths.split(",")
    ours = rectifier_counts(functions, paths)
    theirs = {} if args.no_torch else torch_counts(functions)
    head = [f"rectifier {p} (per {16 if p == 'avx512' else 8} floats)" for p in paths]
    print("Instructions / vector arithmetic per vector, float32, the unrolled main loop")
    print()
    print("| function | " + " | ".join(head) + " | torch AVX-512 (per 16 floats) |")
    print("|---" * (len(paths) + 2) + "|")
    fmt = lambda v: "-" if v is None else f"{v[0]:.1f} / {v[1]:.1f}"
    for name in functions:
        cells = [fmt(ours.get((name, p))) for p in paths]
        print(f"| {name} | " + " | ".join(cells) + f" | {fmt(theirs.get(name))} |")


if __name__ == "__main__":
    main()
