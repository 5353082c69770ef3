"""The worker's schedule: each periodic task at once, then at its own interval (the
reports' warm-up every ~50 s beside hourly reminders), on a clock the test turns."""

from __future__ import annotations

from lms_plugin.jobs import Periodic, hourly
from lms_plugin.jobs.worker import Schedule


def test_each_task_runs_at_once_then_at_its_own_interval():
    now = [1000.0]
    config = {"LMS_PLUGIN_PERIODIC_SECONDS": 3600, "WARM": 48}
    reminders = Periodic(lambda: 1, hourly)
    warm = Periodic(lambda: 1, lambda c: c["WARM"])
    schedule = Schedule(config, clock=lambda: now[0])

    def due() -> list[str]:
        return [name for name, task in (("reminders", reminders), ("warm", warm))
                if schedule.due(task)]

    assert due() == ["reminders", "warm"]  # a starting worker runs everything
    assert due() == []
    now[0] += 47
    assert due() == []
    now[0] += 1
    assert due() == ["warm"]
    now[0] += 3600 - 48
    assert due() == ["reminders", "warm"]
    config["WARM"] = 10  # the interval is read from the config each time
    now[0] += 48
    assert due() == ["warm"]
    now[0] += 10
    assert due() == ["warm"]
