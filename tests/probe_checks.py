"""A measuring tool for the probe tests: the model's output with ε added to one layer's hidden states, whose
finite differences the BPTT probe's gradients are checked against."""
from typing import Optional

import keras
import numpy as np
import tensorflow as tf

from explorer.introspect.unroll import perturbed_layer, units_of
from explorer.nn.models import recurrent_layers, run_layers


def perturbed_output(model: keras.Model, x: np.ndarray, layer_index: int = 0,
                     eps: Optional[np.ndarray] = None) -> np.ndarray:
    """The model's output with ε added to one layer's hidden states (ε = 0 reproduces `model(x)`)."""
    layer = recurrent_layers(model)[layer_index]
    units = units_of(layer)
    x = tf.constant(x)
    shape = (x.shape[0], x.shape[1], units)
    e = tf.zeros(shape) if eps is None else tf.constant(eps, tf.float32)

    def on_rnn(i, lyr, seq, mask):
        if i == layer_index:
            return perturbed_layer(lyr, seq, mask, e, tf.zeros(shape))
        return lyr(seq, mask=mask, training=False)

    return run_layers(model, x, on_rnn).numpy()
