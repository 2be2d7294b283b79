"""The view_* ACL decisions both daemons share: who may see the flags and which frameworks.

Mesos checks view_frameworks against FrameworkInfo.user and view_flags with no object; tasks
and executors default to their framework's user. The master's and the agent's filters add how
they find a task's or an executor's own user in their models.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, Protocol, TypeVar

from mesos_lite.authorization import Authorizer


class KnownFramework(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def info(self) -> dict[str, Any]: ...


FrameworkT = TypeVar("FrameworkT", bound=KnownFramework)


class FrameworkViewAcl(Generic[FrameworkT]):
    def __init__(
        self, frameworks: Iterable[FrameworkT], authorizer: Authorizer, principal: str | None
    ) -> None:
        self.authorizer = authorizer
        self.principal = principal
        self.frameworks: dict[str, FrameworkT] = {f.id: f for f in frameworks}

    def _approved(self, action: str, obj: str | None) -> bool:
        return self.authorizer.approved(action, self.principal, obj)

    def flags(self) -> bool:
        return self._approved("view_flags", None)

    def _framework_user(self, framework_id: str) -> str:
        framework = self.frameworks.get(framework_id)
        return str(framework.info.get("user", "")) if framework else ""

    def framework(self, framework_id: str) -> bool:
        return self._approved("view_frameworks", self._framework_user(framework_id))
