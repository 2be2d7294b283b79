"""mesos-lite's own master<->agent calls (agent_protocol.py): JSON only, so no field
numbers."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
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
    "AgentStatusUpdate": {"framework_id": "FrameworkID", "status": "TaskStatus!"},
}
