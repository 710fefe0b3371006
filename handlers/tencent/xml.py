"""Callback XML of 公众号 and WeCom: parsed without trusting it, replies written without breaking.

A callback body comes from anyone who can reach our URL, before any signature is checked (in
safe mode the signature covers only the ``Encrypt`` element inside it). So it is parsed with
:mod:`defusedxml`, which refuses DTDs, entity declarations and external references (billion
laughs, XXE), after a size check that needs no parsing: Tencent's callbacks are a few KiB.

Tencent's XML is flat: ``<xml>`` holding one element per field. :func:`parse_callback` returns
those as ``dict[str, str]``, text exactly as sent (CDATA unwrapped, whitespace kept, nothing
trimmed: vector C of docs/research/wechat-oa.md has newlines that belong to the message). A
field that has elements inside (WeCom's ``SelectedItems`` of a template-card event, the
公众号's ``ScanCodeInfo`` or ``SendPicsInfo``) is returned as its inner XML, re-serialised by
ElementTree (CDATA becomes escaped text; the meaning is the same): a channel that needs it parses
``"<xml>" + value + "</xml>"`` with :func:`parse_callback` again. Attributes are ignored, since
Tencent sends none. A field that appears twice is refused rather than guessed at.

:func:`build_xml` renders a passive reply: text in CDATA (with ``]]>`` split across two
sections, so no text can close its section early), integers bare (``CreateTime``), mappings as
nested elements and sequences of mappings as repeated ones (a news reply's ``Articles``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TypeAlias
from xml.etree.ElementTree import Element, ParseError, tostring

# defusedxml ships no type information (types-defusedxml is not among our dev dependencies);
# the one function used is wrapped below with the types ElementTree's own fromstring has.
import defusedxml.ElementTree as _defused  # type: ignore[import-untyped]
from defusedxml import DefusedXmlException

MAX_BODY = 64 * 1024
"""Bytes a callback body may have. Tencent's largest (an encrypted event with a long text) is a
few KiB; anything near this is not from Tencent, and is refused before it is parsed."""

ROOT = "xml"

XmlValue: TypeAlias = "str | int | Mapping[str, XmlValue] | Sequence[Mapping[str, XmlValue]]"
"""What :func:`build_xml` renders: CDATA text, a bare integer, nested or repeated elements."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot carry at all, not even in CDATA."""


class XmlError(Exception):
    """A callback body that is too large, not well-formed, uses a DTD or entities, or is not
    Tencent's flat ``<xml>`` shape; the message says which."""


def _fromstring(body: bytes) -> Element:
    """defusedxml's ``fromstring`` with DTDs forbidden too: Tencent never sends one, so a
    DOCTYPE of any kind is refused rather than inspected."""
    root: Element = _defused.fromstring(body, forbid_dtd=True)
    return root


def parse_callback(body: bytes | str) -> dict[str, str]:
    """The fields of a callback body (or of an encrypted message's plaintext, or of a reply),
    by element name. Raises :class:`XmlError` for anything Tencent would not send."""
    raw = body.encode() if isinstance(body, str) else body
    if len(raw) > MAX_BODY:
        raise XmlError(f"the body has {len(raw)} bytes, more than the {MAX_BODY} allowed")
    try:
        root = _fromstring(raw)
    except DefusedXmlException as exc:
        raise XmlError(f"the body declares a DTD or entities: {type(exc).__name__}") from exc
    except ParseError as exc:
        raise XmlError(f"the body is not well-formed XML: {exc}") from exc
    if root.tag != ROOT:
        raise XmlError(f"the root element is <{root.tag}>, not <{ROOT}>")
    fields: dict[str, str] = {}
    for child in root:
        if child.tag in fields:
            raise XmlError(f"<{child.tag}> appears more than once")
        fields[child.tag] = _inner_xml(child) if len(child) else (child.text or "")
    return fields


def _inner_xml(element: Element) -> str:
    """What is between an element's tags, serialised again (each child with its tail)."""
    children = "".join(tostring(child, encoding="unicode") for child in element)
    return (element.text or "") + children


def cdata(text: str) -> str:
    """``text`` as CDATA that parses back to exactly ``text``: each ``]]>`` is split between two
    sections. ``ValueError`` for characters no XML can carry (a NUL, most control characters),
    since Tencent would answer such a reply with "该公众号暂时无法提供服务"."""
    bad = _NOT_XML.search(text)
    if bad is not None:
        raise ValueError(f"U+{ord(bad.group()):04X} cannot be written in XML")
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def build_xml(fields: Mapping[str, XmlValue]) -> str:
    """A reply body: ``<xml>`` holding ``fields`` in their order, e.g. ``{"ToUserName": openid,
    "FromUserName": gh_id, "CreateTime": 1700000000, "MsgType": "text", "Content": "收到"}``."""
    return f"<{ROOT}>{_elements(fields)}</{ROOT}>"


def _elements(fields: Mapping[str, XmlValue]) -> str:
    parts = []
    for tag, value in fields.items():
        if _NAME.fullmatch(tag) is None:
            raise ValueError(f"{tag!r} is not an element name")
        parts.append(f"<{tag}>{_content(value)}</{tag}>")
    return "".join(parts)


def _content(value: XmlValue) -> str:
    if isinstance(value, bool):
        raise TypeError("a reply field is text or an integer, not a bool")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return cdata(value)
    if isinstance(value, Mapping):
        return _elements(value)
    return "".join(_elements(item) for item in value)


def sent_at(fields: Mapping[str, str]) -> datetime | None:
    """When Tencent received the message (``CreateTime``, Unix seconds); None when it says no
    time we can read (a 公众号's plain mode signs the query only: the body may say anything)."""
    created = fields.get("CreateTime", "")
    if not (created.isascii() and created.isdigit()):
        return None
    try:
        return datetime.fromtimestamp(int(created), UTC)
    except (OverflowError, OSError, ValueError):  # beyond the dates a datetime can hold
        return None
