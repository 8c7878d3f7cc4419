"""The reduction kernels (src/kernels/reduce.h) on the NEON path, under qemu-aarch64, against the
native paths (scalar, AVX2, AVX-512): bit for bit (NaN payloads aside), with no floating-point flag
(overflow, invalid, divide-by-zero) and no write past any output.

tests/c_driver/reduce_driver.c runs a batch of reduction calls (every op, dtype and include_zero;
rows of every length 0..40 and some long ones, so every tail of 8-, 4- and 2-lane vectors and the
16-element chunks is hit; column blocks of widths 1..20 and wider than a column pass holds; in-place
calls) over data with NaN, +-inf, +-0, subnormals, huge spreads and random values. It is built
natively and with aarch64-linux-gnu-gcc -static (run under qemu-aarch64), as in
test_neon_qemu.py, whose skip rules (and RECTIFIER_REQUIRE_NEON) apply here too. The in-process
tests (test_reduce.py) check every in-process path's results against SciPy and long double references;
bit identity carries those checks over to NEON.
"""
import subprocess

import numpy as np
import pytest

import test_neon_qemu as base

SOURCES = [base.TESTS / "c_driver" / "reduce_driver.c", base.ROOT / "src" / "dispatch.c"] + sorted(
    (base.ROOT / "src" / "kernels").glob("*.c"))
OPS = ["logsumexp", "softmax", "log_softmax", "logsumexp_grad", "softmax_grad", "log_softmax_grad"]
DTYPES = {"f16": np.float16, "f32": np.float32, "f64": np.float64}


def _compile(compiler, extra, output):
    """The reductions' driver, from the kernels' objects that test_neon_qemu.py's drivers compiled."""
    return base._compile(compiler, extra, output, SOURCES)


@pytest.fixture(scope="module")
def reduce_drivers(tmp_path_factory):
    build = tmp_path_factory.mktemp("reduce_driver")
    found = base.Drivers()
    cc = base._native_compiler()
    if cc is None:
        found.native_missing = "no native C compiler found"
    else:
        found.native = [str(_compile(cc, [], build / "reduce_driver"))]
    if base.NATIVE_AARCH64:
        found.neon, found.neon_missing = found.native, found.native_missing
    else:
        missing = [t for t in (base.CROSS_CC, base.QEMU) if base.shutil.which(t) is None]
        if missing:
            found.neon_missing = f"{' and '.join(missing)} not found (see test_neon_qemu.py)"
        else:
            binary = _compile([base.CROSS_CC], ["-static"], build / "reduce_driver-aarch64")
            prefix = None
            for p in ([base.QEMU, "-cpu", "max,sve=off"], [base.QEMU]):
                if subprocess.run(p + [str(binary)], capture_output=True).returncode == 2:
                    prefix = p
                    break
            if prefix is None:
                pytest.fail(f"{base.QEMU} cannot run {binary}")
            found.neon = prefix + [str(binary)]
    return found


def _values(dtype, count, seed):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(count) * 4).astype(dtype)
    info = np.finfo(dtype)
    # +-max/4: spreads up to max/2, so that every result is representable (an overflow would be a
    # real flag); for float16 the largest magnitude is then about 16000
    specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, info.smallest_subnormal, info.max / 4,
                         -info.max / 4, 1e4, -90.0], dtype)
    where = rng.random(count) < 0.04
    x[where] = specials[rng.integers(0, len(specials), where.sum())]
    return x


def _cases():
    """(outer, n, inner) layouts; some slices are all -inf, some all NaN (the gradients' y)."""
    layouts = [(3, n, 1) for n in list(range(0, 41)) + [63, 64, 65, 257]]
    layouts += [(2, n, inner) for n in (0, 1, 3, 17) for inner in list(range(2, 21)) + [255, 256, 300]]
    layouts += [(1, 1000, 1), (1, 33, 700)]
    return layouts


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """The data file and case lines shared by every path: returns (workdir, cases, data, outputs)
    where outputs lists (op, dtype, offset, count) of each call's output."""
    work = tmp_path_factory.mktemp("reduce_cases")
    chunks, lines, outputs = [], [], []
    offset = 0

    def add(array):
        nonlocal offset
        raw = np.ascontiguousarray(array).tobytes()
        pad = (-len(raw)) % 64
        chunks.append(raw + b"\0" * pad + b"\0" * 64)   # 64 guard bytes after every array
        start = offset
        offset += len(raw) + pad + 64
        return start

    seed = 0
    for dt_name, dt in DTYPES.items():
        for outer, n, inner in _cases():
            for op_index, op in enumerate(OPS):
                for include_zero in ((0, 1) if op in ("logsumexp", "softmax", "log_softmax", "logsumexp_grad") else (0,)):
                    seed += 1
                    size = outer * n * inner
                    x = _values(dt, size, seed).reshape(outer, n, inner)
                    if size and seed % 5 == 0:
                        x[0] = -np.inf    # all -inf slices
                    if op in ("softmax_grad", "log_softmax_grad"):
                        # the gradients see what the forward function gives them
                        with np.errstate(all="ignore"):
                            x64 = x.astype(np.float64)
                            m = np.max(x64, axis=1, keepdims=True, initial=-np.inf)
                            lse = np.log(np.sum(np.exp(x64 - m), axis=1, keepdims=True)) + m
                            x = (np.exp(x64 - lse) if op == "softmax_grad" else x64 - lse).astype(dt)
                    x_off = add(x)
                    g_off = -1
                    rng = np.random.default_rng(seed)
                    if op == "logsumexp_grad":   # finite incoming gradients (inf * 0 is a real NaN)
                        g_off = add(rng.standard_normal(outer * inner).astype(dt))
                    elif op in ("softmax_grad", "log_softmax_grad"):
                        g_off = add(rng.standard_normal(size).astype(dt))
                    count = outer * inner if op == "logsumexp" else size
                    in_place = op != "logsumexp" and seed % 3 == 0
                    y_off = x_off if in_place else add(np.zeros(count, dt))
                    lines.append(f"{op_index} {dt_name} {outer} {n} {inner} {include_zero} {x_off} {g_off} {y_off}")
                    outputs.append((f"{op} {dt_name} {(outer, n, inner)} iz={include_zero} inplace={in_place}",
                                    dt, y_off, count))
    (work / "data.bin").write_bytes(b"".join(chunks))
    (work / "cases.txt").write_text("\n".join(lines) + "\n")
    return work, outputs


def _run(command, path, work):
    out = work / f"out-{path}.bin"
    result = subprocess.run(command + [path, str(work / "cases.txt"), str(work / "data.bin"), str(out)],
                            capture_output=True, text=True, timeout=300)
    if result.returncode == base.EXIT_NO_PATH:
        return None, None
    assert result.returncode == 0, f"reduce_driver {path} failed ({result.returncode}): {result.stderr}"
    return out.read_bytes(), [int(v) for v in result.stdout.split()]


def test_neon_matches_the_native_paths_bit_for_bit(reduce_drivers, batch):
    work, outputs = batch
    native = reduce_drivers.command("scalar")
    results = {"neon": _run(reduce_drivers.command("neon"), "neon", work)}
    for path in base.NATIVE_PATHS:   # every path this CPU runs (scalar first)
        results[path] = _run(native, path, work)
        assert results[path][0] is not None, f"the reduce driver cannot run the {path} path"
    scalar = results["scalar"][0]
    for path, (_, flags) in results.items():
        raised = [outputs[i][0] for i, f in enumerate(flags) if f]
        assert not raised, f"{path}: floating-point flags raised by {raised[:5]}"
    mismatches, last_bit = [], []
    for label, dt, offset, count in outputs:
        want = np.frombuffer(scalar, dt, count, offset)
        for path, (raw, _) in results.items():
            got = np.frombuffer(raw, dt, count, offset)
            nan = np.isnan(want)
            if np.array_equal(nan, np.isnan(got)) and np.array_equal(want[~nan].view(np.uint8), got[~nan].view(np.uint8)):
                continue
            # The one known source of differences: float64 slices finished by the C library
            # (log1p, exp of the zero logit, and the long double recompute of |lse| < 2, which is
            # 80-bit on x86-64 and 128-bit on AArch64) may differ in the last bit between x86 and
            # ARM. Everything else, and every float16/float32 result, must be identical.
            same_nan = np.array_equal(nan, np.isnan(got))
            ulps = np.abs(want[~nan].view(np.int64) - got[~nan].view(np.int64)) if dt == np.float64 and same_nan else None
            if ulps is not None and path == "neon" and ulps.max() <= 1:
                last_bit.append(f"{label}: {(ulps > 0).sum()} of {count}")
            else:
                mismatches.append(f"{path}: {label}")
    print(f"{len(outputs)} calls; float64 calls with last-bit differences NEON vs x86: {len(last_bit)} {last_bit[:3]}")
    assert not mismatches, f"{len(mismatches)} calls differ from the scalar path, e.g. {mismatches[:5]}"
