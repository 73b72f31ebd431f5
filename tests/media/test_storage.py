"""Storage: the local directory (round trip, atomic writes, no way out of its root) and S3 through a fake client."""

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from app.config import get_settings
from app.media import storage as storage_module
from app.media.storage import IMMUTABLE_CACHE_CONTROL, InvalidKey, LocalStorage, NotStored, S3Storage, get_storage

RENDITION = "renditions/ab/cd/" + "abcd" * 16 + ".jpg"
ORIGINAL = "originals/" + "ef" * 32 + ".png"


def test_local_round_trip(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    assert not storage.exists(RENDITION)
    storage.put(RENDITION, b"jpeg bytes", "image/jpeg")
    assert storage.exists(RENDITION)
    assert storage.get(RENDITION) == b"jpeg bytes"
    assert (tmp_path / RENDITION).read_bytes() == b"jpeg bytes"
    assert storage.url(RENDITION) == "/media/" + RENDITION
    storage.put(RENDITION, b"replaced", "image/jpeg")
    assert storage.get(RENDITION) == b"replaced"


def test_local_missing_key(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    with pytest.raises(NotStored):
        storage.get(ORIGINAL)
    with pytest.raises(NotStored):
        storage.get("renditions")  # a directory is not an object
    storage.put(RENDITION, b"x", "image/jpeg")
    with pytest.raises(NotStored):
        storage.get("renditions/ab")


def test_local_originals_are_owner_only_and_renditions_readable(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    storage.put(ORIGINAL, b"png", "image/png")
    storage.put(RENDITION, b"jpg", "image/jpeg")
    assert stat.S_IMODE((tmp_path / ORIGINAL).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / RENDITION).stat().st_mode) == 0o644


def test_local_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that fails half-way leaves the old content whole and no temporary file behind."""
    storage = LocalStorage(tmp_path)
    storage.put(RENDITION, b"old content", "image/jpeg")
    seen: list[bytes] = []

    def failing_replace(source: str, destination: object) -> None:
        # At the moment of the rename the new bytes are complete in a temporary file beside the target, and
        # the target still holds the old ones: a reader never sees a partial file.
        seen.append(Path(source).read_bytes())
        assert Path(source).parent == (tmp_path / RENDITION).parent
        assert (tmp_path / RENDITION).read_bytes() == b"old content"
        raise OSError("disk full")

    monkeypatch.setattr(storage_module.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        storage.put(RENDITION, b"new content", "image/jpeg")

    assert seen == [b"new content"]
    assert storage.get(RENDITION) == b"old content"
    assert sorted(path.name for path in (tmp_path / RENDITION).parent.iterdir()) == [Path(RENDITION).name]


@pytest.mark.parametrize(
    "key",
    [
        "../outside.txt",
        "renditions/../../outside.txt",
        "renditions/./x.jpg",
        "/etc/passwd",
        "renditions//x.jpg",
        "renditions\\..\\x.jpg",
        "renditions/x.jpg/",
        "",
        "a\x00b",
        "..",
    ],
)
def test_local_refuses_keys_that_are_not_plain_relative_paths(tmp_path: Path, key: str) -> None:
    storage = LocalStorage(tmp_path / "media")
    for operation in (
        lambda: storage.put(key, b"x", "text/plain"),
        lambda: storage.get(key),
        lambda: storage.exists(key),
        lambda: storage.url(key),
    ):
        with pytest.raises(InvalidKey):
            operation()
    assert not (tmp_path / "outside.txt").exists()


def test_local_refuses_a_symlink_out_of_the_root(tmp_path: Path) -> None:
    root = tmp_path / "media"
    root.mkdir()
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "key.txt").write_text("secret")
    os.symlink(tmp_path / "secret", root / "renditions")
    with pytest.raises(InvalidKey):
        LocalStorage(root).get("renditions/key.txt")


class FakeClientError(Exception):
    """Shaped like botocore's ClientError: the code is in ``response["Error"]["Code"]``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.response = {"Error": {"Code": code}}


class FakeBody:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.closed = False

    def read(self) -> bytes:
        return self.data

    def close(self) -> None:
        self.closed = True


class FakeS3Client:
    """The three calls S3Storage makes, kept in a dict; no network."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        self.bodies: list[FakeBody] = []

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, ContentType: str, **extra: Any) -> dict[str, Any]:
        self.objects[(Bucket, Key)] = {"Body": Body, "ContentType": ContentType, **extra}
        return {}

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        if (Bucket, Key) not in self.objects:
            raise FakeClientError("NoSuchKey")
        body = FakeBody(self.objects[(Bucket, Key)]["Body"])
        self.bodies.append(body)
        return {"Body": body}

    def head_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        if (Bucket, Key) not in self.objects:
            raise FakeClientError("404")
        return {}


def test_s3_round_trip_with_a_fake_client() -> None:
    client = FakeS3Client()
    storage = S3Storage(bucket="chorus-media", client=client)
    assert not storage.exists(RENDITION)
    storage.put(RENDITION, b"jpeg", "image/jpeg")
    storage.put(ORIGINAL, b"png", "image/png")

    assert storage.exists(RENDITION)
    assert storage.get(RENDITION) == b"jpeg"
    assert all(body.closed for body in client.bodies)
    assert client.objects[("chorus-media", RENDITION)] == {
        "Body": b"jpeg",
        "ContentType": "image/jpeg",
        "CacheControl": IMMUTABLE_CACHE_CONTROL,
    }
    # Originals get no public caching header.
    assert client.objects[("chorus-media", ORIGINAL)] == {"Body": b"png", "ContentType": "image/png"}
    with pytest.raises(NotStored):
        storage.get("renditions/00/00/missing.jpg")


def test_s3_urls() -> None:
    served_by_the_app = S3Storage(bucket="b", client=FakeS3Client())
    assert served_by_the_app.url(RENDITION) == "/media/" + RENDITION
    behind_a_cdn = S3Storage(bucket="b", client=FakeS3Client(), public_url="https://cdn.example.com/chorus/")
    assert behind_a_cdn.url(RENDITION) == "https://cdn.example.com/chorus/" + RENDITION
    # An original never gets a public URL, even with a public bucket URL configured.
    assert behind_a_cdn.url(ORIGINAL) == "/media/" + ORIGINAL


def test_s3_other_errors_are_not_taken_for_missing_objects() -> None:
    class Denied(FakeS3Client):
        def head_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
            raise FakeClientError("AccessDenied")

        def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
            raise FakeClientError("AccessDenied")

    storage = S3Storage(bucket="b", client=Denied())
    with pytest.raises(FakeClientError):
        storage.exists(RENDITION)
    with pytest.raises(FakeClientError):
        storage.get(RENDITION)


def test_s3_refuses_bad_keys_and_needs_a_bucket() -> None:
    storage = S3Storage(bucket="b", client=FakeS3Client())
    with pytest.raises(InvalidKey):
        storage.put("../x", b"", "text/plain")
    with pytest.raises(ValueError, match="CHORUS_S3_BUCKET"):
        S3Storage(bucket="", client=FakeS3Client())


def test_get_storage_follows_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = get_settings()
    monkeypatch.setattr(settings, "media_dir", tmp_path)
    local = get_storage()
    assert isinstance(local, LocalStorage)
    assert local.root == tmp_path

    client = FakeS3Client()
    built: list[str | None] = []

    def fake_boto3_client(endpoint_url: str | None) -> FakeS3Client:
        built.append(endpoint_url)
        return client

    monkeypatch.setattr(storage_module, "_boto3_client", fake_boto3_client)
    storage_module._s3_storage.cache_clear()
    monkeypatch.setattr(settings, "storage_backend", "s3")
    monkeypatch.setattr(settings, "s3_bucket", "chorus-media")
    monkeypatch.setattr(settings, "s3_endpoint_url", "http://127.0.0.1:9000")
    monkeypatch.setattr(settings, "s3_public_url", None)
    try:
        s3 = get_storage()
        assert isinstance(s3, S3Storage)
        assert (s3.bucket, s3.client) == ("chorus-media", client)
        assert get_storage() is s3  # the client is built once
        assert built == ["http://127.0.0.1:9000"]
    finally:
        storage_module._s3_storage.cache_clear()


def test_settings_read_the_storage_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import Settings

    monkeypatch.setenv("CHORUS_STORAGE_BACKEND", "s3")
    monkeypatch.setenv("CHORUS_S3_BUCKET", "media")
    monkeypatch.setenv("CHORUS_S3_ENDPOINT_URL", "https://s3.example.com")
    monkeypatch.setenv("CHORUS_S3_PUBLIC_URL", "https://cdn.example.com")
    settings = Settings()
    assert (settings.storage_backend, settings.s3_bucket) == ("s3", "media")
    assert (settings.s3_endpoint_url, settings.s3_public_url) == ("https://s3.example.com", "https://cdn.example.com")
    assert (settings.max_upload_bytes, settings.max_upload_pixels) == (20 * 1024 * 1024, 40_000_000)
