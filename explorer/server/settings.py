"""What the operator of a server decides: where data is read from and how many runs train at once.

A visitor of the app never names a server path; only these settings do. Each comes from an
environment variable first, then from the app's config file ``.streamlit/rnn_explorer.toml``
(or the file named by ``RNN_EXPLORER_CONFIG``):

    [data]
    imdb = "/srv/data/aclImdb_v1.tar.gz"  # RNN_EXPLORER_IMDB: the IMDB copy to train on
    folder = "/srv/rnn-data"              # RNN_EXPLORER_DATA_DIR: visitors may pick from its files

    [queue]
    slots = "auto"                        # RNN_EXPLORER_TRAINING_SLOTS: runs that train at once

    [executor]                            # where runs train (default: threads of the app's own process)
    kind = "ray"                          # RNN_EXPLORER_EXECUTOR: "embedded" or "ray"
    address = "10.0.0.5:6379"             # RNN_EXPLORER_RAY_ADDRESS: the Ray cluster's head (alone, it means "ray")
    fallback = false                      # RNN_EXPLORER_RAY_FALLBACK: train here when the cluster cannot be reached
    cpus = 1                              # RNN_EXPLORER_RAY_CPUS: CPUs a run asks the cluster for
    gpus = 0                              # RNN_EXPLORER_RAY_GPUS: GPUs a run asks the cluster for
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from explorer.data.imdb import ENV_VAR

ROOT = Path(__file__).resolve().parents[2]
CONFIG_FILE = ROOT / ".streamlit" / "rnn_explorer.toml"

ENV_CONFIG = "RNN_EXPLORER_CONFIG"
ENV_IMDB = ENV_VAR  # named by the IMDB reader, which says it in its messages
ENV_DATA_DIR = "RNN_EXPLORER_DATA_DIR"
ENV_SLOTS = "RNN_EXPLORER_TRAINING_SLOTS"
ENV_EXECUTOR = "RNN_EXPLORER_EXECUTOR"
ENV_RAY_ADDRESS = "RNN_EXPLORER_RAY_ADDRESS"
ENV_RAY_FALLBACK = "RNN_EXPLORER_RAY_FALLBACK"
ENV_RAY_CPUS = "RNN_EXPLORER_RAY_CPUS"
ENV_RAY_GPUS = "RNN_EXPLORER_RAY_GPUS"
EXECUTORS = ("embedded", "ray")


class SettingsProblem(ValueError):
    """The operator's settings cannot be used; the message names the setting."""


@dataclass(frozen=True)
class Settings:
    """The operator's choices; None or "auto" where the app decides."""

    imdb: Optional[Path] = None  # a file or folder with the IMDB reviews
    data_dir: Optional[Path] = None  # the one folder whose files visitors may choose from
    slots: str = "auto"  # training runs at once: a positive whole number, or "auto"
    source: str = "defaults"  # where they were read from, for messages
    executor: str = "embedded"  # where runs train: "embedded" (the app's threads) or "ray" (a Ray cluster)
    ray_address: str = "auto"  # the cluster's head, host:port ("auto": the cluster started on this machine)
    ray_fallback: bool = False  # cluster unreachable at start: train in the app's process instead of failing
    ray_cpus: float = 1.0  # CPUs (and GPUs) each run asks the cluster for
    ray_gpus: float = 0.0


def _read_toml(path: Path) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 reads it with the pinned tomli
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise SettingsProblem(f"The config file {path} cannot be read: {err}") from err


def load(env: Mapping[str, str] = os.environ, config_file: Optional[Path] = None) -> Settings:
    """The settings now: environment variables over the config file over the defaults."""
    path = Path(config_file or env.get(ENV_CONFIG) or CONFIG_FILE)
    table = _read_toml(path) if path.is_file() else {}
    data, queue = table.get("data", {}) or {}, table.get("queue", {}) or {}

    def pick(var: str, value) -> Optional[str]:
        chosen = env.get(var) or value
        return str(chosen).strip() if chosen not in (None, "") else None

    imdb, folder = pick(ENV_IMDB, data.get("imdb")), pick(ENV_DATA_DIR, data.get("folder"))
    slots = pick(ENV_SLOTS, queue.get("slots")) or "auto"
    if slots != "auto" and not (slots.isdigit() and int(slots) >= 1):
        raise SettingsProblem(f"{ENV_SLOTS} / [queue] slots must be a whole number ≥ 1 or \"auto\", not {slots!r}.")
    ex = table.get("executor", {}) or {}
    address = pick(ENV_RAY_ADDRESS, ex.get("address"))
    kind = (pick(ENV_EXECUTOR, ex.get("kind")) or ("ray" if address else "embedded")).lower()
    if kind not in EXECUTORS:
        raise SettingsProblem(f"{ENV_EXECUTOR} / [executor] kind must be one of {', '.join(EXECUTORS)}, not {kind!r}.")
    fallback = (pick(ENV_RAY_FALLBACK, ex.get("fallback")) or "false").lower()
    if fallback not in ("true", "false", "1", "0", "yes", "no"):
        raise SettingsProblem(f"{ENV_RAY_FALLBACK} / [executor] fallback must be true or false, not {fallback!r}.")
    return Settings(imdb=Path(imdb).expanduser() if imdb else None,
                    data_dir=Path(folder).expanduser() if folder else None,
                    slots=slots, source=str(path) if table else "environment and defaults",
                    executor=kind, ray_address=address or "auto", ray_fallback=fallback in ("true", "1", "yes"),
                    ray_cpus=_amount(pick(ENV_RAY_CPUS, ex.get("cpus")), ENV_RAY_CPUS, "cpus", 1.0, low=0.01),
                    ray_gpus=_amount(pick(ENV_RAY_GPUS, ex.get("gpus")), ENV_RAY_GPUS, "gpus", 0.0, low=0.0))


def _amount(value: Optional[str], var: str, key: str, default: float, low: float) -> float:
    """A run's share of a resource: a number ≥ `low` (fractions allowed, as Ray takes them)."""
    if value is None:
        return default
    try:
        amount = float(value)
    except ValueError:
        amount = -1.0
    if not amount >= low:
        raise SettingsProblem(f"{var} / [executor] {key} must be a number ≥ {low:g}, not {value!r}.")
    return amount
