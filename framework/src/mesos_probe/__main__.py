"""`python -m mesos_probe` is the `mesos-probe` command."""

import sys

from mesos_probe.cli import main

sys.exit(main())
