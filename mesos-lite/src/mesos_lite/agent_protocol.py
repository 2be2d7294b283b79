"""mesos-lite's own master<->agent protocol, shared by both peers.

Apache Mesos links master and agent with libprocess messages; mesos-lite uses HTTP instead.
The agent opens `POST /mesos-lite/agent` with a REGISTER call and keeps the response open:
the master sends RecordIO events on it (the `MasterToAgent` names). The agent sends its
other calls (the `AgentToMaster` names) as separate POSTs to the same path.
Neither side imports the other's package: both import this module.
"""

from __future__ import annotations

from typing import Final

AGENT_PATH: Final = "/mesos-lite/agent"


class AgentToMaster:
    """Calls the agent POSTs to `AGENT_PATH`."""

    REGISTER: Final = "REGISTER"
    STATUS_UPDATE: Final = "STATUS_UPDATE"
    EXECUTOR_EXITED: Final = "EXECUTOR_EXITED"
    MESSAGE: Final = "MESSAGE"
    PONG: Final = "PONG"


class MasterToAgent:
    """Events the master writes on the agent's REGISTER stream."""

    REGISTERED: Final = "REGISTERED"
    RUN_TASK: Final = "RUN_TASK"
    RUN_TASK_GROUP: Final = "RUN_TASK_GROUP"
    KILL_TASK: Final = "KILL_TASK"
    SHUTDOWN_EXECUTOR: Final = "SHUTDOWN_EXECUTOR"
    SHUTDOWN_FRAMEWORK: Final = "SHUTDOWN_FRAMEWORK"
    ACKNOWLEDGE: Final = "ACKNOWLEDGE"
    MESSAGE: Final = "MESSAGE"
    UPDATE_FRAMEWORK: Final = "UPDATE_FRAMEWORK"
    PING: Final = "PING"
    # Kill every task (grace periods capped by config.max_grace_period); with
    # config.mark_gone, terminal updates become TASK_GONE_BY_OPERATOR (DrainSlaveMessage).
    DRAIN: Final = "DRAIN"
    # The agent was marked gone: it shuts everything down and exits (Mesos's ShutdownMessage).
    SHUTDOWN: Final = "SHUTDOWN"
