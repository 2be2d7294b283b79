"""executor::Call and Event (include/mesos/v1/executor/executor.proto)."""

from __future__ import annotations

from mesos_lite.schema import common
from mesos_lite.schema.common import numbered as _numbered

ENUMS: dict[str, dict[str, int]] = {
    # executor/executor.proto: enum Call.Type
    "ExecutorCallType": _numbered("UNKNOWN=0 SUBSCRIBE=1 UPDATE=2 MESSAGE=3 HEARTBEAT=4"),
    # executor/executor.proto: enum Event.Type
    "ExecutorEventType": _numbered(
        "UNKNOWN=0 SUBSCRIBED=1 LAUNCH=2 LAUNCH_GROUP=8 KILL=3 ACKNOWLEDGED=4 MESSAGE=5 "
        "ERROR=6 SHUTDOWN=7 HEARTBEAT=9"
    ),
}

MESSAGES: dict[str, dict[str, str]] = {
    # executor/executor.proto: Call
    "ExecutorCall": {
        "executor_id": "id:ExecutorID 1",
        "framework_id": "id:FrameworkID 2",
        "type": "enum:ExecutorCallType 3",
        "subscribe": "ExecutorSubscribe 4",
        "update": "ExecutorUpdate 5",
        "message": "ExecutorMessage 6",
    },
    # executor/executor.proto: Call.Subscribe
    "ExecutorSubscribe": {
        "unacknowledged_tasks": "*TaskInfo 1",
        "unacknowledged_updates": "*ExecutorUpdate 2",
    },
    # executor/executor.proto: Call.Update
    "ExecutorUpdate": {"status": "ExecutorTaskStatus! 1"},
    # executor/executor.proto: Call.Message
    "ExecutorMessage": {"data": "bytes! 2"},
    # executor/executor.proto: Event
    "ExecutorEvent": {
        "type": "enum:ExecutorEventType 1",
        "subscribed": "ExecutorSubscribed 2",
        "acknowledged": "ExecutorAcknowledged 3",
        "launch": "ExecutorLaunch 4",
        "launch_group": "ExecutorLaunchGroup 8",
        "kill": "ExecutorKill 5",
        "message": "ExecutorEventMessage 6",
        "error": "EventError 7",
    },
    # executor/executor.proto: Event.Subscribed
    "ExecutorSubscribed": {
        "executor_info": "ExecutorInfo! 1",
        "framework_info": "FrameworkInfo! 2",
        "agent_info": "AgentInfo! 3",
        "container_id": "ContainerID 4",
    },
    # executor/executor.proto: Event.Acknowledged
    "ExecutorAcknowledged": {"task_id": "TaskID! 1", "uuid": "bytes! 2"},
    # executor/executor.proto: Event.Launch
    "ExecutorLaunch": {"task": "TaskInfo! 1"},
    # executor/executor.proto: Event.LaunchGroup
    "ExecutorLaunchGroup": {"task_group": "TaskGroupInfo! 1"},
    # executor/executor.proto: Event.Kill
    "ExecutorKill": {"task_id": "TaskID! 1", "kill_policy": "KillPolicy 2"},
    # executor/executor.proto: Event.Message
    "ExecutorEventMessage": {"data": "bytes! 1"},
}

# An executor picks its tasks' ids (and the agent makes paths of them): checked as ids. The
# agent's own updates carry the ids the master gave it, so its link takes TaskStatus as is.
MESSAGES["ExecutorTaskStatus"] = {**common.MESSAGES["TaskStatus"], "task_id": "id:TaskID! 1"}
