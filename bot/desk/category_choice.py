"""The category question, made for a phone: a few likely kinds, and one question about danger.

When the classifier is not sure what a report is about, the resident picks. Nineteen buttons
are a wall nobody reads on a phone, least of all an elderly resident: they are offered the
kinds the classifier found likeliest (by its scores), topped up with the commonest kinds of
report, at most :data:`OFFERED`, and 其他. 其他 files the report as ``other``, which the
community desk triages by hand, as a 12345 operator's general desk would: one press, and a
person reads it, rather than a second page of buttons.

A kind that can be dangerous (gas, a lift, power: :data:`nlp.danger.DANGEROUS_KINDS`) is
followed by one yes/no question, 现在有危险吗: a yes files the report as urgent, with the safety
advice for its danger first in the receipt; a no files it as an ordinary report of that kind.
The answer rides in the button (``gas:y``), so nothing more needs keeping while it is asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import texts
from bot.desk.actions import Action, Verb
from bot.domain import Button
from nlp.classifier import Classification
from nlp.danger import DANGEROUS_KINDS
from nlp.taxonomy import Category

OFFERED = 6
"""Kinds offered at most, besides 其他: two rows of three on a phone."""
COMMON = (
    Category.WATER_SUPPLY,
    Category.HEATING,
    Category.POWER,
    Category.SANITATION,
    Category.PROPERTY_MGMT,
    Category.NOISE,
    Category.DRAINAGE,
    Category.ELEVATOR,
)
"""What residents report most, in that order: the top-up when the classifier found few."""
UNSURE = Classification(Category.OTHER, (), False, None, 0.0, (), True)
"""A report nothing is known about: it is offered the commonest kinds."""
_PER_ROW = 3
_YES, _NO = "y", "n"


@dataclass(frozen=True)
class Choice:
    """A press on the category question: the kind, and the answer to 现在有危险吗 (None while
    it has not been asked)."""

    category: Category
    danger: bool | None = None

    @property
    def asks_danger(self) -> bool:
        """Whether this press must be followed by the danger question before filing."""
        return self.danger is None and self.category in DANGEROUS_KINDS


def likely(result: Classification) -> tuple[Category, ...]:
    """The kinds to offer for ``result``: the classifier's, best first, then the commonest."""
    offered = dict.fromkeys(c for c in (*result.ranked, *COMMON) if c is not Category.OTHER)
    return tuple(offered)[:OFFERED]


def category_buttons(result: Classification) -> tuple[tuple[Button, ...], ...]:
    """The likely kinds, three to a row, and 其他 on a row of its own."""
    kinds = [_button(c.zh, c.value) for c in likely(result)]
    rows = [tuple(kinds[i : i + _PER_ROW]) for i in range(0, len(kinds), _PER_ROW)]
    return (*rows, (_button(texts.CATEGORY_OTHER, Category.OTHER.value),))


def danger_buttons(category: Category) -> tuple[tuple[Button, ...], ...]:
    """有危险 / 没有危险 for a dangerous kind just picked."""
    return (
        (
            _button(texts.DANGER_YES, f"{category.value}:{_YES}"),
            _button(texts.DANGER_NO, f"{category.value}:{_NO}"),
        ),
    )


def parse_choice(arg: str) -> Choice | None:
    """The choice in a category button's argument; None for anything forged or stale."""
    value, _, answer = arg.partition(":")
    try:
        category = Category(value)
    except ValueError:
        return None
    if not answer:
        return Choice(category)
    if answer not in (_YES, _NO) or category not in DANGEROUS_KINDS:
        return None
    return Choice(category, answer == _YES)


def _button(label: str, arg: str) -> Button:
    return Button(label, Action(Verb.PICK_CATEGORY, 0, arg).encode())
