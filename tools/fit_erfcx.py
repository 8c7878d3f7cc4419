"""Chebyshev coefficients of f(t) = (1 + t) erfcx(t), erfcx(t) = exp(t^2) erfc(t), on t >= 0, for
src/kernels/vmath.h.

f is written as a series in y = (t - K) / (t + K), which maps [0, inf) onto [-1, 1) and makes the
function analytic on the whole interval, so the coefficients fall geometrically. f rather than erfcx
because f stays within [1/sqrt(pi), 1] (erfcx falls like 1 / (t sqrt(pi))): the sum of the
coefficients' magnitudes (1.016) is then within a factor 1.8 of every value, so Clenshaw's
recurrence loses only a few units of 2^-53 relative (with erfcx itself, about 25 times more at
t = 12). The coefficients are computed at 160 bits with mpmath from f's values at N Chebyshev nodes
(a discrete cosine transform), and the series is cut where the dropped coefficients sum to < 2^-60.

    python tools/fit_erfcx.py        # prints the C table
    python tools/fit_erfcx.py 16     # the first 16 terms as powers of y (float32 results' gelu)

The second table serves results that need only ~2^-36 (float32 gelu): 16 terms (dropped: < 2^-37
relative), rewritten as a polynomial in y (at 160 bits, then rounded), so that it can be evaluated
by Estrin's scheme in 5 dependent steps instead of Clenshaw's 15. Its coefficients stay below 0.7
(no growth on [-1, 0.48], the y of t <= 11.4 where float32 gelu is not yet 0 or x).
"""
import sys

from mpmath import cos, erfc, exp, mp, mpf, pi

mp.prec = 160
K = 4
N = 90


def f(t):
    return (1 + t) * exp(t * t) * erfc(t)


def coefficients():
    nodes = [cos(pi * (j + mpf(1) / 2) / N) for j in range(N)]
    values = [f(K * (1 + y) / (1 - y)) for y in nodes]
    c = [2 * sum(values[j] * cos(pi * k * (j + mpf(1) / 2) / N) for j in range(N)) / N for k in range(N)]
    c[0] /= 2
    keep = next(i for i in range(N) if sum(abs(v) for v in c[i:]) < mpf(2) ** -60)
    return c[:keep]


def powers(c):
    """sum c[k] T_k(y) as sum p[j] y^j"""
    t = [[mpf(1)], [mpf(0), mpf(1)]]
    while len(t) < len(c):
        a = [mpf(0)] + [2 * v for v in t[-1]]
        b = t[-2] + [mpf(0)] * (len(a) - len(t[-2]))
        t.append([u - v for u, v in zip(a, b)])
    p = [mpf(0)] * len(c)
    for k, ck in enumerate(c):
        for j, v in enumerate(t[k]):
            p[j] += ck * v
    return p


if __name__ == "__main__":
    c = coefficients()
    if len(sys.argv) > 1:
        n = int(sys.argv[1])
        p = powers(c[:n])
        print(f"/* the first {n} terms as powers of y, K = {K} (tools/fit_erfcx.py {n}) */")
        print(",\n".join(f"    {float(v).hex()}" for v in p))
    else:
        print(f"/* {len(c)} coefficients, K = {K} (tools/fit_erfcx.py) */")
        print(",\n".join(f"    {float(v).hex()}" for v in c))
