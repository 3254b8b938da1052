"""The gradient lab's presets ③ and ④ and one more set-up: the cause each cell's conclusion names (tests/lab_claims.py)."""
import pytest

from lab_claims import CLAIMS, check


NAMES = ["explode", "clip", "scale 1.2, no clipping"]


@pytest.mark.parametrize("name", NAMES)
def test_each_cells_conclusion_names_the_cause_its_run_measured(name):
    check(name)


def test_the_two_files_check_the_whole_table():
    from test_lab_claims_presets import NAMES as PRESETS

    assert sorted(PRESETS + NAMES) == sorted(CLAIMS)
