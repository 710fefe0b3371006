"""The language core as the application holds it: validated rules plus a warmed tokenizer.

Built once by the composition root (:func:`build_language`), then shared: classification is a
pure function of the text, so one :class:`Language` serves every handler and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.settings import ClassifierSettings
from nlp.classifier import Classification, classify
from nlp.rules import Rules, load_rules
from nlp.segmenter import Tokenizer, new_tokenizer


@dataclass(frozen=True)
class Language:
    """Rules and the tokenizer that knows their words."""

    rules: Rules
    tokenizer: Tokenizer

    def classify(self, text: str) -> Classification:
        """Classify one resident message."""
        return classify(text, self.rules, self.tokenizer)


def build_language(settings: ClassifierSettings) -> Language:
    """Load and validate the rules, then build and warm the tokenizer (about half a second).

    Raises :class:`nlp.rules.RulesError` naming the bad key when the rules file is malformed.
    """
    rules = load_rules(settings.rules_file)
    if settings.ask_below is not None:
        rules = rules.with_ask_below(settings.ask_below)
    return Language(rules, new_tokenizer(rules.vocabulary, settings.cache_dir))
