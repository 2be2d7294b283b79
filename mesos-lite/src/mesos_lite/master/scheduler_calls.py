"""The scheduler calls other than SUBSCRIBE, each carried out on the master's parts.
A handler returns None for "202 Accepted", or the response to send instead."""

from __future__ import annotations

import base64
import binascii
import logging
import uuid as uuidlib
from collections.abc import Callable
from typing import Any

from aiohttp import web

from mesos_lite.httpd import call_response
from mesos_lite.master.master import Master
from mesos_lite.master.model import Framework
from mesos_lite.master.offer_acceptance import OfferAcceptance
from mesos_lite.master.scheduler_call_parsing import (
    list_field,
    offer_ids,
    parse_error,
    refuse_seconds,
    require_id,
    validate_error,
)
from mesos_lite.protocol import value_of

logger = logging.getLogger(__name__)

Handler = Callable[[Framework, dict[str, Any]], web.Response | None]


class SchedulerCalls:
    def __init__(self, master: Master, acceptance: OfferAcceptance) -> None:
        self.master = master
        self.handlers: dict[str, Handler] = {
            "TEARDOWN": self.teardown,
            "ACCEPT": acceptance.accept,
            "DECLINE": self.decline,
            "REVIVE": self.revive,
            "SUPPRESS": self.suppress,
            "KILL": self.kill,
            "SHUTDOWN": self.shutdown,
            "ACKNOWLEDGE": self.acknowledge,
            "RECONCILE": self.reconcile,
            "MESSAGE": self.message,
            "REQUEST": self.request,
            "UPDATE_FRAMEWORK": self.update_framework,
            "UNKNOWN": self.unknown,
            "ACCEPT_INVERSE_OFFERS": self.accept_inverse_offers,
            "DECLINE_INVERSE_OFFERS": self.decline_inverse_offers,
            # Operation feedback: accepted, nothing to do.
            "ACKNOWLEDGE_OPERATION_STATUS": _accepted,
        }

    def handle(
        self, call_type: str, framework: Framework, body: dict[str, Any], media_type: str
    ) -> web.Response:
        """The call's answer (`media_type`: the negotiated type of a RECONCILE_OPERATIONS
        response, the one call other than SUBSCRIBE that has a body)."""
        if call_type == "RECONCILE_OPERATIONS":
            # mesos-lite has no offer operations with feedback: none to report.
            response = {
                "type": "RECONCILE_OPERATIONS",
                "reconcile_operations": {"operation_statuses": []},
            }
            return call_response(response, media_type, "SchedulerResponse")
        result = self.handlers[call_type](framework, body)
        return web.Response(status=202) if result is None else result

    def teardown(self, framework: Framework, body: dict[str, Any]) -> None:
        self.master.framework_lifecycle.remove(framework)

    def decline(self, framework: Framework, body: dict[str, Any]) -> None:
        decline = body["decline"]
        refuse = refuse_seconds(decline)
        allocator = self.master.allocator
        for offer_id in offer_ids(decline):
            offer = allocator.take_offer(framework, offer_id)
            if offer is None:
                logger.info("Ignoring decline of unknown offer %s", offer_id)
                continue
            allocator.add_filter(framework, offer.agent_id, offer.resources, refuse)
            allocator.request_allocation()

    def accept_inverse_offers(self, framework: Framework, body: dict[str, Any]) -> None:
        self._answer_inverse_offers(framework, body.get("accept_inverse_offers"), "ACCEPT")

    def decline_inverse_offers(self, framework: Framework, body: dict[str, Any]) -> None:
        self._answer_inverse_offers(framework, body.get("decline_inverse_offers"), "DECLINE")

    def _answer_inverse_offers(self, framework: Framework, call: Any, answer: str) -> None:
        call = call if isinstance(call, dict) else {}
        ids = [item["value"] for item in call.get("inverse_offer_ids", [])]
        self.master.inverse_offers.respond(framework, ids, answer, call.get("filters", {}))

    def revive(self, framework: Framework, body: dict[str, Any]) -> None:
        self.master.allocator.revive(framework, _roles(body.get("revive")))

    def suppress(self, framework: Framework, body: dict[str, Any]) -> None:
        self.master.allocator.suppress(framework, _roles(body.get("suppress")))

    def kill(self, framework: Framework, body: dict[str, Any]) -> None:
        kill = body["kill"]
        task_id = require_id(kill, "task_id", "kill.")
        policy = kill.get("kill_policy")
        self.master.task_lifecycle.kill(
            framework,
            task_id,
            value_of(kill, "agent_id"),
            policy if isinstance(policy, dict) else None,
        )

    def shutdown(self, framework: Framework, body: dict[str, Any]) -> None:
        shutdown = body["shutdown"]
        executor_id = require_id(shutdown, "executor_id", "shutdown.")
        agent_id = require_id(shutdown, "agent_id", "shutdown.")
        self.master.executors.shutdown(framework, agent_id, executor_id)

    def acknowledge(self, framework: Framework, body: dict[str, Any]) -> None:
        ack = body["acknowledge"]
        agent_id = require_id(ack, "agent_id", "acknowledge.")
        task_id = require_id(ack, "task_id", "acknowledge.")
        raw_uuid = ack.get("uuid")
        if not isinstance(raw_uuid, str):
            raise parse_error("Missing required field 'acknowledge.uuid'")
        try:
            uuidlib.UUID(bytes=base64.b64decode(raw_uuid, validate=True))
        except (ValueError, binascii.Error):
            raise validate_error("Failed to parse UUID: invalid bytes") from None
        self.master.task_lifecycle.acknowledge(framework, agent_id, task_id, raw_uuid)

    def reconcile(self, framework: Framework, body: dict[str, Any]) -> None:
        tasks = []
        for item in list_field(body["reconcile"], "tasks"):
            task_id = require_id(item, "task_id", "reconcile.tasks[].")
            tasks.append((task_id, value_of(item, "agent_id")))
        self.master.task_lifecycle.reconcile(framework, tasks)

    def message(self, framework: Framework, body: dict[str, Any]) -> None:
        message = body["message"]
        agent_id = require_id(message, "agent_id", "message.")
        executor_id = require_id(message, "executor_id", "message.")
        data = message.get("data")
        if not isinstance(data, str):
            raise parse_error("Missing required field 'message.data'")
        try:
            base64.b64decode(data, validate=True)
        except (ValueError, binascii.Error):
            raise parse_error("Field 'message.data' is not valid base64") from None
        self.master.executors.message_to_executor(framework, agent_id, executor_id, data)

    def request(self, framework: Framework, body: dict[str, Any]) -> None:
        logger.info(
            "Framework %s requested resources (ignored, as by Mesos's allocator)", framework.id
        )

    def update_framework(self, framework: Framework, body: dict[str, Any]) -> web.Response:
        update = body["update_framework"]
        info = update.get("framework_info")
        if not isinstance(info, dict):
            raise parse_error("Missing required field 'update_framework.framework_info'")
        if value_of(info, "id") != framework.id:
            raise validate_error("'framework_info.id' differs from 'framework_id'")
        framework.info = {**info}
        self.master.allocator.request_allocation()
        return web.Response(status=200)

    def unknown(self, framework: Framework, body: dict[str, Any]) -> web.Response:
        logger.warning("Received 'UNKNOWN' call")
        return web.Response(status=501)


def _accepted(framework: Framework, body: dict[str, Any]) -> None:
    return None


def _roles(call_body: Any) -> list[str]:
    """The `roles` of a REVIVE or SUPPRESS (none: all the framework's roles)."""
    call_body = call_body or {}
    roles = call_body.get("roles", []) if isinstance(call_body, dict) else []
    return [str(r) for r in roles] if isinstance(roles, list) else []
