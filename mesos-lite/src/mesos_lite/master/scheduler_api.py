"""`POST /api/v1/scheduler`: the leader check, the call's parsing, and the framework and
stream a non-SUBSCRIBE call must name; SUBSCRIBE goes to scheduler_subscription.py, the
other calls to scheduler_calls.py."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mesos_lite.authentication import MASTER_SCHEDULER_PATHS, HttpSecurity, principal_of
from mesos_lite.httpd import JSON, CallError, read_call, response_media_type
from mesos_lite.master.master import Master
from mesos_lite.master.model import Framework
from mesos_lite.master.offer_acceptance import OfferAcceptance
from mesos_lite.master.scheduler_call_parsing import parse_call, principal_mismatch
from mesos_lite.master.scheduler_calls import SchedulerCalls
from mesos_lite.master.scheduler_subscription import SchedulerSubscription
from mesos_lite.protocol import value_of


class SchedulerApi:
    def __init__(self, master: Master, security: HttpSecurity | None = None) -> None:
        self.master = master
        authorizer = security.authorizer if security else None
        self.subscription = SchedulerSubscription(master, authorizer)
        self.calls = SchedulerCalls(master, OfferAcceptance(master, authorizer))

    def routes(self) -> list[web.RouteDef]:
        return [web.route("*", path, self.handle) for path in sorted(MASTER_SCHEDULER_PATHS)]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self.master.elected:
            raise await self.master.leadership.redirect_to_current_leader(request.path_qs)
        body = await read_call(request, "Call", "SchedulerCall")
        call_type = parse_call(body)
        if call_type == "SUBSCRIBE":
            if "Mesos-Stream-Id" in request.headers:
                raise CallError(
                    400, "Subscribe calls should not include the 'Mesos-Stream-Id' header"
                )
            return await self.subscription.subscribe(request, body)
        # Mesos negotiates the answer's type before it looks the framework up.
        media_type = JSON
        if call_type == "RECONCILE_OPERATIONS":
            media_type = response_media_type(request)
        framework = self._framework_for(request, body)
        return self.calls.handle(call_type, framework, body, media_type)

    def _framework_for(self, request: web.Request, body: dict[str, Any]) -> Framework:
        framework_id = value_of(body, "framework_id") or ""
        framework = self.master.state.frameworks.get(framework_id)
        if framework is None:
            raise CallError(400, "Framework cannot be found")
        principal = principal_of(request)
        if principal is not None and principal != framework.info.get("principal", ""):
            raise CallError(400, principal_mismatch(principal, framework.info))
        if not framework.connected or framework.stream is None:
            raise CallError(403, "Framework is not subscribed")
        stream_id = request.headers.get("Mesos-Stream-Id")
        if stream_id is None:
            raise CallError(
                400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header"
            )
        if stream_id != framework.stream_id:
            raise CallError(
                400,
                f"The stream ID '{stream_id}' included in this request didn't "
                "match the stream ID currently associated with framework ID "
                f"{framework.id}",
            )
        return framework
