"""Polynomials for tanhshrink(x) = x - tanh(x) on |x| <= 1 (src/kernels/ops_smooth.h and
ops_smooth_wide.h), where x - tanh(x) cancels (it is x^3/3 near 0): tanhshrink(x) = x^3 P(t),
t = x^2, P(t) = (x - tanh x) / x^3 = 1/3 - 2t/15 + 17t^2/315 - ...

- float64: P(t) = 1/3 - 2t/15 + t^2 S(t); the kernel holds 1/3 and -2/15 as double-doubles and
  takes the two outer steps exactly, so only S's rounding counts, at t^2 S / P <= 0.17 of the
  result. S is printed, highest degree first, with its error relative to P (below 2^-58).
- float32 (computed in float64): P(t) = 1/3 + t Q(t), relative error below 2^-31; its constant
  term is 1/3 rounded to float64, so that tiny results (x^3/3, float32 subnormals included) are
  within 2^-52 before their one rounding to float32.

Each polynomial interpolates its function at the Chebyshev points of t in [0, 1] (near-minimax),
computed at 200 bits with mpmath from the Taylor series of tanh (Bernoulli numbers), and rounded
to float64; the error is measured on 4000 points with the rounded coefficients.

    python tools/fit_tanhshrink.py
"""
from mpmath import bernoulli, cos, factorial, matrix, lu_solve, mp, mpf, pi, sqrt, tanh

mp.prec = 200
F64_DEGREE = 15   # S's degree
F32_DEGREE = 8    # Q's degree


def P(t):
    """(x - tanh x) / x^3 at x = sqrt(t); the Taylor series near 0 (no cancellation)."""
    if t < mpf(1) / 16:
        # tanh x = sum 2^(2n) (2^(2n) - 1) B_2n x^(2n-1) / (2n)!, the n = 1 term is x
        return -sum(2 ** (2 * n) * (2 ** (2 * n) - 1) * bernoulli(2 * n) * t ** (n - 2) / factorial(2 * n)
                    for n in range(2, 60))
    x = sqrt(t)
    return (x - tanh(x)) / x ** 3


def Q(t):
    return (P(t) - mpf(1) / 3) / t if t else mpf(-2) / 15


def S(t):
    return (P(t) - mpf(1) / 3 + 2 * t / 15) / t ** 2 if t else mpf(17) / 315


def fit(f, degree):
    n = degree + 1
    nodes = [(1 + cos(pi * (j + mpf(1) / 2) / n)) / 2 for j in range(n)]
    c = lu_solve(matrix([[t ** j for j in range(n)] for t in nodes]), matrix([f(t) for t in nodes]))
    return [float(c[j]) for j in range(n)]


def worst(c, f, weight):
    return max(abs(sum(mpf(cj) * t ** j for j, cj in enumerate(c)) - f(t)) * weight(t) / P(t)
               for t in (mpf(i) / 3999 for i in range(4000)))


def _rows(values, per_row=4):
    values = [v.hex() for v in values]
    return ",\n".join("    " + ", ".join(values[i:i + per_row]) for i in range(0, len(values), per_row))


if __name__ == "__main__":
    import math
    s = fit(S, F64_DEGREE)
    print(f"/* float64: S of degree {F64_DEGREE}, error relative to P 2^{math.log2(worst(s, S, lambda t: t * t)):.1f} */")
    print(_rows(reversed(s)))
    print("1/3 and -2/15 as double-doubles:")
    for v in (mpf(1) / 3, mpf(-2) / 15):
        hi = float(v)
        print(f"  {hi.hex()} {float(v - hi).hex()}")
    q = fit(Q, F32_DEGREE)
    print(f"/* float32: Q of degree {F32_DEGREE}, error relative to P 2^{math.log2(worst(q, Q, lambda t: t)):.1f} */")
    print(_rows(reversed([float(mpf(1) / 3)] + q)))
