"""SUBSCRIBE: the scheduler's long-lived event stream (RecordIO, `Mesos-Stream-Id`), after
the principal and register_frameworks checks Mesos makes; the stream's end starts the
framework's failover timeout."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from mesos_lite.authentication import principal_of
from mesos_lite.authorization import Authorizer, register_denied_message
from mesos_lite.httpd import EventStream, response_media_type
from mesos_lite.ids import new_uuid
from mesos_lite.master.frameworks import error_event
from mesos_lite.master.master import Master
from mesos_lite.master.model import Framework
from mesos_lite.master.scheduler_call_parsing import (
    principal_mismatch,
    validate_error,
    validate_framework_info,
)
from mesos_lite.protocol import framework_roles, value_of

logger = logging.getLogger(__name__)


class SchedulerSubscription:
    def __init__(self, master: Master, authorizer: Authorizer | None) -> None:
        self.master = master
        self.authorizer = authorizer

    async def subscribe(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        info = validate_framework_info(body["subscribe"], body)
        principal = principal_of(request)
        if principal is not None:
            if "principal" in info and info["principal"] != principal:
                raise validate_error(principal_mismatch(principal, info))
            if "principal" not in info:
                logger.warning(
                    "Setting 'principal' in FrameworkInfo to '%s' because the framework "
                    "authenticated with that principal but did not set it in FrameworkInfo",
                    principal,
                )
                info["principal"] = principal
        media_type = response_media_type(request)
        framework_id = value_of(info, "id")
        refusal = self._registration_refusal(info) or self._principal_change(info)
        if refusal is not None:
            logger.info(
                "Refusing subscription of framework '%s': %s", info.get("name", ""), refusal
            )
            return await _refuse(request, refusal, media_type)
        if framework_id is not None and self.master.state.is_completed_framework(framework_id):
            return await _refuse(request, "Framework has been removed", media_type)
        stream_id = new_uuid()
        stream = EventStream(request, {"Mesos-Stream-Id": stream_id}, media_type, "SchedulerEvent")
        stream.stream_id = stream_id  # type: ignore[attr-defined]
        holder: dict[str, Framework] = {}
        lifecycle = self.master.framework_lifecycle

        async def on_open() -> None:
            holder["framework"] = lifecycle.subscribe(info, stream)

        try:
            return await stream.serve(on_open)
        finally:
            framework = holder.get("framework")
            if framework is not None:
                lifecycle.disconnected(framework, stream)

    def _registration_refusal(self, info: dict[str, Any]) -> str | None:
        """register_frameworks: the framework's principal must be allowed all its roles."""
        if self.authorizer is None:
            return None
        roles = framework_roles(info)
        principal = info.get("principal")
        subject = principal if isinstance(principal, str) else None
        if self.authorizer.approved_all("register_frameworks", subject, roles):
            return None
        return register_denied_message(value_of(info, "id") or "", roles)

    def _principal_change(self, info: dict[str, Any]) -> str | None:
        """A known framework may not re-subscribe under another principal (Mesos's
        validateFrameworkSubscription), or anyone could take over its tasks."""
        known = self.master.state.frameworks.get(value_of(info, "id") or "")
        if known is None or known.info.get("principal") == info.get("principal"):
            return None
        logger.warning(
            "Framework %s which had a principal '%s' tried to (re)subscribe with a new "
            "principal '%s'",
            known.id,
            known.info.get("principal", "<NONE>"),
            info.get("principal", "<NONE>"),
        )
        return "Changing framework's principal is not allowed."


async def _refuse(request: web.Request, message: str, media_type: str) -> web.StreamResponse:
    """Mesos answers a refused SUBSCRIBE with a stream holding one ERROR event."""
    stream = EventStream(request, None, media_type, "SchedulerEvent")
    stream.send(error_event(message))
    stream.close()
    return await stream.serve()
