"""One queue of training runs per server: at most `slots` train at once, the others wait in order.

Streamlit runs every visitor's session as a thread of one process, so a class pressing Train
together would otherwise split the CPU cores between all their runs at once, each slower
than the last. Here runs take turns, first come first served: a waiting run knows its place
and an estimate of its wait, and leaves the line at any moment (Stop, a closed tab).

Plain, thread-safe Python (no Streamlit): `ui.queue` shows it on the pages.
"""
from __future__ import annotations

import contextlib
import heapq
import os
import statistics
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterator, Optional

DEFAULT_ESTIMATE_S = 20.0  # a run of a kind never seen on this server
RECENT = 20  # a kind's pace is the median of this many most recent runs of it
MIN_PROGRESS = 0.02  # below this a running run's own pace says too little: its kind's pace is used instead

# Fitted on a 2-core machine (bench/bench_load.py, bench/RESULTS.md): with more runs at
# once than cores / CORES_PER_RUN, eight time-series default runs took longer in all, not less.
CORES_PER_RUN = 1
MEMORY_PER_RUN = 2 * 2**30  # the largest preset (sentiment, best accuracy) peaks below 2 GB


@dataclass(eq=False)
class Ticket:
    """One run's place: who asked, what kind of run, its size, and when it joined and started.

    `work` is the run's size in its kind's own unit (epochs × sequences × steps, say), so a longer
    set-up of the same page is expected to take longer; `progress` (0–1) is reported by the run.
    """

    owner: str
    kind: str
    joined: float
    started: Optional[float] = None
    work: float = 1.0
    progress: float = 0.0
    load_s: float = 0.0  # seconds trained × runs training at the time (itself included): its mean load × its time


@dataclass(frozen=True)
class Place:
    """Where a waiting ticket stands: `ahead` runs wait before it, `running` train now; `wait_s` is an estimate."""

    ahead: int
    running: int
    wait_s: float


def auto_slots(cores: Optional[int] = None, available_bytes: Optional[int] = None) -> int:
    """Runs at once fitted to this machine: one per CORES_PER_RUN cores, no more than memory holds."""
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    by_cores = max(1, cores // CORES_PER_RUN)
    if available_bytes is None:
        available_bytes = _available_memory()
    by_memory = max(1, available_bytes // MEMORY_PER_RUN) if available_bytes else by_cores
    return int(min(by_cores, by_memory))


def slots_for(setting: str) -> int:
    """The slots an operator's setting means: a whole number as given, "auto" fitted to the machine."""
    return auto_slots() if setting == "auto" else int(setting)


def _available_memory() -> int:
    """MemAvailable from /proc/meminfo in bytes (0 where there is none)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class LeftLine(Exception):
    """A waiting ticket was taken out of the line by someone else (its session ended): stop waiting."""


START_WAIT_S = 5.0  # the longest a run waits for the one starting before it (a large model's first step)


class StartGate:
    """Runs that got their slots together start one after the other, each up to its first training step.

    A run's start (building the model, its probe, Keras' set-up, the first step) is mostly Python, and
    Python runs one thread at a time: two starts at once take turns at every step, so the first
    visitor's first curve point waits for the second visitor's model. The gate lets the first run reach its
    first step alone; the next follows shortly after.
    """

    def __init__(self, max_wait_s: float = START_WAIT_S):
        self.max_wait_s = max_wait_s
        self._lock = threading.Lock()

    def enter(self) -> Callable[[], None]:
        """Wait (at most `max_wait_s`) for the run starting before this one; returns this run's release
        (call it at the first step; calling it again, or after the wait timed out, does nothing)."""
        held = self._lock.acquire(timeout=self.max_wait_s)

        def release() -> None:
            nonlocal held
            if held:
                held = False
                self._lock.release()

        return release


class RunQueue:
    """First come, first served, one run per visitor first; at most `slots` tickets hold a slot at a time,
    and start one at a time."""

    def __init__(self, slots: int, clock: Callable[[], float] = time.monotonic, shares_cores: bool = True):
        """`shares_cores`: runs at once share one machine's cores, so each is slower the more train beside it (the
        embedded executor); a cluster's runs (Ray) each have their own."""
        if slots < 1:
            raise ValueError("a queue needs at least one slot")
        self.slots, self._clock, self.shares_cores = int(slots), clock, shares_cores
        self._since = clock()
        self._cond = threading.Condition()
        self._waiting: deque[Ticket] = deque()
        self._running: list[Ticket] = []
        self._recent: dict[str, deque[float]] = {}
        self.start_gate = StartGate()

    # ------------------------------------------------------------ joining and leaving
    def join(self, owner: str, kind: str, work: float = 1.0) -> Ticket:
        """A new ticket at the end of the line (it starts at once when a slot is free); `work`: see `Ticket`."""
        with self._cond:
            ticket = Ticket(owner, kind, self._clock(), work=max(float(work), 1e-9))
            self._waiting.append(ticket)
            self._promote()
            return ticket

    def wait(self, ticket: Ticket, timeout: Optional[float] = None) -> bool:
        """Block until `ticket` holds a slot (True) or `timeout` seconds pass (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: ticket.started is not None, timeout)

    def leave(self, ticket: Ticket) -> None:
        """Give up the ticket's place or slot (idempotent); a finished run teaches the estimate."""
        with self._cond:
            if ticket in self._running:
                now = self._clock()
                self._accrue(now)
                self._running.remove(ticket)
                took = now - ticket.started
                if ticket.progress > 0:  # seconds per unit of work alone, from the part it did (a stopped run too)
                    load = max(1.0, ticket.load_s / took) if self.shares_cores and took > 0 else 1.0
                    pace = took / (ticket.work * min(1.0, ticket.progress) * load)
                    self._recent.setdefault(ticket.kind, deque(maxlen=RECENT)).append(pace)
            elif ticket in self._waiting:
                self._waiting.remove(ticket)
            else:
                return
            self._promote()
            self._cond.notify_all()

    def resize(self, slots: int) -> None:
        """Hold `slots` runs at once from now on (a cluster that gained or lost nodes): waiting runs start at once
        when there is room; runs already training beyond a smaller count finish."""
        with self._cond:
            self.slots = max(1, int(slots))
            self._promote()

    def leave_all(self, owner: str) -> int:
        """Free every place and slot `owner` holds (a session that ended); how many were freed."""
        with self._cond:
            mine = [t for t in (*self._running, *self._waiting) if t.owner == owner]
        for ticket in mine:
            self.leave(ticket)
        return len(mine)

    def _promote(self) -> None:
        while self._waiting and len(self._running) < self.slots:
            ticket = self._order()[0]
            self._waiting.remove(ticket)
            ticket.started = self._clock()
            self._accrue(ticket.started)
            self._running.append(ticket)
        self._cond.notify_all()

    def _accrue(self, now: float) -> None:
        """Credit each running ticket with the time since the running set last changed, times its size."""
        for t in self._running:
            t.load_s += (now - self._since) * len(self._running)
        self._since = now

    def _busy_load(self) -> float:
        """How many runs share the cores while anyone waits (every slot busy)."""
        return float(self.slots) if self.shares_cores else 1.0

    def _order(self) -> list[Ticket]:
        """The waiting tickets in the order they will start: first come, first served, except that a visitor
        with a run training goes behind those who have none (their second run takes a slot nobody else wants)."""
        busy = {t.owner for t in self._running}
        rest, order = list(self._waiting), []
        while rest:
            ticket = next((t for t in rest if t.owner not in busy), rest[0])
            rest.remove(ticket)
            order.append(ticket)
            busy.add(ticket.owner)
        return order

    # ------------------------------------------------------------ where a ticket stands
    def report(self, ticket: Ticket, progress: float) -> None:
        """The running run says how far it is (0–1): the wait of those behind it follows its real pace."""
        ticket.progress = min(1.0, max(ticket.progress, float(progress)))

    def estimate(self, kind: str, work: float = 1.0) -> float:
        """Seconds a run of `kind` and size `work` takes here alone: its kind's recent pace × work, else a default."""
        with self._cond:
            return self._expected(kind, work)

    def place(self, ticket: Ticket) -> Optional[Place]:
        """Where a waiting ticket stands, None once it holds a slot (or has left)."""
        with self._cond:
            if ticket not in self._waiting:
                return None
            now = self._clock()
            order = self._order()
            ahead = order[:order.index(ticket)]
            # Slots free up when the running runs end, then each run ahead takes the first free slot
            # for as long as its own set-up is expected to take.
            free = [self._remaining(t, now) for t in self._running]
            free += [0.0] * (self.slots - len(free))
            heapq.heapify(free)
            for t in ahead:
                heapq.heappush(free, heapq.heappop(free) + self._expected(t.kind, t.work, self._busy_load()))
            return Place(len(ahead), len(self._running), free[0])

    def _expected(self, kind: str, work: float, load: float = 1.0) -> float:
        """Seconds a run takes beside `load` − 1 others (runs at once share the cores: each takes `load` × longer)."""
        recent = self._recent.get(kind)
        return statistics.median(recent) * work * load if recent else DEFAULT_ESTIMATE_S

    def _remaining(self, ticket: Ticket, now: float) -> float:
        """A running run's time left: from its own pace once it has reported progress, else from its kind's."""
        elapsed = now - ticket.started
        if ticket.progress >= MIN_PROGRESS:
            return elapsed * (1.0 - ticket.progress) / ticket.progress
        expected = self._expected(ticket.kind, ticket.work, self._busy_load())
        return max(expected - elapsed, 0.1 * expected)  # late, but still running: not "any moment now"

    def counts(self) -> tuple[int, int]:
        """(running, waiting) now."""
        with self._cond:
            return len(self._running), len(self._waiting)

    # ------------------------------------------------------------ the usual way in
    @contextlib.contextmanager
    def slot(self, owner: str, kind: str, on_wait: Optional[Callable[[Place], None]] = None,
             poll_s: float = 0.5, work: float = 1.0) -> Iterator[Ticket]:
        """Hold a slot for the block; meanwhile call `on_wait(place)` every `poll_s` while waiting.

        `on_wait` may raise to leave the line (a Stop click, a closed tab): the place is freed
        either way, and so is the slot when the block ends or raises. A ticket that `leave_all` took
        out of the line (its session ended) raises `LeftLine` instead of waiting for ever.
        """
        ticket = self.join(owner, kind, work)
        try:
            while not self.wait(ticket, 0 if on_wait else poll_s):
                where = self.place(ticket)
                if where is None and ticket.started is None:
                    raise LeftLine(f"{owner} left the line")
                if where is not None and on_wait is not None:
                    on_wait(where)
                    self.wait(ticket, poll_s)
            yield ticket
        finally:
            self.leave(ticket)
