"""Draws every activation of rectifier and its derivative into one image, docs/activations.png,
which the README shows (after the article's plot of the rectifier and softplus near x = 0).

    python -m pip install ".[docs]"          # matplotlib, a docs-only dependency
    python docs/plot_activations.py          # writes docs/activations.png
    python docs/plot_activations.py out.png  # or another file

Every curve is computed by the package itself (float64, on this machine's active CPU path): each
panel shows f(x) and f'(x) = <name>_grad(x), which returns the derivative when no gradient is
given. A function added to the package is drawn by adding its row to ACTIVATIONS; the script
names any public function that has no row, so none is forgotten.
"""
import sys
from pathlib import Path

import numpy as np

import rectifier as rt

# One row per panel: (title, function, derivative, keyword arguments for both, x range).
ACTIVATIONS = [
    ("relu", "relu", "relu_grad", {}, (-3, 3)),
    ("relu6", "relu6", "relu6_grad", {}, (-2, 8)),
    ("hardtanh(-1, 1)", "hardtanh", "hardtanh_grad", {"min_val": -1.0, "max_val": 1.0}, (-3, 3)),
    ("threshold(1, value=-1)", "threshold", "threshold_grad", {"threshold": 1.0, "value": -1.0}, (-3, 3)),
    ("leaky_relu(0.1)", "leaky_relu", "leaky_relu_grad", {"negative_slope": 0.1}, (-3, 3)),
    ("prelu(weight=0.25)", "prelu", "prelu_grad", {"weight": 0.25}, (-3, 3)),
    ("elu(alpha=1)", "elu", "elu_grad", {"alpha": 1.0}, (-4, 3)),
    ("celu(alpha=0.5)", "celu", "celu_grad", {"alpha": 0.5}, (-4, 3)),
    ("selu", "selu", "selu_grad", {}, (-4, 3)),
    ("softplus", "softplus", "softplus_grad", {}, (-4, 4)),
    ("sigmoid (logistic)", "sigmoid", "sigmoid_grad", {}, (-6, 6)),
    ("log_sigmoid", "log_sigmoid", "log_sigmoid_grad", {}, (-4, 4)),
    ("silu", "silu", "silu_grad", {}, (-5, 3)),
    ("gelu", "gelu", "gelu_grad", {}, (-4, 3)),
    ("gelu(approximate='tanh')", "gelu", "gelu_grad", {"approximate": "tanh"}, (-4, 3)),
    ("mish", "mish", "mish_grad", {}, (-5, 3)),
    ("tanh", "tanh", "tanh_grad", {}, (-4, 4)),
    ("tanhshrink", "tanhshrink", "tanhshrink_grad", {}, (-4, 4)),
    ("hardsigmoid", "hardsigmoid", "hardsigmoid_grad", {}, (-5, 5)),
    ("hardswish", "hardswish", "hardswish_grad", {}, (-5, 4)),
    ("softsign", "softsign", "softsign_grad", {}, (-5, 5)),
    ("hardshrink(0.5)", "hardshrink", "hardshrink_grad", {}, (-3, 3)),
    ("softshrink(0.5)", "softshrink", "softshrink_grad", {}, (-3, 3)),
    ("squareplus(b=4)", "squareplus", "squareplus_grad", {}, (-4, 4)),
    ("sparse_plus", "sparse_plus", "sparse_plus_grad", {}, (-3, 3)),
    ("sparse_sigmoid", "sparse_sigmoid", "sparse_sigmoid_grad", {}, (-3, 3)),
]
COLUMNS = 6
POINTS = 2001  # an odd count puts x = 0 on the grid of every symmetric range
OUTPUT = Path(__file__).resolve().parent / "activations.png"


def unplotted():
    """Public functions with a derivative but no row (aliases of a plotted function count as
    plotted, e.g. logistic, which is sigmoid)."""
    drawn = {id(getattr(rt, row[1])) for row in ACTIVATIONS}
    names = [n for n in rt.__all__ if callable(getattr(rt, n)) and f"{n}_grad" in rt.__all__]
    return [n for n in names if id(getattr(rt, n)) not in drawn]


def curves(function, derivative, params, x_range):
    x = np.linspace(*x_range, POINTS)
    y = getattr(rt, function)(x, **params)
    dy = getattr(rt, derivative)(x, **params)
    if isinstance(dy, tuple):  # prelu_grad: (grad_x, grad_weight)
        dy = dy[0]
    return x, y, dy


def main(output=OUTPUT):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    missing = unplotted()
    if missing:
        sys.exit(f"no row in ACTIVATIONS for: {', '.join(missing)} (docs/plot_activations.py)")
    rows = -(-len(ACTIVATIONS) // COLUMNS)
    fig, axes = plt.subplots(rows, COLUMNS, figsize=(2.6 * COLUMNS, 2.3 * rows), squeeze=False)
    for ax, (title, function, derivative, params, x_range) in zip(axes.flat, ACTIVATIONS):
        x, y, dy = curves(function, derivative, params, x_range)
        ax.axhline(0, color="0.75", lw=0.8)
        ax.axvline(0, color="0.75", lw=0.8)
        ax.plot(x, y, color="tab:blue", lw=2, label="f(x)")
        ax.plot(x, dy, color="tab:green", lw=1.5, ls="--", label="f'(x)")
        ax.set_title(title, fontsize=10)
        ax.set_xlim(*x_range)
        ax.tick_params(labelsize=8)
        ax.grid(True, color="0.92")
    for ax in list(axes.flat)[len(ACTIVATIONS):]:
        ax.axis("off")
    axes.flat[0].legend(loc="upper left", fontsize=8, frameon=False)
    fig.suptitle(f"rectifier {rt.__version__}: each activation f (solid) and its derivative f' "
                 "(dashed), as the package computes them", fontsize=11)
    fig.tight_layout()
    fig.savefig(output, dpi=90)
    print(f"wrote {output}: {len(ACTIVATIONS)} panels")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT)
