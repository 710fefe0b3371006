"""The WeCom (企业微信) channel: grid workers get their tasks as cards from a self-built app.

:mod:`handlers.wecom.api` is the client of WeCom's server API for one self-built app (自建应用):
texts and ``button_interaction`` template cards to members, and those cards changed for every
recipient later (``update_template_card``), with WeCom's ``errcode`` answers turned into
:mod:`bot.errors` by what they mean. Its access token is kept in the database and shared by all
instances, as the WeChat channel's is (:class:`handlers.wechat.tokens.TokenKeeper`). Why this
API and not a group robot or an AI bot: ``docs/research/wecom.md``. Callbacks (WeCom calling
us) share their wire format with WeChat: :mod:`handlers.tencent`.
"""
