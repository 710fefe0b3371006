"""The Telegram channel: handlers, the sender behind the outbox, and the inbox poller.

Handlers are thin: extract who and what from the update, call the desk, answer the press.
They never touch storage or jieba (DESIGN.md §2).
"""
