"""Every setting the README documents is read from the environment."""

from __future__ import annotations

import re
from pathlib import Path

from lms_plugin import config

README = Path(__file__).parents[2] / "README.md"


def test_every_documented_setting_is_read_from_the_environment(tmp_path):
    documented = set(re.findall(r"`LMS_PLUGIN_([A-Z_]+)`", README.read_text()))
    assert {"SURVEY_FILE", "HELP_FILE", "FRAME_ANCESTORS"} <= documented
    environ = {f"LMS_PLUGIN_{name}": "7" for name in documented if name in config.DEFAULTS}
    environ["LMS_PLUGIN_SURVEY_FILE"] = "/etc/lms/survey.yaml"
    loaded = config.load(str(tmp_path), environ)
    missing = sorted(n for n in documented if f"LMS_PLUGIN_{n}" not in loaded)
    assert missing == [], f"documented but never read: {missing}"
    assert loaded["LMS_PLUGIN_SURVEY_FILE"] == "/etc/lms/survey.yaml"
