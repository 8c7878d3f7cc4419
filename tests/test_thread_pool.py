"""The intra-op thread pool (src/pool.c) and its controls (rectifier/_threads.py):

- every public function gives the bits of the one-thread call for 2, 3, 4 and 7 threads, on
  arrays cut into many pieces (the size threshold lowered), the random functions included;
- the controls: set_num_threads / get_num_threads / num_threads, their errors, threadpoolctl's
  threadpool_limits(1) (which must stop the pool from splitting calls), RECTIFIER_NUM_THREADS with
  bad values (a warning and a sane count);
- the faults a pool brings: a child made by os.fork() after the pool started computes correctly
  on its first call; interpreter exit with calls in flight neither hangs nor crashes; many Python
  threads calling at once share the pool and get the right bits.
"""
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import hardening_cases as hc
import rectifier
from rectifier import _core
from conftest import require_module

THREAD_COUNTS = (2, 3, 4, 7)
N = 40_003          # above the size at which the GIL is released (8192), not a round number
SMALL_PIECES = 1000  # elements per thread while testing: many pieces, odd boundaries


@pytest.fixture
def split_small():
    """Lets calls of a few thousand elements use the pool; restores the count and threshold."""
    old_min = _core._set_parallel_min(SMALL_PIECES)
    old_threads = rectifier.get_num_threads()
    yield
    _core._set_parallel_min(old_min)
    rectifier.set_num_threads(old_threads)


def as_bytes(result):
    results = result if isinstance(result, tuple) else (result,)
    return [np.asarray(r).tobytes() for r in results]


def assert_same_for_every_count(compute):
    rectifier.set_num_threads(1)
    jobs = _core._pool_jobs()
    expected = as_bytes(compute())
    assert _core._pool_jobs() == jobs, "one thread must not use the pool"
    for t in THREAD_COUNTS:
        rectifier.set_num_threads(t)
        jobs = _core._pool_jobs()
        got = as_bytes(compute())
        assert got == expected, f"{t} threads changed the result"
        assert _core._pool_jobs() > jobs, f"{t} threads: the call was not split"


def split_here(row):
    """The rows whose 1-D call the pool splits; the others are covered below, on 2-D data (a
    reduction of one slice or prelu's single row are one piece of work)."""
    return not (row.reduction or row.reduces or row.weight or row.function == "noisy_relu_grad")


@pytest.mark.parametrize("row", [r for r in hc.rows() if split_here(r)], ids=lambda r: r.name)
@pytest.mark.parametrize("dtype", hc.DTYPES, ids=lambda d: d.name)
def test_every_function_same_bits_for_any_thread_count(row, dtype, split_small):
    ops = hc.operands(row, hc.data(dtype, N, seed=3))
    with np.errstate(all="ignore"):
        assert_same_for_every_count(lambda: hc.call(row, ops))


def test_the_skipped_rows_are_covered_below():
    # noisy_relu_grad is a few NumPy operations (no kernel, nothing to split); the others are
    # covered by 2-D cases here
    covered = {"softmax", "log_softmax", "softmin", "logsumexp", "logsumexp_grad", "softmax_grad",
               "log_softmax_grad", "softmin_grad", "active_fraction", "dead_units", "prelu", "prelu_grad",
               "noisy_relu_grad"}
    assert {r.function for r in hc.rows() if not split_here(r)} <= covered


@pytest.mark.parametrize("dtype", hc.DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("shape, axis", [((501, 83), -1), ((37, 91, 13), 1), ((13, 3001), 1),
                                         ((29, 700, 3), (1, 2))])
def test_reductions_same_bits_for_any_thread_count(dtype, shape, axis, split_small):
    x = hc.data(dtype, int(np.prod(shape)), seed=4).reshape(shape)
    x[np.isinf(x) | np.isnan(x)] = 0.5     # (a few specials stay: NaN in a few slices)
    x.reshape(-1)[::997] = np.nan
    g = hc.data(dtype, x.size, seed=6).reshape(shape)
    with np.errstate(all="ignore"):
        y = rectifier.softmax(x, axis=axis)
        lse = rectifier.logsumexp(x, axis=axis, keepdims=True)
        for compute in (lambda: rectifier.softmax(x, axis=axis),
                        lambda: rectifier.log_softmax(x, axis=axis, include_zero=True),
                        lambda: rectifier.logsumexp(x, axis=axis),
                        lambda: rectifier.logsumexp_grad(x, lse, axis=axis),
                        lambda: rectifier.softmax_grad(y, g, axis=axis),
                        lambda: rectifier.log_softmax_grad(y, g, axis=axis),
                        lambda: rectifier.softmin(x, axis=axis),
                        lambda: rectifier.softmin_grad(y, g, axis=axis)):
            assert_same_for_every_count(compute)


@pytest.mark.parametrize("dtype", hc.DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("shape, axis", [((4001, 7), 0), ((7, 4001), 1), ((3, 5, 2003), None),
                                         ((301, 11, 13), (0, 2)), ((40003,), 0)])
def test_counters_same_for_any_thread_count(dtype, shape, axis, split_small):
    x = hc.data(dtype, int(np.prod(shape)), seed=8).reshape(shape)
    for compute in (lambda: rectifier.active_fraction(x, axis=axis),
                    lambda: rectifier.dead_units(x, axis=axis)):
        assert_same_for_every_count(compute)


@pytest.mark.parametrize("dtype", hc.DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("shape, axis", [((1001, 40), -1), ((5, 6, 4001), 1), ((40003,), 0)])
def test_epilogue_same_bits_for_any_thread_count(dtype, shape, axis, split_small):
    y = hc.data(dtype, int(np.prod(shape)), seed=9).reshape(shape)
    channels = shape[axis] if len(shape) > 1 else 1
    bias = np.linspace(-1, 1, channels).astype(dtype) if len(shape) > 1 else dtype.type(0.25)
    with np.errstate(all="ignore"):
        for act, params in (("relu", {}), ("gelu", {}), ("leaky_relu", {"negative_slope": 0.2}), (None, {})):
            assert_same_for_every_count(lambda: rectifier.bias_act(y, bias, act, axis=axis, **params))


@pytest.mark.parametrize("dtype", (np.float32, np.float64))
def test_linear_same_bits_for_any_thread_count(dtype, split_small):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3001, 17)).astype(dtype)
    w = rng.standard_normal((29, 17)).astype(dtype)
    b = rng.standard_normal(29).astype(dtype)
    assert_same_for_every_count(lambda: rectifier.linear(x, w, b, activation="silu"))
    assert_same_for_every_count(lambda: rectifier.linear(x, w, None, activation="relu"))


@pytest.mark.parametrize("dtype", hc.DTYPES, ids=lambda d: d.name)
def test_prelu_same_bits_for_any_thread_count(dtype, split_small):
    x = hc.data(dtype, 3 * 4 * 5003, seed=10).reshape(3, 4, 5003)   # channel blocks split
    w = np.array([0.25, -0.5, 0.0, 2.0], np.float64 if dtype == np.float64 else np.float32)
    with np.errstate(all="ignore"):
        assert_same_for_every_count(lambda: rectifier.prelu(x, w))
        assert_same_for_every_count(lambda: rectifier.prelu_grad(x, w, x))


@pytest.mark.parametrize("dtype", hc.DTYPES, ids=lambda d: d.name)
def test_random_functions_same_bits_for_any_thread_count(dtype, split_small):
    x = hc.data(dtype, N, seed=11).reshape(7, -1) if N % 7 == 0 else hc.data(dtype, N, seed=11)
    sigma = np.linspace(0, 2, x.size).reshape(x.shape)
    with np.errstate(all="ignore"):
        for compute in (lambda: rectifier.rrelu(x, training=True, seed=7, return_noise=True),
                        lambda: rectifier.noisy_relu(x, sigma=0.5, seed=2**63 + 5, return_noise=True),
                        lambda: rectifier.noisy_relu(x, sigma=sigma, seed=3),
                        lambda: rectifier.noisy_relu(x, sigma="sigmoid", seed=4)):
            assert_same_for_every_count(compute)
        # and equal to the call cut into kernel calls of an odd length on one thread
        rectifier.set_num_threads(3)
        pooled = rectifier.rrelu(x, training=True, seed=7)
        rectifier.set_num_threads(1)
        old = _core._set_random_block(77)
        try:
            blocked = rectifier.rrelu(x, training=True, seed=7)
        finally:
            _core._set_random_block(old)
    assert pooled.tobytes() == blocked.tobytes()


def test_small_calls_never_touch_the_pool():
    # below the size at which the GIL is released the kernel runs directly: the call overhead of
    # small arrays does not change with the pool
    old = _core._set_parallel_min(1)
    before = rectifier.set_num_threads(4)
    try:
        jobs = _core._pool_jobs()
        x = np.linspace(-1, 1, 8191).astype(np.float32)
        for f in (rectifier.relu, rectifier.gelu, rectifier.softmax, rectifier.sigmoid_grad):
            f(x)
        assert _core._pool_jobs() == jobs
        rectifier.gelu(np.linspace(-1, 1, 8192).astype(np.float32))
        assert _core._pool_jobs() == jobs + 1
    finally:
        _core._set_parallel_min(old)
        rectifier.set_num_threads(before)


def test_many_python_threads_share_the_pool(split_small):
    rectifier.set_num_threads(3)
    xs = [hc.data(np.dtype(np.float32), N, seed=s) for s in range(8)]
    rectifier.set_num_threads(1)
    with np.errstate(all="ignore"):
        expected = [(rectifier.gelu(x).tobytes(), rectifier.rrelu(x, training=True, seed=s).tobytes())
                    for s, x in enumerate(xs)]
    rectifier.set_num_threads(3)
    failures = []

    def work(i):
        with np.errstate(all="ignore"):
            for _ in range(30):
                got = (rectifier.gelu(xs[i]).tobytes(), rectifier.rrelu(xs[i], training=True, seed=i).tobytes())
                if got != expected[i]:
                    failures.append(i)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


# ---- the controls ------------------------------------------------------------------------------

def test_set_and_get_num_threads():
    before = rectifier.get_num_threads()
    try:
        assert rectifier.set_num_threads(3) == before
        assert rectifier.get_num_threads() == 3
        with rectifier.num_threads(1) as n:
            assert n == 1 and rectifier.get_num_threads() == 1
        assert rectifier.get_num_threads() == 3
        with pytest.raises(ZeroDivisionError):
            with rectifier.num_threads(2):
                1 / 0
        assert rectifier.get_num_threads() == 3
        assert rectifier.set_num_threads(np.int64(1024)) == 3
    finally:
        rectifier.set_num_threads(before)


@pytest.mark.parametrize("bad, error, words", [
    (0, ValueError, "[1, 1024], got 0"), (-1, ValueError, "got -1"), (1025, ValueError, "got 1025"),
    (2.0, TypeError, "got 2.0"), ("4", TypeError, "'4'"), (True, TypeError, "True"), (None, TypeError, "None")])
def test_bad_thread_counts(bad, error, words):
    before = rectifier.get_num_threads()
    with pytest.raises(error, match="set_num_threads: n must be") as info:
        rectifier.set_num_threads(bad)
    assert words in str(info.value)
    with pytest.raises(error, match="num_threads: n must be") as info:
        with rectifier.num_threads(bad):
            pass
    assert words in str(info.value)
    assert rectifier.get_num_threads() == before


def run_python(code, env=None, timeout=120):
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join(p for p in [os.path.dirname(os.path.dirname(rectifier.__file__)),
                                                        full_env.get("PYTHONPATH", "")] if p)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=full_env, timeout=timeout)


def test_default_is_every_available_cpu():
    r = run_python("""
        import rectifier
        from rectifier import _threads
        print(rectifier.get_num_threads(), _threads.available_cpus())
    """, env={"RECTIFIER_NUM_THREADS": "", "OMP_NUM_THREADS": ""})
    assert r.returncode == 0, r.stderr
    got, cpus = map(int, r.stdout.split())
    assert got == cpus >= 1
    assert "Warning" not in r.stderr


@pytest.mark.parametrize("omp, rect, expected", [("1", "", 1), ("1", "2", 2), ("abc", "", None),
                                                 ("0", "", None), ("100000", "", None)])
def test_omp_num_threads_is_the_fallback(omp, rect, expected):
    # dask's worker processes and joblib's workers set OMP_NUM_THREADS=1 to share the cores out
    r = run_python("""
        import rectifier
        from rectifier import _threads
        print(rectifier.get_num_threads(), _threads.available_cpus())
    """, env={"RECTIFIER_NUM_THREADS": rect, "OMP_NUM_THREADS": omp})
    assert r.returncode == 0, r.stderr
    got, cpus = map(int, r.stdout.split())
    assert got == (min(expected, cpus) if expected else cpus)
    assert "Warning" not in r.stderr


@pytest.mark.parametrize("value, warns", [("1", False), ("2", False), ("0", True), ("-1", True),
                                          ("abc", True), ("1000000", True), ("2.5", True)])
def test_environment_variable(value, warns):
    r = run_python("""
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import rectifier
        from rectifier import _threads
        for w in caught:
            print("WARNING", w.category.__name__, w.message)
        print(rectifier.get_num_threads(), _threads.available_cpus())
    """, env={"RECTIFIER_NUM_THREADS": value, "OMP_NUM_THREADS": ""})
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    got, cpus = map(int, lines[-1].split())
    warnings_seen = [line for line in lines if line.startswith("WARNING")]
    if warns:
        assert len(warnings_seen) == 1, r.stdout
        assert "RuntimeWarning" in warnings_seen[0] and "RECTIFIER_NUM_THREADS" in warnings_seen[0]
        assert repr(value) in warnings_seen[0] and f"using {cpus} threads" in warnings_seen[0]
        assert got == cpus
    else:
        assert not warnings_seen
        assert got == min(int(value), cpus)


def test_threadpoolctl_limits_rectifier(split_small):
    threadpoolctl = require_module("threadpoolctl")
    rectifier.set_num_threads(4)
    info = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "rectifier"]
    assert len(info) == 1 and info[0]["num_threads"] == 4, threadpoolctl.threadpool_info()
    assert os.path.basename(info[0]["filepath"]).startswith("_core")
    x = np.linspace(-3, 3, N).astype(np.float32)
    with threadpoolctl.threadpool_limits(1):
        assert rectifier.get_num_threads() == 1
        jobs = _core._pool_jobs()
        limited = rectifier.gelu(x)
        assert _core._pool_jobs() == jobs, "threadpool_limits(1): the call still used the pool"
    assert rectifier.get_num_threads() == 4
    jobs = _core._pool_jobs()
    assert rectifier.gelu(x).tobytes() == limited.tobytes()
    assert _core._pool_jobs() == jobs + 1
    with threadpoolctl.threadpool_limits(2, user_api="rectifier"):
        assert rectifier.get_num_threads() == 2
    assert rectifier.get_num_threads() == 4


# ---- the faults a pool brings ------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")
def test_fork_after_the_pool_started():
    r = run_python("""
        import os, sys
        import numpy as np
        import rectifier
        from rectifier import _core
        rectifier.set_num_threads(4)
        _core._set_parallel_min(1000)
        x = np.linspace(-5, 5, 200_001).astype(np.float32)
        expected = rectifier.gelu(x).tobytes()
        noisy = rectifier.noisy_relu(x, seed=3).tobytes()
        jobs = _core._pool_jobs()
        assert jobs >= 2, jobs                   # the pool's workers are running
        import threading
        stop = threading.Event()

        def busy():                               # calls in flight on the pool during the forks
            while not stop.is_set():
                rectifier.sigmoid(x)
        other = threading.Thread(target=busy)
        other.start()
        status = []
        for _ in range(6):
            pid = os.fork()
            if pid == 0:                          # the child: no workers until it needs them
                at_fork = _core._pool_jobs()
                ok = rectifier.gelu(x).tobytes() == expected
                ok = ok and rectifier.noisy_relu(x, seed=3).tobytes() == noisy
                ok = ok and _core._pool_jobs() == at_fork + 2   # it split its own calls
                os._exit(0 if ok else 3)
            status.append(os.waitpid(pid, 0)[1])
        stop.set()
        other.join()
        assert rectifier.gelu(x).tobytes() == expected     # the parent's pool still works
        print(status)
        sys.exit(0 if status == [0] * 6 else 1)
    """, timeout=120)
    assert r.returncode == 0, (r.stdout, r.stderr)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")
def test_forking_multiprocessing_pool():
    r = run_python("""
        import multiprocessing as mp, sys
        import numpy as np
        import rectifier
        from rectifier import _core
        rectifier.set_num_threads(2)
        _core._set_parallel_min(1000)
        x = np.linspace(-5, 5, 100_003)
        expected = rectifier.softplus(x).tobytes()

        def child(i):
            return rectifier.softplus(x).tobytes() == expected

        with mp.get_context("fork").Pool(3) as pool:
            results = pool.map(child, range(6))
        sys.exit(0 if all(results) else 1)
    """, timeout=120)
    assert r.returncode == 0, (r.stdout, r.stderr)


@pytest.mark.parametrize("daemon", [True, False])
def test_exit_with_calls_in_flight(daemon):
    # daemon threads are still calling when the interpreter finalizes; non-daemon threads are
    # joined by it while their calls run on the pool
    r = run_python(f"""
        import threading, time
        import numpy as np
        import rectifier
        from rectifier import _core
        rectifier.set_num_threads(4)
        _core._set_parallel_min(1000)
        x = np.linspace(-5, 5, 300_001).astype(np.float32)
        stop = time.monotonic() + 0.5

        def loop(i):
            while {daemon} or time.monotonic() < stop:
                rectifier.gelu(x)
                rectifier.softmax(x.reshape(-1, 3))
                rectifier.rrelu(x, training=True, seed=i)

        for i in range(6):
            threading.Thread(target=loop, args=(i,), daemon={daemon}).start()
        time.sleep(0.3)
        print("exiting")
    """, timeout=120)
    assert r.returncode == 0, (r.returncode, r.stderr)
    assert r.stdout.strip() == "exiting"


@pytest.mark.parametrize("dtype", hc.DTYPES, ids=lambda d: d.name)
def test_ufunc_loop_same_bits_for_any_thread_count(dtype, split_small):
    # strided data, per-element parameters and the ufuncs themselves go through the ufunc loop,
    # which the pool splits too
    x = hc.data(dtype, 2 * N, seed=12)
    lo = np.linspace(-2, 0, N)
    with np.errstate(all="ignore"):
        for compute in (lambda: rectifier.gelu(x[::2]),
                        lambda: rectifier.hardtanh(x[1::2], lo, 1.0),
                        lambda: rectifier.ufuncs.elu(x, 0.5),
                        lambda: rectifier.ufuncs.sigmoid_grad(x, x)):
            assert_same_for_every_count(compute)
        # an accumulate aliases its output with its input: kept in order (not split), same bits
        rectifier.set_num_threads(1)
        expected = rectifier.ufuncs.relu6_grad.accumulate(x[:N]).tobytes()
        rectifier.set_num_threads(4)
        assert rectifier.ufuncs.relu6_grad.accumulate(x[:N]).tobytes() == expected
