"""The question types by `type:` name. Registering a type also lets quiz files use it
(content/schema.py's ITEM_SHAPES)."""

from __future__ import annotations

from ...content.schema import ItemShape, register_item_shape, unregister_item_shape
from .base import Item, QuestionType

TYPES: dict[str, QuestionType] = {}


def register(qtype: QuestionType) -> QuestionType:
    TYPES[qtype.name] = qtype
    register_item_shape(qtype.name, ItemShape(qtype.check, qtype.in_parts))
    return qtype


def unregister(name: str) -> None:
    """Tests only: take a type registered for the test away again."""
    TYPES.pop(name, None)
    unregister_item_shape(name)


def type_of(item: Item) -> QuestionType:
    return TYPES[item.type]
