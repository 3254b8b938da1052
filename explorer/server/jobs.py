"""Training runs as jobs the server owns: submitted by a page, queued, trained by an executor, watched by views.

A page submits a `JobSpec` (a run kind and its inputs) and gets a `Job` back at once. The job waits
for a training slot in the server's `RunQueue` (its place and an estimate are on the job), then an
executor runs the kind's runner, which streams `JobEvent`s (batch and epoch metrics, probes, the
lab's cells) and returns the run's typed result. Any view that holds the job id can draw it: the
page that submitted it, the same page after a reload, or a second tab with the run's link. Clicks,
other pages and reloads never touch the job; `Job.stop` ends it after the current batch (or takes
it out of the line).

Job ids are capabilities: 128 random bits, never listed to anyone. Plain Python, no Streamlit.
"""
from __future__ import annotations

import importlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional, Protocol

from explorer.server.run_queue import LeftLine, Place, RunQueue, slots_for
from explorer.train.runner import JobFailed
from explorer.train.status import DIVERGED, FAILED, FINISHED, RUNNING, STOPPED, WAITING, Status

log = logging.getLogger("rnn_explorer")

# The runner of each kind of run, "module:function", imported when a job of that kind first runs (so an
# executor in another process needs only the engine): runner(ctx: JobContext, **spec.args) -> result.
RUNNERS = {
    "series": "explorer.tasks.series.run:run_job",
    "sentiment": "explorer.tasks.sentiment.run:run_job",
    "lab": "explorer.tasks.lab.arch:run_job",
    "sweep": "explorer.tasks.lab.sweep:sweep_job",
}
KEEP_S = 3600.0  # an ended run no page shows any more stays reachable by its link this long …
KEEP_UNWATCHED = 8  # … and at most this many of them (the newest), whatever their age
STOPPED_IN_LINE = "Stopped while waiting in line: nothing was trained."


@dataclass(frozen=True)
class JobSpec:
    """What to run: a kind from RUNNERS and its keyword inputs (configs, data), its size and a title."""

    kind: str
    args: dict
    work: float = 1.0  # the run's size in its kind's unit, for the queue's estimates (run_queue.Ticket)
    title: str = ""


@dataclass(frozen=True)
class JobEvent:
    """One thing a job reported: `kind` ("batch", "epoch", "cell", …), its data, seconds since it started."""

    kind: str
    data: dict
    at: float


class Job:
    """A submitted run: its status, place in line, progress, events and, once it ends, its result."""

    def __init__(self, spec: JobSpec, owner: str):
        self.id = secrets.token_urlsafe(16)  # 128 bits: unguessable, so holding it is the right to see it
        self.spec, self.owner = spec, owner
        self.status: Status = WAITING
        self.message = ""
        self.place: Optional[Place] = None
        self.progress, self.progress_text = 0.0, "Waiting for a training slot…"
        self.events: list[JobEvent] = []
        self.result: Any = None
        self.created, self.started, self.ended = time.time(), None, None
        self.watchers: set[str] = {owner}
        self._stop = threading.Event()
        self._done = threading.Event()
        self._on_stop: list[Callable[[], None]] = []

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """End the run after the current batch, keeping what it learned; a waiting job leaves the line."""
        self._stop.set()
        for tell in list(self._on_stop):
            tell()

    def on_stop(self, tell: Callable[[], None]) -> None:
        """Call `tell()` when the job is asked to stop (at once if it already was): how an executor passes
        a Stop on to a run that trains elsewhere."""
        self._on_stop.append(tell)
        if self.stop_requested:
            tell()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until the job has ended (True) or `timeout` seconds pass (False)."""
        return self._done.wait(timeout)

    @property
    def seconds(self) -> float:
        """Seconds it has trained (so far, or in all)."""
        if self.started is None:
            return 0.0
        return (self.ended or time.time()) - self.started

    def events_of(self, *kinds: str) -> list[JobEvent]:
        return [e for e in list(self.events) if e.kind in kinds]

    def _end(self, status: Status, message: str = "", result: Any = None) -> None:
        self.status, self.message = status, message
        if result is not None:
            self.result = result
        self.ended = time.time()
        self.progress_text = {FINISHED: "Finished", STOPPED: "Stopped", DIVERGED: "Diverged",
                              FAILED: "Failed"}.get(status, str(status))
        self._done.set()


class JobContext:
    """What a runner sees of its job: report events and progress, ask whether to stop, say how it ended."""

    def __init__(self, job: Job, on_first_step: Callable[[], None] = lambda: None,
                 on_progress: Callable[[float], None] = lambda f: None):
        self.job = job
        self._first, self._on_progress = on_first_step, on_progress
        self._t0 = time.perf_counter()
        self.status: Optional[Status] = None  # set by the runner when it knows better than "finished"
        self.message = ""

    def emit(self, kind: str, **data) -> None:
        """Report an event; the first training step's also lets the next queued run start building."""
        self.job.events.append(JobEvent(kind, data, time.perf_counter() - self._t0))
        if kind in ("batch", "epoch"):
            self._first()

    def train_sink(self, tag: Optional[dict] = None) -> Callable:
        """A sink for `explorer.train.training.train`: each TrainEvent becomes a job event (with `tag`'s fields)."""
        def sink(event) -> None:
            self.emit(event.kind, epoch=event.epoch, batch=event.batch, x=event.at_epoch, logs=dict(event.logs),
                      **(tag or {}))
        return sink

    def progress(self, fraction: float, text: str) -> None:
        self.job.progress, self.job.progress_text = min(1.0, max(0.0, float(fraction))), text
        self._on_progress(self.job.progress)

    def should_stop(self) -> bool:
        return self.job.stop_requested

    def end(self, status: Status, message: str = "") -> None:
        """How the run ended, when not plainly finished (stopped by request, diverged)."""
        self.status, self.message = status, message


def curves(events: list[JobEvent], arch: Optional[str] = None) -> tuple[dict, dict, Optional[JobEvent]]:
    """One model's curves from its job's events (the lab's: those of `arch`): the metrics per epoch, every batch
    point (metric -> [(epoch axis, value)]), and the last batch event of the epoch in progress (None at an end)."""
    history: dict[str, list[float]] = {}
    batches: dict[str, list[tuple[float, float]]] = {}
    running = None
    for e in events:
        if arch is not None and e.data.get("arch") != arch:
            continue
        if e.kind == "epoch":
            for key, value in e.data["logs"].items():
                history.setdefault(key, []).append(float(value))
            running = None
        elif e.kind == "batch":
            for key, value in e.data["logs"].items():
                if key != "batch_loss":
                    batches.setdefault(key, []).append((float(e.data["x"]), float(value)))
            running = e
    return history, batches, running


def runner_of(kind: str) -> Callable[..., Any]:
    module, name = RUNNERS[kind].split(":")
    return getattr(importlib.import_module(module), name)


def failure_sentence(err: BaseException) -> str:
    """One sentence for the person: a JobFailed or ValueError says what is wrong; anything else, that it broke."""
    if isinstance(err, (JobFailed, ValueError)):
        return f"This run could not train: {err}"
    return (f"Training failed unexpectedly ({type(err).__name__}). The rest of the page still works; try other "
            "settings.")


class Executor(Protocol):
    """Runs jobs: waits for their slot, calls their runner, ends them. `launch` returns at once."""

    def launch(self, job: Job) -> None: ...


class _LeaveLine(Exception):
    pass


class EmbeddedExecutor:
    """Jobs train in threads of this process, one per job, each once the server's queue gives it a slot.

    The app's process has TensorFlow loaded and warm, so a job's first step comes as soon as its slot
    does. `before_start()` runs first in the job's thread (the app waits for its warm-up there);
    `after()` runs once a job has ended (the app gives freed memory back to the system).
    """

    def __init__(self, queue: RunQueue, before_start: Callable[[], None] = lambda: None,
                 after: Callable[[], None] = lambda: None):
        self.queue, self.before_start, self.after = queue, before_start, after

    def launch(self, job: Job) -> None:
        threading.Thread(target=self._run, args=(job,), name=f"job-{job.spec.kind}-{job.id[:6]}",
                         daemon=True).start()

    def train(self, job: Job, ticket) -> tuple[Status, str, Any]:
        """Run the job's runner here, once it holds its slot (`ticket`); (status, message, result)."""
        release = self.queue.start_gate.enter()
        ctx = JobContext(job, on_first_step=release, on_progress=lambda f: self.queue.report(ticket, f))
        try:
            result = runner_of(job.spec.kind)(ctx, **job.spec.args)
        finally:
            release()
        return ctx.status or (STOPPED if job.stop_requested else FINISHED), ctx.message, result

    def _run(self, job: Job) -> None:
        def on_wait(place: Place) -> None:
            job.place = place
            if job.stop_requested:
                raise _LeaveLine

        try:
            job.progress_text = "Waiting for the server's start-up (TensorFlow warming up)…"
            self.before_start()
            job.progress_text = "Waiting for a free training slot…"
            if job.stop_requested:
                raise _LeaveLine
            with self.queue.slot(job.owner, job.spec.kind, on_wait=on_wait, poll_s=0.25,
                                 work=job.spec.work) as ticket:
                job.place, job.status, job.started = None, RUNNING, time.time()
                job.progress_text = "Starting…"
                status, message, result = self.train(job, ticket)
            job._end(status, message, result)
        except (_LeaveLine, LeftLine):
            job._end(STOPPED, STOPPED_IN_LINE)
        except Exception as err:  # noqa: BLE001 - a job must end with a sentence, never take the server down
            if not isinstance(err, (JobFailed, ValueError)):
                log.exception("job %s (%s) failed", job.id[:6], job.spec.kind)
            job._end(FAILED, failure_sentence(err))
        finally:
            try:
                self.after()
            except Exception:  # noqa: BLE001
                pass


class JobBoard:
    """The server's jobs by id: submitted here, watched by sessions, kept a while after no page shows them.

    A job is kept while a live session watches it (the page that submitted it, a reload or a second tab
    that opened its link); a page's newer run replaces it (`drop`). Once its sessions have ended, an ended
    job stays reachable by its link for KEEP_S (at most KEEP_UNWATCHED of them, the newest), and a waiting
    or running one is stopped: nobody is there to see it.
    """

    def __init__(self, executor: Executor, clock: Callable[[], float] = time.time):
        self.executor, self._clock = executor, clock
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def submit(self, spec: JobSpec, owner: str) -> Job:
        if spec.kind not in RUNNERS:
            raise ValueError(f"Unknown kind of run {spec.kind!r}.")
        job = Job(spec, owner)
        with self._lock:
            self._jobs[job.id] = job
        self.prune()
        self.executor.launch(job)
        return job

    def get(self, job_id: str) -> Optional[Job]:
        """The job with this id, or None (never a list: an id is the right to see its job)."""
        with self._lock:
            return self._jobs.get(str(job_id))

    def watch(self, job: Job, session: str) -> None:
        with self._lock:
            job.watchers.add(session)

    def drop(self, job: Job, session: str) -> None:
        """`session` shows the job no more (its page has a newer run): unless another session watches it, it
        goes now, and its model with it (back to explorer.nn.model_pool, for the next run of its set-up)."""
        with self._lock:
            job.watchers.discard(session)
            if not job.watchers and job.done:
                self._jobs.pop(job.id, None)

    def release(self, session: str) -> int:
        """A session ended: it watches nothing now; jobs left unwatched and not ended are stopped. How many."""
        with self._lock:
            stopped = 0
            for job in self._jobs.values():
                if session in job.watchers:
                    job.watchers.discard(session)
                    if not job.watchers and not job.done:
                        job.stop()
                        stopped += 1
        self.prune()
        return stopped

    def prune(self) -> None:
        """Drop ended jobs no session watches: those past KEEP_S, and all but the newest KEEP_UNWATCHED."""
        now = self._clock()
        with self._lock:
            idle = sorted((j for j in self._jobs.values() if j.done and not j.watchers),
                          key=lambda j: j.ended or 0, reverse=True)
            for i, job in enumerate(idle):
                if i >= KEEP_UNWATCHED or now - (job.ended or now) > KEEP_S:
                    del self._jobs[job.id]

    def __len__(self) -> int:
        with self._lock:
            return len(self._jobs)


_board: Optional[JobBoard] = None
_board_lock = threading.Lock()


def embedded_executor(slots: str = "auto") -> EmbeddedExecutor:
    """The app's own executor: its threads, through one queue of the operator's slots."""
    from explorer.nn.model_pool import POOL
    from explorer.server import memory, warmup

    queue = RunQueue(slots_for(slots))
    log.info("training queue: %d run(s) at once", queue.slots)

    def after() -> None:
        if queue.counts() == (0, 0):  # nobody trains or waits: make the next visitor's traced model now
            POOL.refill()
        memory.give_back()

    return EmbeddedExecutor(queue, before_start=warmup.wait, after=after)


def board() -> JobBoard:
    """The process's job board, with the executor the operator chose (explorer.server.settings): the embedded one
    by default; a Ray cluster's (explorer.server.ray_executor, which alone imports Ray) when asked."""
    global _board
    with _board_lock:
        if _board is None:
            from explorer.server import settings

            try:
                chosen = settings.load()
            except settings.SettingsProblem as err:
                log.error("%s Training in this process, with slots fitted to this machine, instead.", err)
                chosen = settings.Settings()
            if chosen.executor == "ray":
                from explorer.server.ray_executor import RayExecutor

                _board = JobBoard(RayExecutor.from_settings(chosen))
            else:
                _board = JobBoard(embedded_executor(chosen.slots))
        return _board


def notice() -> str:
    """What the pages should say about where runs train, when it is not as the operator asked (the cluster
    could not be reached); "" otherwise, and before the board exists."""
    return getattr(_board.executor, "notice", "") if _board is not None else ""


def queue() -> RunQueue:
    """The server's training queue (its executor's: the slots a waiting visitor stands in line for)."""
    return board().executor.queue
