"""Tasks that need long memory: the answer hides many steps before the loss.

Each task returns plain arrays, x of shape (n, T, features) and y of shape (n, 1),
plus the head it needs (binary or regression) and its chance level, the score of
a model that ignores the input (majority-class accuracy, or the MSE of always
predicting the mean), so a page can say what "learned" means.
All tasks are seeded: the same arguments give the same arrays.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TASKS = ("first_value", "adding", "lag_recall")
TASK_LABELS = {
    "first_value": "Remember the first value",
    "adding": "Adding problem",
    "lag_recall": "Recall the value k steps back",
}
MAX_T = 1000  # longest sequence a task makes: what the lab trains live on 2 CPU cores


@dataclass
class MemoryTask:
    """A long-memory data set with what it takes to judge a model on it."""

    name: str
    x: np.ndarray  # (n, T, features), float32
    y: np.ndarray  # (n, 1), float32
    head: str  # "binary" or "regression"
    metric: str  # "accuracy" (higher is better) or "mse" (lower is better)
    chance: float  # the metric of a model that ignores the input
    lag: int  # how many steps before the end the decisive input sits (the longest one)
    description: str

    @property
    def timesteps(self) -> int:
        return int(self.x.shape[1])

    @property
    def features(self) -> int:
        return int(self.x.shape[2])

    def learned(self, value: float, margin: float = 0.5) -> bool:
        """Whether `value` of `metric` closes at least `margin` of the gap from chance to perfect."""
        if not np.isfinite(value):
            return False
        if self.metric == "accuracy":
            return value >= self.chance + margin * (1.0 - self.chance)
        return value <= (1.0 - margin) * self.chance


    def chance_band(self) -> float:
        """Two standard errors of the chance score on these sequences: a score within chance ± this is
        indistinguishable from a model that ignores the input."""
        n = len(self.y)
        if self.metric == "accuracy":
            return 2.0 * math.sqrt(self.chance * (1.0 - self.chance) / n)
        return 2.0 * float(np.std((self.y - self.y.mean()) ** 2)) / math.sqrt(n)

    def standing(self, value: float) -> str:
        """Where a held-out score stands: "learned", "partly" (beyond the chance band, short of learned),
        "chance" (within the band) or "worse" (worse than chance beyond the band); "none" when not finite."""
        if not np.isfinite(value):
            return "none"
        if self.learned(value):
            return "learned"
        better = value - self.chance if self.metric == "accuracy" else self.chance - value
        band = self.chance_band()
        return "partly" if better > band else ("chance" if better >= -band else "worse")


def _check(n: int, T: int) -> None:
    if n < 2:
        raise ValueError("A memory task needs at least 2 samples.")
    if not 2 <= T <= MAX_T:
        raise ValueError(f"The sequence length must be between 2 and {MAX_T} steps.")


def _chance_binary(y: np.ndarray) -> float:
    p = float(np.mean(y))
    return max(p, 1.0 - p)


def _balanced_signs(rng: np.random.Generator, n: int) -> np.ndarray:
    """Exactly half +1 and half −1 (one extra +1 for odd n), shuffled: chance is 0.5."""
    s = np.where(np.arange(n) < (n + 1) // 2, 1.0, -1.0)
    return rng.permutation(s)


def first_value(n: int = 512, T: int = 100, noise: float = 0.5, head: str = "binary",
                seed: int = 0) -> MemoryTask:
    """x_1 carries the answer, then T − 1 steps of Gaussian noise; output the sign (or value) of x_1.

    `head="binary"`: x_1 = ±1 and y = 1 when x_1 > 0. `head="regression"`: x_1 ~ U(−1, 1), y = x_1.
    """
    _check(n, T)
    if head not in ("binary", "regression"):
        raise ValueError("head must be 'binary' or 'regression'")
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, noise, size=(n, T, 1))
    if head == "binary":
        x[:, 0, 0] = _balanced_signs(rng, n)
        y = (x[:, 0, :] > 0).astype(np.float32)
        metric, chance = "accuracy", _chance_binary(y)
    else:
        x[:, 0, 0] = rng.uniform(-1.0, 1.0, size=n)
        y = x[:, 0, :].astype(np.float32)
        metric, chance = "mse", float(np.var(y))
    return MemoryTask("first_value", x.astype(np.float32), y, head, metric, chance, T - 1,
                      f"The first of {T} inputs decides the answer; the other {T - 1} are noise (σ = {noise:g}).")


def adding(n: int = 512, T: int = 100, seed: int = 0) -> MemoryTask:
    """The adding problem (Hochreiter & Schmidhuber, 1997): output the sum of two marked values.

    Channel 0 holds values drawn from U(0, 1); channel 1 marks one position in the first
    half and one in the second half. Predicting the mean (≈ 1) scores MSE ≈ 1/6.
    """
    _check(n, T)
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, T))
    half = max(1, T // 2)
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, T, size=n) if T > half else first
    second = np.where(second == first, (first + 1) % T, second)
    marks = np.zeros((n, T))
    rows = np.arange(n)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    x = np.stack([values, marks], axis=-1).astype(np.float32)
    y = (values[rows, first] + values[rows, second])[:, None].astype(np.float32)
    chance = float(np.mean((y - y.mean()) ** 2))
    return MemoryTask("adding", x, y, "regression", "mse", chance, int(T - 1 - first.min()),
                      f"Two of {T} values are marked; the answer is their sum. "
                      "The first mark sits in the first half, far from the end.")


def lag_recall(n: int = 512, lag: int = 50, T: int | None = None, seed: int = 0) -> MemoryTask:
    """Recall the sign of the marked value exactly `lag` steps before the last step.

    Channel 0 holds N(0, 1) values at every step; channel 1 marks position T − 1 − lag.
    Everything after the mark is a distractor of the same size, so the network must
    latch the marked value and hold it for `lag` steps. T defaults to lag + 5.
    """
    if lag < 0:
        raise ValueError("The lag must be 0 or more steps.")
    T = lag + 5 if T is None else T
    _check(n, T)
    if lag > T - 1:
        raise ValueError(f"A lag of {lag} needs sequences of at least {lag + 1} steps.")
    rng = np.random.default_rng(seed)
    values = rng.normal(0.0, 1.0, size=(n, T))
    pos = T - 1 - lag
    values[:, pos] = _balanced_signs(rng, n) * (0.5 + rng.uniform(0.0, 1.0, size=n))
    marks = np.zeros((n, T))
    marks[:, pos] = 1.0
    x = np.stack([values, marks], axis=-1).astype(np.float32)
    y = (values[:, pos] > 0)[:, None].astype(np.float32)
    return MemoryTask("lag_recall", x, y, "binary", "accuracy", _chance_binary(y), lag,
                      f"The marked value {lag} steps before the end decides the answer; "
                      "every other value is a distractor.")


def make_task(name: str, n: int = 512, T: int = 100, seed: int = 0, lag: int | None = None) -> MemoryTask:
    """One of `TASKS` by name; `lag` applies to lag_recall (default T − 5)."""
    if name == "first_value":
        return first_value(n, T, seed=seed)
    if name == "adding":
        return adding(n, T, seed=seed)
    if name == "lag_recall":
        return lag_recall(n, max(0, T - 5) if lag is None else lag, T=T, seed=seed)
    raise ValueError(f"Unknown task {name!r}: choose one of {', '.join(TASKS)}.")
