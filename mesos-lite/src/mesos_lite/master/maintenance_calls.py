"""The operator API's maintenance calls (Mesos's Master::Http maintenance handlers):
GET_MAINTENANCE_SCHEDULE, UPDATE_MAINTENANCE_SCHEDULE, GET_MAINTENANCE_STATUS,
START_MAINTENANCE, STOP_MAINTENANCE.

The validation layer has checked each body against master::Call; here come Mesos's
maintenance checks (400 with its texts) and its authorization: the maintenance ACLs take no
object (only ANY or NONE machines), so a principal may update, start, stop or see all machines
or none. As in Mesos, a schedule or a list is checked before the principal is."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mesos_lite.authentication import HttpSecurity
from mesos_lite.httpd import CallError, json_response
from mesos_lite.master.maintenance import (
    DOWN,
    UP,
    Maintenance,
    MaintenanceError,
    validate_machines,
)
from mesos_lite.master.operator_command import OperatorCommand, required


class MaintenanceCalls:
    def __init__(self, maintenance: Maintenance, security: HttpSecurity) -> None:
        self.maintenance = maintenance
        self.security = security

    def commands(self) -> dict[str, OperatorCommand]:
        return {
            "GET_MAINTENANCE_SCHEDULE": self.get_schedule,
            "UPDATE_MAINTENANCE_SCHEDULE": self.update_schedule,
            "GET_MAINTENANCE_STATUS": self.get_status,
            "START_MAINTENANCE": self.start,
            "STOP_MAINTENANCE": self.stop,
        }

    async def get_schedule(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        allowed = self.security.approved(request, "get_maintenance_schedules", None)
        schedule = self.maintenance.schedule if allowed else {}
        return json_response(
            {
                "type": "GET_MAINTENANCE_SCHEDULE",
                "get_maintenance_schedule": {"schedule": schedule},
            }
        )

    async def update_schedule(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        schedule = required(body, "update_maintenance_schedule")["schedule"]
        try:
            self.maintenance.check_schedule(schedule)
        except MaintenanceError as error:
            raise CallError(400, str(error)) from None
        scheduled = any(window.get("machine_ids") for window in schedule.get("windows", []))
        if scheduled and not self.security.approved(request, "update_maintenance_schedules", None):
            raise CallError(403, "")
        await self.maintenance.update_schedule(schedule)
        return web.Response(status=200)

    async def get_status(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        allowed = self.security.approved(request, "get_maintenance_statuses", None)
        status = self.maintenance.cluster_status() if allowed else {}
        return json_response(
            {"type": "GET_MAINTENANCE_STATUS", "get_maintenance_status": {"status": status}}
        )

    async def start(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        machine_ids = self._checked(request, body, "start_maintenance", DOWN)
        await self.maintenance.start(machine_ids)
        return web.Response(status=200)

    async def stop(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        machine_ids = self._checked(request, body, "stop_maintenance", UP)
        await self.maintenance.stop(machine_ids)
        return web.Response(status=200)

    def _checked(
        self, request: web.Request, body: dict[str, Any], field: str, to_mode: str
    ) -> list[dict[str, Any]]:
        """The machines of a START/STOP_MAINTENANCE call, checked machine by machine in
        Mesos's order: the list, then each machine's mode, then the principal."""
        machine_ids: list[dict[str, Any]] = required(body, field).get("machines", [])
        action = "start_maintenances" if to_mode == DOWN else "stop_maintenances"
        allowed = self.security.approved(request, action, None)
        try:
            validate_machines(machine_ids)
            for machine_id in machine_ids:
                self.maintenance.check_transition(machine_id, to_mode)
                if not allowed:
                    raise CallError(403, "")
        except MaintenanceError as error:
            raise CallError(400, str(error)) from None
        return machine_ids
