"""/healthz asks nothing of the database; /readyz checks the database, Redis (when configured) and media storage,
and 503 names what failed."""

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import get_settings
from app.db import get_session
from app.reads import get_reads
from tests.test_rate_limits import DEAD_REDIS_URL, REDIS_URL


def test_ready_when_every_part_answers(client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "media_dir", tmp_path / "media")
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "redis", "storage"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["redis"]["detail"].startswith("not configured")
    assert body["checks"]["storage"]["detail"] == "local"


def test_redis_that_answers_is_ready(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis server at 127.0.0.1:6379 (CI machines have one)")
    monkeypatch.setattr(get_settings(), "redis_url", REDIS_URL)
    response = client.get("/readyz")
    assert response.status_code == 200
    redis_check = response.json()["checks"]["redis"]
    assert (redis_check["ok"], redis_check["detail"]) == (True, "answers")


def test_redis_down_is_a_503_naming_it(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "redis_url", DEAD_REDIS_URL)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"]["ok"] is False
    assert "ConnectionError" in body["checks"]["redis"]["detail"]
    assert body["checks"]["database"]["ok"] is True
    # Liveness is another matter: the process answers.
    assert client.get("/healthz").status_code == 200


def test_storage_that_cannot_be_written_is_a_503(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the media directory should be")
    monkeypatch.setattr(get_settings(), "storage_backend", "local")
    monkeypatch.setattr(get_settings(), "media_dir", blocker / "media")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["ok"] is False


def test_readiness_is_in_the_api_description(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "503" in paths["/readyz"]["get"]["responses"]


def test_liveness_opens_no_session_and_reads_nothing(app: FastAPI, client: TestClient) -> None:
    """/healthz says the event loop answers; the database is /readyz's to check (and a database outage must not
    get every replica restarted)."""

    def no_database() -> None:
        raise AssertionError("the liveness probe asked for the database")

    app.dependency_overrides[get_session] = no_database
    app.dependency_overrides[get_reads] = no_database
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
