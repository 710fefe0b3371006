"""Grid matters named in a resident's few everyday words (round 8's short hotline messages).

A chat line often names its problem by a word of the street rather than of the office: the mud
a site's lorries drop on the road (泥头车 is the Guangdong word for them; 撒漏, 遗撒) is the
street's dirt (LABELLING.md: mud and dust from a site are sanitation), not a road to repair nor
a car parked. Every message below is made up.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    "text",
    [
        "泥头车撒漏严重",
        "泥头车带泥上路没人管",
        "工地运土的车一路遗撒",
    ],
)
def test_a_sites_lorries_dropping_mud_are_the_streets_dirt(language: Language, text: str) -> None:
    """Mud and spoil dropped by a site's lorries is sanitation's, said without asking."""
    result = language.classify(text)
    assert result.category is Category.SANITATION
    assert not result.ask
