"""The IMDB loader: aclImdb folder, .tar.gz and CSV give the same labelled texts; subsets stay stratified."""
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

from explorer.data import imdb
from explorer.server import settings
from review_files import to_csv_bytes

POS_WORDS = ["great", "wonderful", "superb", "loved", "brilliant"]
NEG_WORDS = ["awful", "boring", "terrible", "hated", "dull"]


def _reviews(n_per_label: int, offset: int = 0):
    """(split, label, id, rating, text) rows of a tiny aclImdb-shaped corpus."""
    rows = []
    for split in ("train", "test"):
        for label, words in (("pos", POS_WORDS), ("neg", NEG_WORDS)):
            for i in range(n_per_label):
                rating = 8 if label == "pos" else 2
                text = f"Review {split} {label} {i}.<br /><br />It was {words[i % 5]}!"
                rows.append((split, label, i + offset, rating, text))
    return rows


def make_folder(root: Path, n_per_label: int = 6) -> Path:
    base = root / "aclImdb"
    for split, label, i, rating, text in _reviews(n_per_label):
        d = base / split / label
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{i}_{rating}.txt").write_text(text, encoding="utf-8")
    (base / "train" / "unsup").mkdir(parents=True)
    (base / "train" / "unsup" / "0_0.txt").write_text("unlabelled", encoding="utf-8")
    (base / "imdb.vocab").write_text("the\nand\n", encoding="utf-8")
    (base / "train" / "labeledBow.feat").write_text("0 0:1\n", encoding="utf-8")
    return base


def make_tarball(root: Path, n_per_label: int = 6) -> Path:
    folder = make_folder(root / "src", n_per_label)
    out = root / "aclImdb_v1.tar.gz"
    with tarfile.open(out, "w:gz") as tar:
        tar.add(folder, arcname="aclImdb")
    return out


def test_folder_tarball_and_csv_agree(tmp_path):
    folder = make_folder(tmp_path / "f")
    tarball = make_tarball(tmp_path / "t")
    a, b = imdb.read_any(folder), imdb.read_any(tarball)
    for data in (a, b):
        assert len(data.train) == 12 and len(data.test) == 12  # unsup and .feat files skipped
        assert data.train.labels.dtype == np.int8
        for text, label in zip(data.train.texts, data.train.labels):
            assert (" pos " in text) == bool(label)
    assert a.train.texts == b.train.texts and a.test.texts == b.test.texts
    np.testing.assert_array_equal(a.train.labels, b.train.labels)
    # the folder that contains aclImdb works too
    assert imdb.read_any(tmp_path / "f").train.texts == a.train.texts
    # CSV written from the same reviews reads back with the same texts and labels
    csv = tmp_path / "reviews.csv"
    csv.write_bytes(to_csv_bytes(a.train))
    c = imdb.read_any(csv)
    assert sorted(c.train.texts + c.test.texts) == sorted(a.train.texts)
    got = dict(zip(c.train.texts + c.test.texts, np.concatenate([c.train.labels, c.test.labels])))
    assert all(got[t] == l for t, l in zip(a.train.texts, a.train.labels))


def test_tarball_with_long_names_falls_back_to_tarfile(tmp_path):
    # GNU long-name headers make the fast header walk hand over to `tarfile`.
    out = tmp_path / "long.tar.gz"
    with tarfile.open(out, "w:gz", format=tarfile.GNU_FORMAT) as tar:
        for i, label in enumerate(["pos", "neg", "pos", "neg"]):
            name = f"aclImdb/train/{label}/" + "0" * 120 + f"{i}_7.txt"
            data = f"text {label} {i}".encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    got = imdb.read_tarball(out)
    assert len(got.train) == 4 and got.train.labels.sum() == 2
    assert all((" pos " in t + " ") == bool(l) for t, l in zip(got.train.texts, got.train.labels))


@pytest.mark.parametrize("labels", [["0", "1"], ["neg", "pos"], ["Negative", "POSITIVE"], [0, 1]])
def test_csv_label_spellings(tmp_path, labels):
    csv = tmp_path / "x.csv"
    lines = ["review,sentiment"] + [f"text number {i},{labels[i % 2]}" for i in range(10)]
    csv.write_text("\n".join(lines), encoding="utf-8")
    data = imdb.read_csv(csv, test_fraction=0.2)
    assert len(data.train) == 8 and len(data.test) == 2
    for split in (data.train, data.test):
        for text, label in zip(split.texts, split.labels):
            assert label == int(text.split()[-1]) % 2


def test_csv_split_column_is_honoured(tmp_path):
    csv = tmp_path / "x.csv"
    csv.write_text("text,label,split\na,1,train\nb,0,train\nc,1,test\nd,0,test\ne,1,train\n", encoding="utf-8")
    data = imdb.read_csv(csv)
    assert data.train.texts == ["a", "b", "e"] and data.test.texts == ["c", "d"]


@pytest.mark.parametrize("body, needle", [
    ("text,label\na,1\nb,\nc,0\nd,1\n", "no label"),
    ("text,label\na,1\nb,maybe\nc,0\nd,2\n", "binary"),
    ("text,label\na,1\nb,1\nc,1\nd,1\n", "same"),
    ("words,stars\na,1\nb,0\nc,1\nd,0\n", "text column"),
    ("text,label\na,1\n", "too few"),
    ("", "Could not read"),
])
def test_csv_problems_are_one_clear_sentence(tmp_path, body, needle):
    csv = tmp_path / "bad.csv"
    csv.write_text(body, encoding="utf-8")
    with pytest.raises(imdb.DataProblem) as err:
        imdb.read_csv(csv)
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_csv_error_never_echoes_markup(tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text('text,label\na,1\nb,"<img src=x onerror=alert(1)>"\nc,0\nd,1\n', encoding="utf-8")
    with pytest.raises(imdb.DataProblem) as err:
        imdb.read_csv(csv)
    assert "<" not in str(err.value) and ">" not in str(err.value)


def test_stratified_subset_keeps_balance_and_is_seeded():
    labels = np.array([1] * 300 + [0] * 700)
    idx = imdb.stratified_subset(labels, 100, seed=3)
    assert len(idx) == 100 and len(np.unique(idx)) == 100
    assert labels[idx].sum() == 30
    np.testing.assert_array_equal(idx, imdb.stratified_subset(labels, 100, seed=3))
    assert not np.array_equal(idx, imdb.stratified_subset(labels, 100, seed=4))
    assert len(imdb.stratified_subset(labels, None)) == 1000
    assert len(imdb.stratified_subset(labels, 5000)) == 1000
    odd = imdb.stratified_subset(np.array([0, 1] * 50), 7, seed=0)
    assert len(odd) == 7


def test_validation_split_is_disjoint_and_stratified():
    reviews = imdb.Reviews([f"t{i}" for i in range(200)], np.array([0, 1] * 100, dtype=np.int8))
    train, val = imdb.split_validation(reviews, 0.1, seed=0)
    assert len(train) == 180 and len(val) == 20
    assert not set(train.texts) & set(val.texts)
    assert val.labels.sum() == 10


def test_env_var_and_argument_choose_the_source(tmp_path, monkeypatch):
    tarball = make_tarball(tmp_path, n_per_label=3)
    monkeypatch.setenv(imdb.ENV_VAR, str(tarball))
    assert imdb.resolve_source(configured=settings.load().imdb) == tarball
    data = imdb.load_imdb(allow_download=False, configured=settings.load().imdb)
    assert len(data.train) == 6 and "archive" in data.source
    folder = make_folder(tmp_path / "other", n_per_label=2)
    assert imdb.resolve_source(folder) == folder  # an explicit path wins over the env var
    assert len(imdb.load_imdb(folder).train) == 4
    monkeypatch.setenv(imdb.ENV_VAR, str(tmp_path / "missing.tar.gz"))
    with pytest.raises(imdb.DataProblem, match="No IMDB data"):
        imdb.load_imdb(configured=settings.load().imdb)


def test_corrupt_archive_is_a_clear_problem(tmp_path):
    bad = tmp_path / "aclImdb_v1.tar.gz"
    bad.write_bytes(b"this is not gzip")
    with pytest.raises(imdb.DataProblem, match="Could not read"):
        imdb.read_any(bad)


@pytest.mark.shared_data
def test_real_tarball(shared_datasets):
    data = imdb.load_imdb(shared_datasets / "aclImdb_v1.tar.gz")
    assert len(data.train) == 25_000
    assert data.train.labels.sum() == 12_500
    assert 20_000 <= len(data.test) <= 25_000 and abs(data.test.labels.mean() - 0.5) < 0.01
    assert "<br />" in " ".join(data.train.texts[:200])  # raw text, not pre-tokenized
    small = imdb.subset(data, 1000, 400, seed=1)
    assert len(small.train) == 1000 and small.train.labels.sum() == 500
    assert len(small.test) == 400 and small.test.labels.sum() == 200
    assert set(small.train.texts) <= set(data.train.texts)


def test_without_local_copy_download_is_used_and_failure_is_clear(tmp_path, monkeypatch):
    monkeypatch.delenv(imdb.ENV_VAR, raising=False)
    monkeypatch.setattr(imdb, "SHARED", tmp_path / "absent.tar.gz")
    assert imdb.resolve_source(configured=settings.load().imdb) is None
    with pytest.raises(imdb.DataProblem, match=imdb.ENV_VAR):
        imdb.load_imdb(allow_download=False, configured=settings.load().imdb)

    def offline(progress=None):
        raise OSError("network unreachable")

    monkeypatch.setattr(imdb, "download", offline)
    with pytest.raises(imdb.DataProblem, match="Could not download"):
        imdb.load_imdb(configured=settings.load().imdb)
    tarball = make_tarball(tmp_path, n_per_label=2)
    monkeypatch.setattr(imdb, "download", lambda progress=None: tarball)  # what keras.utils.get_file returns
    assert len(imdb.load_imdb(configured=settings.load().imdb).train) == 4


def test_validation_is_grouped_by_movie_when_the_copy_has_urls(tmp_path):
    base = make_folder(tmp_path, n_per_label=40)
    for split in ("train", "test"):  # four reviews per movie; pos and neg reviews of a movie share its address
        for label in ("pos", "neg"):
            (base / split / f"urls_{label}.txt").write_text(
                "".join(f"http://www.imdb.com/title/tt{split}{i // 4:04d}/usercomments\n" for i in range(40)))
    for data in (imdb.read_any(base), imdb.read_any(make_tarball_of(base, tmp_path))):
        assert data.train.movies is not None and len(set(data.train.movies)) == 10
        kind, note = imdb.validation_grouping(data.train)
        assert kind == "movie" and "grouped by movie" in note
        train, val = imdb.split_validation(data.train, 0.2, seed=1)
        assert not set(train.movies) & set(val.movies)  # no movie on both sides
        assert 16 <= len(val) <= 24 and len(train) + len(val) == 80


def make_tarball_of(folder: Path, root: Path) -> Path:
    out = root / "with_urls.tar.gz"
    with tarfile.open(out, "w:gz") as tar:
        tar.add(folder, arcname="aclImdb")
    return out


def test_without_urls_validation_takes_blocks_of_neighbouring_ids_and_says_it_is_not_grouped(tmp_path):
    data = imdb.read_any(make_folder(tmp_path, n_per_label=500))
    assert data.train.movies is None
    kind, note = imdb.validation_grouping(data.train)
    assert kind == "id-blocks" and "NOT grouped by movie" in note and "optimistic" in note
    train, val = imdb.split_validation(data.train, 0.1, seed=0)
    assert len(val) == 100 and val.labels.sum() == 50 and not set(train.texts) & set(val.texts)
    for label in (0, 1):  # whole runs of neighbouring ids: at most a few blocks per label
        ids = np.sort(val.ids[val.labels == label])
        assert np.count_nonzero(np.diff(ids) > 1) <= 1
    assert imdb.split_validation(data.train, 0.1, seed=0)[1].texts == val.texts  # seeded


def test_texts_without_movies_or_ids_are_held_out_at_random_and_it_says_so():
    reviews = imdb.Reviews([f"t{i}" for i in range(200)], np.array([0, 1] * 100, dtype=np.int8))
    kind, note = imdb.validation_grouping(reviews)
    assert kind == "random" and "NOT grouped by movie" in note
