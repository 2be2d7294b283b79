"""The Scheduler's side of pymesos' scheduler driver: the calls it makes, and how a failed
call is taken (logged; what it would have done is recovered on re-registration)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

logger = logging.getLogger(__name__)


class SchedulerDriverLike(Protocol):
    """The part of pymesos' MesosSchedulerDriver the scheduler uses (fakes implement it)."""

    def launchTasks(self, offer_ids: Any, tasks: Any, filters: Any = None) -> Any: ...
    def declineOffer(self, offer_ids: Any, filters: Any = None) -> Any: ...
    def declineInverseOffer(self, offer_ids: Any, filters: Any = None) -> Any: ...
    def suppressOffers(self, roles: Any = ()) -> Any: ...
    def reviveOffers(self, roles: Any = ()) -> Any: ...
    def killTask(self, task_id: Any) -> Any: ...
    def acknowledgeStatusUpdate(self, status: Any) -> Any: ...
    def reconcileTasks(self, tasks: Any) -> Any: ...
    def stop(self, failover: bool = False) -> Any: ...


def call_driver(method: Callable[..., Any], *args: Any, what: str) -> bool:
    """Call the driver; a lost connection is logged, and recovery happens on re-register."""
    try:
        method(*args)
    except Exception as error:  # pymesos raises bare RuntimeError/socket errors
        logger.warning("could not %s: %s", what, error)
        return False
    return True
