"""Huge, hostile and odd data files: refused in one sentence before they are read whole, or read right.

The IMDB archive is streamed one member at a time with its limits checked from the tar
headers; a labelled-text CSV is checked for size, encoding and rows before it is parsed.
"""
from __future__ import annotations

import gzip
import io
import os
import tarfile
import time
from pathlib import Path

import pytest

from explorer.data import imdb


def _tar_gz(path: Path, members: list[tuple[str, bytes]], fmt=tarfile.GNU_FORMAT) -> Path:
    with tarfile.open(path, "w:gz", format=fmt) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _reviews(n: int = 3) -> list[tuple[str, bytes]]:
    return [(f"aclImdb/{split}/{label}/{i}_{7 if label == 'pos' else 2}.txt", f"a {label} film {i}".encode())
            for split in ("train", "test") for label in ("pos", "neg") for i in range(n)]


def _lying_header(name: str, size: int) -> bytes:
    """A tar header that claims a member of `size` bytes (no data follows): what a hostile archive sends."""
    info = tarfile.TarInfo(name)
    info.size = size
    return info.tobuf(format=tarfile.GNU_FORMAT)


def test_pax_and_ustar_archives_read_like_gnu(tmp_path):
    for fmt in (tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT):
        data = imdb.read_tarball(_tar_gz(tmp_path / f"{fmt}.tar.gz", _reviews(), fmt))
        assert len(data.train) == 6 and len(data.test) == 6 and int(data.train.labels.sum()) == 3


def test_a_review_that_claims_to_be_huge_is_refused_from_its_header(tmp_path):
    path = tmp_path / "lying.tar.gz"
    path.write_bytes(gzip.compress(_lying_header("aclImdb/train/pos/1_9.txt", 10 * 2**30)))
    t0 = time.process_time()
    with pytest.raises(imdb.DataProblem, match=r"1_9\.txt' is 10240\.0 MB; a review may be at most 1 MB"):
        imdb.read_tarball(path)
    assert time.process_time() - t0 < 1.0  # refused from the header, nothing read


def test_an_archive_that_unpacks_past_the_limit_is_refused_before_reading_it(tmp_path):
    path = tmp_path / "bomb.tar.gz"
    path.write_bytes(gzip.compress(_lying_header("aclImdb/train/unsup/0_0.txt", 3 * 2**30)))
    with pytest.raises(imdb.DataProblem, match="unpacks to more than 2 GB"):
        imdb.read_tarball(path)


def test_an_archive_too_large_on_disk_is_refused_unopened(tmp_path):
    path = tmp_path / "huge.tar.gz"
    with open(path, "wb") as fh:  # sparse: no disk space used
        fh.truncate(imdb.MAX_ARCHIVE_BYTES + 1)
    with pytest.raises(imdb.DataProblem, match="may be at most 512 MB"):
        imdb.read_tarball(path)


def test_too_many_reviews_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(imdb, "MAX_REVIEWS", 5)
    with pytest.raises(imdb.DataProblem, match="more than 5 reviews"):
        imdb.read_tarball(_tar_gz(tmp_path / "many.tar.gz", _reviews(3)))


@pytest.mark.parametrize("content, message", [
    (b"not gzip at all", "Could not read the archive"),
    (gzip.compress(b"garbage " * 200), "is not a tar archive of reviews"),
    (gzip.compress(_lying_header("aclImdb/train/pos/1_9.txt", 5000) + b"x" * 100), "ends in the middle of a file"),
    (gzip.compress(bytes(4096)), "has no train/pos or train/neg reviews"),
], ids=["not-gzip", "gzip-not-tar", "truncated-member", "empty-tar"])  # stable ids (gzip stamps the time)
def test_a_damaged_or_foreign_archive_is_one_sentence(tmp_path, content, message):
    path = tmp_path / "bad.tar.gz"
    path.write_bytes(content)
    with pytest.raises(imdb.DataProblem, match=message) as err:
        imdb.read_any(path)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("name", ["zero.tar.gz", "zero.csv", "zero.csv.gz"])
def test_a_link_to_a_device_is_not_a_data_file(tmp_path, name):
    link = tmp_path / name
    link.symlink_to("/dev/zero")
    with pytest.raises(imdb.DataProblem, match="is not a regular file"):
        imdb.read_any(link)


def test_a_fifo_named_like_a_csv_does_not_hang(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(imdb.DataProblem, match="is not a regular file"):
        imdb.read_any(fifo)


def test_an_oversized_review_file_in_a_folder_is_refused(tmp_path):
    d = tmp_path / "aclImdb" / "train" / "pos"
    d.mkdir(parents=True)
    (d / "1_9.txt").write_bytes(b"a" * (imdb.MAX_REVIEW_BYTES + 1))
    with pytest.raises(imdb.DataProblem, match="a review may be at most 1 MB"):
        imdb.read_folder(tmp_path)


# ---------------------------------------------------------------- labelled-text CSVs

def _labelled(n: int = 20) -> str:
    return "text,label\n" + "".join(f"text {i},{i % 2}\n" for i in range(n))


def test_a_csv_above_the_byte_limit_is_refused_before_parsing(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "wb") as fh:
        fh.truncate(imdb.MAX_CSV_BYTES + 1)
    with pytest.raises(imdb.DataProblem, match="may be at most 256 MB"):
        imdb.read_csv(path)
    with pytest.raises(imdb.DataProblem, match=r"is larger than 1 MB \(the limit\)"):
        imdb.read_csv(io.BytesIO(b"x" * (2**20 + 1)), max_bytes=2**20)


def test_only_the_text_and_label_columns_of_a_wide_csv_are_parsed():
    header = ",".join(f"c{i}" for i in range(3000)) + ",review,sentiment"
    rows = "".join(",".join(["9"] * 3000) + f",text {i},{'pos' if i % 2 else 'neg'}\n" for i in range(20))
    data = imdb.read_csv((header + "\n" + rows).encode())
    assert sorted(data.train.texts + data.test.texts) == sorted(f"text {i}" for i in range(20))


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16", "utf-8-sig"])
def test_utf16_with_or_without_bom_reads_the_same_words(encoding):
    text = _labelled().replace("text ", "ça déçoit ")
    data = imdb.read_csv(text.encode(encoding))
    assert all(t.startswith("ça déçoit ") for t in data.train.texts)
    assert data.notes == ([] if encoding == "utf-8-sig" else [f"Text encoding: {encoding}."])


def test_the_unicode_minus_and_invisible_characters_stay_text():
    text = "text,label\n" + "".join(f"\u2212 bad\u200b {i} \u202ethgir,{i % 2}\n" for i in range(20))
    data = imdb.read_csv(text.encode())
    assert all("\u2212 bad\u200b" in t for t in data.train.texts)


def test_a_damaged_extended_header_is_one_sentence(tmp_path):
    info = tarfile.TarInfo("././@PaxHeader")
    info.type, info.size = tarfile.XHDTYPE, 512
    path = tmp_path / "pax.tar.gz"
    path.write_bytes(gzip.compress(info.tobuf(format=tarfile.GNU_FORMAT) + b"zz size=oops\n".ljust(512, b"\0")))
    with pytest.raises(imdb.DataProblem, match="damaged extended header"):
        imdb.read_tarball(path)
