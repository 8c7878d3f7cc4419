"""The coefficients c3..c6 of vm32_exp_reduced (src/kernels/vmath_f32.h): e^r ~ 1 + r + r^2/2 +
c3 r^3 + ... + c6 r^6 on |r| <= ln(2)/2 (widened by 0.2 %), minimizing the relative error (Lawson's
iteratively reweighted least squares at 120 bits), then rounded to float32; prints them and the
error after rounding. Run: python tools/exp_f32/fit.py (needs mpmath)."""
import mpmath as mp
import numpy as np

mp.mp.prec = 120
h = mp.log(2) / 2 * mp.mpf("1.002")
N = 400
pts = [h * mp.cos(mp.pi * (i + 0.5) / N) for i in range(N)]
A, rhs, w = mp.matrix(N, 4), mp.matrix(N, 1), [mp.mpf(1)] * N
for _ in range(40):
    for i, r in enumerate(pts):
        e = mp.exp(r)
        for j in range(4):
            A[i, j] = r ** (j + 3) / e * mp.sqrt(w[i])
        rhs[i] = (e - 1 - r - r * r / 2) / e * mp.sqrt(w[i])
    c = mp.lu_solve(A.T * A, A.T * rhs)
    errs = [abs((1 + r + r * r / 2 + sum(c[j] * r ** (j + 3) for j in range(4))) / mp.exp(r) - 1) for r in pts]
    total = sum(w[i] * errs[i] for i in range(N))
    w = [w[i] * errs[i] / total for i in range(N)]
c32 = [np.float32(float(c[j])) for j in range(4)]
print("c3..c6:", [float(v).hex() for v in c32])
grid = [h * mp.mpf(i) / 2000 for i in range(-2000, 2001)]
err = max(abs((1 + r + r * r / 2 + sum(mp.mpf(float(c32[j])) * r ** (j + 3) for j in range(4))) / mp.exp(r) - 1) for r in grid)
print(f"max relative error with float32 coefficients: {float(err):.3g} ({float(err) / 2 ** -24:.3f} ULP below 1)")
