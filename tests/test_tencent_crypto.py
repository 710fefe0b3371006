"""WXBizMsgCrypt and callback XML (handlers/tencent): Tencent's vectors, wechatpy as an oracle,
and every refusal.

The vectors are the ones docs/research/wechat-oa.md §6 re-checked, copied from Tencent's sample
code (Java WXBizMsgCryptTest, Python Sample.py) as reproduced in WxJava's WxCryptUtilTest.
"""

from __future__ import annotations

import base64
import re
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

# wechatpy ships no type information; it is a dev-only oracle, so its untyped calls stay here.
from wechatpy.crypto import WeChatCrypto as OfficialAccountOracle  # type: ignore[import-untyped]
from wechatpy.enterprise.crypto import WeChatCrypto as WeComOracle  # type: ignore[import-untyped]
from wechatpy.exceptions import InvalidSignatureException  # type: ignore[import-untyped]
from wechatpy.utils import check_signature  # type: ignore[import-untyped]

from handlers.tencent.crypto import (
    REPLAY_WINDOW,
    CryptoError,
    MessageCrypto,
    SignatureMismatch,
    StaleTimestamp,
    fresh,
    signature,
    signature_matches,
    verify_signature,
)
from handlers.tencent.xml import MAX_BODY, XmlError, build_xml, cdata, parse_callback

# Vector A (Java WXBizMsgCryptTest.testAesEncrypt / testAesEncrypt2): encryption, fixed random.
KEY_A = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TOKEN_A = "pamtest"
APPID_A = "wxb11529c136998cb6"
RANDOM_A = b"aaaabbbbccccdddd"
MESSAGE_A = "我是中文abcd123"
CIPHER_A = (
    "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
)
MESSAGE_A2 = (
    "<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName>"
    "<FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime>"
    "<MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA["
    "eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId>"
    "<Title><![CDATA[testCallBackReplyVideo]]></Title>"
    "<Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>"
)
CIPHER_A2 = (
    "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkup"
    "qcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvF"
    "b3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04s"
    "q7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9Oxch"
    "WVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ"
    "6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57c"
    "ExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb"
)

# Vector B (Java WXBizMsgCryptTest.testVerifyUrl): WeCom's URL verification, echostr encrypted.
TOKEN_B = "QDG6eK"
KEY_B = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
CORPID_B = "wx5823bf96d3bd56c7"
TIMESTAMP_B = "1409659589"
NONCE_B = "263014780"
ECHOSTR_B = (
    "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
)
SIGNATURE_B = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
ECHO_B = "1616140317555161061"

# Vector C (Python Sample.py): a signed, encrypted text message; the plaintext has newlines.
TOKEN_C = "spamtest"
APPID_C = "wx2c2769f8efd9abc2"
TIMESTAMP_C = "1409735669"
NONCE_C = "1320562132"
SIGNATURE_C = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
ENCRYPT_C = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PG"
    "HQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6"
    "tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp"
    "3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhv"
    "Ql+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
BODY_C = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>"
    "<CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId>"
    f"<Encrypt><![CDATA[{ENCRYPT_C}]]></Encrypt></xml>"
)
PLAINTEXT_C = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n"
    "<CreateTime>1409735668</CreateTime>\n"
    "<MsgType><![CDATA[text]]></MsgType>\n"
    "<Content><![CDATA[abcdteT]]></Content>\n"
    "<MsgId>6054768590064713728</MsgId>\n"
    "</xml>"
)

NOW_C = float(TIMESTAMP_C)
OTHER_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
"""wechatpy's own WeCom test key: a valid key that is not the sender's."""

TEXTS = st.text(
    st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # CJK ideographs
        st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),  # emoji, 4 bytes in UTF-8
        st.sampled_from("，。！？、“”…\n <>&]]>"),
        st.characters(codec="utf-8"),  # anything UTF-8 can carry
    ),
    max_size=400,
)
ACCOUNTS = [
    pytest.param(OfficialAccountOracle, APPID_C, id="official-account"),
    pytest.param(WeComOracle, CORPID_B, id="wecom"),
]


def _crypto_c(receive_id: str = APPID_C, key: str = KEY_A) -> MessageCrypto:
    return MessageCrypto(TOKEN_C, key, receive_id)


def _seal_raw(plaintext: bytes, key_text: str = KEY_A) -> str:
    """Encrypt exactly ``plaintext`` (already padded, or deliberately not) with Tencent's cipher,
    bypassing the code under test, to build ciphertexts it must refuse."""
    key = base64.b64decode(key_text + "=")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plaintext) + encryptor.finalize()).decode()


def _padded(body: bytes) -> bytes:
    pad = 32 - len(body) % 32
    return body + bytes([pad]) * pad


def _field(xml: str, name: str) -> str:
    match = re.search(rf"<{name}>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</{name}>", xml)
    assert match is not None, f"no <{name}> in {xml!r}"
    return match.group(1)


# --- Tencent's published vectors ------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "cipher"), [(MESSAGE_A, CIPHER_A), (MESSAGE_A2, CIPHER_A2)], ids=["A", "A2"]
)
def test_vector_a_encrypts_to_the_published_ciphertext(message: str, cipher: str) -> None:
    """With the vector's 16 random bytes, encryption is byte-for-byte Tencent's, and reverses."""
    crypto = MessageCrypto(TOKEN_A, KEY_A, APPID_A)
    assert crypto.encrypt(message, random16=RANDOM_A) == cipher
    assert crypto.decrypt(cipher) == message


def test_vector_b_verifies_wecom_url_and_decrypts_the_echo() -> None:
    """WeCom's encrypted echostr: Tencent's msg_signature, and the CorpID-bound plaintext."""
    assert signature(TOKEN_B, TIMESTAMP_B, NONCE_B, ECHOSTR_B) == SIGNATURE_B
    crypto = MessageCrypto(TOKEN_B, KEY_B, CORPID_B)
    echo = crypto.decrypt_signed(
        msg_signature=SIGNATURE_B,
        timestamp=TIMESTAMP_B,
        nonce=NONCE_B,
        encrypted=ECHOSTR_B,
        now=float(TIMESTAMP_B),
    )
    assert echo == ECHO_B


def test_vector_c_decrypts_a_signed_message_exactly() -> None:
    """Sample.py's message: signature checks, and the plaintext keeps its newlines."""
    fields = parse_callback(BODY_C)
    assert fields["Encrypt"] == ENCRYPT_C
    assert fields["MsgId"] == "6054768590064713728"
    assert signature(TOKEN_C, TIMESTAMP_C, NONCE_C, fields["Encrypt"]) == SIGNATURE_C
    plaintext = _crypto_c().decrypt_signed(
        msg_signature=SIGNATURE_C,
        timestamp=TIMESTAMP_C,
        nonce=NONCE_C,
        encrypted=fields["Encrypt"],
        now=NOW_C,
    )
    assert plaintext == PLAINTEXT_C
    assert parse_callback(plaintext)["Content"] == "abcdteT"


def test_signature_sorts_its_parts_and_plain_mode_signs_three() -> None:
    """Order does not matter; plain mode is token, timestamp and nonce only (as wechatpy)."""
    assert signature(NONCE_C, TOKEN_C, TIMESTAMP_C, ENCRYPT_C) == SIGNATURE_C
    plain = signature(TOKEN_C, TIMESTAMP_C, NONCE_C)
    assert plain != SIGNATURE_C
    check_signature(TOKEN_C, plain, TIMESTAMP_C, NONCE_C)  # raises if wechatpy disagrees
    with pytest.raises(InvalidSignatureException):
        check_signature(TOKEN_C, SIGNATURE_C, TIMESTAMP_C, NONCE_C)


# --- wechatpy as an oracle ------------------------------------------------------------------


@pytest.mark.parametrize(("oracle", "receive_id"), ACCOUNTS)
@settings(max_examples=60, deadline=None)
@given(text=TEXTS)
def test_wechatpy_opens_our_replies(oracle: type, receive_id: str, text: str) -> None:
    """What we seal for either platform, wechatpy verifies and decrypts to the same text."""
    ours = MessageCrypto(TOKEN_C, KEY_A, receive_id)
    reply = ours.seal_reply(text, timestamp=TIMESTAMP_C, nonce=NONCE_C).to_xml()
    theirs = oracle(TOKEN_C, KEY_A, receive_id)
    opened = theirs.decrypt_message(reply, _field(reply, "MsgSignature"), TIMESTAMP_C, NONCE_C)
    assert opened == text


@pytest.mark.parametrize(("oracle", "receive_id"), ACCOUNTS)
@settings(max_examples=60, deadline=None)
@given(text=TEXTS)
def test_we_open_what_wechatpy_seals(oracle: type, receive_id: str, text: str) -> None:
    """What wechatpy encrypts and signs for either platform, we verify and decrypt."""
    sealed: str = oracle(TOKEN_C, KEY_A, receive_id).encrypt_message(text, NONCE_C, TIMESTAMP_C)
    envelope = parse_callback(sealed)
    opened = MessageCrypto(TOKEN_C, KEY_A, receive_id).decrypt_signed(
        msg_signature=envelope["MsgSignature"],
        timestamp=envelope["TimeStamp"],
        nonce=envelope["Nonce"],
        encrypted=envelope["Encrypt"],
        now=NOW_C,
    )
    assert opened == text


def test_wechatpy_verifies_our_wecom_echostr() -> None:
    """A WeCom URL check we encrypt is one wechatpy's check_signature accepts and decrypts."""
    ours = MessageCrypto(TOKEN_B, KEY_B, CORPID_B)
    echostr = ours.encrypt("5927410365328911")
    msg_signature = signature(TOKEN_B, TIMESTAMP_B, NONCE_B, echostr)
    theirs = WeComOracle(TOKEN_B, KEY_B, CORPID_B)
    echo = theirs.check_signature(msg_signature, TIMESTAMP_B, NONCE_B, echostr)
    assert echo == "5927410365328911"


def test_a_sealed_reply_is_tencents_envelope() -> None:
    """Encrypt, MsgSignature, TimeStamp, Nonce, in that order; it opens again with our key."""
    crypto = _crypto_c()
    reply = crypto.seal_reply(
        "<xml><Content>收到</Content></xml>", timestamp="1700000000", nonce="7"
    )
    xml = reply.to_xml()
    assert re.fullmatch(
        r"<xml><Encrypt><!\[CDATA\[[A-Za-z0-9+/=]+\]\]></Encrypt>"
        r"<MsgSignature><!\[CDATA\[[0-9a-f]{40}\]\]></MsgSignature>"
        r"<TimeStamp>1700000000</TimeStamp><Nonce><!\[CDATA\[7\]\]></Nonce></xml>",
        xml,
    )
    fields = parse_callback(xml)
    opened = crypto.decrypt_signed(
        msg_signature=fields["MsgSignature"],
        timestamp=fields["TimeStamp"],
        nonce=fields["Nonce"],
        encrypted=fields["Encrypt"],
        now=1700000000.0,
    )
    assert opened == "<xml><Content>收到</Content></xml>"


def test_padding_is_to_32_bytes_not_aes_16() -> None:
    """Tencent pads to a multiple of 32 (a whole 32 when already aligned); a 16-byte pad would
    decrypt in wechatpy too, so the ciphertext's length is checked itself."""
    crypto = _crypto_c()
    for size in range(70):
        sealed = base64.b64decode(crypto.encrypt("x" * size, random16=RANDOM_A))
        body = 16 + 4 + size + len(APPID_C)
        assert len(sealed) == body + 32 - body % 32, size
        assert crypto.decrypt(base64.b64encode(sealed).decode()) == "x" * size


def test_equal_messages_encrypt_differently() -> None:
    """Without random16 the leading bytes are random, so a ciphertext tells nothing of another."""
    crypto = _crypto_c()
    assert crypto.encrypt("收到") != crypto.encrypt("收到")


# --- refusals: configuration ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "match"),
    [
        (KEY_A[:-1], "43 characters, this one has 42"),
        (KEY_A + "H", "43 characters, this one has 44"),
        ("", "43 characters, this one has 0"),
        (KEY_A[:-1] + "!", "letters and digits"),
        (KEY_A[:-1] + "中", "letters and digits"),
    ],
)
def test_a_malformed_encoding_aes_key_is_refused_at_construction(key: str, match: str) -> None:
    """A key that is not 43 base64 characters is a configuration mistake, named at once."""
    with pytest.raises(ValueError, match=match):
        MessageCrypto(TOKEN_A, key, APPID_A)


def test_an_empty_token_and_a_short_random_prefix_are_refused() -> None:
    """An empty token would sign with nothing secret; the random prefix is exactly 16 bytes."""
    with pytest.raises(ValueError, match="token"):
        MessageCrypto("", KEY_A, APPID_A)
    with pytest.raises(ValueError, match="16 bytes, not 15"):
        _crypto_c().encrypt("x", random16=RANDOM_A[:15])


def test_repr_shows_the_account_but_no_secret() -> None:
    """Logging the crypto object leaks neither token nor key."""
    text = repr(_crypto_c())
    assert APPID_C in text
    assert TOKEN_C not in text
    assert KEY_A not in text


# --- refusals: ciphertexts ------------------------------------------------------------------


def test_a_wrong_key_is_refused() -> None:
    """Ciphertext from another EncodingAESKey does not decrypt to garbage: it is refused."""
    sealed = _crypto_c(key=OTHER_KEY).encrypt(MESSAGE_A, random16=RANDOM_A)
    with pytest.raises(CryptoError, match="padding"):
        _crypto_c().decrypt(sealed)


@pytest.mark.parametrize(("oracle", "receive_id"), ACCOUNTS)
def test_a_message_for_another_receive_id_is_refused(oracle: type, receive_id: str) -> None:
    """Same key, other AppID or CorpID (ours or wechatpy's ciphertext): not our message."""
    ours = _crypto_c(receive_id="wx0000000000000000").encrypt(MESSAGE_A)
    theirs = _field(oracle(TOKEN_C, KEY_A, receive_id + "x").encrypt_message("x", "1"), "Encrypt")
    for sealed in (ours, theirs):
        with pytest.raises(CryptoError, match="receive id"):
            _crypto_c(receive_id=receive_id).decrypt(sealed)


def test_a_tampered_signed_ciphertext_fails_the_signature() -> None:
    """One changed character in Encrypt: the signature, checked first, refuses it."""
    tampered = ENCRYPT_C.replace("hyzA", "hyzB", 1)
    with pytest.raises(SignatureMismatch):
        _crypto_c().decrypt_signed(
            msg_signature=SIGNATURE_C,
            timestamp=TIMESTAMP_C,
            nonce=NONCE_C,
            encrypted=tampered,
            now=NOW_C,
        )


def test_a_tampered_last_block_is_refused_even_unsigned() -> None:
    """A bit flipped where CBC carries it into the padding byte: bad padding, never a message."""
    sealed = bytearray(base64.b64decode(_crypto_c().encrypt(MESSAGE_A, random16=RANDOM_A)))
    sealed[-17] ^= 0x01  # the last byte of the next-to-last block flips the last plaintext byte
    with pytest.raises(CryptoError, match="padding"):
        _crypto_c().decrypt(base64.b64encode(bytes(sealed)).decode())


@pytest.mark.parametrize(
    ("encrypted", "match"),
    [
        ("not base64!", "not base64"),
        ("中文", "not base64"),
        ("abc", "not base64"),
        ("", "whole number of AES blocks"),
        (base64.b64encode(bytes(20)).decode(), "whole number of AES blocks"),
    ],
)
def test_bad_base64_and_partial_blocks_are_refused(encrypted: str, match: str) -> None:
    """Text that is not base64, or not whole AES blocks, never reaches the cipher."""
    with pytest.raises(CryptoError, match=match):
        _crypto_c().decrypt(encrypted)


@pytest.mark.parametrize(
    ("plaintext", "match"),
    [
        (bytes(16) + struct.pack(">I", 1) + b"x" + APPID_C.encode() + bytes(9), "padding"),
        (bytes(16) + struct.pack(">I", 1) + b"x" + APPID_C.encode() + b"\x21" * 9, "padding"),
        (
            bytes(16)
            + struct.pack(">I", 1)
            + b"x"
            + APPID_C.encode()
            + bytes(5)
            + b"\x05\x05\x03\x05",
            "padding",
        ),
        (_padded(bytes(16) + b"\x00\x00"), "too short"),
        (_padded(bytes(16) + struct.pack(">I", 1000) + b"x" + APPID_C.encode()), "runs past"),
        (_padded(bytes(16) + struct.pack(">I", 2) + b"\xff\xfe" + APPID_C.encode()), "UTF-8"),
    ],
    ids=["pad-0", "pad-33", "pad-inconsistent", "too-short", "length", "utf8"],
)
def test_a_malformed_plaintext_is_refused(plaintext: bytes, match: str) -> None:
    """Each way the decrypted layout can be wrong has its own refusal."""
    assert len(plaintext) % 16 == 0, "the cipher needs whole blocks to build the case"
    with pytest.raises(CryptoError, match=match):
        _crypto_c().decrypt(_seal_raw(plaintext))


def test_a_hand_built_plaintext_decrypts() -> None:
    """The refusals above are of the layout, not of the helper: a correct one is accepted."""
    body = bytes(16) + struct.pack(">I", 6) + "收到".encode() + APPID_C.encode()
    assert _crypto_c().decrypt(_seal_raw(_padded(body))) == "收到"


# --- refusals: signatures and time ----------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [SIGNATURE_C[:-1] + "0", SIGNATURE_C.upper(), "", "签名", signature("other", "1", "2")],
)
def test_a_wrong_msg_signature_is_refused(given: str) -> None:
    """Anything but the exact hex digest is refused, non-ASCII included, without a TypeError."""
    assert not signature_matches(SIGNATURE_C, given)
    with pytest.raises(SignatureMismatch):
        _crypto_c().decrypt_signed(
            msg_signature=given,
            timestamp=TIMESTAMP_C,
            nonce=NONCE_C,
            encrypted=ENCRYPT_C,
            now=NOW_C,
        )


def test_a_wrong_token_is_refused() -> None:
    """The right key with another token: the signature, not the cipher, refuses it."""
    with pytest.raises(SignatureMismatch):
        MessageCrypto("not-the-token", KEY_A, APPID_C).decrypt_signed(
            msg_signature=SIGNATURE_C,
            timestamp=TIMESTAMP_C,
            nonce=NONCE_C,
            encrypted=ENCRYPT_C,
            now=NOW_C,
        )


def test_plain_mode_signatures_are_verified_like_wechatpy() -> None:
    """A plain callback's signature: ours and wechatpy's accept and refuse the same ones."""
    good = signature(TOKEN_C, TIMESTAMP_C, NONCE_C)
    verify_signature(TOKEN_C, given=good, timestamp=TIMESTAMP_C, nonce=NONCE_C, now=NOW_C)
    check_signature(TOKEN_C, good, TIMESTAMP_C, NONCE_C)
    with pytest.raises(SignatureMismatch):
        verify_signature(TOKEN_C, given=good, timestamp=TIMESTAMP_C, nonce="1", now=NOW_C)
    with pytest.raises(InvalidSignatureException):
        check_signature(TOKEN_C, good, TIMESTAMP_C, "1")


@pytest.mark.parametrize("offset", [REPLAY_WINDOW + 1, -REPLAY_WINDOW - 1, 86400.0])
def test_a_stale_or_future_timestamp_is_refused(offset: float) -> None:
    """A correctly signed callback replayed later (or stamped ahead of us) is refused."""
    with pytest.raises(StaleTimestamp):
        _crypto_c().decrypt_signed(
            msg_signature=SIGNATURE_C,
            timestamp=TIMESTAMP_C,
            nonce=NONCE_C,
            encrypted=ENCRYPT_C,
            now=NOW_C + offset,
        )
    good = signature(TOKEN_C, TIMESTAMP_C, NONCE_C)
    with pytest.raises(StaleTimestamp):
        verify_signature(
            TOKEN_C, given=good, timestamp=TIMESTAMP_C, nonce=NONCE_C, now=NOW_C + offset
        )


@pytest.mark.parametrize("offset", [0.0, REPLAY_WINDOW, -REPLAY_WINDOW])
def test_a_timestamp_within_the_window_is_fresh(offset: float) -> None:
    """The window is inclusive, both ways, so clock skew of up to five minutes is tolerated."""
    assert fresh(TIMESTAMP_C, NOW_C + offset)


@pytest.mark.parametrize(
    "timestamp",
    [
        "",
        "abc",
        "-1409735669",
        "+1409735669",
        " 1409735669",
        "1409735669.0",
        "1e9",
        "١٤٠٩٧٣٥٦٦٩",
        "1409735669\n",
        "9" * 13,
    ],
)
def test_a_timestamp_that_is_not_unix_seconds_is_refused(timestamp: str) -> None:
    """Only ASCII digits are a timestamp; even a correctly signed odd one is refused."""
    assert not fresh(timestamp, NOW_C)
    crypto = _crypto_c()
    with pytest.raises(StaleTimestamp):
        crypto.decrypt_signed(
            msg_signature=signature(TOKEN_C, timestamp, NONCE_C, ENCRYPT_C),
            timestamp=timestamp,
            nonce=NONCE_C,
            encrypted=ENCRYPT_C,
            now=NOW_C,
        )


# --- callback XML ---------------------------------------------------------------------------

BOMB = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
    '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><xml><Content>&d;</Content></xml>'
)
EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><Content>&xxe;</Content></xml>"
)
EXTERNAL_DTD = '<!DOCTYPE xml SYSTEM "http://127.0.0.1:1/evil.dtd"><xml><Content>x</Content></xml>'
BARE_DOCTYPE = "<!DOCTYPE xml><xml><Content>x</Content></xml>"


@pytest.mark.parametrize(
    "body", [BOMB, EXTERNAL, EXTERNAL_DTD, BARE_DOCTYPE], ids=["bomb", "xxe", "dtd", "doctype"]
)
def test_dtds_and_entities_are_refused(body: str) -> None:
    """Billion laughs, external entities, external DTDs, any DOCTYPE: one clear XmlError."""
    with pytest.raises(XmlError, match="DTD or entities"):
        parse_callback(body)


def test_an_oversize_body_is_refused_before_parsing() -> None:
    """One byte over the limit is refused by size; even malformed XML never reaches the parser."""
    exact = "<xml><Content>" + "x" * (MAX_BODY - 30) + "</Content></xml>"
    assert len(exact.encode()) == MAX_BODY
    assert len(parse_callback(exact)["Content"]) == MAX_BODY - 30
    with pytest.raises(XmlError, match="more than the"):
        parse_callback(exact.replace("<xml>", "<xml> "))
    with pytest.raises(XmlError, match="more than the"):
        parse_callback(b"<" * (MAX_BODY + 1))


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("", "not well-formed"),
        ("<xml><Content>x</xml>", "not well-formed"),
        ("success", "not well-formed"),
        ("<root><Content>x</Content></root>", "root element is <root>"),
        ("<xml><Encrypt>a</Encrypt><Encrypt>b</Encrypt></xml>", "more than once"),
    ],
)
def test_bodies_tencent_would_not_send_are_refused(body: str, match: str) -> None:
    """Malformed XML, another root, a field given twice: XmlError, never ElementTree's own."""
    with pytest.raises(XmlError, match=match):
        parse_callback(body)


def test_fields_are_kept_exactly_and_nested_ones_as_inner_xml() -> None:
    """Whitespace and CDATA text are kept; a nested field is its inner XML, which parses again."""
    body = (
        "<xml>\n  <ToUserName><![CDATA[ww_corp]]></ToUserName>\n"
        "  <Content><![CDATA[  3号楼\n停水 <急> ]]></Content>\n"
        "  <Empty></Empty><Blank/>\n"
        "  <SelectedItems><SelectedItem><QuestionKey><![CDATA[q1]]></QuestionKey><OptionIds>"
        "<OptionId><![CDATA[o1]]></OptionId></OptionIds></SelectedItem></SelectedItems>\n"
        "</xml>"
    )
    fields = parse_callback(body.encode())
    assert fields["ToUserName"] == "ww_corp"
    assert fields["Content"] == "  3号楼\n停水 <急> "
    assert fields["Empty"] == ""
    assert fields["Blank"] == ""
    inner = parse_callback("<xml>" + fields["SelectedItems"] + "</xml>")
    assert parse_callback("<xml>" + inner["SelectedItem"] + "</xml>")["QuestionKey"] == "q1"


def test_a_reply_is_rendered_with_cdata_and_bare_integers() -> None:
    """Text in CDATA, integers bare, nested and repeated elements, in the given order."""
    xml = build_xml(
        {
            "ToUserName": "o_resident",
            "CreateTime": 1700000000,
            "MsgType": "news",
            "Articles": [{"item": {"Title": "停水"}}, {"item": {"Title": "恢复"}}],
            "Image": {"MediaId": "m1"},
        }
    )
    assert xml == (
        "<xml><ToUserName><![CDATA[o_resident]]></ToUserName><CreateTime>1700000000</CreateTime>"
        "<MsgType><![CDATA[news]]></MsgType><Articles><item><Title><![CDATA[停水]]></Title></item>"
        "<item><Title><![CDATA[恢复]]></Title></item></Articles>"
        "<Image><MediaId><![CDATA[m1]]></MediaId></Image></xml>"
    )


XML_TEXTS = st.lists(
    st.one_of(
        st.sampled_from(["]]>", "]]", "]", ">", "<![CDATA[", "&amp;", "<", "\r\n"]),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(
            codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"
        ),
    ),
    max_size=100,
).map("".join)
"""Texts rich in CDATA's own syntax; CRLF is among them, since XML reads it as LF."""


@settings(max_examples=300)
@given(text=XML_TEXTS)
def test_any_text_survives_cdata(text: str) -> None:
    """No text closes its CDATA section early: what we render parses back to exactly it."""
    assert parse_callback(build_xml({"Content": text}))["Content"] == text.replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("fields", "error", "match"),
    [
        ({"Content": "响铃\x07"}, ValueError, "U\\+0007"),
        ({"Content": "\x00"}, ValueError, "U\\+0000"),
        ({"Bad Tag": "x"}, ValueError, "not an element name"),
        ({"<x>": "x"}, ValueError, "not an element name"),
        ({"Flag": True}, TypeError, "not a bool"),
    ],
)
def test_unwritable_replies_are_refused(
    fields: dict[str, str | bool], error: type, match: str
) -> None:
    """Characters XML cannot carry and tags that are not names are refused, not sent broken."""
    with pytest.raises(error, match=match):
        build_xml(fields)


def test_cdata_splits_its_terminator() -> None:
    """``]]>`` becomes two sections, exactly as Tencent's own samples would need."""
    assert cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>"
