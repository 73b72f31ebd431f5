"""compose.yaml, read as YAML (no Docker engine here): the services of the production topology, their images and
health checks, and every setting they pass checked against app.config.Settings and .env.example."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.config import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
CHORUS = ("migrate", "web-1", "web-2", "worker")
WEB = ("web-1", "web-2")
SETTINGS = {f"CHORUS_{name.upper()}" for name in Settings.model_fields}
# Read by the image or the AWS SDK rather than by Settings.
OTHER_VARIABLES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"}


def _environment(service: str) -> dict[str, str]:
    return {key: str(value) for key, value in (SERVICES[service].get("environment") or {}).items()}


def _depends(service: str) -> dict[str, str]:
    return {name: spec["condition"] for name, spec in SERVICES[service].get("depends_on", {}).items()}


def test_the_topology_has_every_part() -> None:
    assert set(SERVICES) == {"postgres", "redis", "minio", "bucket", "migrate", *WEB, "worker", "proxy"}


@pytest.mark.parametrize("service", CHORUS)
def test_chorus_services_are_the_image_built_here_with_one_shared_configuration(service: str) -> None:
    spec = SERVICES[service]
    assert spec["build"] == "." and spec["image"] == "chorus:latest"
    environment = _environment(service)
    unknown = {key for key in environment if key.startswith("CHORUS_")} - SETTINGS
    assert not unknown, f"{service} passes settings that app/config.py does not have: {unknown}"
    assert set(environment) - SETTINGS <= OTHER_VARIABLES
    assert environment["CHORUS_ENVIRONMENT"] == "production"
    assert environment["CHORUS_SECRET_KEY"].startswith("${CHORUS_SECRET_KEY:?")  # required, and the same for all
    assert environment["CHORUS_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert environment["CHORUS_DATABASE_URL"].endswith("@postgres:5432/chorus")
    assert environment["CHORUS_REDIS_URL"] == "redis://redis:6379/0"
    assert environment["CHORUS_STORAGE_BACKEND"] == "s3"
    assert environment["CHORUS_S3_ENDPOINT_URL"] == "http://minio:9000"
    shared = ("CHORUS_SECRET_KEY", "CHORUS_DATABASE_URL", "CHORUS_REDIS_URL", "CHORUS_S3_BUCKET")
    assert {key: environment[key] for key in shared} == {key: _environment("migrate")[key] for key in shared}


def test_the_migrate_job_runs_once_before_the_replicas_and_the_worker() -> None:
    assert SERVICES["migrate"]["command"] == ["chorus", "migrate"]
    assert SERVICES["migrate"]["restart"] == "no"
    assert _depends("migrate") == {"postgres": "service_healthy"}
    for service in (*WEB, "worker"):
        assert _depends(service)["migrate"] == "service_completed_successfully", service
        assert _environment(service)["CHORUS_MIGRATE_ON_START"] == "false", service
        assert _depends(service)["redis"] == "service_healthy", service
        assert _depends(service)["bucket"] == "service_completed_successfully", service


@pytest.mark.parametrize("service", WEB)
def test_web_replicas_serve_without_the_task_worker_and_believe_the_proxy(service: str) -> None:
    spec = SERVICES[service]
    command = spec["command"]
    assert command[:2] == ["chorus", "serve"] and "--no-migrate" in command
    assert command[command.index("--port") + 1] == "8000"
    environment = _environment(service)
    assert environment["CHORUS_WORKER_IN_PROCESS"] == "false"
    assert environment["CHORUS_FORWARDED_ALLOW_IPS"] == "*"
    assert "ports" not in spec, "replicas are reached through the proxy only (which is why any proxy is believed)"
    assert spec["healthcheck"]["test"] == ["CMD", "chorus", "healthcheck"]


def test_one_worker_with_its_own_health_check() -> None:
    worker = SERVICES["worker"]
    assert worker["command"] == ["chorus", "worker"]
    assert worker["healthcheck"]["test"] == ["CMD", "chorus", "worker", "--check"]
    assert worker.get("deploy", {}).get("replicas", 1) == 1
    assert "CHORUS_WORKER_IN_PROCESS" not in _environment("worker")


def test_other_images_are_pinned_and_every_long_running_service_has_a_health_check() -> None:
    for name, spec in SERVICES.items():
        if name in CHORUS:
            continue
        image = spec["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: pin {image}"
    for name, spec in SERVICES.items():
        if spec.get("restart") == "no":
            continue
        check = spec.get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"
    assert _depends("proxy") == {"web-1": "service_healthy", "web-2": "service_healthy"}


def test_the_proxy_spreads_over_both_replicas_and_forwards_the_client_address() -> None:
    (mount,) = SERVICES["proxy"]["volumes"]
    source = mount.split(":")[0]
    config = (ROOT / source).read_text()
    upstream = re.search(r"upstream chorus_web \{(.*?)\}", config, re.S)
    assert upstream is not None
    assert re.findall(r"server (\S+);?", upstream.group(1)) == ["web-1:8000", "web-2:8000"]
    assert "proxy_pass http://chorus_web;" in config
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in config
    assert "X-Forwarded-Proto $scheme" in config
    assert "proxy_next_upstream error timeout" in config


def test_every_variable_compose_reads_is_in_env_example() -> None:
    text = (ROOT / "compose.yaml").read_text()
    used = set(re.findall(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}", text))
    example = (ROOT / ".env.example").read_text()
    defined = set(re.findall(r"^([A-Z0-9_]+)=", example, re.M))
    assert used == defined, f"used but not in .env.example: {used - defined}; unused: {defined - used}"
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    assert {"CHORUS_SECRET_KEY", "POSTGRES_PASSWORD", "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"} <= required
    chorus_settings = {name for name in defined if name.startswith("CHORUS_")} - {"CHORUS_HTTP_PORT"}
    assert chorus_settings <= SETTINGS
