"""What a process refuses to start with, and what it warns about (app.config.check_start, and the commands)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config import ConfigurationError, Environment, Settings, check_start


def test_production_without_a_secret_key_is_refused() -> None:
    settings = Settings(environment=Environment.production, secret_key=None, _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="CHORUS_SECRET_KEY is not set"):
        check_start(settings)
    assert check_start(settings.model_copy(update={"secret_key": "shared"})) == []


def test_development_may_generate_its_secret() -> None:
    settings = Settings(environment=Environment.development, secret_key=None, _env_file=None)  # type: ignore[call-arg]
    assert check_start(settings) == []


def test_a_worker_less_web_process_without_redis_is_warned_about() -> None:
    settings = Settings(  # type: ignore[call-arg]
        environment=Environment.development, worker_in_process=False, redis_url=None, _env_file=None
    )
    (warning,) = check_start(settings)
    assert "CHORUS_WORKER_IN_PROCESS=false without CHORUS_REDIS_URL" in warning
    assert check_start(settings.model_copy(update={"redis_url": "redis://queue:6379/0"})) == []


def test_serve_and_worker_refuse_to_start_in_production_without_a_secret(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "CHORUS_ENVIRONMENT": "production",
        "CHORUS_SECRET_KEY": "",
        "CHORUS_DATA_DIR": str(tmp_path),
        "CHORUS_TASKS_IMMEDIATE": "false",
    }
    for command in (["serve", "--no-migrate", "--port", "1"], ["worker"]):
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "app.cli", *command],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "CHORUS_SECRET_KEY is not set" in result.stdout.replace("\n", " ")
    assert not (tmp_path / "secret_key").exists()


def test_worker_check_reads_the_heartbeat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import get_settings

    heartbeat = tmp_path / "heartbeat"
    monkeypatch.setattr(get_settings(), "worker_heartbeat_file", heartbeat)
    runner = CliRunner()
    missing = runner.invoke(cli, ["worker", "--check"])
    assert missing.exit_code == 1 and "No worker heartbeat" in missing.output
    heartbeat.write_text("now")
    fresh = time.time()  # the test run's clock, which CHORUS_TEST_CLOCK_SHIFT_DAYS moves; the file system's does not
    os.utime(heartbeat, (fresh, fresh))
    assert runner.invoke(cli, ["worker", "--check"]).exit_code == 0
    stale = time.time() - get_settings().worker_heartbeat_max_age_seconds - 5
    os.utime(heartbeat, (stale, stale))
    old = runner.invoke(cli, ["worker", "--check"])
    assert old.exit_code == 1 and "old" in old.output
    # The image's one health check reads a worker's heartbeat where there is one, too.
    assert runner.invoke(cli, ["healthcheck"]).exit_code == 1


def test_healthcheck_asks_the_web_server_where_no_worker_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import get_settings
    from tests.servers import served

    monkeypatch.setattr(get_settings(), "worker_heartbeat_file", tmp_path / "no-heartbeat")
    runner = CliRunner()
    assert runner.invoke(cli, ["healthcheck", "--url", "http://127.0.0.1:1/healthz"]).exit_code == 1

    async def alive(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"{}"})  # type: ignore[operator]

    with served(alive) as base_url:  # type: ignore[arg-type]
        assert runner.invoke(cli, ["healthcheck", "--url", f"{base_url}/healthz"]).exit_code == 0


def test_serve_migrates_unless_told_not_to_and_passes_the_trusted_proxies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn

    import app.db
    from app.config import get_settings

    calls: list[str] = []
    served: list[dict[str, object]] = []
    monkeypatch.setattr(app.db, "migrate", lambda **_: calls.append("migrate"))
    monkeypatch.setattr(uvicorn, "run", lambda *args, **options: served.append(options))
    monkeypatch.setattr(get_settings(), "forwarded_allow_ips", "10.0.0.2")
    runner = CliRunner()

    assert runner.invoke(cli, ["serve"]).exit_code == 0
    assert calls == ["migrate"]
    assert served[-1]["forwarded_allow_ips"] == "10.0.0.2" and served[-1]["proxy_headers"] is True
    assert runner.invoke(cli, ["serve", "--no-migrate"]).exit_code == 0
    monkeypatch.setattr(get_settings(), "migrate_on_start", False)
    assert runner.invoke(cli, ["serve"]).exit_code == 0
    assert calls == ["migrate"], "neither --no-migrate nor CHORUS_MIGRATE_ON_START=false migrates"
    assert runner.invoke(cli, ["serve", "--migrate"]).exit_code == 0
    assert calls == ["migrate", "migrate"]
