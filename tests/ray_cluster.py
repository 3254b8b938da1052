"""A real Ray cluster on this machine for the tests and bench/bench_ray.py: a head and worker nodes, each
started with `ray start` (as an operator would on separate machines), stopped at the end.

Plain standard library (dev.py uses it before the virtual environment's packages are importable). Each node
has a temporary folder of its own and free ports, so it never meets another cluster on the machine, and
is stopped by the ids of its own processes (never `ray stop`, which would stop every cluster here).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional

ENV_ROOT = "RNN_EXPLORER_TEST_RAY_ROOT"  # where clusters put their nodes' folders (dev.py test cleans it up after)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (ppid, command line) for every process visible in /proc."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                ppid = int(fh.read().decode(errors="replace").rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        out[int(entry)] = (ppid, cmd)
    return out


def node_pids(folder: Path, address: str = "") -> list[int]:
    """The processes of the node whose temporary folder is `folder`: those that name it on their command line
    (GCS, raylet, monitors; the head's client server names its `address` instead) and their descendants
    (workers rename themselves "ray::…")."""
    procs = _processes()
    marks = (f"--temp-dir={folder}", f"{folder}/session_", *([f"--address={address} "] if address else []))
    mine = {pid for pid, (_, cmd) in procs.items() if pid != os.getpid() and any(m in cmd + " " for m in marks)}
    grew = True
    while grew:
        more = {pid for pid, (ppid, _) in procs.items() if ppid in mine and pid not in mine}
        mine |= more
        grew = bool(more)
    return sorted(mine)


def kill_node(folder: Path, sig: int = signal.SIGKILL, address: str = "") -> list[int]:
    """Send `sig` to every process of one node (SIGKILL: the node dies as a machine that lost power); their ids."""
    pids = node_pids(folder, address)
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    return pids


class LocalCluster:
    """`ray start --head` and `ray start --address=…` for each worker node, `cpus` CPUs each, on 127.0.0.1."""

    def __init__(self, ray_bin: str, workers: int = 1, cpus: int = 1, object_store_mb: int = 300):
        self.ray_bin, self.workers, self.cpus, self.store_mb = ray_bin, workers, cpus, object_store_mb
        # Short paths (Ray's socket paths have a length limit), under dev.py's folder when it made one.
        self.root = Path(tempfile.mkdtemp(prefix="rnnx-ray-", dir=os.environ.get(ENV_ROOT) or "/tmp"))
        self.address: Optional[str] = None
        self.nodes: list[Path] = []

    def _start(self, folder: Path, *head_or_join: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
        command = [self.ray_bin, "start", *head_or_join, f"--num-cpus={self.cpus}", "--num-gpus=0",
                   "--node-ip-address=127.0.0.1", f"--temp-dir={folder}", "--disable-usage-stats",
                   f"--object-store-memory={self.store_mb * 10**6}", "--dashboard-agent-listen-port=0",
                   "--dashboard-agent-grpc-port=0", "--metrics-export-port=0", "--runtime-env-agent-port=0",
                   "--node-manager-port=0", "--object-manager-port=0"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"`ray start` failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
        self.nodes.append(folder)

    def start(self) -> str:
        """Start the head and the worker nodes; the head's address ("127.0.0.1:port")."""
        try:
            self._start(self.root / "head", "--head", "--port=0", "--include-dashboard=false",
                        f"--dashboard-port={_free_port()}", f"--ray-client-server-port={_free_port()}")
            self.address = (self.root / "head" / "ray_current_cluster").read_text().strip()
            for i in range(self.workers):
                self.add_node(i + 1)
        except BaseException:
            self.stop()
            raise
        return self.address

    def add_node(self, number: int) -> Path:
        """One more worker node joining the head; its folder."""
        folder = self.root / f"node{number}"
        self._start(folder, f"--address={self.address}")
        return folder

    def stop(self) -> None:
        """Stop every node's processes (politely, then for good) and remove their folders."""
        head = self.address or ""
        for folder in reversed(self.nodes):
            kill_node(folder, signal.SIGTERM, head)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(node_pids(f, head) for f in self.nodes):
            time.sleep(0.2)
        for folder in self.nodes:
            kill_node(folder, signal.SIGKILL, head)
        shutil.rmtree(self.root, ignore_errors=True)


def stop_all(root: Path) -> int:
    """Stop the nodes of every cluster under `root` (one a killed test run left behind) and remove `root`; how many
    processes were still running."""
    left = 0
    for folder in sorted(root.glob("rnnx-ray-*/*")):
        if folder.is_dir():
            left += len(kill_node(folder, signal.SIGKILL))
    shutil.rmtree(root, ignore_errors=True)
    return left
