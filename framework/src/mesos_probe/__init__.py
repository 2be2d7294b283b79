"""mesos-probe: a Mesos framework that runs one probe task on every agent."""

__version__ = "0.1.0"
