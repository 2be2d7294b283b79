"""`POST /api/v1/scheduler`: parsing, validating and carrying out scheduler calls."""

from __future__ import annotations

import base64
import binascii
import logging
import uuid as uuidlib
from typing import Any

from aiohttp import web

from mesos_lite.authentication import HttpSecurity, principal_of
from mesos_lite.authorization import (
    register_denied_message,
    run_task_denied_message,
    task_user,
)
from mesos_lite.httpd import CallError, EventStream, accepts_json, read_json_call
from mesos_lite.ids import new_uuid
from mesos_lite.master.core import DEFAULT_REFUSE_SECONDS, Master
from mesos_lite.master.model import Agent, Framework, Offer, Task
from mesos_lite.protocol import framework_roles, is_partition_aware, value_of
from mesos_lite.resources import ResourceError, Resources, parse_resources_json

logger = logging.getLogger(__name__)

CALL_TYPES = frozenset(
    {
        "SUBSCRIBE",
        "TEARDOWN",
        "ACCEPT",
        "DECLINE",
        "ACCEPT_INVERSE_OFFERS",
        "DECLINE_INVERSE_OFFERS",
        "REVIVE",
        "KILL",
        "SHUTDOWN",
        "ACKNOWLEDGE",
        "ACKNOWLEDGE_OPERATION_STATUS",
        "RECONCILE",
        "RECONCILE_OPERATIONS",
        "MESSAGE",
        "REQUEST",
        "SUPPRESS",
        "UPDATE_FRAMEWORK",
        "UNKNOWN",
    }
)
# Call type -> the field that must carry its body (scheduler::call::validate).
CALL_BODIES = {
    "SUBSCRIBE": "subscribe",
    "ACCEPT": "accept",
    "DECLINE": "decline",
    "ACCEPT_INVERSE_OFFERS": "accept_inverse_offers",
    "DECLINE_INVERSE_OFFERS": "decline_inverse_offers",
    "KILL": "kill",
    "SHUTDOWN": "shutdown",
    "ACKNOWLEDGE": "acknowledge",
    "ACKNOWLEDGE_OPERATION_STATUS": "acknowledge_operation_status",
    "RECONCILE": "reconcile",
    "RECONCILE_OPERATIONS": "reconcile_operations",
    "MESSAGE": "message",
    "REQUEST": "request",
    "UPDATE_FRAMEWORK": "update_framework",
}
NOT_ACCEPTABLE = "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'"
PARSE_PREFIX = "Failed to convert JSON into Call protobuf: "
VALIDATE_PREFIX = "Failed to validate scheduler::Call: "


def _parse_error(message: str) -> CallError:
    return CallError(400, PARSE_PREFIX + message)


def _validate_error(message: str) -> CallError:
    return CallError(400, VALIDATE_PREFIX + message)


def _require_id(body: Any, field: str, where: str) -> str:
    value = value_of(body, field)
    if value is None:
        raise _parse_error(f"Missing required field '{where}{field}'")
    return value


def _require_dict(body: dict[str, Any], field: str) -> dict[str, Any]:
    inner = body.get(field)
    if inner is None:
        raise _validate_error(f"Expecting '{field}' to be present")
    if not isinstance(inner, dict):
        raise _parse_error(f"Field '{field}' must be a JSON object")
    return inner


def _list_field(body: dict[str, Any], field: str) -> list[Any]:
    inner = body.get(field, [])
    if not isinstance(inner, list):
        raise _parse_error(f"Field '{field}' must be a JSON array")
    return inner


def parse_call(body: dict[str, Any]) -> str:
    """The call's type after the checks Mesos's JSON parsing and validation make."""
    call_type = body.get("type")
    if call_type is None:
        raise _validate_error("Expecting 'type' to be present")
    if not isinstance(call_type, str) or call_type not in CALL_TYPES:
        raise _parse_error(f"Failed to find enum for '{call_type}'")
    field = CALL_BODIES.get(call_type)
    if field is not None:
        _require_dict(body, field)
    if call_type != "SUBSCRIBE":
        if body.get("framework_id") is None:
            raise _validate_error("Expecting 'framework_id' to be present")
        _require_id(body, "framework_id", "")
    return call_type


def _principal_mismatch(principal: str, info: dict[str, Any]) -> str:
    return (
        f"Authenticated principal '{principal}' does not match principal "
        f"'{info.get('principal', '')}' set in `FrameworkInfo`"
    )


def _validate_framework_info(subscribe: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    info = subscribe.get("framework_info")
    if not isinstance(info, dict):
        raise _parse_error("Missing required field 'subscribe.framework_info'")
    for required in ("user", "name"):
        if not isinstance(info.get(required), str):
            raise _parse_error(f"Missing required field 'subscribe.framework_info.{required}'")
    if "failover_timeout" in info and not isinstance(info["failover_timeout"], int | float):
        raise _parse_error("Field 'failover_timeout' must be a number")
    info_id = value_of(info, "id")
    call_id = value_of(body, "framework_id")
    if call_id is not None and info_id != call_id:
        raise _validate_error("'framework_id' differs from 'subscribe.framework_info.id'")
    if info_id is not None and call_id is None:
        raise _validate_error("'framework_id' differs from 'subscribe.framework_info.id'")
    for role in framework_roles(info):
        if role in (".", "..") or role.startswith("-") or any(c.isspace() for c in role):
            raise _validate_error(f"Role '{role}' is invalid")
    return info


class SchedulerApi:
    def __init__(self, master: Master, security: HttpSecurity | None = None) -> None:
        self.master = master
        self.security = security

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self.master.elected:
            raise await self.master.redirect_to_current_leader(request.path_qs)
        body = await read_json_call(request, "Call")
        call_type = parse_call(body)
        if call_type == "SUBSCRIBE":
            if "Mesos-Stream-Id" in request.headers:
                raise CallError(
                    400, "Subscribe calls should not include the 'Mesos-Stream-Id' header"
                )
            return await self._subscribe(request, body)
        framework = self._framework_for(request, body)
        handler = getattr(self, "_call_" + call_type.lower())
        result = handler(framework, body)
        if isinstance(result, web.StreamResponse):
            return result
        return web.Response(status=202)

    def _framework_for(self, request: web.Request, body: dict[str, Any]) -> Framework:
        framework_id = value_of(body, "framework_id") or ""
        framework = self.master.frameworks.get(framework_id)
        if framework is None:
            raise CallError(400, "Framework cannot be found")
        principal = principal_of(request)
        if principal is not None and principal != framework.info.get("principal", ""):
            raise CallError(400, _principal_mismatch(principal, framework.info))
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

    async def _subscribe(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        info = _validate_framework_info(body["subscribe"], body)
        principal = principal_of(request)
        if principal is not None:
            if "principal" in info and info["principal"] != principal:
                raise _validate_error(_principal_mismatch(principal, info))
            if "principal" not in info:
                logger.warning(
                    "Setting 'principal' in FrameworkInfo to '%s' because the framework "
                    "authenticated with that principal but did not set it in FrameworkInfo",
                    principal,
                )
                info["principal"] = principal
        if not accepts_json(request):
            raise CallError(406, NOT_ACCEPTABLE)
        framework_id = value_of(info, "id")
        refusal = self._registration_refusal(info) or self._principal_change(info)
        if refusal is not None:
            logger.info(
                "Refusing subscription of framework '%s': %s", info.get("name", ""), refusal
            )
            stream = EventStream(request)
            stream.send({"type": "ERROR", "error": {"message": refusal}})
            stream.close()
            return await stream.serve()
        if framework_id is not None and self.master.is_completed_framework(framework_id):
            stream = EventStream(request)
            stream.send({"type": "ERROR", "error": {"message": "Framework has been removed"}})
            stream.close()
            return await stream.serve()
        stream_id = new_uuid()
        stream = EventStream(request, {"Mesos-Stream-Id": stream_id})
        stream.stream_id = stream_id  # type: ignore[attr-defined]
        holder: dict[str, Framework] = {}

        async def on_open() -> None:
            holder["framework"] = self.master.subscribe(info, stream)

        try:
            return await stream.serve(on_open)
        finally:
            framework = holder.get("framework")
            if framework is not None:
                self.master.framework_disconnected(framework, stream)

    def _registration_refusal(self, info: dict[str, Any]) -> str | None:
        """register_frameworks: the framework's principal must be allowed all its roles."""
        authorizer = self.security.authorizer if self.security else None
        if authorizer is None:
            return None
        roles = framework_roles(info)
        principal = info.get("principal")
        subject = principal if isinstance(principal, str) else None
        if authorizer.approved_all("register_frameworks", subject, roles):
            return None
        return register_denied_message(value_of(info, "id") or "", roles)

    def _principal_change(self, info: dict[str, Any]) -> str | None:
        """A known framework may not re-subscribe under another principal (Mesos's
        validateFrameworkSubscription), or anyone could take over its tasks."""
        known = self.master.frameworks.get(value_of(info, "id") or "")
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

    def _unauthorized_task(self, framework: Framework, task_info: dict[str, Any]) -> str | None:
        """run_tasks: the denial message when the framework may not run the task's user."""
        authorizer = self.security.authorizer if self.security else None
        if authorizer is None:
            return None
        principal = framework.info.get("principal")
        user = task_user(task_info, str(framework.info.get("user", "")))
        if authorizer.approved(
            "run_tasks", principal if isinstance(principal, str) else None, user
        ):
            return None
        task_id = value_of(task_info, "task_id") or ""
        return run_task_denied_message(
            principal if isinstance(principal, str) else "", task_id, framework.id, user
        )

    # ----- calls; each returns None for "202 Accepted" -----
    def _call_teardown(self, framework: Framework, body: dict[str, Any]) -> None:
        self.master.remove_framework(framework)

    def _offers_of(self, framework: Framework, accept: dict[str, Any]) -> list[str]:
        ids = []
        for item in _list_field(accept, "offer_ids"):
            if not isinstance(item, dict) or not isinstance(item.get("value"), str):
                raise _parse_error('Offer ids must be {"value": string}')
            ids.append(item["value"])
        return ids

    def _refuse_seconds(self, call_body: dict[str, Any]) -> float:
        filters = call_body.get("filters") or {}
        if not isinstance(filters, dict):
            raise _parse_error("Field 'filters' must be a JSON object")
        value = filters.get("refuse_seconds", DEFAULT_REFUSE_SECONDS)
        if not isinstance(value, int | float):
            raise _parse_error("Field 'refuse_seconds' must be a number")
        return float(value)

    def _call_decline(self, framework: Framework, body: dict[str, Any]) -> None:
        decline = body["decline"]
        refuse = self._refuse_seconds(decline)
        for offer_id in self._offers_of(framework, decline):
            offer = self.master.take_offer(framework, offer_id)
            if offer is None:
                logger.info("Ignoring decline of unknown offer %s", offer_id)
                continue
            self.master.add_filter(framework, offer.agent_id, offer.resources, refuse)
            self.master.request_allocation()

    def _call_accept(self, framework: Framework, body: dict[str, Any]) -> None:
        accept = body["accept"]
        refuse = self._refuse_seconds(accept)
        offer_ids = self._offers_of(framework, accept)
        operations = _list_field(accept, "operations")
        launches = self._parse_operations(operations)

        offers: list[Offer] = []
        invalid: str | None = None
        if not offer_ids:
            invalid = "No offers specified"
        for offer_id in offer_ids:
            offer = framework.offers.get(offer_id)
            if offer is None:
                invalid = f"Offer {offer_id} is no longer valid"
                continue
            offers.append(offer)
        if invalid is None and len({o.agent_id for o in offers}) > 1:
            invalid = "Aggregated offers must belong to one single agent"
        taken = [self.master.take_offer(framework, o.id) for o in offers]
        available = Resources()
        for offer in taken:
            if offer is not None:
                available = available + offer.resources
        agent = self.master.agents.get(offers[0].agent_id) if offers else None
        if invalid is not None or agent is None:
            reason_message = invalid or "Agent is not available"
            state = "TASK_DROPPED" if is_partition_aware(framework.info) else "TASK_LOST"
            for task_infos, _executor, _group in launches:
                for task_info in task_infos:
                    self.master.send_master_update(
                        framework,
                        value_of(task_info, "task_id") or "",
                        state,
                        "REASON_INVALID_OFFERS",
                        "Task launched with invalid offers: " + reason_message,
                        value_of(task_info, "agent_id"),
                    )
            self.master.request_allocation()
            return

        for task_infos, executor_info, is_group in launches:
            available = self._launch(
                framework, agent, available, task_infos, executor_info, is_group
            )
        if available:
            self.master.add_filter(framework, agent.id, available, refuse)
        self.master.request_allocation()

    def _parse_operations(
        self, operations: list[Any]
    ) -> list[tuple[list[dict[str, Any]], dict[str, Any] | None, bool]]:
        launches: list[tuple[list[dict[str, Any]], dict[str, Any] | None, bool]] = []
        for index, operation in enumerate(operations):
            if not isinstance(operation, dict):
                raise _parse_error("Operations must be JSON objects")
            kind = operation.get("type")
            if kind == "LAUNCH":
                launch = operation.get("launch")
                if not isinstance(launch, dict):
                    raise _validate_error("Expecting 'launch' to be present")
                tasks = _list_field(launch, "task_infos")
                for position, task in enumerate(tasks):
                    self._check_task_fields(
                        task, f"accept.operations[{index}].launch.task_infos[{position}]."
                    )
                launches.append((tasks, None, False))
            elif kind == "LAUNCH_GROUP":
                group = operation.get("launch_group")
                if not isinstance(group, dict) or not isinstance(group.get("executor"), dict):
                    raise _validate_error("Expecting 'launch_group' with an executor")
                task_group = group.get("task_group")
                if not isinstance(task_group, dict):
                    raise _parse_error("Missing required field 'launch_group.task_group'")
                tasks = _list_field(task_group, "tasks")
                for position, task in enumerate(tasks):
                    self._check_task_fields(
                        task,
                        f"accept.operations[{index}].launch_group.task_group.tasks[{position}].",
                    )
                launches.append((tasks, group["executor"], True))
            elif kind in (
                "RESERVE",
                "UNRESERVE",
                "CREATE",
                "DESTROY",
                "GROW_VOLUME",
                "SHRINK_VOLUME",
                "CREATE_DISK",
                "DESTROY_DISK",
            ):
                logger.warning("Dropping unsupported offer operation %s", kind)
            else:
                raise _parse_error(f"Failed to find enum for '{kind}'")
        return launches

    @staticmethod
    def _check_task_fields(task: Any, where: str) -> None:
        if not isinstance(task, dict):
            raise _parse_error("Tasks must be JSON objects")
        if not isinstance(task.get("name"), str):
            raise _parse_error(f"Missing required field '{where}name'")
        _require_id(task, "task_id", where)
        _require_id(task, "agent_id", where)

    def _task_error(
        self, framework: Framework, task_info: dict[str, Any], agent: Agent, message: str
    ) -> None:
        self.master.send_master_update(
            framework,
            value_of(task_info, "task_id") or "",
            "TASK_ERROR",
            "REASON_TASK_INVALID",
            message,
            agent.id,
        )

    def _launch(
        self,
        framework: Framework,
        agent: Agent,
        available: Resources,
        task_infos: list[dict[str, Any]],
        executor_info: dict[str, Any] | None,
        is_group: bool,
    ) -> Resources:
        role = framework_roles(framework.info)[0]
        accepted: list[Task] = []
        if self._refused_unauthorized(framework, agent, task_infos, is_group):
            return available
        for task_info in task_infos:
            task_id = value_of(task_info, "task_id") or ""
            if not is_group:
                denial = self._unauthorized_task(framework, task_info)
                if denial is not None:
                    logger.info("Refusing task %s of framework %s: %s", task_id, framework.id,
                                denial)
                    self.master.send_master_update(
                        framework, task_id, "TASK_ERROR", "REASON_TASK_UNAUTHORIZED", denial,
                        agent.id
                    )
                    continue
            problem = self._task_problem(
                framework, agent, task_info, executor_info, is_group, available
            )
            if problem is None:
                resources = parse_resources_json(task_info.get("resources", []))
                executor = executor_info if is_group else task_info.get("executor")
                executor_resources = Resources()
                if (
                    isinstance(executor, dict)
                    and (framework.id, value_of(executor, "executor_id")) not in agent.executors
                    and not accepted
                ):
                    executor_resources = parse_resources_json(executor.get("resources", []))
                available = available - resources - executor_resources
                executor_id = None
                if isinstance(executor, dict):
                    executor_id = value_of(executor, "executor_id")
                    executor.setdefault("framework_id", {"value": framework.id})
                accepted.append(
                    Task(
                        info=task_info,
                        framework_id=framework.id,
                        agent_id=agent.id,
                        executor_id=executor_id or "",
                        resources=resources,
                        role=role,
                    )
                )
                continue
            if is_group:
                # A task group is all or nothing.
                for other in task_infos:
                    self._task_error(framework, other, agent, problem)
                return available
            self._task_error(framework, task_info, agent, problem)
            logger.info("Refusing task %s of framework %s: %s", task_id, framework.id, problem)
        if is_group and accepted and executor_info is not None:
            self.master.launch_group(framework, agent, accepted, executor_info)
        else:
            for task in accepted:
                executor = task.info.get("executor")
                self.master.launch(
                    framework, agent, task, executor if isinstance(executor, dict) else None, None
                )
        return available

    def _refused_unauthorized(
        self,
        framework: Framework,
        agent: Agent,
        task_infos: list[dict[str, Any]],
        is_group: bool,
    ) -> bool:
        """A task group is refused whole when any task is unauthorized (Mesos reports the
        last denial, worded as Mesos words it)."""
        if not is_group:
            return False
        error: str | None = None
        for task_info in task_infos:
            denial = self._unauthorized_task(framework, task_info)
            if denial is not None:
                task_id = value_of(task_info, "task_id") or ""
                action = denial.removeprefix("Not authorized to ")
                error = f"Task '{task_id}' is not authorized to{action}"
        if error is None:
            return False
        for task_info in task_infos:
            self.master.send_master_update(
                framework,
                value_of(task_info, "task_id") or "",
                "TASK_ERROR",
                "REASON_TASK_GROUP_UNAUTHORIZED",
                error,
                agent.id,
            )
        return True

    def _task_problem(
        self,
        framework: Framework,
        agent: Agent,
        task_info: dict[str, Any],
        executor_info: dict[str, Any] | None,
        is_group: bool,
        available: Resources,
    ) -> str | None:
        task_id = value_of(task_info, "task_id") or ""
        if not task_id:
            raise _parse_error("Task id must not be empty")
        if task_id in framework.tasks:
            return f"Task has duplicate ID: {task_id}"
        if value_of(task_info, "agent_id") != agent.id:
            return (
                f"Task uses agent ID {value_of(task_info, 'agent_id')} which does not match "
                f"the offered agent ID {agent.id}"
            )
        has_command = isinstance(task_info.get("command"), dict)
        has_executor = isinstance(task_info.get("executor"), dict)
        if is_group:
            if has_executor:
                return "'TaskInfo.executor' must not be set"
        elif has_command == has_executor:
            return (
                "Task should have at least one (but not both) of CommandInfo or ExecutorInfo "
                "present"
            )
        try:
            resources = parse_resources_json(task_info.get("resources", []))
            executor = executor_info if is_group else task_info.get("executor")
            executor_resources = Resources()
            if isinstance(executor, dict):
                if value_of(executor, "executor_id") is None:
                    return "Executor has no executor_id"
                if (framework.id, value_of(executor, "executor_id")) not in agent.executors:
                    executor_resources = parse_resources_json(executor.get("resources", []))
        except ResourceError as error:
            return f"Task uses invalid resources: {error}"
        if not resources and not executor_resources:
            return "Task uses no resources"
        needed = resources + executor_resources
        if not available.contains(needed):
            return (
                f"Total resources {needed.text()} required by task and its executor is more "
                f"than available {available.text()}"
            )
        return None

    def _call_revive(self, framework: Framework, body: dict[str, Any]) -> None:
        revive = body.get("revive") or {}
        roles = revive.get("roles", []) if isinstance(revive, dict) else []
        self.master.revive(framework, [str(r) for r in roles] if isinstance(roles, list) else [])

    def _call_suppress(self, framework: Framework, body: dict[str, Any]) -> None:
        suppress = body.get("suppress") or {}
        roles = suppress.get("roles", []) if isinstance(suppress, dict) else []
        self.master.suppress(framework, [str(r) for r in roles] if isinstance(roles, list) else [])

    def _call_kill(self, framework: Framework, body: dict[str, Any]) -> None:
        kill = body["kill"]
        task_id = _require_id(kill, "task_id", "kill.")
        policy = kill.get("kill_policy")
        self.master.kill(
            framework,
            task_id,
            value_of(kill, "agent_id"),
            policy if isinstance(policy, dict) else None,
        )

    def _call_shutdown(self, framework: Framework, body: dict[str, Any]) -> None:
        shutdown = body["shutdown"]
        executor_id = _require_id(shutdown, "executor_id", "shutdown.")
        agent_id = _require_id(shutdown, "agent_id", "shutdown.")
        self.master.shutdown_executor(framework, agent_id, executor_id)

    def _call_acknowledge(self, framework: Framework, body: dict[str, Any]) -> None:
        ack = body["acknowledge"]
        agent_id = _require_id(ack, "agent_id", "acknowledge.")
        task_id = _require_id(ack, "task_id", "acknowledge.")
        raw_uuid = ack.get("uuid")
        if not isinstance(raw_uuid, str):
            raise _parse_error("Missing required field 'acknowledge.uuid'")
        try:
            uuidlib.UUID(bytes=base64.b64decode(raw_uuid, validate=True))
        except (ValueError, binascii.Error):
            raise _validate_error("Failed to parse UUID: invalid bytes") from None
        self.master.acknowledge(framework, agent_id, task_id, raw_uuid)

    def _call_reconcile(self, framework: Framework, body: dict[str, Any]) -> None:
        tasks = []
        for item in _list_field(body["reconcile"], "tasks"):
            task_id = _require_id(item, "task_id", "reconcile.tasks[].")
            tasks.append((task_id, value_of(item, "agent_id")))
        self.master.reconcile(framework, tasks)

    def _call_message(self, framework: Framework, body: dict[str, Any]) -> None:
        message = body["message"]
        agent_id = _require_id(message, "agent_id", "message.")
        executor_id = _require_id(message, "executor_id", "message.")
        data = message.get("data")
        if not isinstance(data, str):
            raise _parse_error("Missing required field 'message.data'")
        try:
            base64.b64decode(data, validate=True)
        except (ValueError, binascii.Error):
            raise _parse_error("Field 'message.data' is not valid base64") from None
        self.master.framework_message_to_executor(framework, agent_id, executor_id, data)

    def _call_unknown(self, framework: Framework, body: dict[str, Any]) -> web.Response:
        logger.warning("Received 'UNKNOWN' call")
        return web.Response(status=501)

    def _call_request(self, framework: Framework, body: dict[str, Any]) -> None:
        logger.info(
            "Framework %s requested resources (ignored, as by Mesos's allocator)", framework.id
        )

    def _call_accept_inverse_offers(self, framework: Framework, body: dict[str, Any]) -> None:
        return None

    def _call_decline_inverse_offers(self, framework: Framework, body: dict[str, Any]) -> None:
        return None

    def _call_acknowledge_operation_status(
        self, framework: Framework, body: dict[str, Any]
    ) -> None:
        return None

    def _call_reconcile_operations(
        self, framework: Framework, body: dict[str, Any]
    ) -> web.Response:
        return web.json_response(
            {"type": "RECONCILE_OPERATIONS", "reconcile_operations": {"operation_statuses": []}}
        )

    def _call_update_framework(self, framework: Framework, body: dict[str, Any]) -> web.Response:
        update = body["update_framework"]
        info = update.get("framework_info")
        if not isinstance(info, dict):
            raise _parse_error("Missing required field 'update_framework.framework_info'")
        if value_of(info, "id") != framework.id:
            raise _validate_error("'framework_info.id' differs from 'framework_id'")
        framework.info = {**info}
        self.master.request_allocation()
        return web.Response(status=200)
