"""The start-up heap is frozen after the warm-up: garbage is freed first, and garbage made later is still collected.

Run in a child process: freezing (and unfreezing) is process-wide, and the app's own warm-up, started by
other tests' AppTest runs, freezes this process's heap too (tests/test_app_home.py checks that it does)."""
import subprocess
import sys

from conftest import ROOT

CHILD = r'''
import gc, weakref
from explorer.server.warmup import freeze_startup_heap

class Node:
    pass

def garbage_cycle():
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)

before = garbage_cycle()  # a cycle start-up left behind: freed, not frozen for good
kept = Node()
kept.me = kept  # alive at the freeze, like TensorFlow's modules
frozen = freeze_startup_heap()
assert before() is None, "garbage from before the freeze was frozen instead of freed"
assert frozen > 0
assert not any(o is kept for o in gc.get_objects()), "a frozen object is still scanned"
later = garbage_cycle()
gc.collect()
assert later() is None, "garbage made after the freeze was not collected"
print("ok")
'''


def test_freezing_frees_startup_garbage_first_and_later_garbage_is_still_collected():
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
