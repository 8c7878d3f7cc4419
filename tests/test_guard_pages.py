"""Guard pages: no kernel reads or writes one byte outside its arrays.

Every public function and every ufunc, every dtype and every CPU path of this machine, on arrays of
every length 0..64 (and a few longer ones, past the 4-vector loop, the aligning head step and the
ufunc loop's 256-element blocks) placed so that they end exactly at a PROT_NONE page, and separately
so that they start exactly after one. Inputs, parameter arrays and outputs are all guarded; calls
are allocating, with out=, in place, and through the ufunc loop (reversed views). A touch of the
protected page is a SIGSEGV, so the cases run in a child process and a crash is reported as a
failure naming the last case started. Results are also compared, bit for bit, with the same call on
ordinary arrays.

ASan cannot see an over-read that stays inside a larger allocation (a slice, a view, NumPy's
buffers); a guard page can. (NEON kernels are checked for out-of-bounds writes by
test_neon_qemu.py's canaries.)

Run by hand: python tests/test_guard_pages.py PATH public|ufunc
"""
import ctypes
import mmap
import os
import subprocess
import sys

import numpy as np
import pytest

PROT_NONE = getattr(mmap, "PROT_NONE", 0)   # (the mmap module names it from Python 3.13 on)
LENGTHS = list(range(65)) + [127, 128, 129, 255, 256, 257, 300, 513]
PAGES = 2      # readable pages per region: 513 float64 need 4104 bytes


# ---- the child process ------------------------------------------------------------------------

def hc_module():
    import hardening_cases as hc
    return hc


class GuardedMemory:
    """Regions of PAGES pages that end at a PROT_NONE page ("end"), or start right after one
    ("start"); arrays placed flush against the protected page."""

    def __init__(self, slots):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                              ctypes.c_int, ctypes.c_long]
        libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        page = mmap.PAGESIZE
        self.regions = {}
        for slot in range(slots):
            for placement in ("end", "start"):
                size = (PAGES + 1) * page
                base = libc.mmap(None, size, mmap.PROT_READ | mmap.PROT_WRITE,
                                 mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
                if base in (None, ctypes.c_void_p(-1).value):
                    raise OSError(ctypes.get_errno(), "mmap failed")
                guard = base + PAGES * page if placement == "end" else base
                if libc.mprotect(guard, page, PROT_NONE) != 0:
                    raise OSError(ctypes.get_errno(), "mprotect failed")
                start = base if placement == "end" else base + page
                self.regions[slot, placement] = (start, start + PAGES * page)

    def array(self, slot, placement, dtype, values):
        """A 1-D array holding `values`, flush against the guard page of region (slot, placement)."""
        dtype = np.dtype(dtype)
        n = len(values)
        start, end = self.regions[slot, placement]
        address = end - n * dtype.itemsize if placement == "end" else start

        class View:
            __array_interface__ = {"data": (address, False), "shape": (n,), "typestr": dtype.str,
                                   "version": 3}
        a = np.asarray(View())
        assert a.ctypes.data == address and a.flags.writeable
        a[...] = values
        return a


def bits(a):
    a = np.asarray(a)
    return a.view(f"u{a.dtype.itemsize}") if a.dtype.kind == "f" else a


def same(got, want):
    if isinstance(want, tuple):
        return isinstance(got, tuple) and all(same(g, w) for g, w in zip(got, want))
    return got.shape == want.shape and got.dtype == want.dtype and np.array_equal(bits(got), bits(want))


class Child:
    def __init__(self, path):
        import rectifier
        rectifier.set_capabilities([path])
        assert rectifier.capabilities()["active"] == path
        self.memory = GuardedMemory(slots=8)
        self.failures = []
        self.cases = 0

    def start(self, *case):
        # the parent reports the last case started if this process dies
        print(*case, flush=True)
        self.cases += 1

    def check(self, case, got, want):
        if not same(got, want):
            self.failures.append(f"{case}: got {got!r}, expected {want!r}")

    @staticmethod
    def reversed_want(row, rev, want):
        """What a call on reversed views must give: the reversed result for elementwise functions;
        for reductions (whose sums change order) and for functions that draw by position (rrelu,
        noisy_relu) the call on contiguous copies of those views; for reductions over all of x
        (active_fraction, dead_units, order-free counts) the same result."""
        if row.reduces:
            return want
        if row.reduction or row.positional:
            with np.errstate(all="ignore"):
                return hc_module().call(row, {k: np.ascontiguousarray(v) for k, v in rev.items()})
        return want[..., ::-1] if not isinstance(want, tuple) else tuple(w[..., ::-1] for w in want)

    def guarded(self, arrays, placement, first_slot=0):
        """Guarded copies of 1-D or (1, n) arrays, one slot each."""
        return [self.memory.array(first_slot + i, placement, a.dtype, a.reshape(-1)).reshape(a.shape)
                for i, a in enumerate(arrays)]

    def public(self):
        import hardening_cases as hc
        for row in hc.rows():
            for dtype in hc.DTYPES:
                for n in LENGTHS:
                    ops = hc.operands(row, hc.data(dtype, n))
                    with np.errstate(all="ignore"):
                        want = hc.call(row, ops)
                    names = list(ops)
                    for placement in ("end", "start"):
                        case = (row.name, dtype.name, n, placement)
                        self.start("public", *case)
                        g = dict(zip(names, self.guarded([ops[k] for k in names], placement)))
                        outs = want if isinstance(want, tuple) else (want,)
                        gout = self.guarded(list(outs), placement, first_slot=4)
                        with np.errstate(all="ignore"):
                            self.check(case + ("allocating",), hc.call(row, g), want)
                            if row.has_out:
                                gout[0][...] = 7
                                r = hc.call(row, g, out=gout[0])
                                self.check(case + ("out=",), r, want)
                                # in place, and the gradient buffer reused as the output
                                for key in ("x", "grad"):
                                    if key in g and g[key].shape == want.shape:
                                        g[key][...] = ops[key]
                                        self.check(case + (f"out={key}",), hc.call(row, g, out=g[key]), want)
                                        g[key][...] = ops[key]
                                # reversed views: the ufunc loop's strided gather and scatter
                                rev = {k: v[..., ::-1] for k, v in g.items()}
                                r = hc.call(row, rev, out=gout[0][..., ::-1])
                                self.check(case + ("reversed out=",), r, self.reversed_want(row, rev, want))
                            else:
                                rev = {k: v[..., ::-1] for k, v in g.items()}
                                r = hc.call(row, rev)
                                self.check(case + ("reversed",), r, self.reversed_want(row, rev, want))

    def ufuncs(self):
        import rectifier.ufuncs
        import hardening_cases as hc
        for name in hc.ufunc_names():
            uf = getattr(rectifier.ufuncs, name)
            for dtype in hc.DTYPES:
                in_types, out_types = hc.ufunc_loop(uf, dtype)
                names = hc.ufunc_operand_names(name)
                params = [i for i, op in enumerate(names) if op not in ("x", "grad", "weight")]
                for n in LENGTHS:
                    ins = hc.ufunc_operand_values(name, dtype, n)
                    # the same call with every parameter a 0-d array: broadcast, stride 0
                    with_scalars = lambda arrays: [np.array(a[0] if n else 1.0, a.dtype) if i in params else a  # noqa: E731
                                                   for i, a in enumerate(arrays)]
                    with np.errstate(all="ignore"):
                        want = uf(*ins)
                        want_scalar = uf(*with_scalars(ins)) if params else None
                    for placement in ("end", "start"):
                        case = (name, dtype.name, n, placement)
                        self.start("ufunc", *case)
                        g = self.guarded(ins, placement)
                        gout = [self.memory.array(6 + i, placement, t, np.zeros(n, t)) for i, t in enumerate(out_types)]
                        with np.errstate(all="ignore"):
                            self.check(case + ("allocating",), uf(*g), want)
                            r = uf(*g, out=tuple(gout))
                            self.check(case + ("out=",), r, want)
                            if want_scalar is not None:
                                r = uf(*with_scalars(g), out=tuple(gout))
                                self.check(case + ("scalar parameters",), r, want_scalar)
                            g[0][...] = ins[0]
                            r = uf(*g, out=(g[0],) + tuple(gout[1:]))      # in place
                            self.check(case + ("in place",), r, want)


def child_main(path, kind):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    child = Child(path)
    getattr(child, kind)()
    for f in child.failures[:30]:
        print("FAIL", f, flush=True)
    print(f"DONE {child.cases} cases, {len(child.failures)} failures", flush=True)
    sys.exit(1 if child.failures else 0)


# ---- the tests --------------------------------------------------------------------------------

def _paths():
    import rectifier
    return list(rectifier.capabilities()["detected"])   # every path this CPU runs


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX mmap and mprotect")
@pytest.mark.parametrize("kind", ["public", "ufunc"])
@pytest.mark.parametrize("path", _paths())
def test_no_access_outside_the_arrays(path, kind):
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), path, "ufuncs" if kind == "ufunc" else "public"],
                          capture_output=True, text=True, timeout=900)
    lines = proc.stdout.splitlines()
    if _crashed(proc):
        last = next((line for line in reversed(lines) if not line.startswith(("FAIL", "DONE"))), "(none)")
        pytest.fail(f"the child died of signal {-proc.returncode} during case: {last}\n{proc.stderr[-3000:]}")
    failures = [line for line in lines if line.startswith("FAIL")]
    assert proc.returncode == 0 and not failures, "\n".join(failures[:30]) + proc.stderr[-3000:]
    assert lines and lines[-1].startswith("DONE"), proc.stdout[-2000:] + proc.stderr[-3000:]
    # every length, both placements, every dtype: at least that many cases ran
    assert int(lines[-1].split()[1]) >= 2 * 3 * len(LENGTHS)


def _crashed(proc):
    """Killed by a signal, or (under AddressSanitizer, which catches SIGSEGV) its report."""
    return proc.returncode < 0 or (proc.returncode != 0 and "AddressSanitizer" in proc.stderr)


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX mmap and mprotect")
@pytest.mark.parametrize("placement,offset", [("end", 5), ("start", -1), ("end", 4), ("start", 0)])
def test_the_harness_catches_one_element_outside(placement, offset):
    """The harness itself: touching the element just past the end (or just before the start) of a
    5-element array placed against the guard page kills the child; the last element (or the first)
    does not. So a kernel that touched one byte outside would be caught."""
    code = (f"import sys; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})\n"
            "import ctypes, numpy as np, test_guard_pages as t\n"
            f"a = t.GuardedMemory(1).array(0, {placement!r}, np.float32, np.ones(5, np.float32))\n"
            f"print(ctypes.c_float.from_address(a.ctypes.data + 4 * {offset}).value, flush=True)\n")
    # under AddressSanitizer (tools/sanitize.sh) the deliberate SIGSEGV stays a plain signal,
    # not a sanitizer report
    env = {**os.environ, "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":handle_segv=0"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    inside = 0 <= offset < 5
    if inside:
        assert proc.returncode == 0 and proc.stdout.strip() == "1.0", (proc.returncode, proc.stderr)
    else:
        assert _crashed(proc), (proc.returncode, proc.stdout, proc.stderr)


if __name__ == "__main__":
    child_main(sys.argv[1], sys.argv[2])
