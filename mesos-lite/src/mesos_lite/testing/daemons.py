"""Starting one master or one agent on loopback.

The commands default to mesos-lite's; MESOS_MASTER_COMMAND / MESOS_AGENT_COMMAND point them
at other binaries (Apache Mesos's, say), which is why the agent gets the flags an Apache
Mesos agent needs to run unprivileged tasks on a plain host.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
from pathlib import Path

from mesos_lite.flag_catalog import MASTER_ONLY_FLAGS, SHARED_FLAGS
from mesos_lite.flags import load_flags
from mesos_lite.master import main as master_main
from mesos_lite.master.config import MasterConfig

from .network import free_port, wait_http_ok
from .processes import Daemon, command_path, resolve_command

MASTER_COMMAND = shlex.split(os.environ.get("MESOS_MASTER_COMMAND", "mesos-lite-master"))
AGENT_COMMAND = shlex.split(os.environ.get("MESOS_AGENT_COMMAND", "mesos-lite-agent"))
ENTRY_MODULES = ("mesos_lite.master.main", "mesos_lite.agent.main")
START_TIMEOUT = 30.0
# Flags every loopback agent gets: run tasks as this user, in process groups, without
# systemd (Apache Mesos would otherwise want root, cgroups and systemd).
PLAIN_HOST_AGENT_FLAGS = (
    "--no-switch_user",
    "--launcher=posix",
    "--isolation=posix/cpu,posix/mem",
    "--systemd_enable_support=false",
)


def cluster_available() -> bool:
    """The master and agent commands are installed and their modules import."""
    if command_path(MASTER_COMMAND[0]) is None or command_path(AGENT_COMMAND[0]) is None:
        return False
    try:
        return all(importlib.util.find_spec(name) is not None for name in ENTRY_MODULES)
    except ModuleNotFoundError:
        return False


def start_master(
    directory: Path,
    *flags: str,
    port: int | None = None,
    wait: bool = True,
    name: str | None = None,
) -> tuple[Daemon, int]:
    """A master on 127.0.0.1:`port` (a free one by default), its work directory
    `directory`/master (or /`name`) and its log `directory`/master-PORT.log (or `name`.log).
    With `wait`, returns once it answers /health."""
    port = port or free_port()
    directory.mkdir(parents=True, exist_ok=True)
    argv = [
        *resolve_command(MASTER_COMMAND),
        "--ip=127.0.0.1",
        f"--port={port}",
        "--hostname=127.0.0.1",
        f"--work_dir={directory / (name or 'master')}",
        *flags,
    ]
    log = directory / f"{name or f'master-{port}'}.log"
    daemon = Daemon(name or "master", argv, log)
    if wait:
        wait_http_ok(port, timeout=START_TIMEOUT, abort=daemon.exit_reason)
    return daemon, port


def master_config(*flags: str) -> MasterConfig:
    """The settings of a master on 127.0.0.1:5050 given `flags` (the master's own defaults for
    the rest, the environment ignored): for tests that build a master in-process."""
    argv = ["--ip=127.0.0.1", "--port=5050", *flags]
    known = {**SHARED_FLAGS, **MASTER_ONLY_FLAGS}
    loaded = load_flags(master_main.MASTER_FLAGS, known, master_main.MASTER_ALIASES, argv, {})
    return master_main.master_config(loaded)


def start_agent(
    directory: Path,
    master: str,
    *flags: str,
    port: int | None = None,
    wait: bool = True,
    name: str | None = None,
    hostname: str = "127.0.0.1",
    switch_user: bool = False,
) -> tuple[Daemon, int]:
    """An agent of `master` (host:port, a comma list or a zk:// URL) on 127.0.0.1:`port`,
    its work directory and log named `name` (agent-PORT by default) under `directory`.
    With `wait`, returns once it answers /health. With `switch_user` (as root) tasks run as
    their users (--switch_user instead of --no-switch_user)."""
    port = port or free_port()
    name = name or f"agent-{port}"
    directory.mkdir(parents=True, exist_ok=True)
    argv = [
        *resolve_command(AGENT_COMMAND),
        f"--master={master}",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--hostname={hostname}",
        f"--work_dir={directory / name}",
        *(f for f in PLAIN_HOST_AGENT_FLAGS if not (switch_user and f == "--no-switch_user")),
        *(["--switch_user"] if switch_user else []),
        *flags,
    ]
    daemon = Daemon(name, argv, directory / f"{name}.log")
    if wait:
        wait_http_ok(port, timeout=START_TIMEOUT, abort=daemon.exit_reason)
    return daemon, port
