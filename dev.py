#!/usr/bin/env python3
"""Set up and run RNN Explorer with nothing but Python 3.10+.

    python3 dev.py app    # create .venv, install requirements.txt, start the app
    python3 dev.py test   # create .venv, install test tools and Chromium, run every test

Installs are skipped when the requirement files have not changed since the last one.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def say(msg: str) -> None:
    print(f"[dev] {msg}", flush=True)


def ensure_venv(requirements: str) -> None:
    """Create .venv if needed and install `requirements` when it (or what it includes) changed."""
    if sys.version_info < (3, 10):
        sys.exit("RNN Explorer needs Python 3.10 or newer.")
    if not PY.exists():
        say(f"creating virtual environment in {VENV}")
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except Exception as err:  # noqa: BLE001
            shutil.rmtree(VENV, ignore_errors=True)
            sys.exit(f"Could not create a virtual environment ({err}). On Debian/Ubuntu install "
                     f"python3-venv first: sudo apt-get install python3-venv")
    digest = hashlib.sha256()
    for name in ("requirements.txt", requirements):
        digest.update((ROOT / name).read_bytes())
    stamp = VENV / f".stamp-{requirements}-{digest.hexdigest()[:16]}"
    if stamp.exists():
        return
    say(f"installing {requirements} (first time: about a minute)")
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "-r", str(ROOT / requirements)], check=True)
    for old in VENV.glob(f".stamp-{requirements}-*"):
        old.unlink()
    stamp.touch()


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def ensure_chromium() -> str | None:
    """Debian's Chromium drives the browser tests (Playwright's own download needs the internet)."""
    path = find_chromium()
    if path:
        return path
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if shutil.which("apt-get") and is_root:
        say("installing Debian's chromium for the browser tests")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        # The emoji font only makes the tests' screenshots show the page icons; Chromium runs without it.
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium",
                        "fonts-noto-color-emoji"], check=True, env=env)
        return find_chromium()
    say("chromium not found and cannot be installed here (needs root and apt-get): "
        "browser tests will be skipped. Install it with: sudo apt-get install chromium")
    return None


def cmd_app(args: list[str]) -> int:
    ensure_venv("requirements.txt")
    port = os.environ.get("PORT", "8501")
    say(f"starting the app on http://localhost:{port}")
    # Every visitor's session is a thread; glibc would give each its own heap arena, whose freed pages no other
    # thread reuses: two arenas keep the server's peak memory down (its own setting wins if the operator set one).
    env = dict(os.environ)
    env.setdefault("MALLOC_ARENA_MAX", "2")
    command = [str(PY), "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", port, *args]
    if os.name == "posix":  # become the server: no idle parent Python (~18 MiB) beside it, signals go straight to it
        os.chdir(ROOT)
        os.execve(command[0], command, env)
    return subprocess.call(command, cwd=ROOT, env=env)


def _workers(args: list[str]) -> list[str]:
    """pytest-xdist options: one worker per core, at most 4 (each holds a TensorFlow of ~1 GB and, once
    it runs a browser test, its own app server and model store); tests of one file stay together."""
    n = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
    if n < 2 or any(a == "-n" or a.startswith(("-n=", "--numprocesses")) or a == "no:xdist" for a in args):
        return []
    return ["-n", str(n), "--dist", "loadfile"]  # a file's tests together, in order


def cmd_test(args: list[str]) -> int:
    ensure_venv("requirements-test.txt")
    chromium = ensure_chromium()
    env = dict(os.environ)
    if chromium:
        env["RNN_EXPLORER_CHROMIUM"] = chromium
    # The Ray tests start a real local cluster (`ray start`: a head and a worker node, tests/ray_cluster.py) in
    # this folder and stop it themselves; whatever a killed run leaves there is stopped here.
    sys.path.insert(0, str(ROOT / "tests"))
    import ray_cluster

    env[ray_cluster.ENV_ROOT] = tempfile.mkdtemp(prefix="rnnx-", dir="/tmp")
    try:
        rc = subprocess.call([str(PY), "-m", "pytest", *_workers(args), *args], cwd=ROOT, env=env)
    finally:
        left = ray_cluster.stop_all(Path(env[ray_cluster.ENV_ROOT]))
        if left:
            say(f"stopped {left} process(es) of a Ray test cluster that the tests left running")
    return 1 if rc == 5 else rc  # 5: no tests collected, which is a failure here


def main(argv: list[str]) -> int:
    commands = {"app": cmd_app, "test": cmd_test}
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
