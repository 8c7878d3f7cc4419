"""Accuracy of rectifier's smooth functions, in ULPs of the result type.

    python bench/accuracy.py sigmoid --dtype float32 --exhaustive --jobs 2      # all 2**32 inputs
    python bench/accuracy.py sigmoid --dtype float32 --stride 64                 # every 64th pattern
    python bench/accuracy.py elu --dtype float16 --path scalar,avx2              # all 65536 (default)
    python bench/accuracy.py elu --dtype bfloat16 --path scalar,avx2,avx512      # all 65536 (default)
    python bench/accuracy.py softplus --dtype float64 --sample 1000000           # random + edges
    python bench/accuracy.py --all --dtype float32 --exhaustive --jobs 2 --json out.json
    python bench/accuracy.py --selftest                                          # checks the tool

What it does: feeds inputs through ``rectifier.<function>`` on the chosen CPU path(s) (forced with
``rectifier.set_capabilities``; ``--path scalar,avx2`` sweeps both paths against one reference
computation, which is cheaper than two runs) and compares every result with a reference written
independently here from the functions' definitions:

  float32 / float16 / bfloat16 results: a float64 NumPy reference (stable forms: sigmoid from exp(-|x|),
      softplus = max(x,0) + log1p(exp(-|x|)), gelu tanh as x*sigmoid(2u), gelu exact as
      x*scipy.special.ndtr(x));
  float64 results: the same formulas in np.longdouble (x87 80-bit on x86-64: 64-bit significand)
      with the constants parsed at that precision; gelu (both forms) against mpmath at 120 bits,
      on a smaller sample (--mp-sample, default 10**5).
  sigmoid_grad, silu_grad: the derivative itself (grad=None), sigmoid' as e / (1 + e)^2 and
      silu' as sigmoid + x sigmoid' (in np.longdouble next to silu''s root, where it cancels).

ULP error: |y - ref| / ulp(ref), where ulp(ref) is the spacing of the result type at |ref| rounded
to that type (2**(e - p) for |ref| in [2**(e-1), 2**e), p = 24 / 11 / 53 / 8 significand bits), never
below the smallest subnormal (2**-149 / 2**-24 / 2**-1074 / 2**-133). bfloat16 (ml_dtypes' dtype,
needed for --dtype bfloat16 only) is held to 0.5 ULP: correctly rounded.  A correctly rounded result scores
<= 0.5 (up to the reference's own error, ~1e-8 ULP for float32 and ~1e-3 ULP for float64: a
correctly rounded result near a rounding midpoint can score 0.5000001).

Special values are not scored in ULPs but counted as mismatches, by kind, with every input listed
(up to --list):
  nan      NaN-ness differs (y is NaN and the reference is not, or the reverse);
  inf      the reference rounded to the type is +-inf (it overflows) and y is not that inf, or y is
           +-inf and the rounded reference is finite;
  zero     the reference is exactly 0 and y is not 0;
  sign0    y is a zero and the reference rounded to the type is a zero of the other sign (e.g. the
           limits silu(-inf) = -0.0; log_sigmoid(+inf) = -softplus(-inf) = -0.0; finite inputs
           whose true result is a negative number that underflows, which rounds to -0.0).
Limits at +-inf are set explicitly where the formula gives inf*0 (silu, mish, gelu, hardswish at
-inf: -0.0).

Output: per function, dtype and path: the maximum ULP error, the worst input (value and hex bits,
with y and the reference), the number of inputs above 0.5 and above 1 ULP, the mismatches, the
number of results that differ bit for bit between the paths, and the time; with --all, a Markdown
table for docs/accuracy.md.  Exit status 1 when a function exceeds its bound (float32 and
float16: 1 ULP; float64: 2 ULP; bfloat16: 0.5 ULP) or has a mismatch, else 0.

Sweeps: float32 inputs are processed in blocks of --chunk (2**20) consecutive bit patterns
(--stride K: every K-th pattern, which still covers every binade for K <= 2**23, plus the special
values), optionally over --jobs worker processes (fork).  Memory: about 110 MB per worker at the
default block (1.2 GB at 2**24, which is also ~1.7x slower: the temporaries leave the cache).
Time, float32, all 2**32 inputs of one function, --jobs 2 on a 2-CPU AMD EPYC that was busy with
other work: sigmoid 111 s on avx2, 161 s on scalar; every function on both paths at once: ~71 min
(bench/accuracy_results.md has the tables).

scipy and mpmath are used by this tool only (they are not dependencies of the package).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from dataclasses import dataclass, field

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------------------------
# the references (x: float64 or longdouble array; every function keeps x's dtype)
# --------------------------------------------------------------------------------------------

SELU_ALPHA = "1.6732632423543772848170429916717"
SELU_SCALE = "1.0507009873554804934193349852946"
PI = "3.14159265358979323846264338327950288"


def _c(x, value):
    """A constant at x's precision (a decimal string parsed at that precision)."""
    return x.dtype.type(value)


def _fix_neginf(x, y, value):
    """Set the limit at -inf where the formula gives inf*0 = NaN."""
    y[np.isneginf(x)] = value
    return y


def ref_elu(x, alpha=1.0):
    a = _c(x, repr(float(alpha)) if not isinstance(alpha, str) else alpha)
    return np.where(x > 0, x, a * np.expm1(x))


def ref_celu(x, alpha=1.0):
    a = _c(x, repr(float(alpha)) if not isinstance(alpha, str) else alpha)
    return np.where(x > 0, x, a * np.expm1(x / a))


def ref_selu(x):
    a, s = _c(x, SELU_ALPHA), _c(x, SELU_SCALE)
    return np.where(x > 0, s * x, (s * a) * np.expm1(x))


def ref_softplus(x, beta=1.0, threshold=None):
    b = _c(x, repr(float(beta)))
    y = np.maximum(x, 0) + np.log1p(np.exp(-b * np.abs(x))) / b
    if threshold is not None:
        y = np.where(b * x > _c(x, repr(float(threshold))), x, y)
    return y


def ref_sigmoid(x):
    e = np.exp(-np.abs(x))                      # in (0, 1]: no overflow
    one = _c(x, "1")
    return np.where(x >= 0, one / (one + e), e / (one + e))


def ref_sigmoid_grad(x):
    e = np.exp(-np.abs(x))
    one = _c(x, "1")
    return e / ((one + e) * (one + e))


def ref_silu_grad(x):
    # sigmoid(x) + x sigmoid'(x) (1 at +inf; -0.0 where the negative tail underflows, at -inf too).
    # Near the root x0 = -1.2785 the sum cancels: a float32 input there can lie within 2^-30 of x0,
    # so those inputs are computed again in np.longdouble (2^-64)
    def f(v):
        with np.errstate(invalid="ignore"):
            y = ref_sigmoid(v) + np.clip(v, -1e10, 1e10) * ref_sigmoid_grad(v)
        y[np.isposinf(v)] = 1
        y[(v < -2) & (y == 0)] = -0.0
        return _fix_neginf(v, y, -0.0)
    y = f(x)
    near = np.abs(x + _c(x, "1.2784645")) < _c(x, "0.01")
    if near.any() and x.dtype != np.longdouble:
        y[near] = f(x[near].astype(np.longdouble)).astype(x.dtype)
    return y


def ref_log_sigmoid(x):
    return -ref_softplus(-x)                    # so log_sigmoid(+inf) = -(+0) = -0.0


def ref_tanh(x):
    return np.tanh(x)                           # libm's tanh (tanhl for np.longdouble)


def ref_silu(x):
    return _fix_neginf(x, x * ref_sigmoid(x), -0.0)


def ref_mish(x):
    return _fix_neginf(x, x * np.tanh(ref_softplus(x)), -0.0)


def ref_hardsigmoid(x):
    return np.minimum(np.maximum(x + _c(x, "3"), 0), _c(x, "6")) / _c(x, "6")


def ref_hardswish(x):
    return _fix_neginf(x, x * (np.minimum(np.maximum(x + _c(x, "3"), 0), _c(x, "6")) / _c(x, "6")),
                       -0.0)


def ref_softsign(x):
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(x), np.sign(x), x / (_c(x, "1") + np.abs(x)))


def ref_hardshrink(x, lambd=0.5):
    return np.where(np.abs(x) <= _c(x, repr(float(lambd))), _c(x, "0"), x)


def ref_softshrink(x, lambd=0.5):
    lam = _c(x, repr(float(lambd)))
    shrunk = np.where(x > lam, x - lam, np.where(x < -lam, x + lam, _c(x, "0")))
    return np.where(np.isnan(x), x, shrunk)


def ref_squareplus(x, b=4.0):
    b = _c(x, repr(float(b)))
    with np.errstate(over="ignore", invalid="ignore"):
        s = np.sqrt(x * x + b)
        # (b / 2) / (s - x) for x < 0: no cancellation
        return np.where(x < 0, b / 2 / (s - x), np.where(np.isinf(x), x, (x + s) / 2))


def ref_sparse_plus(x):
    one = _c(x, "1")
    with np.errstate(over="ignore"):
        return np.where(x <= -one, _c(x, "0"), np.where(x >= one, x, (x + one) ** 2 / 4))


def ref_sparse_sigmoid(x):
    one = _c(x, "1")
    with np.errstate(over="ignore"):
        return np.where(x <= -one, _c(x, "0"), np.where(x >= one, one, (x + one) / 2))


def _tanhshrink_series():
    """x - tanh(x) = sum c_n x^(2n-1), n >= 2, c_n = -2^(2n) (2^(2n) - 1) B_2n / (2n)!, as exact
    fractions (the Bernoulli numbers by their recurrence), highest n first."""
    from fractions import Fraction
    from math import comb, factorial
    B = [Fraction(1)]
    for m in range(1, 61):
        B.append(-sum(comb(m + 1, k) * B[k] for k in range(m)) / (m + 1))
    return [-Fraction(4 ** n * (4 ** n - 1)) * B[2 * n] / factorial(2 * n) for n in range(30, 1, -1)]


def ref_tanhshrink(x):
    # below |x| = 1/2, tanh's series (28 terms: within 2^-70 there), no cancellation; above,
    # x - tanh(x) loses at most a factor 12 of the working precision
    from decimal import Decimal, getcontext
    getcontext().prec = 40
    t = x * x
    s = np.zeros_like(x)
    for c in _tanhshrink_series():
        s = s * t + _c(x, str(Decimal(c.numerator) / Decimal(c.denominator)))
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(x) < _c(x, "0.5"), x * t * s, x - np.tanh(x))


def mp_tanhshrink(ctx, xf: float):
    x = ctx.mpf(xf)
    if abs(xf) < 1e-6:              # x^3/3 - 2x^5/15 + 17x^7/315, within 2^-120
        t = x * x
        return x * t * (ctx.mpf(1) / 3 - 2 * t / 15 + 17 * t * t / 315)
    with ctx.workprec(ctx.prec + 50):   # x - tanh(x) cancels up to 3/x^2 < 2^42
        return +(x - ctx.tanh(x))


def ref_gelu_tanh(x):
    # 0.5*x*(1 + tanh(u)) == x*sigmoid(2u): no cancellation for x < 0
    k = np.sqrt(_c(x, "2") / _c(x, PI))
    with np.errstate(over="ignore", invalid="ignore"):
        u = k * (x + _c(x, "0.044715") * x * x * x)
    return _fix_neginf(x, x * ref_sigmoid(2 * u), -0.0)


def ref_gelu_none(x):
    from scipy.special import ndtr
    if x.dtype != np.float64:
        raise TypeError("gelu exact: the NumPy reference is float64 only (mpmath for float64)")
    return _fix_neginf(x, x * ndtr(x), -0.0)


# mpmath references for float64 (one element at a time)

def _mp_ctx():
    import mpmath
    ctx = mpmath.mp.clone() if hasattr(mpmath.mp, "clone") else mpmath.mp
    ctx.prec = 120
    return ctx


def mp_gelu_none(ctx, xf: float):
    # x * Phi(x) = x * erfc(-x/sqrt(2)) / 2
    if xf < -40.0:                  # |result| < phi(40) ~ 1e-348: underflows, negative
        return -ctx.mpf(2) ** -1200
    if xf > 40.0:                   # 1 - Phi(40) ~ 1e-350: x itself (minus that)
        return ctx.mpf(xf)
    x = ctx.mpf(xf)
    return x * ctx.erfc(-x / ctx.sqrt(2)) / 2


def mp_gelu_tanh(ctx, xf: float):
    if xf < -30.0:                  # |x*sigmoid(2u)| < 1e-800 (2u < -1900): underflows, negative
        return -ctx.mpf(2) ** -1200
    if xf > 30.0:
        return ctx.mpf(xf)
    x = ctx.mpf(xf)
    u = ctx.sqrt(2 / ctx.pi) * (x + ctx.mpf("0.044715") * x ** 3)
    return x / (1 + ctx.exp(-2 * u))


@dataclass
class Func:
    name: str           # the name in the table
    public: str         # rectifier.<public>
    kwargs: dict        # passed to rectifier.<public>
    ref: object         # ref(x, **params), float64 and longdouble
    mp: object = None   # mp(ctx, float) for float64 mode
    exp_family: bool = True
    params: tuple = ()  # parameter names the user may set with --param
    mp_minus_inf: float = 0.0   # the float64 mpmath mode's value at -inf (0: -0.0, the gelus' limit)


FUNCS = {f.name: f for f in [
    Func("elu", "elu", {}, ref_elu, params=("alpha",)),
    Func("celu", "celu", {}, ref_celu, params=("alpha",)),
    Func("selu", "selu", {}, ref_selu),
    Func("softplus", "softplus", {}, ref_softplus, params=("beta", "threshold")),
    Func("sigmoid", "sigmoid", {}, ref_sigmoid),
    Func("sigmoid_grad", "sigmoid_grad", {}, ref_sigmoid_grad),
    Func("silu_grad", "silu_grad", {}, ref_silu_grad),
    Func("log_sigmoid", "log_sigmoid", {}, ref_log_sigmoid),
    Func("silu", "silu", {}, ref_silu),
    Func("mish", "mish", {}, ref_mish),
    Func("hardsigmoid", "hardsigmoid", {}, ref_hardsigmoid, exp_family=False),
    Func("hardswish", "hardswish", {}, ref_hardswish, exp_family=False),
    Func("gelu_tanh", "gelu", {"approximate": "tanh"}, ref_gelu_tanh, mp=mp_gelu_tanh),
    Func("gelu", "gelu", {"approximate": "none"}, ref_gelu_none, mp=mp_gelu_none),
    Func("tanh", "tanh", {}, ref_tanh),
    Func("tanhshrink", "tanhshrink", {}, ref_tanhshrink, mp=mp_tanhshrink, mp_minus_inf=-math.inf),
    Func("softsign", "softsign", {}, ref_softsign, exp_family=False),
    Func("hardshrink", "hardshrink", {}, ref_hardshrink, exp_family=False, params=("lambd",)),
    Func("softshrink", "softshrink", {}, ref_softshrink, exp_family=False, params=("lambd",)),
    Func("squareplus", "squareplus", {}, ref_squareplus, exp_family=False, params=("b",)),
    Func("sparse_plus", "sparse_plus", {}, ref_sparse_plus, exp_family=False),
    Func("sparse_sigmoid", "sparse_sigmoid", {}, ref_sparse_sigmoid, exp_family=False),
]}
ALIASES = {"gelu_none": "gelu", "gelu-tanh": "gelu_tanh", "logistic": "sigmoid"}

# --------------------------------------------------------------------------------------------
# types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TypeInfo:
    dtype: object
    uint: object        # the unsigned integer of the same width
    p: int              # significand bits (with the implicit one)
    min_exp: int        # exponent of the smallest subnormal
    work: object        # the reference's dtype
    bound: float        # the bound for the exp family
    hexw: int


TYPES = {
    "float16": TypeInfo(np.float16, np.uint16, 11, -24, np.float64, 1.0, 4),
    "float32": TypeInfo(np.float32, np.uint32, 24, -149, np.float64, 1.0, 8),
    "float64": TypeInfo(np.float64, np.uint64, 53, -1074, np.longdouble, 2.0, 16),
}
try:
    import ml_dtypes
    TYPES["bfloat16"] = TypeInfo(ml_dtypes.bfloat16, np.uint16, 8, -133, np.float64, 0.5, 4)
except ImportError:     # --dtype bfloat16 needs it
    ml_dtypes = None


def finfo(t: TypeInfo):
    return np.finfo(t.dtype) if ml_dtypes is None or t.p != 8 else ml_dtypes.finfo(t.dtype)


def round_to_type(ref, t: TypeInfo):
    """ref rounded once to the type: bfloat16 by round-to-odd to float32 (16 spare bits make the
    second rounding exact), then nearest even; the others directly."""
    if t.p != 8:
        return ref.astype(t.dtype)
    f = ref.astype(np.float32)
    fw = f.astype(ref.dtype)
    inexact = np.isfinite(ref) & (fw != ref)
    bits = f.view(np.uint32).copy()
    bits[inexact & (np.abs(fw) > np.abs(ref))] -= 1     # truncated toward zero...
    bits[inexact] |= 1                                  # ...and made odd
    return bits.view(np.float32).astype(t.dtype)


def hexbits(v, t: TypeInfo) -> str:
    return "0x" + format(int(np.asarray(v, t.dtype).view(t.uint)), f"0{t.hexw}x")


def fmt_val(v, t: TypeInfo) -> str:
    v = t.dtype(v)
    if np.isnan(v):
        return "nan"
    return repr(float(v)) if t.dtype == np.float64 else str(v)


def fmt_ref(r) -> str:
    """The reference, with enough digits to see the rounding."""
    try:
        if isinstance(r, np.floating):
            return np.format_float_scientific(r, precision=20 if r.dtype == np.longdouble else 17)
        return str(r)
    except Exception:
        return str(r)

# --------------------------------------------------------------------------------------------
# the comparison of one block
# --------------------------------------------------------------------------------------------

KINDS = ("nan", "inf", "zero", "sign0")


@dataclass
class PathStats:
    n: int = 0
    max_err: float = 0.0
    worst: tuple | None = None          # (x, y, ref, err)
    above_half: int = 0
    above_one: int = 0
    above_bound: list = field(default_factory=list)     # examples (x, y, ref, err), err > bound
    n_above_bound: int = 0
    mism: dict = field(default_factory=lambda: {k: 0 for k in KINDS})
    mism_ex: dict = field(default_factory=lambda: {k: [] for k in KINDS})
    kernel_s: float = 0.0
    differs: int = 0                    # bit differences against the first path

    def merge(self, o: "PathStats", limit: int):
        self.n += o.n
        if o.worst is not None and (self.worst is None or o.max_err > self.max_err):
            self.max_err, self.worst = o.max_err, o.worst
        self.above_half += o.above_half
        self.above_one += o.above_one
        self.n_above_bound += o.n_above_bound
        self.above_bound = (self.above_bound + o.above_bound)[:limit]
        for k in KINDS:
            self.mism[k] += o.mism[k]
            self.mism_ex[k] = (self.mism_ex[k] + o.mism_ex[k])[:limit]
        self.kernel_s += o.kernel_s
        self.differs += o.differs

    @property
    def n_mism(self):
        return sum(self.mism.values())


def _examples(idx, x, y, ref, err, limit):
    out = []
    for i in idx[:limit]:
        out.append((x[i], y[i], ref[i], None if err is None else float(err[i])))
    return out


def compare(x, y, ref, t: TypeInfo, bound: float, limit: int) -> PathStats:
    """Score y (type t) against ref for inputs x (type t): ref float64 for float16/float32 (the
    fast form below), longdouble for float64 (compare_generic)."""
    if ref.dtype != np.float64 or t.dtype == np.float64 or t.p == 8:
        return compare_generic(x, y, ref, t, bound, limit)
    # Fast form. Where y is bit-identical to the reference rounded to the type, there is no
    # mismatch of any kind and the error is <= 0.5; the special-value checks therefore run on the
    # (few) other elements only. ulp(r) = 2**(max(E, 1) - bias - mbits) from r's exponent field E.
    st = PathStats(n=x.size)
    mbits = t.p - 1
    emax = (1 << (8 * np.dtype(t.dtype).itemsize - 1 - mbits)) - 1
    bias = emax >> 1
    with np.errstate(all="ignore"):
        r = ref.astype(t.dtype)
        rb, yb = r.view(t.uint), y.view(t.uint)
        S = np.flatnonzero(rb != yb)
        E = (rb >> t.uint(mbits)).astype(np.uint32) & np.uint32(emax)
        inv_ulp = ((np.uint32(bias + mbits + 1023) - np.maximum(E, np.uint32(1))).astype(np.uint64)
                   << np.uint64(52)).view(np.float64)
        err = y.astype(np.float64)
        err -= ref
        np.abs(err, out=err)
        err *= inv_ulp
        err[E == emax] = 0                          # r is inf or NaN (then y is too, or y is in S)
        # the special-value checks, on S
        xs, ys, refs, rs = x[S], y[S], ref[S], r[S]
        nan_r, nan_y = np.isnan(refs), np.isnan(ys)
        inf_r, inf_y = np.isinf(rs), np.isinf(ys)
        both_num = ~nan_r & ~nan_y
        bad = {
            "nan": nan_r != nan_y,
            "inf": both_num & (inf_r | inf_y) & (ys != rs),
            "zero": both_num & (refs == 0) & (ys != 0),
            "sign0": both_num & (rs == 0) & (ys == 0) & (np.signbit(rs) != np.signbit(ys)),
        }
        err[S[~(both_num & ~inf_r & ~inf_y & ~bad["zero"])]] = 0
    for k in KINDS:
        idx = np.flatnonzero(bad[k])
        st.mism[k] = int(idx.size)
        st.mism_ex[k] = _examples(idx, xs, ys, refs, None, limit)
    _score(st, err, x, y, ref, bound, limit, any_finite=True)
    return st


def _score(st, err, x, y, ref, bound, limit, any_finite):
    if err.size and any_finite:
        i = int(np.argmax(err))
        st.max_err = float(err[i])
        st.worst = (x[i], y[i], ref[i], st.max_err)
    st.above_half = int(np.count_nonzero(err > 0.5))
    st.above_one = int(np.count_nonzero(err > 1.0))
    big = np.flatnonzero(err > bound)
    st.n_above_bound = int(big.size)
    if big.size:
        order = big[np.argsort(-err[big], kind="stable")]
        st.above_bound = _examples(order, x, y, ref, err, limit)


def compare_generic(x, y, ref, t: TypeInfo, bound: float, limit: int) -> PathStats:
    """Every check on every element (float64 results against a longdouble reference)."""
    st = PathStats(n=x.size)
    w = ref.dtype.type
    with np.errstate(all="ignore"):
        r = round_to_type(ref, t)                   # the reference rounded to the type
        yw = y.astype(ref.dtype)
        nan_r, nan_y = np.isnan(ref), np.isnan(y)
        inf_r, inf_y = np.isinf(r), np.isinf(y)
        both_num = ~nan_r & ~nan_y
        bad = {
            "nan": nan_r != nan_y,
            "inf": both_num & (inf_r | inf_y) & (y != r),
            "zero": both_num & (ref == 0) & (y != 0),
            "sign0": both_num & (r == 0) & (y == 0) & (np.signbit(r) != np.signbit(y)),
        }
        finite = both_num & ~inf_r & ~inf_y & ~bad["zero"]
        _, e = np.frexp(np.abs(r.astype(w)))        # |r| in [2**(e-1), 2**e); r = 0: e = 0
        e = np.where(r == 0, t.min_exp + t.p, e.astype(np.int32))
        ulp = np.ldexp(w(1), np.maximum(e - t.p, t.min_exp))
        err = np.abs(yw - ref) / ulp
        err[~finite] = 0
    for k in KINDS:
        idx = np.flatnonzero(bad[k])
        st.mism[k] = int(idx.size)
        st.mism_ex[k] = _examples(idx, x, y, ref, None, limit)
    _score(st, err, x, y, ref, bound, limit, any_finite=bool(finite.any()))
    return st

# --------------------------------------------------------------------------------------------
# running rectifier on a path
# --------------------------------------------------------------------------------------------


def _path_names():
    import rectifier._core
    return rectifier._core.PATHS


def _active_path():
    import rectifier
    return rectifier.capabilities()["active"]


def set_path(path: str):
    import rectifier
    rectifier.set_capabilities(["scalar"] if path == "scalar" else ["scalar", path])
    active = rectifier.capabilities()["active"]
    if active != path:
        raise RuntimeError(f"asked for path {path!r}, rectifier says {active!r} is active")


def kernel(func: Func, params: dict, impl: str):
    """The function under test: rectifier.<public>(x, out=..., **kwargs), or a stand-in."""
    if impl == "rectifier":
        import rectifier
        f = getattr(rectifier, func.public)
        kw = {**func.kwargs, **params}
        return lambda x, out: f(x, out=out, **kw)
    return standin(func, params, impl)


def standin(func: Func, params: dict, impl: str):
    """Stand-ins to test the tool itself (no rectifier call):
    exact      the float64 reference rounded once: <= 0.5 ULP (bar the reference's own noise);
    expit      sigmoid as scipy.special.expit in float64 rounded to the type (the brief's example);
    native     the formula evaluated in the input's own type with NumPy (libm expf/expm1f...):
               typically 1-3 ULP, a realistic non-trivial error pattern;
    nudge      the exact result moved by one ULP where the bit pattern's low bits are 0b101 (so
               about 1/8 of the inputs score 1 to 1.5 ULP), and the sign of zero flipped at -inf.
    """
    ref = func.ref
    kw = {**params}

    def exact(x, out):
        w = np.longdouble if x.dtype == np.float64 else np.float64
        with np.errstate(all="ignore"):
            out[...] = ref(x.astype(w), **kw).astype(x.dtype)
        return out

    if impl == "exact":
        return exact
    if impl == "expit":
        from scipy.special import expit
        def f(x, out):
            with np.errstate(all="ignore"):
                out[...] = expit(x.astype(np.float64)).astype(x.dtype)
            return out
        return f
    if impl == "native":
        def f(x, out):
            with np.errstate(all="ignore"):
                if func.name == "gelu":
                    from scipy.special import ndtr
                    out[...] = (x * ndtr(x)).astype(x.dtype)
                else:
                    out[...] = ref(x, **kw) if x.dtype != np.float16 else ref(x.astype(np.float32), **kw)
            return out
        return f
    if impl == "nudge":
        def f(x, out):
            exact(x, out)
            u = out.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[x.itemsize])
            xb = x.view(u.dtype)
            m = ((xb & 7) == 5) & np.isfinite(out) & (out != 0) & (np.abs(out) < np.finfo(x.dtype).max)
            u[m] += 1
            out[np.isneginf(x)] = np.copysign(out[np.isneginf(x)], 1.0)
            return out
        return f
    raise ValueError(f"unknown --impl {impl!r}")

# --------------------------------------------------------------------------------------------
# float32 / float16 sweeps
# --------------------------------------------------------------------------------------------

_W: dict = {}      # worker state


def _worker_init(fname, params, paths, impl, tname, bound, limit):
    _W.update(func=FUNCS[fname], params=params, paths=paths, impl=impl, t=TYPES[tname],
              bound=bound, limit=limit, kern=kernel(FUNCS[fname], params, impl))


def _run_block(task):
    """One block of bit patterns: start + step*i for i < count (or an explicit array of bit
    patterns). Returns ({path: PathStats}, reference seconds, block seconds)."""
    t: TypeInfo = _W["t"]
    if isinstance(task, np.ndarray):
        return _run_bits(task.astype(t.uint))
    start, count, step = task
    return _run_bits(np.arange(start, start + count * step, step, dtype=np.uint64).astype(t.uint))


def sweep_tasks(t: TypeInfo, mode: str, stride: int, sample: int, chunk: int, seed: int):
    nbits = 8 * np.dtype(t.dtype).itemsize
    total = 1 << nbits
    if mode == "sample":
        return None     # handled separately
    step = stride
    n = total // step
    per = max(1, chunk)
    tasks = [(i * step, min(per, n - i), step) for i in range(0, n, per)]
    if step > 1:                           # a strided sweep checks the special values too
        sb = special_bits(t)
        tasks.append(sb[sb.astype(np.uint64) % np.uint64(step) != 0])
    return tasks


def run_sweep(func: Func, params, paths, impl, tname, mode, stride, sample, chunk, jobs, limit,
              seed, progress=True):
    t = TYPES[tname]
    bound = t.bound
    init = (func.name, params, paths, impl, tname, bound, limit)
    stats = {p: PathStats() for p in paths}
    t_ref = 0.0
    t0 = time.perf_counter()
    if mode == "sample":
        # random bit patterns plus the special values and the neighbours of the type's edges
        _worker_init(*init)
        rng = np.random.default_rng(seed)
        nbits = 8 * np.dtype(t.dtype).itemsize
        bits = rng.integers(0, 1 << nbits, size=sample, dtype=np.uint64).astype(t.uint)
        bits = np.concatenate([bits, special_bits(t)])
        tasks_out = []
        for s in range(0, bits.size, chunk):
            tasks_out.append(_run_bits(bits[s:s + chunk]))
    else:
        tasks = sweep_tasks(t, mode, stride, sample, chunk, seed)
        if jobs > 1 and len(tasks) > 1:
            import multiprocessing as mp
            ctx = mp.get_context("fork")
            with ctx.Pool(jobs, initializer=_worker_init, initargs=init) as pool:
                tasks_out = []
                for k, r in enumerate(pool.imap_unordered(_run_block, tasks)):
                    tasks_out.append(r)
                    _progress(progress, func, tname, k + 1, len(tasks), t0)
        else:
            _worker_init(*init)
            tasks_out = []
            for k, task in enumerate(tasks):
                tasks_out.append(_run_block(task))
                _progress(progress, func, tname, k + 1, len(tasks), t0)
    for r, tr, _ in tasks_out:
        t_ref += tr
        for p in paths:
            stats[p].merge(r[p], limit)
    if progress and mode != "sample" and len(tasks_out) > 1:
        print(file=sys.stderr)
    return stats, time.perf_counter() - t0, t_ref


def _progress(on, func, tname, k, n, t0):
    if on and n > 1:
        el = time.perf_counter() - t0
        print(f"\r  {func.name} {tname}: block {k}/{n}, {el:.0f} s, eta {el / k * (n - k):.0f} s   ",
              end="", file=sys.stderr, flush=True)


def _run_bits(bits):
    t: TypeInfo = _W["t"]
    # reuse _run_block's body on an explicit bit array
    func: Func = _W["func"]
    t0 = time.perf_counter()
    x = bits.view(t.dtype)
    with np.errstate(all="ignore"):
        ref = func.ref(x.astype(t.work), **_W["params"])
    t_ref = time.perf_counter() - t0
    out, y0 = {}, None
    y = np.empty_like(x)
    for path in _W["paths"]:
        if _W["impl"] == "rectifier":
            set_path(path)
        k0 = time.perf_counter()
        _W["kern"](x, y)
        k1 = time.perf_counter()
        st = compare(x, y, ref, t, _W["bound"], _W["limit"])
        st.kernel_s = k1 - k0
        if y0 is None:
            y0 = y.copy()
        else:
            st.differs = int(np.count_nonzero((y0.view(t.uint) != y.view(t.uint))
                                              & ~(np.isnan(y0) & np.isnan(y))))
        out[path] = st
    return out, t_ref, time.perf_counter() - t0


def special_bits(t: TypeInfo):
    f = finfo(t)
    vals = [0.0, -0.0, np.inf, -np.inf, np.nan, float(f.max), -float(f.max), float(f.smallest_normal),
            -float(f.smallest_normal), float(f.smallest_subnormal), -float(f.smallest_subnormal)]
    return np.array(vals, dtype=t.dtype).view(t.uint)

# --------------------------------------------------------------------------------------------
# float64
# --------------------------------------------------------------------------------------------

F64_EDGES = [
    # exp / expm1 / log1p thresholds (float64 and float32), the softplus/sigmoid saturation points
    709.782712893384, 709.0895657128241, 708.3964185322641, 745.1332191019411, 744.4400719213812,
    36.04365338911715, 36.7368005696771, 37.42994775023705, 18.021826694558577, 19.0, 20.0,
    88.72283935546875, 87.33654475, 103.97207708, 104.0, 89.41598629223294, 16.635532333438687,
    # range-reduction boundaries and small arguments
    0.34657359027997264, 0.6931471805599453, 1.0397207708399179, 0.5, 1.0, 2.0, 3.0, 6.0, 1e-8,
    2.0 ** -27, 2.0 ** -54, 2.0 ** -1022, 5e-324, 1e-300,
    # gelu
    5.0, 5.8, 8.0, 10.0, 26.5, 27.0, 37.5, 38.5, 40.0,
]


def float64_inputs(n: int, seed: int, edges_ulps: int = 100) -> np.ndarray:
    """Random finite bit patterns (n/4), log-uniform decades 1e-300..1e3 of both signs (n/4),
    uniform on [-750, 750] (n/4) and on [-40, 40] (n/4), plus every edge value +- edges_ulps
    ULPs (both signs) and the special values."""
    rng = np.random.default_rng(seed)
    q = n // 4
    b = rng.integers(0, 1 << 64, size=2 * q, dtype=np.uint64).view(np.float64)
    b = b[np.isfinite(b)][:q]
    sgn = np.where(rng.random(q) < 0.5, -1.0, 1.0)
    dec = sgn * 10.0 ** rng.uniform(-300, 3, q)
    u1 = rng.uniform(-750, 750, q)
    u2 = rng.uniform(-40, 40, n - 3 * q)
    e = np.array(F64_EDGES, np.float64)
    k = np.arange(-edges_ulps, edges_ulps + 1, dtype=np.int64)
    nb = (e.view(np.int64)[:, None] + k[None, :]).ravel().view(np.float64)
    nb = nb[np.isfinite(nb) & (nb > 0)]
    edges = np.concatenate([nb, -nb])
    spec = special_bits(TYPES["float64"]).view(np.float64)
    return np.concatenate([b, dec, u1, u2, edges, spec])


def run_float64(func: Func, params, paths, impl, n, mp_n, seed, limit, chunk, lohi=None):
    t = TYPES["float64"]
    use_mp = func.mp is not None
    if lohi is not None:        # --range: uniform on [lo, hi] only (hunting in a region)
        x = np.random.default_rng(seed).uniform(lohi[0], lohi[1], mp_n if use_mp else n)
    else:
        x = float64_inputs(mp_n if use_mp else n, seed, edges_ulps=8 if use_mp else 100)
    kern = kernel(func, params, impl)
    t0 = time.perf_counter()
    if use_mp:
        ctx = _mp_ctx()
        ref = np.empty(x.size, dtype=object)
        for i, xi in enumerate(x.tolist()):
            if math.isnan(xi):
                ref[i] = ctx.mpf("nan")
            elif math.isinf(xi):
                ref[i] = (ctx.mpf(xi) if xi > 0 else ctx.mpf(func.mp_minus_inf) if func.mp_minus_inf
                          else ctx.mpf(0) * -1)  # -> -0.0
            else:
                ref[i] = func.mp(ctx, xi)
    else:
        with np.errstate(all="ignore"):
            ref = func.ref(x.astype(np.longdouble), **params)
    t_ref = time.perf_counter() - t0
    stats = {}
    y0 = None
    for path in paths:
        if impl == "rectifier":
            set_path(path)
        y = np.empty_like(x)
        k0 = time.perf_counter()
        kern(x, y)
        k1 = time.perf_counter()
        if use_mp:
            st = compare_mp(ctx, x, y, ref, t, limit, neginf=(x == -np.inf) & (func.mp_minus_inf == 0))
        else:
            st = compare(x, y, ref, t, t.bound, limit)
        st.kernel_s = k1 - k0
        if y0 is None:
            y0 = y.copy()
        else:
            st.differs = int(np.count_nonzero((y0.view(np.uint64) != y.view(np.uint64))
                                              & ~(np.isnan(y0) & np.isnan(y))))
        stats[path] = st
    return stats, time.perf_counter() - t0, t_ref, x.size


def compare_mp(ctx, x, y, ref, t: TypeInfo, limit, neginf):
    """compare() with an mpmath reference: the error is computed in mpmath; the special-value
    checks on the reference rounded to float64 (plus the sign of the mp value)."""
    st = PathStats(n=x.size)
    errs = np.zeros(x.size)
    bad = {k: [] for k in KINDS}
    for i in range(x.size):
        R = ref[i]
        yi = float(y[i])
        if ctx.isnan(R):
            if not math.isnan(yi):
                bad["nan"].append(i)
            continue
        if math.isnan(yi):
            bad["nan"].append(i)
            continue
        if neginf[i]:                       # -0.0 limit
            r = -0.0
        else:
            r = float(R)                     # rounded to nearest double (overflows to inf)
        if math.isinf(r) or math.isinf(yi):
            if yi != r:
                bad["inf"].append(i)
            continue
        if R == 0 and not neginf[i]:
            if yi != 0:
                bad["zero"].append(i)
                continue
        if r == 0 and yi == 0:
            # mpmath has no -0: an exact zero takes x's sign (both gelus are x * (something >= 0))
            rneg = (R < 0) if R != 0 else (neginf[i] or math.copysign(1, float(x[i])) < 0)
            if rneg != (math.copysign(1, yi) < 0):
                bad["sign0"].append(i)
            continue
        if neginf[i]:
            if yi != 0:
                bad["zero"].append(i)
            continue
        m, e = math.frexp(abs(r)) if r != 0 else (0.0, -2000)
        ulp = ctx.ldexp(1, max(e - t.p, t.min_exp))
        errs[i] = float(abs(ctx.mpf(yi) - R) / ulp)
    for k in KINDS:
        st.mism[k] = len(bad[k])
        st.mism_ex[k] = [(x[i], y[i], ref[i], None) for i in bad[k][:limit]]
    i = int(np.argmax(errs))
    st.max_err = float(errs[i])
    st.worst = (x[i], y[i], ref[i], st.max_err)
    st.above_half = int(np.count_nonzero(errs > 0.5))
    st.above_one = int(np.count_nonzero(errs > 1.0))
    big = np.flatnonzero(errs > t.bound)
    st.n_above_bound = int(big.size)
    st.above_bound = [(x[j], y[j], ref[j], float(errs[j])) for j in big[np.argsort(-errs[big])][:limit]]
    return st

# --------------------------------------------------------------------------------------------
# reporting
# --------------------------------------------------------------------------------------------


def describe_input(v, t: TypeInfo) -> str:
    return f"{fmt_val(v, t)} ({hexbits(v, t)})"


def print_report(func: Func, tname, paths, stats, wall, t_ref, n, mode_desc, params, limit):
    t = TYPES[tname]
    bound = t.bound
    ptxt = "".join(f", {k}={v}" for k, v in params.items())
    print(f"\n== {func.name}{ptxt}  {tname}  {mode_desc}: {n} inputs, {wall:.1f} s "
          f"(reference {t_ref:.1f} s)")
    for p in paths:
        st = stats[p]
        print(f"  [{p}] max {st.max_err:.4f} ULP", end="")
        if st.worst is not None:
            x, y, r, e = st.worst
            print(f" at x = {describe_input(x, t)}: y = {fmt_val(y, t)} ({hexbits(y, t)}), "
                  f"ref = {fmt_ref(r)}", end="")
        print()
        print(f"      > 0.5 ULP: {st.above_half}   > 1 ULP: {st.above_one}   "
              f"> {bound:g} ULP (bound): {st.n_above_bound}   kernel time {st.kernel_s:.2f} s"
              + (f"   differs from [{paths[0]}]: {st.differs}" if p != paths[0] else ""))
        mm = ", ".join(f"{k} {v}" for k, v in st.mism.items())
        print(f"      special-value mismatches: {st.n_mism} ({mm})")
        for k in KINDS:
            for (x, y, r, _) in st.mism_ex[k]:
                print(f"        {k}: x = {describe_input(x, t)}  y = {fmt_val(y, t)} ({hexbits(y, t)})"
                      f"  ref = {fmt_ref(r)}")
            if st.mism[k] > len(st.mism_ex[k]):
                print(f"        {k}: ... {st.mism[k] - len(st.mism_ex[k])} more")
        for (x, y, r, e) in st.above_bound:
            print(f"        > bound: x = {describe_input(x, t)}  y = {fmt_val(y, t)} ({hexbits(y, t)})"
                  f"  ref = {fmt_ref(r)}  err = {e:.4f} ULP")
        if st.n_above_bound > len(st.above_bound):
            print(f"        > bound: ... {st.n_above_bound - len(st.above_bound)} more")


def table_row(func: Func, tname, path, st: PathStats, mode_desc):
    t = TYPES[tname]
    worst = "-" if st.worst is None else f"`{describe_input(st.worst[0], t)}`"
    mism = "0" if st.n_mism == 0 else f"**{st.n_mism}** (" + ", ".join(
        f"{k} {v}" for k, v in st.mism.items() if v) + ")"
    name = "gelu (tanh)" if func.name == "gelu_tanh" else (
        "gelu (none)" if func.name == "gelu" else func.name)
    maxe = f"{st.max_err:.4f}"
    if st.max_err > t.bound:
        maxe = f"**{maxe}**"
    return (f"| {name} | {tname} | {path} | {mode_desc} | {maxe} | {worst} | {st.above_half} | "
            f"{st.above_one} | {mism} |")


TABLE_HEAD = ("| function | dtype | path | inputs | max ULP | worst input | inputs > 0.5 ULP | "
              "inputs > 1 ULP | mismatches |\n|---|---|---|---|---|---|---|---|---|")


def machine_line() -> str:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}, NumPy {np.__version__}"


def build_id() -> str:
    """Which build of rectifier ran: the sha1 (first 12 digits) and mtime of its extension."""
    try:
        import glob
        import hashlib
        import rectifier
        d = os.path.dirname(rectifier.__file__)
        out = []
        for so in sorted(glob.glob(os.path.join(d, "_core*.so")) + glob.glob(os.path.join(d, "_core*.pyd"))):
            with open(so, "rb") as fh:
                h = hashlib.sha1(fh.read()).hexdigest()[:12]
            out.append(f"{os.path.basename(so)} sha1 {h} "
                       f"({time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(os.path.getmtime(so)))})")
        return "; ".join(out) or "?"
    except Exception as e:     # noqa: BLE001
        return f"? ({e})"


def gelu_none_available() -> bool:
    try:
        import rectifier
        rectifier.gelu(np.zeros(4, np.float32), approximate="none")
        return True
    except Exception:
        return False

# --------------------------------------------------------------------------------------------
# self-test of the tool (no rectifier needed)
# --------------------------------------------------------------------------------------------


def selftest() -> int:
    ok = True

    def check(cond, what):
        nonlocal ok
        print(("ok   " if cond else "FAIL ") + what)
        ok &= bool(cond)

    for tname in ("float16", "float32"):
        mode = "exhaustive" if tname == "float16" else "stride"
        stride = 1 if tname == "float16" else 4099
        for fname in FUNCS:
            st, *_ = run_sweep(FUNCS[fname], {}, ["x"], "exact", tname, mode, stride, 0, 1 << 20, 1,
                               5, 0, progress=False)
            s = st["x"]
            check(s.max_err <= 0.5 + 1e-6 and s.n_mism == 0,
                  f"exact stand-in {fname} {tname}: max {s.max_err:.7f}, mismatches {s.mism}")
    st, *_ = run_sweep(FUNCS["sigmoid"], {}, ["x"], "expit", "float32", "stride", 257, 0, 1 << 22, 1,
                       5, 0, progress=False)
    s = st["x"]
    check(s.max_err <= 0.5 + 1e-6 and s.n_mism == 0 and s.above_one == 0,
          f"expit stand-in for sigmoid float32: max {s.max_err:.7f} ULP, >0.5: {s.above_half}")
    st, *_ = run_sweep(FUNCS["elu"], {}, ["x"], "native", "float32", "stride", 257, 0, 1 << 22, 1,
                       5, 0, progress=False)
    s = st["x"]
    check(0.5 < s.max_err < 4 and s.above_half > 0,
          f"native float32 elu (expm1f): max {s.max_err:.4f} ULP, >0.5: {s.above_half}, >1: {s.above_one}")
    st, *_ = run_sweep(FUNCS["silu"], {}, ["x"], "nudge", "float32", "stride", 257, 0, 1 << 22, 1,
                       5, 0, progress=False)
    s = st["x"]
    check(1.0 < s.max_err <= 1.5 + 1e-6 and s.above_one > 0 and s.mism["sign0"] == 1,
          f"nudged silu float32: max {s.max_err:.4f} ULP, >1: {s.above_one}, mismatches {s.mism}")
    # hand-made mismatches
    t = TYPES["float32"]
    x = np.array([1.0, 2.0, 3.0, -1.0, 5.0, 100.0, -200.0, 7.0], np.float32)
    ref = np.array([np.nan, 1.0, 0.0, -0.0, 1e39, 2.0, -1e-50, 1e-50])
    y = np.array([1.0, np.nan, 1e-45, 0.0, 3.4028235e38, np.inf, 0.0, 2.0 ** -149], np.float32)
    s = compare(x, y, ref, t, 1.0, 10)
    check(s.mism == {"nan": 2, "inf": 2, "zero": 1, "sign0": 2} and abs(s.max_err - 1.0) < 1e-4,
          f"hand-made mismatches counted by kind: {s.mism}; 2**-149 for 1e-50 scores {s.max_err}")
    # ulp at the edges: y = ref rounded, off by one ULP
    ref = np.array([1.0, 2.0 ** -149, 2.0 ** -140 * 1.5, float(np.finfo(np.float32).max)])
    with np.errstate(all="ignore"):
        y = np.nextafter(ref.astype(np.float32), np.float32(np.inf))
    s = compare(np.zeros(4, np.float32), y, ref, t, 1.0, 10)
    check(abs(s.max_err - 1.0) < 1e-12 and s.mism["inf"] == 1 and s.above_one == 0,
          f"one ULP above 1, 2**-149, 1.5*2**-140 scores 1.0 (max -> inf counted as inf): "
          f"{s.max_err}, {s.mism}")
    # the fast comparison agrees with the generic one (float16 exhaustive, float32 strided), on
    # outputs with errors and special-value mismatches
    for tname, stride in (("float16", 1), ("float32", 65521)):
        tt = TYPES[tname]
        bits = np.arange(0, 1 << (8 * np.dtype(tt.dtype).itemsize), stride, dtype=np.uint64)
        x = np.concatenate([bits.astype(tt.uint), special_bits(tt)]).view(tt.dtype)
        for fname, impl in (("elu", "native"), ("silu", "nudge"), ("log_sigmoid", "native")):
            with np.errstate(all="ignore"):
                ref = FUNCS[fname].ref(x.astype(np.float64))
            y = np.empty_like(x)
            standin(FUNCS[fname], {}, impl)(x, y)
            y[::997] = np.nan
            y[5::1009] = -y[5::1009]
            y[7::1013] = np.inf
            a, b = compare(x, y, ref, tt, 1.0, 5), compare_generic(x, y, ref, tt, 1.0, 5)
            same = (a.mism == b.mism and a.max_err == b.max_err and a.above_half == b.above_half
                    and a.above_one == b.above_one and a.n_above_bound == b.n_above_bound
                    and hexbits(a.worst[0], tt) == hexbits(b.worst[0], tt))
            check(same, f"fast == generic comparison, {fname} {impl} {tname}: max {a.max_err:.4f}/"
                        f"{b.max_err:.4f}, >0.5 {a.above_half}/{b.above_half}, {a.mism}/{b.mism}")
    # float64 references: longdouble vs mpmath for the gelus, small sample
    for fname in ("gelu_tanh",):
        x = float64_inputs(2000, 1, edges_ulps=2)
        x = x[np.isfinite(x)]
        with np.errstate(all="ignore"):
            ld = FUNCS[fname].ref(x.astype(np.longdouble))
        ctx = _mp_ctx()
        worst = 0.0
        for xi, li in zip(x.tolist(), ld):
            R = FUNCS[fname].mp(ctx, xi)
            r = float(R)
            if r == 0 or math.isinf(r):
                continue
            m, e = math.frexp(abs(r))
            worst = max(worst, float(abs(ctx.mpf(float(li)) - R) / ctx.ldexp(1, max(e - 53, -1074))))
        # x87 longdouble is not enough for gelu's deep negative tail (the error of u, ~|u|*2**-64,
        # is multiplied by 2|u| ~ 1400 in exp): hence mpmath for the gelus in float64 mode
        check(worst <= 1.0, f"{fname} float64: longdouble reference rounded vs mpmath: {worst:.4f} "
                            f"ULP (information: why the gelus use mpmath)")
    # the mpmath comparison itself: mpmath results rounded to float64 score <= 0.5
    for fname in ("gelu_tanh", "gelu"):
        func = FUNCS[fname]
        x = float64_inputs(3000, 2, edges_ulps=3)
        ctx = _mp_ctx()
        t0 = time.perf_counter()
        ref = np.empty(x.size, dtype=object)
        for i, xi in enumerate(x.tolist()):
            ref[i] = (ctx.mpf("nan") if math.isnan(xi) else ctx.mpf(xi) if xi == math.inf
                      else ctx.mpf(0) if xi == -math.inf else func.mp(ctx, xi))
        dt = time.perf_counter() - t0
        y = np.array([float(r) for r in ref])
        y = np.where(y == 0, np.copysign(0.0, x), y)
        s = compare_mp(ctx, x, y, ref, TYPES["float64"], 5, neginf=x == -np.inf)
        check(s.max_err <= 0.5 and s.n_mism == 0 and s.n == x.size,
              f"mpmath {fname} rounded: max {s.max_err:.4f} ULP, {s.mism}; "
              f"{dt / x.size * 1e6:.0f} us per reference value")
    # float64 stand-in exact
    for fname in ("sigmoid", "mish", "selu"):
        st, *_ = run_float64(FUNCS[fname], {}, ["x"], "exact", 20000, 2000, 0, 5, 1 << 20)
        s = st["x"]
        check(s.max_err <= 0.5 + 1e-3 and s.n_mism == 0,
              f"exact stand-in {fname} float64: max {s.max_err:.5f}, {s.mism}")
    print("selftest", "passed" if ok else "FAILED")
    return 0 if ok else 1

# --------------------------------------------------------------------------------------------


def parse_params(items):
    out = {}
    for it in items or []:
        k, _, v = it.partition("=")
        out[k] = None if v == "None" else float(v)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("function", nargs="?", help=f"one of {', '.join(FUNCS)}")
    ap.add_argument("--all", action="store_true", help="every function; print a Markdown table")
    ap.add_argument("--functions", help="comma list, with --all: only these")
    ap.add_argument("--path", default=None,
                    help="a CPU path of rectifier's table (" + ", ".join(_path_names()) + "), or a "
                         "comma list swept against one reference (default: the active path)")
    ap.add_argument("--dtype", default="float32", choices=list(TYPES))
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--exhaustive", action="store_true",
                   help="every bit pattern (the default for float16, bfloat16 and float32)")
    g.add_argument("--sample", type=int,
                   help="float32/16: N random bit patterns plus specials; float64: N random inputs "
                        "plus edges (default 10**6)")
    g.add_argument("--stride", type=int, help="every K-th bit pattern (float32/16)")
    ap.add_argument("--mp-sample", type=int, default=100000,
                    help="float64 gelu (mpmath reference): sample size (default 100000)")
    ap.add_argument("--range", help="float64: LO,HI: sample uniformly on [LO, HI] instead (to hunt "
                                     "in a region)")
    ap.add_argument("--param", action="append", help="NAME=VALUE, e.g. alpha=0.5 (default parameters "
                                                      "otherwise)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes for sweeps (default 1)")
    ap.add_argument("--chunk", type=int, default=1 << 20,
                    help="elements per block (default 2**20: the block's temporaries stay in the "
                         "cache; 2**24 is ~1.7x slower)")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--list", type=int, default=20, help="examples listed per kind (20)")
    ap.add_argument("--json", help="write the results to this file")
    ap.add_argument("--table", help="append the Markdown table (with --all) to this file")
    ap.add_argument("--impl", default="rectifier", help=argparse.SUPPRESS)  # stand-ins (selftest)
    ap.add_argument("--selftest", action="store_true", help="check the tool on stand-ins")
    a = ap.parse_args(argv)

    if a.selftest:
        return selftest()
    paths = [p.strip() for p in (a.path or _active_path()).split(",") if p.strip()]
    build = "stand-in " + a.impl
    if a.impl == "rectifier":
        import importlib
        importlib.import_module("rectifier")    # fail here, not in a worker, when it is missing
        build = build_id()      # before the sweep: a rebuild during it does not change what runs
        for p in paths:
            set_path(p)
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {machine_line()}; rectifier: {build}; "
          f"load average {' '.join(open('/proc/loadavg').read().split()[:3]) if os.path.exists('/proc/loadavg') else '?'}")
    if a.all:
        names = [n for n in FUNCS if n != "gelu" or a.impl != "rectifier" or gelu_none_available()]
        if a.functions:
            want = [ALIASES.get(s.strip(), s.strip()) for s in a.functions.split(",")]
            names = [n for n in names if n in want]
    else:
        if not a.function:
            ap.error("a FUNCTION or --all")
        names = [ALIASES.get(a.function, a.function)]
        if names[0] not in FUNCS:
            ap.error(f"unknown function {a.function!r}; one of {', '.join(FUNCS)}")
    params = parse_params(a.param)
    tname = a.dtype
    if tname == "float64":
        if a.stride or a.exhaustive:
            ap.error("float64: --sample N only")
        n64 = a.sample or 10 ** 6
    if a.sample:
        mode, mode_desc = "sample", f"random {a.sample}"
    elif a.stride:
        mode, mode_desc = "stride", f"every {a.stride}th"
    else:
        mode, mode_desc = "exhaustive", "exhaustive"
    if tname == "float64":
        mode_desc = f"random {n64} + edges"

    results, rows = [], []
    failed = False
    for name in names:
        func = FUNCS[name]
        p = {k: v for k, v in params.items() if k in func.params}
        if tname == "float64":
            lohi = tuple(float(v) for v in a.range.split(",")) if a.range else None
            stats, wall, t_ref, n = run_float64(func, p, paths, a.impl, n64, a.mp_sample, a.seed,
                                                a.list, a.chunk, lohi)
            md = f"random {a.mp_sample} + edges (mpmath)" if func.mp else mode_desc
            if lohi:
                md = f"uniform {a.mp_sample if func.mp else n64} on [{lohi[0]:g}, {lohi[1]:g}]" + (
                    " (mpmath)" if func.mp else "")
        else:
            stats, wall, t_ref = run_sweep(func, p, paths, a.impl, tname, mode, a.stride or 1,
                                           a.sample or 0, a.chunk, a.jobs, a.list, a.seed)
            n = stats[paths[0]].n
            md = mode_desc
        print_report(func, tname, paths, stats, wall, t_ref, n, md, p, a.list)
        sys.stdout.flush()
        for path in paths:
            st = stats[path]
            rows.append(table_row(func, tname, path, st, md if tname == "float64" else
                                  ("all" if mode == "exhaustive" else md)))
            if (func.exp_family or True) and (st.max_err > TYPES[tname].bound or st.n_mism):
                failed = True
            results.append({
                "function": name, "params": p, "dtype": tname, "path": path, "mode": md,
                "inputs": st.n, "max_ulp": st.max_err,
                "worst": None if st.worst is None else {
                    "x": fmt_val(st.worst[0], TYPES[tname]), "x_hex": hexbits(st.worst[0], TYPES[tname]),
                    "y": fmt_val(st.worst[1], TYPES[tname]), "ref": fmt_ref(st.worst[2])},
                "above_half": st.above_half, "above_one": st.above_one,
                "above_bound": st.n_above_bound,
                "above_bound_examples": [
                    {"x": fmt_val(x, TYPES[tname]), "x_hex": hexbits(x, TYPES[tname]),
                     "y": fmt_val(y, TYPES[tname]), "ref": fmt_ref(r), "ulp": e}
                    for x, y, r, e in st.above_bound],
                "mismatches": st.mism,
                "mismatch_examples": {k: [{"x": fmt_val(x, TYPES[tname]), "x_hex": hexbits(x, TYPES[tname]),
                                           "y": fmt_val(y, TYPES[tname]), "ref": fmt_ref(r)}
                                          for x, y, r, _ in v] for k, v in st.mism_ex.items()},
                "differs_from_first_path": st.differs if path != paths[0] else None,
                "kernel_s": st.kernel_s, "wall_s": wall, "reference_s": t_ref, "jobs": a.jobs,
            })
    if a.all or len(rows) > 1:
        table = TABLE_HEAD + "\n" + "\n".join(rows)
        print("\n" + table)
        if a.table:
            with open(a.table, "a") as fh:
                fh.write(table + "\n")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"machine": machine_line(), "build": build, "argv": sys.argv, "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                       "results": results}, fh, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
