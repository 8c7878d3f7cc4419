"""Polynomials for the native float32 tanh (src/kernels/ops_smooth_f32.h), z = |x|, no exponential:

- z < 1/2: tanh z = z + z^3 P(z^2), P a fit of (tanh z - z) / z^3 in w = z^2 on [0, 1/4]
  (z^3 P is at most 8.2% of the result, so its roundings are scaled down).
- 1/2 <= z < 8: 4 binades of 8 intervals each, picked by the float's bits (bits(z) >> 20: the
  exponent's low 2 bits and the top 3 bits of the significand; vpermt2ps on AVX-512), centre c =
  the interval's midpoint (bits(z) with the low 20 bits replaced by 0x80000), r = z - c exact:
  tanh z = c0 + c0_lo + r q(r), c0 + c0_lo = tanh(c) in two floats, q of degree Q_DEGREE. The
  last interval, [7.5, 8), is fitted up to Z_MAX (z is clamped there; float32 tanh is 1 from
  9.0109 on). Table slot j = bits(c) >> 20 mod 32.

Fits interpolate at Chebyshev points (mpmath, 100 bits), the coefficients are rounded to float32,
and the error of the rounded polynomial in exact arithmetic is printed in ULPs of the result
(the kernel's float32 evaluation adds its roundings to that: see the exhaustive sweep).

    python tools/fit_tanh_f32.py     # the C tables and each interval's error
"""
import struct

import numpy as np

from mpmath import cos, lu_solve, matrix, mp, mpf, pi, qr_solve, tanh

mp.prec = 100
P_DEGREE = 5  # P's degree in w
Q_DEGREE = 4  # q's degree in r (and g's, tanhshrink's)
S_DEGREE = 5  # tanhshrink's Q's degree in w
Z_MAX = mpf(9.5)
SAMPLES = 400


def f32(v):
    return struct.unpack("<f", struct.pack("<f", float(v)))[0]


def bits(v):
    return struct.unpack("<I", struct.pack("<f", v))[0]


def ulp(v):
    """the float32 ULP at |v| (normal range)"""
    e = mp.floor(mp.log(abs(v), 2))
    return mpf(2) ** (e - 23)


def c_hex(v):
    if v == 0:
        return "0.0f"
    mant, exp = float(v).hex().split("p")
    return mant.rstrip("0").rstrip(".") + "p" + exp + "f"


def cheb_fit(f, a, b, degree, var=lambda t: t):
    """coefficients (lowest first) of the polynomial in var(t) interpolating f at degree + 1
    Chebyshev points of t in [a, b]"""
    n = degree + 1
    ts = [(a + b) / 2 + (b - a) / 2 * cos(pi * (j + mpf(1) / 2) / n) for j in range(n)]
    c = lu_solve(matrix([[var(t) ** k for k in range(n)] for t in ts]), matrix([f(t) for t in ts]))
    return [c[k] for k in range(n)]


def horner(c, t):
    s = mpf(0)
    for ck in reversed(c):
        s = s * t + mpf(ck)
    return s


def small():
    def p_of_z(z):
        if z < mpf(1) / 64:  # the series, no cancellation: tanh z = z - z^3/3 + 2z^5/15 - ...
            w = z * z
            return -mpf(1) / 3 + w * (mpf(2) / 15 + w * (mpf(-17) / 315 + w * (mpf(62) / 2835 + w * mpf(-1382) / 155925)))
        return (tanh(z) - z) / z ** 3

    # rounded to float32 one coefficient at a time, lowest degree first, each time refitting the
    # ones not yet rounded (least squares weighted by z^3 / ulp(tanh z), the error's size in ULPs)
    zs = [(1 + cos(pi * (j + mpf(1) / 2) / SAMPLES)) / 4 for j in range(SAMPLES)]
    wts = [z ** 3 / ulp(tanh(z)) for z in zs]
    target = [p_of_z(z) for z in zs]
    c = []
    for k in range(P_DEGREE + 1):
        rest = [t - horner(c, z * z) for t, z in zip(target, zs)]
        A = matrix([[wt * (z * z) ** i for i in range(k, P_DEGREE + 1)] for wt, z in zip(wts, zs)])
        sol = qr_solve(A, matrix([wt * v for wt, v in zip(wts, rest)]))[0]
        c.append(f32(sol[0]))
    worst = max(abs(z + z ** 3 * horner(c, z * z) - tanh(z)) / ulp(tanh(z))
                for z in (mpf(j + 1) / (2 * SAMPLES) for j in range(SAMPLES)))
    return c, worst


def good_centre(lo, hi, f_np=np.tanh, f_mp=tanh, d_mp=None):
    """a float c in [lo, hi) where f is within 2^-11 ULP of a float32 (so c0 =
    f(c) rounded needs no low part; r = z - c stays exact by Sterbenz's lemma): the one nearest
    the middle, or with d_mp (f's derivative) given, the one of the first 64 whose f'(c) is
    nearest a float32 (the rounding of c1 r counts where |c1 r| is large against f)"""
    mid = f32((lo + hi) / 2)
    cands = np.arange(bits(f32(lo)), bits(f32(hi)), dtype=np.uint32).view(np.float32)
    cands = cands[np.argsort(np.abs(cands - np.float32(mid)), kind="stable")]
    t = f_np(cands.astype(np.float64))
    frac = np.abs(t - t.astype(np.float32)) / np.spacing(t.astype(np.float32))
    found = []
    for i in np.nonzero(frac < 2.0 ** -11)[0]:  # float64 screens, mpmath decides
        c = float(cands[i])
        t0 = f_mp(mpf(c))
        if abs(t0 - mpf(f32(t0))) < ulp(t0) * mpf(2) ** -11:
            if d_mp is None:
                return c
            found.append(c)
            if len(found) == 64:
                break
    if not found:
        raise ValueError("no centre")
    return min(found, key=lambda c: abs(d_mp(mpf(c)) - mpf(f32(d_mp(mpf(c))))) / ulp(d_mp(mpf(c))))


def intervals(f_np=np.tanh, f_mp=tanh, d_mp=None):
    """(slot, lo, hi, centre) of the 32 intervals, the centres chosen for f"""
    out = []
    for e in range(-1, 3):
        for m in range(8):
            lo, width = mpf(2) ** e * (1 + mpf(m) / 8), mpf(2) ** e / 8
            hi = Z_MAX if (e, m) == (2, 7) else lo + width
            out.append(((bits(f32(lo)) >> 20) & 31, lo, hi, good_centre(lo, lo + width, f_np, f_mp, d_mp)))
    return out


def table():
    rows = [[None] * 32 for _ in range(Q_DEGREE + 3)]
    worst = []
    for slot, lo, hi, centre in intervals():
        c = mpf(centre)
        t0 = tanh(c)
        c0 = f32(t0)

        def q(r):
            # (tanh(c + r) - tanh c) / r by the addition formula, without cancellation
            tr = tanh(r)
            return (tr / r if abs(r) > mpf(2) ** -40 else 1 - r * r / 3) * (1 - t0 * t0) / (1 + t0 * tr)

        qc = [f32(v) for v in cheb_fit(q, lo - c, hi - c, Q_DEGREE)]
        for k, v in enumerate([centre, c0] + qc):
            rows[k][slot] = v
        err = max(abs(mpf(c0) + r * horner(qc, r) - tanh(c + r)) / ulp(tanh(c + r))
                  for r in ((lo - c) + (hi - lo) * j / SAMPLES for j in range(SAMPLES + 1)))
        worst.append((float(err), float(lo), float(hi)))
    return rows, worst


def shrink_small():
    """tanhshrink z - tanh z = z^3 (1/3 + w Q(w)) below 1/2: Q's coefficients, lowest first, and
    the error of 1/3 + w Q relative to (z - tanh z) / z^3, in exact arithmetic"""
    def big_p(z):
        if z < mpf(1) / 64:
            w = z * z
            return mpf(1) / 3 + w * (mpf(-2) / 15 + w * (mpf(17) / 315 + w * (mpf(-62) / 2835 + w * mpf(1382) / 155925)))
        return (z - tanh(z)) / z ** 3

    q = [f32(v) for v in cheb_fit(lambda z: (big_p(z) - mpf(1) / 3) / (z * z), mpf(0), mpf(1) / 2, S_DEGREE,
                                  var=lambda z: z * z)]
    worst = max(abs(mpf(1) / 3 + z * z * horner(q, z * z) - big_p(z)) / big_p(z)
                for z in (mpf(j + 1) / (2 * SAMPLES) for j in range(SAMPLES)))
    return q, worst


def shrink_table():
    """tanhshrink's rows as tanh's: centre c (where c - tanh c is within 2^-11 ULP of a float32
    d0), d0, g1..g5, z - tanh z = d0 + r g(r)"""
    rows = [[None] * 32 for _ in range(Q_DEGREE + 3)]
    worst = []
    for slot, lo, hi, centre in intervals(lambda c: c - np.tanh(c), lambda c: c - tanh(c), lambda c: tanh(c) ** 2):
        c = mpf(centre)
        t0 = tanh(c)
        d0 = f32(c - t0)

        def g(r):  # 1 - (tanh(c + r) - tanh c) / r, by the addition formula
            tr = tanh(r)
            return 1 - (tr / r if abs(r) > mpf(2) ** -40 else 1 - r * r / 3) * (1 - t0 * t0) / (1 + t0 * tr)

        g1 = f32(t0 * t0)  # g's constant term: the derivative, rounded; the rest fitted to what is left
        gc = [g1] + [f32(v) for v in cheb_fit(lambda r: (g(r) - g1) / r if r else -mpf("nan"), lo - c, hi - c, Q_DEGREE - 1)]
        for k, v in enumerate([centre, d0] + gc):
            rows[k][slot] = v
        err = max(abs(mpf(d0) + r * horner(gc, r) - (c + r - tanh(c + r))) / ulp(c + r - tanh(c + r))
                  for r in ((lo - c) + (hi - lo) * j / SAMPLES for j in range(SAMPLES + 1)))
        worst.append((float(err), float(lo), float(hi)))
    return rows, worst

def print_table(rows):
    """A C initializer of 32-entry rows, eight values a line."""
    print("{")
    for row in rows:
        vals = [c_hex(v) for v in row]
        print("    {" + ",\n     ".join(", ".join(vals[i:i + 8]) for i in range(0, 32, 8)) + "},")
    print("};")


if __name__ == "__main__":
    import math
    p, err = small()
    print(f"/* P, highest degree first: {float(err):.2e} ULP before the float32 evaluation */")
    print(", ".join(c_hex(v) for v in reversed(p)))
    rows, worst = table()
    for e, lo, hi in worst:
        print(f"[{lo:.4f}, {hi:.4f}]: {e:.2e} ULP (2^{math.log2(e) if e else -99:.1f})")
    print(f"/* rows centre c, c0 = tanh(c), c1..c{Q_DEGREE + 1}, slot j = bits(z) >> 20 mod 32 */")
    print_table(rows)
    q, err = shrink_small()
    print(f"/* tanhshrink: Q, highest degree first: {float(err):.2e} relative */")
    print(", ".join(c_hex(v) for v in reversed(q)))
    srows, sworst = shrink_table()
    for e, lo, hi in sworst:
        print(f"tanhshrink [{lo:.4f}, {hi:.4f}]: {e:.2e} ULP")
    print("/* tanhshrink: rows c, d0, g1..g5 */")
    print_table(srows)
