"""Any Unicode a resident can send: the language core answers and never raises."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.language import Language
from nlp.normalize import nfkc
from nlp.places import Gazetteer, Place
from nlp.privacy import mask_pii, readable

GAZETTEER = Gazetteer([Place("审计厅小区", "g1"), Place("华建小区", "g2")])
# Chinese, emoji, RTL, zero-width, controls and everything else Unicode offers.
TEXTS = st.text(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(
            "停水电梯暖气燃气漏坏吵臭号楼单元审计厅\u200b\u202e\u0627😡，？！３Ａ\u3000①ﬁ"
        ),
    ),
    max_size=300,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(TEXTS)
def test_classify_total(language: Language, text: str) -> None:
    """classify returns a valid result for any string."""
    result = language.classify(text)
    assert 0.0 <= result.confidence <= 1.0
    below = result.confidence < language.rules.scoring.ask_below
    # asked only when unsure; and, with a grid kind to offer, whenever unsure
    assert below if result.ask else not (below and result.ranked)
    assert result.category not in result.also
    assert result.urgent == (result.urgent_trigger is not None)


@settings(max_examples=300)
@given(TEXTS)
def test_mask_is_total_and_leaves_digit_free_text_alone(text: str) -> None:
    """Masking accepts any string, is idempotent, and only ever touches numbers — in the text
    as a reader sees it (invisible characters, which could hide a number's digits, go)."""
    masked = mask_pii(text)
    assert mask_pii(masked) == masked
    if not any(ch.isdigit() for ch in text):
        assert masked == readable(text)


@settings(max_examples=300)
@given(TEXTS)
def test_find_is_total(text: str) -> None:
    """Place finding accepts any string; a match is a configured place, as written."""
    found = GAZETTEER.find(text)
    if found is not None:
        assert found.place.grid_id in {"g1", "g2"}
        assert found.written in {"审计厅小区", "审计厅", "华建小区", "华建"}


@settings(max_examples=200)
@given(st.from_regex(r"1[3-9]\d{9}", fullmatch=True), st.text("我的电话是住在", max_size=5))
def test_every_mobile_number_is_masked(number: str, prefix: str) -> None:
    """No mobile number survives masking, whatever surrounds it."""
    assert number not in mask_pii(f"{prefix}{number}。")


@settings(max_examples=500)
@given(TEXTS)
def test_fast_nfkc_is_nfkc(text: str) -> None:
    """The fast path gives exactly what unicodedata's NFKC gives."""
    assert nfkc(text) == unicodedata.normalize("NFKC", text)
