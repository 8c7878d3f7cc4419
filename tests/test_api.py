"""The Python interface around the kernels: ufunc objects and the array protocol, CPU path
selection, thread safety and GIL release, and the cimportable Cython API."""
import os
import subprocess
import sys
import sysconfig
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import rectifier
import rectifier.ufuncs
from rectifier import _core, _operations
from conftest import assert_same_bits, mixed_input, require_module

# every ufunc: the table's rows and derivatives, prelu_grad and rrelu_grad. rrelu and noisy_relu
# draw by element position, which a ufunc loop does not know: not ufuncs (docs/functions.md);
# noisy_relu_grad is a few NumPy operations.
ELEMENTWISE = list(_operations.UFUNC_NAMES + _operations.OTHER_UFUNCS)


# ---- ufuncs and the NumPy protocol ---------------------------------------------------------

def test_every_elementwise_function_is_a_real_ufunc():
    for name in ELEMENTWISE:
        uf = getattr(rectifier.ufuncs, name)
        assert isinstance(uf, np.ufunc), name
        assert uf.__name__ == name
        assert set(rectifier.ufuncs.__all__) == set(ELEMENTWISE)
    assert rectifier.ufuncs.leaky_relu.nin == 2 and rectifier.ufuncs.prelu_grad.nout == 2
    assert "ef->e" in rectifier.ufuncs.leaky_relu.types and "dd->d" in rectifier.ufuncs.leaky_relu.types


def test_ufunc_and_public_function_agree(dtype):
    x = mixed_input(dtype, 333)
    g = mixed_input(dtype, 333, seed=5)
    u = rectifier.ufuncs
    with np.errstate(all="ignore"):
        assert_same_bits(u.relu(x), rectifier.relu(x))
        assert_same_bits(u.relu6(x), rectifier.relu6(x))
        assert_same_bits(u.hardtanh(x, -0.5, 0.5), rectifier.hardtanh(x, -0.5, 0.5))
        assert_same_bits(u.threshold(x, 0.1, 9.0), rectifier.threshold(x, 0.1, 9.0))
        assert_same_bits(u.leaky_relu(x, 0.3), rectifier.leaky_relu(x, 0.3))
        assert_same_bits(u.relu_grad(x, g, 0.5), rectifier.relu_grad(x, g, 0.5))
        assert_same_bits(u.leaky_relu_grad(x, g, 0.3), rectifier.leaky_relu_grad(x, g, 0.3))
        gx, terms = u.prelu_grad(x, np.float32(0.3) if dtype == np.float16 else dtype.type(0.3), g)
        assert_same_bits(gx, rectifier.prelu_grad(x, 0.3, g)[0])


def test_ufunc_features_where_and_strided_out():
    x = np.linspace(-3, 3, 12)
    out = np.full(12, 7.0)
    rectifier.ufuncs.relu(x, out=out, where=x > -1)
    assert (out[x <= -1] == 7.0).all() and (out[x > -1] == np.maximum(x[x > -1], 0)).all()
    big = np.zeros(24)
    rectifier.ufuncs.leaky_relu(x, 0.5, out=big[::2])
    assert (big[::2] == np.where(x > 0, x, 0.5 * x)).all() and (big[1::2] == 0).all()


class Wrapped:
    """A minimal array container with __array_ufunc__, standing in for dask/xarray/pandas."""

    def __init__(self, data):
        self.data = np.asarray(data)
        self.dtype = self.data.dtype
        self.shape = self.data.shape
        self.ndim = self.data.ndim

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        unwrapped = [i.data if isinstance(i, Wrapped) else i for i in inputs]
        result = getattr(ufunc, method)(*unwrapped, **kwargs)
        Wrapped.last_call = (ufunc.__name__, kwargs)
        if isinstance(result, tuple):
            return tuple(Wrapped(r) for r in result)
        return Wrapped(result)

    def sum(self, axis=None):
        return Wrapped(self.data.sum(axis=axis))

    def astype(self, dtype):
        return Wrapped(self.data.astype(dtype))

    def reshape(self, shape):
        return Wrapped(self.data.reshape(shape))


def test_array_ufunc_containers_keep_their_type():
    w = Wrapped(np.array([-1.0, 2.0], np.float32))
    for f, args in [(rectifier.relu, ()), (rectifier.leaky_relu, (0.5,)), (rectifier.prelu, (0.5,)),
                    (rectifier.relu_grad, ()), (rectifier.hardtanh, (-0.5, 0.5))]:
        r = f(w, *args)
        assert isinstance(r, Wrapped), f.__name__
        assert r.dtype == np.float32
    assert rectifier.leaky_relu(w, 0.5).data.tolist() == [-0.5, 2.0]
    # integer containers are computed in float64, as plain arrays are
    assert rectifier.relu(Wrapped(np.array([-1, 2]))).dtype == np.float64
    gx, gw = rectifier.prelu_grad(Wrapped(np.array([[-1.0, 2.0]], np.float32)), [0.5, 0.25])
    assert isinstance(gx, Wrapped) and isinstance(gw, Wrapped) and gw.dtype == np.float32
    assert gx.data.tolist() == [[0.5, 1.0]] and gw.data.tolist() == [-1.0, 0.0]


def test_dask_arrays_stay_lazy():
    da = require_module("dask.array")
    x = da.from_array(np.linspace(-2, 2, 1000).astype(np.float32), chunks=100)
    y = rectifier.relu(x)
    assert isinstance(y, da.Array), type(y)
    assert y.dtype == np.float32
    z = rectifier.leaky_relu_grad(y - 1, negative_slope=0.25)
    assert isinstance(z, da.Array)
    np.testing.assert_array_equal(y.compute(), rectifier.relu(x.compute()))
    np.testing.assert_array_equal(z.compute(), rectifier.leaky_relu_grad(y.compute() - 1, negative_slope=0.25))
    # dask has no two-output ufuncs: prelu_grad runs one map_blocks with both outputs (every
    # function's dask result is tested in test_dask.py)
    gx, gw = rectifier.prelu_grad(da.from_array(-np.ones((4, 3)), chunks=2), [0.1, 0.2, 0.3])
    assert isinstance(gx, da.Array) and isinstance(gw, da.Array)
    np.testing.assert_array_equal(gw.compute(), [-4.0, -4.0, -4.0])


# ---- CPU paths --------------------------------------------------------------------------

def test_capabilities_report():
    caps = rectifier.capabilities()
    assert set(caps) == {"compiled", "detected", "enabled", "active"}
    assert "scalar" in caps["compiled"] and "scalar" in caps["detected"]
    assert set(caps["detected"]) <= set(caps["compiled"]) <= set(_core.PATHS)
    assert set(caps["enabled"]) <= set(caps["detected"])
    assert caps["active"] in caps["enabled"]
    machine = sysconfig.get_platform()
    if "x86_64" in machine or "amd64" in machine.lower():
        assert {"avx2", "avx512"} <= set(caps["compiled"]) and "neon" not in caps["compiled"]


def test_the_path_table_orders_the_paths():
    """PATHS comes from the C table, lowest precedence first, scalar first; the best enabled path
    is the active one."""
    assert _core.PATHS[0] == "scalar" and len(set(_core.PATHS)) == len(_core.PATHS)
    assert {"scalar", "avx2", "neon", "avx512"} <= set(_core.PATHS)
    assert _core.PATHS.index("avx512") > _core.PATHS.index("avx2")
    caps = rectifier.capabilities()
    assert caps["active"] == [p for p in _core.PATHS if p in caps["enabled"]][-1]


def _cpu_flags():
    """The feature flags Linux reports for this CPU (empty elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


# what each path needs, in the kernel's /proc/cpuinfo names (the kernel also drops a flag when the
# OS does not save the register state it needs, as the XGETBV test does)
CPUINFO_FLAGS = {"avx2": {"avx2", "fma", "f16c"},
                 "avx512": {"avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512dq", "avx512vl"}}


@pytest.mark.skipif(not _cpu_flags(), reason="no /proc/cpuinfo flags line to compare with")
def test_detection_agrees_with_the_kernel():
    """A compiled path that the CPU supports is detected, so the per-path tests exercise it (and
    one it does not support is not)."""
    caps, flags = rectifier.capabilities(), _cpu_flags()
    for path, needs in CPUINFO_FLAGS.items():
        if path in caps["compiled"]:
            assert (path in caps["detected"]) == (needs <= flags), (path, sorted(needs - flags))


def test_set_capabilities_refuses_what_the_cpu_lacks():
    before = rectifier.capabilities()
    with pytest.raises(ValueError, match="unknown CPU path 'sse9'"):
        rectifier.set_capabilities(["sse9"])
    missing = [p for p in _core.PATHS if p not in before["detected"]]
    for p in missing:
        with pytest.raises(ValueError, match=f"cannot run the '{p}' path"):
            rectifier.set_capabilities(["scalar", p])
    assert rectifier.capabilities() == before, "a refused call changes nothing"
    try:
        rectifier.set_capabilities([])
        assert rectifier.capabilities()["active"] == "scalar" and rectifier.capabilities()["enabled"] == ("scalar",)
        rectifier.set_capabilities("scalar")
        assert rectifier.capabilities()["active"] == "scalar"
        for p in before["detected"]:
            rectifier.set_capabilities([p])
            assert rectifier.capabilities()["active"] == p
    finally:
        rectifier.set_capabilities(before["enabled"])
    assert rectifier.capabilities() == before


def run_python(code, **env):
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                            env={**os.environ, **env}, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def test_environment_variable_disables_paths():
    every_other = ",".join(p for p in _core.PATHS if p != "scalar")
    r = run_python("""
        import rectifier
        caps = rectifier.capabilities()
        print(caps["active"], ",".join(caps["enabled"]), ",".join(caps["detected"]))
    """, RECTIFIER_DISABLE=every_other)
    active, enabled, detected = r.stdout.split()
    assert active == "scalar" and enabled == "scalar"
    # turning off the best path leaves the next one active
    detected = rectifier.capabilities()["detected"]
    if len(detected) > 2:
        r = run_python("""
            import rectifier
            print(rectifier.capabilities()["active"])
        """, RECTIFIER_DISABLE=detected[-1])
        assert r.stdout.split() == [detected[-2]]
    r = run_python("""
        import warnings
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            import rectifier
        print(rectifier.capabilities()["active"]); print(w[0].message if w else "no warning")
    """, RECTIFIER_DISABLE="sse9, scalar")
    assert "sse9" in r.stdout and "scalar cannot be disabled" in r.stdout


def test_show_config_prints_the_paths(capsys):
    rectifier.show_config()
    out = capsys.readouterr().out
    assert "active:" in out and rectifier.capabilities()["active"] in out


def test_import_leaves_the_floating_point_mode_alone():
    """No flush-to-zero or rounding-mode change: subnormal arithmetic still works after import."""
    r = run_python("""
        import numpy as np
        tiny = np.float32(1e-45)
        before = (tiny * np.float32(3), np.float32(1) / np.float32(3))
        import rectifier
        rectifier.relu(np.ones(10000, np.float32))
        after = (tiny * np.float32(3), np.float32(1) / np.float32(3))
        print(before == after, after[0] > 0)
    """)
    assert r.stdout.split() == ["True", "True"]


# ---- threads and the GIL ----------------------------------------------------------------

def test_many_threads_give_the_serial_results():
    rng = np.random.default_rng(3)
    inputs = [rng.standard_normal(n).astype(dt) for n in (7, 100, 5000, 70000) for dt in (np.float32, np.float64, np.float16)]
    calls = [
        lambda x: rectifier.relu(x),
        lambda x: rectifier.leaky_relu(x, 0.2),
        lambda x: rectifier.hardtanh(x, -0.5, 0.5),
        lambda x: rectifier.relu_grad(x, x),
        lambda x: rectifier.prelu(x.reshape(1, -1), 0.1),
        lambda x: rectifier.leaky_relu(x[::-1], 0.3),     # the ufunc path
    ]
    jobs = [(c, x) for _ in range(25) for c in calls for x in inputs]
    serial = [c(x) for c, x in jobs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(lambda job: job[0](job[1]), jobs))
    for a, b in zip(serial, threaded):
        np.testing.assert_array_equal(a.view(f"u{a.itemsize}"), b.view(f"u{b.itemsize}"))


def test_the_gil_is_released_during_a_large_kernel():
    """With a 0.5 s switch interval a thread waiting for the GIL cannot run while the main thread
    holds it for less than that; it can only make progress while a kernel runs with the GIL
    released. A 50 ms pure-Python busy loop is the control: the counter must not move during it."""
    x = np.ones(1 << 25, np.float32)
    out = np.empty_like(x)
    counter = [0]
    stop = threading.Event()
    started = threading.Event()

    def spin():
        started.set()
        while not stop.is_set():
            counter[0] += 1

    old = sys.getswitchinterval()
    sys.setswitchinterval(0.5)
    t = threading.Thread(target=spin)
    try:
        t.start()
        started.wait()
        time.sleep(0.05)   # blocks: the spinner takes the GIL, then must give it back at our request
        rectifier.set_capabilities(["scalar"])   # the slowest path: the longest kernel
        before = counter[0]
        deadline = time.perf_counter() + 0.05
        while time.perf_counter() < deadline:
            pass
        during_python = counter[0] - before
        before = counter[0]
        rectifier.relu(x, out=out)
        during_kernel = counter[0] - before
    finally:
        rectifier.set_capabilities(rectifier.capabilities()["detected"])
        stop.set()
        sys.setswitchinterval(old)
        t.join()
    assert during_python == 0, "control: the other thread ran while Python code held the GIL"
    assert during_kernel > 0, "the other thread never ran during the kernel: the GIL was held"


# ---- the cimportable nogil API ------------------------------------------------------------

@pytest.mark.slow
def test_cython_code_can_cimport_the_nogil_kernels(tmp_path):
    require_module("Cython")
    (tmp_path / "user_ext.pyx").write_text(textwrap.dedent("""
        # cython: language_level=3
        from libc.math cimport INFINITY
        from rectifier._core cimport relu_f32, leaky_relu_grad_f64, prelu_f32, softplus_f64

        def run(float[::1] x, float[::1] out, double[::1] x64, double[::1] g64, double[::1] out64,
                double[::1] s64):
            cdef int a, b, c, d
            with nogil:
                a = relu_f32(x, out)
                b = leaky_relu_grad_f64(x64, g64, out64, 0.5)
                c = relu_f32(x, out[:1])      # length mismatch: refused, nothing written
                d = softplus_f64(s64, s64, 1.0, INFINITY)   # a smooth one, in place
            return a, b, c, d
    """))
    (tmp_path / "setup.py").write_text(textwrap.dedent("""
        from setuptools import setup, Extension
        from Cython.Build import cythonize
        setup(ext_modules=cythonize([Extension("user_ext", ["user_ext.pyx"])], quiet=True))
    """))
    # Cython and the user's module must find the rectifier under test (its _core.pxd and
    # extension), also when that is a source tree on a relative PYTHONPATH
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(rectifier.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [package_root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    build = subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=300, env=env)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    r = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import numpy as np, user_ext
        x = np.array([-1, 2, -0.0, np.nan], np.float32); out = np.zeros(4, np.float32)
        x64 = np.array([-1.0, 2.0]); g64 = np.array([4.0, 4.0]); out64 = np.zeros(2)
        s64 = np.array([0.0, 1000.0])   # softplus: log(2) and x itself
        print(user_ext.run(x, out, x64, g64, out64, s64), out.tolist(), out64.tolist(),
              s64[0] == np.log(2.0), s64[1] == 1000.0)
    """)], cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "(0, 0, -1, 0) [0.0, 2.0, 0.0, nan] [2.0, 4.0] True True"
