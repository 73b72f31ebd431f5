"""The test clock (tests/clock.py): a shifted run's processes agree with each other and with the real clock."""

import os
import subprocess
import sys
import time

from time_machine import escape_hatch

from tests.clock import SHIFT_VARIABLE, shift_days

DAY_SECONDS = 86_400

# A process that shifts its clock, then reads it only after a slow start (as a server does while importing the app).
_LATE_READER = """
import time
from time_machine import escape_hatch
from tests.clock import shift_from_environment
shift_from_environment()
time.sleep(1.5)
print(time.time() - escape_hatch.time.time())
"""


def test_this_process_runs_at_the_real_clock_plus_the_shift() -> None:
    if escape_hatch.is_travelling():
        assert abs(time.time() - escape_hatch.time.time() - shift_days() * DAY_SECONDS) < 1
    else:
        assert shift_days() == 0


def test_a_shifted_process_ticks_from_its_start_not_from_its_first_reading() -> None:
    """Before, a server lagged the test by its start-up time, and a TOTP code the test made was a step ahead of the
    server's clock."""
    completed = subprocess.run(  # noqa: S603 (a fixed command line)
        [sys.executable, "-c", _LATE_READER],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, SHIFT_VARIABLE: "3"},
    )
    assert abs(float(completed.stdout) - 3 * DAY_SECONDS) < 0.5
