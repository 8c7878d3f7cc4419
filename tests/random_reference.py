"""A plain-NumPy model of rrelu's and noisy_relu's random streams, written from the published
Philox4x32-10 algorithm and the mapping documented in src/kernels/random.h, independently of the C
code: the oracle tests/test_random.py and tests/test_random_neon.py check every path against.

- `philox4x32_10(counter, key)`: one block, Python integers (Salmon et al., SC11, section 3.2).
- `group_words(key, stream, groups)`: the 32 words of each group (philox.h), vectorized in NumPy.
- `rrelu_expected`: the slopes and outputs, computed in the compute type with the same IEEE
  operations in the same order as the kernels, so they must match bit for bit.
- `normal_variates`: the uniforms (exact) and the Box-Muller variates evaluated in extended
  precision with libm's log/cos/sin: the kernels' variates are checked against them in ULPs.
"""
import numpy as np

M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF
STREAM_RRELU = 0x72726C75
STREAM_NOISY_RELU = 0x6E726C75

# Random123's known-answer vectors for philox4x32 with 10 rounds: counter (4 words), key
# (2 words) -> output (4 words). From the file tests/kat_vectors of Random123 (D. E. Shaw
# Research, https://github.com/DEShawResearch/random123), lines "philox4x32 10 ...".
KNOWN_ANSWERS = [
    ((0x00000000, 0x00000000, 0x00000000, 0x00000000), (0x00000000, 0x00000000),
     (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF),
     (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


def philox4x32_10(counter, key):
    """One Philox4x32-10 block: counter (c0, c1, c2, c3), key (k0, k1) -> 4 words."""
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for _ in range(10):
        p0, p1 = M0 * c0, M1 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0) & MASK, p1 & MASK, ((p0 >> 32) ^ c3 ^ k1) & MASK, p0 & MASK
        k0, k1 = (k0 + W0) & MASK, (k1 + W1) & MASK
    return c0, c1, c2, c3


def group_words(key, stream, groups):
    """The words of the given groups (an array of group indices), shape (len(groups), 32): word t
    of group g is word t // 8 of the block at counter (c & MASK, c >> 32, stream, 0),
    c = 8 g + t % 8, key (key & MASK, key >> 32)."""
    groups = np.asarray(groups, dtype=np.uint64)
    counters = (groups[:, None] * np.uint64(8) + np.arange(8, dtype=np.uint64)).reshape(-1)
    c0 = counters & np.uint64(MASK)
    c1 = counters >> np.uint64(32)
    c2 = np.full_like(c0, stream)
    c3 = np.zeros_like(c0)
    k0, k1 = key & MASK, key >> 32
    for _ in range(10):
        p0, p1 = np.uint64(M0) * c0, np.uint64(M1) * c2
        c0, c1, c2, c3 = (((p1 >> np.uint64(32)) ^ c1 ^ np.uint64(k0)), p1 & np.uint64(MASK),
                          ((p0 >> np.uint64(32)) ^ c3 ^ np.uint64(k1)), p0 & np.uint64(MASK))
        k0, k1 = (k0 + W0) & MASK, (k1 + W1) & MASK
    blocks = np.stack([c0, c1, c2, c3], axis=1).reshape(len(groups), 8, 4)   # [group, counter, word]
    return blocks.transpose(0, 2, 1).reshape(len(groups), 32).astype(np.uint32)


def compute_dtype(dtype):
    return np.dtype(np.float64) if np.dtype(dtype) == np.float64 else np.dtype(np.float32)


def _words_for(key, stream, n, group_size, first=0):
    """Words of every group that elements first .. first + n - 1 touch (rows), and each element's
    row and index in its group."""
    i = first + np.arange(n, dtype=np.uint64)
    g = i // np.uint64(group_size)
    groups = np.unique(g)
    words = group_words(key, stream, groups) if n else np.zeros((0, 32), np.uint32)
    return words, np.searchsorted(groups, g), (i % np.uint64(group_size)).astype(np.int64)


def rrelu_slopes(key, n, lower, upper, dtype, first=0):
    """rrelu's slope of each element 0 .. n-1 in the compute type, by the kernels' operations:
    float32 u = (w >> 8) 2^-24; float64 u = w_t 2^-32 + w_(t+16) 2^-64; a = lower + (upper -
    lower) u, at most upper."""
    ct = compute_dtype(dtype)
    lo, hi = ct.type(lower), ct.type(upper)
    if ct == np.float32:
        words, g, t = _words_for(key, STREAM_RRELU, n, 32, first)
        u = (words[g, t] >> 8).astype(np.float32) * np.float32(2.0 ** -24)
    else:
        words, g, t = _words_for(key, STREAM_RRELU, n, 16, first)
        u = words[g, t].astype(np.float64) * 2.0 ** -32 + words[g, t + 16].astype(np.float64) * 2.0 ** -64
    a = lo + (hi - lo) * u
    return np.where(a > hi, hi, a).astype(ct)


def rrelu_expected(x, lower, upper, key, first=0):
    """(y, noise) of rrelu(x, lower, upper, training=True, seed=key) for x in C order (element i
    of x having the logical index first + i)."""
    x = np.asarray(x)
    ct = compute_dtype(x.dtype)
    a = rrelu_slopes(key, x.size, lower, upper, x.dtype, first).reshape(x.shape)
    xc = x.astype(ct)
    nonpositive = xc <= 0
    with np.errstate(all="ignore"):
        product = np.where(a == 0, ct.type(0), a * np.where(nonpositive, xc, 0))
    y = np.where(nonpositive, product, xc).astype(x.dtype)
    noise = np.where(nonpositive, a, ct.type(1)).astype(x.dtype)
    return y, noise


def normal_variates(key, n, dtype, first=0):
    """The standard normal variate of each element 0 .. n-1 of noisy_relu, in np.longdouble,
    from the kernels' uniforms: radius sqrt(-2 log u1), angle f pi/2 with signs from two bits."""
    ct = compute_dtype(dtype)
    if ct == np.float64:
        from reference import require_wide_longdouble
        require_wide_longdouble()
    L = np.longdouble
    if ct == np.float32:
        words, g, t = _words_for(key, STREAM_NOISY_RELU, n, 32, first)
        p, second = t % 16, t >= 16
        u1 = ((words[g, p] >> 8).astype(L) + 1) * L(2.0 ** -24)
        angle = (words[g, p + 16] >> 8).astype(np.int64)
        negative_c, negative_s = angle >= 1 << 23, (angle >> 22) & 1 == 1
        f = (angle & ((1 << 22) - 1)).astype(L) * L(2.0 ** -22)
    else:
        words, g, t = _words_for(key, STREAM_NOISY_RELU, n, 16, first)
        p, second = t % 8, t >= 8
        # the kernel's u1, rounded to float64 as it rounds it
        u1 = (words[g, p].astype(np.float64) * 2.0 ** -32
              + (words[g, p + 8].astype(np.float64) + 1) * 2.0 ** -64).astype(L)
        hi = words[g, p + 16].astype(np.int64)
        negative_c, negative_s = hi >= 1 << 31, (hi >> 30) & 1 == 1
        f = ((hi & ((1 << 30) - 1)).astype(np.float64) * 2.0 ** -30
             + words[g, p + 24].astype(np.float64) * 2.0 ** -62).astype(L)
    r = np.sqrt(L(-2) * np.log(u1))
    # cos and sin of f pi/2 through the exact identity cos(f pi/2) = sin((1 - f) pi/2) for f > 1/2,
    # so that values near 0 keep their relative accuracy
    upper = f > 0.5
    theta = np.where(upper, 1 - f, f) * (L("3.14159265358979323846264338327950288") / 2)
    cos_f = np.where(upper, np.sin(theta), np.cos(theta))
    sin_f = np.where(upper, np.cos(theta), np.sin(theta))
    c = np.where(negative_c, -cos_f, cos_f)
    s = np.where(negative_s, -sin_f, sin_f)
    return r * np.where(second, s, c)
