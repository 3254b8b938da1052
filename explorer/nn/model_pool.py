"""Built models reused per configuration, because TensorFlow never forgets a trained one.

Every model that is trained leaves its traced graph functions in the process for good, after
the model itself is gone (tensorflow#61791, keras#17458), and
neither `clear_session` nor dropping the function definitions gives it back. A server that
builds a fresh model for every Train click grows with every click of every visitor.

So a model that is done with goes back to a pool, keyed by everything that shapes its traced
functions, and the next run of the same configuration gets it with the fresh model's state
copied in (weights, dropout seeds, zeroed optimizer slots and step count, learning rate): the
same run bit for bit (tests/test_model_pool.py), without tracing again and without growing.

A finished run's model stays with its job while the run's link is kept, so the pool alone would run
dry of the set-up most visitors start with. For such a key the pool keeps spares: `keep_spare` names
how to make a traced one, and `refill` (called when the server has no run training) makes those that
runs took, so the next visitor's first curve point does not wait for tracing.
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import Callable, Hashable, Optional

import numpy as np

SPARES = 2  # idle models kept ready per spare key: a visitor who comes while one is made still finds the other
SPARE_WAIT_S = 30.0  # the longest a run waits for a spare being made before it builds its own
MAX_IDLE = 32  # idle models kept, least recently returned dropped first (an idle series model is ~100 KiB)


def pool_key(model_cfg, train_cfg, timesteps, features: int = 1, time_scale=None) -> tuple:
    """What the traced functions of `build_model(model_cfg, train_cfg, timesteps, features, time_scale)` depend on.

    The seed and learning rate are state (copied in), not structure; the optimizer's kind, its
    clipping and XLA are compiled into the step."""
    return (model_cfg, train_cfg.optimizer, float(train_cfg.clipnorm), bool(train_cfg.jit_compile),
            timesteps, features, time_scale)


def copy_state(target, source) -> bool:
    """Put `source`'s whole state into `target`, a built twin; False (nothing copied) if they differ in shape."""
    mine, theirs = target.variables, source.variables
    if len(mine) != len(theirs) or any(tuple(a.shape) != tuple(b.shape) for a, b in zip(mine, theirs)):
        return False
    for a, b in zip(mine, theirs):  # weights, and the dropout layers' seed generator states
        a.assign(b)
    opt = target.optimizer
    for v in opt.variables:  # Adam's, RMSprop's and SGD's slots all start at zero
        if v is opt._iterations:
            v.assign(0)
        elif v is getattr(opt, "_learning_rate", None):
            v.assign(float(source.optimizer.learning_rate))
        else:
            v.assign(np.zeros(tuple(v.shape), dtype=v.dtype))
    target.stop_training = False
    return True


class ModelPool:
    """Idle compiled models by key; `lend` hands one out in a fresh model's state, `give_back` takes it back."""

    def __init__(self, max_idle: int = MAX_IDLE):
        self.max_idle = max_idle
        self._idle: OrderedDict[int, tuple[Hashable, object]] = OrderedDict()  # id(model) → (key, model)
        self._lock = threading.RLock()  # a finalizer may give back from inside a collection on this thread
        self._spares: dict[Hashable, Callable[[], object]] = {}  # key → makes a traced model of it
        self._refilling = threading.Lock()
        self._making: dict[Hashable, threading.Event] = {}  # key → set once the spare being made is in
        self._maker: Optional[int] = None  # the thread that `refill` runs in, while it does
        self.reused = 0

    def lend(self, fresh, key: Hashable, owner: Optional[object] = None):
        """A model in exactly `fresh`'s state: an idle one of the same `key` (its traces kept), else `fresh`.

        With `owner`, the model comes back to the pool when `owner` is collected; else call `give_back`."""
        maker = threading.get_ident() == self._maker  # `refill` makes a spare: a new model, not one it made before
        model = None if maker else self._take(key)
        if model is None and not maker and (making := self._making.get(key)) is not None:
            making.wait(SPARE_WAIT_S)  # a spare of this key is being made: sooner than making another
            model = self._take(key)
        model = fresh if model is None else model
        if model is not fresh:
            if copy_state(model, fresh):
                self.reused += 1
            else:
                model = fresh
        if owner is not None:
            self.return_with(owner, model, key)
        return model

    def _take(self, key: Hashable):
        with self._lock:
            for ident, (k, idle) in reversed(self._idle.items()):
                if k == key:
                    del self._idle[ident]
                    return idle
        return None

    def return_with(self, owner: object, model, key: Hashable) -> None:
        """Give `model` back when `owner` (what keeps it in use: a page's run record) is collected."""
        weakref.finalize(owner, self.give_back, model, key)

    def give_back(self, model, key: Hashable) -> None:
        """`model` is no longer used by anyone: keep it for the next run of `key`."""
        with self._lock:
            self._idle[id(model)] = (key, model)
            self._idle.move_to_end(id(model))
            while len(self._idle) > self.max_idle:
                self._idle.popitem(last=False)

    def keep_spare(self, key: Hashable, make: Callable[[], object]) -> None:
        """Keep SPARES idle models of `key` ready from now on: `refill` calls `make()` (a traced model of `key`)
        for each one missing."""
        with self._lock:
            self._spares[key] = make

    def refill(self) -> int:
        """Make the spares missing of each `keep_spare` key; how many were made. One caller at a
        time (another returns 0 at once); call it when no run trains, as making one traces and trains."""
        if not self._refilling.acquire(blocking=False):
            return 0
        try:
            with self._lock:
                wanted = [(k, make) for k, make in self._spares.items() for _ in range(SPARES - self.idle(k))]
            self._maker = threading.get_ident()
            for key, make in wanted:
                self._making[key] = made = threading.Event()
                try:
                    self.give_back(make(), key)
                finally:
                    del self._making[key]
                    made.set()
            return len(wanted)
        finally:
            self._maker = None
            self._refilling.release()

    def waiting(self, key: Optional[Hashable] = None) -> list:
        """The idle models (of `key`, or of any), least recently returned first."""
        with self._lock:
            return [m for k, m in self._idle.values() if key is None or k == key]

    def idle(self, key: Optional[Hashable] = None) -> int:
        """How many models wait (of `key`, or of any)."""
        return len(self.waiting(key))


POOL = ModelPool()  # one per process: the traces it saves are the process's
