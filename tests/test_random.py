"""rrelu, noisy_relu and their derivatives (SPEC 2.1, 2.3, 3 "randomness"), on every CPU path of
this machine (the `cpu_path` fixture; NEON: tests/test_random_neon.py).

The oracle is tests/random_reference.py, written from the published Philox4x32-10 algorithm and
the element-to-word mapping of src/kernels/random.h: rrelu must match it bit for bit, noisy_relu's
variates within a few ULPs of Box-Muller in extended precision. Then: the Random123 known-answer
vectors; the same bits across paths, layouts, chunkings and threads; statistics with fixed seeds
(Kolmogorov-Smirnov, chi-square, moments, correlation of neighbours, with thresholds that a correct
generator passes with overwhelming probability: p > 1e-6 or |z| < 6); gradients; errors.
"""
import concurrent.futures

import numpy as np
import pytest
from scipy import stats

import random_reference as rr
import reference
import rectifier
from conftest import DTYPES, assert_same_bits
from rectifier import _core

KEY = 0x0123456789ABCDEF


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def mixed(dtype, n, seed=0):
    """Specials (NaN, +-inf, +-0, subnormals, extremes) then normal values, both signs."""
    dtype = np.dtype(dtype)
    info = np.finfo(dtype)
    specials = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, info.smallest_subnormal,
                         -info.smallest_subnormal, info.max, -info.max, 1.0, -1.0, -2.5], dtype)
    x = (np.random.default_rng(seed).standard_normal(n) * 3).astype(dtype)
    k = min(n, specials.size)
    x[:k] = specials[:k]
    return x


# ---- the generator itself --------------------------------------------------------------------

def test_reference_philox_matches_the_published_known_answers():
    for counter, key, want in rr.KNOWN_ANSWERS:
        assert rr.philox4x32_10(counter, key) == want


@pytest.mark.parametrize("case", range(len(rr.KNOWN_ANSWERS)))
def test_kernel_philox_matches_the_published_known_answers(cpu_path, case):
    """The kernels' Philox (rect_philox4x32_10_groups on this path) at the KAT counters: counter
    index c = c0 + 2^32 c1 is word c % 8 of group c // 8."""
    (c0, c1, c2, c3), (k0, k1), want = rr.KNOWN_ANSWERS[case]
    index, key = c0 | c1 << 32, k0 | k1 << 32
    words = _core._philox4x32_10_groups(1, index // 8, c2, c3, key)
    assert tuple(int(words[8 * k + index % 8]) for k in range(4)) == want


@pytest.mark.parametrize("count", [1, 2, 5])
@pytest.mark.parametrize("first_group", [0, 5, 2**29 - 1, 2**32 - 1, 2**61 - 2])
def test_kernel_philox_groups_match_the_reference(cpu_path, first_group, count):
    """count groups in one call: one, a pair, and a batch of four plus one (on 16 lanes a vector
    spans two groups, and at 2**29 - 1 and 2**32 - 1 its counters' low words wrap)."""
    for key in (0, 1, KEY, 2**64 - 1):
        for stream in (rr.STREAM_RRELU, rr.STREAM_NOISY_RELU):
            got = _core._philox4x32_10_groups(count, first_group, stream, 0, key).reshape(count, 32)
            want = rr.group_words(key, stream, [first_group + g for g in range(count)])
            np.testing.assert_array_equal(got, want)


# ---- the kernels against the reference --------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 31, 32, 33, 47, 100, 1000])
def test_rrelu_matches_the_reference_bit_for_bit(cpu_path, dtype, n):
    x = mixed(dtype, n, seed=n)
    for lower, upper in ((1 / 8, 1 / 3), (0.0, 0.0), (0.0, 1.0), (0.25, 0.25), (2.0, 3.0)):
        with np.errstate(all="ignore"):
            y, noise = rectifier.rrelu(x, lower, upper, training=True, seed=KEY, return_noise=True)
            want_y, want_noise = rr.rrelu_expected(x, lower, upper, KEY)
        assert_same_bits(y, want_y)
        assert_same_bits(noise, want_noise)
        assert same_bits(y[~np.isnan(y)], want_y[~np.isnan(want_y)])
        # y is x times the returned multiplier, exactly (float32/float64; float16 stores the slope
        # rounded), NaN staying NaN with multiplier 1; a zero slope gives +0 (leaky_relu's rule)
        if dtype != np.float16:
            sloped = noise != 0
            with np.errstate(all="ignore"):
                assert_same_bits(y[sloped], (x * noise)[sloped])
            assert np.all((y[~sloped] == 0) & ~np.signbit(y[~sloped]))


def test_rrelu_slopes_lie_in_the_interval(cpu_path, dtype):
    x = -np.ones(20000, dtype)
    for lower, upper in ((1 / 8, 1 / 3), (0.1, 0.1 + 1e-7), (1e-3, 5.0)):
        _, a = rectifier.rrelu(x, lower, upper, training=True, seed=3, return_noise=True)
        ct = rr.compute_dtype(dtype)
        lo, hi = dtype.type(ct.type(lower)), dtype.type(ct.type(upper))
        assert a.min() >= lo and a.max() <= hi


NOISY_BOUND_ULP = 4.0   # measured worst over 2e6 variates: 3.3 ULP (float32), 3.0 ULP (float64)


@pytest.mark.parametrize("n", [1, 9, 16, 17, 33, 5000])
def test_noisy_relu_variates_match_box_muller(cpu_path, dtype, n):
    """noise / sigma within NOISY_BOUND_ULP of r cos(theta) (or sin) in extended precision for the
    same uniforms; float16 within one float16 ULP of that value rounded once."""
    x = np.full(n, 0.5, dtype)
    _, noise = rectifier.noisy_relu(x, 1.0, seed=KEY, return_noise=True)
    ref = rr.normal_variates(KEY, n, dtype)
    if dtype == np.float16:
        rounded = ref.astype(np.float32).astype(np.float16)
        assert np.all(np.abs(noise.astype(np.float64) - rounded.astype(np.float64))
                      <= np.spacing(np.abs(rounded)).astype(np.float64))
        return
    ulp = np.spacing(np.abs(ref.astype(dtype))).astype(np.longdouble)
    err = np.abs(noise.astype(np.longdouble) - ref) / ulp
    worst = int(np.argmax(err))
    assert err[worst] <= NOISY_BOUND_ULP, (worst, noise[worst], ref[worst], float(err[worst]))


def relu_of_sum(x, noise):
    """relu(x + noise) in the compute type, stored in x's dtype (reference.py's relu)."""
    ct = rr.compute_dtype(x.dtype)
    with np.errstate(all="ignore"):
        total = x.astype(ct) + noise.astype(ct)
    return reference.relu(total).astype(ct).astype(x.dtype)


@pytest.mark.parametrize("sigma", [1.0, 0.0, 2.5, "sigmoid", "array"])
def test_noisy_relu_is_relu_of_x_plus_its_noise(cpu_path, dtype, sigma):
    x = mixed(dtype, 1000, seed=4)
    if sigma == "array":
        sigma = np.linspace(0, 3, x.size)
    with np.errstate(all="ignore"):
        y, noise = rectifier.noisy_relu(x, sigma, seed=9, return_noise=True)
    assert_same_bits(y, relu_of_sum(x, noise))
    assert np.isfinite(noise[~np.isnan(x)]).all()
    if isinstance(sigma, float) and sigma == 0.0:
        assert np.all(noise == 0)
    if isinstance(sigma, np.ndarray):
        z = rr.normal_variates(9, x.size, dtype)
        ct = rr.compute_dtype(dtype)
        want = (sigma.astype(ct) * z.astype(ct)).astype(dtype)
        assert np.allclose(noise.astype(float), want.astype(float), rtol=2e-3 if dtype == np.float16 else 1e-6,
                           atol=0)
    if isinstance(sigma, str):
        ok = np.isfinite(x)
        s = np.sqrt(reference.sigmoid(x[ok].astype(np.float64)))
        z = rr.normal_variates(9, x.size, dtype)[ok].astype(np.float64)
        assert np.allclose(noise[ok].astype(float), s * z, rtol=2e-3 if dtype == np.float16 else 1e-6, atol=1e-300)


# ---- the same bits everywhere ------------------------------------------------------------------

def both(fn):
    """fn() on every CPU path of this machine; asserts they agree bit for bit, returns the result."""
    results = []
    before = rectifier.capabilities()["enabled"]
    try:
        for path in rectifier.capabilities()["detected"]:
            rectifier.set_capabilities([path])
            results.append(fn())
    finally:
        rectifier.set_capabilities(before)
    for r in results[1:]:
        for a, b in zip(r, results[0]):
            assert same_bits(a, b)
    return results[0]


CALLS = {
    "rrelu": lambda x, **k: rectifier.rrelu(x, 0.1, 0.4, training=True, return_noise=True, **k),
    "noisy": lambda x, **k: rectifier.noisy_relu(x, 0.7, return_noise=True, **k),
    "noisy-sigmoid": lambda x, **k: rectifier.noisy_relu(x, "sigmoid", return_noise=True, **k),
    "noisy-array": lambda x, **k: rectifier.noisy_relu(x, np.linspace(0.1, 2, x.shape[-1]) if x.ndim else 0.5,
                                                       return_noise=True, **k),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_every_path_gives_the_same_bits(name, dtype):
    x = mixed(dtype, 4099, seed=2)
    with np.errstate(all="ignore"):
        both(lambda: CALLS[name](x, seed=KEY))


def layouts(base):
    """Views of the same logical values: (label, array)."""
    out = [("C", base)]
    out.append(("F", np.asfortranarray(base)))
    big = np.zeros((base.shape[0], 2 * base.shape[1]), base.dtype)
    big[:, ::2] = base
    out.append(("strided", big[:, ::2]))
    rev = base[::-1, ::-1].copy()
    out.append(("negative strides", rev[::-1, ::-1]))
    out.append(("byte-swapped", base.astype(base.dtype.newbyteorder())))
    ro = base.copy()
    ro.flags.writeable = False
    out.append(("read-only", ro))
    return out


@pytest.mark.parametrize("name", list(CALLS))
def test_layout_and_out_do_not_change_the_bits(cpu_path, name, dtype):
    base = mixed(dtype, 37 * 19, seed=5).reshape(37, 19)
    with np.errstate(all="ignore"):
        want_y, want_noise = CALLS[name](base, seed=KEY)
        for label, x in layouts(base):
            y, noise = CALLS[name](x, seed=KEY)
            assert same_bits(y, want_y) and same_bits(noise, want_noise), label
        for label, out in (("C", np.empty_like(base)), ("F", np.empty_like(base, order="F")),
                           ("strided", np.empty((37, 38), dtype)[:, ::2])):
            y, noise = CALLS[name](base, seed=KEY, out=out)
            assert y is out and same_bits(np.ascontiguousarray(y), want_y), label
        inplace = base.copy()
        y, _ = CALLS[name](inplace, seed=KEY, out=inplace)
        assert y is inplace and same_bits(y, want_y)
        # out overlapping x partly: the result of copies
        buf = np.concatenate([base.reshape(-1), np.zeros(3, dtype)])
        x_view, out_view = buf[:base.size].reshape(base.shape), buf[3:3 + base.size].reshape(base.shape)
        y, _ = CALLS[name](x_view, seed=KEY, out=out_view)
        assert same_bits(np.ascontiguousarray(y), want_y)


@pytest.mark.parametrize("name", list(CALLS))
def test_chunking_does_not_change_the_bits(cpu_path, name):
    """The wrapper cuts the work into kernel calls of _set_random_block elements, each starting at
    its logical index: any block size gives the same bits."""
    x = mixed(np.float32, 3001, seed=6)
    with np.errstate(all="ignore"):
        want = CALLS[name](x, seed=KEY)
        old = _core._set_random_block(1 << 16)
        try:
            for block in (1, 3, 8, 31, 32, 33, 1000):
                _core._set_random_block(block)
                got = CALLS[name](x, seed=KEY)
                assert same_bits(got[0], want[0]) and same_bits(got[1], want[1]), block
        finally:
            _core._set_random_block(old)


def test_every_thread_gets_the_same_bits():
    x = mixed(np.float32, 50000, seed=7)
    with np.errstate(all="ignore"):
        want = [CALLS[name](x, seed=KEY) for name in CALLS]

        def job(k):
            name = list(CALLS)[k % len(CALLS)]
            return k % len(CALLS), CALLS[name](x, seed=KEY)

        for threads in (2, 8):
            with concurrent.futures.ThreadPoolExecutor(threads) as pool:
                for k, got in pool.map(job, range(4 * threads)):
                    assert same_bits(got[0], want[k][0]) and same_bits(got[1], want[k][1])


def test_zero_d_and_empty(dtype):
    with np.errstate(all="ignore"):
        for name, call in CALLS.items():
            y, noise = call(np.array(-1.5, dtype), seed=1)
            assert y.shape == () and noise.shape == () and y.dtype == dtype, name
            y, noise = call(np.zeros((3, 0), dtype), seed=1)
            assert y.shape == (3, 0) and noise.shape == (3, 0), name
        y, noise = rectifier.rrelu(-2, training=True, seed=1, return_noise=True)
        assert y.dtype == np.float64 and y.shape == ()
        assert y == -2 * noise
        # the 0-d element is element 0 of the stream
        assert same_bits(rectifier.noisy_relu(np.array(3.0, dtype), seed=5),
                         rectifier.noisy_relu(np.array([3.0], dtype), seed=5)[0])


def test_integers_become_float64():
    y = rectifier.rrelu(np.array([-3, 2]), training=True, seed=4)
    assert y.dtype == np.float64 and same_bits(y, rectifier.rrelu(np.array([-3.0, 2.0]), training=True, seed=4))


# ---- seeds ---------------------------------------------------------------------------------------

def test_seeds():
    x = -np.ones(1000, np.float32)
    f = lambda seed: rectifier.rrelu(x, training=True, seed=seed)  # noqa: E731
    assert same_bits(f(1), f(1)) and not np.array_equal(f(1), f(2))
    assert same_bits(f(np.uint64(2**64 - 1)), f(2**64 - 1))
    assert not np.array_equal(f(None), f(None))
    g = np.random.default_rng(5)
    a, b = f(g), f(g)
    assert not np.array_equal(a, b)                     # the Generator advanced
    assert same_bits(a, f(np.random.default_rng(5)))     # the same Generator state, the same key
    assert same_bits(f(np.random.SeedSequence(8)), f(np.random.SeedSequence(8)))
    # the two functions use separate streams: noisy_relu's noise is not a function of rrelu's slopes
    n = rectifier.noisy_relu(np.zeros(1000), seed=1, return_noise=True)[1]
    s = rectifier.rrelu(-np.ones(1000), training=True, seed=1, return_noise=True)[1]
    assert abs(np.corrcoef(n, s)[0, 1]) < 0.2


# ---- statistics (fixed seeds) -----------------------------------------------------------------------

P_MIN = 1e-6   # a correct generator fails one of these with probability about 1e-6 per seed


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_rrelu_slopes_are_uniform_and_independent(dtype):
    n = 400_000
    lower, upper = 0.125, 1 / 3
    _, a = rectifier.rrelu(-np.ones(n, dtype), lower, upper, training=True, seed=20241128, return_noise=True)
    a = a.astype(np.float64)
    assert stats.kstest(a, "uniform", args=(lower, upper - lower)).pvalue > P_MIN
    counts, _ = np.histogram(a, bins=64, range=(lower, upper))
    assert stats.chisquare(counts).pvalue > P_MIN
    u = (a - lower) / (upper - lower)
    # mean 1/2, variance 1/12 (z-scores against their sampling distributions)
    assert abs(u.mean() - 0.5) / np.sqrt(1 / 12 / n) < 6
    assert abs(u.var() - 1 / 12) / np.sqrt(1 / 180 / n) < 6
    # neighbours, lanes (8 apart), counters of a group (8 and 16 words apart), groups (32 apart)
    for lag in (1, 2, 4, 8, 16, 32, 64):
        r = np.corrcoef(u[:-lag], u[lag:])[0, 1]
        assert abs(r) * np.sqrt(n) < 6, (lag, r)
    # pairs of neighbours fill the unit square evenly (8 x 8 cells)
    pairs, _, _ = np.histogram2d(u[0::2], u[1::2], bins=8, range=[[0, 1], [0, 1]])
    assert stats.chisquare(pairs.reshape(-1)).pvalue > P_MIN


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_noisy_relu_noise_is_normal_and_independent(dtype):
    n = 400_000
    sigma = 0.75
    _, noise = rectifier.noisy_relu(np.zeros(n, dtype), sigma, seed=77, return_noise=True)
    z = noise.astype(np.float64) / sigma
    assert stats.kstest(z, "norm").pvalue > P_MIN
    # moments: mean 0, variance 1, skewness 0, excess kurtosis 0
    assert abs(z.mean()) * np.sqrt(n) < 6
    assert abs(z.var() - 1) / np.sqrt(2 / n) < 6
    assert abs(stats.skew(z)) / np.sqrt(6 / n) < 6
    assert abs(stats.kurtosis(z)) / np.sqrt(24 / n) < 6
    # chi-square on 40 equiprobable cells
    edges = stats.norm.ppf(np.linspace(0, 1, 41))
    counts, _ = np.histogram(z, bins=edges)
    assert stats.chisquare(counts).pvalue > P_MIN
    # the two variates of a Box-Muller pair (16 or 8 apart), neighbours and lanes: uncorrelated,
    # also in their squares (a pair shares its radius)
    for lag in (1, 2, 4, 8, 16, 32):
        for transform in (lambda v: v, np.square, np.abs):
            t = transform(z)
            r = np.corrcoef(t[:-lag], t[lag:])[0, 1]
            assert abs(r) * np.sqrt(n) < 6, (lag, r)


def test_noisy_relu_sigma_array_and_sigmoid_scale_the_noise():
    n = 200_000
    sigma = np.where(np.arange(n) % 2 == 0, 0.5, 3.0)
    _, noise = rectifier.noisy_relu(np.zeros(n, np.float32), sigma, seed=5, return_noise=True)
    for s in (0.5, 3.0):
        z = noise[sigma == s].astype(np.float64) / s
        assert stats.kstest(z, "norm").pvalue > P_MIN, s
    x = np.where(np.arange(n) % 2 == 0, -2.0, 4.0)
    _, noise = rectifier.noisy_relu(x, "sigmoid", seed=6, return_noise=True)
    for v in (-2.0, 4.0):
        z = noise[x == v] / np.sqrt(reference.sigmoid(v))
        assert stats.kstest(z, "norm").pvalue > P_MIN, v


def test_a_broken_generator_would_fail_these_thresholds():
    """The statistics above can fail: the same checks on streams broken the ways a counter
    mix-up breaks them (lanes repeating, a pair sharing its variate, a biased uniform)."""
    n = 400_000
    _, a = rectifier.rrelu(-np.ones(n, np.float32), 0.0, 1.0, training=True, seed=1, return_noise=True)
    u = a.astype(np.float64)
    repeated_lanes = np.repeat(u[: n // 8], 8)
    assert abs(np.corrcoef(repeated_lanes[:-1], repeated_lanes[1:])[0, 1]) * np.sqrt(n) > 6
    truncated = np.floor(u * 2**8) / 2**8          # 8-bit uniforms
    assert stats.kstest(truncated, "uniform").pvalue < P_MIN
    _, noise = rectifier.noisy_relu(np.zeros(n), 1.0, seed=2, return_noise=True)
    shared = noise.copy()
    shared[16::32] = shared[0::32]
    assert abs(np.corrcoef(shared[:-16], shared[16:])[0, 1]) * np.sqrt(n) > 6


# ---- eval mode, gradients ------------------------------------------------------------------------

def test_rrelu_eval_is_leaky_relu_of_the_mean_slope(cpu_path, dtype):
    x = mixed(dtype, 300, seed=8)
    for lower, upper in ((1 / 8, 1 / 3), (0.0, 0.0), (0.5, 0.5)):
        slope = (lower + upper) / 2
        y, noise = rectifier.rrelu(x, lower, upper, return_noise=True)
        assert_same_bits(y, rectifier.leaky_relu(x, slope))
        assert_same_bits(y, reference.expected("leaky_relu", x, negative_slope=slope))
        ct = rr.compute_dtype(dtype)
        assert_same_bits(noise, np.where(x <= 0, ct.type(slope), 1).astype(dtype))
    # torch's default slope: (1/8 + 1/3) / 2
    assert rectifier.rrelu(np.array([-1.0])) == -(1 / 8 + 1 / 3) / 2


def test_rrelu_grad(cpu_path, dtype):
    x = mixed(dtype, 500, seed=9)
    g = mixed(dtype, 500, seed=10)
    with np.errstate(all="ignore"):
        y, noise = rectifier.rrelu(x, training=True, seed=3, return_noise=True)
        assert_same_bits(rectifier.rrelu_grad(noise, g), reference.expected("rrelu_grad", noise, grad=g))
        assert_same_bits(rectifier.rrelu_grad(noise), noise)
        assert_same_bits(rectifier.rrelu_grad(noise, g), rectifier.ufuncs.rrelu_grad(noise, g))
    # the derivative of y with respect to x, by finite differences away from 0 (a fixed seed:
    # the same slopes for x and x + h)
    x = np.linspace(-3, 3, 1000)
    x = x[np.abs(x) > 1e-3]
    h = 1e-7
    y0, noise = rectifier.rrelu(x, training=True, seed=3, return_noise=True)
    y1 = rectifier.rrelu(x + h, training=True, seed=3)
    np.testing.assert_allclose((y1 - y0) / h, rectifier.rrelu_grad(noise), rtol=1e-6)


def test_noisy_relu_grad(dtype):
    x = mixed(dtype, 500, seed=11)
    g = mixed(dtype, 500, seed=12)
    with np.errstate(all="ignore"):
        y, noise = rectifier.noisy_relu(x, 0.5, seed=3, return_noise=True)
        got = rectifier.noisy_relu_grad(x, noise, g)
        ct = rr.compute_dtype(dtype)
        total = x.astype(ct) + noise.astype(ct)
        want = np.where(np.isnan(total), np.nan, np.where(total > 0, g.astype(np.float64), 0.0)).astype(dtype)
        assert_same_bits(got, want)
        # the gradient passes exactly where the forward output is positive (up to float16 underflow)
        assert np.array_equal(rectifier.noisy_relu_grad(x, noise)[~np.isnan(y)] == 1, (y > 0)[~np.isnan(y)])
        out = np.full(x.shape, 7, dtype)
        assert rectifier.noisy_relu_grad(x, noise, g, out=out) is out and same_bits(out, got)
    # finite differences: the same noise for x and x + h
    x = np.linspace(-3, 3, 999)
    y0, noise = rectifier.noisy_relu(x, 0.5, seed=4, return_noise=True)
    total = x + noise
    h = 1e-7
    keep = np.abs(total) > 1e-3
    fd = (np.maximum(total + h, 0) - y0) / h
    np.testing.assert_allclose(fd[keep], rectifier.noisy_relu_grad(x, noise)[keep], rtol=1e-6)


# ---- errors, flags --------------------------------------------------------------------------------

BAD = [
    (lambda x: rectifier.rrelu(x, 0.5, 0.25, training=True, seed=1), ValueError, ["rrelu", "lower", "upper", "0.5"]),
    (lambda x: rectifier.rrelu(x, -0.1, 0.25), ValueError, ["rrelu", "lower", "-0.1"]),
    (lambda x: rectifier.rrelu(x, np.nan, 0.25), ValueError, ["rrelu", "lower", "nan"]),
    (lambda x: rectifier.rrelu(x, 0.1, np.inf), ValueError, ["rrelu", "upper", "inf"]),
    (lambda x: rectifier.rrelu(x.astype(np.float32), 0.1, 1e300, training=True, seed=1), ValueError,
     ["rrelu", "upper", "float32"]),
    (lambda x: rectifier.rrelu(x, "a"), TypeError, ["rrelu", "lower"]),
    (lambda x: rectifier.rrelu(x, training="yes"), TypeError, ["rrelu", "training"]),
    (lambda x: rectifier.rrelu(x, return_noise=1), TypeError, ["rrelu", "return_noise"]),
    (lambda x: rectifier.rrelu(x, training=True, seed=-1), ValueError, ["rrelu", "seed", "-1"]),
    (lambda x: rectifier.rrelu(x, training=True, seed=2**64), ValueError, ["rrelu", "seed"]),
    (lambda x: rectifier.rrelu(x, training=True, seed=1.5), TypeError, ["rrelu", "seed", "1.5"]),
    (lambda x: rectifier.rrelu(x, training=True, seed="7"), TypeError, ["rrelu", "seed"]),
    (lambda x: rectifier.rrelu(x, training=True, seed=True), TypeError, ["rrelu", "seed"]),
    (lambda x: rectifier.rrelu(x, seed=[1]), TypeError, ["rrelu", "seed"]),
    (lambda x: rectifier.noisy_relu(x, -1.0, seed=1), ValueError, ["noisy_relu", "sigma", "-1"]),
    (lambda x: rectifier.noisy_relu(x, np.nan, seed=1), ValueError, ["noisy_relu", "sigma", "nan"]),
    (lambda x: rectifier.noisy_relu(x, np.inf, seed=1), ValueError, ["noisy_relu", "sigma", "inf"]),
    (lambda x: rectifier.noisy_relu(x, "tanh", seed=1), ValueError, ["noisy_relu", "sigma", "tanh"]),
    (lambda x: rectifier.noisy_relu(x, np.array([1.0, -2.0, 1.0, 1.0]), seed=1), ValueError, ["noisy_relu", "sigma"]),
    (lambda x: rectifier.noisy_relu(x, np.ones(3), seed=1), ValueError, ["noisy_relu", "sigma", "(3,)"]),
    (lambda x: rectifier.noisy_relu(x, None, seed=1), TypeError, ["noisy_relu", "sigma"]),
    (lambda x: rectifier.noisy_relu(x, seed=object()), TypeError, ["noisy_relu", "seed"]),
    (lambda x: rectifier.noisy_relu(x.astype(np.float32), 1e39, seed=1), ValueError, ["noisy_relu", "sigma", "float32"]),
    (lambda x: rectifier.noisy_relu_grad(x, np.ones(4, complex)), TypeError, ["noisy_relu_grad", "noise", "complex"]),
    (lambda x: rectifier.noisy_relu_grad(x, np.ones(3)), ValueError, []),
    (lambda x: rectifier.rrelu(x.astype(complex), training=True, seed=1), TypeError, ["rrelu", "dtype", "complex"]),
    (lambda x: rectifier.noisy_relu(x, seed=1, out=np.zeros(4, np.float32)), TypeError, ["noisy_relu", "out", "dtype"]),
    (lambda x: rectifier.rrelu(x, training=True, seed=1, out=np.zeros(5)), ValueError, ["rrelu", "out", "shape"]),
]


@pytest.mark.parametrize("k", range(len(BAD)))
def test_bad_input_raises_and_writes_nothing(k):
    fn, error, words = BAD[k]
    x = np.array([-1.0, 2.0, -3.0, 0.5])
    before = x.copy()
    with pytest.raises(error) as info:
        fn(x)
    message = str(info.value).lower()
    assert all(w.lower() in message for w in words), message
    assert same_bits(x, before)


def test_out_is_checked_before_anything_is_written():
    x = np.array([-1.0, 2.0])
    out = np.full(2, 7.0)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        rectifier.noisy_relu(x, seed=1, out=out)
    assert np.all(out == 7.0)


@pytest.mark.parametrize("name", list(CALLS))
def test_no_floating_point_flags_from_tails(cpu_path, name):
    """Moderate values, every length 0..40, every dtype: no flag raised (np.errstate raises)."""
    for dtype in DTYPES:
        for n in range(41):
            x = np.linspace(-3, 3, n).astype(dtype)
            with np.errstate(all="raise"):
                CALLS[name](x, seed=n)
                rectifier.rrelu(x, training=True, seed=n, lower=0.0, upper=1.0)
                rectifier.noisy_relu(x, 1e30 if dtype != np.float16 else 1e3, seed=n)
