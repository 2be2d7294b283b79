"""Role weights (Mesos's master/weights.cpp and weights_handler.cpp): GET_WEIGHTS and
UPDATE_WEIGHTS, kept in the registry (Registry.weights).

The allocator divides a framework's dominant share by its role's weight (default 1), so a
role of weight 2 is offered first until it holds twice the share of a role of weight 1.
Mesos's DRF sorts roles first and frameworks within each role; mesos-lite sorts frameworks
only, by their first role's weight: the same order while each role has one framework.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from mesos_lite.authentication import HttpSecurity
from mesos_lite.httpd import CallError, json_response
from mesos_lite.ids import role_problem
from mesos_lite.master.allocator import Allocator
from mesos_lite.master.operator_command import OperatorCommand, required
from mesos_lite.master.registry_keeper import RegistryKeeper
from mesos_lite.master.state import MasterState
from mesos_lite.protocol import framework_roles

logger = logging.getLogger(__name__)

PREFIX = "Failed to validate update weights request JSON"


class Weights:
    def __init__(self, state: MasterState, allocator: Allocator, registry: RegistryKeeper) -> None:
        self.state = state
        self.allocator = allocator
        self.registry = registry
        # role -> weight, as set by UPDATE_WEIGHTS
        self.weights: dict[str, float] = {}
        registry.parts.append(self)
        allocator.weights = self.weights

    def registry_sections(self) -> dict[str, Any]:
        return {"weights": [{"info": {"weight": w, "role": r}} for r, w in self.weights.items()]}

    def recover_sections(self, sections: dict[str, Any]) -> None:
        self.weights.clear()
        for entry in sections.get("weights", []):
            self.weights[str(entry["info"]["role"])] = float(entry["info"]["weight"])

    async def update(self, weights: dict[str, float]) -> None:
        self.weights.update(weights)
        logger.info("Updated weights: %s", ", ".join(f"{r}={w:g}" for r, w in weights.items()))
        await self.registry.persist_now()
        # As Mesos: if a role in use changed, offers are made again under the new weights.
        frameworks = list(self.state.frameworks.values())
        if any(set(framework_roles(f.info)) & set(weights) for f in frameworks):
            for framework in frameworks:
                self.allocator.rescind_framework_offers(framework, notify=True)
        self.allocator.request_allocation()


class WeightsCalls:
    def __init__(self, weights: Weights, security: HttpSecurity) -> None:
        self.weights = weights
        self.security = security

    def commands(self) -> dict[str, OperatorCommand]:
        return {"GET_WEIGHTS": self.get_weights, "UPDATE_WEIGHTS": self.update_weights}

    async def get_weights(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        infos = [
            {"weight": weight, "role": role}
            for role, weight in self.weights.weights.items()
            if self.security.approved(request, "view_roles", role)
        ]
        answer: dict[str, Any] = {"weight_infos": infos} if infos else {}
        return json_response({"type": "GET_WEIGHTS", "get_weights": answer})

    async def update_weights(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        updated: dict[str, float] = {}
        for info in required(body, "update_weights").get("weight_infos", []):
            role = str(info.get("role", "")).strip()
            problem = role_problem(role)
            if problem is not None:
                raise CallError(400, f"{PREFIX}: Invalid role '{role}': {problem}")
            weight = float(info["weight"])
            if weight <= 0:
                raise CallError(
                    400,
                    f"{PREFIX} for role '{role}': Invalid weight '{weight:g}': "
                    "Weights must be positive",
                )
            updated[role] = weight
        # With no role named, Mesos asks about no object (ANY).
        roles: list[str | None] = [*updated] or [None]
        if not all(self.security.approved(request, "update_weights", r) for r in roles):
            raise CallError(403, "")
        await self.weights.update(updated)
        return web.Response(status=200)
