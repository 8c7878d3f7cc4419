"""Piecewise polynomials of R(z) = Phi(-z) e^(z^2/2) = erfcx(z / sqrt2) / 2 on z in [0, 15.75], with
float32 coefficients, for the native float32 gelu (src/kernels/ops_smooth_f32.h): Phi(-z) =
e^(-z^2/2) R(z).

Interval k (k = 0..31) is [k/2 - 1/4, k/2 + 1/4] (only [0, 1/4] for k = 0): the kernel picks k by
rounding 2z (vpermt2ps over 32 entries on AVX-512) and evaluates R(k/2 + r) = c0 + c0_lo + sum
c[j] r^j (j = 1..6) by Horner's scheme, c0 carried as two floats. The coefficients are rounded to
float32 one at a time, c1 first, each time refitting the ones not yet rounded (relative least
squares on 300 Chebyshev points), so that the rounding of the big low-order terms is absorbed by
the rest. The script prints each interval's relative error with the rounded coefficients, in
exact arithmetic (2001 points, long double): at most 2^-28.0 (interval 1); the kernel's float32
evaluation adds up to about 2^-26 near z = 1/2.

    python tools/fit_gelu_f32.py     # prints the C table: rows c0, c0_lo, c1..c6, 32 intervals per row
"""
import math

import numpy as np
from scipy.special import erfcx

DEGREE = 6
INTERVALS = 32
WIDTH = 0.5


def R(z):
    return erfcx(z / np.sqrt(2)) / 2


def f32(v):
    return float(np.float32(v))


def c_hex(v):
    """v as a C float literal, hexadecimal, with no trailing zero digits"""
    if v == 0:
        return "0.0f"
    mant, exp = float(v).hex().split("p")
    return mant.rstrip("0").rstrip(".") + "p" + exp + "f"


def fit(k):
    mid = k * WIDTH
    a, b = max(0.0, mid - WIDTH / 2), mid + WIDTH / 2
    m = 300
    z = (a + b) / 2 + (b - a) / 2 * np.cos(np.pi * (np.arange(m) + 0.5) / m)
    V = np.vstack([(z - mid) ** j for j in range(DEGREE + 1)]).T / R(z)[:, None]
    fixed = {}
    for j in range(1, DEGREE + 2):
        free = [i for i in range(DEGREE + 1) if i not in fixed]
        rhs = np.ones(m) - sum((fixed[i] * V[:, i] for i in fixed), np.zeros(m))
        c = dict(zip(free, np.linalg.lstsq(V[:, free], rhs, rcond=None)[0]))
        if j <= DEGREE:
            fixed[j] = f32(c[j])
    hi = f32(c[0])
    coef = [hi, f32(c[0] - hi)] + [fixed[j] for j in range(1, DEGREE + 1)]
    zz = np.linspace(a, b, 2001)
    r = (zz - mid).astype(np.longdouble)
    p = np.longdouble(coef[0]) + np.longdouble(coef[1])
    p = p + sum(np.longdouble(coef[j + 1]) * r ** j for j in range(1, DEGREE + 1))
    worst = float(np.max(np.abs(p / R(zz).astype(np.longdouble) - 1)))
    return coef, worst


if __name__ == "__main__":
    table = []
    for k in range(INTERVALS):
        coef, worst = fit(k)
        table.append(coef)
        print(f"/* interval {k}: relative error 2^{math.log2(worst):.1f} */")
    for j in range(DEGREE + 2):
        cells = [c_hex(table[k][j]) for k in range(INTERVALS)]
        lines = [", ".join(cells[i:i + 8]) for i in range(0, INTERVALS, 8)]
        print("    {" + ",\n     ".join(lines) + "},")
