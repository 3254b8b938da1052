"""Runs as jobs the server owns (explorer.server.jobs): real tiny Keras runs in the embedded executor's threads."""
from __future__ import annotations

import time

import pytest

from explorer.data.synthetic import sine_wave
from explorer.nn.config import ModelConfig, SeriesConfig, TrainConfig
from explorer.server import jobs
from explorer.server.jobs import STOPPED_IN_LINE, EmbeddedExecutor, JobBoard, JobSpec
from explorer.server.run_queue import RunQueue
from explorer.tasks.series.run import SeriesData

SERIES = SeriesConfig(length=200, window=8)


def _spec(epochs: int = 2, **train) -> JobSpec:
    data = SeriesData(sine_wave(SERIES.length, SERIES.frequency, SERIES.amplitude, SERIES.noise, 0), None, "sine", [])
    cfg = TrainConfig(epochs=epochs, batch_size=32, batch_every=1, **train)
    return JobSpec("series", dict(data=data, series=SERIES, model=ModelConfig(units=4), train=cfg, number=1,
                                  forecast_steps=10), work=epochs * SERIES.length)


def _board(slots: int = 1) -> JobBoard:
    return JobBoard(EmbeddedExecutor(RunQueue(slots)))


def _until(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_job_trains_in_the_background_streams_events_and_returns_its_typed_result():
    board = _board()
    job = board.submit(_spec(epochs=3), owner="me")
    assert len(job.id) >= 22 and board.get(job.id) is job  # 128 random bits, url-safe
    assert job.wait(300), job.status
    assert job.status == "finished" and job.message == "" and job.progress == 1.0
    run = job.result  # the page's typed record, the model and its RunResult
    assert run.result.epochs_done == 3 and run.record.evaluation is not None and run.model is not None
    epochs = job.events_of("epoch")
    assert [e.data["epoch"] for e in epochs] == [0, 1, 2]
    history, batches, running = jobs.curves(job.events)
    assert history["loss"] == run.result.history["loss"] and running is None  # the events carry the same curves
    assert len(batches["loss"]) == len(job.events_of("batch")) > 3
    assert job.events_of("setup")[0].data["loss_floor"] == run.record.loss_floor
    assert 0 < job.seconds < 300 and job.started >= job.created


def test_stop_ends_a_job_within_a_batch_and_keeps_what_it_learned():
    board = _board()
    job = board.submit(_spec(epochs=500), owner="me")
    _until(lambda: len(job.events_of("epoch")) >= 2)
    job.stop()
    asked = len(job.events_of("batch"))
    assert job.wait(60)
    assert job.status == "stopped" and "Stopped by request during epoch" in job.message
    run = job.result
    assert len(job.events_of("batch")) <= asked + 1  # the batch in progress ends, no other starts
    assert 2 <= run.result.epochs_done < 500 and len(run.result.history["loss"]) >= 2
    assert run.record.evaluation is not None  # the model kept what it learned and was scored


def test_a_job_in_line_shows_its_place_and_stop_takes_it_out_of_the_line():
    board = _board(slots=1)
    first = board.submit(_spec(epochs=500), owner="a")
    second = board.submit(_spec(), owner="b")
    _until(lambda: second.place is not None)
    assert second.status == "waiting" and second.place.ahead == 0 and second.place.running == 1
    second.stop()
    assert second.wait(10) and second.status == "stopped" and second.message == STOPPED_IN_LINE
    assert second.result is None and second.events == []  # nothing was built or trained
    first.stop()
    assert first.wait(60)


def test_bad_settings_fail_with_one_sentence_and_the_server_goes_on():
    board = _board()
    job = board.submit(_spec(learning_rate=-1.0), owner="me")
    assert job.wait(60)
    assert job.status == "failed" and job.message.startswith("This run could not train: ")
    assert "learning rate" in job.message and "Traceback" not in job.message
    ok = board.submit(_spec(epochs=1), owner="me")
    assert ok.wait(300) and ok.status == "finished"
    with pytest.raises(ValueError):
        board.submit(JobSpec("nonsense", {}), owner="me")


def test_a_job_nobody_watches_any_more_stops_and_ended_ones_are_kept_a_while():
    board = _board()
    job = board.submit(_spec(epochs=500), owner="gone")
    _until(lambda: job.status == "running")
    assert board.release("gone") == 1  # its session ended and no reload or link watches it
    assert job.wait(60) and job.status == "stopped"
    assert board.get(job.id) is job  # reachable by its link for a while
    watched = board.submit(_spec(epochs=1), owner="me")
    board.watch(watched, "second tab")
    assert watched.wait(300)
    board.release("me")
    assert board.get(watched.id) is watched and watched.watchers == {"second tab"}
    board.drop(watched, "second tab")  # that tab's page moved on to a newer run
    assert board.get(watched.id) is None


def test_ended_jobs_without_a_page_are_kept_an_hour_at_most_and_only_the_newest():
    now = [1000.0]
    board = JobBoard(EmbeddedExecutor(RunQueue(1)), clock=lambda: now[0])
    ended = []
    for i in range(jobs.KEEP_UNWATCHED + 2):
        job = board.submit(JobSpec("series", {}), owner=f"s{i}")  # fails at once (no inputs): ends quickly
        assert job.wait(30) and job.status == "failed"
        job.ended = now[0] + i
        board.release(f"s{i}")
        ended.append(job)
    board.prune()
    kept = [j for j in ended if board.get(j.id) is not None]
    assert kept == ended[2:]  # the newest KEEP_UNWATCHED
    now[0] += jobs.KEEP_S + 100
    board.prune()
    assert len(board) == 0
