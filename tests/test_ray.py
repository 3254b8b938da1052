"""Runs on a Ray cluster (explorer.server.ray_executor): a real local cluster, a head and a worker node each started with
`ray start` (tests/ray_cluster.py), no mock of Ray. Jobs run in other processes on both nodes, stream live, stop
within a batch, come home as typed results; the three pages' main paths run once more on it (AppTest and a real
browser); a node killed mid-run fails its job with one sentence while the others finish.

All in one file, in this order: one pytest worker runs them one after the other, so killing a node (the last
test) cannot touch another test's run. Ray is imported only by the tests that use the cluster.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
from streamlit.testing.v1 import AppTest

import ray_cluster
from alerts import expect_error
from conftest import ROOT, skip_or_fail
from explorer.server import jobs, settings
from explorer.server.jobs import JobBoard
from jobs_at import press, shown
from test_jobs import _spec, _until

pytestmark = pytest.mark.ray


def _node(job) -> dict:
    """Where the cluster placed the job: its node's id and the worker's process id."""
    _until(lambda: job.events_of("placed") or job.done)
    return job.events_of("placed")[0].data


# ---------------------------------------------------------------- the operator's choice (no cluster needed)

def test_the_executor_is_the_operators_choice_and_ray_is_imported_only_when_chosen(tmp_path):
    assert settings.load(env={}, config_file=tmp_path / "none.toml").executor == "embedded"
    one = settings.load(env={settings.ENV_RAY_ADDRESS: "10.0.0.5:6379"}, config_file=tmp_path / "none.toml")
    assert (one.executor, one.ray_address, one.ray_fallback, one.ray_cpus) == ("ray", "10.0.0.5:6379", False, 1.0)
    config = tmp_path / "rnn_explorer.toml"
    config.write_text('[executor]\nkind = "ray"\nfallback = true\ncpus = 2\ngpus = 0.5\n')
    got = settings.load(env={}, config_file=config)
    assert (got.executor, got.ray_address, got.ray_fallback, got.ray_cpus, got.ray_gpus) == ("ray", "auto", True, 2, 0.5)
    assert settings.load(env={settings.ENV_EXECUTOR: "embedded"}, config_file=config).executor == "embedded"
    for bad in ({settings.ENV_EXECUTOR: "spark"}, {settings.ENV_RAY_CPUS: "0"}, {settings.ENV_RAY_FALLBACK: "maybe"}):
        with pytest.raises(settings.SettingsProblem):
            settings.load(env=bad, config_file=config)
    code = ("import sys; from explorer.server import jobs; board = jobs.board(); "
            "print(type(board.executor).__name__, 'ray' in sys.modules, jobs.notice() == '')")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RNN_EXPLORER_RAY")}
    env.update(RNN_EXPLORER_CONFIG=str(tmp_path / "none.toml"), RNN_EXPLORER_EXECUTOR="")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["EmbeddedExecutor", "False", "True"], out.stderr[-2000:]


def test_an_unreachable_cluster_is_said_and_falls_back_only_when_allowed():
    from explorer.server.ray_executor import RayExecutor

    address = f"127.0.0.1:{ray_cluster._free_port()}"  # nothing listens there
    strict = JobBoard(RayExecutor(address))
    job = strict.submit(_spec(), owner="me")
    assert job.wait(30) and job.status == "failed"
    assert job.message.startswith(f"This server is set to train runs on the Ray cluster at {address}, which cannot be "
                                  "reached (") and "until the server's operator fixes it" in job.message
    assert strict.executor.notice == job.message and "Traceback" not in job.message
    lenient = JobBoard(RayExecutor(address, fallback=True))
    job = lenient.submit(_spec(), owner="me")
    assert job.wait(300) and job.status == "finished" and job.result.record.evaluation is not None
    assert "Runs train on this web server instead" in lenient.executor.notice
    assert job.events_of("placed") == []  # trained in this process
    assert "ray" not in sys.modules  # nothing listened, so Ray itself was never needed


# ---------------------------------------------------------------- a real cluster

@pytest.fixture(scope="module")
def cluster():
    """A head and one worker node, 1 CPU each, started with `ray start`; stopped after this file."""
    if not (ROOT / ".venv" / "bin" / "ray").exists():
        skip_or_fail("Ray is not installed in .venv (python3 dev.py test installs requirements.txt)")
    local = ray_cluster.LocalCluster(str(ROOT / ".venv" / "bin" / "ray"), workers=1, cpus=1)
    local.start()
    yield local
    try:
        import ray

        ray.shutdown()
    finally:
        local.stop()


@pytest.fixture(scope="module")
def executor(cluster):
    """This process's Ray executor (one per process: it joins the cluster once), as the app's board."""
    from explorer.server.ray_executor import RayExecutor

    ex = RayExecutor(cluster.address)
    ex._ready.wait()
    assert ex.connected, ex.notice
    before, jobs._board = jobs._board, JobBoard(ex)
    yield ex
    jobs._board = before


def test_jobs_run_on_both_nodes_stream_live_stop_within_a_batch_and_come_home_typed(executor):
    board = jobs.board()
    _until(lambda: executor.queue.slots == 2)  # two nodes of one CPU each: two runs at once
    a, b = board.submit(_spec(epochs=400), owner="a"), board.submit(_spec(epochs=3), owner="b")
    waiting = board.submit(_spec(epochs=1), owner="c")
    _until(lambda: waiting.place is not None)  # both slots busy: the third run waits, and knows its place
    assert waiting.status == "waiting" and waiting.place.ahead == 0 and waiting.place.running == 2
    where = {_node(a)["node"], _node(b)["node"]}
    assert len(where) == 2  # Ray placed them on the two nodes
    assert os.getpid() not in {_node(a)["pid"], _node(b)["pid"]}  # trained in the nodes' worker processes
    _until(lambda: len(a.events_of("epoch")) >= 2)
    assert a.status == "running" and not a.done  # its curves grow while it trains
    a.stop()
    assert a.wait(60) and a.status == "stopped" and "Stopped by request during epoch" in a.message
    seen = a.events_of("stop_seen")[0].data["batches"]  # batches trained when the Stop reached the node
    assert len(a.events_of("batch")) <= seen + 1  # the batch in progress ends the run
    assert b.wait(300) and waiting.wait(300)
    for job in (a, b, waiting):
        run = job.result
        history, _, _ = jobs.curves(job.events)
        assert history["loss"] == run.result.history["loss"]  # the streamed curves are the run's own
        assert run.record.evaluation is not None  # scored on the node, the model kept what it learned
        x = run.record.ds.x_test[:4]
        assert run.model.predict_on_batch(x).shape == (4, 1)  # the model came home and answers here
    assert b.status == "finished" and b.result.result.epochs_done == 3


def _no_problems(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_the_three_pages_train_on_the_cluster(executor, shared_datasets, tmp_path, monkeypatch):
    """Each page's main path (tests/test_page_*.py) once more: the run trains on a node, the page is the same."""
    at = AppTest.from_file(str(ROOT / "pages/time_series.py"), default_timeout=240)
    at.query_params.update({"d_length": "150", "t_epochs": "2", "m_units": "4", "d_window": "6"})
    press(at.run(), "ts_train")
    _no_problems(at)
    job = shown(at, "ts")
    assert job.status == "finished" and _node(job)["pid"] != os.getpid()
    figures = {el.key for el in at.get("plotly_chart") if el.key}
    assert {"ts_pred", "ts_forecast", "ts_hidden", "ts_probe"} <= figures  # hidden states of the node's model, here
    assert any(t.value.startswith("Trained 2 epoch(s)") for t in at.success)

    at = AppTest.from_file(str(ROOT / "pages/gradient_lab.py"), default_timeout=240)
    at.query_params.update({"gl_task": "first_value", "gl_T": "12", "gl_units": "4", "gl_samples": "64",
                            "gl_epochs": "2"})
    press(at.run(), "gl_train")
    _no_problems(at)
    lab = shown(at, "gl").result
    assert list(lab.results) == ["SimpleRNN", "LSTM", "GRU"] and lab.results["GRU"].probes.shape == (3, 12)
    assert [m.label for m in at.metric].count("Memory horizon") == 3
    assert all(run.model.count_params() > 0 for run in lab.runs.values())  # each cell's model came home

    monkeypatch.setenv("RNN_EXPLORER_CACHE", str(tmp_path))  # the store the node writes to, as the server names it
    at = AppTest.from_file(str(ROOT / "pages/sentiment.py"), default_timeout=240).run()
    for key, value in (("sent_d_n_train", 1_000), ("sent_d_n_test", 500), ("sent_x_max_len", 50),
                       ("sent_x_vocab_size", 2_000), ("sent_m_units", 8), ("sent_m_embedding_dim", 8)):
        at.select_slider(key=key).set_value(value)
    at.slider(key="sent_t_epochs").set_value(1)
    press(at.run(), "sent_train")
    _no_problems(at)
    job = shown(at, "sent")
    assert _node(job)["pid"] != os.getpid()
    texts = " ".join(str(c.value) for c in at.caption)
    assert "your run (its link" in texts and "of 500 test reviews right" in texts
    assert job.result.record.entry is not None and (tmp_path / "models" / job.result.record.entry.key).is_dir()
    at.button(key="sent_ex_Negation").click().run()  # the typed-review box answers with the node's model
    _no_problems(at)
    metrics = {m.label: m.value for m in at.metric}
    assert 0.0 <= float(metrics["P(positive)"]) <= 1.0 and metrics["Words read"] == "15"
    at.session_state["sent_view_tab"] = "Hidden states"
    at.run()
    _no_problems(at)
    assert any("h_t over the words" in c.proto.spec for c in at.get("plotly_chart"))


@pytest.mark.browser
def test_the_three_pages_in_a_browser_on_the_cluster(cluster, browser, shared_datasets, tmp_path):
    """The app started with one setting, RNN_EXPLORER_RAY_ADDRESS: a visitor trains on each page in Chromium."""
    from playwright.sync_api import expect

    from browser.conftest import serving
    from browser.harness import ARTIFACTS, exceptions_on, wait_figure, wait_idle, watch_alerts

    server = serving(env={"RNN_EXPLORER_RAY_ADDRESS": cluster.address, "RNN_EXPLORER_CACHE": str(tmp_path)},
                     log_path=ARTIFACTS / "app-server-ray.log")
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        context.set_default_timeout(60_000)
        page = context.new_page()
        alerts = watch_alerts(page)

        def train(path: str, button: str = "▶ Train") -> None:
            page.goto(f"{server.url}/{path}")
            if path.startswith("sentiment"):
                expect(page.get_by_text("Positive share (train)")).to_be_visible(timeout=120_000)
            expect(page.get_by_role("button", name=button)).to_be_enabled(timeout=90_000)
            wait_idle(page)
            page.get_by_role("button", name=button).click()

        train("time_series?d_length=240&m_units=8&t_batch_size=16&t_patience=0&t_epochs=10")
        expect(page.get_by_text("Trained 10 epoch(s)")).to_be_visible(timeout=240_000)
        wait_idle(page)
        assert wait_figure(page, "SimpleRNN(8): loss (scaled units)", min_points=10)["traces"][0]["n"] == 10
        wait_figure(page, "One-step-ahead predictions")

        train("gradient_lab?gl_T=20&gl_units=8&gl_epochs=2&gl_samples=64&gl_batch=32", "▶ Train side by side")
        expect(page.get_by_text("What this run measured")).to_be_visible(timeout=240_000)
        wait_idle(page)
        assert wait_figure(page, "GRU: ‖∂L/∂h_t‖")["traces"][0]["z_rows"] == 3

        train("sentiment?m_cell=GRU&m_units=8&m_embedding_dim=8&t_epochs=1&t_batch_size=64&x_vocab_size=2000"
              "&x_max_len=50&d_n_train=500&d_n_test=500")
        expect(page.get_by_text("Answering:").first).to_contain_text("your run (its link", timeout=240_000)
        box = page.get_by_label("Your review (plain text; HTML is not rendered)")
        box.fill("A wonderful film, moving and beautifully acted.")
        box.press("Control+Enter")
        value = page.get_by_test_id("stMetric").filter(has_text="P(positive)").get_by_test_id("stMetricValue")
        expect(value).to_have_text(re.compile(r"^[01]\.\d{3}$"), timeout=60_000)
        wait_idle(page)
        assert exceptions_on(page) == []
        alerts.check()
        context.close()
    finally:
        server.stop()
    log = (ARTIFACTS / "app-server-ray.log").read_text(errors="replace")
    assert "training on the Ray cluster at" in log, log[-3000:]


def test_a_node_killed_mid_run_fails_its_run_with_one_sentence_and_the_others_finish(executor, cluster):
    """Last in this file: it kills the worker node for good."""
    from explorer.server.ray_executor import NODE_LOST

    board = jobs.board()
    _until(lambda: executor.queue.slots == 2)
    other = board.submit(_spec(epochs=60), owner="other")  # Ray fills the server's own node first
    _until(lambda: other.status == "running" and other.events_of("placed"))
    at = AppTest.from_file(str(ROOT / "pages/time_series.py"), default_timeout=240)
    at.query_params.update({"d_length": "300", "t_epochs": "2000", "m_units": "8", "t_patience": "0"})
    at.run().button(key="ts_train").click().run()
    job = shown(at, "ts")
    head = ray_cluster.node_pids(cluster.nodes[0])
    assert _node(job)["pid"] not in head and _node(other)["pid"] in head  # the page's run is on the worker node
    _until(lambda: len(job.events_of("epoch")) >= 2)
    assert ray_cluster.kill_node(cluster.nodes[1])  # the machine is gone, mid-run
    assert job.wait(120) and job.status == "failed"
    assert job.message == NODE_LOST.format(reason="NodeDiedError")
    with expect_error(job.message):
        at.run()
    assert [e.value for e in at.error] == [job.message]  # the page says it in one sentence, and nothing else broke
    assert not at.exception
    assert other.wait(300) and other.status == "finished" and other.result.record.evaluation is not None
    _until(lambda: executor.queue.slots == 1, timeout=30)  # the queue follows the cluster's CPUs
    again = board.submit(_spec(epochs=1), owner="me")  # the server goes on serving, on the node that is left
    assert again.wait(300) and again.status == "finished"
