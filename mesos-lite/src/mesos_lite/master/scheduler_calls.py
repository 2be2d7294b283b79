"""The scheduler calls other than SUBSCRIBE, each carried out on the master's parts.
A handler returns None for "202 Accepted", or the response to send instead."""

from __future__ import annotations

import base64
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
    id_value,
    offer_ids,
    refuse_seconds,
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
        self.master.task_lifecycle.kill(
            framework,
            id_value(kill, "task_id"),
            value_of(kill, "agent_id"),
            kill.get("kill_policy"),
        )

    def shutdown(self, framework: Framework, body: dict[str, Any]) -> None:
        shutdown = body["shutdown"]
        self.master.executors.shutdown(
            framework, id_value(shutdown, "agent_id"), id_value(shutdown, "executor_id")
        )

    def acknowledge(self, framework: Framework, body: dict[str, Any]) -> None:
        ack = body["acknowledge"]
        raw_uuid = str(ack["uuid"])  # base64, checked by the validation layer
        try:
            uuidlib.UUID(bytes=base64.b64decode(raw_uuid))
        except ValueError:
            raise validate_error("Failed to parse UUID: invalid bytes") from None
        self.master.task_lifecycle.acknowledge(
            framework, id_value(ack, "agent_id"), id_value(ack, "task_id"), raw_uuid
        )

    def reconcile(self, framework: Framework, body: dict[str, Any]) -> None:
        tasks = [
            (id_value(item, "task_id"), value_of(item, "agent_id"))
            for item in body["reconcile"].get("tasks", [])
        ]
        self.master.task_lifecycle.reconcile(framework, tasks)

    def message(self, framework: Framework, body: dict[str, Any]) -> None:
        message = body["message"]
        self.master.executors.message_to_executor(
            framework,
            id_value(message, "agent_id"),
            id_value(message, "executor_id"),
            str(message["data"]),
        )

    def request(self, framework: Framework, body: dict[str, Any]) -> None:
        logger.info(
            "Framework %s requested resources (ignored, as by Mesos's allocator)", framework.id
        )

    def update_framework(self, framework: Framework, body: dict[str, Any]) -> web.Response:
        info = body["update_framework"]["framework_info"]
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


def _roles(call_body: dict[str, Any] | None) -> list[str]:
    """The `roles` of a REVIVE or SUPPRESS (none: all the framework's roles)."""
    return list((call_body or {}).get("roles", []))
