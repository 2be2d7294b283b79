"""Messages shared by every API: ids, values, resources, the Info messages, TaskStatus,
Task, Offer (include/mesos/v1/mesos.proto)."""

from __future__ import annotations


def numbered(text: str) -> dict[str, int]:
    """An enum's values from "NAME=number ..." (as the proto declares them)."""
    pairs = (item.split("=") for item in text.split())
    return {name: int(number) for name, number in pairs}


_numbered = numbered

ENUMS: dict[str, dict[str, int]] = {
    # mesos.proto: enum FrameworkInfo.Capability.Type
    "FrameworkCapability": _numbered(
        "UNKNOWN=0 REVOCABLE_RESOURCES=1 TASK_KILLING_STATE=2 GPU_RESOURCES=3 "
        "SHARED_RESOURCES=4 PARTITION_AWARE=5 MULTI_ROLE=6 RESERVATION_REFINEMENT=7 "
        "REGION_AWARE=8"
    ),
    # mesos.proto: enum Value.Type
    "ValueType": _numbered("SCALAR=0 RANGES=1 SET=2 TEXT=3"),
    # mesos.proto: enum ExecutorInfo.Type
    "ExecutorType": _numbered("UNKNOWN=0 DEFAULT=1 CUSTOM=2"),
    # mesos.proto: enum Resource.ReservationInfo.Type
    "ReservationType": _numbered("UNKNOWN=0 STATIC=1 DYNAMIC=2"),
    # mesos.proto: enum Environment.Variable.Type
    "VariableType": _numbered("UNKNOWN=0 VALUE=1 SECRET=2"),
    # mesos.proto: enum TaskState
    "TaskState": _numbered(
        "TASK_STAGING=6 TASK_STARTING=0 TASK_RUNNING=1 TASK_KILLING=8 TASK_FINISHED=2 "
        "TASK_FAILED=3 TASK_KILLED=4 TASK_ERROR=7 TASK_LOST=5 TASK_DROPPED=9 "
        "TASK_UNREACHABLE=10 TASK_GONE=11 TASK_GONE_BY_OPERATOR=12 TASK_UNKNOWN=13"
    ),
    # mesos.proto: enum TaskStatus.Source
    "StatusSource": _numbered("SOURCE_MASTER=0 SOURCE_AGENT=1 SOURCE_EXECUTOR=2"),
    # mesos.proto: enum TaskStatus.Reason
    "TaskStatusReason": _numbered(
        "REASON_COMMAND_EXECUTOR_FAILED=0 REASON_CONTAINER_LAUNCH_FAILED=21 "
        "REASON_CONTAINER_LIMITATION=19 REASON_CONTAINER_LIMITATION_DISK=20 "
        "REASON_CONTAINER_LIMITATION_MEMORY=8 REASON_CONTAINER_PREEMPTED=17 "
        "REASON_CONTAINER_UPDATE_FAILED=22 REASON_MAX_COMPLETION_TIME_REACHED=33 "
        "REASON_EXECUTOR_REGISTRATION_TIMEOUT=23 REASON_EXECUTOR_REREGISTRATION_TIMEOUT=24 "
        "REASON_EXECUTOR_TERMINATED=1 REASON_EXECUTOR_UNREGISTERED=2 "
        "REASON_FRAMEWORK_REMOVED=3 REASON_GC_ERROR=4 REASON_INVALID_FRAMEWORKID=5 "
        "REASON_INVALID_OFFERS=6 REASON_IO_SWITCHBOARD_EXITED=27 REASON_MASTER_DISCONNECTED=7 "
        "REASON_RECONCILIATION=9 REASON_RESOURCES_UNKNOWN=18 REASON_AGENT_DISCONNECTED=10 "
        "REASON_AGENT_DRAINING=34 REASON_AGENT_REMOVED=11 REASON_AGENT_REMOVED_BY_OPERATOR=31 "
        "REASON_AGENT_REREGISTERED=32 REASON_AGENT_RESTARTED=12 REASON_AGENT_UNKNOWN=13 "
        "REASON_TASK_KILLED_DURING_LAUNCH=30 REASON_TASK_CHECK_STATUS_UPDATED=28 "
        "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED=29 REASON_TASK_GROUP_INVALID=25 "
        "REASON_TASK_GROUP_UNAUTHORIZED=26 REASON_TASK_INVALID=14 REASON_TASK_UNAUTHORIZED=15 "
        "REASON_TASK_UNKNOWN=16"
    ),
    # mesos.proto: enum MasterInfo.Capability.Type
    "MasterCapabilityType": _numbered("UNKNOWN=0 AGENT_UPDATE=1 AGENT_DRAINING=2"),
    # mesos.proto: enum AgentInfo.Capability.Type
    "AgentCapabilityType": _numbered(
        "UNKNOWN=0 MULTI_ROLE=1 HIERARCHICAL_ROLE=2 RESERVATION_REFINEMENT=3 "
        "RESOURCE_PROVIDER=4 RESIZE_VOLUME=5 AGENT_OPERATION_FEEDBACK=6 AGENT_DRAINING=7 "
        "TASK_RESOURCE_LIMITS=8"
    ),
    # mesos.proto: enum NetworkInfo.Protocol
    "NetworkProtocol": _numbered("IPv4=1 IPv6=2"),
    # mesos.proto: enum OperationState
    "OperationState": _numbered(
        "OPERATION_UNSUPPORTED=0 OPERATION_PENDING=1 OPERATION_FINISHED=2 OPERATION_FAILED=3 "
        "OPERATION_ERROR=4 OPERATION_DROPPED=5 OPERATION_UNREACHABLE=6 "
        "OPERATION_GONE_BY_OPERATOR=7 OPERATION_RECOVERING=8 OPERATION_UNKNOWN=9"
    ),
    # mesos.proto: DrainState
    "DrainState": _numbered("UNKNOWN=0 DRAINING=1 DRAINED=2"),
    # allocator/allocator.proto: InverseOfferStatus.Status
    "InverseOfferStatusType": _numbered("UNKNOWN=1 ACCEPT=2 DECLINE=3"),
}

MESSAGES: dict[str, dict[str, str]] = {
    # mesos.proto: FrameworkID
    "FrameworkID": {"value": "string! 1"},
    # mesos.proto: AgentID
    "AgentID": {"value": "string! 1"},
    # mesos.proto: TaskID
    "TaskID": {"value": "string! 1"},
    # mesos.proto: ExecutorID
    "ExecutorID": {"value": "string! 1"},
    # mesos.proto: OfferID
    "OfferID": {"value": "string! 1"},
    # mesos.proto: OperationID
    "OperationID": {"value": "string! 1"},
    # mesos.proto: ContainerID
    "ContainerID": {"value": "string! 1", "parent": "ContainerID 2"},
    # mesos.proto: Label
    "Label": {"key": "string! 1", "value": "string 2"},
    # mesos.proto: Labels
    "Labels": {"labels": "*Label 1"},
    # mesos.proto: DurationInfo
    "DurationInfo": {"nanoseconds": "int64! 1"},
    # google/protobuf/duration.proto: Duration (DrainAgent's max_grace_period)
    "Duration": {"seconds": "int64 1", "nanos": "int32 2"},
    # mesos.proto: TimeInfo
    "TimeInfo": {"nanoseconds": "int64! 1"},
    # mesos.proto: Filters
    "Filters": {"refuse_seconds": "double 1"},
    # mesos.proto: Value.Scalar
    "Scalar": {"value": "scalar! 1"},
    # mesos.proto: Value.Range
    "Range": {"begin": "uint64! 1", "end": "uint64! 2"},
    # mesos.proto: Value.Ranges
    "Ranges": {"range": "*Range 1"},
    # mesos.proto: Value.Set
    "Set": {"item": "*string 1"},
    # mesos.proto: Value.Text
    "Text": {"value": "string! 1"},
    # mesos.proto: Resource
    "Resource": {
        "name": "string! 1",
        "type": "enum:ValueType! 2",
        "scalar": "Scalar 3",
        "ranges": "Ranges 4",
        "set": "Set 5",
        "role": "string 6",
        "reservations": "*ReservationInfo 13",
        "allocation_info": "AllocationInfo 11",
        "reservation": "ReservationInfo 8",
    },
    # mesos.proto: Resource.ReservationInfo
    "ReservationInfo": {
        "type": "enum:ReservationType 4",
        "role": "string 3",
        "principal": "string 1",
        "labels": "Labels 2",
    },
    # mesos.proto: Resource.AllocationInfo
    "AllocationInfo": {"role": "string 1"},
    # mesos.proto: Attribute
    "Attribute": {
        "name": "string! 1",
        "type": "enum:ValueType! 2",
        "scalar": "Scalar 3",
        "ranges": "Ranges 4",
        "set": "Set 6",
        "text": "Text 5",
    },
    # mesos.proto: Address
    "Address": {"hostname": "string 1", "ip": "string 2", "port": "int32! 3"},
    # mesos.proto: Parameter
    "Parameter": {"key": "string! 1", "value": "string! 2"},
    # mesos.proto: URL
    "URL": {
        "scheme": "string! 1",
        "address": "Address! 2",
        "path": "string 3",
        "query": "*Parameter 4",
        "fragment": "string 5",
    },
    # mesos.proto: MasterInfo.Capability
    "MasterCapability": {"type": "enum:MasterCapabilityType 1"},
    # mesos.proto: MasterInfo
    "MasterInfo": {
        "id": "string! 1",
        "ip": "uint32! 2",
        "port": "uint32! 3",
        "pid": "string 4",
        "hostname": "string 5",
        "version": "string 6",
        "address": "Address 7",
        "capabilities": "*MasterCapability 9",
    },
    # mesos.proto: AgentInfo
    "AgentInfo": {
        "hostname": "string! 1",
        "port": "int32 8",
        "id": "id:AgentID 6",
        "resources": "*Resource 3",
        "attributes": "*Attribute 5",
    },
    # mesos.proto: AgentInfo.Capability
    "AgentCapability": {"type": "enum:AgentCapabilityType 1"},
    # mesos.proto: FrameworkInfo
    "FrameworkInfo": {
        "user": "string! 1",
        "name": "string! 2",
        "id": "id:FrameworkID 3",
        "failover_timeout": "double 4",
        "checkpoint": "bool 5",
        "role": "role 6",
        "roles": "*role 12",
        "hostname": "string 7",
        "principal": "string 8",
        "webui_url": "string 9",
        "capabilities": "*FrameworkCapability 10",
        "labels": "Labels 11",
    },
    # mesos.proto: FrameworkInfo.Capability
    "FrameworkCapability": {"type": "enum:FrameworkCapability 1"},
    # mesos.proto: Environment.Variable
    "EnvironmentVariable": {
        "name": "string! 1",
        "type": "enum:VariableType 3",
        "value": "string 2",
    },
    # mesos.proto: Environment
    "Environment": {"variables": "*EnvironmentVariable 1"},
    # mesos.proto: CommandInfo.URI
    "CommandURI": {
        "value": "string! 1",
        "executable": "bool 2",
        "extract": "bool 3",
        "cache": "bool 4",
        "output_file": "string 5",
    },
    # mesos.proto: CommandInfo
    "CommandInfo": {
        "uris": "*CommandURI 1",
        "environment": "Environment 2",
        "shell": "bool 6",
        "value": "string 3",
        "arguments": "*string 7",
        "user": "string 5",
    },
    # mesos.proto: ExecutorInfo
    "ExecutorInfo": {
        "type": "enum:ExecutorType 15",
        "executor_id": "ExecutorID 1",
        "framework_id": "FrameworkID 8",
        "command": "CommandInfo 7",
        "resources": "*Resource 5",
        "name": "string 9",
        "source": "string 10",
        "data": "bytes 4",
        "shutdown_grace_period": "DurationInfo 13",
        "labels": "Labels 14",
    },
    # mesos.proto: KillPolicy
    "KillPolicy": {"grace_period": "DurationInfo 1"},
    # mesos.proto: TaskInfo
    "TaskInfo": {
        "name": "string! 1",
        "task_id": "TaskID! 2",
        "agent_id": "AgentID! 3",
        "resources": "*Resource 4",
        "executor": "ExecutorInfo 5",
        "command": "CommandInfo 7",
        "kill_policy": "KillPolicy 12",
        "data": "bytes 6",
        "labels": "Labels 10",
        "max_completion_time": "DurationInfo 14",
    },
    # mesos.proto: TaskGroupInfo
    "TaskGroupInfo": {"tasks": "*TaskInfo 1"},
    # mesos.proto: NetworkInfo.IPAddress
    "IPAddress": {"protocol": "enum:NetworkProtocol 1", "ip_address": "string 2"},
    # mesos.proto: NetworkInfo
    "NetworkInfo": {
        "ip_addresses": "*IPAddress 5",
        "name": "string 6",
        "groups": "*string 3",
        "labels": "Labels 4",
    },
    # mesos.proto: ContainerStatus
    "ContainerStatus": {
        "container_id": "ContainerID 4",
        "network_infos": "*NetworkInfo 1",
        "executor_pid": "uint32 3",
    },
    # mesos.proto: TaskStatus
    "TaskStatus": {
        "task_id": "TaskID! 1",
        "state": "enum:TaskState! 2",
        "message": "string 4",
        "source": "enum:StatusSource 9",
        "reason": "enum:TaskStatusReason 10",
        "data": "bytes 3",
        "agent_id": "AgentID 5",
        "executor_id": "ExecutorID 7",
        "timestamp": "double 6",
        "uuid": "bytes 11",
        "healthy": "bool 8",
        "labels": "Labels 12",
        "unreachable_time": "TimeInfo 14",
        "container_status": "ContainerStatus 13",
    },
    # mesos.proto: Task
    "Task": {
        "name": "string! 1",
        "task_id": "TaskID! 2",
        "framework_id": "FrameworkID! 3",
        "executor_id": "ExecutorID 4",
        "agent_id": "AgentID! 5",
        "state": "enum:TaskState! 6",
        "resources": "*Resource 7",
        "statuses": "*TaskStatus 8",
        "labels": "Labels 11",
        "user": "string 14",
    },
    # mesos.proto: Offer
    "Offer": {
        "id": "OfferID! 1",
        "framework_id": "FrameworkID! 2",
        "agent_id": "AgentID! 3",
        "hostname": "string! 4",
        "url": "URL 8",
        "resources": "*Resource 5",
        "attributes": "*Attribute 7",
        "executor_ids": "*ExecutorID 6",
        "allocation_info": "AllocationInfo 10",
        "unavailability": "Unavailability 9",
    },
    # mesos.proto: OperationStatus
    "OperationStatus": {
        "operation_id": "OperationID 1",
        "state": "enum:OperationState! 2",
        "message": "string 3",
        "agent_id": "AgentID 6",
    },
    # mesos.proto: VersionInfo
    "VersionInfo": {
        "version": "string! 1",
        "build_date": "string 2",
        "build_time": "double 3",
        "build_user": "string 4",
        "git_sha": "string 5",
        "git_branch": "string 6",
        "git_tag": "string 7",
    },
    # mesos.proto: Flag
    "Flag": {"name": "string! 1", "value": "string 2"},
    # mesos.proto: Metric
    "Metric": {"name": "string! 1", "value": "double 2"},
    # mesos.proto: Role
    "Role": {"name": "string! 1", "weight": "double! 2", "frameworks": "*FrameworkID 3"},
    # mesos.proto: MachineID
    "MachineID": {"hostname": "string 1", "ip": "string 2"},
    # scheduler/scheduler.proto: Event.Error
    "EventError": {"message": "string! 1"},
    # mesos.proto: Unavailability
    "Unavailability": {"start": "TimeInfo! 1", "duration": "DurationInfo 2"},
    # mesos.proto: InverseOffer
    "InverseOffer": {
        "id": "OfferID! 1",
        "url": "URL 2",
        "framework_id": "FrameworkID! 3",
        "agent_id": "AgentID 4",
        "unavailability": "Unavailability! 5",
        "resources": "*Resource 6",
    },
    # allocator/allocator.proto: InverseOfferStatus
    "InverseOfferStatus": {
        "status": "enum:InverseOfferStatusType! 1",
        "framework_id": "FrameworkID! 2",
        "timestamp": "TimeInfo! 3",
    },
    # mesos.proto: DrainConfig
    "DrainConfig": {"max_grace_period": "DurationInfo 1", "mark_gone": "bool 2"},
    # mesos.proto: DrainInfo
    "DrainInfo": {"state": "enum:DrainState! 1", "config": "DrainConfig! 2"},
    # mesos.proto: FileInfo
    "FileInfo": {
        "path": "string! 1",
        "nlink": "int32 2",
        "size": "uint64 3",
        "mtime": "TimeInfo 4",
        "mode": "uint32 5",
        "uid": "string 6",
        "gid": "string 7",
    },
    # mesos.proto: WeightInfo
    "WeightInfo": {"weight": "double! 1", "role": "string 2"},
    # maintenance/maintenance.proto: Window
    "Window": {"machine_ids": "*MachineID 1", "unavailability": "Unavailability! 2"},
    # maintenance/maintenance.proto: Schedule
    "Schedule": {"windows": "*Window 1"},
    # maintenance/maintenance.proto: ClusterStatus.DrainingMachine
    "DrainingMachine": {"id": "MachineID! 1", "statuses": "*InverseOfferStatus 2"},
    # maintenance/maintenance.proto: ClusterStatus
    "ClusterStatus": {"draining_machines": "*DrainingMachine 1", "down_machines": "*MachineID 2"},
    # quota/quota.proto: QuotaInfo
    "QuotaInfo": {"role": "string 1", "principal": "string 2", "guarantee": "*Resource 3"},
    # quota/quota.proto: QuotaRequest
    "QuotaRequest": {"force": "bool 1", "role": "string 2", "guarantee": "*Resource 3"},
    # quota/quota.proto: QuotaConfig (map<string, Value.Scalar>)
    "QuotaConfig": {"role": "string! 1", "guarantees": "map:Scalar 2", "limits": "map:Scalar 3"},
    # quota/quota.proto: QuotaStatus
    "QuotaStatus": {"infos": "*QuotaInfo 1", "configs": "*QuotaConfig 2"},
}
