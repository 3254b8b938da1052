"""A local store of trained models, so a visitor can use a model the moment they arrive.

One folder per model in ``models/`` under the project's cache folder (`cache_root`: ``$RNN_EXPLORER_CACHE``,
else ``$XDG_CACHE_HOME/rnn-explorer``, else ``~/.cache/rnn-explorer``): the Keras ``model.keras`` file, the
text pipeline's vocabulary, the run's configuration and its metrics as JSON, any extra
arrays (``*.npy``), and a ``manifest.json`` with every file's size and SHA-256.

- Written atomically: everything goes into a hidden temporary folder that is renamed into
  place in one step, so a reader sees a whole entry or none. Two writers of the same key
  (two sessions training the same configuration) both finish; the first rename wins and the
  other's copy is dropped, leaving one good entry.
- Loaded with Keras ``safe_mode=True`` (no arbitrary code from a file), and only after the
  manifest's checksums match: a damaged entry is skipped with a clear message, never loaded.
- A size cap with least-recently-used eviction (an entry's folder time is bumped on use).

The store never imports streamlit; `explorer.tasks.sentiment.run` decides what goes in.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

ENV_DIR = "RNN_EXPLORER_CACHE"  # the cache root (the store lives in its models/ folder)
ENV_CAP = "RNN_EXPLORER_STORE_MB"  # the store's size cap in MB
DEFAULT_CAP_MB = 500  # about 30 IMDB models of ~16 MB (weights and optimizer state)
FORMAT = 1
MODEL, VOCAB, CONFIG, METRICS, MANIFEST = "model.keras", "vocabulary.json", "config.json", "metrics.json", "manifest.json"


class StoreProblem(RuntimeError):
    """A stored entry cannot be used; the message says which and why in one sentence."""


def cache_root() -> Path:
    """The project's cache folder on this machine (nothing is written outside it)."""
    explicit = os.environ.get(ENV_DIR)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rnn-explorer"


def key_for(description: dict[str, Any]) -> str:
    """A stable 16-hex key for a JSON-able description of a model (its configs and data)."""
    blob = json.dumps(description, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, sort_keys=True, default=_json_default), encoding="utf-8")


def _json_default(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON-able: {type(value).__name__}")


@dataclass
class Entry:
    """One stored model as listed (its files are checked for presence and size, not yet checksummed)."""

    key: str
    path: Path
    config: dict
    metrics: dict
    size: int
    used: float  # last use, seconds since the epoch (the folder's time)
    arrays: list[str] = field(default_factory=list)
    stamp: str = ""  # changes whenever a file of the entry is rewritten (for caches of loaded models)

    @property
    def created(self) -> str:
        return str(self.metrics.get("trained_at", ""))


class ModelStore:
    """The store at `root` (default: `cache_root()/models`) with a size cap in bytes."""

    def __init__(self, root: str | os.PathLike | None = None, cap_bytes: Optional[int] = None):
        self.root = Path(root) if root is not None else cache_root() / "models"
        if cap_bytes is None:
            try:
                cap_bytes = int(float(os.environ.get(ENV_CAP, DEFAULT_CAP_MB)) * 1e6)
            except ValueError:
                cap_bytes = int(DEFAULT_CAP_MB * 1e6)
        self.cap = max(0, int(cap_bytes))

    # ---------------------------------------------------------------- writing
    def save(self, key: str, model, pipeline, config: dict, metrics: dict,
             arrays: Optional[dict[str, np.ndarray]] = None) -> Entry:
        """Write one entry atomically and evict least-recently-used ones over the cap; returns the entry.

        If an intact entry with this key already exists (another session finished first), it is
        kept and this copy dropped: same configuration, same data, one copy.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.root / key
        tmp = self.root / f".tmp-{key}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            model.save(tmp / MODEL)
            pipeline.save(tmp / VOCAB)
            _write_json(tmp / CONFIG, config)
            _write_json(tmp / METRICS, metrics)
            for name, values in (arrays or {}).items():
                np.save(tmp / f"{name}.npy", np.asarray(values), allow_pickle=False)
            files = sorted(p.name for p in tmp.iterdir())
            _write_json(tmp / MANIFEST, {"format": FORMAT, "key": key,
                                         "files": {n: {"bytes": (tmp / n).stat().st_size, "sha256": _sha256(tmp / n)}
                                                   for n in files}})
            for p in tmp.iterdir():  # on disk before the rename makes the entry visible
                with open(p, "rb") as fh:
                    os.fsync(fh.fileno())
            self._publish(tmp, final)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        entry = self._read(final)
        self.evict(keep=key)
        return entry

    def _publish(self, tmp: Path, final: Path) -> None:
        """Rename `tmp` to `final`; an intact `final` wins, a damaged one is replaced."""
        for _ in range(3):
            try:
                os.rename(tmp, final)  # atomic; fails if `final` exists and is not empty
                return
            except OSError:
                if not final.exists():
                    continue
                try:
                    self.verify(self._read(final))
                    return  # someone else stored the same model first: keep theirs
                except StoreProblem:
                    self._remove(final)  # a damaged leftover: replace it
        raise StoreProblem(f"Could not store the model in {final}.")

    def _remove(self, path: Path) -> None:
        """Take an entry out of sight in one rename, then delete it."""
        trash = self.root / f".trash-{path.name}-{uuid.uuid4().hex[:8]}"
        try:
            os.rename(path, trash)
        except OSError:
            return
        shutil.rmtree(trash, ignore_errors=True)

    def remove(self, key: str) -> None:
        self._remove(self.root / key)

    # ---------------------------------------------------------------- reading
    def _read(self, path: Path) -> Entry:
        """An entry's JSON parts, with its files present at their recorded sizes; StoreProblem otherwise."""
        name = path.name
        try:
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
            config = json.loads((path / CONFIG).read_text(encoding="utf-8"))
            metrics = json.loads((path / METRICS).read_text(encoding="utf-8"))
        except FileNotFoundError as err:
            raise StoreProblem(f"Stored model {name} is incomplete ({Path(err.filename).name} is missing) "
                               "and was skipped.") from err
        except (OSError, ValueError) as err:
            raise StoreProblem(f"Stored model {name} is damaged (unreadable JSON) and was skipped.") from err
        files = manifest.get("files") if isinstance(manifest, dict) else None
        if (not isinstance(files, dict) or manifest.get("format") != FORMAT or MODEL not in files
                or VOCAB not in files or not isinstance(config, dict) or not isinstance(metrics, dict)):
            raise StoreProblem(f"Stored model {name} has an unknown layout and was skipped.")
        size, newest = 0, 0
        for fname, info in files.items():
            p = path / fname
            st = p.stat() if p.is_file() else None
            if st is None or st.st_size != info.get("bytes"):
                raise StoreProblem(f"Stored model {name} is damaged ({fname} is missing or has the wrong size) "
                                   "and was skipped.")
            size += st.st_size
            newest = max(newest, st.st_mtime_ns)
        arrays = [f[:-4] for f in files if f.endswith(".npy")]
        return Entry(name, path, config, metrics, size, path.stat().st_mtime, arrays, f"{newest}:{size}")

    def entries(self) -> tuple[list[Entry], list[str]]:
        """(intact-looking entries, newest first; one sentence per entry that was skipped)."""
        if not self.root.is_dir():
            return [], []
        good, problems = [], []
        for path in self.root.iterdir():
            if not path.is_dir() or path.name.startswith("."):
                continue
            try:
                good.append(self._read(path))
            except StoreProblem as err:
                problems.append(str(err))
        good.sort(key=lambda e: e.created, reverse=True)
        return good, problems

    def get(self, key: str) -> Optional[Entry]:
        """The entry stored under `key`, or None when there is none (or it is damaged)."""
        path = self.root / key
        if not path.is_dir():
            return None
        try:
            return self._read(path)
        except StoreProblem:
            return None

    def verify(self, entry: Entry) -> None:
        """Raise StoreProblem unless every file matches the checksum in the manifest."""
        manifest = json.loads((entry.path / MANIFEST).read_text(encoding="utf-8"))
        for fname, info in manifest["files"].items():
            if _sha256(entry.path / fname) != info.get("sha256"):
                raise StoreProblem(f"Stored model {entry.key} is damaged ({fname} does not match its checksum) "
                                   "and was skipped; it was not loaded.")

    def load(self, entry: Entry):
        """(Keras model, TextPipeline, arrays) of an entry: checksums first, then Keras safe mode."""
        import keras

        from explorer.data.text_pipeline import TextPipeline
        from explorer.nn import models  # noqa: F401  (registers the project's serializable layers)

        self.verify(entry)
        try:
            model = keras.saving.load_model(entry.path / MODEL, compile=False, safe_mode=True)
            pipeline = TextPipeline.load(entry.path / VOCAB)
            arrays = {name: np.load(entry.path / f"{name}.npy", allow_pickle=False) for name in entry.arrays}
        except Exception as err:  # noqa: BLE001 - any failure to read becomes one sentence
            raise StoreProblem(f"Stored model {entry.key} could not be loaded ({type(err).__name__}) "
                               "and was skipped.") from err
        self.touch(entry.key)
        return model, pipeline, arrays

    # ---------------------------------------------------------------- size
    def touch(self, key: str) -> None:
        """Mark an entry as just used (least-recently-used eviction reads this)."""
        try:
            os.utime(self.root / key)
        except OSError:
            pass

    def evict(self, keep: str = "") -> list[str]:
        """Delete least-recently-used entries until the store fits its cap (and temporary folders over an hour old).

        Damaged entries are left alone (listed as skipped), so what went wrong can still be looked at.
        """
        removed = []
        if not self.root.is_dir():
            return removed
        now = time.time()
        for path in self.root.iterdir():
            stale = path.name.startswith((".tmp-", ".trash-")) and now - path.stat().st_mtime > 3600
            if stale:
                shutil.rmtree(path, ignore_errors=True)
        good, _ = self.entries()
        total = sum(e.size for e in good)
        for entry in sorted(good, key=lambda e: e.used):
            if total <= self.cap:
                break
            if entry.key == keep:
                continue
            self._remove(entry.path)
            total -= entry.size
            removed.append(entry.key)
        return removed
