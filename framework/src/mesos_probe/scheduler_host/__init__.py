"""What runs on the scheduler host, where `mesos-probe submit` is started: the Driver
(driver.py), the Scheduler (scheduler.py) and what they need to find the master, place
tasks and report."""
