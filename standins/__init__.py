"""Local stand-ins for the platforms griddesk talks to, speaking their real HTTP protocols.

The whole loop runs against them in tests and in ``griddesk shell``, without a token and
without the network. They import nothing of griddesk: they are the other side of the wire.

- :mod:`standins.telegram` — the Telegram Bot API (long polling, messages, cards, presses).
"""
