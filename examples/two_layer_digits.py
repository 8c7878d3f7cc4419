"""A two-layer ReLU network on scikit-learn's bundled digits (8x8 images, 10 classes; no download),
trained by minibatch SGD with rectifier's forward functions and derivatives, to watch the dying
ReLU problem of the article: at a sane learning rate about half the hidden units fire on a given
input and none is dead; at a too-high one, large updates push units' biases so far down that they
never fire again (dead_units), and accuracy suffers. leaky_relu keeps a gradient below zero, so
its units can come back.

    pip install rectifier[examples]      # scikit-learn, for the data set only
    python examples/two_layer_digits.py

Forward: h = linear(x, W1, b1, activation) (BLAS matmul, then the bias and the activation fused
in place); logits = linear(h, W2, b2). Backward uses the derivative functions: for relu and
leaky_relu with a positive slope, h > 0 exactly where the pre-activation is > 0, so the
derivative can be taken at h (no pre-activation array kept).
"""
import time

import numpy as np
from sklearn.datasets import load_digits

import rectifier as r

HIDDEN = 128
EPOCHS = 30
BATCH = 32


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def train(x, labels, lr, activation, params, seed=0):
    rng = np.random.default_rng(seed)
    n, d = x.shape
    # He initialisation for the ReLU layer
    w1 = (rng.standard_normal((HIDDEN, d)) * np.sqrt(2.0 / d)).astype(np.float32)
    b1 = np.zeros(HIDDEN, np.float32)
    w2 = (rng.standard_normal((10, HIDDEN)) * np.sqrt(1.0 / HIDDEN)).astype(np.float32)
    b2 = np.zeros(10, np.float32)
    at_start = r.active_fraction(r.linear(x, w1, b1, activation, **params))
    grad_fn = getattr(r, activation + "_grad")
    onehot = np.eye(10, dtype=np.float32)[labels]
    for _ in range(EPOCHS):
        order = rng.permutation(n)
        for start in range(0, n, BATCH):
            batch = order[start:start + BATCH]
            xb, yb = x[batch], onehot[batch]
            h = r.linear(xb, w1, b1, activation, **params)
            p = softmax(r.linear(h, w2, b2))
            g_logits = (p - yb) / len(batch)
            g_h = g_logits @ w2
            g_pre = grad_fn(h, g_h, **params)
            w2 -= lr * (g_logits.T @ h)
            b2 -= lr * g_logits.sum(axis=0)
            w1 -= lr * (g_pre.T @ xb)
            b1 -= lr * g_pre.sum(axis=0)
    return (w1, b1, w2, b2), at_start


def evaluate(model, x, labels, activation, params):
    w1, b1, w2, b2 = model
    h = r.linear(x, w1, b1, activation, **params)
    accuracy = float(np.mean(np.argmax(r.linear(h, w2, b2), axis=1) == labels))
    # dead: <= 0 on every input of the whole training set (for leaky_relu: never positive)
    return accuracy, float(np.mean(r.dead_units(h, axis=0))), float(r.active_fraction(h))


def main():
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    x -= x.mean(axis=0)
    labels = digits.target
    rng = np.random.default_rng(42)
    order = rng.permutation(len(x))
    train_idx, test_idx = order[:1400], order[1400:]
    print(f"digits: {len(train_idx)} training, {len(test_idx)} test images, 64 -> {HIDDEN} -> 10, "
          f"{EPOCHS} epochs of SGD, batch {BATCH}; rectifier path {r.capabilities()['active']}")
    print(f"{'activation':33} {'lr':>5} {'active at init':>14} {'test acc':>9} {'dead units':>10} "
          f"{'active':>7} {'time':>6}")
    for activation, params in (("relu", {}), ("leaky_relu", {"negative_slope": 0.01})):
        for lr in (0.05, 10.0):
            t0 = time.perf_counter()
            model, at_start = train(x[train_idx], labels[train_idx], lr, activation, params)
            _, dead, _ = evaluate(model, x[train_idx], labels[train_idx], activation, params)
            acc, _, active = evaluate(model, x[test_idx], labels[test_idx], activation, params)
            name = activation + "".join(f" ({k}={v})" for k, v in params.items())
            print(f"{name:33} {lr:5.2f} {at_start:14.1%} {acc:9.1%} {dead:10.1%} {active:7.1%} "
                  f"{time.perf_counter() - t0:5.1f}s")


if __name__ == "__main__":
    main()
