"""Synthetic series with known structure, so a learner's success can be judged."""
from __future__ import annotations

from typing import Optional

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


def _ar1(n: int, phi: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """A stationary AR(1) path x_t = φ·x_{t−1} + ε_t, ε ~ N(0, σ²)."""
    eps = rng.normal(0.0, sigma, n)
    out = np.empty(n)
    out[0] = eps[0] / np.sqrt(max(1e-12, 1 - phi**2))
    for i in range(1, n):
        out[i] = phi * out[i - 1] + eps[i]
    return out


def trend_and_season(length: int, level: float, slope: float, period: float, amplitude: float,
                     noise: float, seed: int = 0, ar: float = 0.0) -> np.ndarray:
    """level + slope·t + amplitude·sin(2πt/period) + AR(1) noise: e.g. weekly CO₂ at a station."""
    rng = np.random.default_rng(seed)
    t = np.arange(length, dtype=np.float64)
    season = amplitude * np.sin(2 * np.pi * t / period) if period else 0.0
    return level + slope * t + season + _ar1(length, ar, noise, rng)


def growth_series(length: int, level: float, growth: float, shock: float, persistence: float = 0.5,
                  period: Optional[int] = None, seasonal: float = 0.0, seed: int = 0) -> np.ndarray:
    """A level that grows by `growth` per step on average, with persistent shocks to the growth rate.

    Employment, GDP, emissions: an integrated (unit-root) series with drift, optionally a
    multiplicative seasonal pattern of relative size `seasonal` repeating every `period` steps.
    """
    rng = np.random.default_rng(seed)
    log_level = np.log(level) + np.cumsum(growth + _ar1(length, persistence, shock, rng))
    out = np.exp(log_level)
    if period and seasonal:
        pattern = rng.normal(0.0, seasonal, period)
        out = out * (1.0 + pattern[np.arange(length) % period] - pattern.mean())
    return out


def seasonal_series(length: int, period: int, level: float, growth: float, amplitude: float, noise: float,
                    multiplicative: bool, seed: int = 0, wander: float = 0.0) -> np.ndarray:
    """A trending series with a season of fixed shape (drawn once per seed, not a sine) and noise.

    Additive: level + growth·t + amplitude·season_t + noise (a season of constant size, e.g. monthly
    temperatures on a warming trend). Multiplicative: level·exp(growth·t)·(1 + amplitude·season_t)·(1 + noise),
    so the swings grow with the level (airline passengers, quarterly gas use, earnings). `wander` adds a
    random walk to the trend (relative for multiplicative), as real series drift off a straight line.
    """
    rng = np.random.default_rng(seed)
    shape = rng.normal(0.0, 1.0, period)
    shape = (shape - shape.mean()) / shape.std()
    season = shape[np.arange(length) % period]
    t = np.arange(length, dtype=np.float64)
    walk = np.cumsum(rng.normal(0.0, wander, length)) if wander else 0.0
    eps = rng.normal(0.0, noise, length)
    if multiplicative:
        return level * np.exp(growth * t + walk) * (1.0 + amplitude * season) * (1.0 + eps)
    return level + growth * t + level * walk + amplitude * season + eps


# Kinds of real series the time-series page must handle, as generators (bench/ and tests/ use them).
EXAMPLES = {
    "noisy sine": lambda seed: sine_wave(500, 0.02, 1.0, 0.1, seed),
    "weekly trend + yearly cycle": lambda seed: trend_and_season(600, 315.0, 0.035, 52.18, 3.0, 0.3, seed, ar=0.5),
    "monthly growth + season": lambda seed: growth_series(360, 1000.0, 0.0015, 0.002, 0.6, 12, 0.01, seed),
    "quarterly growth": lambda seed: growth_series(200, 500.0, 0.008, 0.006, 0.4, seed=seed),
    "monthly random walk (prices)": lambda seed: stock_series(120, 0.05, 0.25, seed=seed, steps_per_year=12),
    "daily random walk (prices)": lambda seed: stock_series(1000, 0.05, 0.25, seed=seed),
    "daily weather": lambda seed: trend_and_season(1460, 12.0, 0.0, 365.25, 9.0, 2.0, seed, ar=0.75),
    "monthly additive season": lambda seed: seasonal_series(240, 12, 100.0, 0.15, 8.0, 2.0, False, seed, 0.004),
    "monthly multiplicative season": lambda seed: seasonal_series(144, 12, 100.0, 0.01, 0.2, 0.03, True, seed, 0.01),
    "quarterly additive season": lambda seed: seasonal_series(120, 4, 50.0, 0.2, 6.0, 1.5, False, seed, 0.005),
    "quarterly multiplicative season": lambda seed: seasonal_series(100, 4, 100.0, 0.025, 0.25, 0.04, True, seed, 0.01),
}
SEASONAL_KINDS = ("monthly additive season", "monthly multiplicative season", "quarterly additive season",
                  "quarterly multiplicative season")
