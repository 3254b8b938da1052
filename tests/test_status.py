"""A run's status is one enum that still reads, compares and serialises as its plain word."""
import json

from explorer.train.status import DIVERGED, FINISHED, STOPPED, Status


def test_a_status_is_its_word_everywhere_a_page_or_a_file_uses_it():
    assert FINISHED == "finished" and "stopped" == STOPPED and Status("diverged") is DIVERGED
    assert str(STOPPED) == "stopped" and f"{DIVERGED}" == "diverged" and f"{FINISHED:>10}" == "  finished"
    assert json.dumps({"status": STOPPED}) == '{"status": "stopped"}'
    assert {FINISHED, "stopped"} == {"finished", STOPPED}
