"""Keeping secrets and personal numbers out of the log: a filter over every record emitted.

The entry point keeps ``httpx`` and ``httpcore`` at WARNING, because httpx logs each request URL
and Telegram's URLs carry the bot token. That covers the library we know about; this filter
covers the rest — a library that puts a URL in an exception message, a DEBUG switch turned on
for every logger. It rewrites the message, its arguments, the formatted traceback and the stack
of each record to ``[REDACTED]`` before any formatter sees it.

Residents' phone, ID-card and room numbers are masked the same way, in the shape group cards
use (:func:`nlp.privacy.mask_pii`, ``139****5678``). No log line of ours prints a resident's
words, but a traceback prints its exception's text, and that may quote them: a ``ValueError``
naming the value it could not parse, a library echoing its input. Dropping exception texts would
blind the one line that explains a bug; masking them here keeps the traceback and loses only
the numbers, for every logger at once, ours or a library's.

:func:`redacting` attaches the filter to the root logger's handlers for the life of the bot;
records propagate to those handlers from every logger, so one filter there sees them all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from nlp.privacy import mask_pii

MASK = "[REDACTED]"


class Redactor(logging.Filter):
    """Replaces each secret in a record with :data:`MASK`, and masks personal numbers
    (``personal``); never drops a record."""

    def __init__(self, secrets: Iterable[str], *, personal: bool = True) -> None:
        super().__init__()
        # longest first, so a secret that contains another is masked whole
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self.personal = personal

    def redact(self, text: str) -> str:
        for secret in self.secrets:  # first: masking digits could break a secret's match
            text = text.replace(secret, MASK)
        return mask_pii(text) if self.personal else text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets and not self.personal:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self.redact(message), None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


@contextmanager
def redacting(*secrets: str, logger: logging.Logger | None = None) -> Iterator[Redactor]:
    """Attach a :class:`Redactor` to the handlers of ``logger`` (the root) until the block ends."""
    target = logger or logging.getLogger()
    redactor = Redactor(secrets)
    handlers = list(target.handlers)
    for handler in handlers:
        handler.addFilter(redactor)
    try:
        yield redactor
    finally:
        for handler in handlers:
            handler.removeFilter(redactor)
