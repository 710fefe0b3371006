"""WXBizMsgCrypt, the signing and AES scheme of 公众号 and WeCom callbacks, as Tencent specifies it.

Why our own: the scheme is small, and the one Python implementation (wechatpy) is synchronous,
compares signatures with ``!=`` and does not check padding, so it is our test oracle
(tests/test_tencent_crypto.py), never a run-time dependency.

The scheme (developers.weixin.qq.com "消息加解密说明"; developer.work.weixin.qq.com/document/
path/91144 "加解密方案说明"):

- ``signature`` is the SHA-1 hex of the sorted, concatenated ``token``, ``timestamp`` and
  ``nonce``; in safe mode ``msg_signature`` adds the ``Encrypt`` text to the sort.
- AESKey = Base64_Decode(EncodingAESKey + "="): 43 characters give 32 bytes (AES-256); the IV
  is the key's first 16 bytes; CBC; PKCS#7 padding to a multiple of **32** bytes.
- The plaintext is 16 random bytes, the message's UTF-8 length as 4 big-endian bytes, the
  message, and the receive id: the AppID for a 公众号, the CorpID for a WeCom app (empty for a
  WeCom AI bot). A message for another account is refused, as are bad padding, bad base64 and a
  length that runs past the plaintext.
- WeCom's URL verification sends its ``echostr`` encrypted and signed like a message; the
  公众号's is plain and signed with ``signature`` alone.
- An encrypted passive reply is ``<xml>`` with ``Encrypt``, ``MsgSignature``, ``TimeStamp``,
  ``Nonce``.

Tencent's samples stop there. We also refuse a callback whose timestamp is more than
:data:`REPLAY_WINDOW` seconds from our clock, so a captured callback cannot be replayed later;
the clock is an argument (``now``), never read here.

Errors::

    CryptoError          the callback or reply is not what Tencent would have sent
    ├── SignatureMismatch  its signature is not ours (wrong token, or altered on the way)
    └── StaleTimestamp     its timestamp is not a number, or outside the replay window

A wrong EncodingAESKey or token in our own configuration is a ``ValueError`` at construction.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from handlers.tencent.xml import build_xml

REPLAY_WINDOW = 300.0
"""Seconds a callback's timestamp may differ from our clock, either way (clock skew included)."""

ENCODING_AES_KEY_LENGTH = 43
_IV_BYTES = 16
_RANDOM_BYTES = 16
_LENGTH_BYTES = 4
_PAD_BLOCK = 32
"""Tencent pads to 32 bytes, not AES's 16: PKCS#7 with k = 32 (RFC 2315 §10.3)."""
_AES_BLOCK = 16
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
"""Unix seconds as Tencent writes them: ASCII digits only (no sign, space, exponent or ``١``)."""


class CryptoError(Exception):
    """A callback or reply that fails WXBizMsgCrypt's checks; the message says which."""


class SignatureMismatch(CryptoError):
    """The signature is not the one our token gives: not from Tencent, or altered."""


class StaleTimestamp(CryptoError):
    """The timestamp is not Unix seconds, or too far from now to be a fresh callback."""


def signature(token: str, timestamp: str, nonce: str, encrypted: str = "") -> str:
    """The SHA-1 hex Tencent signs with: ``signature`` (plain) or ``msg_signature`` (safe mode,
    with the ``Encrypt`` text). The parts are sorted first, so their order here does not matter;
    an empty ``encrypted`` adds nothing to the concatenation."""
    parts = sorted((token, timestamp, nonce, encrypted))
    return hashlib.sha1("".join(parts).encode()).hexdigest()


def signature_matches(expected: str, given: str) -> bool:
    """Whether ``given`` is ``expected``, in time that does not tell an attacker how much of it
    was right. Compared as UTF-8 bytes: ``compare_digest`` raises on non-ASCII ``str``, and a
    query string can carry anything."""
    return hmac.compare_digest(expected.encode(), given.encode())


def fresh(timestamp: str, now: float, window: float = REPLAY_WINDOW) -> bool:
    """Whether ``timestamp`` (Unix seconds, as the query string carries it) is within ``window``
    seconds of ``now``. Anything that is not plain ASCII digits is not fresh."""
    if _TIMESTAMP.fullmatch(timestamp) is None:
        return False
    return abs(int(timestamp) - now) <= window


def _require_fresh(timestamp: str, now: float) -> None:
    if not fresh(timestamp, now):
        raise StaleTimestamp(f"timestamp {timestamp[:20]!r} is not within the replay window")


def verify_signature(token: str, *, given: str, timestamp: str, nonce: str, now: float) -> None:
    """Check a plain-mode callback or a 公众号 URL verification: ``given`` (its ``signature``
    query parameter), then its timestamp. Raises :class:`SignatureMismatch` or
    :class:`StaleTimestamp`."""
    if not signature_matches(signature(token, timestamp, nonce), given):
        raise SignatureMismatch("signature does not match the token")
    _require_fresh(timestamp, now)


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key an EncodingAESKey stands for; ``ValueError`` for anything that is not
    43 base64 characters, since such a key is a configuration mistake, not an attack."""
    if len(encoding_aes_key) != ENCODING_AES_KEY_LENGTH:
        raise ValueError(
            f"an EncodingAESKey has {ENCODING_AES_KEY_LENGTH} characters, "
            f"this one has {len(encoding_aes_key)}"
        )
    try:  # 43 base64 characters and "=" are always 32 bytes
        return base64.b64decode(encoding_aes_key + "=", validate=True)
    except ValueError as exc:  # binascii.Error, and non-ASCII text
        raise ValueError("an EncodingAESKey is made of letters and digits only") from exc


@dataclass(frozen=True, slots=True)
class SealedReply:
    """An encrypted passive reply: what goes back in the HTTP answer to a safe-mode callback."""

    encrypt: str
    msg_signature: str
    timestamp: str
    nonce: str

    def to_xml(self) -> str:
        """The reply body, in Tencent's element order."""
        return build_xml(
            {
                "Encrypt": self.encrypt,
                "MsgSignature": self.msg_signature,
                "TimeStamp": int(self.timestamp),
                "Nonce": self.nonce,
            }
        )


class MessageCrypto:
    """Encrypts and decrypts for one account: a 公众号 (``receive_id`` = AppID) or a WeCom app
    (``receive_id`` = CorpID). Holds only its configuration, so one instance serves every
    callback, concurrently."""

    __slots__ = ("_cipher", "_receive_id", "_token")

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        if not token:
            raise ValueError("the callback token must not be empty: it is what signs callbacks")
        key = aes_key(encoding_aes_key)
        self._token = token
        self._receive_id = receive_id.encode()
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(key[:_IV_BYTES]))

    def __repr__(self) -> str:
        """Names the account only: the token and key are secrets and stay out of logs."""
        return f"MessageCrypto(receive_id={self._receive_id.decode()!r})"

    def encrypt(self, plaintext: str, *, random16: bytes | None = None) -> str:
        """``plaintext`` as the base64 ``Encrypt`` text. ``random16`` fixes the 16 leading bytes,
        for Tencent's published vectors; left out, they are fresh random bytes, as they must be
        in production (they make equal messages encrypt differently)."""
        prefix = secrets.token_bytes(_RANDOM_BYTES) if random16 is None else random16
        if len(prefix) != _RANDOM_BYTES:
            raise ValueError(f"random16 must be {_RANDOM_BYTES} bytes, not {len(prefix)}")
        message = plaintext.encode()
        body = prefix + struct.pack(">I", len(message)) + message + self._receive_id
        pad = _PAD_BLOCK - len(body) % _PAD_BLOCK
        encryptor = self._cipher.encryptor()
        sealed = encryptor.update(body + bytes([pad]) * pad) + encryptor.finalize()
        return base64.b64encode(sealed).decode("ascii")

    def decrypt(self, encrypted: str) -> str:
        """The message inside an ``Encrypt`` text (or WeCom's encrypted ``echostr``).

        CBC proves nothing about who wrote the ciphertext: call this only after the signature
        (:meth:`decrypt_signed` does both). Raises :class:`CryptoError` for bad base64, a
        ciphertext that is not whole AES blocks, bad padding, a length past the end, a message
        that is not UTF-8, or a receive id that is not ours.
        """
        try:
            sealed = base64.b64decode(encrypted, validate=True)
        except ValueError as exc:  # binascii.Error, and non-ASCII text
            raise CryptoError("the ciphertext is not base64") from exc
        if not sealed or len(sealed) % _AES_BLOCK:
            raise CryptoError("the ciphertext is not a whole number of AES blocks")
        decryptor = self._cipher.decryptor()
        padded = decryptor.update(sealed) + decryptor.finalize()
        pad = padded[-1]
        if not 1 <= pad <= _PAD_BLOCK or padded[-pad:] != bytes([pad]) * pad:
            raise CryptoError("bad PKCS#7 padding (wrong key, or altered ciphertext)")
        content = padded[_RANDOM_BYTES:-pad]
        if len(content) < _LENGTH_BYTES:
            raise CryptoError("the plaintext is too short to hold the message length")
        (length,) = struct.unpack(">I", content[:_LENGTH_BYTES])
        end = _LENGTH_BYTES + length
        if end > len(content):
            raise CryptoError("the message length runs past the end of the plaintext")
        if not hmac.compare_digest(content[end:], self._receive_id):
            raise CryptoError("the message is for another receive id (AppID or CorpID)")
        try:
            return content[_LENGTH_BYTES:end].decode()
        except UnicodeDecodeError as exc:
            raise CryptoError("the message is not UTF-8") from exc

    def decrypt_signed(
        self, *, msg_signature: str, timestamp: str, nonce: str, encrypted: str, now: float
    ) -> str:
        """Check a safe-mode callback (or WeCom's URL verification, ``encrypted`` being its
        ``echostr``, or an encrypted reply) and return its message: the signature first, in
        constant time, then the timestamp against ``now``, then :meth:`decrypt`.

        Keyword-only, since ``timestamp`` and ``nonce`` are both strings of digits.
        """
        expected = signature(self._token, timestamp, nonce, encrypted)
        if not signature_matches(expected, msg_signature):
            raise SignatureMismatch("msg_signature does not match the token and ciphertext")
        _require_fresh(timestamp, now)
        return self.decrypt(encrypted)

    def seal_reply(
        self, plaintext: str, *, timestamp: str, nonce: str, random16: bytes | None = None
    ) -> SealedReply:
        """An encrypted passive reply carrying ``plaintext`` (a reply XML), signed with our
        token; ``timestamp`` and ``nonce`` are the caller's, since the clock is."""
        if _TIMESTAMP.fullmatch(timestamp) is None:
            raise ValueError(f"a reply's timestamp is Unix seconds, not {timestamp!r}")
        encrypted = self.encrypt(plaintext, random16=random16)
        return SealedReply(
            encrypt=encrypted,
            msg_signature=signature(self._token, timestamp, nonce, encrypted),
            timestamp=timestamp,
            nonce=nonce,
        )
