"""The outcome of a run: per-agent rows, a summary, a table for people and JSON for tools."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mesos_probe.scheduler_host.placement import AgentSlot
from mesos_probe.scheduler_host.task_states import FINISHED

EXIT_OK = 0
EXIT_INCOMPLETE = 1
EXIT_USAGE = 2
EXIT_START = 3
EXIT_AUTHENTICATION = 4
EXIT_AUTHORIZATION = 5
EXIT_INTERRUPTED = 130

RESULT_WIDTH = 60
# The state of a row whose task finished with a result that did not come from its agent.
RESULT_REJECTED = "RESULT_REJECTED"


@dataclass
class AgentResult:
    agent_id: str
    hostname: str
    state: str
    attempts: int
    duration_seconds: float | None
    result: str | None
    failures: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None  # why this agent did not finish; None when it did

    @property
    def finished(self) -> bool:
        return self.state == FINISHED

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "hostname": self.hostname,
            "state": self.state,
            "attempts": self.attempts,
            "duration_seconds": (
                None if self.duration_seconds is None else round(self.duration_seconds, 3)
            ),
            "result": self.result,
            "failures": self.failures,
            "problem": self.problem,
        }


@dataclass
class RunReport:
    run_id: str
    master: str
    expected: int
    agents: list[AgentResult]
    framework_id: str | None = None
    elapsed_seconds: float = 0.0
    timed_out: bool = False
    error: str | None = None
    interrupted: bool = False
    offers: dict[str, int] = field(default_factory=dict)
    # Set when the run was stopped by something with its own exit code (authentication).
    failure_exit: int | None = None

    @property
    def finished(self) -> list[AgentResult]:
        return [agent for agent in self.agents if agent.finished]

    @property
    def failed(self) -> list[AgentResult]:
        return [agent for agent in self.agents if not agent.finished]

    @property
    def ok(self) -> bool:
        return (
            self.error is None
            and not self.interrupted
            and len(self.finished) >= self.expected
            and not self.failed
        )

    def exit_code(self) -> int:
        if self.failure_exit is not None:
            return self.failure_exit
        if self.ok:
            return EXIT_OK
        if self.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_INCOMPLETE

    def to_dict(self) -> dict[str, Any]:
        missing = max(0, self.expected - len(self.agents))
        return {
            "ok": self.ok,
            "run_id": self.run_id,
            "framework_id": self.framework_id,
            "master": self.master,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "agents": [agent.to_dict() for agent in self.agents],
            "summary": {
                "expected": self.expected,
                "finished": len(self.finished),
                "failed": max(0, self.expected - len(self.finished)),
                "missing": missing,
                "failed_agents": [
                    {"agent_id": a.agent_id, "hostname": a.hostname, "problem": a.problem}
                    for a in self.failed
                ],
                "timed_out": self.timed_out,
                "interrupted": self.interrupted,
                "error": self.error,
            },
            "offers": self.offers,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def table(self) -> str:
        header = ("AGENT", "HOSTNAME", "STATE", "ATTEMPTS", "DURATION", "RESULT")
        rows = [
            (
                agent.agent_id,
                agent.hostname,
                agent.state,
                str(agent.attempts),
                "-" if agent.duration_seconds is None else f"{agent.duration_seconds:.2f}s",
                summarize_result(agent.result) if agent.finished else (agent.problem or ""),
            )
            for agent in self.agents
        ]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        lines = [
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            for row in [header, *rows]
        ]
        return "\n".join(line.rstrip() for line in lines)

    def summary(self) -> str:
        text = (
            f"{len(self.finished)} of {self.expected} agents finished"
            f" in {self.elapsed_seconds:.1f}s"
        )
        if self.error:
            text += f"; error: {self.error}"
        if self.timed_out:
            text += "; timed out"
        if self.interrupted:
            text += "; interrupted"
        lines = [text]
        for agent in self.failed:
            lines.append(f"FAILED {agent.hostname or '?'} ({agent.agent_id}): {agent.problem}")
        missing = self.expected - len(self.agents)
        if missing > 0:
            lines.append(f"FAILED {missing} expected agent(s) never took a task")
        return "\n".join(lines)


def summarize_result(result: str | None, width: int = RESULT_WIDTH) -> str:
    if not result:
        return ""
    try:
        data = json.loads(result)
    except ValueError:
        data = None
    if isinstance(data, dict) and "exit_code" in data:
        first_line = str(data.get("stdout", "")).strip().splitlines()[:1] or [""]
        text = f"exit {data['exit_code']}: {first_line[0]}"
    elif isinstance(data, dict) and "kernel" in data:
        memory = data.get("memory") or {}
        load = data.get("load") or []
        text = (
            f"cpus={data.get('cpus')} mem={memory.get('total_mib')}MiB"
            f" load={load[0] if load else '?'} {data.get('kernel')}"
            f" py{(data.get('python') or {}).get('version', '?')}"
        )
    else:
        text = " ".join(result.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def rejected_result(slot: AgentSlot, result: str | None) -> str | None:
    """Why a finished task's result cannot be this agent's, or None when it checks out.

    The executor reports the agent id the agent put in its environment (`env_agent_id`)
    and the agent's own hostname (`hostname`); both must be those of the agent the task
    was placed on (its offer's agent id and hostname).
    """
    try:
        data = json.loads(result or "")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return "the result is not the executor's JSON report"
    problems = []
    env_agent_id = data.get("env_agent_id")
    if not env_agent_id:
        problems.append("it carries no agent id from the agent's environment")
    elif env_agent_id != slot.agent_id:
        problems.append(
            f"the agent's environment says agent {env_agent_id}, but the task was placed on"
            f" agent {slot.agent_id}"
        )
    hostname = data.get("hostname")
    if not hostname:
        problems.append("it carries no hostname")
    elif hostname != slot.hostname:
        problems.append(f"it names host {hostname}, but the task was placed on {slot.hostname}")
    if not problems:
        return None
    return "result rejected: " + "; ".join(problems)


def agent_result(slot: AgentSlot, timed_out: bool) -> AgentResult:
    done = slot.finished_attempt
    latest = slot.latest
    shown = done or latest
    state = shown.state if shown else "NOT_LAUNCHED"
    failures = [
        attempt.failure_record()
        for attempt in slot.attempts
        if attempt.state != FINISHED and attempt.ended_at is not None
    ]
    problem = None
    if done is not None:
        problem = rejected_result(slot, done.result)
        if problem is not None:
            state = RESULT_REJECTED
    elif slot.given_up and (latest is None or latest.ended_at is not None):
        problem = slot.given_up
    elif latest is None:
        problem = "no task was launched"
    elif latest.ended_at is None:
        problem = f"still {latest.state} when the run ended" + (" (timed out)" if timed_out else "")
    else:
        problem = (
            f"{latest.state} after {len(slot.attempts)} attempt(s)"
            f" (reason {latest.reason or '-'}: {latest.message or 'no message'})"
        )
    return AgentResult(
        agent_id=slot.agent_id,
        hostname=slot.hostname,
        state=state,
        attempts=len(slot.attempts),
        duration_seconds=shown.duration if shown else None,
        result=shown.result if shown else None,
        failures=failures,
        problem=problem,
    )


def missing_agent(agent_id: str, hostname: str, why: str) -> AgentResult:
    return AgentResult(
        agent_id=agent_id,
        hostname=hostname,
        state="NOT_LAUNCHED",
        attempts=0,
        duration_seconds=None,
        result=None,
        problem=why,
    )
