"""What the commands share: option types, the labelled-file reader, and the error an
operator can fix (printed as one line by :func:`bot.cli.main.main`, exit status 2)."""

from __future__ import annotations

import argparse
import csv
from datetime import date
from pathlib import Path

from bot.channels import read_address
from nlp.taxonomy import Category


def address_argument(text: str) -> str:
    """A person's id as an option's value (:func:`bot.channels.read_address`)."""
    try:
        return read_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class UsageError(Exception):
    """Input the operator can fix: printed as one line, exit status 2."""


def local_day(text: str, option: str) -> date:
    """The day ``--since`` / ``--until`` name (a local calendar day, 2026-11-16)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a day like 2026-11-16") from None


def read_labelled_csv(path: Path) -> list[tuple[str, Category]]:
    """Rows of a ``text,label`` CSV; a bad header, label or empty file is a :class:`UsageError`."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            reader = csv.DictReader(stream)
            if reader.fieldnames is None or not {"text", "label"} <= set(reader.fieldnames):
                raise UsageError(f"{path}: the first line must name the columns text,label")
            rows = []
            for row in reader:
                try:
                    label = Category(row["label"].strip())
                except ValueError:
                    raise UsageError(
                        f"{path}:{reader.line_num}: unknown label {row['label']!r}"
                    ) from None
                rows.append((row["text"] or "", label))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from exc
    if not rows:
        raise UsageError(f"{path}: no labelled messages")
    return rows
