"""The Large Movie Review Dataset (Maas et al., 2011) as raw review texts and 0/1 labels.

Why the raw aclImdb archive and not `keras.datasets.imdb`: a person types a review
into the app, and that text must go through exactly the same pipeline as the
training reviews. `keras.datasets.imdb` ships reviews already turned into ids by a
tokenizer that is not published (with its own index offset of 3 and a word index
whose splitting rules cannot be reproduced on new text), so a typed review would be
encoded differently from what the model learned. With the raw texts one
`TextVectorization` (see `explorer.text`) encodes both.

Where the data comes from, first match wins (`resolve_source`):
1. a path given by the caller (a setting in the app),
2. the environment variable ``RNN_EXPLORER_IMDB``,
3. ``../shared/datasets/aclImdb_v1.tar.gz`` next to the project (development, CI),
4. the original archive downloaded once with `keras.utils.get_file` (cached in ~/.keras/datasets).
Each may be the aclImdb folder, its ``.tar.gz`` archive, or a CSV with text and label columns.
"""
from __future__ import annotations

import io
import os
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

ENV_VAR = "RNN_EXPLORER_IMDB"
URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
ARCHIVE = "aclImdb_v1.tar.gz"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "datasets" / ARCHIVE

_MEMBER = re.compile(r"(?:^|/)(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")
_LABELS = {"0": 0, "1": 1, "neg": 0, "pos": 1, "negative": 0, "positive": 1,
           "false": 0, "true": 1, "0.0": 0, "1.0": 1}
TEXT_COLUMNS = ("text", "review", "sentence", "content")
LABEL_COLUMNS = ("label", "sentiment", "target", "class", "polarity")


def _quote(value, limit: int = 24) -> str:
    """A user-supplied value made inert for any display (no markup characters), shortened."""
    text = re.sub(r"[^\w .,-]", "?", str(value))
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

def resolve_source(path: str | os.PathLike | None = None) -> Optional[Path]:
    """The local dataset to read (argument, env var, shared copy), or None to download."""
    for candidate in (path, os.environ.get(ENV_VAR) or None):
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


def _walk_tar(raw: bytes):
    """Yield (name, data) of regular files in an uncompressed ustar archive; None if it needs `tarfile`.

    A direct walk over the 512-byte headers is ~10× faster than `tarfile` for 50k small members.
    """
    pos, end = 0, len(raw)
    out = []
    while pos + 512 <= end:
        head = raw[pos:pos + 512]
        if head[:1] == b"\0":
            break
        kind = head[156:157]
        if kind in (b"L", b"K", b"x", b"g"):  # long names / pax headers: let tarfile handle them
            return None
        try:
            size = int(head[124:136].rstrip(b"\0 ").decode() or "0", 8)
        except ValueError:
            return None
        name = head[:100].rstrip(b"\0").decode("utf-8", "replace")
        prefix = head[345:500].rstrip(b"\0").decode("utf-8", "replace") if head[257:262] == b"ustar" else ""
        if prefix:
            name = f"{prefix}/{name}"
        pos += 512
        if kind in (b"0", b"\0"):
            out.append((name, raw[pos:pos + size]))
        pos += (size + 511) // 512 * 512
    return out


def read_tarball(path: str | os.PathLike) -> ImdbData:
    """Read reviews straight from the aclImdb .tar.gz (no extraction; the unlabelled part is skipped)."""
    import gzip

    rows: dict[str, list] = {"train": [], "test": []}
    urls: dict[tuple[str, str], list[str]] = {}

    def add(name: str, data: bytes) -> None:
        m = _MEMBER.search(name)
        if m is not None:
            rows[m.group(1)].append((int(m.group(2) == "pos"), int(m.group(3)), data.decode("utf-8", errors="replace")))
        elif (u := _URLS.search(name)) is not None:
            urls[(u.group(1), u.group(2))] = data.decode("utf-8", errors="replace").splitlines()

    try:
        with gzip.open(path) as fh:
            raw = fh.read()
        members = _walk_tar(raw)
        if members is None:
            with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
                members = [(m.name, tar.extractfile(m).read()) for m in tar
                           if m.isfile() and (_MEMBER.search(m.name) or _URLS.search(m.name))]
        for name, data in members:
            add(name, data)
    except (tarfile.TarError, OSError, EOFError, gzip.BadGzipFile) as err:
        raise DataProblem(f"Could not read the archive {path}: {err}.") from err
    return _finish(rows, f"aclImdb archive {path}", urls)


def read_folder(path: str | os.PathLike) -> ImdbData:
    """Read an extracted aclImdb folder (the folder itself or one that contains it)."""
    root = Path(path)
    if not (root / "train").is_dir() and (root / "aclImdb" / "train").is_dir():
        root = root / "aclImdb"
    rows: dict[str, list] = {"train": [], "test": []}
    urls: dict[tuple[str, str], list[str]] = {}
    for split in ("train", "test"):
        for label in ("neg", "pos"):
            listing = root / split / f"urls_{label}.txt"
            if listing.is_file():
                urls[(split, label)] = listing.read_text(encoding="utf-8", errors="replace").splitlines()
            for f in (root / split / label).glob("*.txt"):
                m = _MEMBER.search(f.as_posix())
                if m:
                    rows[split].append((int(label == "pos"), int(m.group(3)),
                                        f.read_text(encoding="utf-8", errors="replace")))
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


def read_csv(source, test_fraction: float = 0.2, seed: int = 0, name: str | None = None) -> ImdbData:
    """A CSV of labelled texts: a text column and a label column (names matched case-insensitively).

    An optional ``split`` column (train/test) is honoured; otherwise a stratified,
    seeded `test_fraction` is held out for testing. `source` is a path or a file-like object.
    """
    import pandas as pd

    label = name or (f"CSV {source}" if isinstance(source, (str, os.PathLike)) else "uploaded CSV")
    try:
        df = pd.read_csv(source, dtype=str, keep_default_na=True, on_bad_lines="error")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as err:
        raise DataProblem(f"Could not read {label} as CSV: {str(err).splitlines()[0] if str(err) else type(err).__name__}.") from err
    cols = {c.strip().lower(): c for c in df.columns}
    text_col = next((cols[c] for c in TEXT_COLUMNS if c in cols), None)
    label_col = next((cols[c] for c in LABEL_COLUMNS if c in cols), None)
    if text_col is None or label_col is None:
        raise DataProblem(f"{label} needs a text column ({'/'.join(TEXT_COLUMNS)}) and a label column "
                          f"({'/'.join(LABEL_COLUMNS)}); it has {', '.join(map(_quote, df.columns[:6])) or 'none'}.")
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
    return ImdbData(all_reviews.take(train_idx), all_reviews.take(test_idx), label)


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
              progress: Optional[Callable[[str], None]] = None) -> ImdbData:
    """Load every labelled review from the first available source (see the module docstring)."""
    local = resolve_source(path)
    if local is None:
        if not allow_download:
            raise DataProblem(f"No local IMDB copy: set {ENV_VAR} to the aclImdb folder, its .tar.gz or a CSV.")
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
    return ImdbData(train, test, data.source, list(data.notes))


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


def to_csv_bytes(reviews: Reviews) -> bytes:
    """The reviews as a text,label CSV (what `read_csv` reads back)."""
    import pandas as pd

    buf = io.StringIO()
    pd.DataFrame({"text": reviews.texts, "label": reviews.labels.astype(int)}).to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")
