"""The master, composed of its parts (each Mesos's own seam):

- `state` (state.py): frameworks and agents as the master knows them;
- `context` (context.py): what every part shares (flags, state, leadership, timers);
- `leadership` (leadership.py): identity, election, redirects to the leader;
- `allocator` (allocator.py): offers, DRF, filters, SUPPRESS/REVIVE;
- `registry` (registry_keeper.py): the registry of admitted agents, recovered on election;
- `framework_lifecycle` (frameworks.py): SUBSCRIBE, failover, removal;
- `agent_registration` and `agent_health` (agent_registration.py, agent_health.py);
- `agent_lifecycle` (agent_lifecycle.py): deactivation, draining, marking agents gone;
- `task_lifecycle` and `executors` (tasks.py, executors.py): launch, updates, reconciliation, kill;
- `inverse_offers` and `maintenance` (inverse_offers.py, maintenance.py): the maintenance
  schedule, machine modes, inverse offers;
- `quotas` and `weights` (quota.py, weights.py): per-role guarantees, limits and weights,
  applied by the allocator.

The HTTP front ends (scheduler_api.py, agent_link.py, endpoints.py) call these parts.
"""

from __future__ import annotations

from mesos_lite.master.agent_health import AgentHealth
from mesos_lite.master.agent_lifecycle import AgentLifecycle
from mesos_lite.master.agent_registration import AgentRegistration
from mesos_lite.master.allocator import Allocator
from mesos_lite.master.config import MasterConfig
from mesos_lite.master.context import MasterContext
from mesos_lite.master.executors import Executors
from mesos_lite.master.frameworks import FrameworkLifecycle
from mesos_lite.master.inverse_offers import InverseOffers
from mesos_lite.master.leadership import Leadership
from mesos_lite.master.maintenance import Maintenance
from mesos_lite.master.model import Agent, Framework
from mesos_lite.master.quota import Quotas
from mesos_lite.master.registry_keeper import RegistryKeeper
from mesos_lite.master.state import MasterState
from mesos_lite.master.tasks import TaskLifecycle
from mesos_lite.master.timers import Timers
from mesos_lite.master.weights import Weights


class Master:
    def __init__(self, config: MasterConfig) -> None:
        self.config = config
        self.state = MasterState(config)
        self.leadership = Leadership(config)
        self.timers = Timers()
        context = MasterContext(config, self.state, self.leadership, self.timers)
        self.allocator = Allocator(context)
        self.registry = RegistryKeeper(context)
        self.executors = Executors(context, self.allocator)
        self.task_lifecycle = TaskLifecycle(context, self.allocator, self.executors)
        self.framework_lifecycle = FrameworkLifecycle(
            context, self.allocator, self.task_lifecycle, self.executors
        )
        self.agent_registration = AgentRegistration(context, self.allocator, self.registry)
        self.agent_health = AgentHealth(context, self.allocator, self.task_lifecycle, self.registry)
        self.inverse_offers = InverseOffers(self.state, self.allocator)
        self.maintenance = Maintenance(
            self.state,
            self.timers,
            self.allocator,
            self.registry,
            self.task_lifecycle,
            self.inverse_offers,
        )
        self.quotas = Quotas(self.state, self.allocator, self.registry)
        self.weights = Weights(self.state, self.allocator, self.registry)
        self.agent_lifecycle = AgentLifecycle(
            self.state, self.timers, self.allocator, self.task_lifecycle, self.registry
        )
        self.agent_registration.on_admitted = self.agent_lifecycle.admitted

    @property
    def elected(self) -> bool:
        return self.leadership.elected

    def start(self) -> None:
        self.allocator.start()

    async def stop(self) -> None:
        self.timers.stop()
        self.allocator.stop()
        # Streams are detached before they close, so that their ends are not taken for
        # disconnections (no failover or re-registration timeouts, no rescinded offers: with
        # 10,000 agents that work delayed exiting by many seconds).
        parties: list[Framework | Agent] = [*self.state.frameworks.values()]
        parties += self.state.agents.values()
        for party in parties:
            stream, party.stream = party.stream, None
            if stream is not None:
                stream.close()
