"""The progress line's ETA: the pace of the jobs done so far."""

from ftlab.progress import eta_text


def test_eta_from_the_pace_of_the_jobs_done():
    assert eta_text(10.0, 1, 5) == "40 s"
    assert eta_text(60.0, 1, 4) == "3 min"
    assert eta_text(600.0, 1, 8) == "1 h 10 min"


def test_no_eta_before_the_first_job_or_after_the_last():
    assert eta_text(5.0, 0, 10) == ""
    assert eta_text(5.0, 10, 10) == ""


def test_a_build_still_running_keeps_the_eta_from_promising_the_end():
    assert eta_text(10.0, 20, 22, floor_s=300.0) == "5 min"
