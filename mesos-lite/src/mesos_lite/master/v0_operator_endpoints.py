"""The master's pre-v1 operator endpoints for maintenance, weights and quota:
`/master/maintenance/schedule` (GET, POST), `/master/maintenance/status` (GET),
`/master/machine/down` and `/master/machine/up` (POST), `/master/weights` (GET, PUT) and the
deprecated `/master/quota` (GET, POST, DELETE /master/quota/<role>).

As in Mesos's master (http.cpp, quota_handler.cpp, weights_handler.cpp), each is the v1
call's handler behind another body: the endpoint parses its JSON into the v1 call's message
(the one validation layer checks it, as `::protobuf::parse` does in Mesos), runs the same
handler the operator API runs (maintenance_calls.py, quota_calls.py, weights.py) and answers
with the message itself rather than the v1 Response around it. A standby redirects to the
leader first.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from mesos_lite import validation
from mesos_lite.httpd import CallError, json_response
from mesos_lite.master.master import Master

Handler = Callable[[web.Request, dict[str, Any]], Awaitable[web.StreamResponse]]


class V0OperatorEndpoints:
    def __init__(self, master: Master, commands: dict[str, Handler]) -> None:
        self.master = master
        self.commands = commands

    def routes(self) -> list[web.RouteDef]:
        routes = []
        for path, handler in (
            ("/maintenance/schedule", self.maintenance_schedule),
            ("/maintenance/status", self.maintenance_status),
            ("/machine/down", self.machine_down),
            ("/machine/up", self.machine_up),
            ("/weights", self.weights),
            ("/quota", self.quota),
        ):
            routes.append(web.route("*", f"/master{path}", handler))
            routes.append(web.route("*", path, handler))
        return routes

    # ----- maintenance (Master::Http::maintenanceSchedule, machineDown/Up, status) -----
    async def maintenance_schedule(self, request: web.Request) -> web.StreamResponse:
        await self._lead(request, ("GET", "POST"))
        if request.method == "GET":
            return await self._answer(request, "GET_MAINTENANCE_SCHEDULE", "schedule")
        schedule = await self._parsed(request, dict, "Schedule")
        return await self._run(
            request, "UPDATE_MAINTENANCE_SCHEDULE", {"schedule": schedule}
        )

    async def maintenance_status(self, request: web.Request) -> web.StreamResponse:
        await self._lead(request, ("GET",))
        return await self._answer(request, "GET_MAINTENANCE_STATUS", "status")

    async def machine_down(self, request: web.Request) -> web.StreamResponse:
        await self._lead(request, ("POST",))
        machines = await self._parsed(request, list, "MachineID")
        return await self._run(request, "START_MAINTENANCE", {"machines": machines})

    async def machine_up(self, request: web.Request) -> web.StreamResponse:
        await self._lead(request, ("POST",))
        machines = await self._parsed(request, list, "MachineID")
        return await self._run(request, "STOP_MAINTENANCE", {"machines": machines})

    # ----- weights (Master::WeightsHandler) -----
    async def weights(self, request: web.Request) -> web.StreamResponse:
        await self._lead(request, ("GET", "PUT"))
        if request.method == "GET":
            return await self._answer(request, "GET_WEIGHTS", "weight_infos", default=[])
        body = (await request.read()).decode("utf-8", "replace")
        weight_infos = await self._parsed(
            request,
            list,
            "WeightInfo",
            convert_prefix=f"Failed to convert weights JSON array to protobuf '{body}': ",
            parse_prefix=f"Failed to parse update weights request JSON '{body}': ",
        )
        return await self._run(request, "UPDATE_WEIGHTS", {"weight_infos": weight_infos})

    # ----- quota, deprecated (Master::QuotaHandler) -----
    async def quota(self, request: web.Request) -> web.StreamResponse:
        await self._lead(request, ("GET", "POST", "DELETE"))
        if request.method == "GET":
            return await self._answer(request, "GET_QUOTA", "status")
        if request.method == "DELETE":
            # "/master/quota/<role>": a role may itself hold slashes (strings::tokenize, 3).
            parts = [p for p in request.path.split("/") if p]
            if parts and parts[0] != "master":
                parts.insert(0, "master")
            if len(parts) < 3:
                raise CallError(
                    400,
                    f"Failed to parse remove quota request for path '{request.path}': "
                    f"expected 3 tokens, found {len(parts)} tokens",
                )
            return await self._run(request, "REMOVE_QUOTA", {"role": "/".join(parts[2:])})
        body = (await request.read()).decode("utf-8", "replace")
        quota_request = await self._parsed(
            request,
            dict,
            "QuotaRequest",
            convert_prefix=f"Failed to validate set quota request JSON '{body}': ",
            parse_prefix=f"Failed to parse set quota request JSON '{body}': ",
        )
        return await self._run(request, "SET_QUOTA", {"quota_request": quota_request})

    # ----- the adapter -----
    async def _lead(self, request: web.Request, methods: tuple[str, ...]) -> None:
        if not self.master.elected:
            raise await self.master.leadership.redirect_to_current_leader(request.path_qs)
        if request.method not in methods:
            allowed = ", ".join(f"'{m}'" for m in methods)
            raise CallError(
                405, f"Expecting one of {{ {allowed} }}, but received '{request.method}'"
            )

    async def _parsed(
        self,
        request: web.Request,
        shape: type,
        message: str,
        convert_prefix: str = "",
        parse_prefix: str = "",
    ) -> Any:
        """The body as `message` (or a list of them when `shape` is list), checked by the
        validation layer; 400 with Mesos's texts otherwise."""
        raw = await request.read()
        try:
            body = validation.parse_json_value(raw)
        except validation.ParseError as error:
            raise CallError(400, f"{parse_prefix}{error}") from None
        if not isinstance(body, shape):
            expected = "array" if shape is list else "object"
            raise CallError(400, f"{parse_prefix}Expecting a JSON {expected}")
        try:
            for item in body if isinstance(body, list) else [body]:
                if not isinstance(item, dict):
                    raise validation.ValidateError(f"Expecting a JSON object, got {item!r}")
                validation.check_message(item, message)
        except (validation.ParseError, validation.ValidateError) as error:
            raise CallError(400, f"{convert_prefix}{error}") from None
        return body

    async def _run(
        self, request: web.Request, call_type: str, message: dict[str, Any]
    ) -> web.StreamResponse:
        call = {"type": call_type, call_type.lower(): message}
        return await self.commands[call_type](request, call)

    async def _answer(
        self, request: web.Request, call_type: str, field: str, default: Any = None
    ) -> web.StreamResponse:
        """The v1 query's answer, the message inside the Response (JSON::protobuf of it)."""
        response = await self.commands[call_type](request, {"type": call_type})
        if not isinstance(response, web.Response) or response.status != 200:
            return response
        assert isinstance(response.body, bytes)
        inner = json.loads(response.body)[call_type.lower()]
        return json_response(inner.get(field, {} if default is None else default))
