"""What the operator of a server decides: where data is read from and how many runs train at once.

A visitor of the app never names a server path; only these settings do. Each comes from an
environment variable first, then from the app's config file ``.streamlit/rnn_explorer.toml``
(or the file named by ``RNN_EXPLORER_CONFIG``):

    [data]
    imdb = "/srv/data/aclImdb_v1.tar.gz"  # RNN_EXPLORER_IMDB: the IMDB copy to train on
    folder = "/srv/rnn-data"              # RNN_EXPLORER_DATA_DIR: visitors may pick from its files

    [queue]
    slots = "auto"                        # RNN_EXPLORER_TRAINING_SLOTS: runs that train at once
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

ROOT = Path(__file__).resolve().parents[1]
CONFIG_FILE = ROOT / ".streamlit" / "rnn_explorer.toml"
ENV_CONFIG = "RNN_EXPLORER_CONFIG"
ENV_IMDB = "RNN_EXPLORER_IMDB"
ENV_DATA_DIR = "RNN_EXPLORER_DATA_DIR"
ENV_SLOTS = "RNN_EXPLORER_TRAINING_SLOTS"


class SettingsProblem(ValueError):
    """The operator's settings cannot be used; the message names the setting."""


@dataclass(frozen=True)
class Settings:
    """The operator's choices; None or "auto" where the app decides."""

    imdb: Optional[Path] = None  # a file or folder with the IMDB reviews
    data_dir: Optional[Path] = None  # the one folder whose files visitors may choose from
    slots: str = "auto"  # training runs at once: a positive whole number, or "auto"
    source: str = "defaults"  # where they were read from, for messages


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
    return Settings(imdb=Path(imdb).expanduser() if imdb else None,
                    data_dir=Path(folder).expanduser() if folder else None,
                    slots=slots, source=str(path) if table else "environment and defaults")
