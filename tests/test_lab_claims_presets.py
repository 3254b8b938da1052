"""The gradient lab's presets ① and ② and one more set-up: the cause each cell's conclusion names (tests/lab_claims.py)."""
import pytest

from lab_claims import check


NAMES = ["memory", "keras", "lag 20, Keras gates"]


@pytest.mark.parametrize("name", NAMES)
def test_each_cells_conclusion_names_the_cause_its_run_measured(name):
    check(name)
