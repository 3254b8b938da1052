#!/usr/bin/env python3
"""Run every bench/bench_*.py and write bench/RESULTS.md: machine, versions, date, one table per module.

    .venv/bin/python bench/run_all.py            # full run (minutes)
    .venv/bin/python bench/run_all.py --quick    # smaller sizes, for a smoke check
    .venv/bin/python bench/run_all.py --only app # just bench_app.py; the others' last results are kept
    BENCH_SENTIMENT_ONLY=best .venv/bin/python bench/run_all.py --only sentiment
                                                 # some of a module's measures; its other rows are kept

Protocol: each module has `run()` (or `run(quick=False)`) returning rows
{name, value, unit, target, met (bool|None), note}. Each module runs in its own
Python process, so one that crashes, hangs or leaks memory cannot spoil the others'
numbers; its error becomes a row of the table. Each module's latest result is kept in
bench/results/<module>.json (with its date, mode and the load average it ran under), and
RESULTS.md is rendered from all of them: modules can be measured one at a time, each on a
quiet machine, without losing the others' figures.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import inspect
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
KEPT = BENCH / "results"
FIELDS = ("name", "value", "unit", "target", "met", "note")
PACKAGES = ("tensorflow-cpu", "tensorflow", "keras", "streamlit", "numpy", "pandas", "plotly", "playwright")


def modules(only: list[str] | None = None) -> list[Path]:
    found = sorted(BENCH.glob("bench_*.py"))
    if only:
        found = [p for p in found if any(p.stem in (o, f"bench_{o}") for o in only)]
    return found


def load(path: Path):
    for folder in (str(ROOT), str(BENCH)):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def call_run(module, quick: bool) -> list[dict]:
    run = module.run
    kwargs = {"quick": quick} if "quick" in inspect.signature(run).parameters else {}
    rows = run(**kwargs)
    return [normalise(row) for row in rows]


def normalise(row: dict) -> dict:
    out = {key: row.get(key) for key in FIELDS}
    out["name"] = str(out["name"] or "?")
    if out["met"] is not None:
        out["met"] = bool(out["met"])
    value = out["value"]
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        value = str(value)
    out["value"] = value
    return out


def partial_run(environ=os.environ) -> bool:
    """True when a BENCH_<MODULE>_ONLY variable asks a module for some of its measures only."""
    return any(k.startswith("BENCH_") and k.endswith("_ONLY") and v for k, v in environ.items())


def merge_kept(previous: dict | None, res: dict) -> dict:
    """A partial run's rows, plus the previous run's rows it did not measure, each of those saying when it ran.

    Without this, running one measure of a module (say the best preset's 3 seeds) would drop the others'
    figures from RESULTS.md."""
    if not previous or res.get("error"):
        return res
    fresh = {r["name"]: r for r in res["rows"]}
    rows = []
    for r in previous.get("rows", []):  # in the module's order, the new figure where there is one
        if r["name"] in fresh:
            rows.append(fresh.pop(r["name"]))
            continue
        note = r.get("note") or ""
        if not note.startswith("from an earlier run"):
            note = f"from an earlier run ({previous.get('date', 'date unknown')}): {note}".rstrip(": ")
        rows.append(dict(r, note=note))
    return dict(res, rows=rows + list(fresh.values()), partial=True)


def child(path: Path, quick: bool, out: Path) -> int:
    """Run one module in this process and write its rows as JSON (the parent's subprocess)."""
    t0 = time.perf_counter()
    try:
        rows = call_run(load(path), quick)
        error = None
    except BaseException as err:  # noqa: BLE001 - the error is the result
        rows, error = [], f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=8)}"
    out.write_text(json.dumps({"rows": rows, "error": error, "seconds": time.perf_counter() - t0},
                              default=str))
    return 0


def run_module(path: Path, quick: bool, timeout: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(path), "--json", str(out)]
        if quick:
            cmd.append("--quick")
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=ROOT, env=env, timeout=timeout, capture_output=True, text=True)
            tail = (proc.stdout + proc.stderr)[-2000:]
        except subprocess.TimeoutExpired:
            return {"rows": [], "error": f"timed out after {timeout:.0f} s", "seconds": timeout}
        if out.exists():
            return json.loads(out.read_text())
        return {"rows": [], "error": f"exited with {proc.returncode} and no result:\n{tail}",
                "seconds": time.perf_counter() - t0}


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"CPU": cpu, "cores": f"{os.cpu_count()} ({usable} usable)", "RAM": ram, "OS": platform.platform()}


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value + 0.0:.4g}"  # + 0.0: a difference that rounds to zero is 0, never "-0"
    return str(value).replace("|", "\\|").replace("\n", " ")


def verdict(met) -> str:
    return "—" if met is None else ("✅ met" if met else "❌ missed")


def render(results: dict[str, dict]) -> str:
    rows = [r for res in results.values() for r in res["rows"]]
    met = sum(1 for r in rows if r["met"] is True)
    missed = sum(1 for r in rows if r["met"] is False)
    failed = [name for name, res in results.items() if res["error"]]
    lines = ["# Benchmark results", "",
             "Generated by `.venv/bin/python bench/run_all.py` from each module's latest run "
             "(bench/results/*.json) — do not edit by hand.", "",
             f"- Targets: {met} met, {missed} missed"
             + (f"; modules that failed: {', '.join(failed)}" if failed else ""), "",
             "## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in machine().items()]
    lines += ["", "## Versions", ""]
    lines += [f"- {k}: {v}" for k, v in versions().items()]
    for name, res in results.items():
        mode = ("quick (smaller sizes: a smoke check, not the reference figures)" if res.get("quick") else
                "full sizes, some measures only (each kept row says when it ran)" if res.get("partial") else "full")
        lines += ["", f"## {name}", "", f"Ran {res.get('date', '?')} in {res['seconds']:.1f} s, {mode}; load average "
                  f"(1/5/15 min) {res.get('load_before', '?')} before, {res.get('load_after', '?')} after.", ""]
        if res["rows"]:
            lines += ["| measure | value | unit | target | result | note |",
                      "| --- | ---: | --- | --- | --- | --- |"]
            for r in res["rows"]:
                lines.append(f"| {fmt(r['name'])} | {fmt(r['value'])} | {fmt(r['unit'])} | {fmt(r['target'])} "
                             f"| {verdict(r['met'])} | {fmt(r['note'])} |")
        if res["error"]:
            first = res["error"].strip().splitlines()
            lines += ["", f"**Module failed:** `{fmt(first[0] if first else 'unknown error')}`", "",
                      "```", res["error"].strip()[-1500:], "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, passed to modules that accept it")
    parser.add_argument("--only", nargs="*", help="module names (bench_app or app) to run")
    parser.add_argument("--out", default=str(BENCH / "RESULTS.md"), help="where to write the report")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per module")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(Path(args.child), args.quick, Path(args.json))
    ran = 0
    for path in modules(args.only):
        print(f"[bench] {path.name} …", flush=True)
        load_before, date = _load(), dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        res = run_module(path, args.quick, args.timeout)
        res.update(rows=[normalise(r) for r in res["rows"]], date=date, quick=args.quick,
                   load_before=load_before, load_after=_load())
        kept = KEPT / f"{path.stem}.json"
        if partial_run() and not args.quick and kept.exists():
            res = merge_kept(json.loads(kept.read_text()), res)
        KEPT.mkdir(exist_ok=True)
        (KEPT / f"{path.stem}.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
        ran += 1
        for r in res["rows"]:
            print(f"[bench]   {r['name']}: {fmt(r['value'])} {r['unit'] or ''} {verdict(r['met'])}", flush=True)
        if res["error"]:
            print(f"[bench]   FAILED: {res['error'].strip().splitlines()[0]}", flush=True)
    if not ran:
        print("[bench] no bench_*.py modules found", file=sys.stderr)
        return 1
    results = {p.stem: json.loads(p.read_text()) for p in sorted(KEPT.glob("bench_*.json"))
               if (BENCH / f"{p.stem}.py").exists()}
    out = Path(args.out)
    out.write_text(render(results))
    print(f"[bench] wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
