"""`mesos-lite-agent`: the Mesos agent daemon."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from mesos_lite import MESOS_VERSION
from mesos_lite.agent import checkpoint
from mesos_lite.agent.config import AgentConfig
from mesos_lite.agent.core import Agent
from mesos_lite.agent.endpoints import AgentEndpoints
from mesos_lite.agent.executor_api import ExecutorApi
from mesos_lite.daemon import (
    SHARED_IMPLEMENTED,
    bind_and_advertise_ips,
    check_zk_url,
    daemon_application,
    die,
    load_daemon_flags,
    resolve_hostname,
    serve_until_signalled,
)
from mesos_lite.flag_catalog import AGENT_ONLY_FLAGS
from mesos_lite.flags import Flag, LoadedFlags, flags_as_strings, warn_ignored
from mesos_lite.logs import AGENT_PROGRAM, setup_logging
from mesos_lite.resources import (
    ResourceError,
    Resources,
    parse_attributes,
    parse_resources,
)
from mesos_lite.security_flags import AGENT_SECURITY_FLAGS, SecurityFlagError, agent_security
from mesos_lite.zookeeper import MasterDetector, ZooKeeperUrl

logger = logging.getLogger(__name__)
PROGRAM = AGENT_PROGRAM

AGENT_FLAGS = [
    *SHARED_IMPLEMENTED,
    *AGENT_SECURITY_FLAGS,
    Flag("port", "int", 5051, "Port to listen on"),
    Flag("master", "secure", help="host:port, zk://host1:port1,.../path or file:///path"),
    Flag("work_dir", help="Where sandboxes and checkpointed state live"),
    Flag("resources", help="'cpus:2;mem:1024;disk:10000;ports:[31000-32000]' or JSON"),
    Flag("attributes", help="'rack:r1;zone:a'"),
    Flag("default_role", "str", "*", "Role of resources given without one"),
    Flag("containerizers", "str", "mesos", "Only 'mesos' (processes) is supported"),
    Flag("isolation", "str", "posix/cpu,posix/mem", "posix/* isolators only"),
    Flag("launcher", "str", "posix", "posix (process groups)"),
    Flag("executor_registration_timeout", "duration", 60.0, "Time for an executor to subscribe"),
    Flag("executor_shutdown_grace_period", "duration", 5.0, "Time between SHUTDOWN and kill"),
    Flag(
        "executor_reregistration_timeout",
        "duration",
        2.0,
        "Time for recovered executors to re-subscribe after an agent restart",
    ),
    Flag("executor_environment_variables", help="JSON object: the executors' whole environment"),
    Flag("switch_user", "bool", True, "Run executors as the framework's user (when root)"),
    Flag("reconfiguration_policy", "str", "equal", "equal or additive"),
    Flag("recover", "str", "reconnect", "reconnect or cleanup"),
    Flag("recovery_timeout", "duration", 900.0, "Time for executors to reconnect"),
    Flag("registration_backoff_factor", "duration", 1.0, "Registration retry backoff"),
    Flag("http_heartbeat_interval", "duration", 30.0, "Heartbeats to HTTP executors"),
    Flag("systemd_enable_support", "bool", True, "Accepted; executors are not systemd units"),
    Flag("strict", "bool", True, "Fail start-up on recovery errors"),
]
AGENT_ALIASES = {"slave_subsystems": "agent_subsystems"}
SUPPORTED_ISOLATORS = {
    "posix/cpu",
    "posix/mem",
    "posix/disk",
    "filesystem/posix",
    "cgroups/cpu",
    "cgroups/mem",
}


def detect_resources(work_dir: str) -> Resources:
    """What Mesos detects when --resources does not say: all cpus, memory and disk minus
    headroom (1GB or half of memory, 5GB or half of disk), ports 31000-32000."""
    cpus = float(os.cpu_count() or 1)
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        mem_mb = pages / 1024 / 1024
    except (ValueError, OSError):
        mem_mb = 1024.0
    mem = mem_mb - 1024 if mem_mb >= 2048 else mem_mb / 2
    disk_mb = shutil.disk_usage(work_dir).total / 1024 / 1024
    disk = disk_mb - 5120 if disk_mb >= 10240 else disk_mb / 2
    return parse_resources(f"cpus:{cpus:g};mem:{int(mem)};disk:{int(disk)};ports:[31000-32000]")


def agent_resources(flags: LoadedFlags) -> Resources:
    detected = detect_resources(flags.work_dir)
    if not flags.resources:
        return detected
    try:
        given = parse_resources(flags.resources, flags.default_role)
    except ResourceError as error:
        die(f"Failed to parse --resources: {error}")
    # Resources not named in --resources are detected, as in Mesos.
    named = {r.name for r in given}
    return given + Resources(r for r in detected if r.name not in named)


def check_agent_flags(flags: LoadedFlags) -> None:
    if not flags.master:
        die("Missing required option `--master` or `--master_detector`")
    if not flags.work_dir:
        die("Flag 'work_dir' is required, but it was not provided")
    if flags.reconfiguration_policy not in ("equal", "additive"):
        die(f"Unknown reconfiguration policy: '{flags.reconfiguration_policy}'")
    if flags.recover not in ("reconnect", "cleanup"):
        die(
            f"Unknown option for 'recover' flag {flags.recover}. Please run the agent with "
            "'--help' to see the valid options"
        )
    if flags.containerizers != "mesos":
        logger.warning(
            "--containerizers=%s: mesos-lite runs every executor as a process "
            "(the 'mesos' containerizer)",
            flags.containerizers,
        )
    unknown = [i for i in flags.isolation.split(",") if i and i not in SUPPORTED_ISOLATORS]
    if unknown:
        logger.warning("Isolators %s are not enforced by mesos-lite", ",".join(unknown))


def _executor_environment(flags: LoadedFlags) -> dict[str, str] | None:
    if not flags.executor_environment_variables:
        return None
    try:
        body = json.loads(flags.executor_environment_variables)
    except ValueError as error:
        die(f"Failed to load flag 'executor_environment_variables': {error}")
    if not isinstance(body, dict) or not all(isinstance(v, str) for v in body.values()):
        die(
            "Failed to load flag 'executor_environment_variables': expecting a JSON object "
            "of strings"
        )
    return {str(k): v for k, v in body.items()}


def build_agent(flags: LoadedFlags) -> tuple[Agent, web.Application]:
    try:
        security = agent_security(flags)
    except SecurityFlagError as error:
        die(str(error))
    os.makedirs(flags.work_dir, exist_ok=True)
    bind_ip, advertise_ip = bind_and_advertise_ips(flags)
    try:
        attributes = parse_attributes(flags.attributes or "")
    except ResourceError as error:
        die(f"Failed to parse --attributes: {error}")
    config = AgentConfig(
        ip=bind_ip,
        port=flags.port,
        advertise_ip=advertise_ip,
        advertise_port=flags.advertise_port or flags.port,
        hostname=resolve_hostname(flags, advertise_ip),
        work_dir=os.path.abspath(flags.work_dir),
        resources=agent_resources(flags),
        attributes=attributes,
        master=flags.master,
        executor_registration_timeout=flags.executor_registration_timeout,
        executor_shutdown_grace_period=flags.executor_shutdown_grace_period,
        switch_user=flags.switch_user,
        registration_backoff_factor=flags.registration_backoff_factor,
        zk_session_timeout=flags.zk_session_timeout,
        log_dir=flags.log_dir,
        http_heartbeat_interval=flags.http_heartbeat_interval,
        recovery_timeout=flags.recovery_timeout,
        executor_environment_variables=_executor_environment(flags),
        executor_reregistration_timeout=flags.executor_reregistration_timeout,
        flags=flags_as_strings(AGENT_FLAGS, flags),
        credential=security.credential,
    )
    agent_id = recover_agent_id(config, flags)
    checkpoint.checkpoint_boot_id(config.work_dir)
    agent = Agent(config, agent_id)
    executor_api = ExecutorApi(agent)
    app = daemon_application(
        security.http,
        [
            web.route("*", "/api/v1/executor", executor_api.handle),
            web.route("*", "/slave(1)/api/v1/executor", executor_api.handle),
            *AgentEndpoints(agent, security.http).routes(),
        ],
    )
    return agent, app


def recover_agent_id(config: AgentConfig, flags: LoadedFlags) -> str | None:
    """The checkpointed agent id, or None for a new agent; exits on incompatible changes."""
    if flags.recover == "cleanup":
        return None
    old = checkpoint.load_checkpointed_info(config.work_dir)
    if old is None:
        return None
    new: dict[str, Any] = {
        "hostname": config.hostname,
        "port": config.advertise_port,
        "resources": config.resources.to_json(),
        "attributes": config.attributes,
    }
    try:
        checkpoint.check_compatible(old, new, flags.reconfiguration_policy)
    except checkpoint.IncompatibleAgentInfoError as error:
        if not checkpoint.rebooted(config.work_dir):
            die(checkpoint.incompatible_message(config.work_dir, str(error)))
        # After a reboot Mesos starts as a new agent instead (and drops `latest`).
        logger.warning("Falling back to recover as a new agent due to error: %s", error)
        os.unlink(checkpoint.latest_link(config.work_dir))
        return None
    agent_id = old.get("id", {}).get("value") if isinstance(old.get("id"), dict) else None
    if agent_id:
        logger.info("Recovering agent %s from %s", agent_id, checkpoint.meta_dir(config.work_dir))
    return agent_id


def master_address(text: str) -> str:
    text = text.strip()
    if text.startswith("http://"):
        text = text[len("http://") :].rstrip("/")
    return text if ":" in text else f"{text}:5050"


async def run(flags: LoadedFlags) -> int:
    agent, app = build_agent(flags)
    detector: MasterDetector | None = None
    exit_code: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def exit_with_error(message: str) -> None:
        logger.error(message)
        if not exit_code.done():
            exit_code.set_result(1)

    def exit_on_request() -> None:
        if not exit_code.done():
            exit_code.set_result(0)

    agent.on_fatal_error = exit_with_error  # type: ignore[method-assign]
    agent.on_shutdown_requested = exit_on_request  # type: ignore[method-assign]

    async def on_started() -> None:
        nonlocal detector
        logger.info(
            "mesos-lite agent (Mesos %s API) %s listening on %s:%d with %s",
            MESOS_VERSION,
            agent.pid,
            agent.config.ip,
            agent.config.port,
            agent.config.resources.text(),
        )
        if flags.recover == "reconnect":
            agent.recover()
        agent.start()
        if flags.master.startswith("zk://"):
            detector = MasterDetector(
                ZooKeeperUrl.parse(flags.master), flags.zk_session_timeout, agent.set_master
            )
            await asyncio.to_thread(detector.start)
        else:
            agent.set_master(master_address(flags.master))

    async def on_stopping() -> None:
        await agent.stop()
        if detector is not None:
            await asyncio.to_thread(detector.stop)

    return await serve_until_signalled(
        app, agent.config.ip, agent.config.port, on_started, on_stopping, exit_code
    )


def main(argv: Sequence[str] | None = None) -> None:
    flags = load_daemon_flags(PROGRAM, AGENT_FLAGS, AGENT_ONLY_FLAGS, AGENT_ALIASES, argv)
    setup_logging(PROGRAM, flags.log_dir, flags.logging_level, flags.quiet)
    check_agent_flags(flags)
    if flags.master.startswith("zk://"):
        check_zk_url(flags.master, "master")
    warn_ignored(flags)
    raise SystemExit(asyncio.run(run(flags)))


if __name__ == "__main__":
    main()
