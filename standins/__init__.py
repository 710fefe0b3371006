"""Local stand-ins for the platforms griddesk talks to, speaking their real HTTP protocols.

The whole loop runs against them in tests and in ``griddesk shell``, without a token and
without the network. They are the other side of the wire and import nothing of griddesk's core;
the one exception is the callback driver, which seals what it sends with
:mod:`handlers.tencent.crypto` (checked in the tests against wechatpy, a separate
implementation, so that the two sides cannot be wrong together).

- :mod:`standins.telegram` — the Telegram Bot API (long polling, messages, cards, presses).
- :mod:`standins.wechat` — a WeChat Official Account's server API (tokens, the customer-service
  message quota, template and subscribe messages, media).
- :mod:`standins.wecom` — WeCom's server API for a self-built app (template cards, their
  updates, members' presses).
- :mod:`standins.tencent_callbacks` — Tencent's side of a callback: signed (and encrypted)
  POSTs to our server, with Tencent's retries.
"""
