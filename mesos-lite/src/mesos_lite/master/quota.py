"""Quota (Mesos 1.11's master/quota.cpp, quota_handler.cpp and the hierarchical allocator's
quota handling): per-role guarantees and limits, kept in the registry as QuotaConfigs.

In the allocator (QuotaRound, once per allocation round):
- limits hold exactly: a role is never offered a scalar beyond its limit minus what it has
  offered and in use (offers are shrunk to fit, as Mesos's allocator shrinks them);
- guarantees are approximated: frameworks of roles short of their guarantees are offered
  first, and no role is offered unreserved scalars that the unsatisfied guarantees of other
  roles still need out of what is unallocated (Mesos's "required headroom"). Mesos also counts
  a role's unallocated reservations towards its consumption and allocates in two stages per
  agent; mesos-lite counts offered and used resources only.
Quota on nested roles is refused, as by Mesos 1.11, so the quota tree has one level.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mesos_lite.ids import role_problem
from mesos_lite.master.allocator import Allocator, QuotaRound
from mesos_lite.master.model import Framework
from mesos_lite.master.registry_keeper import RegistryKeeper
from mesos_lite.master.state import MasterState
from mesos_lite.protocol import framework_roles
from mesos_lite.resources import Resource, Resources

logger = logging.getLogger(__name__)

Quantities = dict[str, float]
EXABYTE_IN_MEGABYTES = 1024**4
ONE_TRILLION = 1000**4


class QuotaError(ValueError):
    """A call Mesos answers with 400 (or, where `status` says, another code)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def scalar_text(value: float) -> str:
    """A Value::Scalar as Mesos prints it (fixed-point thousandths, up to 15 digits)."""
    return f"{round(value, 3):.15g}"


def quantities_text(quantities: Quantities) -> str:
    """ResourceQuantities / ResourceLimits as Mesos prints them: `cpus:1; mem:1024`."""
    if not quantities:
        return "{}"
    return "; ".join(f"{name}:{scalar_text(quantities[name])}" for name in sorted(quantities))


def contains_quantities(have: Quantities, want: Quantities) -> bool:
    return all(have.get(name, 0.0) + 1e-9 >= value for name, value in want.items())


def within_limits(limits: Quantities, quantities: Quantities) -> bool:
    """ResourceLimits::contains: a name without a limit is unlimited."""
    return all(
        name not in limits or limits[name] + 1e-9 >= value for name, value in quantities.items()
    )


def _add(into: Quantities, more: Quantities) -> None:
    for name, value in more.items():
        into[name] = into.get(name, 0.0) + value


def scalars_of(resources: Resources, unreserved_only: bool = False) -> Quantities:
    quantities: Quantities = {}
    for item in resources:
        if item.kind == "SCALAR" and (not unreserved_only or item.role == "*"):
            quantities[item.name] = quantities.get(item.name, 0.0) + item.scalar
    return quantities


@dataclass
class Quota:
    guarantees: Quantities = field(default_factory=dict)
    limits: Quantities = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Quota:
        def quantities(key: str) -> Quantities:
            return {n: float(s["value"]) for n, s in config.get(key, {}).items()}

        return cls(quantities("guarantees"), quantities("limits"))

    def is_default(self) -> bool:
        return not self.guarantees and not self.limits

    def config_json(self, role: str) -> dict[str, Any]:
        config: dict[str, Any] = {"role": role}
        if self.guarantees:
            config["guarantees"] = {n: {"value": v} for n, v in self.guarantees.items()}
        if self.limits:
            config["limits"] = {n: {"value": v} for n, v in self.limits.items()}
        return config

    def info_json(self, role: str) -> dict[str, Any]:
        """The deprecated QuotaInfo GET_QUOTA still fills in."""
        info: dict[str, Any] = {"role": role}
        if self.guarantees:
            info["guarantee"] = [
                {"name": n, "type": "SCALAR", "scalar": {"value": v}}
                for n, v in self.guarantees.items()
            ]
        return info


# ----- quota::validate(QuotaConfig) -----
def _input_problem(value: float) -> str | None:
    """common::validation::validateInputScalarValue."""
    if math.isinf(value):
        return "Infinite values not supported"
    if math.isnan(value):
        return "NaN not supported"
    if value != 0 and abs(value) < 2.2250738585072014e-308:
        return "Subnormal values not supported"
    if value < 0:
        return "Negative values not supported"
    return None


def config_problem(config: dict[str, Any]) -> str | None:
    problem = role_problem(config["role"])
    if problem is not None:
        return f"Invalid 'QuotaConfig.role': {problem}"
    quota = Quota.from_config(config)
    for key, quantities in (("guarantees", quota.guarantees), ("limits", quota.limits)):
        for name, value in quantities.items():
            if name in ("mem", "disk"):
                if value > EXABYTE_IN_MEGABYTES:
                    return (
                        f"Invalid 'QuotaConfig.{key}': {{'{name}': {scalar_text(value)}}} is "
                        "invalid: values greater than 1 exabyte "
                        f"({EXABYTE_IN_MEGABYTES}) are not supported"
                    )
            elif value > ONE_TRILLION:
                return (
                    f"Invalid 'QuotaConfig.{key}': {{'{name}': {scalar_text(value)}}} is "
                    f"invalid: values greater than 1 trillion ({ONE_TRILLION}) are not supported"
                )
    for kind, quantities in (("guarantee", quota.guarantees), ("limit", quota.limits)):
        for name, value in quantities.items():
            problem = _input_problem(value)
            if problem is not None:
                return f"Invalid {kind} configuration {{'{name}': {scalar_text(value)}}}: {problem}"
    if not within_limits(quota.limits, quota.guarantees):
        return (
            f"'QuotaConfig.guarantees' {quantities_text(quota.guarantees)} is not contained "
            f"within the 'QuotaConfig.limits' {quantities_text(quota.limits)}"
        )
    return None


class Quotas:
    """The master's quotas (role -> Quota), the allocator's QuotaPolicy."""

    def __init__(self, state: MasterState, allocator: Allocator, registry: RegistryKeeper) -> None:
        self.state = state
        self.allocator = allocator
        self.registry = registry
        self.quotas: dict[str, Quota] = {}
        registry.parts.append(self)
        allocator.quota = self

    # ----- the registry -----
    def registry_sections(self) -> dict[str, Any]:
        return {"quota_configs": [q.config_json(r) for r, q in self.quotas.items()]}

    def recover_sections(self, sections: dict[str, Any]) -> None:
        self.quotas = {
            str(config["role"]): Quota.from_config(config)
            for config in sections.get("quota_configs", [])
        }

    # ----- what roles consume -----
    def consumed(self, role: str) -> Quantities:
        """What `role` uses (tasks; Mesos's consumedQuota, reservations aside)."""
        used: Quantities = {}
        for framework in self.state.frameworks.values():
            for task in framework.tasks.values():
                if task.role == role and not task.resources_recovered:
                    _add(used, scalars_of(task.resources))
        return used

    def offered(self, role: str) -> Quantities:
        offered: Quantities = {}
        for framework in self.state.frameworks.values():
            for offer in framework.offers.values():
                if offer.role == role:
                    _add(offered, scalars_of(offer.resources))
        return offered

    def capacity(self) -> Quantities:
        capacity: Quantities = {}
        for agent in self.state.agents.values():
            _add(capacity, scalars_of(agent.total))
        return capacity

    def total_guarantees(self, updated: dict[str, Quota]) -> Quantities:
        total: Quantities = {}
        for quota in {**self.quotas, **updated}.values():
            _add(total, quota.guarantees)
        return total

    # ----- changes -----
    async def update(self, updated: dict[str, Quota]) -> None:
        """Stores the (checked) quotas, then rescinds offers beyond the new limits and, for
        the new guarantees, offers made to other roles (QuotaHandler::_update)."""
        for role, quota in updated.items():
            if quota.is_default():
                self.quotas.pop(role, None)
            else:
                self.quotas[role] = quota
            logger.info(
                "Quota of role '%s': guarantees %s, limits %s",
                role,
                quantities_text(quota.guarantees),
                quantities_text(quota.limits),
            )
        await self.registry.persist_now()
        for role, quota in updated.items():
            self._rescind_for(role, quota)
        self.allocator.request_allocation()

    def _rescind_for(self, role: str, quota: Quota) -> None:
        consumed_and_offered = self.consumed(role)
        _add(consumed_and_offered, self.offered(role))
        offers = [o for f in self.state.frameworks.values() for o in f.offers.values()]
        for offer in [o for o in offers if o.role == role]:
            if within_limits(quota.limits, consumed_and_offered):
                break
            _add(consumed_and_offered, {n: -v for n, v in scalars_of(offer.resources).items()})
            self.allocator.rescind_offer(offer)
        rescinded: Quantities = dict(consumed_and_offered)
        for offer in [o for o in offers if o.role != role]:
            if contains_quantities(rescinded, quota.guarantees):
                break
            _add(rescinded, scalars_of(offer.resources))
            self.allocator.rescind_offer(offer)

    # ----- QuotaPolicy -----
    def start_round(self) -> QuotaRound | None:
        if not self.quotas:
            return None
        consumed: dict[str, Quantities] = {}
        for framework in self.state.frameworks.values():
            for offer in framework.offers.values():
                _add(consumed.setdefault(offer.role, {}), scalars_of(offer.resources))
            for task in framework.tasks.values():
                if not task.resources_recovered:
                    _add(consumed.setdefault(task.role, {}), scalars_of(task.resources))
        unallocated: Quantities = {}
        if any(q.guarantees for q in self.quotas.values()):
            for agent in self.state.agents.values():
                if agent.active and agent.connected:
                    _add(unallocated, scalars_of(agent.available(), unreserved_only=True))
        return _Round(self.quotas, consumed, unallocated)


class _Round:
    def __init__(
        self, quotas: dict[str, Quota], consumed: dict[str, Quantities], unallocated: Quantities
    ) -> None:
        self.quotas = quotas
        self.consumed = consumed
        self.unallocated = unallocated
        # role -> what it still lacks of its guarantees
        self.deficits: dict[str, Quantities] = {}
        for role, quota in quotas.items():
            used = consumed.get(role, {})
            lacking = {
                n: g - used.get(n, 0.0) for n, g in quota.guarantees.items() if g > used.get(n, 0)
            }
            if lacking:
                self.deficits[role] = lacking

    def rank(self, framework: Framework) -> int:
        return 0 if any(r in self.deficits for r in framework_roles(framework.info)) else 1

    def fit(self, role: str, resources: Resources) -> Resources:
        used = self.consumed.get(role, {})
        limits = {
            n: max(0.0, limit - used.get(n, 0.0))
            for n, limit in self.quotas.get(role, Quota()).limits.items()
        }
        headroom: Quantities = {}
        own = self.deficits.get(role, {})
        for lacking in self.deficits.values():
            _add(headroom, lacking)
        spare = {
            n: max(0.0, self.unallocated.get(n, 0.0) - (need - own.get(n, 0.0)))
            for n, need in headroom.items()
        }
        if not limits and not spare:
            return resources
        return Resources(_shrunk(resources, limits, spare))

    def book(self, role: str, resources: Resources) -> None:
        taken = scalars_of(resources)
        _add(self.consumed.setdefault(role, {}), taken)
        for name, value in scalars_of(resources, unreserved_only=True).items():
            self.unallocated[name] = self.unallocated.get(name, 0.0) - value
        lacking = self.deficits.get(role)
        if lacking is not None:
            for name, value in taken.items():
                if name in lacking:
                    lacking[name] -= value
                    if lacking[name] <= 1e-9:
                        del lacking[name]
            if not lacking:
                del self.deficits[role]


def _shrunk(resources: Resources, limits: Quantities, spare: Quantities) -> Iterable[Resource]:
    """`resources` with scalars cut to the role's remaining limits, and unreserved scalars to
    what the guarantees of other roles leave spare."""
    limits, spare = dict(limits), dict(spare)
    for item in resources:
        if item.kind != "SCALAR":
            yield item
            continue
        amount = min(item.scalar, limits.get(item.name, math.inf))
        if item.role == "*":
            amount = min(amount, spare.get(item.name, math.inf))
        if item.name in limits:
            limits[item.name] -= amount
        if item.role == "*" and item.name in spare:
            spare[item.name] -= amount
        if amount > 0:
            # Down to Mesos's fixed-point thousandths, never above the cap.
            yield dataclasses.replace(item, scalar=math.floor(amount * 1000 + 1e-6) / 1000)
