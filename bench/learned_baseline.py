"""How far a model learned from the labelled real messages would go, beside the rules (issue 15).

    python bench/learned_baseline.py --mirrors /work/.mirror

The rules are the classifier; this is a yardstick for them, never part of the bot. It trains two
logistic regressions on the tuning part of ``tests/data/real/labels.csv`` (every record whole
and, where it has one, its title alone, as separate examples; classes weighted by their size),
and scores them with the rules on the held-out part, which none of them was tuned on:

- *words*: TF-IDF over the tokens our tokenizer cuts (single words and pairs);
- *words + rules*: the same, plus each category's score from the rules and the rules' answer.

For each it prints accuracy on grid matters, macro-F1, recall of ``other`` and accuracy on grid
matters for titles alone, the figures of the issue's table that do not depend on the rules'
questions or urgency. If a model trained on every labelled tuning record does no better than the
rules on records it never saw, the gap to the issue's targets is not in the rules' words.
Needs the copies of the sources (``scripts/real_messages.py``) and scikit-learn (dev extra).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.real_messages import _wanted  # noqa: E402 - after the path set-up above
from bot.config.settings import ClassifierSettings  # noqa: E402
from bot.language import Language, build_language  # noqa: E402
from nlp.classifier import category_scores  # noqa: E402
from nlp.evaluation import evaluate  # noqa: E402
from nlp.normalize import normalize  # noqa: E402
from nlp.segmenter import segment  # noqa: E402
from nlp.taxonomy import CATEGORIES, Category  # noqa: E402
from scripts.real_messages import labelled  # noqa: E402

RULES_WEIGHT = 3.0
"""How much the rules' features count beside the words' (their values are scaled to about 1)."""


@dataclass(frozen=True)
class Example:
    """One labelled text: a record whole, or its title alone."""

    text: str
    label: str
    title: bool


def examples(mirrors: Path) -> tuple[list[Example], list[Example]]:
    """The labelled records of the tuning part and of the held-out part (its representative
    rounds) whose text still matches its hash, each whole and as its title alone."""
    tune: list[Example] = []
    held_out: list[Example] = []
    for row, message in labelled(mirrors):
        if message is None:
            continue
        if row["part"] == "tune":
            found = tune
        elif _wanted(row, "held_out", None):
            found = held_out
        else:
            continue
        found.append(Example(message.whole, row["label"], title=False))
        if message.title:
            found.append(Example(message.title, row["label"], title=True))
    return tune, held_out


def words(language: Language, text: str) -> str:
    """The text as our tokenizer cuts it, tokens joined by spaces (what TF-IDF reads)."""
    normal = normalize(text[: language.rules.scoring.max_chars])
    return " ".join(token for token in segment(language.tokenizer, normal) if token.strip())


def rules_features(language: Language, text: str) -> list[float]:
    """Each category's score from the rules (scaled) and a one-hot of the rules' answer."""
    scores = category_scores(text, language.rules, language.tokenizer)
    answer = language.classify(text).category
    return [scores.get(c, 0.0) / 5 for c in CATEGORIES] + [float(c is answer) for c in CATEGORIES]


Predict = Callable[[Sequence[str]], list[str]]


def train(language: Language, train_set: Sequence[Example], with_rules: bool) -> Predict:
    """A logistic regression over the texts' words (and the rules' features): its predictor."""
    vectorizer = TfidfVectorizer(
        token_pattern=r"[^ ]+", ngram_range=(1, 2), min_df=2, sublinear_tf=True
    )

    def matrix(texts: Sequence[str], fit: bool = False) -> Any:
        cut = [words(language, text) for text in texts]
        tfidf = vectorizer.fit_transform(cut) if fit else vectorizer.transform(cut)
        if not with_rules:
            return tfidf
        extra = csr_matrix([[RULES_WEIGHT * v for v in rules_features(language, t)] for t in texts])
        return hstack([tfidf, extra]).tocsr()

    model = LogisticRegression(C=5.0, max_iter=3000, class_weight="balanced")
    model.fit(matrix([e.text for e in train_set], fit=True), [e.label for e in train_set])
    return lambda texts: [str(label) for label in model.predict(matrix(texts))]


def figures(pairs: Sequence[tuple[Example, str]]) -> list[tuple[str, str]]:
    """Accuracy on grid matters, macro-F1 and recall of other over whole records, and accuracy
    on grid matters over titles alone."""
    whole = [(e, p) for e, p in pairs if not e.title]
    titles = [(e, p) for e, p in pairs if e.title and e.label != Category.OTHER.value]
    grid = [(e, p) for e, p in whole if e.label != Category.OTHER.value]
    other = [(e, p) for e, p in whole if e.label == Category.OTHER.value]
    report = evaluate((Category(e.label), Category(p)) for e, p in whole)

    def share(hits: list[tuple[Example, str]]) -> str:
        right = sum(e.label == p for e, p in hits)
        return f"{right / len(hits):.3f} ({right}/{len(hits)})" if hits else "-"

    return [
        ("accuracy on grid matters", share(grid)),
        ("macro-F1 over the categories", f"{report.macro_f1:.3f}"),
        ("recall of other", share(other)),
        ("accuracy on grid matters, titles alone", share(titles)),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--mirrors", type=Path, required=True)
    args = parser.parse_args(argv)
    train_set, held_out = examples(args.mirrors)
    if not train_set or not held_out:  # a missing copy stops extract() with what to fetch
        print(f"no labelled record's text under {args.mirrors} matches its hash: the copies "
              "are not the commits scripts/real_messages.py names", file=sys.stderr)  # fmt: skip
        return 1
    language = build_language(ClassifierSettings())
    texts = [e.text for e in held_out]
    answers = {
        "rules": [language.classify(text).category.value for text in texts],
        "words": train(language, train_set, with_rules=False)(texts),
        "words + rules": train(language, train_set, with_rules=True)(texts),
    }
    print(f"trained on {len(train_set)} tuning examples, scored on {len(held_out)} held-out ones")
    table = {
        name: figures(list(zip(held_out, said, strict=True))) for name, said in answers.items()
    }
    print(f"{'':42}" + "".join(f"{name:>20}" for name in table))
    for i, (what, _) in enumerate(table["rules"]):
        print(f"{what:42}" + "".join(f"{rows[i][1]:>20}" for rows in table.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
