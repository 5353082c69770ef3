"""Fake Moodle and Canvas LTI 1.3 platforms over real HTTP, modelled on each LMS's own
source and documentation (see the docstrings of moodle.py and canvas.py)."""

from .canvas import FakeCanvas
from .common import LineItem, Link, Persona, Score, TokenRequest, ToolRegistration, parse_autopost
from .moodle import FakeMoodle

__all__ = ["FakeCanvas", "FakeMoodle", "LineItem", "Link", "Persona", "Score", "TokenRequest",
           "ToolRegistration", "parse_autopost"]
