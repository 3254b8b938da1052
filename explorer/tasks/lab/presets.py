"""Ready-made lab set-ups: the exploding ReLU network and the same run with its gradients clipped."""
from __future__ import annotations

import dataclasses

from explorer.tasks.lab.config import LAB_MODEL, LAB_TRAIN, LabConfig


# The exploding side: a ReLU network whose W_hh starts at 1.05 × identity amplifies its state, and
# its gradient, by 1.05 per step (131× over 100 steps); plain SGD at 0.1 then throws the weights to NaN.
EXPLODE = LabConfig(task="adding", T=100,
                    model=dataclasses.replace(LAB_MODEL, activation="relu", recurrent_init="identity",
                                              recurrent_scale=1.05),
                    train=dataclasses.replace(LAB_TRAIN, optimizer="sgd", learning_rate=0.1, epochs=5, clipnorm=0.0))
# The same run with every weight's gradient cut to norm 0.1: no step can exceed lr · 0.1.
CLIPPED = dataclasses.replace(EXPLODE, train=dataclasses.replace(EXPLODE.train, clipnorm=0.1))
