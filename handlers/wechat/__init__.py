"""The WeChat Official Account (公众号) channel: residents write to the account, we answer.

- :mod:`handlers.wechat.api`: the client of WeChat's server API (customer-service, template and
  subscribe messages, media downloads), WeChat's ``errcode`` answers turned into
  :mod:`bot.errors` by what they mean; its one access token shared by all instances through the
  database (:mod:`handlers.tencent.tokens`), because each fetch of a new one retires the old;
- :mod:`handlers.wechat.callback`: the account's callback, each message kept before
  ``success``; :mod:`handlers.wechat.inbound`: messages and events handed to the desk;
- :mod:`handlers.wechat.sender`: customer-service sends with numbered choices, falling back to
  the notice template (:mod:`handlers.wechat.templates`) outside the window;
  :mod:`handlers.wechat.channel`: all of it as the running bot holds it.

The wire format of callbacks is shared with WeCom: :mod:`handlers.tencent`.
"""
