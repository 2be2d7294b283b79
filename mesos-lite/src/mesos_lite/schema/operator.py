"""The v1 operator API: master::Call/Response/Event (include/mesos/v1/master/master.proto)
and agent::Call/Response (include/mesos/v1/agent/agent.proto)."""

from __future__ import annotations

from mesos_lite.schema.common import numbered as _numbered

ENUMS: dict[str, dict[str, int]] = {
    # master/master.proto: enum Call.Type
    "MasterCallType": _numbered(
        "UNKNOWN=0 GET_HEALTH=1 GET_FLAGS=2 GET_VERSION=3 GET_METRICS=4 GET_LOGGING_LEVEL=5 "
        "SET_LOGGING_LEVEL=6 LIST_FILES=7 READ_FILE=8 GET_STATE=9 GET_AGENTS=10 "
        "GET_FRAMEWORKS=11 GET_EXECUTORS=12 GET_OPERATIONS=33 GET_TASKS=13 GET_ROLES=14 "
        "GET_WEIGHTS=15 UPDATE_WEIGHTS=16 GET_MASTER=17 SUBSCRIBE=18 RESERVE_RESOURCES=19 "
        "UNRESERVE_RESOURCES=20 CREATE_VOLUMES=21 DESTROY_VOLUMES=22 GROW_VOLUME=34 "
        "SHRINK_VOLUME=35 GET_MAINTENANCE_STATUS=23 GET_MAINTENANCE_SCHEDULE=24 "
        "UPDATE_MAINTENANCE_SCHEDULE=25 START_MAINTENANCE=26 STOP_MAINTENANCE=27 "
        "DRAIN_AGENT=37 DEACTIVATE_AGENT=38 REACTIVATE_AGENT=39 GET_QUOTA=28 UPDATE_QUOTA=36 "
        "SET_QUOTA=29 REMOVE_QUOTA=30 TEARDOWN=31 MARK_AGENT_GONE=32"
    ),
    # master/master.proto: enum Response.Type
    "MasterResponseType": _numbered(
        "UNKNOWN=0 GET_HEALTH=1 GET_FLAGS=2 GET_VERSION=3 GET_METRICS=4 GET_LOGGING_LEVEL=5 "
        "LIST_FILES=6 READ_FILE=7 GET_STATE=8 GET_AGENTS=9 GET_FRAMEWORKS=10 GET_EXECUTORS=11 "
        "GET_OPERATIONS=19 GET_TASKS=12 GET_ROLES=13 GET_WEIGHTS=14 GET_MASTER=15 "
        "GET_MAINTENANCE_STATUS=16 GET_MAINTENANCE_SCHEDULE=17 GET_QUOTA=18"
    ),
    # master/master.proto: enum Event.Type
    "MasterEventType": _numbered(
        "UNKNOWN=0 SUBSCRIBED=1 TASK_ADDED=2 TASK_UPDATED=3 AGENT_ADDED=4 AGENT_REMOVED=5 "
        "FRAMEWORK_ADDED=6 FRAMEWORK_UPDATED=7 FRAMEWORK_REMOVED=8 HEARTBEAT=9"
    ),
    # agent/agent.proto: enum Call.Type
    "AgentCallType": _numbered(
        "UNKNOWN=0 GET_HEALTH=1 GET_FLAGS=2 GET_VERSION=3 GET_METRICS=4 GET_LOGGING_LEVEL=5 "
        "SET_LOGGING_LEVEL=6 LIST_FILES=7 READ_FILE=8 GET_STATE=9 GET_CONTAINERS=10 "
        "GET_FRAMEWORKS=11 GET_EXECUTORS=12 GET_OPERATIONS=31 GET_TASKS=13 GET_AGENT=20 "
        "GET_RESOURCE_PROVIDERS=26 LAUNCH_NESTED_CONTAINER=14 WAIT_NESTED_CONTAINER=15 "
        "KILL_NESTED_CONTAINER=16 REMOVE_NESTED_CONTAINER=21 "
        "LAUNCH_NESTED_CONTAINER_SESSION=17 ATTACH_CONTAINER_INPUT=18 "
        "ATTACH_CONTAINER_OUTPUT=19 LAUNCH_CONTAINER=22 WAIT_CONTAINER=23 KILL_CONTAINER=24 "
        "REMOVE_CONTAINER=25 ADD_RESOURCE_PROVIDER_CONFIG=27 "
        "UPDATE_RESOURCE_PROVIDER_CONFIG=28 REMOVE_RESOURCE_PROVIDER_CONFIG=29 "
        "MARK_RESOURCE_PROVIDER_GONE=32 PRUNE_IMAGES=30"
    ),
    # agent/agent.proto: enum Response.Type
    "AgentResponseType": _numbered(
        "UNKNOWN=0 GET_HEALTH=1 GET_FLAGS=2 GET_VERSION=3 GET_METRICS=4 GET_LOGGING_LEVEL=5 "
        "LIST_FILES=6 READ_FILE=7 GET_STATE=8 GET_CONTAINERS=9 GET_FRAMEWORKS=10 "
        "GET_EXECUTORS=11 GET_OPERATIONS=17 GET_TASKS=12 GET_AGENT=14 "
        "GET_RESOURCE_PROVIDERS=16 WAIT_NESTED_CONTAINER=13 WAIT_CONTAINER=15"
    ),
}

MESSAGES: dict[str, dict[str, str]] = {
    # master/master.proto: Call
    # The handlers of both daemons check `type` (their call types differ): a string here;
    # the wire decodes it with each daemon's enum (MasterCall, AgentOperatorCall).
    "OperatorCall": {
        "type": "string 1",
        "get_metrics": "GetMetrics 2",
        "set_logging_level": "SetLoggingLevel 3",
        "list_files": "ListFiles 4",
        "read_file": "ReadFile 5",
        "teardown": "Teardown 16",
        "mark_agent_gone": "AgentRef 17",
        "drain_agent": "DrainAgent 21",
        "deactivate_agent": "AgentRef 22",
        "reactivate_agent": "AgentRef 23",
        "update_weights": "UpdateWeights 6",
        "update_maintenance_schedule": "UpdateMaintenanceSchedule 11",
        "start_maintenance": "Machines 12",
        "stop_maintenance": "Machines 13",
        "set_quota": "SetQuota 14",
        "remove_quota": "RemoveQuota 15",
        "update_quota": "UpdateQuota 20",
    },
    # master/master.proto: Call.UpdateWeights
    "UpdateWeights": {"weight_infos": "*WeightInfo 1"},
    # master/master.proto: Call.UpdateMaintenanceSchedule
    "UpdateMaintenanceSchedule": {"schedule": "Schedule! 1"},
    # master/master.proto: Call.UpdateQuota
    "UpdateQuota": {"force": "bool 1", "quota_configs": "*QuotaConfig 2"},
    # master/master.proto: Call.SetQuota
    "SetQuota": {"quota_request": "QuotaRequest! 1"},
    # master/master.proto: Call.RemoveQuota
    "RemoveQuota": {"role": "string! 1"},
    # master/master.proto: Call.GetMetrics
    "GetMetrics": {"timeout": "DurationInfo 1"},
    # master/master.proto: Call.SetLoggingLevel
    "SetLoggingLevel": {"level": "uint32! 1", "duration": "DurationInfo! 2"},
    # master/master.proto: Call.ListFiles
    "ListFiles": {"path": "string! 1"},
    # master/master.proto: Call.ReadFile
    "ReadFile": {"path": "string! 1", "offset": "uint64! 2", "length": "uint64 3"},
    # master/master.proto: Call.Teardown
    "Teardown": {"framework_id": "FrameworkID! 1"},
    # master/master.proto: Call.MarkAgentGone
    "AgentRef": {"agent_id": "AgentID! 1"},
    # master/master.proto: Call.DrainAgent
    "DrainAgent": {
        "agent_id": "AgentID! 1",
        "max_grace_period": "Duration 2",
        "mark_gone": "bool 3",
    },
    # master/master.proto: Call.StartMaintenance
    "Machines": {"machines": "*MachineID 1"},
    # master/master.proto: Response
    "MasterResponse": {
        "type": "enum:MasterResponseType 1",
        "get_health": "GetHealth 2",
        "get_flags": "GetFlags 3",
        "get_version": "GetVersion 4",
        "get_metrics": "GetMetricsResponse 5",
        "get_logging_level": "GetLoggingLevel 6",
        "list_files": "ListFilesResponse 7",
        "read_file": "ReadFileResponse 8",
        "get_state": "GetState 9",
        "get_agents": "GetAgents 10",
        "get_frameworks": "GetFrameworks 11",
        "get_executors": "GetExecutors 12",
        "get_tasks": "GetTasks 13",
        "get_roles": "GetRoles 14",
        "get_weights": "GetWeights 15",
        "get_master": "GetMaster 16",
        "get_maintenance_status": "GetMaintenanceStatus 17",
        "get_maintenance_schedule": "GetMaintenanceSchedule 18",
        "get_quota": "GetQuota 19",
    },
    # master/master.proto: Response.ListFiles (agent.proto's is the same)
    "ListFilesResponse": {"file_infos": "*FileInfo 1"},
    # master/master.proto: Response.ReadFile (agent.proto's is the same)
    "ReadFileResponse": {"size": "uint64! 1", "data": "bytes! 2"},
    # master/master.proto: Response.GetWeights
    "GetWeights": {"weight_infos": "*WeightInfo 1"},
    # master/master.proto: Response.GetMaintenanceStatus
    "GetMaintenanceStatus": {"status": "ClusterStatus! 1"},
    # master/master.proto: Response.GetMaintenanceSchedule
    "GetMaintenanceSchedule": {"schedule": "Schedule! 1"},
    # master/master.proto: Response.GetQuota
    "GetQuota": {"status": "QuotaStatus! 1"},
    # master/master.proto: Response.GetHealth
    "GetHealth": {"healthy": "bool! 1"},
    # master/master.proto: Response.GetFlags
    "GetFlags": {"flags": "*Flag 1"},
    # master/master.proto: Response.GetVersion
    "GetVersion": {"version_info": "VersionInfo! 1"},
    # master/master.proto: Response.GetMetrics
    "GetMetricsResponse": {"metrics": "*Metric 1"},
    # master/master.proto: Response.GetLoggingLevel
    "GetLoggingLevel": {"level": "uint32! 1"},
    # master/master.proto: Response.GetState
    "GetState": {
        "get_tasks": "GetTasks 1",
        "get_executors": "GetExecutors 2",
        "get_frameworks": "GetFrameworks 3",
        "get_agents": "GetAgents 4",
    },
    # master/master.proto: Response.GetAgents
    "GetAgents": {"agents": "*MasterAgent 1", "recovered_agents": "*AgentInfo 2"},
    # master/master.proto: Response.GetAgents.Agent
    "MasterAgent": {
        "agent_info": "AgentInfo! 1",
        "active": "bool! 2",
        "deactivated": "bool 12",
        "version": "string! 3",
        "pid": "string 4",
        "registered_time": "TimeInfo 5",
        "reregistered_time": "TimeInfo 6",
        "total_resources": "*Resource 7",
        "allocated_resources": "*Resource 8",
        "offered_resources": "*Resource 9",
        "capabilities": "*AgentCapability 10",
        "drain_info": "DrainInfo 13",
        "estimated_drain_start_time": "TimeInfo 14",
    },
    # master/master.proto: Response.GetFrameworks
    "GetFrameworks": {
        "frameworks": "*MasterFramework 1",
        "completed_frameworks": "*MasterFramework 2",
    },
    # master/master.proto: Response.GetFrameworks.Framework
    "MasterFramework": {
        "framework_info": "FrameworkInfo! 1",
        "active": "bool! 2",
        "connected": "bool! 3",
        "recovered": "bool! 11",
        "registered_time": "TimeInfo 4",
        "reregistered_time": "TimeInfo 5",
        "offers": "*Offer 7",
        "allocated_resources": "*Resource 9",
        "offered_resources": "*Resource 10",
    },
    # master/master.proto: Response.GetExecutors
    "GetExecutors": {"executors": "*MasterExecutor 1", "orphan_executors": "*MasterExecutor 2"},
    # master/master.proto: Response.GetExecutors.Executor
    "MasterExecutor": {"executor_info": "ExecutorInfo! 1", "agent_id": "AgentID! 2"},
    # master/master.proto: Response.GetTasks
    "GetTasks": {
        "pending_tasks": "*Task 1",
        "tasks": "*Task 2",
        "unreachable_tasks": "*Task 5",
        "completed_tasks": "*Task 3",
        "orphan_tasks": "*Task 4",
    },
    # master/master.proto: Response.GetRoles
    "GetRoles": {"roles": "*Role 1"},
    # master/master.proto: Response.GetMaster
    "GetMaster": {
        "master_info": "MasterInfo 1",
        "start_time": "double 2",
        "elected_time": "double 3",
    },
    # master/master.proto: Event
    "MasterEvent": {
        "type": "enum:MasterEventType 1",
        "subscribed": "MasterSubscribed 2",
        "task_added": "TaskAdded 3",
        "task_updated": "TaskUpdated 4",
        "agent_added": "AgentAdded 5",
        "agent_removed": "AgentRemoved 6",
        "framework_added": "FrameworkAdded 7",
        "framework_updated": "FrameworkAdded 8",
        "framework_removed": "FrameworkRemoved 9",
    },
    # master/master.proto: Event.Subscribed
    "MasterSubscribed": {"get_state": "GetState 1", "heartbeat_interval_seconds": "double 2"},
    # master/master.proto: Event.TaskAdded
    "TaskAdded": {"task": "Task! 1"},
    # master/master.proto: Event.TaskUpdated
    "TaskUpdated": {
        "framework_id": "FrameworkID! 1",
        "status": "TaskStatus! 2",
        "state": "enum:TaskState! 3",
    },
    # master/master.proto: Event.AgentAdded
    "AgentAdded": {"agent": "MasterAgent! 1"},
    # master/master.proto: Event.AgentRemoved
    "AgentRemoved": {"agent_id": "AgentID! 1"},
    # master/master.proto: Event.FrameworkAdded
    "FrameworkAdded": {"framework": "MasterFramework! 1"},
    # master/master.proto: Event.FrameworkRemoved
    "FrameworkRemoved": {"framework_info": "FrameworkInfo! 1"},
    # agent/agent.proto: Call
    "AgentOperatorCall": {
        "type": "enum:AgentCallType 1",
        "get_metrics": "GetMetrics 2",
        "set_logging_level": "SetLoggingLevel 3",
        "list_files": "ListFiles 4",
        "read_file": "ReadFile 5",
    },
    # agent/agent.proto: Response
    "AgentResponse": {
        "type": "enum:AgentResponseType 1",
        "get_health": "GetHealth 2",
        "get_flags": "GetFlags 3",
        "get_version": "GetVersion 4",
        "get_metrics": "GetMetricsResponse 5",
        "get_logging_level": "GetLoggingLevel 6",
        "list_files": "ListFilesResponse 7",
        "read_file": "ReadFileResponse 8",
        "get_state": "AgentGetState 9",
        "get_containers": "GetContainers 10",
        "get_frameworks": "AgentGetFrameworks 11",
        "get_executors": "AgentGetExecutors 12",
        "get_tasks": "AgentGetTasks 13",
        "get_agent": "GetAgent 15",
    },
    # agent/agent.proto: Response.GetState
    "AgentGetState": {
        "get_tasks": "AgentGetTasks 1",
        "get_executors": "AgentGetExecutors 2",
        "get_frameworks": "AgentGetFrameworks 3",
    },
    # agent/agent.proto: Response.GetFrameworks
    "AgentGetFrameworks": {
        "frameworks": "*AgentFramework 1",
        "completed_frameworks": "*AgentFramework 2",
    },
    # agent/agent.proto: Response.GetFrameworks.Framework
    "AgentFramework": {"framework_info": "FrameworkInfo! 1"},
    # agent/agent.proto: Response.GetExecutors
    "AgentGetExecutors": {
        "executors": "*AgentExecutor 1",
        "completed_executors": "*AgentExecutor 2",
    },
    # agent/agent.proto: Response.GetExecutors.Executor
    "AgentExecutor": {"executor_info": "ExecutorInfo! 1"},
    # agent/agent.proto: Response.GetTasks
    "AgentGetTasks": {
        "pending_tasks": "*Task 1",
        "queued_tasks": "*Task 2",
        "launched_tasks": "*Task 3",
        "terminated_tasks": "*Task 4",
        "completed_tasks": "*Task 5",
    },
    # agent/agent.proto: Response.GetAgent
    "GetAgent": {"agent_info": "AgentInfo 1"},
    # agent/agent.proto: Response.GetContainers
    "GetContainers": {"containers": "*AgentContainer 1"},
    # agent/agent.proto: Response.GetContainers.Container
    "AgentContainer": {
        "framework_id": "FrameworkID 1",
        "executor_id": "ExecutorID 2",
        "executor_name": "string 3",
        "container_id": "ContainerID! 4",
    },
}

MESSAGES["MasterCall"] = {**MESSAGES["OperatorCall"], "type": "enum:MasterCallType 1"}
