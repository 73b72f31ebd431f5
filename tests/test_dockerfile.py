"""Cheap guards for the Dockerfile, since no image can be built on the development machines.

They check what goes wrong silently: a COPY of a path that moved (or that .dockerignore leaves out), a runtime
image without a directory Chorus reads next to its code, a command that serves before migrating.
"""

import fnmatch
import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) for every instruction, continuation lines joined, comments dropped."""
    instructions, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):  # a comment inside a continued instruction
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, arguments = current.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    return instructions


def _stages() -> dict[str, list[tuple[str, str]]]:
    stages: dict[str, list[tuple[str, str]]] = {}
    name = ""
    for keyword, arguments in _instructions():
        if keyword == "FROM":
            words = arguments.split()
            name = words[-1] if len(words) >= 3 and words[-2].upper() == "AS" else str(len(stages))
            stages[name] = []
        elif name:
            stages[name].append((keyword, arguments))
    return stages


def _copies(stage: list[tuple[str, str]]) -> list[tuple[list[str], str, dict[str, str]]]:
    """(sources, destination, flags) of every COPY in a stage."""
    copies = []
    for keyword, arguments in stage:
        if keyword not in {"COPY", "ADD"}:
            continue
        words = json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)
        flags = dict(word[2:].partition("=")[::2] for word in words if word.startswith("--"))
        paths = [word for word in words if not word.startswith("--")]
        copies.append((paths[:-1], paths[-1], flags))
    return copies


def _command(stage: list[tuple[str, str]]) -> str:
    commands = [arguments for keyword, arguments in stage if keyword == "CMD"]
    assert commands, "the runtime stage has no CMD"
    command = commands[-1]
    return " ".join(json.loads(command)) if command.startswith("[") else command


def _dockerignore_patterns() -> list[str]:
    path = ROOT / ".dockerignore"
    lines = path.read_text().splitlines() if path.exists() else []
    return [line.strip().rstrip("/") for line in lines if line.strip() and not line.strip().startswith("#")]


def _context_sources() -> list[str]:
    """Every path copied from the build context (not from another stage)."""
    return [
        source.rstrip("/")
        for stage in _stages().values()
        for sources, _destination, flags in _copies(stage)
        if "from" not in flags
        for source in sources
    ]


def test_is_multi_stage_with_a_runtime_stage_last() -> None:
    stages = _stages()
    assert len(stages) >= 2, "expected a builder stage and a runtime stage"
    runtime = list(stages.values())[-1]
    assert any("from" in flags for _sources, _destination, flags in _copies(runtime)), (
        "the runtime stage should copy its files from the builder"
    )


@pytest.mark.parametrize("source", _context_sources())
def test_every_copied_path_exists_and_is_not_dockerignored(source: str) -> None:
    assert (ROOT / source).exists(), f"COPY {source}: no such file or directory in the repository"
    for pattern in _dockerignore_patterns():
        if pattern.startswith("!"):
            continue
        assert not fnmatch.fnmatch(source, pattern), f"COPY {source}, but .dockerignore has {pattern}"


def test_copies_everything_chorus_reads_next_to_its_code() -> None:
    # app/db.py and app/web/templating.py find these relative to ROOT_DIR (the parent of the app package), and
    # the packages are the ones pyproject.toml installs.
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    needed = {"alembic.ini", "migrations", "templates", "static", "pyproject.toml", "README.md"}
    needed |= {pattern.rstrip("*") for pattern in packages["include"]}
    assert needed <= set(_context_sources())


def test_runtime_runs_as_a_non_root_user_with_data_in_a_volume() -> None:
    runtime = list(_stages().values())[-1]
    users = [arguments for keyword, arguments in runtime if keyword == "USER"]
    assert users, "the runtime stage runs as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    environment = " ".join(arguments for keyword, arguments in runtime if keyword == "ENV")
    assert re.search(r"\bCHORUS_DATA_DIR=/data\b", environment)
    volumes = " ".join(arguments for keyword, arguments in runtime if keyword == "VOLUME")
    assert "/data" in volumes


def test_command_serves_with_chorus_serve_which_migrates_first() -> None:
    # `chorus serve` migrates under the migration lock (CHORUS_MIGRATE_ON_START) and runs uvicorn in its own
    # process: in exec form it is PID 1 and receives SIGTERM itself.
    runtime = list(_stages().values())[-1]
    command = [arguments for keyword, arguments in runtime if keyword == "CMD"][-1]
    assert command.startswith("["), "exec form, so the server is PID 1"
    words = json.loads(command)
    assert words[:2] == ["chorus", "serve"], words
    assert words[words.index("--host") + 1] == "0.0.0.0"  # noqa: S104 (in its container)


def _requirements_the_builder_installs() -> list[str]:
    """Run the builder's `python -c` that writes /tmp/requirements.txt, on this repository's pyproject.toml."""
    builder = next(iter(_stages().values()))
    run = next(arguments for keyword, arguments in builder if keyword == "RUN" and "requirements.txt" in arguments)
    code = shlex.split(run.split(">", 1)[0])
    assert code[:2] == ["python", "-c"], run
    result = subprocess.run(  # noqa: S603 (our own Dockerfile's code)
        [sys.executable, "-c", code[2]], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.split()


def test_the_image_installs_the_s3_extra() -> None:
    # Without boto3, CHORUS_STORAGE_BACKEND=s3 fails at start and replicas keep media of their own.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    installed = _requirements_the_builder_installs()
    assert set(project["dependencies"]) <= set(installed)
    assert set(project["optional-dependencies"]["s3"]) <= set(installed)
    assert any(requirement.startswith("boto3") for requirement in installed)


def test_the_health_check_suits_web_and_worker_containers() -> None:
    runtime = list(_stages().values())[-1]
    checks = [arguments for keyword, arguments in runtime if keyword == "HEALTHCHECK"]
    assert checks, "no HEALTHCHECK"
    # `chorus healthcheck` reads a worker's heartbeat, or else the web server's /healthz.
    assert re.search(r'CMD \["chorus", "healthcheck"\]', checks[-1]), checks[-1]
