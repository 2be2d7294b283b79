"""What runs on each agent host, started by the Mesos agent: the Executor (executor.py),
the built-in probe and the runner for --command."""
