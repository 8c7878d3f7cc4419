"""The C kernels of every CPU path against the NumPy oracle (tests/reference.py), bit for bit.

tests/c_driver/driver.c runs one kernel on one path over raw arrays. It is built twice:
natively (every x86-64 path this CPU runs: scalar, AVX2, AVX-512) and for AArch64 with
``aarch64-linux-gnu-gcc -static``, run under ``qemu-aarch64`` (NEON path; on an AArch64 host the
native build runs NEON directly). For every op, dtype and parameter set the driver gets one
array, cut into one kernel call per length (0..33 a few times over, so every tail of the 16-lane
AVX-512, 8-lane AVX2 and 4-/2-lane NEON vectors is hit at varying alignments, then one call of
10007 elements),
filled with special values (signed NaNs with various payloads, +-inf, +-0, subnormals, extreme
normals, the parameters and their neighbours) and random values.

Every output must equal ``reference.expected(...)``: same NaN positions (NaN payloads are not
compared: x86 and ARM make different default NaNs), every other value bit for bit, the sign of
zero included. NEON must also match every native path's outputs the same way.

Missing cross tools skip these tests, except when the environment variable RECTIFIER_REQUIRE_NEON
is set (.ci/run sets it): then they fail, so that CI can never silently skip NEON. (Not plain CI,
which cibuildwheel also sets on runners that have no cross tools.)
"""
import atexit
import importlib.util
import os
import platform
import shlex
import shutil
import subprocess
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import TESTED_PATHS, path_unavailable, tool_unavailable
from rectifier import _operations

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
# the driver, the dispatch code and every CPU path's translation unit
SOURCES = [TESTS / "c_driver" / "driver.c", ROOT / "src" / "dispatch.c", ROOT / "src" / "fused.c"] + sorted(
    (ROOT / "src" / "kernels").glob("*.c"))
CFLAGS = ["-std=c11", "-O2", "-ffp-contract=off", f"-I{ROOT / 'include'}", f"-I{ROOT / 'src'}"]
CROSS_CC = "aarch64-linux-gnu-gcc"
QEMU = "qemu-aarch64"
EXIT_NO_PATH = 3  # the driver's exit status when this CPU lacks the requested path

NATIVE_AARCH64 = platform.machine().lower() in ("aarch64", "arm64")

# One kernel call per length: every n in 0..2*16+1 (the AVX-512 f32 vector is 16 lanes), four
# times over so that each starts at several alignments, then one long call.
SMALL_LENGTHS = list(range(2 * 16 + 2)) * 4
LARGE_N = 10007
LENGTHS = SMALL_LENGTHS + [LARGE_N]

DTYPES = {"f16": np.float16, "f32": np.float32, "f64": np.float64}

# The paths the native driver runs (those this CPU runs, from the package's path table), and
# every path these tests compare: NEON (under qemu unless the host is AArch64) and the native ones.
NATIVE_PATHS = tuple(p for p in TESTED_PATHS if p != "neon")
PATHS = ("neon",) + NATIVE_PATHS


def _load_reference():
    spec = importlib.util.spec_from_file_location("rectifier_test_reference", TESTS / "reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference = _load_reference()

# ---- cases -------------------------------------------------------------------------------------

# How each op's keyword parameters map onto the driver's rect_params a and b (see rectifier.h):
# the kernel parameters of the table of operations, in order.
PARAM_FIELDS = {op.name + suffix: tuple(p.name for p in _operations.kernel_params(op, bool(suffix)))
                for op in _operations.OPS for suffix in ("", "_grad")}

FORWARD_CASES = [
    ("relu", {}),
    ("relu6", {}),
    ("hardtanh", {"min_val": -1.0, "max_val": 1.0}),
    ("hardtanh", {"min_val": 0.0, "max_val": 6.0}),
    ("hardtanh", {"min_val": -2.0, "max_val": -2.0}),
    ("threshold", {"threshold": 0.5, "value": -3.0}),
    ("threshold", {"threshold": 0.1, "value": 1e-40}),  # neither is exact in float32 / float16
    ("leaky_relu", {"negative_slope": 0.01}),
    ("leaky_relu", {"negative_slope": -0.5}),
    ("leaky_relu", {"negative_slope": 1000.0}),  # overflows to inf
    ("leaky_relu", {"negative_slope": 0.0}),  # relu exactly, -inf included
    ("prelu", {}),
]
GRAD_CASES = [
    ("relu_grad", {"at_zero": 0.0}),
    ("relu_grad", {"at_zero": 0.5}),
    ("relu6_grad", {}),
    ("hardtanh_grad", {"min_val": -1.0, "max_val": 1.0}),
    ("hardtanh_grad", {"min_val": 0.0, "max_val": 6.0}),
    ("hardtanh_grad", {"min_val": -2.0, "max_val": -2.0}),
    ("threshold_grad", {"threshold": 0.5}),
    ("threshold_grad", {"threshold": -3.0}),
    ("leaky_relu_grad", {"negative_slope": 0.01}),
    ("leaky_relu_grad", {"negative_slope": -0.5}),
    ("leaky_relu_grad", {"negative_slope": 0.0}),
    ("prelu_grad", {}),
    ("rrelu_grad", {}),   # x is rrelu's noise: grad * noise
]
# The smooth family: computed in float64 for every dtype, so not exact. Their forward results are
# checked against the reference in ULPs (float32/float16 <= 1, float64 <= 2, as tests/test_smooth.py
# does for scalar and AVX2), and every smooth op, derivatives included, must give NEON the same bits
# as the scalar and AVX2 paths.
SMOOTH_CASES = [
    ("elu", {"alpha": 1.0}), ("elu", {"alpha": 0.5}), ("celu", {"alpha": 1.0}), ("celu", {"alpha": 2.0}),
    ("selu", {}), ("softplus", {"beta": 1.0, "threshold": np.inf}),
    ("softplus", {"beta": 2.0, "threshold": 20.0}), ("sigmoid", {}), ("log_sigmoid", {}),
    ("silu", {}), ("mish", {}), ("hardsigmoid", {}), ("hardswish", {}), ("gelu_tanh", {}), ("gelu", {}),
    ("tanh", {}), ("tanhshrink", {}),
    # the algebraic family (ops_algebraic.h): float64 arithmetic for every dtype
    ("softsign", {}), ("hardshrink", {"lambd": 0.5}), ("hardshrink", {"lambd": 2.0}),
    ("softshrink", {"lambd": 0.5}), ("softshrink", {"lambd": 0.1}), ("squareplus", {"b": 4.0}),
    ("squareplus", {"b": 0.0}), ("sparse_plus", {}), ("sparse_sigmoid", {}),
]
SMOOTH_OPS = {op for op, _ in SMOOTH_CASES} | {op + "_grad" for op, _ in SMOOTH_CASES}

# (op, params, with_grad): gradient ops run with a gradient array and with grad=None (NULL).
CASES = [(op, params, False) for op, params in FORWARD_CASES + SMOOTH_CASES] + [
    (op, params, with_grad) for op, params in GRAD_CASES for with_grad in (True, False)
] + [(op + "_grad", params, with_grad) for op, params in SMOOTH_CASES for with_grad in (True, False)]


def _case_id(case):
    op, params, with_grad = case
    text = op + "".join(f"-{k}={v!r}" for k, v in params.items())
    if op.endswith("_grad"):
        text += "-grad" if with_grad else "-nograd"
    return text


# ---- building and running the driver ------------------------------------------------------------


class Drivers:
    """The built drivers: how to run each path, or why a path cannot be run here."""

    def __init__(self):
        self.native = None  # command prefix (list) of the native driver
        self.native_missing = None
        self.neon = None  # command prefix that runs the NEON driver
        self.neon_missing = None

    def command(self, path):
        if path == "neon":
            prefix, missing = self.neon, self.neon_missing
        else:
            prefix, missing = self.native, self.native_missing
        if prefix is None:
            tool_unavailable(missing)
        return prefix


# Object files shared by every driver of the session, by (compiler and flags, source): the drivers
# (this file's, the gated units', the reductions', bfloat16's) link the same kernels, whose
# compilation is most of a driver's build (about 90 seconds each, native and AArch64, on 2 CPUs).
_OBJECTS = {}
_OBJECT_DIR = []


def _object_dir():
    if not _OBJECT_DIR:
        _OBJECT_DIR.append(Path(tempfile.mkdtemp(prefix="rectifier-driver-objects-")))
        atexit.register(shutil.rmtree, _OBJECT_DIR[0], True)
    return _OBJECT_DIR[0]


def _compile(compiler, extra, output, sources=SOURCES, link=("-lm",)):
    """Builds `output` from `sources` with `compiler` and CFLAGS + `extra`: every source not yet
    compiled with those flags in this session is compiled (all at once, in parallel), then the
    objects are linked. A compile error is a bug, never a skip."""
    flags = list(compiler) + CFLAGS + list(extra)
    started = []
    for source in sources:
        key = (tuple(flags), str(source))
        if key not in _OBJECTS:
            obj = _object_dir() / f"{len(_OBJECTS)}-{Path(source).stem}.o"
            command = flags + ["-c", str(source), "-o", str(obj)]
            started.append((key, obj, command, subprocess.Popen(command, stdout=subprocess.PIPE,
                                                                stderr=subprocess.PIPE, text=True)))
            _OBJECTS[key] = None  # claimed: a failure below fails the test anyway
    for key, obj, command, process in started:
        _, err = process.communicate()
        if process.returncode != 0:
            del _OBJECTS[key]
            pytest.fail(f"building the driver failed:\n{shlex.join(command)}\n{err}")
        _OBJECTS[key] = obj
    objects = [str(_OBJECTS[(tuple(flags), str(source))]) for source in sources]
    command = list(compiler) + list(extra) + objects + ["-o", str(output)] + list(link)
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"linking the driver failed:\n{shlex.join(command)}\n{result.stderr}")
    return output


def _native_compiler():
    if os.environ.get("CC"):
        return shlex.split(os.environ["CC"])
    for name in ("cc", "gcc"):
        if shutil.which(name):
            return [name]
    return None


def _qemu_prefix(binary):
    """qemu-aarch64 with SVE off (the kernels are plain Advanced SIMD), or plain where that fails."""
    for prefix in ([QEMU, "-cpu", "max,sve=off"], [QEMU]):
        probe = subprocess.run(prefix + [str(binary)], capture_output=True)
        if probe.returncode == 2:  # the driver ran and printed its usage
            return prefix
    pytest.fail(f"{QEMU} cannot run {binary}")


@pytest.fixture(scope="session")
def drivers(tmp_path_factory):
    return build_drivers(tmp_path_factory.mktemp("c_driver"))


def build_drivers(build):
    """The native and NEON drivers, built in the directory `build`."""
    found = Drivers()

    native_cc = _native_compiler()
    if native_cc is None:
        found.native_missing = "no native C compiler (cc, gcc or $CC) found"
    else:
        found.native = [str(_compile(native_cc, [], build / "driver"))]

    if NATIVE_AARCH64:
        found.neon, found.neon_missing = found.native, found.native_missing
    else:
        missing = [tool for tool in (CROSS_CC, QEMU) if shutil.which(tool) is None]
        if missing:
            found.neon_missing = (
                f"{' and '.join(missing)} not found: install gcc-aarch64-linux-gnu, "
                "libc6-dev-arm64-cross and qemu-user to test the NEON path"
            )
        else:
            binary = _compile([CROSS_CC], ["-static"], build / "driver-aarch64")
            found.neon = _qemu_prefix(binary) + [str(binary)]
    return found


def _run(command, path, op, dtype, workdir, a, b, with_grad, has_weights):
    """Runs one kernel over workdir's x.bin (one call per LENGTHS entry); returns the output
    file names, or None when this CPU lacks the path."""
    y, gw = workdir / f"y-{path}.bin", workdir / f"gw-{path}.bin"
    args = command + [path, op, dtype, str(workdir / "x.bin"), str(y)]
    args += [f"a={a!r}", f"b={b!r}", "n=" + ",".join(map(str, LENGTHS))]
    if op.endswith("_grad"):
        args.append("grad=" + (str(workdir / "grad.bin") if with_grad else "none"))
    if has_weights:
        args.append(f"w={workdir / 'w.bin'}")
    if op == "prelu_grad":
        args.append(f"gw={gw}")
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if result.returncode == EXIT_NO_PATH:
        return None
    assert result.returncode == 0, f"{shlex.join(args)} failed:\n{result.stderr}"
    return y, gw


# ---- inputs ------------------------------------------------------------------------------------


def _compute_type(dt):
    return np.float64 if dt == np.float64 else np.float32


def _uint(dt):
    return {2: np.uint16, 4: np.uint32, 8: np.uint64}[np.dtype(dt).itemsize]


def _from_bits(bits, dt):
    return np.array(bits, dtype=_uint(dt)).view(dt)


def _special_values(dt, anchors):
    """NaNs (both signs, quiet and signalling, several payloads), infinities, signed zeros,
    subnormals, extreme normals, and every anchor with its neighbours and its negation."""
    info = np.finfo(dt)
    width, mant = 8 * np.dtype(dt).itemsize, info.nmant
    sign, quiet, all_mant = 1 << (width - 1), 1 << (mant - 1), (1 << mant) - 1
    exponent = ((1 << (width - 1)) - 1) & ~all_mant
    nans = _from_bits(
        [exponent | quiet, sign | exponent | quiet, exponent | 1, sign | exponent | 1,
         exponent | all_mant, sign | exponent | quiet | 1],
        dt,
    )
    subnormals = _from_bits([1, 2, all_mant - 1, all_mant], dt)
    finite = [0.0, info.tiny, info.tiny * 2, info.max, info.eps, 1.0, 2.0, 0.5, 6.0, 3.0]
    values = np.concatenate([np.array(finite + [np.inf], dtype=dt), subnormals])
    anchors = np.asarray(anchors, dtype=dt)
    anchors = np.concatenate([anchors, np.nextafter(anchors, dt(np.inf)),
                              np.nextafter(anchors, dt(-np.inf))])
    values = np.concatenate([values, anchors])
    return np.concatenate([values, -values, nans])


def _random_values(rng, dt, anchors, n):
    """A third random bit patterns (every binade, NaNs included), a third N(0, 4), a third values
    within 3 ulps of an anchor."""
    k = n // 3
    bits = np.frombuffer(rng.bytes(k * np.dtype(dt).itemsize), dtype=dt)
    with np.errstate(over="ignore"):
        normal = (rng.standard_normal(k) * 4).astype(dt)
    near = rng.choice(np.asarray(anchors, dtype=dt), n - 2 * k)
    steps = rng.integers(-3, 4, near.size)
    for s in range(3):
        near[steps > s] = np.nextafter(near[steps > s], dt(np.inf))
        near[steps < -s] = np.nextafter(near[steps < -s], dt(-np.inf))
    return np.concatenate([bits, normal, near])


def _test_array(rng, dt, anchors):
    """One array for LENGTHS: the short calls get the special values three times over (shuffled
    with random values), the long call gets them once among random values."""
    specials = _special_values(dt, anchors)
    small_n = sum(SMALL_LENGTHS)
    small = np.concatenate([np.tile(specials, 3),
                            _random_values(rng, dt, anchors, max(small_n - 3 * specials.size, 0))])
    small = rng.permutation(small)[:small_n]
    large = np.concatenate([specials, _random_values(rng, dt, anchors, LARGE_N - specials.size)])
    return np.concatenate([small, rng.permutation(large)])


def _anchors(op, params, dt):
    """Values where the op changes branch: its parameters (rounded to the compute type) and 0, 6,
    +-1."""
    ct = _compute_type(dt)
    values = [0.0, 6.0, 1.0, -1.0] + [float(ct(v)) for v in params.values()]
    with np.errstate(over="ignore", under="ignore"):
        return np.unique(np.array(values, dtype=dt))


# ---- what every path must return ---------------------------------------------------------------

def _expected(op, params, x, grad, w):
    """The outputs every path must produce: (y,) or, for prelu_grad, (grad_x, grad_w)."""
    with np.errstate(all="ignore"):
        if op == "prelu":
            # prelu with one weight per element is leaky_relu with a per-element slope
            return (reference.expected("leaky_relu", x, negative_slope=w),)
        if op == "prelu_grad":
            # grad_x is leaky_relu_grad with the per-element slope (exactly the oracle's prelu_grad
            # formula); grad_w per element is x > 0 ? 0 : grad * x, in float64 rounded to the
            # compute type (exact: a product of two compute-type values fits in float64)
            ct = _compute_type(x.dtype)
            grad_x = reference.expected("leaky_relu_grad", x, grad=grad, negative_slope=w)
            x64 = x.astype(ct).astype(np.float64)
            g64 = np.ones_like(x64) if grad is None else grad.astype(ct).astype(np.float64)
            grad_w = np.where(x64 > 0, 0.0, g64 * x64).astype(ct)
            return grad_x, grad_w
        if op.endswith("_grad"):
            return (reference.expected(op, x, grad=grad, **params),)
        return (reference.expected(op, x, **params),)


def _show(value):
    return f"{value!r} ({int(value.view(_uint(value.dtype))):#x})"


def _assert_same(got, want, inputs, what):
    """Same NaN positions, and every other element bit for bit (so +0.0 != -0.0). `inputs` maps
    names to the input arrays, shown for the differing elements."""
    assert got.dtype == want.dtype and got.shape == want.shape, what
    got_nan, want_nan = np.isnan(got), np.isnan(want)
    uint = _uint(got.dtype)
    bad = (got_nan != want_nan) | (~got_nan & ~want_nan & (got.view(uint) != want.view(uint)))
    if not bad.any():
        return
    starts = np.cumsum([0] + LENGTHS)
    lines = []
    for i in np.flatnonzero(bad)[:12]:
        call = int(np.searchsorted(starts, i, side="right")) - 1
        shown = " ".join(f"{name}={_show(array[i])}" for name, array in inputs.items())
        lines.append(
            f"  [{i}] call {call} (n={LENGTHS[call]}, element {i - starts[call]}): {shown}: "
            f"got {_show(got[i])}, want {_show(want[i])}"
        )
    pytest.fail(f"{what}: {int(bad.sum())} of {bad.size} elements differ\n" + "\n".join(lines))


# ---- the tests ---------------------------------------------------------------------------------


class CaseData:
    """Inputs, expected outputs and each path's outputs (run on demand, once) for one case."""

    def __init__(self, case, dtype, workdir):
        op, params, with_grad = case
        self.op, self.params, self.with_grad, self.dtype = op, params, with_grad, dtype
        self.workdir = workdir
        dt = DTYPES[dtype]
        rng = np.random.default_rng(zlib.crc32(f"{_case_id(case)}/{dtype}".encode()))
        self.x = _test_array(rng, dt, _anchors(op, params, dt))
        self.grad = _test_array(rng, dt, [1.0, -1.0, 0.5]) if with_grad else None
        self.w = None
        if op in ("prelu", "prelu_grad"):
            ct = _compute_type(dt)
            self.w = _test_array(rng, ct, [0.01, -0.5, 0.25, 1.0])
        self.x.tofile(workdir / "x.bin")
        if self.grad is not None:
            self.grad.tofile(workdir / "grad.bin")
        if self.w is not None:
            self.w.tofile(workdir / "w.bin")
        self.inputs = {name: array for name, array in
                       (("x", self.x), ("grad", self.grad), ("w", self.w)) if array is not None}
        self._outputs = {}

    @property
    def expected(self):
        return _expected(self.op, self.params, self.x, self.grad, self.w)

    def outputs(self, drivers, path):
        """(y,) or (grad_x, grad_w) from one path; skips if this CPU lacks the path."""
        if path not in self._outputs:
            values = [float(self.params[f]) for f in PARAM_FIELDS.get(self.op, ())]
            a, b = (values + [0.0, 0.0])[:2]
            files = _run(drivers.command(path), path, self.op, self.dtype, self.workdir, a, b,
                         self.with_grad, self.w is not None)
            if files is None:
                self._outputs[path] = None
            else:
                y = np.fromfile(files[0], dtype=DTYPES[self.dtype])
                self._outputs[path] = (y,) if self.op != "prelu_grad" else (
                    y, np.fromfile(files[1], dtype=_compute_type(DTYPES[self.dtype])))
        if self._outputs[path] is None:
            path_unavailable(path)
        return self._outputs[path]


@pytest.fixture(scope="session")
def case_data(tmp_path_factory):
    cache = {}

    def get(case, dtype):
        key = (_case_id(case), dtype)
        if key not in cache:
            cache[key] = CaseData(case, dtype, tmp_path_factory.mktemp("case"))
        return cache[key]

    return get


OUTPUT_NAMES = {"prelu_grad": ("grad_x", "grad_w")}


def _assert_within_ulps(data, got, path):
    """A smooth forward op against the reference: <= 1 ULP for float16/float32 (float16 through a
    float32 rounding), <= 2 ULP for float64; NaN, infinities and the sign of zero exactly."""
    params = {k: (None if k == "threshold" and v == np.inf else v) for k, v in data.params.items()}
    dt = DTYPES[data.dtype]
    ref = reference.smooth_expected(data.op, data.x, **params)
    info = np.finfo(dt)
    with np.errstate(all="ignore"):  # rounding to dt overflows to inf where the result does
        rounded = ref.astype(np.float32).astype(dt) if dt == np.float16 else ref.astype(dt)
        ulp = np.maximum(np.spacing(np.minimum(np.abs(rounded), info.max)).astype(np.longdouble),
                         np.longdouble(info.smallest_subnormal))
        err = np.abs(got.astype(np.longdouble) - ref.astype(np.longdouble)) / ulp
    # exact where the input is special or the result is not finite; where both are zero, the
    # sign too; a nonzero result next to a zero reference is an ULP question (long double cannot
    # always round at the bottom of float64's subnormals)
    special = ~np.isfinite(rounded) | ~np.isfinite(data.x) | (data.x == 0) | ((rounded == 0) & (got == 0))
    _assert_same(np.where(special, got, 0).astype(dt), np.where(special, rounded, 0).astype(dt),
                 data.inputs, f"{path} {data.op} {data.dtype} special values vs reference")
    bound = 2.0 if dt == np.float64 else 1.0
    err = np.where(special, 0, err)
    worst = int(np.argmax(err))
    assert err[worst] <= bound, (f"{path} {data.op} {data.dtype}: {float(err[worst]):.3f} ULP at "
                                 f"x={_show(data.x[worst])}: got {got[worst]!r}, want {ref[worst]!r}")


# The smooth derivatives are left out here: test_smooth.py checks them against the analytic
# derivative on every in-process path, and test_neon_matches_native_path requires NEON's bits to
# be those paths' bits.
REFERENCE_CASES = [c for c in CASES if not (c[0] in SMOOTH_OPS and c[0].endswith("_grad"))]


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("case", REFERENCE_CASES, ids=_case_id)
@pytest.mark.parametrize("path", PATHS)
def test_path_matches_reference(drivers, case_data, path, case, dtype):
    data = case_data(case, dtype)
    if data.op in SMOOTH_OPS:
        _assert_within_ulps(data, data.outputs(drivers, path)[0], path)
        return
    names = OUTPUT_NAMES.get(data.op, ("y",))
    for name, got, want in zip(names, data.outputs(drivers, path), data.expected):
        _assert_same(got, want, data.inputs, f"{path} {data.op} {dtype} {name} vs reference")


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.parametrize("native", NATIVE_PATHS)
def test_neon_matches_native_path(drivers, case_data, native, case, dtype):
    data = case_data(case, dtype)
    names = OUTPUT_NAMES.get(data.op, ("y",))
    neon = data.outputs(drivers, "neon")
    for name, got, want in zip(names, neon, data.outputs(drivers, native)):
        _assert_same(got, want, data.inputs, f"neon {data.op} {dtype} {name} vs {native}")


@pytest.mark.parametrize("path", PATHS)
def test_no_spurious_floating_point_flags(drivers, path):
    """Every op and dtype over quiet NaNs, infinities, zeros, subnormals and large values, at every
    length 0..17: no overflow, invalid or divide-by-zero flag (AArch64's ordered compares raise
    "invalid" on a quiet NaN unless the shim keeps NaN away from them; the in-process tests check
    x86 through NumPy's error state, this checks every path the same way, NEON under qemu)."""
    command = drivers.command(path)
    result = subprocess.run(command + [path, "flags"], capture_output=True, text=True, timeout=300)
    if result.returncode == EXIT_NO_PATH:
        path_unavailable(path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


# ---- the fused epilogue and the positive counts (src/fused.c) ---------------------------------
# rect_bias_act and rect_count_positive run the active path's kernels block by block; the driver
# runs them per (outer, channels, inner) shape over consecutive slices. The shapes reach every
# branch of src/fused.c: a tiled pattern (short rows), the bias itself as the pattern (rows longer
# than a block), tiled runs (inner > 1), long runs of one bias (inner >= 256), rows of short runs
# longer than the pattern limit (run by run), empty slices, and every tail length 0..17.

FUSED_SHAPES = ([(7, 19, 1), (2, 2100, 1), (3, 4, 5), (2, 3, 300), (1, 33000, 3), (1, 0, 1), (2, 1, 17)]
                + [(1, n, 1) for n in range(18)])
COUNT_SHAPES = ([(1, n, 1) for n in range(18)] + [(1, 10007, 1), (5, 19, 3), (2, 3, 2100), (3, 4100, 1),
                                                   (1, 5, 2049), (2, 0, 3)])
FUSED_EXACT = {"relu", "relu6", "hardtanh", "threshold", "leaky_relu"}
FUSED_CASES = [("none", {}), ("relu", {}), ("relu6", {}), ("hardtanh", {"min_val": -0.5, "max_val": 2.0}),
               ("threshold", {"threshold": 0.5, "value": -3.0}), ("leaky_relu", {"negative_slope": 0.2}),
               ("leaky_relu", {"negative_slope": 0.0}), ("elu", {"alpha": 0.5}), ("silu", {}), ("gelu_tanh", {})]


def _fused_values(rng, dt, n):
    """n values: the special values (NaNs of both signs, infinities, zeros, subnormals) spread
    among random ones of all magnitudes."""
    specials = _special_values(dt, [0.0, 1.0, -1.0, 0.5, 2.0])
    with np.errstate(over="ignore"):
        values = (rng.standard_normal(n) * 10.0 ** rng.integers(-3, 3, n)).astype(dt)
    at = rng.choice(n, min(n, 3 * specials.size), replace=False) if n else np.zeros(0, int)
    values[at] = np.resize(specials, at.size)
    return values


def _composition(op, params, s):
    """What bias_act must give: the package's own activation of the sum, bit for bit (the exact
    ops are also checked against the oracle)."""
    import rectifier
    with np.errstate(all="ignore"):
        if op == "none":
            return s
        if op == "gelu_tanh":
            return rectifier.gelu(s, approximate="tanh")
        return getattr(rectifier, op)(s, **params)


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("case", FUSED_CASES, ids=lambda c: c[0] + "".join(f"-{k}={v}" for k, v in c[1].items()))
@pytest.mark.parametrize("path", PATHS)
def test_fused_bias_act_matches_the_composition(drivers, tmp_path, path, case, dtype):
    op, params = case
    dt = DTYPES[dtype]
    ct = _compute_type(dt)
    rng = np.random.default_rng(zlib.crc32(f"fused/{op}/{params}/{dtype}".encode()))
    xs, biases, sums = [], [], []
    for outer, channels, inner in FUSED_SHAPES:
        x = _fused_values(rng, dt, outer * channels * inner)
        with np.errstate(all="ignore"):
            b = (_fused_values(rng, dt, channels) * dt(0.5)).astype(dt)
        xs.append(x)
        biases.append(b.astype(ct))      # the Python layer passes the bias rounded to x's dtype
        with np.errstate(all="ignore"):
            sums.append((x.reshape(outer, channels, inner) + b[:, None]).reshape(-1))
    x, s = np.concatenate(xs), np.concatenate(sums)
    x.tofile(tmp_path / "x.bin")
    np.concatenate(biases).tofile(tmp_path / "bias.bin")
    values = [float(params[f]) for f in PARAM_FIELDS.get(op, ())]
    a, b = (values + [0.0, 0.0])[:2]
    shapes = ",".join(f"{o}:{c}:{i}" for o, c, i in FUSED_SHAPES)
    args = drivers.command(path) + [path, "bias_act", op, dtype, str(tmp_path / "x.bin"),
                                    str(tmp_path / "bias.bin"), str(tmp_path / "y.bin"),
                                    f"shapes={shapes}", f"a={a!r}", f"b={b!r}"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if result.returncode == EXIT_NO_PATH:
        path_unavailable(path)
    assert result.returncode == 0, f"{shlex.join(args)} failed:\n{result.stderr}"
    got = np.fromfile(tmp_path / "y.bin", dtype=dt)
    inputs = {"x": x, "x+bias": s}
    _assert_same(got, _composition(op, params, s), inputs, f"{path} bias_act {op} {dtype} vs composition")
    if op in FUSED_EXACT:
        _assert_same(got, reference.expected(op, s, **params), inputs, f"{path} bias_act {op} {dtype} vs oracle")
    elif op == "none":
        _assert_same(got, s, inputs, f"{path} bias_act (no activation) {dtype} vs x + bias")
    else:   # the smooth ops: within their bounds of the oracle (tests/test_smooth.py's)
        from test_smooth import ulp_error
        with np.errstate(all="ignore"):
            err = ulp_error(got, reference.smooth_expected(op, s, **params), dt)
        bound = 2.0 if dt == np.float64 else 1.0
        worst = int(np.argmax(err))
        assert err[worst] <= bound, f"{path} bias_act {op} {dtype}: {float(err[worst])} ULP at x+bias={s[worst]!r}"


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("path", PATHS)
def test_fused_count_positive_matches_numpy(drivers, tmp_path, path, dtype):
    dt = DTYPES[dtype]
    rng = np.random.default_rng(zlib.crc32(f"count/{dtype}".encode()))
    xs, want = [], []
    for outer, length, inner in COUNT_SHAPES:
        x = _fused_values(rng, dt, outer * length * inner)
        xs.append(x)
        with np.errstate(invalid="ignore"):
            want.append((x.reshape(outer, length, inner) > 0).sum(axis=1).reshape(-1).astype(np.uint64))
    np.concatenate(xs).tofile(tmp_path / "x.bin")
    shapes = ",".join(f"{o}:{n}:{i}" for o, n, i in COUNT_SHAPES)
    args = drivers.command(path) + [path, "count_positive", dtype, str(tmp_path / "x.bin"),
                                    str(tmp_path / "counts.bin"), f"shapes={shapes}"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if result.returncode == EXIT_NO_PATH:
        path_unavailable(path)
    assert result.returncode == 0, f"{shlex.join(args)} failed:\n{result.stderr}"
    np.testing.assert_array_equal(np.fromfile(tmp_path / "counts.bin", dtype=np.uint64), np.concatenate(want))


@pytest.fixture(scope="session")
def small_round_drivers(tmp_path_factory):
    """The driver built with RECT_COUNT_ROUNDS_MAX=3, so that counts go through the emptying of the
    compute-type counters into integers many times (at the real 2^24 rounds, a test would need
    2^35 elements)."""
    build = tmp_path_factory.mktemp("c_driver_small_rounds")
    found = Drivers()
    flag = ["-DRECT_COUNT_ROUNDS_MAX=3"]
    native_cc = _native_compiler()
    if native_cc is None:
        found.native_missing = "no native C compiler (cc, gcc or $CC) found"
    else:
        found.native = [str(_compile(native_cc, flag, build / "driver"))]
    if NATIVE_AARCH64:
        found.neon, found.neon_missing = found.native, found.native_missing
    elif shutil.which(CROSS_CC) is None or shutil.which(QEMU) is None:
        found.neon_missing = f"{CROSS_CC} or {QEMU} not found"
    else:
        binary = _compile([CROSS_CC], ["-static"] + flag, build / "driver-aarch64")
        found.neon = _qemu_prefix(binary) + [str(binary)]
    return found


@pytest.mark.parametrize("path", PATHS)
def test_fused_count_positive_empties_its_counters_exactly(small_round_drivers, tmp_path, path):
    for dtype in DTYPES:
        test_fused_count_positive_matches_numpy(small_round_drivers, tmp_path, path, dtype)


# ---- the randomized rectifiers (rrelu, noisy_relu) and Philox ----------------------------------
# The driver runs them with key= and first=, one kernel call per LENGTHS entry, each starting at
# first + the elements before it: the output must be the same bits on every path (the chunking and
# the starting index must not matter) and equal the NumPy model of tests/random_reference.py.

RANDOM_KEY = 0x0123456789ABCDEF
RANDOM_FIRST = 2**35 + 3   # a counter index whose high word is not 0
# (label, op, a, b, with a sigma array)
RANDOM_CASES = [
    ("rrelu", "rrelu", 0.125, 1 / 3, False),
    ("rrelu-zero", "rrelu", 0.0, 0.5, False),
    ("noisy_relu", "noisy_relu", 0.75, 0.0, False),
    ("noisy_relu-sigmoid", "noisy_relu", 0.0, 1.0, False),
    ("noisy_relu-sigma-array", "noisy_relu", 0.0, 0.0, True),
]


def _random_reference_module():
    spec = importlib.util.spec_from_file_location("rectifier_test_random_reference", TESTS / "random_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


random_reference = _random_reference_module()


def _run_random(drivers, path, case, dtype, workdir, first, lengths):
    label, op, a, b, with_sigma = case
    dt = DTYPES[dtype]
    rng = np.random.default_rng(zlib.crc32(f"{label}/{dtype}".encode()))
    x = _test_array(rng, dt, [0.0, 1.0, -1.0])[:sum(lengths)]
    x.tofile(workdir / "x.bin")
    args = drivers.command(path) + [path, op, dtype, str(workdir / "x.bin"), str(workdir / f"y-{path}.bin"),
                                    f"a={a!r}", f"b={b!r}", f"key={RANDOM_KEY}", f"first={first}",
                                    "n=" + ",".join(map(str, lengths)), f"noise={workdir / f'noise-{path}.bin'}"]
    sigma = None
    if with_sigma:
        sigma = rng.uniform(0, 3, x.size).astype(_compute_type(dt))
        sigma.tofile(workdir / "sigma.bin")
        args.append(f"sigma={workdir / 'sigma.bin'}")
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if result.returncode == EXIT_NO_PATH:
        path_unavailable(path)
    assert result.returncode == 0, f"{shlex.join(args)} failed:\n{result.stderr}"
    y = np.fromfile(workdir / f"y-{path}.bin", dtype=dt)
    noise = np.fromfile(workdir / f"noise-{path}.bin", dtype=dt)
    return x, sigma, y, noise


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("case", RANDOM_CASES, ids=[c[0] for c in RANDOM_CASES])
def test_random_ops_neon_matches_native_paths_and_reference(drivers, tmp_path, case, dtype):
    lengths = LENGTHS
    x, sigma, y_neon, noise_neon = _run_random(drivers, "neon", case, dtype, tmp_path, RANDOM_FIRST, lengths)
    inputs = {"x": x}
    for native in NATIVE_PATHS:
        _, _, y, noise = _run_random(drivers, native, case, dtype, tmp_path, RANDOM_FIRST, lengths)
        _assert_same(y_neon, y, inputs, f"neon {case[0]} {dtype} y vs {native}")
        _assert_same(noise_neon, noise, inputs, f"neon {case[0]} {dtype} noise vs {native}")
    # the whole array in one call gives the same bits as the calls of LENGTHS
    _, _, y_one, noise_one = _run_random(drivers, "neon", case, dtype, tmp_path, RANDOM_FIRST, [x.size])
    _assert_same(y_neon, y_one, inputs, f"neon {case[0]} {dtype}: one call vs many")
    _assert_same(noise_neon, noise_one, inputs, f"neon {case[0]} {dtype}: noise, one call vs many")
    label, op, a, b, with_sigma = case
    dt = DTYPES[dtype]
    ct = _compute_type(dt)
    with np.errstate(all="ignore"):
        if op == "rrelu":
            want_y, want_noise = random_reference.rrelu_expected(x, a, b, RANDOM_KEY, RANDOM_FIRST)
            _assert_same(y_neon, want_y, inputs, f"neon {label} {dtype} y vs reference")
            _assert_same(noise_neon, want_noise, inputs, f"neon {label} {dtype} noise vs reference")
        else:
            # y = relu(x + noise) in the compute type, x's own NaN where x is NaN
            total = x.astype(ct) + noise_neon.astype(ct)
            want_y = np.where(np.isnan(x), x.astype(ct), reference.relu(total)).astype(ct).astype(dt)
            _assert_same(y_neon, want_y, inputs, f"neon {label} {dtype} y vs relu(x + noise)")
            z = random_reference.normal_variates(RANDOM_KEY, x.size, dt, RANDOM_FIRST).astype(np.float64)
            s = (sigma.astype(np.float64) if with_sigma else
                 np.sqrt(reference.sigmoid(x.astype(np.float64))) if b == 1.0 else np.full(x.size, a))
            ok = np.isfinite(x)
            rtol = 2e-3 if dt == np.float16 else 1e-6
            # (float16 results below its normal range are rounded to its subnormal steps)
            np.testing.assert_allclose(noise_neon[ok].astype(np.float64), (s * z)[ok], rtol=rtol,
                                       atol=float(np.finfo(dt).smallest_subnormal))


@pytest.mark.parametrize("case", range(3))
def test_philox_known_answers_on_neon(drivers, tmp_path, case):
    (c0, c1, c2, c3), (k0, k1), want = random_reference.KNOWN_ANSWERS[case]
    index, key = c0 | c1 << 32, k0 | k1 << 32
    out = tmp_path / "words.bin"
    first_group = max(index // 8 - 1, 0)
    args = drivers.command("neon") + ["neon", "philox", "3", str(first_group), str(c2), str(c3), str(key), str(out)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    words = np.fromfile(out, dtype=np.uint32).reshape(3, 32)
    assert tuple(int(words[index // 8 - first_group, 8 * k + index % 8]) for k in range(4)) == want
    if c2 == 0 and c3 == 0:   # the neighbouring groups too, against the model
        np.testing.assert_array_equal(words, random_reference.group_words(key, 0, [first_group + g for g in range(3)]))


def test_random_driver_matches_the_python_api(drivers, tmp_path):
    """The C API from index 0 on (the driver, NEON under qemu) gives what rectifier.rrelu and
    rectifier.noisy_relu return in this process."""
    rectifier = pytest.importorskip("rectifier")
    for case in (RANDOM_CASES[0], RANDOM_CASES[2], RANDOM_CASES[3]):
        for dtype in DTYPES:
            x, _, y, noise = _run_random(drivers, "neon", case, dtype, tmp_path, 0, LENGTHS)
            label, op, a, b, _ = case
            with np.errstate(all="ignore"):
                if op == "rrelu":
                    got = rectifier.rrelu(x, a, b, training=True, seed=RANDOM_KEY, return_noise=True)
                else:
                    got = rectifier.noisy_relu(x, "sigmoid" if b == 1.0 else a, seed=RANDOM_KEY, return_noise=True)
            _assert_same(y, got[0], {"x": x}, f"{label} {dtype} y: neon driver vs rectifier")
            _assert_same(noise, got[1], {"x": x}, f"{label} {dtype} noise: neon driver vs rectifier")
