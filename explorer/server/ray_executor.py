"""Runs trained on a Ray cluster: the app's server only queues and draws, the cluster's nodes train.

Chosen by the operator (explorer.server.settings: `RNN_EXPLORER_RAY_ADDRESS`, `RNN_EXPLORER_EXECUTOR=ray` or
`[executor]`); this module is the only one that imports Ray, and only then. A job is the same job as
in the app's own threads (explorer.server.jobs): it waits for a slot in the server's queue, whose slots follow
the CPUs (and GPUs) the cluster has for runs of the asked size, so a visitor sees their place in line
and an estimate; then it is one Ray task with those resources, placed by Ray's scheduler on any node:

- **Live.** The task is a streaming generator: the run's events (batches, epochs, probes, the lab's
  cells) and progress stream home as it trains, so curves grow as they do in-process.
- **Stop.** Stop (a click, a closed session) sets a flag in a small actor beside the server; the
  task waits on it in a thread and the run sees it at its next batch through `should_stop`, ends
  normally and still sends home what it learned.
- **Results.** The runner's typed result crosses as plain data with the models as `.keras` bytes
  (explorer.server.wire) and is loaded here with Keras' `safe_mode`.
- **Faults.** A node that dies mid-run fails that job with one sentence (it is not retried: a rerun
  would start the curves again); the server and the other jobs go on. A cluster that cannot be
  reached at start is said in the log and on the pages; runs then train in the app's own process only
  if the operator allowed it (`fallback`), else each fails with that sentence.
- **Warm workers.** Ray keeps a node's worker processes for the next task, so TensorFlow is imported
  once per worker; at start each node trains the app's warm-up (explorer.server.warmup) once per slot.
"""
from __future__ import annotations

import asyncio
import logging
import os
import queue as queues
import socket
import threading
import time
from pathlib import Path
from typing import Any, Optional

from explorer.server.jobs import (FAILED, FINISHED, STOPPED, EmbeddedExecutor, Job, JobContext, JobEvent,
                                  embedded_executor, failure_sentence, runner_of)
from explorer.server.run_queue import RunQueue
from explorer.train.runner import JobFailed
from explorer.train.status import Status

log = logging.getLogger("rnn_explorer")
ROOT = Path(__file__).resolve().parents[2]
CONNECT_S = 60.0  # the longest the server waits for the cluster at start before it says it cannot reach it
PROBE_S = 3.0  # a head that does not accept a connection within this is unreachable (Ray itself would wait minutes)
SLOTS_EVERY_S = 2.0  # how often the queue's slots follow the cluster's resources (nodes join, nodes die)
# What a worker needs from the server's environment for each run: where the model store and the encodings
# cache are (a folder every node sees), TensorFlow's logging.
RUN_ENV = ("RNN_EXPLORER_CACHE", "RNN_EXPLORER_STORE_MB", "XDG_CACHE_HOME", "TF_CPP_MIN_LOG_LEVEL", "KERAS_BACKEND")
NODE_LOST = ("The cluster node training this run stopped before the run ended ({reason}), so the run was lost; "
             "the server and other runs are not affected. Press Train to start it again.")
UNREACHABLE = "This server is set to train runs on the Ray cluster at {address}, which cannot be reached ({reason})."


class RemoteContext(JobContext):
    """A runner's `JobContext` in a cluster worker: events and progress go into `out` (the task streams them
    home), and a Stop arrives as `stop` (set by the thread that waits on the server's stop flag)."""

    def __init__(self, out: queues.Queue, stop: threading.Event):  # noqa: D107 - no local Job: it lives on the server
        self._out, self._stop = out, stop
        self._t0 = time.perf_counter()
        self._batches, self._seen = 0, False
        self.status: Optional[Status] = None
        self.message = ""

    def emit(self, kind: str, **data) -> None:
        self._batches += kind == "batch"
        self._out.put(("event", kind, data, time.perf_counter() - self._t0))

    def progress(self, fraction: float, text: str) -> None:
        self._out.put(("progress", min(1.0, max(0.0, float(fraction))), text))

    def should_stop(self) -> bool:
        """Whether Stop has reached this node; the first time, a "stop_seen" event says after how many batches
        (the run ends at its next batch boundary, however long the message took to travel)."""
        if self._stop.is_set() and not self._seen:
            self._seen = True
            self.emit("stop_seen", batches=self._batches)
        return self._stop.is_set()


def train_remote(kind: str, args: dict, job_id: str, flags, env: dict):
    """The Ray task (a streaming generator) that trains one job on a node: yields lists of items, the first
    ("placed", where), then ("event", kind, data, at) and ("progress", fraction, text) as the run goes, the last
    ("end", status, message, result on the wire)."""
    import ray

    from explorer.server import wire

    os.environ.update(env)
    args = {k: ray.get(v) if isinstance(v, ray.ObjectRef) else v for k, v in args.items()}
    out, stop = queues.Queue(), threading.Event()

    def wait_for_stop() -> None:
        try:
            if ray.get(flags.wait.remote(job_id)):
                stop.set()
        except Exception:  # noqa: BLE001 - the server went away: nobody is left to see the run
            stop.set()

    def work() -> None:
        ctx = RemoteContext(out, stop)
        try:
            result = runner_of(kind)(ctx, **args)
            status = ctx.status or (STOPPED if stop.is_set() else FINISHED)
            out.put(("end", status, ctx.message, wire.to_wire(kind, result)))
        except Exception as err:  # noqa: BLE001 - a run ends with a sentence, never takes the worker down
            if not isinstance(err, (JobFailed, ValueError)):
                log.exception("job %s (%s) failed on this node", job_id[:6], kind)
            out.put(("end", FAILED, failure_sentence(err), None))

    threading.Thread(target=wait_for_stop, name="stop-flag", daemon=True).start()
    trainer = threading.Thread(target=work, name=f"job-{kind}-{job_id[:6]}", daemon=True)
    context = ray.get_runtime_context()
    yield [("placed", {"node": context.get_node_id(), "ip": ray.util.get_node_ip_address(),
                       "host": socket.gethostname(), "pid": os.getpid()})]
    trainer.start()
    try:
        while True:
            items = [out.get()]
            while True:
                try:
                    items.append(out.get_nowait())
                except queues.Empty:
                    break
            progress = [i for i in items if i[0] == "progress"]  # only the latest progress matters
            yield [i for i in items if i[0] != "progress"] + progress[-1:]
            if any(i[0] == "end" for i in items):
                return
    finally:
        flags.forget.remote(job_id)


def warm_remote() -> int:
    """Pay TensorFlow's one-time costs in this worker (explorer.server.warmup, as the app does at start); its pid."""
    from explorer.server import warmup

    warmup.warm_up(1)
    return os.getpid()


class StopFlags:
    """A Ray actor beside the server: a job's task waits on its flag; Stop sets it, the job's end forgets it."""

    def __init__(self):
        self._flags: dict[str, list] = {}  # job id -> [its event, whether it was a stop]

    def _flag(self, job_id: str) -> list:
        return self._flags.setdefault(job_id, [asyncio.Event(), False])

    async def wait(self, job_id: str) -> bool:
        """Until the job is asked to stop (True) or is forgotten (False)."""
        flag = self._flag(job_id)
        await flag[0].wait()
        return flag[1]

    async def stop(self, job_id: str) -> None:
        flag = self._flag(job_id)
        flag[1] = True
        flag[0].set()

    async def forget(self, job_id: str) -> None:
        flag = self._flags.pop(job_id, None)
        if flag is not None:
            flag[0].set()


def reachable(address: str, timeout: float = PROBE_S) -> None:
    """Raise ConnectionError unless `address` ("host:port"; "auto" and ray:// are left to Ray) accepts a
    connection: Ray itself keeps retrying an absent head for minutes."""
    if address == "auto" or "://" in address:
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ConnectionError(f"{address!r} is not host:port")
    with socket.create_connection((host, int(port)), timeout=timeout):
        pass


def _reason(err: BaseException) -> str:
    """An exception in a few words for a sentence: its kind and the first line of its message, shortened."""
    first = (str(err).strip().splitlines() or [""])[0]
    return f"{type(err).__name__}: {first[:160]}" if first else type(err).__name__


class ClusterExecutor(EmbeddedExecutor):
    """The server's queue in front of the cluster: a job that holds its slot trains as one Ray task."""

    def __init__(self, cpus: float, gpus: float):
        super().__init__(RunQueue(1, shares_cores=False))  # each run has a worker's cores
        self.cpus, self.gpus = float(cpus), float(gpus)
        self.task = self.flags = None
        self.warming: list = []  # the warm-up tasks sent to the nodes when the server joined (ObjectRefs of pids)
        self._shared: dict[int, tuple[Any, Any]] = {}  # id(value) -> (value, its ObjectRef): one upload per dataset
        self._lock = threading.Lock()

    def connect(self, address: str) -> str:
        """Join the cluster, start the stop flags and warm every node's workers; a line for the log."""
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        path = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": path}})
        here = ray.get_runtime_context().get_node_id()
        # Restarted elsewhere (and its waits retried) when its node dies: a lost node must not stop other nodes' runs.
        self.flags = ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=-1)(StopFlags).options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(here, soft=True)).remote()
        # max_calls=0: a worker serves run after run (Ray's default for GPU tasks would start a new one each time).
        size = {"num_cpus": self.cpus, "num_gpus": self.gpus, "max_retries": 0, "max_calls": 0}
        self.task = ray.remote(**size)(train_remote).options(num_returns="streaming")
        warm = ray.remote(**size)(warm_remote)
        nodes = [n for n in ray.nodes() if n.get("Alive")]
        self.warming = [warm.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False))
                        .remote() for node in nodes for _ in range(self._fits(node.get("Resources", {})))]
        self.follow_cluster()
        threading.Thread(target=self._follow, name="ray-slots", daemon=True).start()
        return (f"training on the Ray cluster at {address}: {len(nodes)} node(s), "
                f"{ray.cluster_resources().get('CPU', 0):g} CPUs, {self.queue.slots} run(s) at once")

    def warmed(self, timeout: Optional[float] = None) -> list[int]:
        """Wait for the nodes' warm-ups (a benchmark starts its clock after them); the warmed workers' pids."""
        import ray

        return ray.get(self.warming, timeout=timeout)

    def _fits(self, resources: dict) -> int:
        """How many runs of this size `resources` hold at once."""
        n = int(resources.get("CPU", 0) // self.cpus) if self.cpus else 10**6
        if self.gpus:
            n = min(n, int(resources.get("GPU", 0) // self.gpus))
        return n

    def follow_cluster(self) -> None:
        """Fit the queue's slots to the runs the cluster's nodes hold now (at least one: a run waits in Ray's own
        line while the cluster has no room, and starts when a node joins)."""
        import ray

        self.queue.resize(max(1, self._fits(ray.cluster_resources())))

    def _follow(self) -> None:
        import ray

        while True:
            time.sleep(SLOTS_EVERY_S)
            if not ray.is_initialized():  # this process left the cluster (ray.shutdown)
                return
            try:
                self.follow_cluster()
            except Exception:  # noqa: BLE001 - the head is gone: runs fail with their own sentence
                log.warning("could not read the Ray cluster's resources", exc_info=True)

    def _args(self, args: dict) -> dict:
        """The job's inputs, its reviews uploaded once per dataset (an IMDB copy is ~60 MB) and shared by runs."""
        import ray

        data = args.get("data")
        if data is None or not hasattr(data, "fingerprint"):
            return args
        with self._lock:
            if id(data) not in self._shared:
                if len(self._shared) >= 2:
                    self._shared.pop(next(iter(self._shared)))
                self._shared[id(data)] = (data, ray.put(data))
            return {**args, "data": self._shared[id(data)][1]}

    def train(self, job: Job, ticket) -> tuple[Status, str, Any]:
        import ray

        from explorer.server import wire

        env = {k: os.environ[k] for k in RUN_ENV if k in os.environ}
        job.progress_text = "Waiting for the cluster to place the run…"
        stream = self.task.remote(job.spec.kind, self._args(job.spec.args), job.id, self.flags, env)
        job.on_stop(lambda: None if job.done else self.flags.stop.remote(job.id))
        try:
            for ref in stream:
                for item in ray.get(ref):
                    if item[0] == "event":
                        job.events.append(JobEvent(item[1], item[2], item[3]))
                    elif item[0] == "progress":
                        job.progress, job.progress_text = item[1], item[2]
                        self.queue.report(ticket, item[1])
                    elif item[0] == "placed":
                        where = item[1]
                        job.events.append(JobEvent("placed", where, 0.0))
                        job.progress_text = f"Starting on the cluster's node {where['node'][:8]} ({where['ip']})…"
                    else:
                        _, status, message, result = item
                        return status, message, wire.from_wire(job.spec.kind, result, job.spec.args)
        except (ray.exceptions.NodeDiedError, ray.exceptions.WorkerCrashedError, ray.exceptions.ObjectLostError,
                ray.exceptions.LocalRayletDiedError, ray.exceptions.RaySystemError) as err:
            log.warning("job %s (%s): its node was lost: %s", job.id[:6], job.spec.kind, _reason(err))
            self.flags.forget.remote(job.id)
            return FAILED, NODE_LOST.format(reason=type(err).__name__), None
        except ray.exceptions.RayError as err:
            log.error("job %s (%s) failed on the cluster: %s", job.id[:6], job.spec.kind, err)
            return FAILED, (f"The cluster could not run this run ({_reason(err)}). The rest of the page still works; "
                            "try again, or tell the server's operator."), None
        return FAILED, "The cluster ended the run without a result. Press Train to start it again.", None


class RayExecutor:
    """Jobs train on a Ray cluster (`ClusterExecutor`); while it cannot be reached, as the operator chose: in the
    app's own process (`fallback`) or not at all, each job failing with the sentence that says why.

    Connecting happens in the background at once: a page never waits for it, a job waits at most CONNECT_S.
    """

    def __init__(self, address: str = "auto", cpus: float = 1.0, gpus: float = 0.0, fallback: bool = False,
                 slots: str = "auto"):
        self.address, self.fallback_allowed, self.slots = address, fallback, slots
        self.cluster = ClusterExecutor(cpus, gpus)
        self.fallback: Optional[EmbeddedExecutor] = None
        self.notice = ""  # for the pages: where runs train when it is not where the operator asked
        self.problem = ""  # the sentence a job fails with when the cluster cannot be reached and no fallback
        self._ready = threading.Event()
        threading.Thread(target=self._connect, name="ray-connect", daemon=True).start()

    @classmethod
    def from_settings(cls, s) -> "RayExecutor":
        return cls(s.ray_address, s.ray_cpus, s.ray_gpus, s.ray_fallback, s.slots)

    @property
    def queue(self) -> RunQueue:
        """The queue a waiting visitor stands in: the cluster's, or the app's own after a fallback."""
        return self.fallback.queue if self.fallback is not None else self.cluster.queue

    @property
    def connected(self) -> bool:
        return self._ready.is_set() and not self.problem

    def _connect(self) -> None:
        result: list = []

        def attempt() -> None:
            try:
                reachable(self.address)
                result.append(self.cluster.connect(self.address))
            except Exception as err:  # noqa: BLE001 - any failure to join is "cannot be reached", said once
                result.append(err)

        worker = threading.Thread(target=attempt, name="ray-init", daemon=True)
        worker.start()
        worker.join(CONNECT_S)
        outcome = result[0] if result else TimeoutError(f"no answer within {CONNECT_S:.0f} s")
        if isinstance(outcome, str):
            log.warning(outcome)  # the operator's one line on where runs train (the app sets no log level)
        else:
            sentence = UNREACHABLE.format(address=self.address, reason=_reason(outcome))
            if self.fallback_allowed:
                self.fallback = embedded_executor(self.slots)
                self.notice = sentence + " Runs train on this web server instead, as its operator allowed."
                log.error("%s Training in the app's own process instead (fallback allowed).", sentence)
            else:
                self.problem = self.notice = sentence + " Training is unavailable until the server's operator fixes it."
                log.error("%s No fallback allowed: every run fails until it is fixed.", sentence)
        self._ready.set()

    def launch(self, job: Job) -> None:
        threading.Thread(target=self._run, args=(job,), name=f"job-{job.spec.kind}-{job.id[:6]}",
                         daemon=True).start()

    def _run(self, job: Job) -> None:
        job.progress_text = "Connecting to the training cluster…"
        self._ready.wait()
        if self.fallback is not None:
            self.fallback._run(job)
        elif self.problem:
            job._end(FAILED, self.problem)
        else:
            self.cluster._run(job)
