"""The WeCom (企业微信) channel: grid workers get their tasks as cards from a self-built app.

- :mod:`handlers.wecom.api`: the client of WeCom's server API for one self-built app (自建应用):
  texts and ``button_interaction`` template cards to members, those cards changed for every
  recipient later (``update_template_card``), WeCom's ``errcode`` answers turned into
  :mod:`bot.errors` by what they mean; its access token kept in the database and shared by all
  instances (:class:`handlers.tencent.tokens.TokenKeeper`);
- :mod:`handlers.wecom.callback`: the app's encrypted callback, each call kept before
  ``success``; :mod:`handlers.wecom.inbound`: presses and texts handed to the desk;
- :mod:`handlers.wecom.cards`: a desk card as a template card; :mod:`handlers.wecom.sender`:
  the outbox's sender for ``wecom:`` chats; :mod:`handlers.wecom.channel`: all of it as the
  running bot holds it.

Why this API and not a group robot or an AI bot: ``docs/research/wecom.md``. The wire format of
callbacks is shared with WeChat: :mod:`handlers.tencent`.
"""
