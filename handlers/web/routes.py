"""The web desk's routes: extract the request, call :mod:`bot.webdesk`, render a template.

``/login/<token>`` (the link the bot sends; GET shows a button, POST signs in, so a chat app
fetching the link for a preview never uses it up), ``/logout``, and under ``/desk`` the task
list with filters, a task's page and its actions, the unmasked contact, photos, the figures,
and the 台账 and weekly figures as Excel.
Every page outside the sign-in needs a session; every POST its CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web

from bot.desk.context import Context
from bot.desk.resolution import too_thin
from bot.domain import TaskStatus
from bot.webdesk.attempts import FailedSignIns
from bot.webdesk.exports import export_days, unmasked_for, workbook
from bot.webdesk.filters import read_filters
from bot.webdesk.pages import Pages
from bot.webdesk.presses import Presses
from bot.webdesk.signin import SignIn
from bot.webdesk.viewers import unit_choices
from bot.webdesk.weekly import weekly_figures
from handlers.web.charts import rate_charts
from handlers.web.guard import Guard, Visit
from handlers.web.rendering import HERE, SECURITY_HEADERS, Templates
from nlp.taxonomy import Category

TASKS = "/desk/tasks"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class WebDesk:
    """Everything the routes call; built by the composition root."""

    context: Context
    sign_in: SignIn
    guard: Guard
    pages: Pages
    presses: Presses
    attempts: FailedSignIns
    templates: Templates

    def routes(self) -> list[web.RouteDef]:
        css = (HERE / "static" / "desk.css").read_bytes()

        async def stylesheet(_: web.Request) -> web.Response:
            return web.Response(body=css, content_type="text/css")

        return [
            web.get("/static/desk.css", stylesheet),
            web.get("/login/{token}", self.login_page),
            web.post("/login/{token}", self.login),
            web.post("/logout", self.logout),
            web.get("/desk", self.home),
            web.get(TASKS, self.tasks),
            web.get(TASKS + "/{number}", self.task),
            web.post(TASKS + "/{number}/contact", self.contact),
            web.post(TASKS + "/{number}/{action}", self.act),
            web.get(TASKS + "/{number}/photos/{index:\\d+}", self.photo),
            web.get("/desk/figures", self.figures),
            web.get("/desk/export/{kind:ledger|figures}.xlsx", self.export),
        ]

    async def login_page(self, request: web.Request) -> web.Response:
        return self.templates.render("signin.html", token=request.match_info["token"])

    async def login(self, request: web.Request) -> web.StreamResponse:
        address = request.remote or ""
        if self.attempts.blocked(address):
            return self.templates.render("message.html", 429, message="too_many")
        viewer = await self.sign_in.redeem(request.match_info["token"])
        if viewer is None:
            self.attempts.failed(address)
            return self.templates.render("message.html", 403, message="bad_link")
        response = _see_other(TASKS)
        self.guard.sign_in(response, viewer.user_id)
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        visit, _ = await self.guard.posted(request)
        if visit is None:
            return self._refused()
        response = self.templates.render("message.html", message="signed_out")
        self.guard.sign_out(response)
        return response

    async def home(self, request: web.Request) -> web.StreamResponse:
        return _see_other(TASKS)

    async def tasks(self, request: web.Request) -> web.Response:
        visit = self.guard.visit(request)
        if visit is None:
            return self._unknown()
        ctx = self.context
        filters = read_filters(request.query, visit.viewer, ctx.org, ctx.clock(), ctx.timezone)
        found = await self.pages.tasks(filters.query)
        return self.templates.render(
            "tasks.html",
            visit=visit,
            filters=filters,
            tasks=found,
            units=unit_choices(ctx.org, visit.viewer),
            statuses=list(TaskStatus),
            categories=list(Category),
            org=ctx.org,
            now=ctx.clock(),
            may_export_contacts=unmasked_for(visit.viewer),
        )

    async def task(self, request: web.Request, said: str = "") -> web.Response:
        visit = self.guard.visit(request)
        if visit is None:
            return self._unknown()
        view = await self.pages.task(visit.viewer, request.match_info["number"])
        return self._task_page(visit, view, said)

    async def contact(self, request: web.Request) -> web.Response:
        visit, _ = await self.guard.posted(request)
        if visit is None:
            return self._refused()
        view = await self.pages.reveal(visit.viewer, request.match_info["number"])
        return self._task_page(visit, view, "")

    async def act(self, request: web.Request) -> web.Response:
        visit, form = await self.guard.posted(request)
        if visit is None:
            return self._refused()
        view = await self.pages.task(visit.viewer, request.match_info["number"])
        if view is None:
            return self._task_page(visit, None, "")
        task_id, viewer, presses = view.task.id, visit.viewer, self.presses
        match request.match_info["action"]:
            case "reassign":
                answer = await presses.reassign(viewer, task_id, form.get("to", ""))
            case "escalate":
                answer = await presses.escalate(viewer, task_id)
            case "recategorise":
                answer = await presses.recategorise(viewer, task_id, form.get("category", ""))
            case "merge":
                into = form.get("into", "")
                answer = await presses.merge(viewer, task_id, int(into) if into.isdigit() else 0)
            case "resolve" if form.get("confirm") != "1":  # first what the resident will read
                result = form.get("result", "").strip()
                said = too_thin(view.task, result) or ""
                preview = "" if said else result
                return self._task_page(visit, view, said, preview=preview, result=result)
            case "resolve":
                answer = await presses.resolve(viewer, task_id, form.get("result", ""))
            case _:
                raise web.HTTPNotFound()
        view = await self.pages.task(viewer, view.task.number)
        return self._task_page(visit, view, answer.text)

    async def photo(self, request: web.Request) -> web.Response:
        visit = self.guard.visit(request)
        if visit is None:
            return self._unknown()
        index = int(request.match_info["index"])
        found = await self.pages.photo(visit.viewer, request.match_info["number"], index)
        if found is None:
            raise web.HTTPNotFound()
        content, content_type = found
        response = web.Response(body=content, content_type=content_type)
        response.headers.update(SECURITY_HEADERS)
        return response

    async def figures(self, request: web.Request) -> web.Response:
        visit = self.guard.visit(request)
        if visit is None:
            return self._unknown()
        weekly = await weekly_figures(self.context, self.pages.store, visit.viewer)
        zone = self.context.timezone
        labels = [stats.window.since.astimezone(zone).strftime("%m-%d") for stats in weekly.weeks]
        charts = rate_charts(weekly.weeks, labels)
        return self.templates.render(
            "figures.html", visit=visit, weekly=weekly, labels=labels, charts=charts
        )

    async def export(self, request: web.Request) -> web.Response:
        """The 台账 or the weekly figures of the viewer's tasks as an .xlsx download (masked,
        unless the viewer may and asks for contacts: :mod:`bot.webdesk.exports`)."""
        visit = self.guard.visit(request)
        if visit is None:
            return self._unknown()
        today = self.context.clock().astimezone(self.context.timezone).date()
        query = request.query
        days = export_days(query.get("since", ""), query.get("until", ""), today)
        kind = request.match_info["kind"]
        contacts = query.get("contacts") == "1"
        content = await workbook(
            self.context, self.pages.store, visit.viewer, kind, days, contacts=contacts
        )
        name = f"{kind}-{days[0]:%Y%m%d}-{days[1] - timedelta(days=1):%Y%m%d}.xlsx"
        response = web.Response(body=content, content_type=XLSX)
        response.headers.update(SECURITY_HEADERS)
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def _task_page(
        self, visit: Visit, view: object, said: str, *, preview: str = "", result: str = ""
    ) -> web.Response:
        """A task's page; ``said``: the desk's answer to what was just done; ``preview``: a
        result to confirm before 办结 (``result``: the words in the form, kept to edit)."""
        if view is None:
            return self.templates.render("message.html", 404, message="not_found", visit=visit)
        return self.templates.render(
            "task.html", visit=visit, view=view, said=said, org=self.context.org,
            categories=list(Category), now=self.context.clock(), preview=preview, result=result,
        )  # fmt: skip

    def _unknown(self) -> web.Response:
        return self.templates.render("message.html", 401, message="sign_in")

    def _refused(self) -> web.Response:
        """A POST without a valid session and CSRF token: nothing was done."""
        return self.templates.render("message.html", 403, message="refused")


def _see_other(location: str) -> web.Response:
    response = web.Response(status=303, headers={"Location": location})
    response.headers.update(SECURITY_HEADERS)
    return response
