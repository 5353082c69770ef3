"""When the whole training is complete, and which module to suggest next."""

from __future__ import annotations

from lms_plugin.training.rules import next_module, training_complete

ORDER = ["noticing", "listening", "responding"]


def test_training_is_complete_only_when_every_module_is():
    assert training_complete(ORDER, {"noticing", "listening", "responding"})
    assert training_complete(ORDER, {"responding", "listening", "noticing", "retired-module"})
    assert not training_complete(ORDER, {"noticing", "responding"})
    assert not training_complete([], set())  # no modules loaded: nothing to complete


def test_next_module_follows_the_suggested_order_after_the_one_just_finished():
    assert next_module(ORDER, {"noticing"}, after="noticing") == "listening"
    # Taken out of order: the next one after it, wrapping round to what is left.
    assert next_module(ORDER, {"responding"}, after="responding") == "noticing"
    assert next_module(ORDER, {"noticing", "responding"}, after="noticing") == "listening"
    assert next_module(ORDER, set(ORDER), after="listening") is None
    assert next_module(ORDER, set()) == "noticing"
