"""The waiting notice: a visitor's place in the server's training queue (explorer.server.run_queue) and an estimate."""
from __future__ import annotations

from explorer.server.run_queue import Place


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def waiting_text(where: Place, slots: int) -> str:
    """What a waiting visitor reads: their place, what is running, and about how long."""
    # Whole seconds under 20 s, whole 5 s to 90 s, then minutes: finer than the estimate would claim too much.
    s = where.wait_s
    wait = (f"about {max(1, round(s)):.0f} s" if s < 20 else f"about {5 * round(s / 5):.0f} s" if s < 90
            else f"about {s / 60:.0f} min")
    return (f"⏳ Waiting for a free training slot: you are {_ordinal(where.ahead + 1)} in line "
            f"({where.running} of {slots} run(s) training on this server now). Your run starts in {wait} "
            "(estimated from recent runs). Press **Stop** to leave the line.")
