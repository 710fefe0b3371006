"""Option types shared by the commands."""

from __future__ import annotations

import argparse

from bot.channels import read_address


def address_argument(text: str) -> str:
    """A person's id as an option's value (:func:`bot.channels.read_address`)."""
    try:
        return read_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
