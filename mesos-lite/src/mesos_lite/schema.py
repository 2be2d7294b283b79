"""The protobuf messages mesos-lite reads, as field lists (from Mesos 1.11's v1 protos).

One table for every call kind: `MESSAGES[name][field] = type`, where a type is a scalar
(`string`, `bool`, `double`, `int32`, `uint32`, `int64`, `uint64`, `bytes`), `enum:<Name>`
(values in `ENUMS`), or another message name; a leading `*` marks a repeated field and a
trailing `!` a proto2 `required` one. Fields a message has but mesos-lite never reads are left
out: as in Mesos's JSON-to-protobuf conversion, unknown keys are ignored, known ones are typed.
IDs whose values Mesos checks with validateID when it parses the call are `id:<Message>`;
those of tasks and executors in a LAUNCH are checked per task (task_validation.py: TASK_ERROR,
not a 400, as Mesos's master does).
"""

from __future__ import annotations

_ID = {"value": "string!"}


def _values(text: str) -> frozenset[str]:
    return frozenset(text.split())


ENUMS: dict[str, frozenset[str]] = {
    "SchedulerCallType": _values(
        "UNKNOWN SUBSCRIBE TEARDOWN ACCEPT DECLINE ACCEPT_INVERSE_OFFERS DECLINE_INVERSE_OFFERS "
        "REVIVE KILL SHUTDOWN ACKNOWLEDGE ACKNOWLEDGE_OPERATION_STATUS RECONCILE "
        "RECONCILE_OPERATIONS MESSAGE REQUEST SUPPRESS UPDATE_FRAMEWORK"
    ),
    "ExecutorCallType": _values("UNKNOWN SUBSCRIBE UPDATE MESSAGE HEARTBEAT"),
    "FrameworkCapability": _values(
        "UNKNOWN REVOCABLE_RESOURCES TASK_KILLING_STATE GPU_RESOURCES SHARED_RESOURCES "
        "PARTITION_AWARE MULTI_ROLE RESERVATION_REFINEMENT REGION_AWARE"
    ),
    "ValueType": _values("SCALAR RANGES SET TEXT"),
    "ExecutorType": _values("UNKNOWN DEFAULT CUSTOM"),
    "ReservationType": _values("UNKNOWN STATIC DYNAMIC"),
    "VariableType": _values("UNKNOWN VALUE SECRET"),
    "TaskState": _values(
        "TASK_STAGING TASK_STARTING TASK_RUNNING TASK_KILLING TASK_FINISHED TASK_FAILED "
        "TASK_KILLED TASK_ERROR TASK_LOST TASK_DROPPED TASK_UNREACHABLE TASK_GONE "
        "TASK_GONE_BY_OPERATOR TASK_UNKNOWN"
    ),
    "StatusSource": _values("SOURCE_MASTER SOURCE_AGENT SOURCE_EXECUTOR"),
    "OperationType": _values(
        "UNKNOWN LAUNCH LAUNCH_GROUP RESERVE UNRESERVE CREATE DESTROY GROW_VOLUME "
        "SHRINK_VOLUME CREATE_DISK DESTROY_DISK"
    ),
}

MESSAGES: dict[str, dict[str, str]] = {
    # ----- ids and small values -----
    "FrameworkID": _ID,
    "AgentID": _ID,
    "TaskID": _ID,
    "ExecutorID": _ID,
    "OfferID": _ID,
    "OperationID": _ID,
    "ContainerID": {"value": "string!", "parent": "ContainerID"},
    "Label": {"key": "string!", "value": "string"},
    "Labels": {"labels": "*Label"},
    "DurationInfo": {"nanoseconds": "int64!"},
    "TimeInfo": {"nanoseconds": "int64!"},
    "Filters": {"refuse_seconds": "double"},
    "Scalar": {"value": "scalar!"},
    "Range": {"begin": "uint64!", "end": "uint64!"},
    "Ranges": {"range": "*Range"},
    "Set": {"item": "*string"},
    "Text": {"value": "string!"},
    # ----- resources -----
    "Resource": {
        "name": "string!",
        "type": "enum:ValueType!",
        "scalar": "Scalar",
        "ranges": "Ranges",
        "set": "Set",
        "role": "string",
        "reservations": "*ReservationInfo",
        "allocation_info": "AllocationInfo",
    },
    "ReservationInfo": {
        "type": "enum:ReservationType",
        "role": "string",
        "principal": "string",
        "labels": "Labels",
    },
    "AllocationInfo": {"role": "string"},
    "Attribute": {
        "name": "string!",
        "type": "enum:ValueType!",
        "scalar": "Scalar",
        "ranges": "Ranges",
        "set": "Set",
        "text": "Text",
    },
    # ----- frameworks, executors, tasks -----
    "FrameworkInfo": {
        "user": "string!",
        "name": "string!",
        "id": "id:FrameworkID",
        "failover_timeout": "double",
        "checkpoint": "bool",
        "role": "role",
        "roles": "*role",
        "hostname": "string",
        "principal": "string",
        "webui_url": "string",
        "capabilities": "*FrameworkCapability",
        "labels": "Labels",
    },
    "FrameworkCapability": {"type": "enum:FrameworkCapability"},
    "EnvironmentVariable": {"name": "string!", "type": "enum:VariableType", "value": "string"},
    "Environment": {"variables": "*EnvironmentVariable"},
    "CommandURI": {
        "value": "string!",
        "executable": "bool",
        "extract": "bool",
        "cache": "bool",
        "output_file": "string",
    },
    "CommandInfo": {
        "uris": "*CommandURI",
        "environment": "Environment",
        "shell": "bool",
        "value": "string",
        "arguments": "*string",
        "user": "string",
    },
    "ExecutorInfo": {
        "type": "enum:ExecutorType",
        "executor_id": "ExecutorID",
        "framework_id": "FrameworkID",
        "command": "CommandInfo",
        "resources": "*Resource",
        "name": "string",
        "source": "string",
        "data": "bytes",
        "shutdown_grace_period": "DurationInfo",
        "labels": "Labels",
    },
    "KillPolicy": {"grace_period": "DurationInfo"},
    "TaskInfo": {
        "name": "string!",
        "task_id": "TaskID!",
        "agent_id": "AgentID!",
        "resources": "*Resource",
        "executor": "ExecutorInfo",
        "command": "CommandInfo",
        "kill_policy": "KillPolicy",
        "data": "bytes",
        "labels": "Labels",
        "max_completion_time": "DurationInfo",
    },
    "TaskGroupInfo": {"tasks": "*TaskInfo"},
    "TaskStatus": {
        "task_id": "TaskID!",
        "state": "enum:TaskState!",
        "message": "string",
        "source": "enum:StatusSource",
        "reason": "string",
        "data": "bytes",
        "agent_id": "AgentID",
        "executor_id": "ExecutorID",
        "timestamp": "double",
        "uuid": "bytes",
        "healthy": "bool",
        "labels": "Labels",
        "unreachable_time": "TimeInfo",
    },
    # ----- scheduler::Call -----
    "SchedulerCall": {
        "framework_id": "id:FrameworkID",
        "type": "enum:SchedulerCallType",
        "subscribe": "Subscribe",
        "accept": "Accept",
        "decline": "Decline",
        "accept_inverse_offers": "InverseOffers",
        "decline_inverse_offers": "InverseOffers",
        "revive": "Roles",
        "suppress": "Roles",
        "kill": "Kill",
        "shutdown": "Shutdown",
        "acknowledge": "Acknowledge",
        "acknowledge_operation_status": "AcknowledgeOperationStatus",
        "reconcile": "Reconcile",
        "reconcile_operations": "ReconcileOperations",
        "message": "SchedulerMessage",
        "request": "Request",
        "update_framework": "Subscribe",
    },
    "Subscribe": {"framework_info": "FrameworkInfo!", "suppressed_roles": "*role"},
    "Accept": {"offer_ids": "*OfferID", "operations": "*Operation", "filters": "Filters"},
    "Decline": {"offer_ids": "*OfferID", "filters": "Filters"},
    "InverseOffers": {"inverse_offer_ids": "*OfferID", "filters": "Filters"},
    "Roles": {"role": "role", "roles": "*role"},
    "Kill": {"task_id": "TaskID!", "agent_id": "AgentID", "kill_policy": "KillPolicy"},
    "Shutdown": {"executor_id": "ExecutorID!", "agent_id": "AgentID!"},
    "Acknowledge": {"agent_id": "AgentID!", "task_id": "TaskID!", "uuid": "bytes!"},
    "AcknowledgeOperationStatus": {
        "agent_id": "AgentID",
        "uuid": "bytes!",
        "operation_id": "OperationID!",
    },
    "Reconcile": {"tasks": "*ReconcileTask"},
    "ReconcileTask": {"task_id": "TaskID!", "agent_id": "AgentID"},
    "ReconcileOperations": {"operations": "*ReconcileOperation"},
    "ReconcileOperation": {"operation_id": "OperationID!", "agent_id": "AgentID"},
    "SchedulerMessage": {"agent_id": "AgentID!", "executor_id": "ExecutorID!", "data": "bytes!"},
    "Request": {"requests": "*ResourceRequest"},
    "ResourceRequest": {"agent_id": "AgentID", "resources": "*Resource"},
    "Operation": {
        # Optional in the proto; an ACCEPT's operation without one is refused (400).
        "type": "enum:OperationType!",
        "id": "OperationID",
        "launch": "Launch",
        "launch_group": "LaunchGroup",
        "reserve": "ResourceList",
        "unreserve": "ResourceList",
        "create": "VolumeList",
        "destroy": "VolumeList",
    },
    "Launch": {"task_infos": "*TaskInfo"},
    "LaunchGroup": {"executor": "ExecutorInfo!", "task_group": "TaskGroupInfo!"},
    "ResourceList": {"resources": "*Resource"},
    "VolumeList": {"volumes": "*Resource"},
    # ----- executor::Call -----
    "ExecutorCall": {
        "executor_id": "id:ExecutorID",
        "framework_id": "id:FrameworkID",
        "type": "enum:ExecutorCallType",
        "subscribe": "ExecutorSubscribe",
        "update": "ExecutorUpdate",
        "message": "ExecutorMessage",
    },
    "ExecutorSubscribe": {
        "unacknowledged_tasks": "*TaskInfo",
        "unacknowledged_updates": "*ExecutorUpdate",
    },
    "ExecutorUpdate": {"status": "ExecutorTaskStatus!"},
    "ExecutorMessage": {"data": "bytes!"},
    # ----- master::Call and agent::Call (operator API) -----
    "OperatorCall": {
        "type": "string",
        "get_metrics": "GetMetrics",
        "set_logging_level": "SetLoggingLevel",
        "list_files": "ListFiles",
        "read_file": "ReadFile",
        "teardown": "Teardown",
        "mark_agent_gone": "AgentRef",
        "drain_agent": "DrainAgent",
        "deactivate_agent": "AgentRef",
        "reactivate_agent": "AgentRef",
        "start_maintenance": "Machines",
        "stop_maintenance": "Machines",
    },
    "GetMetrics": {"timeout": "DurationInfo"},
    "SetLoggingLevel": {"level": "uint32!", "duration": "DurationInfo!"},
    "ListFiles": {"path": "string!"},
    "ReadFile": {"path": "string!", "offset": "uint64!", "length": "uint64"},
    "Teardown": {"framework_id": "FrameworkID!"},
    "AgentRef": {"agent_id": "AgentID!"},
    "DrainAgent": {"agent_id": "AgentID!", "max_grace_period": "DurationInfo", "mark_gone": "bool"},
    "Machines": {"machines": "*MachineID"},
    "MachineID": {"hostname": "string", "ip": "string"},
    # ----- mesos-lite's own master<->agent calls (agent_protocol.py) -----
    "AgentCall": {
        "type": "string!",
        "agent_id": "id:AgentID",
        "agent_info": "AgentInfo",
        "ip": "string",
        "version": "string",
        "update": "AgentStatusUpdate",
        "latest_state": "enum:TaskState",
        "framework_id": "FrameworkID",
        "executor_id": "ExecutorID",
        "status": "int32",
        "data": "bytes",
    },
    "AgentInfo": {
        "hostname": "string!",
        "port": "int32",
        "id": "id:AgentID",
        "resources": "*Resource",
        "attributes": "*Attribute",
    },
    "AgentStatusUpdate": {"framework_id": "FrameworkID", "status": "TaskStatus!"},
}

# An executor picks its tasks' ids (and the agent makes paths of them): checked as ids. The
# agent's own updates carry the ids the master gave it, so its link takes TaskStatus as is.
MESSAGES["ExecutorTaskStatus"] = {**MESSAGES["TaskStatus"], "task_id": "id:TaskID!"}
