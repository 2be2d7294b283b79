"""`mesos-lite-master`: the Mesos master daemon."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from mesos_lite import MESOS_VERSION
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
from mesos_lite.flag_catalog import MASTER_ONLY_FLAGS
from mesos_lite.flags import Flag, LoadedFlags, flags_as_strings, warn_ignored
from mesos_lite.logs import MASTER_PROGRAM, setup_logging
from mesos_lite.master.agent_link import AgentLink
from mesos_lite.master.config import MasterConfig
from mesos_lite.master.endpoints import MasterEndpoints
from mesos_lite.master.master import Master
from mesos_lite.master.registrar import Registrar
from mesos_lite.master.registry import RegistryError
from mesos_lite.master.registry_store import open_store
from mesos_lite.master.scheduler_api import SchedulerApi
from mesos_lite.security_flags import (
    MASTER_SECURITY_ALIASES,
    MASTER_SECURITY_FLAGS,
    SecurityFlagError,
    master_security,
)
from mesos_lite.zookeeper import MasterContender, ZooKeeperUrl

logger = logging.getLogger(__name__)
PROGRAM = MASTER_PROGRAM
MIN_AGENT_REREGISTER_TIMEOUT = 600.0

MASTER_FLAGS = [
    *SHARED_IMPLEMENTED,
    *MASTER_SECURITY_FLAGS,
    Flag("port", "int", 5050, "Port to listen on"),
    Flag("zk", "secure", help="ZooKeeper URL for leader election: zk://host1:port1,.../path"),
    Flag("quorum", "int", help="Replicated log quorum (needed with --zk)"),
    Flag("work_dir", help="Where the master keeps its registry"),
    Flag("registry", "str", "replicated_log", "replicated_log or in_memory"),
    Flag("cluster", help="Human readable cluster name"),
    Flag("allocation_interval", "duration", 1.0, "Time between allocations"),
    Flag("offer_timeout", "duration", help="Rescind offers unused for this long"),
    Flag("agent_ping_timeout", "duration", 15.0, "Time to wait for an agent's pong"),
    Flag("max_agent_ping_timeouts", "int", 5, "Missed pings before an agent is unreachable"),
    Flag("agent_reregister_timeout", "duration", 600.0, "Agent re-registration after failover"),
    Flag("registry_fetch_timeout", "duration", 60.0, "Give up recovering the registry after"),
    Flag("registry_store_timeout", "duration", 20.0, "Give up writing the registry after"),
    Flag("registry_max_agent_age", "duration", 14 * 86400.0, "Forget unreachable agents after"),
    Flag("registry_max_agent_count", "int", 102400, "Unreachable agents kept at most"),
    Flag("max_completed_frameworks", "int", 50, "Completed frameworks kept in memory"),
    Flag("max_completed_tasks_per_framework", "int", 1000, "Completed tasks kept per framework"),
    Flag("roles", help="Deprecated: roles frameworks may subscribe with"),
]
MASTER_ALIASES = {
    **MASTER_SECURITY_ALIASES,
    "slave_ping_timeout": "agent_ping_timeout",
    "max_slave_ping_timeouts": "max_agent_ping_timeouts",
    "slave_reregister_timeout": "agent_reregister_timeout",
    "authenticate_slaves": "authenticate_agents",
    "slave_removal_rate_limit": "agent_removal_rate_limit",
    "recovery_slave_removal_limit": "recovery_agent_removal_limit",
    "max_executors_per_slave": "max_executors_per_agent",
}


def check_master_flags(flags: LoadedFlags) -> None:
    """Start-up checks Apache Mesos makes (same messages)."""
    if flags.registry not in ("replicated_log", "in_memory"):
        die(f"'{flags.registry}' is not a supported option for registry persistence")
    if flags.registry == "replicated_log":
        if not flags.work_dir:
            die("--work_dir needed for replicated log based registry")
        if flags.zk and flags.quorum is None:
            die("Need to specify --quorum for replicated log based registry when using ZooKeeper")
    if flags.quorum is not None and flags.quorum < 1:
        die("Flag 'quorum' must be at least 1")
    if flags.allocation_interval <= 0:
        die("Flag 'allocation_interval' must be positive")
    if not 0 < flags.port < 65536:
        die(f"Invalid port {flags.port}")
    if flags.agent_reregister_timeout <= 0:
        die("Flag 'agent_reregister_timeout' must be positive")


def warn_short_reregister_timeout(flags: LoadedFlags) -> None:
    """Apache Mesos refuses values below 10mins; mesos-lite takes them so tests run fast."""
    if flags.agent_reregister_timeout < MIN_AGENT_REREGISTER_TIMEOUT:
        logger.warning(
            "--agent_reregister_timeout=%gsecs is below Apache Mesos's minimum of 10mins "
            "(Mesos refuses to start with it); mesos-lite accepts it for tests",
            flags.agent_reregister_timeout,
        )


def build_master(flags: LoadedFlags) -> tuple[Master, web.Application]:
    try:
        security = master_security(flags)
    except SecurityFlagError as error:
        die(str(error))
    master = Master(master_config(flags))
    app = daemon_application(
        security.http,
        [
            *SchedulerApi(master, security.http).routes(),
            AgentLink(master, security).route(),
            *MasterEndpoints(master, security.http).routes(),
        ],
    )
    return master, app


def master_config(flags: LoadedFlags) -> MasterConfig:
    """The master's settings from its loaded flags."""
    bind_ip, advertise_ip = bind_and_advertise_ips(flags)
    return MasterConfig(
        ip=bind_ip,
        port=flags.port,
        hostname=resolve_hostname(flags, advertise_ip),
        advertise_ip=advertise_ip,
        advertise_port=flags.advertise_port or flags.port,
        cluster=flags.cluster,
        work_dir=flags.work_dir,
        log_dir=flags.log_dir,
        allocation_interval=flags.allocation_interval,
        offer_timeout=flags.offer_timeout,
        agent_ping_timeout=flags.agent_ping_timeout,
        max_agent_ping_timeouts=flags.max_agent_ping_timeouts,
        max_completed_frameworks=flags.max_completed_frameworks,
        max_completed_tasks_per_framework=flags.max_completed_tasks_per_framework,
        flags=flags_as_strings(MASTER_FLAGS, flags),
        agent_reregister_timeout=flags.agent_reregister_timeout,
        registry_max_agent_age=flags.registry_max_agent_age,
        registry_max_agent_count=flags.registry_max_agent_count,
    )


async def run(flags: LoadedFlags) -> int:
    master, app = build_master(flags)
    loop = asyncio.get_running_loop()
    contender: MasterContender | None = None
    zk_url = ZooKeeperUrl.parse(flags.zk) if flags.zk else None

    stopping = False

    def commit_suicide(message: str) -> None:
        """Mesos's EXIT(EXIT_FAILURE): exit at once, without a graceful shutdown (which could
        wait on ZooKeeper), so that the supervisor restarts the master promptly."""
        if stopping:
            logger.warning("%s (ignored: already shutting down)", message)
            return
        logger.error(message)
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(1)

    registrar = Registrar(
        open_store(flags.registry, flags.work_dir, zk_url, flags.zk_session_timeout, flags.quorum),
        on_failure=commit_suicide,
        fetch_timeout=flags.registry_fetch_timeout,
        store_timeout=flags.registry_store_timeout,
    )
    master.registry.registrar = registrar
    recovery: asyncio.Task[None] | None = None

    def leading() -> bool:
        """Elected, or elected and still recovering the registry."""
        return master.elected or recovery is not None

    async def recover_then_lead() -> None:
        logger.info("Recovering from registrar (%s)", registrar.store.description)
        try:
            state = await registrar.recover()
            master.registry.recover(state)
        except RegistryError as error:
            commit_suicide(f"Recovery failed: {error}")
            return
        master.leadership.become_leader()
        master.registry.persist()

    def on_leader(leading_now: bool, leader_info: dict[str, Any] | None) -> None:
        nonlocal recovery
        if stopping:
            return
        if leading_now:
            if leading():
                logger.info("Re-elected as the leading master")
                return
            logger.info("Elected as the leading master!")
            # Until the registry is recovered, callers get 503 rather than a redirect to the
            # previous leader.
            master.leadership.leader_info = None
            master.leadership.recovering = True
            recovery = loop.create_task(recover_then_lead())
        elif leading():
            commit_suicide(
                "Conceded leadership to another master... committing suicide!"
                if leader_info
                else "Lost leadership after indecisive election... committing suicide!"
            )
        else:
            if leader_info and leader_info != master.leadership.leader_info:
                logger.info(
                    "The newly elected leader is %s with id %s",
                    leader_info.get("pid"),
                    leader_info.get("id"),
                )
            master.leadership.leader_info = leader_info

    def on_candidacy_lost(reason: str) -> None:
        if leading():
            commit_suicide(f"Lost candidacy as a leader ({reason})... committing suicide!")
        else:
            logger.warning(
                "Lost candidacy as a follower (%s)... contending again once ZooKeeper is back",
                reason,
            )

    async def on_started() -> None:
        nonlocal contender
        if flags.work_dir:
            os.makedirs(flags.work_dir, exist_ok=True)
        logger.info(
            "mesos-lite master (Mesos %s API) %s listening on %s:%d",
            MESOS_VERSION,
            master.leadership.pid,
            master.config.ip,
            master.config.port,
        )
        master.start()
        if zk_url is not None:
            contender = MasterContender(
                zk_url, flags.zk_session_timeout, on_leader, on_candidacy_lost
            )
            master.leadership.leader_check = contender.leader_node_exists
            await asyncio.to_thread(contender.start, master.leadership.master_info())
        else:
            on_leader(True, None)

    async def on_stopping() -> None:
        # Stop leading first (503 to every call), then withdraw from ZooKeeper, and only
        # then close the streams: clients that reconnect must find the next leader, never
        # this master again.
        nonlocal stopping
        stopping = True
        master.leadership.resign()
        try:
            await asyncio.wait_for(registrar.flush(), timeout=2.0)
        except TimeoutError:
            logger.warning("The last registry update did not complete before exiting")
        if contender is not None:
            await asyncio.to_thread(contender.stop)
        await master.stop()
        await registrar.close()

    return await serve_until_signalled(
        app, master.config.ip, master.config.port, on_started, on_stopping
    )


# The cyclic garbage collector's thresholds (young, middle, full; Python's are 700, 10, 10).
# With 10,000 agents the master holds millions of objects, and each full collection walked all
# of them: 1.4 s during which no offer, state request or ACCEPT was served, several times a
# minute while the master was busy. Young collections come less often (most of the master's
# garbage is freed by reference counting: requests, events), full ones only after 100 middle
# ones; cyclic garbage is still collected, later.
GC_THRESHOLDS = (50_000, 20, 100)


def main(argv: Sequence[str] | None = None) -> None:
    flags = load_daemon_flags(PROGRAM, MASTER_FLAGS, MASTER_ONLY_FLAGS, MASTER_ALIASES, argv)
    check_master_flags(flags)
    if flags.zk:
        check_zk_url(flags.zk, "zk")
    setup_logging(PROGRAM, flags.log_dir, flags.logging_level, flags.quiet)
    warn_ignored(flags)
    warn_short_reregister_timeout(flags)
    gc.set_threshold(*GC_THRESHOLDS)
    code = asyncio.run(run(flags))
    # Everything that must outlive the master is done (registry written, streams ended,
    # ZooKeeper left): exit without freeing the heap object by object, which takes seconds
    # with 10,000 agents (Mesos's master exits as promptly).
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
