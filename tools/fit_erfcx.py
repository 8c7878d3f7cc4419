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

(float32 gelu has its own piecewise tables: tools/fit_gelu_f32.py, and tools/fit_gelu_tail.py for geglu.)
"""
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


if __name__ == "__main__":
    c = coefficients()
    print(f"/* {len(c)} coefficients, K = {K} (tools/fit_erfcx.py) */")
    print(",\n".join(f"    {float(v).hex()}" for v in c))
