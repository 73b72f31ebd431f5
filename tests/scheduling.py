"""The order pytest-xdist hands the tests out in (``make test`` runs ``--dist loadgroup``: one test at a time, in
collection order, to whichever worker is free).

In file order the browser tests (``tests/e2e``, early in the alphabet) came one after another, so for minutes every
worker was driving a browser, mostly waiting for it and its server, with the cores a third idle; then every worker
ran the rest and the cores were full. Measured on two cores: 9 min 34 s, the same with three workers as with two.
Here the browser tests are spread over the run by their estimated time, so a worker waiting on a browser leaves
its core to one running the other tests:

- Tests other than browser tests stay together module by module (a module's fixtures are built once per stretch).
- Browser tests go one by one (their servers and browser are per worker, for the whole run); those needing the run's
  demo come after the others, by which time it is seeded (``tests/demo.py`` starts seeding it as the run starts).
- The two streams are merged so that each has done the same share of its estimated time at every point of the
  queue; then come the permission matrix and the modules over its world: thousands of tests of about 10 ms that
  even out the workers' ends.

The estimates only set the order: a test marked ``@pytest.mark.seconds(n)`` counts n seconds, another browser test
BROWSER_TEST_SECONDS, any other test OTHER_TEST_SECONDS (measured averages).
"""

from collections.abc import Callable, Sequence

import pytest

BROWSER_TEST_SECONDS = 6.0
OTHER_TEST_SECONDS = 0.05
# Last, to even out the workers' ends: many tests of a few milliseconds each.
FILLER_MODULES = ("tests/test_permissions.py", "tests/test_unknown_names.py", "tests/test_id_ranges.py")


def estimated_seconds(item: pytest.Item) -> float:
    marker = item.get_closest_marker("seconds")
    if marker is not None:
        return float(marker.args[0])
    return BROWSER_TEST_SECONDS if item.get_closest_marker("e2e") else OTHER_TEST_SECONDS


def _module(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def _merge(first: Sequence[list[pytest.Item]], second: Sequence[list[pytest.Item]]) -> list[pytest.Item]:
    """The blocks of both streams in one list, each stream's share of its own estimated time kept level."""

    def total(blocks: Sequence[list[pytest.Item]]) -> float:
        return sum(estimated_seconds(item) for block in blocks for item in block) or 1.0

    streams = [(list(first), total(first)), (list(second), total(second))]
    done = [0.0, 0.0]

    def after_next(index: int) -> float:
        """How far along its stream would be half-way through its next block."""
        blocks, stream_total = streams[index]
        if not blocks:
            return float("inf")
        return (done[index] + sum(estimated_seconds(item) for item in blocks[0]) / 2) / stream_total

    merged: list[pytest.Item] = []
    while streams[0][0] or streams[1][0]:
        index = min((0, 1), key=after_next)
        block = streams[index][0].pop(0)
        done[index] += sum(estimated_seconds(item) for item in block)
        merged.extend(block)
    return merged


def spread_browser_tests(items: list[pytest.Item], needs_demo: Callable[[pytest.Item], bool]) -> list[pytest.Item]:
    """``items`` in the order described above (the same order for every worker: it depends on the items alone)."""
    filler = [item for item in items if _module(item) in FILLER_MODULES]
    browser = [item for item in items if item.get_closest_marker("e2e") and _module(item) not in FILLER_MODULES]
    browser_ids = {id(item) for item in browser} | {id(item) for item in filler}
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        if id(item) not in browser_ids:
            modules.setdefault(_module(item), []).append(item)
    browser.sort(key=needs_demo)  # stable: file order within each kind
    return _merge([[item] for item in browser], list(modules.values())) + filler
