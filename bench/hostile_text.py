"""Classifying hostile text beside ordinary text of the same length.

    python bench/hostile_text.py [--rounds 5] [--chars 4096]

Prints milliseconds per message for ``--chars`` characters of ordinary Chinese (residents'
messages from ``tests/data/dev.csv`` run together: the anchor, measured in the same run) and of
text built to be expensive: one run of letters, of digits, of one repeated letter, letters and
digits broken by punctuation, one repeated Chinese character. Goal: each within 2× of ordinary.

Every message is one the classifier has not seen, classified with freshly built rules, so what
is timed is a resident's new message, not a memo hit. Rounds alternate between the texts and the
best round of each is reported, so a busy moment on the machine does not favour one side.
"""

from __future__ import annotations

import argparse
import logging
import random
import string
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli.arguments import read_labelled_csv  # noqa: E402 - after the path set-up above
from bot.config.settings import ClassifierSettings  # noqa: E402
from bot.language import build_language  # noqa: E402
from nlp.classifier import classify  # noqa: E402

Maker = Callable[[random.Random, int], str]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chars", type=int, default=4096)
    args = parser.parse_args()
    logging.getLogger("jieba").setLevel(logging.WARNING)
    corpus = "".join(text for text, _ in read_labelled_csv(ROOT / "tests" / "data" / "dev.csv"))
    makers: dict[str, Maker] = {
        "ordinary Chinese (anchor)": lambda rnd, n: _window(corpus, rnd, n),
        "letters": lambda rnd, n: _random(rnd, string.ascii_letters, n),
        "one letter repeated": lambda rnd, n: rnd.choice(string.ascii_lowercase) * n,
        "digits": lambda rnd, n: _random(rnd, string.digits, n),
        "letters, digits, punctuation": lambda rnd, n: _random(
            rnd, string.ascii_letters + string.digits + "+#&._%-!?,;:'\"()[] ，。？！", n
        ),
        "one Chinese character repeated": lambda rnd, n: rnd.choice("水电楼啊的一") * n,
    }
    with tempfile.TemporaryDirectory() as cache:
        language = build_language(ClassifierSettings(cache_dir=Path(cache)))
        rnd = random.Random(9)
        best = dict.fromkeys(makers, float("inf"))
        for _ in range(args.rounds):
            for name, make in makers.items():
                text = make(rnd, args.chars)
                rules = replace(language.rules)  # a fresh index: nothing remembered
                start = time.perf_counter()
                classify(text, rules, language.tokenizer)
                best[name] = min(best[name], time.perf_counter() - start)
    anchor = best["ordinary Chinese (anchor)"]
    max_chars = language.rules.scoring.max_chars
    print(
        f"{args.chars:,}-character messages, first sight, best of {args.rounds} rounds "
        f"(the classifier reads the first {max_chars:,} characters):"
    )
    print(f"{'':34}{'ms/msg':>9}{'× ordinary':>12}")
    for name, seconds in best.items():
        print(f"{name:34}{seconds * 1e3:>9.1f}{seconds / anchor:>12.1f}")


def _window(corpus: str, rnd: random.Random, n: int) -> str:
    """``n`` characters of residents' messages from a random place in ``corpus``."""
    text = corpus * (n // len(corpus) + 2)
    start = rnd.randrange(len(corpus))
    return text[start : start + n]


def _random(rnd: random.Random, alphabet: str, n: int) -> str:
    return "".join(rnd.choices(alphabet, k=n))


if __name__ == "__main__":
    main()
