"""The operator API's quota calls (Mesos 1.11's Master::QuotaHandler): GET_QUOTA,
UPDATE_QUOTA, and the deprecated SET_QUOTA and REMOVE_QUOTA Mesos 1.11 still answers.

Authorization as Mesos: GET_QUOTA shows the roles whose quota the principal may see
(`get_quotas` ACL, object the role); the other calls need `update_quotas` for every role they
change. Checks come in Mesos's order, each with its text."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mesos_lite.authentication import HttpSecurity
from mesos_lite.httpd import CallError, json_response
from mesos_lite.ids import role_problem
from mesos_lite.master.operator_command import OperatorCommand, required
from mesos_lite.master.quota import (
    Quota,
    Quotas,
    config_problem,
    contains_quantities,
    quantities_text,
    within_limits,
)

FORCE_HINT = "(use 'force' flag to bypass this check)"
SET_PREFIX = "Failed to validate set quota request: "


class QuotaCalls:
    def __init__(self, quotas: Quotas, security: HttpSecurity) -> None:
        self.quotas = quotas
        self.security = security

    def commands(self) -> dict[str, OperatorCommand]:
        return {
            "GET_QUOTA": self.get_quota,
            "UPDATE_QUOTA": self.update_quota,
            "SET_QUOTA": self.set_quota,
            "REMOVE_QUOTA": self.remove_quota,
        }

    async def get_quota(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        visible = [
            (role, quota)
            for role, quota in self.quotas.quotas.items()
            if self.security.approved(request, "get_quotas", role)
        ]
        status: dict[str, Any] = {}
        if visible:
            status["infos"] = [quota.info_json(role) for role, quota in visible]
            status["configs"] = [quota.config_json(role) for role, quota in visible]
        return json_response({"type": "GET_QUOTA", "get_quota": {"status": status}})

    async def update_quota(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        call = required(body, "update_quota")
        force = bool(call.get("force", False))
        configs: list[dict[str, Any]] = call.get("quota_configs", [])
        for config in configs:
            role = config["role"]
            if "/" in role:
                raise CallError(400, f"Updating quota on nested role '{role}' is not supported yet")
            problem = config_problem(config)
            if problem is not None:
                raise CallError(400, f"Invalid QuotaConfig: {problem}")
        updated = {config["role"]: Quota.from_config(config) for config in configs}
        for role, quota in updated.items():
            consumed = self.quotas.consumed(role)
            if not within_limits(quota.limits, consumed) and not force:
                raise CallError(
                    400,
                    f"Invalid QuotaConfig: Role '{role}' is already consuming "
                    f"'{quantities_text(consumed)}'; this is more than the requested limits "
                    f"'{quantities_text(quota.limits)}' {FORCE_HINT}",
                )
        guarantees = self.quotas.total_guarantees(updated)
        capacity = self.quotas.capacity()
        if not contains_quantities(capacity, guarantees) and not force:
            raise CallError(
                400,
                f"Invalid QuotaConfig: total quota guarantees '{quantities_text(guarantees)}' "
                f"exceed cluster capacity '{quantities_text(capacity)}' {FORCE_HINT}",
            )
        if not all(self.security.approved(request, "update_quotas", r) for r in updated):
            raise CallError(403, "")
        await self.quotas.update(updated)
        return web.Response(status=200)

    async def set_quota(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        quota_request = required(body, "set_quota")["quota_request"]
        role, guarantee = quota_request.get("role"), quota_request.get("guarantee", [])
        problem = _quota_info_problem(role, guarantee)
        if problem is not None:
            raise CallError(400, SET_PREFIX + problem)
        assert role is not None  # _quota_info_problem refuses a missing role
        if role in self.quotas.quotas:
            raise CallError(
                400, f"{SET_PREFIX}Cannot set quota for role '{role}' which already has quota"
            )
        if "/" in role:
            raise CallError(400, f"Setting quota on nested role '{role}' is not supported yet")
        if not self.security.approved(request, "update_quotas", role):
            raise CallError(403, "")
        quantities = {r["name"]: float(r["scalar"]["value"]) for r in guarantee}
        quota = Quota(dict(quantities), dict(quantities))
        if not quota_request.get("force", False):
            guarantees = self.quotas.total_guarantees({role: quota})
            capacity = self.quotas.capacity()
            if not contains_quantities(capacity, guarantees):
                raise CallError(
                    409,
                    "Quota guarantees overcommit the cluster (use 'force' to bypass this "
                    f"check): Total quota guarantees '{quantities_text(guarantees)}' exceed "
                    f"cluster capacity '{quantities_text(capacity)}'",
                )
        await self.quotas.update({role: quota})
        return web.Response(status=200)

    async def remove_quota(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        role = str(required(body, "remove_quota")["role"])
        if not self.security.approved(request, "update_quotas", role):
            raise CallError(403, "")
        if role not in self.quotas.quotas:
            raise CallError(400, f"Failed to remove quota: Role '{role}' has no quota set")
        await self.quotas.update({role: Quota()})
        return web.Response(status=200)


def _quota_info_problem(role: str | None, guarantee: list[dict[str, Any]]) -> str | None:
    """quota::validation::quotaInfo, on the QuotaInfo a SET_QUOTA request makes."""
    if role is None:
        return "QuotaInfo must specify a role"
    problem = role_problem(role)
    if problem is not None:
        return f"QuotaInfo with invalid role: {problem}"
    if not guarantee:
        return "QuotaInfo with empty 'guarantee'"
    names: set[str] = set()
    for resource in guarantee:
        if resource.get("reservations") or resource.get("role", "*") != "*":
            return "QuotaInfo must not contain any ReservationInfo"
        if resource["type"] != "SCALAR" or "scalar" not in resource:
            return "QuotaInfo must not include non-scalar resources"
        if resource["name"] in names:
            return f"QuotaInfo contains duplicate resource name '{resource['name']}'"
        names.add(resource["name"])
    return None
