"""How well personal numbers are masked, on the labelled sets, with every miss listed.

    python bench/privacy.py [--misses]

For ``tests/data/pii.jsonl`` (tuned against) and ``tests/data/pii_holdout.jsonl`` (written
separately and not looked at while tuning), prints: messages, personal spans and the share
hidden (recall), must-keep spans and the share masked or changed (false masking), and the share
of messages without a personal number that masking changed at all. ``--misses`` lists each
personal span left readable and each must-keep span harmed, with the masked text.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlp.privacy import mask_pii  # noqa: E402 - after the path set-up above
from nlp.privacy_score import load, score  # noqa: E402

SETS = (ROOT / "tests" / "data" / "pii.jsonl", ROOT / "tests" / "data" / "pii_holdout.jsonl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", action="store_true", help="list every miss")
    args = parser.parse_args()
    for path in SETS:
        messages = load(path)
        found = score(mask_pii, messages)
        print(
            f"{path.name}: {len(messages)} messages; "
            f"personal {found.hidden}/{found.personal} hidden (recall {found.recall:.3f}); "
            f"must-keep {found.keep - found.kept}/{found.keep} harmed "
            f"(false masking {found.false_masking:.3f}); "
            f"{found.keep_only_messages} messages without a personal number, "
            f"{found.keep_only_changed:.1%} changed"
        )
        if args.misses:
            for _, span, masked in found.leaks:
                print(f"  leak {span!r}: {masked}")
            for _, span, masked in found.harms:
                print(f"  harm {span!r}: {masked}")


if __name__ == "__main__":
    main()
