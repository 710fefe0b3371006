"""The core: the task's life, the ports it needs, and the composition root (DESIGN.md §2).

Knows no Telegram types and no SQL. At the top, what every part shares:
:mod:`bot.domain` (the values), :mod:`bot.ports` (what storage and channels implement),
:mod:`bot.errors` and :mod:`bot.retry`, :mod:`bot.texts` (every word said to a person),
:mod:`bot.language` (the classifier core, built once), :mod:`bot.redact` (secrets out of logs)
and :mod:`bot.app` (the composition root). The rest lives in rooms by concern:
:mod:`bot.desk` (the flows), :mod:`bot.followup` (the schedule), :mod:`bot.sending` (the outbox),
:mod:`bot.config` (settings and organisation), :mod:`bot.figures` and :mod:`bot.cli`.
"""
