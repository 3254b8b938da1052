"""The one server folder an operator opens to visitors: they choose among its files by name, nothing else.

A name is accepted only when it is one of `list_files(folder)`: a plain file (or an extracted
aclImdb folder) directly inside the folder whose real location is inside it too. Paths,
``..``, links that lead out of the folder and devices never match.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

SUFFIXES = (".csv", ".csv.gz", ".tar.gz", ".tgz")


class NotInDataFolder(ValueError):
    """A name that is not one of the data folder's files."""


def _inside(path: Path, folder: Path) -> bool:
    try:
        return os.path.commonpath([os.path.realpath(path), os.path.realpath(folder)]) == os.path.realpath(folder)
    except ValueError:
        return False


def _usable(entry: Path, folder: Path) -> bool:
    try:
        mode = entry.stat().st_mode  # follows links; `_inside` checks where they lead
    except OSError:
        return False
    if not _inside(entry, folder):
        return False
    if stat.S_ISREG(mode):
        return entry.name.lower().endswith(SUFFIXES)
    if stat.S_ISDIR(mode):  # an extracted aclImdb folder
        return (entry / "train").is_dir() or (entry / "aclImdb" / "train").is_dir()
    return False


def list_files(folder: Path | None) -> list[str]:
    """Sorted names of the usable data files directly in `folder`; [] when there is none or it is missing."""
    if folder is None or not Path(folder).is_dir():
        return []
    folder = Path(folder)
    return sorted(e.name for e in folder.iterdir() if not e.name.startswith(".") and _usable(e, folder))


def resolve(folder: Path | None, name: str) -> Path:
    """The path of the file called `name` in `folder`, only if `name` is one of `list_files(folder)`."""
    if folder is None or not isinstance(name, str) or name not in list_files(folder):
        raise NotInDataFolder("Choose one of the files listed from the server's data folder.")
    return Path(folder) / name
