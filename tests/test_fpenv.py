"""The floating-point environment: rectifier leaves it as the caller set it, and raises no flag of
its own.

- MXCSR (FTZ, DAZ, rounding control, exception masks), the x87 control word and C's fegetround() are
  the same before `import rectifier`, after it, and after every function ran on every CPU path and
  dtype; also when the caller had set a non-default mode first (FTZ and DAZ on, rounding toward
  zero), so the package neither sets nor "repairs" it. Read with a few bytes of machine code
  (stmxcsr, fnstcw) called through ctypes, and fegetround from libm.
- Subnormals survive import and use (NumPy's float32 arithmetic still makes them).
- The extension contains no instruction that writes MXCSR or the x87 control word.
- No flag from lanes a kernel does not own: every ufunc and every public function (through the
  ufunc loop), every length 0..64 and a few longer, every dtype and path, on values whose own
  operations raise nothing, with the memory just before and after each array holding signalling
  NaNs (any touch of it raises "invalid"), under np.errstate(all="raise"); and for the direct path
  (which reports no floating-point warnings) through fetestexcept.
"""
import ast
import ctypes
import ctypes.util
import os
import platform
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import hardening_cases as hc
import rectifier
from conftest import TESTED_PATHS
import rectifier.ufuncs

X86_64 = platform.machine().lower() in ("x86_64", "amd64") and sys.platform.startswith("linux")
LENGTHS = list(range(65)) + [127, 128, 129, 255, 256, 257, 300]
PATHS = TESTED_PATHS   # every path this CPU runs

# ---- reading the environment --------------------------------------------------------------------

HELPERS = textwrap.dedent('''
    import ctypes, ctypes.util, mmap

    def _code(machine_code, restype, *argtypes):
        """A function of a few bytes of x86-64 machine code, in a page of its own."""
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
        libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        page = libc.mmap(None, mmap.PAGESIZE, mmap.PROT_READ | mmap.PROT_WRITE,
                         mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
        ctypes.memmove(page, machine_code, len(machine_code))
        if libc.mprotect(page, mmap.PAGESIZE, mmap.PROT_READ | mmap.PROT_EXEC) != 0:
            raise OSError(ctypes.get_errno(), "mprotect")
        return ctypes.CFUNCTYPE(restype, *argtypes)(page)

    _stmxcsr = _code(b"\\x0f\\xae\\x1f\\xc3", None, ctypes.POINTER(ctypes.c_uint32))   # stmxcsr [rdi]; ret
    _ldmxcsr = _code(b"\\x0f\\xae\\x17\\xc3", None, ctypes.POINTER(ctypes.c_uint32))   # ldmxcsr [rdi]; ret
    _fnstcw = _code(b"\\xd9\\x3f\\xc3", None, ctypes.POINTER(ctypes.c_uint16))         # fnstcw [rdi]; ret
    _libm = ctypes.CDLL(ctypes.util.find_library("m"))

    def mxcsr():
        v = ctypes.c_uint32()
        _stmxcsr(ctypes.byref(v))
        return v.value

    def set_mxcsr(value):
        _ldmxcsr(ctypes.byref(ctypes.c_uint32(value)))

    def x87_control():
        v = ctypes.c_uint16()
        _fnstcw(ctypes.byref(v))
        return v.value

    def environment():
        """(MXCSR without its six sticky status flags, x87 control word, fegetround())"""
        return (mxcsr() & ~0x3f, x87_control(), _libm.fegetround())
''')

FTZ, DAZ, RC_ZERO = 1 << 15, 1 << 6, 3 << 13


def run_child(*pieces, helpers=True):
    """Run the code in a fresh interpreter (with the x86-64 helpers above unless helpers=False)."""
    code = "\n".join(([HELPERS] if helpers else []) + [textwrap.dedent(p) for p in pieces])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


USE_EVERYTHING = '''
    import sys, numpy as np
    sys.path.insert(0, {tests!r})
    import rectifier, rectifier.ufuncs, hardening_cases as hc
    for path in rectifier.capabilities()["detected"]:
        rectifier.set_capabilities([path])
        for dtype in hc.DTYPES:
            for n in (1, 7, 64, 9000):
                with np.errstate(all="ignore"):
                    for row in hc.rows():
                        ops = hc.operands(row, hc.data(dtype, n))
                        hc.call(row, ops)
                        hc.call(row, {{k: v[..., ::-1] for k, v in ops.items()}})
                    for name in hc.ufunc_names():
                        getattr(rectifier.ufuncs, name)(*hc.ufunc_operand_values(name, dtype, n))
    rectifier.set_capabilities(rectifier.capabilities()["detected"])
'''.format(tests=os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.skipif(not X86_64, reason="reads MXCSR and the x87 control word with x86-64 machine code")
@pytest.mark.parametrize("start", ["default", "ftz-daz-round-to-zero"])
def test_import_and_use_leave_mxcsr_x87_and_rounding_mode_alone(start):
    out = run_child(f'''
        import numpy as np
        if {start!r} != "default":
            set_mxcsr(mxcsr() | {FTZ | DAZ | RC_ZERO})
        before = environment()
        import rectifier
        after_import = environment()
    ''', USE_EVERYTHING, '''
        after_use = environment()
        print(repr((before, after_import, after_use)))
    ''')
    before, after_import, after_use = ast.literal_eval(out.strip().splitlines()[-1])
    assert after_import == before, f"import changed (MXCSR, x87 CW, fegetround) from {before} to {after_import}"
    assert after_use == before, f"using the functions changed (MXCSR, x87 CW, fegetround) from {before} to {after_use}"
    if start == "default":
        assert not before[0] & (FTZ | DAZ), "the test process itself started with FTZ or DAZ on"
    else:
        assert before[0] & (FTZ | DAZ | RC_ZERO) == FTZ | DAZ | RC_ZERO   # the test did set the mode


def test_subnormals_survive_import_and_use():
    out = run_child('''
        import numpy as np
        tiny = np.float32(1e-45)
        before = (float(tiny * np.float32(3)), float(np.float64(5e-324) * 2), float(np.finfo(np.float32).smallest_subnormal))
    ''', USE_EVERYTHING, '''
        import rectifier
        after = (float(tiny * np.float32(3)), float(np.float64(5e-324) * 2), float(np.finfo(np.float32).smallest_subnormal))
        kept = rectifier.relu(np.array([1e-45, 5e-324], np.float64))
        print(before == after and all(v > 0 for v in after) and bool((kept > 0).all()))
    ''', helpers=False)
    assert out.split()[-1] == "True", out


@pytest.mark.skipif(not X86_64 or shutil.which("objdump") is None, reason="needs x86-64 and objdump (binutils)")
def test_the_extension_never_writes_the_control_registers():
    so = rectifier._core.__file__
    disassembly = subprocess.run(["objdump", "-d", "--no-show-raw-insn", so], capture_output=True, text=True,
                                 timeout=120, check=True).stdout
    for instruction in ("ldmxcsr", "fldcw", "fldenv", "frstor", "fxrstor", "xrstor"):
        lines = [line for line in disassembly.splitlines() if f"\t{instruction}" in line or f" {instruction} " in line]
        assert not lines, f"{so} writes a floating-point control register: {lines[:5]}"


# ---- no flag from lanes a kernel does not own ------------------------------------------------------

SNAN_BITS = {2: 0x7C01, 4: 0x7F800001, 8: 0x7FF0000000000001}
PAD = 40


def surrounded(values):
    """A view of `values` inside a buffer whose other elements are signalling NaNs."""
    dt = values.dtype
    buf = np.full(len(values) + 2 * PAD, SNAN_BITS[dt.itemsize], f"u{dt.itemsize}").view(dt)
    buf[PAD:PAD + len(values)] = values
    return buf[PAD:PAD + len(values)]


def test_the_signalling_nan_neighbours_raise_when_touched():
    """The harness: reading one neighbour raises, so a kernel that read past an array would."""
    for dtype in hc.DTYPES:
        a = surrounded(np.ones(5, dtype))
        with np.errstate(all="raise"):
            np.add(a, 1)                                   # the array itself: quiet
            with pytest.raises(FloatingPointError):
                np.add(np.lib.stride_tricks.as_strided(a, shape=(6,)), 1)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("name", hc.ufunc_names())
def test_ufuncs_raise_no_flag_outside_their_lanes(name, path):
    uf = getattr(rectifier.ufuncs, name)
    before = rectifier.capabilities()["enabled"]
    rectifier.set_capabilities([path])
    try:
        for dtype in hc.DTYPES:
            for n in LENGTHS:
                ins = [surrounded(v) for v in hc.ufunc_operand_values(name, dtype, n, kind="quiet")]
                with np.errstate(all="raise"):
                    try:
                        uf(*ins)                                      # contiguous: the kernel sees the arrays
                        if n and uf.nin > 1:                          # parameters broadcast (stride 0)
                            uf(ins[0], *[v[:1].reshape(()) for v in ins[1:]])
                    except FloatingPointError as e:
                        raise AssertionError(f"{name} {dtype.name} n={n} on {path}: {e}") from None
    finally:
        rectifier.set_capabilities(before)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("row", hc.rows(), ids=lambda r: r.name)
def test_public_functions_raise_no_flag_outside_their_lanes(row, path):
    """Through the ufunc loop (reversed views: the loop's stack buffers hold the data) under
    errstate(raise); and on the direct path, which reports nothing itself, through fetestexcept."""
    libm = ctypes.CDLL(ctypes.util.find_library("m")) if sys.platform.startswith("linux") else None
    # FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW on x86 and AArch64 (inexact not checked)
    flags = {"x86_64": 0x1 | 0x4 | 0x8 | 0x10, "aarch64": 0x1 | 0x2 | 0x4 | 0x8}.get(platform.machine().lower())
    before = rectifier.capabilities()["enabled"]
    rectifier.set_capabilities([path])
    try:
        for dtype in hc.DTYPES:
            for n in LENGTHS:
                x = surrounded(hc.quiet_values(row, dtype, n))
                grad = surrounded(hc.quiet_values(row, dtype, n, role="grad"))
                ops = hc.operands(row, x, grad=grad)
                if "weight" in ops:
                    ops["weight"] = surrounded(hc.weights_for(dtype, max(n, 3))[:n])
                reversed_ops = {k: v[..., ::-1] for k, v in ops.items()}
                with np.errstate(all="raise"):
                    try:
                        hc.call(row, reversed_ops)
                    except FloatingPointError as e:
                        raise AssertionError(f"{row.name} {dtype.name} n={n} on {path} (ufunc loop): {e}") from None
                if libm is not None and flags is not None:
                    libm.feclearexcept(flags)
                    hc.call(row, ops)
                    raised = libm.fetestexcept(flags)
                    assert raised == 0, f"{row.name} {dtype.name} n={n} on {path} (direct path): flags {raised:#x}"
    finally:
        rectifier.set_capabilities(before)
