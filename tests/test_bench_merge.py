"""bench/run_all.py: a run of some of a module's measures keeps the module's other figures, each dated."""
import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location("run_all", Path(__file__).resolve().parents[1] / "bench" / "run_all.py")
run_all = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_all)


def test_a_partial_run_keeps_the_other_rows_in_order_and_says_when_they_ran():
    previous = {"date": "2026-11-29 16:25 UTC",
                "rows": [{"name": "quick", "note": "3 seeds"}, {"name": "best", "note": "old"}, {"name": "store", "note": ""}]}
    res = {"rows": [{"name": "best", "note": "new"}], "error": None}
    merged = run_all.merge_kept(previous, res)
    rows = merged["rows"]
    full = [dict(r, value=1.0, unit="s", target=None, met=None) for r in rows]
    page = run_all.render({"bench_x": dict(merged, rows=full, seconds=1.0)})
    assert "full sizes, some measures only" in page  # a partial run is not called "full"
    assert [(r["name"], r["note"]) for r in rows] == [
        ("quick", "from an earlier run (2026-11-29 16:25 UTC): 3 seeds"), ("best", "new"),
        ("store", "from an earlier run (2026-11-29 16:25 UTC)")]
    again = run_all.merge_kept(dict(previous, rows=rows, date="2026-12-04 11:11 UTC"), res)["rows"]
    assert again[0]["note"] == "from an earlier run (2026-11-29 16:25 UTC): 3 seeds"  # dated once, by its own run
    assert run_all.merge_kept(previous, dict(res, error="crashed"))["rows"] == res["rows"]  # a failed run keeps nothing
    assert run_all.partial_run({"BENCH_SENTIMENT_ONLY": "best"}) and not run_all.partial_run({"BENCH_APP_NO_BEST": "1"})


def test_a_difference_that_rounds_to_zero_is_written_0_never_minus_0():
    assert run_all.fmt(round(100 * (0.5 - 0.5000000000000001), 2)) == "0"  # round() gives -0.0 here
    assert run_all.fmt(-0.004) == "-0.004" and run_all.fmt(1.23456) == "1.235"
