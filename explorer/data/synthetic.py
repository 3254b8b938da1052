"""Synthetic series with known structure, so a learner's success can be judged."""
from __future__ import annotations

import numpy as np


def sine_wave(length: int = 500, frequency: float = 0.02, amplitude: float = 1.0,
              noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """amplitude·sin(2π·frequency·t) plus Gaussian noise, t = 0..length-1 (frequency in cycles/step)."""
    if length < 1:
        raise ValueError("length must be at least 1")
    rng = np.random.default_rng(seed)
    t = np.arange(length, dtype=np.float64)
    wave = amplitude * np.sin(2 * np.pi * frequency * t)
    if noise > 0:
        wave = wave + rng.normal(0.0, noise, size=length)
    return wave


def stock_series(length: int = 500, drift: float = 0.05, volatility: float = 0.2,
                 seasonality: float = 0.0, jumps: float = 0.0, start: float = 100.0,
                 seed: int = 0, steps_per_year: int = 252) -> np.ndarray:
    """A daily price path: geometric Brownian motion with optional yearly cycle and jumps.

    drift and volatility are yearly (as quoted for stocks); `seasonality` is the
    amplitude of a yearly multiplicative cycle; `jumps` is the expected number of
    jumps per year, each a log-return drawn from N(0, max(5%, 3 × daily volatility)).
    """
    if length < 1:
        raise ValueError("length must be at least 1")
    rng = np.random.default_rng(seed)
    dt = 1.0 / steps_per_year
    log_ret = (drift - 0.5 * volatility**2) * dt + volatility * np.sqrt(dt) * rng.standard_normal(length)
    if jumps > 0:
        n_jumps = rng.poisson(jumps * dt, size=length)
        jump_size = max(0.05, 3 * volatility * np.sqrt(dt))
        log_ret = log_ret + n_jumps * rng.normal(0.0, jump_size, size=length)
    log_ret[0] = 0.0
    price = start * np.exp(np.cumsum(log_ret))
    if seasonality:
        t = np.arange(length)
        price = price * (1.0 + seasonality * np.sin(2 * np.pi * t / steps_per_year))
    return price
