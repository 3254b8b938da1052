"""The start-up heap is frozen after the warm-up: garbage is freed first, and garbage made later is still collected."""
import gc
import weakref

from explorer.warmup import freeze_startup_heap


class _Node:
    pass


def _garbage_cycle() -> weakref.ref:
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_freezing_frees_startup_garbage_first_and_later_garbage_is_still_collected():
    before = _garbage_cycle()  # a cycle start-up left behind: freed, not frozen for good
    kept = _Node()
    kept.me = kept  # alive at the freeze, like TensorFlow's modules
    try:
        frozen = freeze_startup_heap()
        assert before() is None
        assert frozen > 0
        assert not any(o is kept for o in gc.get_objects())  # out of the collector's scans
        later = _garbage_cycle()
        gc.collect()
        assert later() is None  # a session's garbage is still collected
    finally:
        gc.unfreeze()
