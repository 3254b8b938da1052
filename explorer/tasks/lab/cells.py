"""The recurrent cells recomputed in NumPy from a trained model's weights: the states and the carry per step."""
from __future__ import annotations

import math

import numpy as np


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def carry_per_step(model, x: np.ndarray, activation: str = "tanh") -> float:
    """How much of the state each step carries to the next, averaged over `x` (see `numpy_unroll`)."""
    return numpy_unroll(model, x, activation)[1]


def numpy_unroll(model, x: np.ndarray, activation: str = "tanh") -> tuple[np.ndarray, float]:
    """The first recurrent layer re-run in numpy: (last hidden state, mean carry per step).

    How much of the state each step carries to the next, averaged over `x` (recomputed in numpy).

    SimpleRNN: the mean slope φ'(z_t) (the factor diag(φ') in ∂h_t/∂h_{t−1} = diag(φ')·W_hhᵀ);
    LSTM: the mean forget gate f_t (∂c_t/∂c_{t−1} = diag(f_t)); GRU: the mean update gate z_t
    (the share of h_{t−1} kept). NaN for anything else or a broken model.
    """
    from explorer.nn.models import recurrent_layers

    cell = getattr(recurrent_layers(model)[0], "cell", None)
    kind = type(cell).__name__
    if kind not in ("SimpleRNNCell", "LSTMCell", "GRUCell"):
        return np.full((len(x), 0), np.nan), float("nan")
    x = np.asarray(x, dtype=np.float64)
    w_x = cell.kernel.numpy().astype(np.float64)
    w_h = cell.recurrent_kernel.numpy().astype(np.float64)
    b = cell.bias.numpy().astype(np.float64) if cell.use_bias else np.zeros(w_x.shape[1])
    units = w_h.shape[0]
    h = np.zeros((x.shape[0], units))
    c = np.zeros_like(h)
    act = (lambda z: np.maximum(z, 0.0)) if activation == "relu" else np.tanh
    carried = []
    with np.errstate(all="ignore"):
        for t in range(x.shape[1]):
            if kind == "SimpleRNNCell":
                z = x[:, t] @ w_x + h @ w_h + b
                h = act(z)
                carried.append(((z > 0) if activation == "relu" else 1.0 - h * h).mean())
            elif kind == "LSTMCell":
                z = x[:, t] @ w_x + h @ w_h + b
                zi, zf, zc, zo = np.split(z, 4, axis=-1)
                f = _sigmoid(zf)
                c = f * c + _sigmoid(zi) * act(zc)
                h = _sigmoid(zo) * act(c)
                carried.append(f.mean())
            else:  # Keras GRU, reset_after=True: bias rows are (input, recurrent)
                bx, bh = (b[0], b[1]) if b.ndim == 2 else (b, np.zeros_like(b))
                xz, xr, xh = np.split(x[:, t] @ w_x + bx, 3, axis=-1)
                hz, hr, hh = np.split(h @ w_h + bh, 3, axis=-1)
                zg = _sigmoid(xz + hz)
                cand = act(xh + _sigmoid(xr + hr) * hh)
                h = zg * h + (1.0 - zg) * cand
                carried.append(zg.mean())
    value = float(np.mean(carried))
    return h, (value if math.isfinite(value) else float("nan"))
