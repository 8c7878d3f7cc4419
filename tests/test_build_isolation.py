"""No compiled code runs an instruction above the CPU path it was selected for.

On x86-64 every path above the baseline (SSE2) is one translation unit, src/kernels/<path>.c,
that asks for its instructions by its own pragmas, and its kernels are called only after
dispatch.c has checked the CPU. Everything else (the scalar kernels, the dispatch code that runs
before the CPU is known, the ufunc loop and the Cython layer) must be built with the baseline flags
only: no -march=native, no -mavx..., no -ffast-math. These tests look at the extension that is
actually imported (the installed wheel, under .ci/wheel.sh and cibuildwheel):

- they disassemble it with objdump and give each function to its path by the symbol table (a
  local symbol follows the FILE entry of its object, src/kernels/<path>.c; global ones are named
  rect_*_<path>), then hold each path to its allowed instructions (ALLOWED below): baseline code
  touches no YMM/ZMM register and runs no VEX/EVEX, BMI, SSE3..SSE4.2 or POPCNT instruction; the
  avx2 unit may use VEX and YMM but nothing of AVX-512 (ZMM, opmask registers, XMM/YMM16-31);
  only the avx512 unit may use those. Each vector path must also show its widest registers, so
  that the scan is known to see them;
- where GCC recorded the compile flags (DW_AT_producer, with -g), none is -march=native, -m<isa>
  or a fast-math option.

Without objdump, or with a stripped extension, the disassembly tests skip, except when
RECTIFIER_REQUIRE_NEON is set (.ci/run sets it): then they fail. On other architectures (AArch64:
NEON is the baseline there) and object formats (Mach-O, PE) they skip, saying why.
"""
import os
import platform
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import rectifier._core
from rectifier._core import PATH_XCR0, PATHS

from conftest import tool_unavailable

EXTENSION = Path(rectifier._core.__file__)
X86_64 = platform.machine().lower() in ("x86_64", "amd64")

# x86-64 instructions above the baseline (SSE2), by mnemonic; every VEX/EVEX-encoded instruction
# (AVX, AVX2, FMA, F16C, AVX-512; its mnemonic starts with "v") is caught separately. tzcnt is left
# out: GCC's generic tuning emits `rep bsf`, which objdump prints as tzcnt and old CPUs run as bsf.
ABOVE_BASELINE = {
    # SSE3, SSSE3
    "addsubps", "addsubpd", "haddps", "haddpd", "hsubps", "hsubpd", "lddqu", "movddup",
    "movshdup", "movsldup", "fisttp", "pshufb", "palignr", "pabsb", "pabsw", "pabsd", "phaddw",
    "phaddd", "phaddsw", "phsubw", "phsubd", "phsubsw", "pmaddubsw", "pmulhrsw", "psignb",
    "psignw", "psignd",
    # SSE4.1, SSE4.2, POPCNT, LZCNT, MOVBE
    "blendps", "blendpd", "blendvps", "blendvpd", "pblendvb", "pblendw", "dpps", "dppd",
    "extractps", "insertps", "mpsadbw", "packusdw", "pcmpeqq", "pextrb", "pextrd", "pextrq",
    "pinsrb", "pinsrd", "pinsrq", "pmaxsb", "pmaxsd", "pmaxud", "pmaxuw", "pminsb", "pminsd",
    "pminud", "pminuw", "pmovsxbw", "pmovsxbd", "pmovsxbq", "pmovsxwd", "pmovsxwq", "pmovsxdq",
    "pmovzxbw", "pmovzxbd", "pmovzxbq", "pmovzxwd", "pmovzxwq", "pmovzxdq", "pmuldq", "pmulld",
    "ptest", "roundps", "roundpd", "roundss", "roundsd", "movntdqa", "phminposuw", "pcmpestri",
    "pcmpestrm", "pcmpistri", "pcmpistrm", "pcmpgtq", "crc32", "popcnt", "lzcnt", "movbe",
    # BMI1, BMI2
    "andn", "bextr", "blsi", "blsmsk", "blsr", "bzhi", "mulx", "pdep", "pext", "rorx", "sarx",
    "shlx", "shrx",
}
PREFIXES = {"rep", "repz", "repe", "repnz", "repne", "lock", "notrack", "bnd", "data16", "addr32",
            "cs", "ds", "es", "ss", "fs", "gs"}
WIDE_REGISTER = re.compile(r"%[yz]mm\d+")
YMM = re.compile(r"%ymm\d+")
ZMM = re.compile(r"%zmm\d+")
AVX512_ONLY = re.compile(r"%zmm\d+|%[xy]mm(1[6-9]|2\d|3[01])\b|%k[0-7]\b")

# What each x86-64 unit may use beyond the baseline, and the register class its code must show,
# from the register state its row of the C path table asks the OS to save (XCR0): YMM state allows
# "vex" (VEX-encoded or SSE3+ instructions, YMM registers), opmask and ZMM state also "avx512"
# (ZMM, opmask registers, XMM/YMM16-31: EVEX only). A path with neither (scalar, neon) is baseline.
XCR0_YMM, XCR0_AVX512 = 0x4, 0xe0
ALLOWED = {name: {"vex"} | ({"avx512"} if xcr0 & XCR0_AVX512 else set())
           for name, xcr0 in PATH_XCR0.items() if xcr0 & XCR0_YMM}
SHOWS = {name: ZMM if "avx512" in features else YMM for name, features in ALLOWED.items()}
FEATURES = {
    "vex": lambda m, o: m.startswith("v") or _above_baseline(m) or WIDE_REGISTER.search(o),
    "avx512": lambda m, o: AVX512_ONLY.search(o),
}
# compile options that would let a baseline file use more than the baseline (the baseline -march
# of x86-64 and AArch64 is allowed), or change the floating-point semantics every path shares
FORBIDDEN_FLAGS = re.compile(
    r"(?:^|\s)(-march=(?!(?:x86-64|armv8-a)(?:\s|$))\S+|-mcpu=\S+"
    r"|-m(?:avx\S*|fma|f16c|bmi2?|sse3|ssse3|sse4\S*|popcnt|sve\S*)"
    r"|-ffast-math|-Ofast|-funsafe-math-optimizations|-ffinite-math-only|-fno-signed-zeros)(?=\s|$)"
)


def _above_baseline(mnemonic):
    # llvm-objdump writes an operand-size suffix that GNU objdump leaves out (popcntl, andnq)
    return mnemonic in ABOVE_BASELINE or (mnemonic[-1:] in ("b", "w", "l", "q")
                                          and mnemonic[:-1] in ABOVE_BASELINE)


def _objdump():
    for name in (os.environ.get("OBJDUMP"), "objdump", "llvm-objdump"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _run(*args):
    result = subprocess.run(args, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stderr[-2000:]}"
    return result.stdout


class Function:
    def __init__(self, name, source):
        self.name, self.source = name, source  # source: "avx2.c", ..., or None for a global
        self.instructions = []  # (mnemonic, operands)

    @property
    def path(self):
        """The CPU path whose unit holds this function (a global by its rect_*_<path> name), or
        None for the rest of the extension."""
        if self.source is not None:
            stem = self.source[:-2] if self.source.endswith(".c") else None
            return stem if stem in PATHS else None
        suffix = re.search(r"_([a-z0-9]+)(?:\.\w+)*$", self.name)
        return suffix[1] if suffix and suffix[1] in PATHS else None

    @property
    def allowed(self):
        return ALLOWED.get(self.path, set())

    def first(self, predicate):
        return next((f"{m} {o}".strip() for m, o in self.instructions if predicate(m, o)), None)


@pytest.fixture(scope="module")
def functions():
    """Every function of the extension, by address, with its source file and instructions."""
    with open(EXTENSION, "rb") as f:
        magic = f.read(4)
    if magic != b"\x7fELF":
        pytest.skip(f"{EXTENSION.name} is not ELF: the check needs an ELF symbol table with the "
                    "FILE entries that give each function to its source file")
    if not X86_64:
        pytest.skip(f"{platform.machine()}: there is no path above the baseline to keep apart "
                    "(NEON is mandatory on AArch64); the x86-64 builds are checked")
    objdump = _objdump()
    if objdump is None:
        tool_unavailable("objdump not found (install binutils): cannot disassemble the extension")

    # Symbol table order: a FILE entry, then that object's local symbols; globals come last.
    by_address, source = {}, None
    symbol = re.compile(r"^([0-9a-f]+) (.{7}) (\S+)\s+[0-9a-f]+\s+(.*)$")
    for line in _run(objdump, "-t", str(EXTENSION)).splitlines():
        m = symbol.match(line)
        if not m:
            continue
        address, flags, section, name = int(m[1], 16), m[2], m[3], m[4].strip().split()[-1:]
        name = name[0] if name else ""
        if "f" in flags and section == "*ABS*":
            source = Path(name).name or None
        elif "F" in flags and section.startswith(".text"):
            by_address.setdefault(address, Function(name, source if flags[0] == "l" else None))
    if not by_address:
        tool_unavailable(f"{EXTENSION.name} has no symbol table (stripped): cannot tell the scalar "
                     "and dispatch code from the AVX2 kernels")

    label = re.compile(r"^([0-9a-f]+) <(.+)>:$")
    instruction = re.compile(r"^\s*[0-9a-f]+:\s+(.*)$")
    current = None
    for line in _run(objdump, "-d", "--no-show-raw-insn", str(EXTENSION)).splitlines():
        m = label.match(line)
        if m:
            current = by_address.get(int(m[1], 16))
            continue
        m = instruction.match(line)
        if current is None or not m:
            continue
        words = m[1].split("#")[0].split()
        while words and words[0] in PREFIXES:
            words = words[1:]
        if words:
            current.instructions.append((words[0], " ".join(words[1:])))
    return list(by_address.values())


def test_the_scan_sees_every_part_of_the_extension(functions):
    names = {f.name: f for f in functions}
    vector_paths = [p for p in ALLOWED if p in rectifier._core.capabilities()["compiled"]]
    expected = ["k_relu_f32_scalar", "k_prelu_grad_f16_scalar", "rect_fill_table_scalar", "rect_init",
                "rect_set_capabilities", "rect_ufunc_loop", "PyInit__core"]
    for path in vector_paths:
        expected += [f"k_relu_f32_{path}", f"rect_fill_table_{path}"]
    for name in expected:
        assert name in names and names[name].instructions, f"{name} not found in {EXTENSION}"
    assert names["k_relu_f32_scalar"].source == "scalar.c" and names["k_relu_f32_scalar"].path == "scalar"
    assert names["rect_init"].path is None
    for path in vector_paths:
        assert names[f"k_relu_f32_{path}"].path == path and names[f"rect_fill_table_{path}"].path == path
    misplaced = [f.name for f in functions for p in PATHS
                 if f.name.startswith("k_") and re.search(rf"_{p}(?:\.\w+)*$", f.name) and f.path != p]
    assert not misplaced, f"kernels outside their path's unit: {misplaced}"


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_each_unit_uses_only_its_allowed_instructions(functions, feature):
    offenders = []
    for f in functions:
        if feature in f.allowed:
            continue
        bad = f.first(FEATURES[feature])
        if bad:
            offenders.append(f"{f.name} ({f.source or 'global'}, path {f.path or 'none'}): {bad}")
    units = [p for p, allowed in ALLOWED.items() if feature in allowed]
    assert not offenders, (
        f"{len(offenders)} functions use {feature} instructions, which only the "
        f"{' and '.join(units)} unit(s) may (built with -march=native or -m<isa>?):\n  "
        + "\n  ".join(offenders[:20]))


@pytest.mark.parametrize("path", sorted(ALLOWED))
def test_each_vector_path_shows_its_registers(functions, path):
    """The scan can see each path's instruction set: its code works on its widest registers (a
    kernel may be a thin wrapper around a step function the compiler kept out of line, so not
    every function does)."""
    if path not in rectifier._core.capabilities()["compiled"]:
        pytest.fail(f"the {path} path is not compiled into this x86-64 extension")
    code = [f for f in functions if f.path == path]
    showing = [f.name for f in code if f.first(lambda m, o: SHOWS[path].search(o))]
    assert code and len(showing) >= len(code) // 2, (
        f"only {len(showing)} of {len(code)} functions of the {path} path touch {SHOWS[path].pattern}")


def test_recorded_compile_flags_are_baseline():
    """GCC with -g records each file's options in DW_AT_producer (every file here is compiled with
    the same options; avx2.c's target comes from pragmas, which are not recorded)."""
    data = EXTENSION.read_bytes()
    producers = sorted({p.decode("utf-8", "replace")
                        for p in re.findall(rb"GNU C\d* \d[\w.\-]* [^\x00]*", data)})
    if not producers:
        pytest.skip(f"{EXTENSION.name} records no GCC compile flags (built without -g, or by "
                    "another compiler); the disassembly tests still check the instructions")
    bad = [(p, FORBIDDEN_FLAGS.search(p)[1]) for p in producers if FORBIDDEN_FLAGS.search(p)]
    assert not bad, f"compiled with non-baseline options: {bad}"


def test_no_fast_math_start_up_code():
    """-ffast-math at link time can add crtfastmath.o, which sets flush-to-zero for the process."""
    linked = b"set_fast_math" in EXTENSION.read_bytes()
    assert not linked, f"{EXTENSION.name} contains crtfastmath's set_fast_math: linked with -ffast-math"
