"""`python -m rectifier`: a short demonstration on this machine: the CPU path in use, the
rectifiers and some derivatives on a few values, and a quick speed comparison with NumPy."""
import timeit

import numpy as np

import rectifier


def main():
    print(f"rectifier {rectifier.__version__}, NumPy {np.__version__}")
    rectifier.show_config()
    print()

    x = np.array([-3.0, -1.0, -0.0, 0.0, 0.5, 2.0, 7.0, np.nan, -np.inf, np.inf], dtype=np.float32)
    np.set_printoptions(precision=4, suppress=True, linewidth=120)
    print(f"{'x':>26s} = {x}")
    rows = [
        ("relu(x)", rectifier.relu(x)),
        ("relu6(x)", rectifier.relu6(x)),
        ("hardtanh(x, -1, 1)", rectifier.hardtanh(x, -1.0, 1.0)),
        ("threshold(x, 1, -9)", rectifier.threshold(x, 1.0, -9.0)),
        ("leaky_relu(x, 0.1)", rectifier.leaky_relu(x, 0.1)),
        ("relu_grad(x)", rectifier.relu_grad(x)),
        ("relu_grad(x, at_zero=.5)", rectifier.relu_grad(x, at_zero=0.5)),
        ("leaky_relu_grad(x, g, .1)", rectifier.leaky_relu_grad(x, np.full_like(x, 2.0), 0.1)),
        ("elu(x)", rectifier.elu(x)),
        ("softplus(x)", rectifier.softplus(x)),
        ("sigmoid(x)", rectifier.sigmoid(x)),
        ("gelu(x)", rectifier.gelu(x)),
        ("silu_grad(x)", rectifier.silu_grad(x)),
    ]
    for label, values in rows:
        print(f"{label:>26s} = {values}")
    batch = np.array([[-1.0, 2.0, -3.0], [4.0, -5.0, 6.0]])
    print(f"{'prelu(batch, [.1,.2,.3])':>26s} = {rectifier.prelu(batch, [0.1, 0.2, 0.3]).tolist()}")
    gx, gw = rectifier.prelu_grad(batch, [0.1, 0.2, 0.3])
    print(f"{'prelu_grad -> grad_weight':>26s} = {gw.tolist()}")
    print()

    big = np.random.default_rng(0).standard_normal(1 << 20).astype(np.float32)
    out = np.empty_like(big)
    ours = min(timeit.repeat(lambda: rectifier.relu(big, out=out), number=20, repeat=5)) / 20
    numpy = min(timeit.repeat(lambda: np.maximum(big, 0, out=out), number=20, repeat=5)) / 20
    print(f"relu on 1M float32 ({rectifier.capabilities()['active']} path): {ours * 1e6:.0f} us; "
          f"np.maximum(x, 0): {numpy * 1e6:.0f} us ({numpy / ours:.1f}x)")
    small = big[:16].copy()
    out16 = np.empty_like(small)
    ours = min(timeit.repeat(lambda: rectifier.relu(small, out=out16), number=100000, repeat=5)) / 100000
    numpy = min(timeit.repeat(lambda: np.maximum(small, 0, out=out16), number=100000, repeat=5)) / 100000
    print(f"one call on 16 elements with out=: {ours * 1e9:.0f} ns; np.maximum: {numpy * 1e9:.0f} ns "
          f"({ours / numpy:.2f}x the time)")


if __name__ == "__main__":
    main()
