"""Every entry point fills the shared registries before a use case runs: the app factory, the `chorus` command (the
worker among its commands) and the tests; each in a fresh interpreter, where nothing was registered before."""

import os
import subprocess
import sys

import pytest

from app import after_commit, tasks
from app.moderation import subjects
from app.moderation.models import SubjectKind

EVERY_KIND = ",".join(sorted(SubjectKind))
EVERY_REGISTRY_FILLED = f"{EVERY_KIND} {','.join(sorted(tasks.AFTER_COMMIT_TASKS))}"

_CHECK = """
import sys
from app import after_commit
from app.moderation import subjects
assert not subjects.REGISTRY and not after_commit._WORK, "registered before any entry point ran"
{entry}
print(",".join(sorted(subjects.REGISTRY)), ",".join(sorted(after_commit._WORK)))
"""
_CLI = """
from typer.testing import CliRunner
from app.cli import cli
CliRunner().invoke(cli, sys.argv[1:])
"""
_APP = """
from app.main import create_app
create_app(check_migrations=False)
"""


def _registered_after(entry: str, *arguments: str) -> str:
    result = subprocess.run(  # noqa: S603 (our own code)
        [sys.executable, "-c", _CHECK.format(entry=entry), *arguments],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_tests_see_every_registry_filled() -> None:
    assert set(subjects.REGISTRY) == set(SubjectKind)
    assert after_commit._WORK == tasks.AFTER_COMMIT_TASKS


def test_the_app_factory_fills_every_registry() -> None:
    assert _registered_after(_APP) == EVERY_REGISTRY_FILLED


@pytest.mark.parametrize("command", [["worker", "--check"], ["seed"]])
def test_the_cli_fills_every_registry_before_its_commands(command: list[str]) -> None:
    assert _registered_after(_CLI, *command) == EVERY_REGISTRY_FILLED


def test_an_unregistered_kind_fails_loudly_rather_than_as_missing_content(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(subjects.REGISTRY, SubjectKind.idea)
    with pytest.raises(RuntimeError, match="connect_domains"):
        subjects.subject_type("idea")
