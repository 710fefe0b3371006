"""Grid matters named in a resident's few everyday words (round 9's short hotline messages).

A works letting fumes or a smell out into the street is the air's dirt (LABELLING.md: smells
are sanitation's), told in the words a resident uses for it: a plant that 排放 or 发出 a gas or a
smell, or a complaint said to be about 环保. Without these the smell went to gas (气味) or the
title was asked about. Every message below is made up.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    "text",
    [
        "村口那家厂天天排放刺鼻的气体",
        "小区对面的塑料厂排放有毒气体",
        "隔壁厂房晚上发出很难闻的气味",
        "环保投诉，后山那几家小作坊",
        "这家厂环保不达标",
    ],
)
def test_a_works_letting_out_fumes_is_the_airs_dirt(language: Language, text: str) -> None:
    """A plant's fumes or smell, or a complaint about 环保, is sanitation's, said without asking."""
    result = language.classify(text)
    assert result.category is Category.SANITATION
    assert not result.ask
