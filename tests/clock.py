"""The test clock: ``CHORUS_TEST_CLOCK_SHIFT_DAYS=N`` moves every wall clock of the test run N days ahead.

CI runs the suite once with the clock 400 days ahead, so a test (or a seed) that only passes near the day it was
written fails the day it is written. Wall clocks move (``time.time``, ``datetime.now``, ``date.today``); monotonic
clocks are left alone, so timeouts and durations behave. The clock keeps ticking from the shifted moment.

Servers the tests start in a subprocess run through ``python -m tests.clock MODULE ARGS...`` to share the shift.
"""

import os
import runpy
import sys
from datetime import UTC, datetime, timedelta

SHIFT_VARIABLE = "CHORUS_TEST_CLOCK_SHIFT_DAYS"


def shift_days() -> int:
    """The shift asked for in the environment, in days (0 when unset)."""
    raw = os.environ.get(SHIFT_VARIABLE, "").strip()
    try:
        return int(raw or 0)
    except ValueError:
        raise SystemExit(f"{SHIFT_VARIABLE} must be a whole number of days, not {raw!r}") from None


def shift_from_environment() -> None:
    """Start travelling (for the rest of the process) when the environment asks for a shift."""
    days = shift_days()
    if not days:
        return
    import time

    import time_machine

    time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True).start()
    # time-machine's clock starts ticking at its first reading, not at ``start()``: read it now, so this process
    # and the servers it starts (each shifted at its own start) agree to the millisecond, not to their import times.
    time.time()


if __name__ == "__main__":
    shift_from_environment()
    module, sys.argv = sys.argv[1], sys.argv[1:]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
