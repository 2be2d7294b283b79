"""How a run ended: whether the master refused us, what error to report, and the report."""

from __future__ import annotations

import re

from mesos_probe.scheduler_host.leader_lookup import (
    AuthenticationError,
    authentication_failed,
    check_scheduler_credentials,
)
from mesos_probe.scheduler_host.plan import RunPlan
from mesos_probe.scheduler_host.report import (
    EXIT_AUTHENTICATION,
    EXIT_AUTHORIZATION,
    RunReport,
    agent_result,
    missing_agent,
)
from mesos_probe.scheduler_host.scheduler import ProbeScheduler

# pymesos' only report of a refused SUBSCRIBE: RuntimeError("Failed with HTTP <code>: <body>").
REFUSED_SUBSCRIBE = re.compile(r"Failed with HTTP (\d{3})")


def refusal(
    plan: RunPlan, master: str, driver_failure: str | None, scheduler: ProbeScheduler
) -> tuple[int, str] | None:
    """(exit code, message) when the master refused who we are or what we asked."""
    refused = REFUSED_SUBSCRIBE.search(driver_failure or "")
    if refused and refused.group(1) == "401":
        return EXIT_AUTHENTICATION, str(authentication_failed(plan.principal, master))
    if driver_failure and not refused and scheduler.registrations == 0:
        # pymesos 0.3.15 can fail while formatting a refused SUBSCRIBE (a TypeError instead
        # of "Failed with HTTP 401"), so ask the master again ourselves.
        try:
            check_scheduler_credentials(master, 3.0, plan.principal, plan.secret)
        except AuthenticationError as error:
            return EXIT_AUTHENTICATION, str(error)
    who = f"principal '{plan.principal}'" if plan.principal else "no principal"
    if refused and refused.group(1) == "403":
        return EXIT_AUTHORIZATION, (
            f"the master at {master} refused to register framework '{plan.name}' "
            f"({who}, role '{','.join(plan.roles)}'): HTTP 403 Forbidden"
        )
    if scheduler.fatal_error is not None and scheduler.registrations == 0:
        # Mesos refuses a subscription it may not authorize with an ERROR event.
        return EXIT_AUTHORIZATION, (
            f"the master at {master} refused to register framework '{plan.name}' "
            f"({who}, role '{','.join(plan.roles)}'): {scheduler.fatal_error}"
        )
    return None


def run_error(
    plan: RunPlan,
    leader: str,
    driver_failure: str | None,
    scheduler: ProbeScheduler,
    refused: tuple[int, str] | None,
) -> str | None:
    """What stopped the run before every agent could finish, if anything did."""
    if refused is not None:
        return refused[1]
    if driver_failure:
        return f"the scheduler driver stopped: {driver_failure}"
    if scheduler.fatal_error:
        return f"the master ended the framework: {scheduler.fatal_error}"
    if scheduler.registrations == 0:
        return f"could not register with the master at {leader} within {plan.timeout:g}s"
    return None


def build_report(
    scheduler: ProbeScheduler,
    master: str,
    known_agents: dict[str, str],
    elapsed: float,
    timed_out: bool,
    error: str | None,
    interrupted: bool,
) -> RunReport:
    with scheduler.lock:
        placement = scheduler.placement
        slots = sorted(placement.slots.values(), key=lambda slot: (slot.hostname, slot.agent_id))
        rows = [agent_result(slot, timed_out) for slot in slots]
        room = placement.expected_agents - len(rows)
        unplaced = [agent for agent in known_agents if agent not in placement.slots]
        for agent_id in sorted(unplaced, key=lambda a: (known_agents[a], a))[: max(0, room)]:
            why = scheduler.unfit_agents.get(agent_id) or (
                "agent lost before a task was placed"
                if agent_id in scheduler.lost_agents
                else "no usable offer from this agent before the run ended"
            )
            rows.append(missing_agent(agent_id, known_agents[agent_id], why))
        offers = scheduler.offers
        return RunReport(
            run_id=placement.run_id,
            master=master,
            expected=placement.expected_agents,
            agents=rows,
            framework_id=scheduler.framework_id,
            elapsed_seconds=elapsed,
            timed_out=timed_out,
            error=error,
            interrupted=interrupted,
            offers={
                "received": offers.received,
                "launched": offers.launched,
                "declined": offers.declined,
                "duplicates": offers.duplicates,
                "rescinded": offers.rescinded,
            },
        )
