"""What WeChat Official Accounts and WeCom apps share, Tencent's side of both channels.

- :mod:`handlers.tencent.crypto` (WXBizMsgCrypt: signatures, AES, the replay window) and
  :mod:`handlers.tencent.xml` (callback XML, parsed without DTDs or entities, and built);
- :mod:`handlers.tencent.keeping`: a checked callback's message committed to the inbox before
  ``success``;
- :mod:`handlers.tencent.tokens`: the one access token per account or app, shared by every
  instance through the database;
- :mod:`handlers.tencent.errmsg`: an ``errmsg`` without its per-request tail.

Both callbacks are signed and (optionally for a 公众号) encrypted the same way, with the same XML
envelope; only the receive id differs: the 公众号's AppID, the WeCom corp's CorpID.
"""
