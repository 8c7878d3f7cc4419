"""Threads, beyond tests/test_api.py (which runs six kinds of call from a pool of 8 and proves that
relu releases the GIL):

- every public function and every ufunc, 8 threads started together, 1000 mixed calls each, on
  shared read-only inputs (some above the size at which the GIL is released, some below, some
  strided so they take the ufunc loop) and private outputs: bit for bit the serial results;
- every public function releases the GIL while its kernel runs on a large array.
"""
import sys
import threading
import time

import numpy as np
import pytest

import hardening_cases as hc
import rectifier
import rectifier.ufuncs

THREADS = 8
CALLS = 1000
SIZES = (7, 300, 9000, 40000)   # rectifier releases the GIL from 8192 elements


def bits(a):
    return a.view(f"u{a.dtype.itemsize}")


def build_jobs():
    """Job list: (label, fn(out) -> result array(s)); fn writes into `out` when given one."""
    rng = np.random.default_rng(11)
    jobs = []
    for row in hc.rows():
        for dtype in hc.DTYPES:
            for n in SIZES:
                ops = hc.operands(row, hc.data(dtype, n, seed=int(rng.integers(1 << 20))))
                for k in ops:
                    ops[k].flags.writeable = False      # shared, read-only
                strided = {k: (v[..., ::-1] if v.shape == ops["x"].shape else v) for k, v in ops.items()}

                def fn(out, row=row, ops=ops):
                    with np.errstate(all="ignore"):
                        return hc.call(row, ops, out=out) if row.has_out else hc.call(row, ops)

                def fn_strided(out, row=row, ops=strided):
                    with np.errstate(all="ignore"):
                        return hc.call(row, ops, out=None if out is None else out[..., ::-1]) if row.has_out \
                            else hc.call(row, ops)
                shape = ops["x"].shape
                jobs.append((f"{row.name} {dtype.name} {n}", fn, shape, dtype, row.has_out))
                jobs.append((f"{row.name} {dtype.name} {n} strided", fn_strided, shape, dtype, row.has_out))
    for name in hc.ufunc_names():
        uf = getattr(rectifier.ufuncs, name)
        for dtype in hc.DTYPES:
            for n in (300, 40000):
                ins = hc.ufunc_operand_values(name, dtype, n)
                for a in ins:
                    a.flags.writeable = False

                def fn(out, uf=uf, ins=ins):
                    with np.errstate(all="ignore"):
                        return uf(*ins)
                jobs.append((f"ufunc {name} {dtype.name} {n}", fn, None, dtype, False))
    return jobs


def run(job, out):
    label, fn, shape, dtype, has_out = job
    r = fn(out)
    return tuple(np.array(a, copy=True) for a in (r if isinstance(r, tuple) else (r,)))


def test_eight_threads_give_the_serial_results_bit_for_bit():
    jobs = build_jobs()
    serial = [run(job, None) for job in jobs]
    rng = np.random.default_rng(5)
    plans = [rng.integers(0, len(jobs), CALLS) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    results = [None] * THREADS
    errors = []

    def worker(t):
        try:
            # private outputs, reused across calls
            outs = {}
            got = []
            barrier.wait()
            for j in plans[t]:
                label, fn, shape, dtype, has_out = jobs[j]
                out = None
                if has_out and j % 2 == 0:
                    out = outs.setdefault(j, np.empty(shape, dtype))
                got.append((j, run(jobs[j], out)))
            results[t] = got
        except BaseException as e:  # reported below
            errors.append((t, repr(e)))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    mismatches = []
    for t in range(THREADS):
        assert len(results[t]) == CALLS
        for j, got in results[t]:
            want = serial[j]
            if len(got) != len(want) or any(g.shape != w.shape or not np.array_equal(bits(g), bits(w))
                                             for g, w in zip(got, want)):
                mismatches.append((t, jobs[j][0]))
    assert not mismatches, f"{len(mismatches)} of {THREADS * CALLS} calls differ from serial: {mismatches[:10]}"


def progress_while(fn, counter):
    before = counter[0]
    fn()
    return counter[0] - before


@pytest.mark.parametrize("row", hc.rows(), ids=lambda r: r.name)
def test_every_function_releases_the_gil(row):
    """A second thread counts, sleeping 0.1 ms between counts (so it never keeps the GIL from us),
    under a switch interval of 10 s (so the interpreter never takes the GIL away from a thread that
    holds it): the counter can only move while this thread has released the GIL. Control: during
    5 ms of pure Python it must not move; during the kernel (scalar path, 2^22 elements) it must."""
    ops = hc.operands(row, np.linspace(-3, 3, 1 << 22, dtype=np.float32))
    counter = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            counter[0] += 1
            time.sleep(1e-4)

    old = sys.getswitchinterval()
    before_caps = rectifier.capabilities()["enabled"]
    t = threading.Thread(target=count)
    try:
        rectifier.set_capabilities(["scalar"])
        sys.setswitchinterval(10.0)
        t.start()
        while counter[0] < 3:
            time.sleep(1e-3)
        deadline = time.perf_counter() + 0.005
        during_python = progress_while(lambda: [None for _ in iter(lambda: time.perf_counter() < deadline, False)],
                                       counter)
        # the counter needs the OS to wake it within the kernel's few milliseconds, which a loaded
        # machine may not do every time: up to 20 calls, stopping at the first with progress (a
        # kernel that held the GIL would show none in any number of calls)
        during_kernel, calls = 0, 0
        start = time.perf_counter()
        while during_kernel == 0 and calls < 20:
            with np.errstate(all="ignore"):
                during_kernel = progress_while(lambda: hc.call(row, ops), counter)
            calls += 1
        kernel_time = (time.perf_counter() - start) / calls
    finally:
        stop.set()
        sys.setswitchinterval(old)
        t.join()
        rectifier.set_capabilities(before_caps)
    assert during_python == 0, "control: the counter moved while Python code held the GIL"
    assert during_kernel > 0, f"{row.name}: no other thread ran during {calls} calls of {kernel_time * 1e3:.0f} ms"
