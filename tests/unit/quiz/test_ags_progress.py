"""Which activityProgress a graded try sends to the gradebook."""

from __future__ import annotations

import pytest

from lms_plugin.lti.ags import score_progress


@pytest.mark.parametrize(("passed", "left", "expected"), [
    (False, 2, "Submitted"),      # failed, may try again: not finished
    (False, None, "Submitted"),   # unlimited tries
    (False, 0, "Completed"),      # failed the last try: nothing more to do
    (True, 2, "Completed"),
    (True, None, "Completed"),
])
def test_progress_says_what_happened(passed, left, expected):
    assert score_progress(passed, left) == (expected, "FullyGraded")
