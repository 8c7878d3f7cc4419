"""Bad input, table-driven over every public function and every ufunc (tests/hardening_cases.py).

Each bad call must raise a clear exception (TypeError or ValueError, never a crash) whose message
names the function and what is wrong (the parameter, `x`, `out` or the dtype), and must write
nothing: `out` and every input keep their bytes. test_exact.py already covers the exact functions'
unsupported x dtypes, some bad outs, partial overlap and some bad parameters; this file extends
that to every function, more kinds of bad input, and the ufuncs.
"""
import decimal
import inspect

import numpy as np
import pytest

import hardening_cases as hc
import rectifier
import rectifier.ufuncs
from conftest import assert_same_bits

ROWS = hc.rows()
ROW_IDS = [r.name for r in ROWS]
N = 4


def good_call(row, dtype=np.float64):
    """Operands of a valid call on N elements, and a sentinel-filled out of the result's shape."""
    ops = hc.operands(row, hc.data(dtype, N))
    out = np.full(ops["x"].shape, 7.0, hc.result_dtype(dtype))
    return ops, out


def snapshot(*arrays):
    return [np.array(a, copy=True) for a in arrays if isinstance(a, np.ndarray)]


def unchanged(before, *arrays):
    after = [a for a in arrays if isinstance(a, np.ndarray)]
    return all(b.shape == a.shape and b.tobytes() == a.tobytes() for b, a in zip(before, after))


def data_name(row):
    """What the messages call the function's data: y where the first parameter is y (bias_act),
    else x (rrelu_grad reports its noise as x)."""
    first = next(iter(inspect.signature(getattr(rectifier, row.function)).parameters))
    return "y" if first == "y" else "x"


def fname(row):
    """The name the function reports itself by (an alias such as logistic reports sigmoid)."""
    return getattr(rectifier, row.function).__name__


def assert_raises_naming(error, words, fn, exact=()):
    """fn() raises `error` whose message contains every word (any case) and every `exact` string."""
    with pytest.raises(error) as info:
        fn()
    message = str(info.value)
    missing = [w for w in words if w.lower() not in message.lower()] + [w for w in exact if w not in message]
    assert not missing, f"the message does not name {missing}: {type(info.value).__name__}: {message}"
    return info.value


# ---- the table ---------------------------------------------------------------------------------

def test_every_public_function_has_a_row():
    """A new public function is tested here once it has a row in tests/hardening_cases.py (or
    needs none: a row is derived from a signature whose parameters all have defaults)."""
    missing = [name for name in hc.public_names() if hc.row(name) is None]
    assert not missing, f"add rows to tests/hardening_cases.py for: {missing}"
    assert {"relu", "leaky_relu", "prelu", "prelu_grad"} <= {r.function for r in ROWS}


def test_every_ufunc_has_a_loop_per_dtype():
    for name in hc.ufunc_names():
        uf = getattr(rectifier.ufuncs, name)
        assert isinstance(uf, np.ufunc)
        for dtype in hc.DTYPES:
            ins, outs = hc.ufunc_loop(uf, dtype)
            assert ins[0] == dtype and outs[0] == dtype, (name, uf.types)


# ---- x ----------------------------------------------------------------------------------------

BAD_X_DTYPES = [np.complex64, np.complex128, object, "U3", "S3", "M8[D]", "m8[s]", "i4,f4", "V8"]
if np.finfo(np.longdouble).bits > 64:
    BAD_X_DTYPES.append(np.longdouble)


@pytest.mark.parametrize("bad", BAD_X_DTYPES, ids=lambda d: np.dtype(d).str)
@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_x_of_an_unsupported_dtype(row, bad):
    ops, out = good_call(row)
    ops["x"] = np.zeros(ops["x"].shape, bad)
    before = snapshot(out, *ops.values())
    kwargs = {"out": out} if row.has_out else {}
    assert_raises_naming(TypeError, [fname(row), data_name(row), "dtype", str(np.dtype(bad))],
                         lambda: hc.call(row, ops, **kwargs))
    assert unchanged(before, out, *ops.values())


class BrokenArray:
    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("broken __array__")


NON_ARRAYS = [
    ("None", None, TypeError, ["x", "dtype"]),
    ("str", "abc", TypeError, ["x", "dtype"]),
    ("bytes", b"ab", TypeError, ["x", "dtype"]),
    ("dict", {"a": 1}, TypeError, ["x", "dtype"]),
    ("set", {1.0, 2.0}, TypeError, ["x", "dtype"]),
    ("object", object(), TypeError, ["x", "dtype"]),
    ("generator", (i for i in range(3)), TypeError, ["x", "dtype"]),
    ("list of str", ["a", "b"], TypeError, ["x", "dtype"]),
    ("list of Decimal", [decimal.Decimal(1)], TypeError, ["x", "dtype"]),
    ("complex scalar", 1j, TypeError, ["x", "dtype"]),
    ("ragged list", [[1.0, 2.0], [3.0]], ValueError, ["x"]),
]


@pytest.mark.parametrize("label,value,error,words", NON_ARRAYS, ids=[p[0] for p in NON_ARRAYS])
@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_x_that_is_not_an_array(row, label, value, error, words):
    ops, out = good_call(row)
    ops["x"] = value
    before = snapshot(out, *ops.values())
    kwargs = {"out": out} if row.has_out else {}
    words = [data_name(row) if w == "x" else w for w in words]
    assert_raises_naming(error, [fname(row)] + words, lambda: hc.call(row, ops, **kwargs))
    assert unchanged(before, out, *ops.values())


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_an_error_of_the_callers_own_array_like_propagates(row):
    ops, out = good_call(row)
    ops["x"] = BrokenArray()
    with pytest.raises(RuntimeError, match="broken __array__"):
        hc.call(row, ops)


# ---- grad -------------------------------------------------------------------------------------

GRAD_ROWS = [r for r in ROWS if r.grad]


@pytest.mark.parametrize("bad", [np.complex128, object, "U3", "M8[D]"], ids=lambda d: np.dtype(d).str)
@pytest.mark.parametrize("row", GRAD_ROWS, ids=[r.name for r in GRAD_ROWS])
def test_grad_of_an_unsupported_dtype(row, bad):
    """Names the function called (not the ufunc behind it, gelu_tanh_grad for gelu_grad's tanh
    variant), the operand and its dtype."""
    ops, out = good_call(row)
    ops["grad"] = np.zeros(ops["x"].shape, bad)
    before = snapshot(out, *ops.values())
    kwargs = {"out": out} if row.has_out else {}
    assert_raises_naming(TypeError, [fname(row), "grad"], lambda: hc.call(row, ops, **kwargs),
                         exact=[repr(np.dtype(bad))])
    assert unchanged(before, out, *ops.values())


@pytest.mark.parametrize("row", GRAD_ROWS, ids=[r.name for r in GRAD_ROWS])
def test_grad_of_the_wrong_shape(row):
    ops, out = good_call(row)
    ops["grad"] = np.ones(ops["x"].shape[:-1] + (N - 1,))
    before = snapshot(out, *ops.values())
    kwargs = {"out": out} if row.has_out else {}
    assert_raises_naming(ValueError, [fname(row), "grad"], lambda: hc.call(row, ops, **kwargs))
    assert unchanged(before, out, *ops.values())


# ---- out --------------------------------------------------------------------------------------

def _read_only(x):
    a = np.zeros(x.shape, x.dtype)
    a.flags.writeable = False
    return a


BAD_OUTS = [
    ("read-only", _read_only, ValueError, ["out", "read-only"]),
    ("read-only view of a broadcast", lambda x: np.broadcast_to(np.zeros(1, x.dtype), x.shape), ValueError, ["out"]),
    ("wrong dtype", lambda x: np.zeros(x.shape, np.float32 if x.dtype != np.float32 else np.float64), TypeError,
     ["out", "dtype"]),
    ("integer dtype", lambda x: np.zeros(x.shape, np.int64), TypeError, ["out", "dtype"]),
    ("non-native byte order", lambda x: np.zeros(x.shape, x.dtype.newbyteorder()), TypeError, ["out", "dtype"]),
    ("wrong shape", lambda x: np.zeros(x.shape + (1,), x.dtype), ValueError, ["out", "shape"]),
    ("broadcastable shape", lambda x: np.zeros((2,) + x.shape, x.dtype), ValueError, ["out", "shape"]),
    ("too short", lambda x: np.zeros(x.shape[:-1] + (x.shape[-1] - 1,), x.dtype), ValueError, ["out", "shape"]),
    ("0-d", lambda x: np.zeros((), x.dtype), ValueError, ["out", "shape"]),
    ("list", lambda x: [0.0] * x.size, TypeError, ["out"]),
    ("tuple of an array", lambda x: (np.zeros(x.shape, x.dtype),), TypeError, ["out"]),
    ("memoryview", lambda x: memoryview(np.zeros(x.shape, x.dtype)), TypeError, ["out"]),
]


OUT_ROWS = [r for r in ROWS if r.has_out]     # the others: test_out_where_none_is_taken


@pytest.mark.parametrize("label,make,error,words", BAD_OUTS, ids=[b[0] for b in BAD_OUTS])
@pytest.mark.parametrize("dtype", hc.DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("row", OUT_ROWS, ids=[r.name for r in OUT_ROWS])
def test_bad_out(row, dtype, label, make, error, words):
    ops, _ = good_call(row, dtype)
    out = make(ops["x"])
    before = snapshot(out, *ops.values())
    assert_raises_naming(error, [fname(row)] + words, lambda: hc.call(row, ops, out=out))
    assert unchanged(before, out, *ops.values())
    if isinstance(out, memoryview):
        out.release()


@pytest.mark.parametrize("row", [r for r in ROWS if not r.has_out], ids=[r.name for r in ROWS if not r.has_out])
def test_out_where_none_is_taken(row):
    ops, out = good_call(row)
    before = snapshot(out)
    assert_raises_naming(TypeError, ["out"], lambda: hc.call(row, ops, out=out))
    assert unchanged(before, out)


@pytest.mark.parametrize("row", [r for r in ROWS if r.has_out], ids=[r.name for r in ROWS if r.has_out])
def test_in_place_on_integers_refuses_the_integer_out(row):
    """x of int64 gives float64: out=x is the wrong dtype, and x stays as it was."""
    ops, _ = good_call(row)
    ops["x"] = np.arange(-2, 2).reshape(ops["x"].shape)
    before = snapshot(ops["x"])
    assert_raises_naming(TypeError, [fname(row), "out", "dtype"], lambda: hc.call(row, ops, out=ops["x"]))
    assert unchanged(before, ops["x"])


@pytest.mark.parametrize("shift", [1, -1, 3, -5])
@pytest.mark.parametrize("dtype", hc.DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("row", [r for r in ROWS if r.has_out], ids=[r.name for r in ROWS if r.has_out])
def test_partially_overlapping_out_gives_the_result_of_copies(row, dtype, shift):
    """out and x (or grad) in one buffer, shifted: the result is that of the copied inputs."""
    n = 40
    for victim in ("x", "grad") if row.grad and row.grad_shape == "x" else ("x",):
        ops = hc.operands(row, hc.data(dtype, n))
        buf = np.concatenate([np.zeros(8, dtype), ops[victim].reshape(-1), np.zeros(8, dtype)])
        ops[victim] = buf[8:8 + n].reshape(ops[victim].shape)
        out = buf[8 + shift:8 + shift + n].reshape(ops["x"].shape)
        copies = {k: v.copy() for k, v in ops.items()}
        with np.errstate(all="ignore"):
            want = hc.call(row, copies)
            got = hc.call(row, ops, out=out)
        assert got is out
        assert_same_bits(out, want)


# ---- parameters -------------------------------------------------------------------------------

BAD_PARAMS = [(r, bad) for r in ROWS for bad in r.bad]


@pytest.mark.parametrize("row,bad", BAD_PARAMS,
                         ids=[f"{r.name}-{'-'.join(f'{k}={v!r}'[:24] for k, v in b[0].items())}" for r, b in BAD_PARAMS])
def test_bad_parameter(row, bad):
    params, error, words = bad
    for in_place in (False, True):
        ops, out = good_call(row)
        if "weight" in params:
            ops.pop("weight")
        if in_place and row.has_out:
            out = ops["x"]
        before = snapshot(out, *ops.values())
        kwargs = {"out": out} if row.has_out else {}
        assert_raises_naming(error, list(words), lambda: hc.call(row, ops, **kwargs, **params))
        assert unchanged(before, out, *ops.values())


# the numeric parameters that enter the computation (not seeds, flags, axes, logsumexp's weights b,
# which NumPy applies in float64, or noisy_relu_grad's noise, which is data like x)
NOT_COMPUTE_PARAMS = {"seed", "training", "noise", "axis", "b"}
BEYOND_FLOAT32 = [(r, p, shape) for r in ROWS for p, v in r.params.items()
                  if isinstance(v, (int, float)) and not isinstance(v, bool) and p not in NOT_COMPUTE_PARAMS
                  for shape in (("scalar", "array") if p in r.array_params else ("scalar",))]
BEYOND_FLOAT32 += [(r, "weight", shape) for r in ROWS if r.weight for shape in ("scalar", "array")]


@pytest.mark.parametrize("dtype", [np.float16, np.float32], ids=["float16", "float32"])
@pytest.mark.parametrize("row,param,shape", BEYOND_FLOAT32, ids=[f"{r.name}-{p}-{s}" for r, p, s in BEYOND_FLOAT32])
def test_parameter_beyond_the_float32_range(row, param, shape, dtype):
    """float16 and float32 data compute in float32: a finite parameter that would round to inf
    there (a slope of 1e300 would turn -0.0 into -0.0 * inf = NaN) is refused, naming it; float64
    data takes it."""
    good = row.params.get(param, 0.5)
    big = 1e300 if (good if good is not None else 1) >= 0 else -1e300
    value = big if shape == "scalar" else np.full(N, big)
    ops, out = good_call(row, dtype)
    if param == "weight":
        ops["weight"] = np.full(ops["x"].shape[1], big) if shape == "array" else big
    before = snapshot(out, *ops.values())
    kwargs = {"out": out} if row.has_out else {}
    override = {} if param == "weight" else {param: value}
    if param == "lower" and "upper" in row.params:
        override["upper"] = value   # (lower <= upper is checked first)
    assert_raises_naming(ValueError, [fname(row), param, "float32"],
                         lambda: hc.call(row, ops, **kwargs, **override))
    assert unchanged(before, out, *ops.values())
    ops64, _ = good_call(row, np.float64)
    if param == "weight":
        ops64["weight"] = ops["weight"]
    with np.errstate(all="ignore"):
        hc.call(row, ops64, **override)   # float64 data: accepted


ARRAY_PARAMS = [(r, p) for r in ROWS for p in r.array_params]


@pytest.mark.parametrize("row,param", ARRAY_PARAMS, ids=[f"{r.name}-{p}" for r, p in ARRAY_PARAMS])
def test_array_parameter_of_the_wrong_length(row, param):
    ops, out = good_call(row)
    good = row.params.get(param, 0.5)
    value = np.full(N - 1, good if good is not None else 0.5)
    before = snapshot(out, *ops.values())
    kwargs = {"out": out} if row.has_out else {}
    assert_raises_naming(ValueError, [fname(row), param], lambda: hc.call(row, ops, **kwargs, **{param: value}))
    assert unchanged(before, out, *ops.values())


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_unknown_keyword_and_extra_positional_arguments(row):
    ops, out = good_call(row)
    with pytest.raises(TypeError, match="bogus"):
        hc.call(row, ops, bogus=1)
    with pytest.raises(TypeError):
        getattr(rectifier, row.function)(*([ops["x"]] * 8))


# ---- the ufuncs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [np.complex128, object, "U3", "M8[D]"], ids=lambda d: np.dtype(d).str)
@pytest.mark.parametrize("name", hc.ufunc_names())
def test_ufunc_refuses_unsupported_dtypes(name, bad):
    uf = getattr(rectifier.ufuncs, name)
    ins = hc.ufunc_operand_values(name, np.float64, N)
    outs = tuple(np.full(N, 7.0) for _ in range(uf.nout))
    for i in range(uf.nin):
        args = list(ins)
        args[i] = np.zeros(N, bad)
        for casting in ("same_kind", "unsafe"):
            before = snapshot(*outs, *args)
            with pytest.raises(TypeError, match=name):
                uf(*args, out=outs, casting=casting)
            assert unchanged(before, *outs, *args)


@pytest.mark.parametrize("name", hc.ufunc_names())
def test_ufunc_methods_raise_or_follow_numpy(name):
    """reduce, accumulate, reduceat, outer and at either raise ValueError/TypeError or give
    NumPy's definition, computed here one element at a time: accumulate's r[i] = f(r[i-1], a[i])
    and reduce's left fold (NumPy hands the loop aliased, overlapping operands for these)."""
    uf = getattr(rectifier.ufuncs, name)
    a = hc.data(np.float64, 300, seed=3)
    a[np.isnan(a) | np.isinf(a)] = 0.5
    params = [np.float64(v[0]) for v in hc.ufunc_operand_values(name, np.float64, 1)[1:]]

    def f(*args):
        with np.errstate(all="ignore"):
            return uf(*args)

    for method in ("reduce", "accumulate", "reduceat", "outer", "at"):
        try:
            with np.errstate(all="ignore"):
                if method == "reduce":
                    got = uf.reduce(a)
                elif method == "accumulate":
                    got = uf.accumulate(a)
                elif method == "reduceat":
                    got = uf.reduceat(a, [0, 7, 100])
                elif method == "outer":
                    got = uf.outer(a[:5], *[a[:3]] * (uf.nin - 1)) if uf.nin > 1 else uf.outer(a[:5])
                else:
                    got = a[:10].copy()
                    uf.at(got, [0, 1, 1, 9], *params)
        except (ValueError, TypeError):
            continue
        if method in ("reduce", "accumulate"):
            acc = [a[0]]
            for v in a[1:]:
                acc.append(f(acc[-1], v))
            want = np.array(acc) if method == "accumulate" else acc[-1]
            assert_same_bits(np.asarray(got), np.asarray(want))
        elif method == "at":
            want = a[:10].copy()
            for i in [0, 1, 1, 9]:
                want[i] = f(want[i], *params)
            assert_same_bits(got, want)


# ---- no crash on empty dimensions ---------------------------------------------------------------

EMPTY_PRELU_SCRIPT = """
import sys, numpy as np, rectifier
shape, order, dtype = eval(sys.argv[1]), sys.argv[2], sys.argv[3]
x = np.zeros(shape, dtype, order=order)
keep = []
for repeat in range(20):           # a heap overflow shows sooner or later as glibc's abort
    for axis in range(-len(shape), len(shape)):
        for wdt in (np.float32, np.float64):
            w = np.linspace(0.1, 0.5, shape[axis]).astype(wdt) if shape[axis] != 1 else 0.25
            y = rectifier.prelu(x, w, axis=axis)
            assert y.shape == x.shape and y.dtype == x.dtype, (shape, axis)
            gx, gw = rectifier.prelu_grad(x, w, axis=axis)
            assert gx.shape == x.shape and np.shape(gw) == np.shape(w), (shape, axis)
            keep.append([np.ones(7) for _ in range(20)])
print("ok")
"""
EMPTY_SHAPES = [(0, 3), (3, 0), (2, 3, 0), (2, 0, 3), (0, 2, 3), (2, 3, 0, 4), (2, 3, 4, 0), (0, 64, 60)]


def prelu_on_empty_crashes(shape=(2, 3, 0), order="C", dtype="float32"):
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-c", EMPTY_PRELU_SCRIPT, repr(shape), order, dtype],
                          capture_output=True, text=True, timeout=120)
    return proc


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", EMPTY_SHAPES, ids=str)
def test_prelu_with_an_empty_dimension_does_not_crash(shape, order):
    """Found by test_properties.py and tools/sanitize.sh: prelu's direct path divides by the length
    of a channel row, which is 0 when a dimension after the channel axis is empty (SIGFPE: the
    interpreter dies), and when the dimensions before it are empty it writes a row of slopes into a
    malloc(0) block (a heap overflow: glibc aborts, "free(): invalid next size")."""
    for dtype in ("float16", "float32", "float64"):
        proc = prelu_on_empty_crashes(shape, order, dtype)
        assert proc.returncode == 0 and proc.stdout.strip() == "ok", \
            f"prelu on an empty {shape} {order}-order {dtype} array: exit status {proc.returncode}\n{proc.stderr[-2000:]}"
