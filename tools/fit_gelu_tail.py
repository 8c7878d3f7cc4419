"""Piecewise polynomials of R(z) = Phi(-z) e^(z^2/2) = erfcx(z / sqrt2) / 2 on z in [0, 15.5], for
the float64 gelu of float32 geglu (gelu_for_float32 in src/kernels/ops_smooth_wide.h; gelu itself
computes in float32 with tools/fit_gelu_f32.py's tables): Phi(-z) = e^(-z^2/2) R(z), with no cancellation for
either sign of x (gelu(x) = x Phi(-|x|) for x < 0, x - x Phi(-|x|) above).

Interval k (k = 0..15) is [k - 1/2, k + 1/2] (only [0, 1/2] for k = 0): the kernel picks k by
rounding z to an integer and evaluates R(k + r) = sum c[j][k] r^j by Horner's scheme. Each
polynomial interpolates R at the Chebyshev points of its interval (near-minimax), computed at 160
bits with mpmath and rounded to float64; the script prints each interval's measured relative error
(on 2000 points), which must stay below 2^-30 (the kernel's budget leaves 2^-27 in all).

    python tools/fit_gelu_tail.py     # prints the C table: c[j][k], 16 intervals per row
"""
from mpmath import cos, erfc, exp, matrix, lu_solve, mp, mpf, pi, sqrt

mp.prec = 160
DEGREE = 8
INTERVALS = 16


def R(z):
    return erfc(z / sqrt(2)) * exp(z * z / 2) / 2


def fit(k):
    a, b = (mpf(0) if k == 0 else k - mpf(1) / 2), k + mpf(1) / 2
    n = DEGREE + 1
    nodes = [(a + b) / 2 + (b - a) / 2 * cos(pi * (j + mpf(1) / 2) / n) for j in range(n)]
    A = matrix([[(z - k) ** j for j in range(n)] for z in nodes])
    c = lu_solve(A, matrix([R(z) for z in nodes]))
    c = [float(c[j]) for j in range(n)]  # rounded as the kernel holds them
    worst = max(abs(sum(mpf(cj) * (z - k) ** j for j, cj in enumerate(c)) / R(z) - 1)
                for z in (a + (b - a) * i / 1999 for i in range(2000)))
    return c, worst


if __name__ == "__main__":
    import math
    table = []
    for k in range(INTERVALS):
        c, worst = fit(k)
        table.append(c)
        print(f"/* interval {k}: relative error 2^{math.log2(worst):.1f} */")
    print(f"/* R(k + r), k = 0..{INTERVALS - 1}, |r| <= 1/2: c[j][k] (tools/fit_gelu_tail.py) */")
    for j in range(DEGREE + 1):
        row = ", ".join(float(table[k][j]).hex() for k in range(INTERVALS))
        print(f"    {{{row}}},")
