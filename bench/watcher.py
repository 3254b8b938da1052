"""A session that watches a page without a browser: Streamlit's own websocket protocol, nothing drawn.

A class's browsers run on the students' machines, not on the server. To measure what watching costs the server
alone, a bench opens sessions with this client instead of Chromium tabs on the server's own cores. It does what
Streamlit's frontend does for a page left open: it asks for one run of the page (its path and query string), keeps
the page's query string as the server updates it, and re-sends every fragment rerun the server schedules
(`AutoRerun`, the `run_every` interval) on a timer, as the frontend's `setInterval` does, with the hashes of the
messages it has cached. Every ForwardMsg is decoded; nothing is drawn.
"""
from __future__ import annotations

import threading
import time

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect


class Watcher(threading.Thread):
    """One session on `base_url` (http://host:port) showing page `page` with `query`, polled as a browser would."""

    def __init__(self, base_url: str, page: str, query: str, seen: bytes = b""):
        """`seen`: bytes whose first appearance in a message sets `seen_at` (the time.time() the page showed it)."""
        super().__init__(daemon=True)
        self.url = base_url.replace("http://", "ws://", 1) + "/_stcore/stream"
        self.page, self.query, self.seen = page, query, seen
        self.page_hash = ""
        self.seen_at: float | None = None
        self.messages = 0  # ForwardMsgs received
        self.runs = 0  # script runs finished (whole page or fragment)
        self.error: str | None = None
        self._timers: dict[str, tuple[float, float]] = {}  # fragment id -> (interval s, next due at)
        self._cached: set[str] = set()
        self._closing = threading.Event()

    def close(self) -> None:
        self._closing.set()
        self.join(timeout=10)

    def _rerun(self, ws, fragment_id: str = "") -> None:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.page_script_hash = self.page_hash
        state.page_name = "" if self.page_hash else self.page
        state.fragment_id = fragment_id
        state.is_auto_rerun = bool(fragment_id)
        state.cached_message_hashes.extend(sorted(self._cached))
        state.widget_states.SetInParent()
        ws.send(msg.SerializeToString())

    def _take(self, raw: bytes) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        self.messages += 1
        kind = msg.WhichOneof("type")
        if msg.metadata.cacheable and msg.hash:
            self._cached.add(msg.hash)
        if kind == "new_session":
            self.page_hash = msg.new_session.page_script_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            interval = msg.auto_rerun.interval
            if self._timers.get(msg.auto_rerun.fragment_id, (None,))[0] != interval:
                self._timers[msg.auto_rerun.fragment_id] = (interval, time.monotonic() + interval)
        elif kind == "stop_auto_rerun":
            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                self._timers.pop(fragment_id, None)
        elif kind == "script_finished":
            self.runs += 1
        if self.seen and self.seen_at is None and self.seen in raw:
            self.seen_at = time.time()

    def run(self) -> None:
        try:
            with connect(self.url, subprotocols=["streamlit"], max_size=None, open_timeout=60) as ws:
                self._rerun(ws)
                while not self._closing.is_set():
                    now = time.monotonic()
                    due = min((at for _, at in self._timers.values()), default=now + 0.2)
                    try:
                        self._take(ws.recv(timeout=max(0.0, min(due, now + 0.2) - now)))
                    except TimeoutError:
                        pass
                    now = time.monotonic()
                    for fragment_id, (interval, at) in list(self._timers.items()):
                        if at <= now:
                            self._timers[fragment_id] = (interval, at + interval)
                            self._rerun(ws, fragment_id)
        except Exception as e:  # a bench reports it; a watcher that fails is not watching
            self.error = f"{type(e).__name__}: {e}"
