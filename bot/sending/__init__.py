"""Sending: the outbox dispatcher and what it needs to deliver in order and stop politely.

- :mod:`bot.sending.outbox` — drains the outbox through a channel's sender, a lane per chat;
  retries, gives up;
- :mod:`bot.sending.lease` — the outbox lease: one sender among instances, fenced;
- :mod:`bot.sending.chats` — groups that moved to a new id (supergroups), shared with the desk;
- :mod:`bot.sending.stopping` — the cooperative stop signal of the inbox and outbox loops.
"""
