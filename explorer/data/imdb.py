"""The Large Movie Review Dataset (Maas et al., 2011) as raw review texts and 0/1 labels.

Why the raw aclImdb archive and not `keras.datasets.imdb`: a person types a review
into the app, and that text must go through exactly the same pipeline as the
training reviews. `keras.datasets.imdb` ships reviews already turned into ids by a
tokenizer that is not published (with its own index offset of 3 and a word index
whose splitting rules cannot be reproduced on new text), so a typed review would be
encoded differently from what the model learned. With the raw texts one
`TextVectorization` (see `explorer.data.text_pipeline`) encodes both.

Where the data comes from, first match wins (`resolve_source`):
1. a path given by the caller (a notebook, or a file the app's operator put in its data folder),
2. the operator's setting: the environment variable ``RNN_EXPLORER_IMDB`` or ``[data] imdb`` in
   ``.streamlit/rnn_explorer.toml`` (see `explorer.server.settings`),
3. ``../shared/datasets/aclImdb_v1.tar.gz`` next to the project (development, CI),
4. the original archive downloaded once with `keras.utils.get_file` (cached in ~/.keras/datasets).
Each may be the aclImdb folder, its ``.tar.gz`` archive, or a CSV with text and label columns.
Every reader checks the limits below before it reads a file whole.
"""
from __future__ import annotations

import io
import os
import re
import stat
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from explorer.data.text_encoding import unicode_codec

ENV_VAR = "RNN_EXPLORER_IMDB"  # the operator's setting (`explorer.server.settings`) that names the IMDB copy
URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
ARCHIVE = "aclImdb_v1.tar.gz"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "datasets" / ARCHIVE

_MEMBER = re.compile(r"(?:^|/)(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")
_LABELS = {"0": 0, "1": 1, "neg": 0, "pos": 1, "negative": 0, "positive": 1,
           "false": 0, "true": 1, "0.0": 0, "1.0": 1}
TEXT_COLUMNS = ("text", "review", "sentence", "content")
LABEL_COLUMNS = ("label", "sentiment", "target", "class", "polarity")

# Limits, checked before a file is read whole (stated in the app; the original archive is far below them).
MAX_ARCHIVE_BYTES = 512 * 2**20  # a .tar.gz on disk (aclImdb_v1.tar.gz: 84 MB)
MAX_UNPACKED_BYTES = 2 * 2**30  # all it unpacks to, read as a stream (aclImdb: about 0.5 GB)
MAX_REVIEW_BYTES = 2**20  # one review file (the longest IMDB review: 14 KB)
MAX_REVIEWS = 200_000  # labelled reviews in an archive or a folder (aclImdb: 50,000)
MAX_CSV_BYTES = 256 * 2**20  # a labelled-text CSV on the server (an upload is capped lower by Streamlit)
MAX_CSV_ROWS = 200_000


def _quote(value, limit: int = 24) -> str:
    """A user-supplied value made inert for any display (no markup characters), shortened."""
    text = re.sub(r"[^\w .,/-]", "?", str(value))
    return "'" + (text[:limit] + "…" if len(text) > limit else text) + "'"


class DataProblem(ValueError):
    """The data cannot be used as given; the message says why in one sentence."""


@dataclass
class Reviews:
    """Labelled texts of one split; label 1 = positive, 0 = negative.

    `ids` are aclImdb's review numbers (the N of N_rating.txt, per label folder) and `movies`
    each review's movie (its IMDB address from urls_pos.txt / urls_neg.txt), when the source has them.
    """

    texts: list[str]
    labels: np.ndarray  # int8, shape (n,)
    ids: Optional[np.ndarray] = None  # int64, shape (n,)
    movies: Optional[np.ndarray] = None  # object (str), shape (n,)

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, idx: Sequence[int] | np.ndarray) -> "Reviews":
        idx = np.asarray(idx, dtype=np.int64)
        pick = (lambda a: None if a is None else a[idx])
        return Reviews([self.texts[i] for i in idx], self.labels[idx], pick(self.ids), pick(self.movies))


@dataclass
class ImdbData:
    """Train and test reviews plus a plain description of where they came from."""

    train: Reviews
    test: Reviews
    source: str
    notes: list[str] = field(default_factory=list)
    columns: tuple = ()  # a CSV's text, label and split columns ("" for none), as `read_csv` found them
    file_name: str = ""  # a CSV's own file name (an upload's as the person named it), for the run's script

    def fingerprint(self) -> str:
        """A short hash of every text and label: the same reviews give the same value on any machine."""
        cached = getattr(self, "_fingerprint", None)
        if cached is None:
            import hashlib

            h = hashlib.sha256()
            for part in (self.train, self.test):
                h.update(np.asarray(part.labels, np.int8).tobytes())
                for text in part.texts:
                    h.update(text.encode("utf-8", errors="replace"))
                    h.update(b"\0")
            cached = self._fingerprint = h.hexdigest()[:16]
        return cached


# ---------------------------------------------------------------- where the data is

def resolve_source(path: str | os.PathLike | None = None,
                   configured: str | os.PathLike | None = None) -> Optional[Path]:
    """The local dataset to read (argument, the operator's setting `configured`, shared copy), or None to download.

    The caller passes the operator's setting (`explorer.server.settings.load().imdb`): data sits below the server."""
    for candidate in (path, configured):
        if candidate:
            p = Path(candidate).expanduser()
            if not p.exists():
                raise DataProblem(f"No IMDB data at {p}: give the aclImdb folder, its .tar.gz or a CSV.")
            return p
    return SHARED if SHARED.exists() else None


def download(progress: Optional[Callable[[str], None]] = None) -> Path:
    """Fetch the original archive once, the standard Keras way (cached in ~/.keras/datasets)."""
    import keras  # lazy: only this path needs it

    if progress:
        progress(f"Downloading the IMDB reviews (84 MB) from {URL} …")
    return Path(keras.utils.get_file(ARCHIVE, URL, extract=False))


# ---------------------------------------------------------------- readers

_URLS = re.compile(r"(?:^|/)(train|test)/urls_(pos|neg)\.txt$")


def _finish(split_rows: dict[str, list[tuple[int, int, str]]], source: str,
            urls: Optional[dict[tuple[str, str], list[str]]] = None) -> ImdbData:
    """Sort rows (label, id) for a deterministic order and pack them into `Reviews`.

    `urls[(split, "pos"|"neg")]` is that folder's urls_*.txt: line N is the movie of review N.
    """
    out = {}
    urls = urls or {}
    for split in ("train", "test"):
        rows = sorted(split_rows.get(split, []))
        labels = np.array([r[0] for r in rows], dtype=np.int8)
        ids = np.array([r[1] for r in rows], dtype=np.int64)
        movies = None
        lists = [urls.get((split, name)) for name in ("neg", "pos")]
        if rows and all(lists) and all(r[1] < len(lists[r[0]]) for r in rows):
            movies = np.array([lists[r[0]][r[1]].strip() for r in rows], dtype=object)
        out[split] = Reviews([r[2] for r in rows], labels, ids, movies)
    if len(out["train"]) == 0:
        raise DataProblem(f"{source} has no train/pos or train/neg reviews: is it the aclImdb dataset?")
    return ImdbData(out["train"], out["test"], source)


def _octal(field: bytes) -> int:
    """A tar number field: octal text, or GNU base-256 for large values."""
    if field[:1] and field[0] & 0x80:
        return int.from_bytes(field[1:], "big")
    return int(field.rstrip(b"\0 ").decode("ascii") or "0", 8)


def _pax_records(data: bytes) -> dict[str, str]:
    """A pax extended header's `length key=value` records."""
    out, pos = {}, 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        length = int(data[pos:space])
        key, _, value = data[space + 1:pos + length - 1].partition(b"=")
        out[key.decode("utf-8", "replace")] = value.decode("utf-8", "replace")
        pos += max(length, 1)
    return out


def _tar_stream(fh, want: Callable[[str], bool], source: str):
    """Yield (name, data) of the regular members of a tar stream whose name `want`s, one at a time.

    Walks the 512-byte headers itself (much faster than `tarfile` for many small members) and
    never holds more than one member: every other member is skipped unread, and the limits
    (`MAX_UNPACKED_BYTES` in all, `MAX_REVIEW_BYTES` per review, `MAX_REVIEWS`) are checked
    from the headers before any data is read.
    """
    total, kept, long_name, pax = 0, 0, None, {}
    while True:
        head = fh.read(512)
        if len(head) < 512 or head == bytes(512):
            if head.strip(b"\0"):
                raise DataProblem(f"{source} ends in the middle of a file: the archive is incomplete.")
            return
        stored = head[148:156]
        checksum = sum(head[:148]) + 8 * 32 + sum(head[156:])
        try:
            if _octal(stored) != checksum:
                raise ValueError
            size = _octal(head[124:136])
        except ValueError:
            raise DataProblem(f"{source} is not a tar archive of reviews (a damaged or foreign file).") from None
        kind = head[156:157]
        if kind == b"x" or kind == b"g":
            if size > 2**20:
                raise DataProblem(f"{source} has a header of {size:,} bytes: not an archive this app reads.")
            try:
                records = _pax_records(fh.read((size + 511) // 512 * 512)[:size])
                int(records.get("size", 0))
            except ValueError:
                raise DataProblem(f"{source} has a damaged extended header.") from None
            if kind == b"x":
                pax = records
            total += 512 + size
            continue
        if "size" in pax:
            size = int(pax["size"])
        padded = (size + 511) // 512 * 512
        if kind == b"L":  # GNU long name: the next member's name
            if size > 2**16:
                raise DataProblem(f"{source} has a file name of {size:,} bytes: not an archive this app reads.")
            total += 512 + padded
            long_name = fh.read(padded)[:size].rstrip(b"\0").decode("utf-8", "replace")
            continue
        name = head[:100].rstrip(b"\0").decode("utf-8", "replace")
        if head[257:263] == b"ustar\0":  # POSIX: a prefix holds the start of long names
            prefix = head[345:500].rstrip(b"\0").decode("utf-8", "replace")
            name = f"{prefix}/{name}" if prefix else name
        name = pax.get("path", long_name or name)
        long_name, pax = None, {}
        wanted = kind in (b"0", b"\0", b"7") and want(name)
        if wanted and size > MAX_REVIEW_BYTES:
            raise DataProblem(f"{source}: {_quote(name, 60)} is {size / 2**20:.1f} MB; a review may be at most "
                              f"{MAX_REVIEW_BYTES / 2**20:.0f} MB.")
        total += 512 + padded
        if total > MAX_UNPACKED_BYTES:
            raise DataProblem(f"{source} unpacks to more than {MAX_UNPACKED_BYTES / 2**30:.0f} GB "
                              "(the limit); the aclImdb archive unpacks to about 0.5 GB.")
        if wanted:
            kept += 1
            if kept > MAX_REVIEWS:
                raise DataProblem(f"{source} holds more than {MAX_REVIEWS:,} reviews (the limit).")
            data = fh.read(padded)[:size]
            if len(data) < size:
                raise DataProblem(f"{source} ends in the middle of a file: the archive is incomplete.")
            yield name, data
        elif padded:
            fh.seek(padded, 1)


def _regular_file(path: Path, limit: int, what: str) -> int:
    """The size of `path`, a regular file no larger than `limit`; DataProblem otherwise."""
    try:
        st = path.stat()
    except OSError as err:
        raise DataProblem(f"Cannot open {path}: {err.strerror or err}.") from err
    if not stat.S_ISREG(st.st_mode):
        raise DataProblem(f"{path} is not a regular file.")
    if st.st_size > limit:
        raise DataProblem(f"{path} is {st.st_size / 2**20:,.0f} MB; {what} may be at most {limit / 2**20:,.0f} MB.")
    return st.st_size


def read_tarball(path: str | os.PathLike) -> ImdbData:
    """Read reviews straight from the aclImdb .tar.gz, streamed (no extraction; the unlabelled part is skipped)."""
    import gzip

    path = Path(path)
    _regular_file(path, MAX_ARCHIVE_BYTES, "an IMDB archive")
    rows: dict[str, list] = {"train": [], "test": []}
    urls: dict[tuple[str, str], list[str]] = {}
    source = f"The archive {path.name}"
    try:
        with gzip.open(path) as fh:
            wanted = lambda n: _MEMBER.search(n) is not None or _URLS.search(n) is not None  # noqa: E731
            for name, data in _tar_stream(fh, wanted, source):
                if (m := _MEMBER.search(name)) is not None:
                    rows[m.group(1)].append((int(m.group(2) == "pos"), int(m.group(3)),
                                             data.decode("utf-8", errors="replace")))
                elif (u := _URLS.search(name)) is not None:
                    urls[(u.group(1), u.group(2))] = data.decode("utf-8", errors="replace").splitlines()
    except (OSError, EOFError, zlib.error) as err:
        raise DataProblem(f"Could not read the archive {path}: {err}.") from err
    return _finish(rows, f"aclImdb archive {path}", urls)


def read_folder(path: str | os.PathLike) -> ImdbData:
    """Read an extracted aclImdb folder (the folder itself or one that contains it), within the limits."""
    root = Path(path)
    if not (root / "train").is_dir() and (root / "aclImdb" / "train").is_dir():
        root = root / "aclImdb"
    rows: dict[str, list] = {"train": [], "test": []}
    urls: dict[tuple[str, str], list[str]] = {}
    kept = 0
    for split in ("train", "test"):
        for label in ("neg", "pos"):
            listing = root / split / f"urls_{label}.txt"
            if listing.is_file():
                urls[(split, label)] = listing.read_text(encoding="utf-8", errors="replace").splitlines()
            for f in (root / split / label).glob("*.txt"):
                m = _MEMBER.search(f.as_posix())
                if not m:
                    continue
                kept += 1
                if kept > MAX_REVIEWS:
                    raise DataProblem(f"{root} holds more than {MAX_REVIEWS:,} reviews (the limit).")
                _regular_file(f, MAX_REVIEW_BYTES, "a review")
                with open(f, "rb") as fh:
                    text = fh.read(MAX_REVIEW_BYTES + 1).decode("utf-8", errors="replace")
                rows[split].append((int(label == "pos"), int(m.group(3)), text))
    return _finish(rows, f"aclImdb folder {root}", urls)


def parse_labels(values) -> np.ndarray:
    """0/1, pos/neg, positive/negative (any case) → int8 0/1; a clear error otherwise."""
    import pandas as pd

    s = pd.Series(values)
    missing = s.isna() | (s.astype(str).str.strip() == "")
    if missing.any():
        raise DataProblem(f"{int(missing.sum())} row(s) have no label (first at row {int(np.flatnonzero(missing)[0]) + 1}); "
                          "every text needs a label 0/1, pos/neg or positive/negative.")
    keys = s.astype(str).str.strip().str.lower()
    mapped = keys.map(_LABELS)
    bad = mapped.isna()
    if bad.any():
        examples = ", ".join(_quote(v) for v in keys[bad].unique()[:3])
        raise DataProblem(f"Labels must be binary (0/1, pos/neg or positive/negative); found {examples}.")
    out = mapped.to_numpy(dtype=np.int8)
    if len(np.unique(out)) < 2:
        raise DataProblem("All labels are the same: a sentiment model needs both positive and negative texts.")
    return out


def _csv_bytes(source, label: str, max_bytes: int) -> bytes:
    """The bytes of a CSV given as a path, bytes or a binary file object; never more than `max_bytes` read."""
    if isinstance(source, (bytes, bytearray)):
        raw = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        import gzip

        path = Path(source)
        _regular_file(path, max_bytes, "a CSV")
        try:
            with (gzip.open if path.name.lower().endswith(".gz") else open)(path, "rb") as fh:
                raw = fh.read(max_bytes + 1)
        except (OSError, EOFError, zlib.error) as err:
            raise DataProblem(f"Could not read {label}: {err}.") from err
    else:
        raw = source.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise DataProblem(f"{label} is larger than {max_bytes / 2**20:,.0f} MB (the limit): use a part of it.")
    return raw


def decode_text(raw: bytes, label: str) -> tuple[str, str]:
    """(text, encoding) of a text file: UTF-8, or UTF-16 with or without its byte-order mark.

    Anything else gets one sentence that says what to do, rather than a silent guess that
    would turn another encoding's letters into wrong words.
    """
    encoding = unicode_codec(raw)  # the same detection as an uploaded series' CSV
    if encoding is None and b"\0" in raw[:65536]:
        kind = " (it looks like an Excel workbook or a zip file)" if raw[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0") else ""
        raise DataProblem(f"{label} does not look like text{kind}: save it as a CSV file and upload that.")
    try:
        return raw.decode(encoding or "utf-8"), encoding or "utf-8"
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise DataProblem(f"{label} is not UTF-8 text (byte 0x{raw[err.start]:02x} on line {line:,} is not UTF-8): "
                          "save it as UTF-8, for example as \"CSV UTF-8\" in Excel, and upload it again.") from err


def read_csv(source, test_fraction: float = 0.2, seed: int = 0, name: str | None = None,
             max_bytes: int = MAX_CSV_BYTES) -> ImdbData:
    """A CSV of labelled texts: a text column and a label column (names matched case-insensitively).

    An optional ``split`` column (train/test) is honoured; otherwise a stratified,
    seeded `test_fraction` is held out for testing. `source` is a path, bytes or a binary
    file object. At most `max_bytes` and `MAX_CSV_ROWS` rows are read; only the columns used are parsed.
    """
    import pandas as pd

    label = name or (f"CSV {Path(source).name}" if isinstance(source, (str, os.PathLike)) else "uploaded CSV")
    text, encoding = decode_text(_csv_bytes(source, label, max_bytes), label)
    try:
        columns = pd.read_csv(io.StringIO(text), dtype=str, nrows=0).columns
        cols = {str(c).strip().lower(): c for c in columns}
        text_col = next((cols[c] for c in TEXT_COLUMNS if c in cols), None)
        label_col = next((cols[c] for c in LABEL_COLUMNS if c in cols), None)
        if text_col is None or label_col is None:
            raise DataProblem(f"{label} needs a text column ({'/'.join(TEXT_COLUMNS)}) and a label column "
                              f"({'/'.join(LABEL_COLUMNS)}); it has {', '.join(map(_quote, columns[:6])) or 'none'}.")
        use = [text_col, label_col, *([cols["split"]] if "split" in cols else [])]
        df = pd.read_csv(io.StringIO(text), dtype=str, usecols=use, nrows=MAX_CSV_ROWS + 1, keep_default_na=True,
                         on_bad_lines="error")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        if isinstance(err, DataProblem):
            raise
        raise DataProblem(f"Could not read {label} as CSV: {str(err).splitlines()[0] if str(err) else type(err).__name__}.") from err
    if len(df) > MAX_CSV_ROWS:
        raise DataProblem(f"{label} has more than {MAX_CSV_ROWS:,} rows (the limit): use a part of it.")
    if len(df) < 4:
        raise DataProblem(f"{label} has {len(df)} row(s): too few to train and test on.")
    labels = parse_labels(df[label_col])
    texts = df[text_col].fillna("").astype(str).tolist()
    if "split" in cols:
        split = df[cols["split"]].fillna("").astype(str).str.strip().str.lower().to_numpy()
        train_idx, test_idx = np.flatnonzero(split != "test"), np.flatnonzero(split == "test")
    else:
        test_idx = stratified_subset(labels, int(round(len(labels) * test_fraction)), seed)
        train_idx = np.setdiff1d(np.arange(len(labels)), test_idx)
    all_reviews = Reviews(texts, labels)
    if len(train_idx) == 0 or len(test_idx) == 0:
        raise DataProblem(f"{label} needs both training and test rows.")
    notes = [] if encoding.startswith("utf-8") else [f"Text encoding: {encoding}."]
    return ImdbData(all_reviews.take(train_idx), all_reviews.take(test_idx), label, notes,
                    (text_col, label_col, cols.get("split", "")),
                    Path(source).name if isinstance(source, (str, os.PathLike)) else "")


def read_any(path: str | os.PathLike) -> ImdbData:
    """Dispatch on what `path` is: folder, .tar.gz/.tgz archive, or CSV."""
    p = Path(path)
    if p.is_dir():
        return read_folder(p)
    name = p.name.lower()
    if name.endswith((".tar.gz", ".tgz")):
        return read_tarball(p)
    if name.endswith((".csv", ".csv.gz", ".txt")):
        return read_csv(p)
    raise DataProblem(f"{p} is neither an aclImdb folder, a .tar.gz archive nor a .csv file.")


def load_imdb(path: str | os.PathLike | None = None, allow_download: bool = True,
              progress: Optional[Callable[[str], None]] = None,
              configured: str | os.PathLike | None = None) -> ImdbData:
    """Load every labelled review from the first available source (see the module docstring); `configured` is
    the operator's setting, as for `resolve_source`."""
    local = resolve_source(path, configured)
    if local is None:
        if not allow_download:
            raise DataProblem(f"No local IMDB copy: set {ENV_VAR} (or [data] imdb in .streamlit/rnn_explorer.toml) "
                              "to the aclImdb folder, its .tar.gz or a CSV.")
        try:
            local = download(progress)
        except Exception as err:  # noqa: BLE001 - any network failure becomes one sentence
            raise DataProblem(f"Could not download the IMDB reviews ({type(err).__name__}); set {ENV_VAR} "
                              "to a local copy (aclImdb folder, .tar.gz or CSV).") from err
    data = read_any(local)
    if len(data.test) and 0 < len(data.test) < 25_000 and local.name == ARCHIVE:
        data.notes.append(f"This copy has {len(data.test):,} test reviews (the original has 25,000).")
    return data


# ---------------------------------------------------------------- subsets

def stratified_subset(labels: np.ndarray, n: int | None, seed: int = 0) -> np.ndarray:
    """Sorted indices of `n` items keeping the label proportions; seeded. None/too large = all."""
    labels = np.asarray(labels)
    total = len(labels)
    if n is None or n >= total:
        return np.arange(total)
    n = max(0, int(n))
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    quota = np.floor(counts * n / total).astype(int)
    # Hand out the rounding remainder to the classes with the largest fractional parts.
    rest = n - quota.sum()
    order = np.argsort(-(counts * n / total - quota), kind="stable")
    quota[order[:rest]] += 1
    picked = [rng.choice(np.flatnonzero(labels == c), size=q, replace=False) for c, q in zip(classes, quota)]
    return np.sort(np.concatenate(picked)) if picked else np.arange(0)


def subset(data: ImdbData, n_train: int | None, n_test: int | None, seed: int = 0) -> ImdbData:
    """A stratified, seeded subset of both splits so a live run is quick."""
    train = data.train.take(stratified_subset(data.train.labels, n_train, seed))
    test = data.test.take(stratified_subset(data.test.labels, n_test, seed + 1))
    return ImdbData(train, test, data.source, list(data.notes), data.columns, data.file_name)


BLOCK = 100  # reviews per block of neighbouring ids in the id-block validation split


def validation_grouping(reviews: Reviews) -> tuple[str, str]:
    """How `split_validation` holds reviews out, as (kind, one plain sentence for the page and the bench).

    Reviews of one movie share names, plot and wording, so a validation set that shares movies
    with the training reviews reads higher than the test set (whose movies are all different).
    """
    if reviews.movies is not None:
        return "movie", ("Validation reviews are grouped by movie (urls_*.txt): no movie has reviews on both "
                         "sides, as with the test set.")
    if reviews.ids is not None:
        return "id-blocks", ("Validation is NOT grouped by movie: this copy has no urls_*.txt, so it may read "
                             f"optimistic. It takes blocks of {BLOCK} neighbouring review ids, which in aclImdb mostly "
                             "come from the same movie, so only movies at block edges straddle the split.")
    return "random", ("Validation is NOT grouped by movie (these texts say nothing about movies): reviews are "
                      "held out at random, so it reads optimistic compared with a test set of other movies.")


def split_validation(reviews: Reviews, fraction: float = 0.1, seed: int = 0) -> tuple[Reviews, Reviews]:
    """(train, validation): about `fraction` of the training reviews held out, seeded; see `validation_grouping`.

    By movie when the movies are known; otherwise in blocks of neighbouring aclImdb ids, per
    label (stratified); otherwise stratified at random.
    """
    n_val = max(1, int(round(len(reviews) * fraction)))
    rng = np.random.default_rng(seed + 7)
    kind, _ = validation_grouping(reviews)
    if kind == "movie":
        names, codes = np.unique(reviews.movies.astype(str), return_inverse=True)
        sizes = np.bincount(codes, minlength=len(names))
        order = rng.permutation(len(names))
        picked = order[:int(np.searchsorted(np.cumsum(sizes[order]), n_val) + 1)]
        val_idx = np.flatnonzero(np.isin(codes, picked))
    elif kind == "id-blocks":
        quota = np.bincount(reviews.labels[stratified_subset(reviews.labels, n_val, seed + 7)].astype(int),
                            minlength=2)
        parts = []
        for label, q in enumerate(quota):
            members = np.flatnonzero(reviews.labels == label)
            members = members[np.argsort(reviews.ids[members], kind="stable")]
            blocks = [members[i:i + BLOCK] for i in range(0, len(members), BLOCK)]
            taken = np.concatenate([blocks[b] for b in rng.permutation(len(blocks))]) if blocks else members
            parts.append(taken[:q])
        val_idx = np.sort(np.concatenate(parts))
    else:
        val_idx = stratified_subset(reviews.labels, n_val, seed + 7)
    train_idx = np.setdiff1d(np.arange(len(reviews)), val_idx)
    return reviews.take(train_idx), reviews.take(val_idx)


def word_counts(texts: Sequence[str]) -> np.ndarray:
    """Whitespace word count of each text (for the length histogram)."""
    return np.fromiter((len(t.split()) for t in texts), dtype=np.int64, count=len(texts))
