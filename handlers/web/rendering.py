"""Pages from Jinja2 templates (autoescaped), with the headers every page of the desk carries.

Templates and the one stylesheet ship in this package (``templates/``, ``static/``): a
government intranet has no CDN, and the pages need no script.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.figures.compute import percent
from nlp.privacy import mask_pii

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
"""No script may run, nothing is framed, no link leaks the address (a sign-in link's token)
to another site, and no page with residents' data stays in a shared computer's cache."""


class Templates:
    """Renders the desk's templates in the deployment's time zone."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True),
            undefined=StrictUndefined,
        )
        self._env.filters["local"] = lambda moment: _local(moment, zone)
        self._env.filters["percent"] = percent
        self._env.filters["minutes"] = _minutes
        self._env.filters["masked"] = mask_pii
        self._env.globals["zip"] = zip

    def render(self, name: str, status: int = 200, **values: Any) -> web.Response:
        html = self._env.get_template(name).render(**values)
        response = web.Response(text=html, status=status, content_type="text/html")
        response.headers.update(SECURITY_HEADERS)
        return response


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return "" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _minutes(minutes: float | None) -> str:
    """``25分钟``, ``2小时5分``, ``1天3小时``; ``—`` when nothing was measured."""
    if minutes is None:
        return "—"
    days, rest = divmod(round(minutes), 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时{mins}分" if mins else f"{hours}小时"
    return f"{mins}分钟"
