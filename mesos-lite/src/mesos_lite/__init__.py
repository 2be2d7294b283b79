"""mesos-lite: a Mesos-API-compatible master and agent."""

# The Apache Mesos release whose behaviour mesos-lite reproduces; clients see this version.
MESOS_VERSION = "1.11.0"
__version__ = "0.1.0"
