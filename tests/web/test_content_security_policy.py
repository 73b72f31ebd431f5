"""The CSP lets images come from the public media origin when renditions are served from a bucket or a CDN."""

import pytest
from fastapi.testclient import TestClient

from app.config import get_settings


def _img_src(client: TestClient, path: str = "/login") -> str:
    policy = client.get(path).headers["content-security-policy"]
    return next(part.strip() for part in policy.split(";") if part.strip().startswith("img-src"))


def test_images_come_from_the_site_alone_by_default(client: TestClient) -> None:
    assert _img_src(client) == "img-src 'self' data:"


def test_the_public_media_origin_is_allowed_for_images_only(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "storage_backend", "s3")
    monkeypatch.setattr(get_settings(), "s3_public_url", "https://media.example.com:9000/chorus-media/")
    assert _img_src(client) == "img-src 'self' data: https://media.example.com:9000"
    assert _img_src(client, "/docs") == "img-src 'self' data: https://media.example.com:9000"
    policy = client.get("/login").headers["content-security-policy"]
    assert "script-src 'self';" in policy and "default-src 'self';" in policy


def test_a_public_url_is_ignored_with_local_storage(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "storage_backend", "local")
    monkeypatch.setattr(get_settings(), "s3_public_url", "https://media.example.com/")
    assert _img_src(client) == "img-src 'self' data:"
