"""The WeChat Official Account (公众号) channel: residents write to the account, we answer.

:mod:`handlers.wechat.api` is the client of WeChat's server API (customer-service, template and
subscribe messages, media downloads), which turns WeChat's ``errcode`` answers into
:mod:`bot.errors` by what they mean; :mod:`handlers.wechat.tokens` keeps the one access token
all instances share, in the database, because each fetch of a new one retires the old.
Callbacks (WeChat calling us) share their wire format with WeCom: :mod:`handlers.tencent`.
"""
