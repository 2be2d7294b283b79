"""scheduler::Call, Event and Response (include/mesos/v1/scheduler/scheduler.proto) and
the offer operations they carry (mesos.proto: Offer.Operation)."""

from __future__ import annotations

from mesos_lite.schema.common import numbered as _numbered

ENUMS: dict[str, dict[str, int]] = {
    # scheduler/scheduler.proto: enum Call.Type
    "SchedulerCallType": _numbered(
        "UNKNOWN=0 SUBSCRIBE=1 TEARDOWN=2 ACCEPT=3 DECLINE=4 ACCEPT_INVERSE_OFFERS=13 "
        "DECLINE_INVERSE_OFFERS=14 REVIVE=5 KILL=6 SHUTDOWN=7 ACKNOWLEDGE=8 "
        "ACKNOWLEDGE_OPERATION_STATUS=15 RECONCILE=9 RECONCILE_OPERATIONS=16 MESSAGE=10 "
        "REQUEST=11 SUPPRESS=12 UPDATE_FRAMEWORK=17"
    ),
    # mesos.proto: enum Offer.Operation.Type
    "OperationType": _numbered(
        "UNKNOWN=0 LAUNCH=1 LAUNCH_GROUP=6 RESERVE=2 UNRESERVE=3 CREATE=4 DESTROY=5 "
        "GROW_VOLUME=11 SHRINK_VOLUME=12 CREATE_DISK=13 DESTROY_DISK=14"
    ),
    # scheduler/scheduler.proto: enum Event.Type
    "SchedulerEventType": _numbered(
        "UNKNOWN=0 SUBSCRIBED=1 OFFERS=2 INVERSE_OFFERS=9 RESCIND=3 RESCIND_INVERSE_OFFER=10 "
        "UPDATE=4 UPDATE_OPERATION_STATUS=11 MESSAGE=5 FAILURE=6 ERROR=7 HEARTBEAT=8"
    ),
    # scheduler/scheduler.proto: enum Response.Type
    "SchedulerResponseType": _numbered("UNKNOWN=0 RECONCILE_OPERATIONS=1"),
}

MESSAGES: dict[str, dict[str, str]] = {
    # scheduler/scheduler.proto: Call
    "SchedulerCall": {
        "framework_id": "id:FrameworkID 1",
        "type": "enum:SchedulerCallType 2",
        "subscribe": "Subscribe 3",
        "accept": "Accept 4",
        "decline": "Decline 5",
        "accept_inverse_offers": "InverseOffers 13",
        "decline_inverse_offers": "InverseOffers 14",
        "revive": "Roles 15",
        "suppress": "Roles 16",
        "kill": "Kill 6",
        "shutdown": "Shutdown 7",
        "acknowledge": "Acknowledge 8",
        "acknowledge_operation_status": "AcknowledgeOperationStatus 17",
        "reconcile": "Reconcile 9",
        "reconcile_operations": "ReconcileOperations 18",
        "message": "SchedulerMessage 10",
        "request": "Request 11",
        "update_framework": "Subscribe 19",
    },
    # scheduler/scheduler.proto: Call.Subscribe
    "Subscribe": {"framework_info": "FrameworkInfo! 1", "suppressed_roles": "*role 2"},
    # scheduler/scheduler.proto: Call.Accept
    "Accept": {"offer_ids": "*OfferID 1", "operations": "*Operation 2", "filters": "Filters 3"},
    # scheduler/scheduler.proto: Call.Decline
    "Decline": {"offer_ids": "*OfferID 1", "filters": "Filters 2"},
    # scheduler/scheduler.proto: Call.AcceptInverseOffers
    "InverseOffers": {"inverse_offer_ids": "*OfferID 1", "filters": "Filters 2"},
    # scheduler/scheduler.proto: Call.Revive
    "Roles": {"role": "role", "roles": "*role 1"},
    # scheduler/scheduler.proto: Call.Kill
    "Kill": {"task_id": "TaskID! 1", "agent_id": "AgentID 2", "kill_policy": "KillPolicy 3"},
    # scheduler/scheduler.proto: Call.Shutdown
    "Shutdown": {"executor_id": "ExecutorID! 1", "agent_id": "AgentID! 2"},
    # scheduler/scheduler.proto: Call.Acknowledge
    "Acknowledge": {"agent_id": "AgentID! 1", "task_id": "TaskID! 2", "uuid": "bytes! 3"},
    # scheduler/scheduler.proto: Call.AcknowledgeOperationStatus
    "AcknowledgeOperationStatus": {
        "agent_id": "AgentID 1",
        "uuid": "bytes! 3",
        "operation_id": "OperationID! 4",
    },
    # scheduler/scheduler.proto: Call.Reconcile
    "Reconcile": {"tasks": "*ReconcileTask 1"},
    # scheduler/scheduler.proto: Call.Reconcile.Task
    "ReconcileTask": {"task_id": "TaskID! 1", "agent_id": "AgentID 2"},
    # scheduler/scheduler.proto: Call.ReconcileOperations
    "ReconcileOperations": {"operations": "*ReconcileOperation 1"},
    # scheduler/scheduler.proto: Call.ReconcileOperations.Operation
    "ReconcileOperation": {"operation_id": "OperationID! 1", "agent_id": "AgentID 2"},
    # scheduler/scheduler.proto: Call.Message
    "SchedulerMessage": {
        "agent_id": "AgentID! 1",
        "executor_id": "ExecutorID! 2",
        "data": "bytes! 3",
    },
    # scheduler/scheduler.proto: Call.Request
    "Request": {"requests": "*ResourceRequest 1"},
    # mesos.proto: Request
    "ResourceRequest": {"agent_id": "AgentID 1", "resources": "*Resource 2"},
    # mesos.proto: Offer.Operation
    "Operation": {
        "type": "enum:OperationType 1",
        "id": "OperationID 12",
        "launch": "Launch 2",
        "launch_group": "LaunchGroup 7",
        "reserve": "ResourceList 3",
        "unreserve": "ResourceList 4",
        "create": "VolumeList 5",
        "destroy": "VolumeList 6",
    },
    # mesos.proto: Offer.Operation.Launch
    "Launch": {"task_infos": "*TaskInfo 1"},
    # mesos.proto: Offer.Operation.LaunchGroup
    "LaunchGroup": {"executor": "ExecutorInfo! 1", "task_group": "TaskGroupInfo! 2"},
    # mesos.proto: Offer.Operation.Reserve
    "ResourceList": {"resources": "*Resource 1"},
    # mesos.proto: Offer.Operation.Create
    "VolumeList": {"volumes": "*Resource 1"},
    # scheduler/scheduler.proto: Event
    "SchedulerEvent": {
        "type": "enum:SchedulerEventType 1",
        "subscribed": "SchedulerSubscribed 2",
        "offers": "SchedulerOffers 3",
        "inverse_offers": "SchedulerInverseOffers 9",
        "rescind": "SchedulerRescind 4",
        "rescind_inverse_offer": "SchedulerRescindInverseOffer 10",
        "update": "SchedulerUpdate 5",
        "update_operation_status": "SchedulerUpdateOperationStatus 11",
        "message": "SchedulerEventMessage 6",
        "failure": "SchedulerFailure 7",
        "error": "EventError 8",
    },
    # scheduler/scheduler.proto: Event.Subscribed
    "SchedulerSubscribed": {
        "framework_id": "FrameworkID! 1",
        "heartbeat_interval_seconds": "double 2",
        "master_info": "MasterInfo 3",
    },
    # scheduler/scheduler.proto: Event.Offers
    "SchedulerOffers": {"offers": "*Offer 1"},
    # scheduler/scheduler.proto: Event.InverseOffers
    "SchedulerInverseOffers": {"inverse_offers": "*InverseOffer 1"},
    # scheduler/scheduler.proto: Event.RescindInverseOffer
    "SchedulerRescindInverseOffer": {"inverse_offer_id": "OfferID! 1"},
    # scheduler/scheduler.proto: Event.Rescind
    "SchedulerRescind": {"offer_id": "OfferID! 1"},
    # scheduler/scheduler.proto: Event.Update
    "SchedulerUpdate": {"status": "TaskStatus! 1"},
    # scheduler/scheduler.proto: Event.UpdateOperationStatus
    "SchedulerUpdateOperationStatus": {"status": "OperationStatus! 1"},
    # scheduler/scheduler.proto: Event.Message
    "SchedulerEventMessage": {
        "agent_id": "AgentID! 1",
        "executor_id": "ExecutorID! 2",
        "data": "bytes! 3",
    },
    # scheduler/scheduler.proto: Event.Failure
    "SchedulerFailure": {
        "agent_id": "AgentID 1",
        "executor_id": "ExecutorID 2",
        "status": "int32 3",
    },
    # scheduler/scheduler.proto: Response
    "SchedulerResponse": {
        "type": "enum:SchedulerResponseType 1",
        "reconcile_operations": "ReconcileOperationsResponse 2",
    },
    # scheduler/scheduler.proto: Response.ReconcileOperations
    "ReconcileOperationsResponse": {"operation_statuses": "*OperationStatus 1"},
}
