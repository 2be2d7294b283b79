"""A loopback Mesos cluster for tests and benchmarks: real ZooKeeper, mesos-lite (or Apache
Mesos) masters and agents as processes on 127.0.0.1, HA with supervised masters, process
groups stopped afterwards, readiness by polling.

Used by the mesos-lite suite, the framework's suite and bench/. The daemons never import it.

    from mesos_lite.testing import LoopbackCluster
    with LoopbackCluster.maybe(None, agents=3) as cluster: ...
"""

from .cluster import (
    QUICK_AGENT_FLAGS,
    QUICK_MASTER_FLAGS,
    ExternalCluster,
    LoopbackCluster,
    wait_for_agents,
)
from .daemons import (
    AGENT_COMMAND,
    MASTER_COMMAND,
    cluster_available,
    master_config,
    start_agent,
    start_master,
)
from .environment import (
    external_master_url,
    require_loopback,
    require_root,
    required_by,
    skip_or_fail,
)
from .ha_cluster import HACluster
from .network import free_port, get_json, unused_address, wait_http_ok, wait_until
from .processes import Daemon, SupervisedProcess, command_path, resolve_command
from .scheduler_run import (
    LeaderKillOutcome,
    SchedulerRun,
    kill_leader_during,
    wait_for_running_tasks,
)
from .zookeeper import (
    ZOOKEEPER_JAR,
    ZooKeeperServer,
    require_zookeeper,
    running_zookeeper,
    zookeeper_available,
    zookeeper_missing,
)

__all__ = [
    "AGENT_COMMAND",
    "MASTER_COMMAND",
    "QUICK_AGENT_FLAGS",
    "QUICK_MASTER_FLAGS",
    "ZOOKEEPER_JAR",
    "Daemon",
    "ExternalCluster",
    "HACluster",
    "LeaderKillOutcome",
    "LoopbackCluster",
    "SchedulerRun",
    "SupervisedProcess",
    "ZooKeeperServer",
    "cluster_available",
    "command_path",
    "external_master_url",
    "free_port",
    "get_json",
    "kill_leader_during",
    "master_config",
    "require_loopback",
    "require_root",
    "require_zookeeper",
    "required_by",
    "resolve_command",
    "running_zookeeper",
    "skip_or_fail",
    "start_agent",
    "start_master",
    "unused_address",
    "wait_for_agents",
    "wait_for_running_tasks",
    "wait_http_ok",
    "wait_until",
    "zookeeper_available",
    "zookeeper_missing",
]
