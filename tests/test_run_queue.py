"""The training queue: at most `slots` runs at once, first come first served, places and estimates, leaving."""
import threading
import time

import pytest

from explorer.server import run_queue
from explorer.server.run_queue import RunQueue, StartGate, auto_slots


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_slots_are_filled_in_order_and_freed_to_the_next_in_line():
    q = RunQueue(2, Clock())
    a, b, c, d = (q.join(f"s{i}", "ts") for i in range(4))
    assert [t.started is not None for t in (a, b, c, d)] == [True, True, False, False]
    assert q.counts() == (2, 2)
    assert q.place(a) is None and q.place(c).ahead == 0 and q.place(d).ahead == 1
    q.leave(b)  # a slot frees: the first in line gets it, not the last
    assert c.started is not None and d.started is None and q.place(d).ahead == 0
    q.leave(d)  # leaving the line
    assert q.counts() == (2, 0) and q.place(d) is None
    q.leave(d)  # twice is harmless
    assert q.counts() == (2, 0)


def test_estimates_follow_each_kinds_pace_the_runs_own_size_and_progress():
    clock = Clock()
    q = RunQueue(1, clock)
    assert q.estimate("ts") == run_queue.DEFAULT_ESTIMATE_S
    for took in (8.0, 12.0, 10.0):  # runs of size 2 finish in ~10 s: a pace of 5 s per unit
        t = q.join("x", "ts", work=2.0)
        clock.t += took
        q.report(t, 1.0)
        q.leave(t)
    assert q.estimate("ts", 2.0) == 10.0 and q.estimate("ts", 4.0) == 20.0  # a set-up twice as big, twice as long
    assert q.estimate("sentiment") == run_queue.DEFAULT_ESTIMATE_S
    stopped = q.join("x", "ts", work=2.0)  # stopped a quarter through: its pace counts for the part it did
    clock.t += 2.5
    q.report(stopped, 0.25)
    q.leave(stopped)
    idle = q.join("x", "ts")  # left before it reported any progress: teaches nothing
    clock.t += 100.0
    q.leave(idle)
    assert q.estimate("ts", 2.0) == 10.0
    running = q.join("a", "ts", work=2.0)
    first, second = q.join("b", "ts", work=4.0), q.join("c", "sentiment")
    clock.t += 4.0
    assert q.place(first).wait_s == pytest.approx(6.0)  # no progress reported yet: its kind's pace, 10 s, less 4
    q.report(running, 0.2)  # slower than usual: a fifth in 4 s leaves 16 s
    assert q.place(first).wait_s == pytest.approx(16.0)
    assert q.place(second).wait_s == pytest.approx(36.0)  # then `first` takes its own 20 s
    assert q.place(second).running == 1 and q.place(second).ahead == 1
    q.report(running, 0.1)  # progress never goes back
    assert q.place(first).wait_s == pytest.approx(16.0)
    q.leave(running)  # `first` starts
    clock.t += 60.0  # far past its 20 s and no progress yet: still running, so not "any moment now"
    assert q.place(second).wait_s == pytest.approx(2.0)


def test_runs_that_shared_the_cores_teach_a_pace_for_the_load_a_waiting_visitor_will_see():
    clock = Clock()
    q = RunQueue(2, clock)
    a, b = q.join("a", "ts"), q.join("b", "ts")
    clock.t += 10.0  # two at once on one machine: each takes 10 s, twice its time alone
    for t in (a, b):
        q.report(t, 1.0)
        q.leave(t)
    alone = q.join("c", "ts")
    clock.t += 5.0
    q.report(alone, 1.0)
    q.leave(alone)
    assert q.estimate("ts") == pytest.approx(5.0)  # both lessons agree: 5 s alone
    x, y, waiting = (q.join(o, "ts") for o in "xyz")
    clock.t += 4.0
    assert q.place(waiting).wait_s == pytest.approx(6.0)  # both slots busy: 10 s each, 4 gone
    cluster_clock = Clock()
    cluster = RunQueue(2, cluster_clock, shares_cores=False)  # runs at once do not slow each other (Ray)
    a, b = cluster.join("a", "ts"), cluster.join("b", "ts")
    cluster_clock.t += 10.0
    for t in (a, b):
        cluster.report(t, 1.0)
        cluster.leave(t)
    assert cluster.estimate("ts") == pytest.approx(10.0)
    x, y, waiting = (cluster.join(o, "ts") for o in "xyz")
    assert cluster.place(waiting).wait_s == pytest.approx(10.0)


def test_a_session_that_ends_frees_every_place_it_holds():
    q = RunQueue(1, Clock())
    mine_running, other, mine_waiting = q.join("me", "ts"), q.join("you", "ts"), q.join("me", "ts")
    assert q.leave_all("me") == 2
    assert other.started is not None and q.counts() == (1, 0)
    assert mine_waiting.started is None


def test_threads_never_exceed_the_slots_and_all_finish():
    q = RunQueue(2)
    busy, most, waits = [0], [0], []
    lock = threading.Lock()

    def work(i):
        with q.slot(f"s{i}", "ts", on_wait=waits.append, poll_s=0.01):
            with lock:
                busy[0] += 1
                most[0] = max(most[0], busy[0])
            time.sleep(0.05)
            with lock:
                busy[0] -= 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert most[0] == 2 and busy[0] == 0 and q.counts() == (0, 0)
    assert waits and all(w.ahead >= 0 and w.running <= 2 for w in waits)


def test_leaving_while_waiting_gives_the_place_back():
    q = RunQueue(1)
    holder = q.join("a", "ts")

    class Stopped(Exception):
        pass

    def stop(place):
        raise Stopped  # what Streamlit does at the next redraw after a Stop click or a closed tab

    with pytest.raises(Stopped):
        with q.slot("b", "ts", on_wait=stop):
            pytest.fail("the run must not start")
    assert q.counts() == (1, 0)
    q.leave(holder)
    with q.slot("c", "ts"):
        assert q.counts() == (1, 0)
    assert q.counts() == (0, 0)


def test_a_run_that_fails_gives_its_slot_back():
    q = RunQueue(1)
    with pytest.raises(ZeroDivisionError):
        with q.slot("a", "ts"):
            1 / 0
    assert q.counts() == (0, 0)


@pytest.mark.parametrize("cores, memory_gb, expected", [
    (2, 23, 2), (1, 23, 1), (16, 128, 16), (16, 5, 2), (8, 1, 1), (4, 0, 4)])
def test_auto_slots_fit_cores_and_memory(cores, memory_gb, expected):
    assert auto_slots(cores, int(memory_gb * 2**30)) == expected


def test_a_queue_needs_a_slot():
    with pytest.raises(ValueError):
        RunQueue(0)


def test_runs_start_one_after_the_other_and_a_stuck_start_holds_no_one_for_long():
    gate = StartGate(max_wait_s=5.0)
    first = gate.enter()
    order = []

    def second_run():
        release = gate.enter()
        order.append("second started")
        release()

    t = threading.Thread(target=second_run)
    t.start()
    t.join(0.2)
    assert order == []  # waits while the first run has not taken its first step
    order.append("first stepped")
    first()
    first()  # a second release (the run's end after its first step) changes nothing
    t.join(5)
    assert order == ["first stepped", "second started"]

    stuck = StartGate(max_wait_s=0.05)
    holder = stuck.enter()
    late = stuck.enter()  # gave up waiting: goes ahead
    late()  # ...and its release must not free the gate the stuck run still holds
    assert not stuck._lock.acquire(blocking=False)
    holder()
    assert stuck._lock.acquire(blocking=False)


def test_a_wait_ends_when_the_session_is_closed_while_in_line():
    """`leave_all` (a closed tab) takes a waiting ticket out of the line: its thread stops waiting, not polls for ever."""
    q = RunQueue(1)
    holder = q.join("a", "ts")
    outcome = []

    def wait_in_line(on_wait):
        try:
            with q.slot("me", "ts", on_wait=on_wait, poll_s=0.01):
                outcome.append("ran")
        except run_queue.LeftLine:
            outcome.append("left")

    for on_wait in (lambda where: None, None):  # with a notice to draw, and without one
        outcome.clear()
        t = threading.Thread(target=wait_in_line, args=(on_wait,))
        t.start()
        deadline = time.monotonic() + 5
        while q.counts() != (1, 1) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert q.leave_all("me") == 1
        t.join(5)
        assert not t.is_alive() and outcome == ["left"]
    assert holder.started is not None and q.counts() == (1, 0)


def test_the_waiting_notice_is_as_fine_as_the_estimate():
    """Whole seconds for a short wait, whole 5 s to a minute and a half, then minutes; never "0 s"."""
    from explorer.server.run_queue import Place
    from ui.queue import waiting_text

    texts = {waiting_text(Place(0, 1, s / 10), 1) for s in range(116, 125)}  # 11.6 … 12.4 s
    assert len(texts) == 1 and "about 12 s" in texts.pop()  # the text, re-sent only when it changes, holds still
    assert "about 35 s" in waiting_text(Place(1, 2, 33.0), 2) and "2nd in line" in waiting_text(Place(1, 2, 33.0), 2)
    assert "about 1 s" in waiting_text(Place(0, 1, 0.0), 1)
    assert "about 2 min" in waiting_text(Place(3, 1, 120.0), 1)


def test_a_visitor_with_a_run_training_goes_behind_visitors_with_none():
    """One run per visitor first: a second run of a visitor waits behind another visitor's first, unless no one
    else wants the slot."""
    q = RunQueue(2, Clock())
    a1, b1 = q.join("a", "ts"), q.join("b", "lab")
    a2, a3, c1 = q.join("a", "lab"), q.join("a", "ts"), q.join("c", "ts")
    assert a1.started and b1.started and not a2.started
    assert q.place(c1).ahead == 0 and q.place(a2).ahead == 1 and q.place(a3).ahead == 2
    q.leave(b1)  # c has no run training: it goes first although it came last
    assert c1.started is not None and a2.started is None
    q.leave(c1)  # nobody else waits: a's second run takes the free slot
    assert a2.started is not None and a3.started is None
