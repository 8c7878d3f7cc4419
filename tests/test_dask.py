"""dask arrays through every public function: the result is a dask array (or a tuple of them),
nothing is computed until asked, and the computed result is the NumPy call's:

- bit for bit for every function whose blocks see whole slices (the elementwise functions, the
  softmax family once the reduced axes are one chunk, logsumexp on one chunk along its axes, the
  counters, prelu_grad's grad_x), and for rrelu and noisy_relu for ANY chunking (each block draws
  with its elements' global counters);
- within a few ULP where dask sums in another order: logsumexp over a chunked axis (a tree of
  partial log-sum-exps) and prelu_grad's weight gradient (dask's sum of per-block sums).
"""
import numpy as np
import pytest

import hardening_cases as hc
import rectifier
from conftest import require_module

da = require_module("dask.array")
dask = require_module("dask")

N = 1001
CHUNK = 97

# rows whose computed result may differ from NumPy's in the last bits, and which output
REORDERED = {"logsumexp": (0,), "logsumexp:include_zero": (0,), "prelu_grad": (1,)}


def forbid_compute(*args, **kwargs):
    raise AssertionError("a dask graph was computed before .compute()")


def as_tuple(r):
    return r if isinstance(r, tuple) else (r,)


def assert_ulps(got, expected, ulps):
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    finite = np.isfinite(expected)
    assert (np.isnan(got) == np.isnan(expected)).all()
    assert (got[~finite & ~np.isnan(expected)] == expected[~finite & ~np.isnan(expected)]).all()
    spacing = np.spacing(np.abs(expected[finite]).astype(expected.dtype))
    assert (np.abs(got[finite].astype(np.float64) - expected[finite]) <= ulps * spacing).all()


@pytest.mark.parametrize("row", hc.rows(), ids=lambda r: r.name)
@pytest.mark.parametrize("dtype", hc.DTYPES, ids=lambda d: d.name)
def test_every_function_is_lazy_and_gives_the_numpy_result(row, dtype):
    ops = hc.operands(row, hc.data(dtype, N, seed=2))
    with np.errstate(all="ignore"):
        expected = as_tuple(hc.call(row, ops))
        lazy_ops = dict(ops, x=da.from_array(ops["x"], chunks=CHUNK))
        with dask.config.set(scheduler=forbid_compute):
            lazy = as_tuple(hc.call(row, lazy_ops))
        assert all(isinstance(r, da.Array) for r in lazy), [type(r) for r in lazy]
        got = dask.compute(*lazy, scheduler="sync")
    assert len(got) == len(expected)
    for k, (g, e) in enumerate(zip(got, expected)):
        g, e = np.asarray(g), np.asarray(e)
        if k in REORDERED.get(row.name, ()):
            assert_ulps(g, e, 4)
        else:
            assert g.dtype == e.dtype and g.shape == e.shape
            assert g.tobytes() == e.tobytes(), row.name


CHUNKINGS = [(5, 7, 11), (1, 1, 1), ((3, 2, 1, 4), 7, (1, 12)), (10, 14, 13), (-1, -1, 2), (10, 1, 13)]


@pytest.mark.parametrize("chunks", CHUNKINGS, ids=str)
@pytest.mark.parametrize("dtype", hc.DTYPES, ids=lambda d: d.name)
def test_random_functions_same_bits_for_any_chunking(chunks, dtype):
    x = hc.data(dtype, 10 * 14 * 13, seed=5).reshape(10, 14, 13)
    d = da.from_array(x, chunks=chunks)
    sigma = np.linspace(0, 2, 13)
    with np.errstate(all="ignore"):
        cases = [
            (lambda a: rectifier.rrelu(a, seed=7, training=True)),
            (lambda a: rectifier.rrelu(a, 0.0, 0.9, seed=2**64 - 1, training=True, return_noise=True)),
            (lambda a: rectifier.noisy_relu(a, seed=11, return_noise=True)),
            (lambda a: rectifier.noisy_relu(a, sigma=sigma, seed=12)),
            (lambda a: rectifier.noisy_relu(a, sigma="sigmoid", seed=13, return_noise=True)),
        ]
        for case in cases:
            expected = as_tuple(case(x))
            got = dask.compute(*as_tuple(case(d)), scheduler="sync")
            for g, e in zip(got, expected):
                assert g.tobytes() == e.tobytes()


def test_rrelu_on_the_threaded_scheduler_with_a_generator_seed():
    x = np.linspace(-3, 3, 200_000).astype(np.float32).reshape(400, 500)
    lazy = rectifier.rrelu(da.from_array(x, chunks=(33, 170)), seed=np.random.default_rng(3), training=True)
    expected = rectifier.rrelu(x, seed=np.random.default_rng(3), training=True)
    assert lazy.compute(scheduler="threads").tobytes() == expected.tobytes()


def test_noisy_relu_broadcasts_x_against_sigma():
    x = np.linspace(-1, 1, 13)
    sigma = np.linspace(0, 1, 6 * 13).reshape(6, 13)
    expected = rectifier.noisy_relu(x, sigma=sigma, seed=3)
    got = rectifier.noisy_relu(da.from_array(x, chunks=4), sigma=sigma, seed=3)
    assert got.shape == (6, 13)
    assert got.compute().tobytes() == expected.tobytes()


@pytest.mark.parametrize("axis, chunks", [(-1, (7, 13)), (0, (7, 13)), ((0, 1), (7, 13)), (1, (7, -1)),
                                          (None, (60, 50))])
def test_reductions_chunked_along_the_axis(axis, chunks):
    x = np.random.default_rng(0).standard_normal((60, 50)).astype(np.float32) * 30
    d = da.from_array(x, chunks=chunks)
    with dask.config.set(scheduler=forbid_compute):
        lazy = [rectifier.softmax(d, axis=axis), rectifier.log_softmax(d, axis=axis, include_zero=True),
                rectifier.logsumexp(d, axis=axis), rectifier.logsumexp(d, axis=axis, keepdims=True),
                rectifier.softmax_grad(d, d, axis=axis), rectifier.logsumexp_grad(d, axis=axis)]
    got = dask.compute(*lazy)
    expected = [rectifier.softmax(x, axis=axis), rectifier.log_softmax(x, axis=axis, include_zero=True),
                rectifier.logsumexp(x, axis=axis), rectifier.logsumexp(x, axis=axis, keepdims=True),
                rectifier.softmax_grad(x, x, axis=axis), rectifier.logsumexp_grad(x, axis=axis)]
    for k, (g, e) in enumerate(zip(got, expected)):
        if k in (2, 3):   # logsumexp: a tree over the axis' chunks
            assert_ulps(g, np.asarray(e), 2)
        else:
            assert np.asarray(g).tobytes() == np.asarray(e).tobytes()


def test_logsumexp_tree_keeps_the_specials():
    x = np.array([[0.0, -np.inf, -np.inf, -np.inf], [np.nan, 1, 2, 3], [np.inf, 0, 0, 0],
                  [-np.inf] * 4, [1e30, 1e30, -1e30, 1e30]], np.float32)
    d = da.from_array(x, chunks=(2, 1))
    for include_zero in (False, True):
        got = rectifier.logsumexp(d, axis=1, include_zero=include_zero, return_sign=True)
        expected = rectifier.logsumexp(x, axis=1, include_zero=include_zero, return_sign=True)
        for g, e in zip(dask.compute(*got), expected):
            assert_ulps(g, e, 2)


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2)])
def test_counters(axis):
    x = hc.data(np.dtype(np.float32), 30 * 20 * 7, seed=4).reshape(30, 20, 7) - 1
    d = da.from_array(x, chunks=(4, 9, 3))
    for f in (rectifier.active_fraction, rectifier.dead_units):
        lazy = f(d, axis=axis)
        assert isinstance(lazy, da.Array)
        assert np.asarray(lazy.compute()).tobytes() == np.asarray(f(x, axis=axis)).tobytes()


def test_prelu_grad_channels_chunked():
    x = hc.data(np.dtype(np.float64), 6 * 10 * 5, seed=6).reshape(6, 10, 5)
    w = np.linspace(-1, 1, 10)
    g = np.linspace(-2, 3, x.size).reshape(x.shape)
    with np.errstate(over="ignore"):   # the data's extremes overflow some weight-gradient sums
        gx, gw = rectifier.prelu_grad(da.from_array(x, chunks=(2, 3, 5)), w, g)
        ex, ew = rectifier.prelu_grad(x, w, g)
        got_x, got_w = gx.compute(), gw.compute()
    assert got_x.tobytes() == ex.tobytes()
    assert_ulps(got_w, ew, 8)


def test_linear_by_blocks_of_rows():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((300, 40)).astype(np.float32)
    w = rng.standard_normal((16, 40)).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    lazy = rectifier.linear(da.from_array(x, chunks=(50, 15)), w, b, activation="leaky_relu", negative_slope=0.1)
    assert isinstance(lazy, da.Array) and lazy.shape == (300, 16)
    got = lazy.compute()
    # each block of rows is one matmul (BLAS may round a smaller product differently)
    blocks = np.concatenate([rectifier.linear(x[i:i + 50], w, b, activation="leaky_relu", negative_slope=0.1)
                             for i in range(0, 300, 50)])
    assert got.tobytes() == blocks.tobytes()
    with pytest.raises(ValueError, match="linear: unknown activation 'nope'"):
        rectifier.linear(da.from_array(x), w, b, activation="nope")


@pytest.mark.parametrize("call", [
    lambda d: rectifier.softmax(d, out=np.empty(d.shape, d.dtype)),
    lambda d: rectifier.rrelu(d, training=True, seed=1, out=np.empty(d.shape, d.dtype)),
    lambda d: rectifier.noisy_relu(d, seed=1, out=np.empty(d.shape, d.dtype)),
    lambda d: rectifier.logsumexp_grad(d, out=np.empty(d.shape, d.dtype)),
])
def test_out_is_refused_for_dask(call):
    with pytest.raises(TypeError, match="out= is not supported for a dask array"):
        call(da.ones((4, 5), chunks=2))


def test_errors_are_the_numpy_errors():
    d = da.ones((4, 5), chunks=2)
    with pytest.raises(np.exceptions.AxisError, match="softmax: axis 2 is out of bounds"):
        rectifier.softmax(d, axis=2)
    with pytest.raises(TypeError, match="logsumexp: x has unsupported dtype"):
        rectifier.logsumexp(da.ones(3, dtype=complex))
    with pytest.raises(np.exceptions.AxisError, match="active_fraction: axis 3"):
        rectifier.active_fraction(d, axis=3)
    with pytest.raises(ValueError, match="rrelu: lower must be <= upper"):
        rectifier.rrelu(d, 0.5, 0.1, training=True)
    with pytest.raises(ValueError, match="prelu_grad: weight has 3 values"):
        rectifier.prelu_grad(d, np.ones(3))


def test_distributed_example_runs():
    # examples/distributed_mlp.py on a small batch: a LocalCluster of two worker processes
    require_module("distributed")
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ)
    package_dir = os.path.dirname(os.path.dirname(rectifier.__file__))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_dir, env.get("PYTHONPATH", "")) if p)
    r = subprocess.run([sys.executable, os.path.join(root, "examples", "distributed_mlp.py"),
                        "--rows", "3000", "--chunk", "400", "--hidden", "64"],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, (r.stdout, r.stderr[-3000:])
    assert "on 2 worker processes" in r.stdout
    assert "cluster == this process on the same blocks, bit for bit: True" in r.stdout
