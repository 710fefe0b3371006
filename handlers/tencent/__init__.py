"""What the WeChat Official Account (公众号) and WeCom (企业微信) callback channels share.

Both platforms call us with XML and sign it the same way (Tencent's WXBizMsgCrypt), so the
wire format lives here once: :mod:`handlers.tencent.crypto` (signatures, AES, replay window)
and :mod:`handlers.tencent.xml` (safe parsing, reply rendering). A callback that fails either
raises :class:`~handlers.tencent.xml.XmlError` or :class:`~handlers.tencent.crypto.CryptoError`
(with :class:`~handlers.tencent.crypto.SignatureMismatch` and
:class:`~handlers.tencent.crypto.StaleTimestamp` beneath it); a channel answers those with a
4xx and never with a traceback.
"""
