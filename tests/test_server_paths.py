"""The server decides what it reads: a visitor uploads, never names a server path.

Every input a visitor controls (each page's URL parameters, every text box, the file names
of uploads, the data-folder choice) gets `/etc/passwd`-style, `..` and `/dev/zero` paths and
the path of a planted secret file. An audit hook watches every file the process opens while
the pages run, refuses the forbidden ones (so `/dev/zero` can never be read whole) and the
test fails if any was even tried, or if their content reached the page.
Only the operator's settings (environment or `.streamlit/rnn_explorer.toml`) choose server files.
"""
from __future__ import annotations

import dataclasses
import io
import os
import sys
import tarfile
import typing
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from explorer.data import datafolder, imdb
from explorer.data.text_pipeline import TextConfig
from explorer.nn.config import ModelConfig, SeriesConfig, TrainConfig
from explorer.server import settings
from explorer.tasks.lab.config import LabConfig
from explorer.tasks.sentiment.presets import DataConfig

PAGES = {
    "time_series": (ROOT / "pages/time_series.py", {"d_": SeriesConfig, "m_": ModelConfig, "t_": TrainConfig}),
    "sentiment": (ROOT / "pages/sentiment.py", {"m_": ModelConfig, "t_": TrainConfig, "x_": TextConfig, "d_": DataConfig}),
    "gradient_lab": (ROOT / "pages/gradient_lab.py", {"gl_": LabConfig}),
}
# Names a hand-made link might try even though no page reads them.
GUESSES = ("path", "file", "data", "imdb", "source", "sent_path", "d_path", "d_file", "x_path", "csv", "folder")
MARKER = "ZQX-SECRET-REVIEWS"


# ---------------------------------------------------------------- the watch on open()
class OpenWatch:
    """Records (and refuses) every attempt to open one of the forbidden files while armed."""

    def __init__(self):
        self.forbidden: set[str] = set()
        self.tried: list[str] = []
        self.armed = False

    def __call__(self, event: str, args: tuple) -> None:
        if not self.armed or event not in ("open", "os.listdir", "os.scandir"):
            return
        target = args[0] if args else None
        if isinstance(target, bytes):
            target = target.decode(errors="replace")
        if not isinstance(target, (str, os.PathLike)):
            return
        real = os.path.realpath(os.fspath(target))
        if real in self.forbidden or any(real.startswith(f + os.sep) for f in self.forbidden):
            self.tried.append(f"{event} {target}")
            raise PermissionError(f"test: the app must not open {target}")


WATCH = OpenWatch()
sys.addaudithook(WATCH)  # audit hooks cannot be removed; it does nothing unless armed


@pytest.fixture
def secret(tmp_path) -> Path:
    """A server file no visitor may read: a valid labelled CSV, so loading it would show its rows."""
    path = tmp_path / "private" / "secret_reviews.csv"
    path.parent.mkdir()
    path.write_text("text,label\n" + "".join(f"{MARKER} great {i},1\n{MARKER} awful {i},0\n" for i in range(20)))
    return path


def _tiny_imdb(folder: Path) -> Path:
    """An aclImdb-shaped .tar.gz of 24 reviews: the operator's IMDB copy for these tests."""
    out = folder / "aclImdb_v1.tar.gz"
    with tarfile.open(out, "w:gz") as tar:
        for split in ("train", "test"):
            for label, word in (("pos", "great"), ("neg", "awful")):
                for i in range(6):
                    data = f"A {word} film, {split} {i}.".encode()
                    info = tarfile.TarInfo(f"aclImdb/{split}/{label}/{i}_{8 if label == 'pos' else 2}.txt")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    return out


@pytest.fixture
def operator(tmp_path, monkeypatch) -> Path:
    """The operator's settings: a tiny IMDB copy, no data folder, no config file."""
    monkeypatch.setenv(settings.ENV_CONFIG, str(tmp_path / "absent.toml"))
    monkeypatch.setenv(settings.ENV_IMDB, str(_tiny_imdb(tmp_path)))
    monkeypatch.delenv(settings.ENV_DATA_DIR, raising=False)
    return tmp_path


@pytest.fixture
def watch(secret):
    WATCH.forbidden = {os.path.realpath(p) for p in ("/etc/passwd", "/etc/shadow", "/dev/zero", secret)}
    WATCH.tried = []
    WATCH.armed = True
    yield WATCH
    WATCH.armed = False


def hostile_paths(secret: Path) -> list[str]:
    up = os.path.relpath(secret, ROOT)  # ../../tmp/... from the project, where the app runs
    return ["/etc/passwd", "../../../../../../../../etc/passwd", str(secret), "/dev/zero", "..", "file:///etc/passwd",
            "~/../../etc/passwd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", up, f"./{up}"]


def everything_shown(at: AppTest) -> str:
    """All text on the page (the secret's marker or /etc/passwd's lines would show here)."""
    parts = []
    for kind in ("markdown", "caption", "text", "code", "error", "warning", "info", "success", "metric"):
        for el in at.get(kind):
            parts.append(str(getattr(el, "value", "")))
    for df in at.get("arrow_data_frame") + at.get("dataframe"):
        parts.append(df.value.to_string() if hasattr(df.value, "to_string") else str(df.value))
    return "\n".join(parts)


def assert_no_way_in(at: AppTest, watch: OpenWatch) -> None:
    assert watch.tried == [], f"the app tried to open a forbidden file: {watch.tried}"
    text = everything_shown(at)
    assert MARKER not in text and "root:x:0:0" not in text


def _names(cls) -> list[str]:
    """A config's field names, a config within it (the lab's model and training) named by its own fields."""
    hints = typing.get_type_hints(cls)
    return [name for f in dataclasses.fields(cls)
            for name in (_names(hints[f.name]) if dataclasses.is_dataclass(hints[f.name]) else [f.name])]


def _keys(prefixes: dict) -> list[str]:
    return [p + name for p, cls in prefixes.items() for name in _names(cls)] + list(GUESSES)


# ---------------------------------------------------------------- every input of every page

def rotations(keys: list[str], values: list[str], runs: int = 3):
    """`runs` assignments of the values to the keys, shifted each time: every key meets `runs` values."""
    return [{k: values[(i + j) % len(values)] for j, k in enumerate(keys)} for i in range(runs)]


@pytest.mark.parametrize("name", list(PAGES))
def test_no_url_parameter_names_a_server_file(name, operator, secret, watch):
    path, prefixes = PAGES[name]
    for params in rotations(_keys(prefixes), hostile_paths(secret)):
        at = AppTest.from_file(str(path), default_timeout=120)
        at.query_params.update(params)
        at.run()
        assert_no_way_in(at, watch)


@pytest.mark.parametrize("name", list(PAGES))
def test_no_text_box_names_a_server_file(name, operator, secret, watch):
    path, _ = PAGES[name]
    at = AppTest.from_file(str(path), default_timeout=120).run()
    boxes = [*at.text_input, *at.text_area]
    # The review box is the only text box left: no page asks for a path any more.
    assert [b.key for b in boxes] == (["sentiment_review"] if name == "sentiment" else [])
    for values in rotations([b.key for b in boxes], hostile_paths(secret), runs=4 * bool(boxes)):
        for box in boxes:
            box.input(values[box.key])
        at.run()
        assert_no_way_in(at, watch)


def test_the_watch_sees_an_open(secret, watch):
    """The check above can fail: opening a forbidden file is refused and recorded."""
    with pytest.raises(imdb.DataProblem, match="must not open"):
        imdb.read_csv(secret)
    assert watch.tried and str(secret) in watch.tried[0]
    watch.tried.clear()


def test_upload_names_are_only_names(operator, secret, watch):
    """An upload's file name is never a path: only the uploaded bytes are read."""
    ts = AppTest.from_file(str(PAGES["time_series"][0]), default_timeout=120)
    ts.query_params["d_source"] = "csv"
    ts.run()
    sent = AppTest.from_file(str(PAGES["sentiment"][0]), default_timeout=120)
    sent.session_state["sent_source"] = "My own labelled texts (CSV)"
    sent.run()
    series = ("value\n" + "\n".join(str(i % 17) for i in range(200))).encode()
    texts = ("text,label\n" + "".join(f"fine film {i},{i % 2}\n" for i in range(40))).encode()
    # The secret's own path and a ../ path to it among them; a browser sends only .csv names here.
    for name in (str(secret), os.path.relpath(secret, ROOT), "../../../../etc/passwd.csv", "/dev/zero.csv"):
        ts.file_uploader(key="ts_csv").set_value((name, series, "text/csv")).run()
        sent.file_uploader(key="sent_upload").set_value((name, texts, "text/csv")).run()
        for at in (ts, sent):
            assert_no_way_in(at, watch)
        assert {m.label: m.value for m in sent.metric}["Training reviews"] == "32"


def test_the_data_folder_offers_its_own_files_only(operator, secret, watch, monkeypatch):
    folder = operator / "data"
    folder.mkdir()
    (folder / "reviews.csv").write_bytes(("text,label\n" + "".join(
        f"lovely film {i},1\nawful film {i},0\n" for i in range(20))).encode())
    (folder / "passwd.csv").symlink_to("/etc/passwd")  # links that lead out of the folder are not offered
    (folder / "zero.tar.gz").symlink_to("/dev/zero")
    (folder / "secret.csv").symlink_to(secret)
    (folder / "notes.txt").write_text("not a data file")
    monkeypatch.setenv(settings.ENV_DATA_DIR, str(folder))
    assert datafolder.list_files(folder) == ["reviews.csv"]
    for bad in [*hostile_paths(secret), "passwd.csv", "zero.tar.gz", "secret.csv", "notes.txt", "data/reviews.csv"]:
        with pytest.raises(datafolder.NotInDataFolder):
            datafolder.resolve(folder, bad)
    at = AppTest.from_file(str(PAGES["sentiment"][0]), default_timeout=120).run()
    at.radio(key="sent_source").set_value("A file in the server's data folder").run()
    assert at.selectbox(key="sent_data_file").options == ["reviews.csv"]
    assert {m.label: m.value for m in at.metric}["Training reviews"] == "32"  # 40 rows, 20% held out
    assert_no_way_in(at, watch)


# ---------------------------------------------------------------- the operator's settings

def test_operator_settings_come_from_the_environment_over_the_config_file(tmp_path):
    config = tmp_path / "rnn_explorer.toml"
    config.write_text('[data]\nimdb = "/srv/a.tar.gz"\nfolder = "/srv/data"\n[queue]\nslots = 3\n')
    got = settings.load(env={}, config_file=config)
    assert (got.imdb, got.data_dir, got.slots) == (Path("/srv/a.tar.gz"), Path("/srv/data"), "3")
    got = settings.load(env={settings.ENV_IMDB: "/x/b", settings.ENV_SLOTS: "auto"}, config_file=config)
    assert (got.imdb, got.data_dir, got.slots) == (Path("/x/b"), Path("/srv/data"), "auto")
    assert settings.load(env={}, config_file=tmp_path / "none.toml") == settings.Settings(source="environment and defaults")
    with pytest.raises(settings.SettingsProblem, match="whole number"):
        settings.load(env={settings.ENV_SLOTS: "-2"}, config_file=config)
    config.write_text("[data\n")
    with pytest.raises(settings.SettingsProblem, match="cannot be read"):
        settings.load(env={}, config_file=config)


def test_the_operator_imdb_setting_is_what_the_page_reads(operator, watch):
    at = AppTest.from_file(str(PAGES["sentiment"][0]), default_timeout=120).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Training reviews"] == "12" and metrics["Test reviews"] == "12"
    assert any("aclImdb archive" in c.value for c in at.caption)


@pytest.mark.parametrize("target", ["/dev/zero", "/etc/passwd", "/proc/self/environ"])
def test_an_operator_setting_that_names_a_device_or_system_file_is_refused_in_one_sentence(target, monkeypatch):
    monkeypatch.setenv(settings.ENV_IMDB, target)
    with pytest.raises(imdb.DataProblem) as err:
        imdb.load_imdb(allow_download=False, configured=settings.load().imdb)
    assert "\n" not in str(err.value)
