"""The master's HTTP endpoints for operators: health, version, redirect, flags, the
read-only state endpoints (bodies in state_json.py), /metrics/snapshot (metrics.py),
/master/teardown, the v1 operator API (operator_api.py) and the v0 maintenance, weights and
quota endpoints (v0_operator_endpoints.py)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mesos_lite.authentication import HttpSecurity, forbidden
from mesos_lite.build_info import version_info
from mesos_lite.httpd import CallError, json_response, json_text_response
from mesos_lite.master import state_json
from mesos_lite.master.master import Master
from mesos_lite.master.metrics import metrics_json
from mesos_lite.master.operator_api import OperatorApi
from mesos_lite.master.v0_operator_endpoints import V0OperatorEndpoints
from mesos_lite.master.view_filter import view_filter_for


class MasterEndpoints:
    def __init__(self, master: Master, security: HttpSecurity | None = None) -> None:
        self.master = master
        self.security = security or HttpSecurity(lambda path: None)
        self.operator_api = OperatorApi(master, self.security)
        self.v0_operator = V0OperatorEndpoints(master, self.operator_api.actions)

    def routes(self) -> list[web.RouteDef]:
        get = web.get
        return [
            get("/health", self.health),
            get("/master/health", self.health),
            get("/version", self.version),
            get("/master/state", self.state),
            get("/state", self.state),
            get("/master/state.json", self.state),
            get("/state.json", self.state),
            get("/master/state-summary", self.state_summary),
            get("/master/frameworks", self.frameworks),
            get("/frameworks", self.frameworks),
            get("/master/slaves", self.slaves),
            get("/slaves", self.slaves),
            get("/master/tasks", self.tasks),
            get("/tasks", self.tasks),
            get("/master/flags", self.flags),
            get("/flags", self.flags),
            get("/master/redirect", self.redirect),
            get("/redirect", self.redirect),
            get("/metrics/snapshot", self.metrics),
            web.route("*", "/master/teardown", self.teardown),
            web.route("*", "/teardown", self.teardown),
            web.route("*", "/api/v1", self.operator_api.handle),
            *self.operator_api.files.routes(),
            self.operator_api.logging_level.route(),
            *self.v0_operator.routes(),
        ]

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(status=200)

    async def version(self, request: web.Request) -> web.Response:
        return json_response(version_info())

    async def redirect(self, request: web.Request) -> web.Response:
        location = await self.master.leadership.current_leader_location()
        if location is None:
            return web.Response(status=503, text="No leader elected")
        return web.Response(status=307, headers={"Location": location})

    async def flags(self, request: web.Request) -> web.Response:
        if not self.security.approved(request, "view_flags", None):
            return forbidden()
        return json_response({"flags": self.master.config.flags})

    async def metrics(self, request: web.Request) -> web.Response:
        if not self.security.approved(request, "get_endpoints", "/metrics/snapshot"):
            return forbidden()
        return json_response(metrics_json(self.master))

    async def teardown(self, request: web.Request) -> web.Response:
        """POST /master/teardown with frameworkId=<id> (form-encoded body)."""
        if not self.master.elected:
            raise await self.master.leadership.redirect_to_current_leader(request.path_qs)
        if request.method != "POST":
            raise CallError(405, f"Expecting one of {{ 'POST' }}, but received '{request.method}'")
        form = await request.post()
        framework_id = form.get("frameworkId")
        if not isinstance(framework_id, str):
            raise CallError(400, "Missing 'frameworkId' query parameter in the request body")
        self.operator_api.teardown(request, framework_id)
        return web.Response(status=200)

    # ----- read-only state, filtered by the view_* ACLs -----
    async def _lead_or_redirect(self, request: web.Request) -> None:
        """What Mesos's state, state-summary, frameworks, slaves, tasks, roles and teardown
        handlers do first (src/master/http.cpp: `if (!master->elected()) return
        redirect(request);`): a master that does not lead sends the client to the leader,
        path and query kept; /health, /version, /flags, /metrics/snapshot answer anywhere."""
        leadership = self.master.leadership
        if not self.master.elected and not leadership.recovering:
            raise await leadership.redirect_to_current_leader(request.path_qs)

    async def state(self, request: web.Request) -> web.Response:
        await self._lead_or_redirect(request)
        view = view_filter_for(self.master.state, self.security, request)
        if view is None:
            return json_text_response(state_json.state_text(self.master))
        return json_response(view.master_json(state_json.state_json(self.master)))

    async def state_summary(self, request: web.Request) -> web.Response:
        await self._lead_or_redirect(request)
        return self._visible(request, state_json.state_summary_json(self.master))

    async def frameworks(self, request: web.Request) -> web.Response:
        await self._lead_or_redirect(request)
        state = self.master.state
        return self._visible(
            request,
            {
                "frameworks": [state_json.framework_json(f) for f in state.frameworks.values()],
                "completed_frameworks": [
                    state_json.framework_json(f) for f in state.completed_frameworks
                ],
                "unregistered_frameworks": [],
            },
        )

    async def slaves(self, request: web.Request) -> web.Response:
        await self._lead_or_redirect(request)
        return json_text_response(state_json.slaves_text(self.master))

    async def tasks(self, request: web.Request) -> web.Response:
        await self._lead_or_redirect(request)
        # As Mesos: what the principal may not view is gone before the query pages.
        visible = self._view(request, {"tasks": state_json.tasks_json(self.master.state)})
        return json_response(
            {"tasks": state_json.queried_tasks(visible["tasks"], request.query)}
        )

    def _visible(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        return json_response(self._view(request, body))

    def _view(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        """The body without what the view_* ACLs hide from this request's principal."""
        view = view_filter_for(self.master.state, self.security, request)
        return body if view is None else view.master_json(body)
