"""Moving a site's media to S3: `chorus media copy --to s3` copies what the bucket lacks, and only that."""

import io
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.media import storage as storage_module
from app.media.service import ingest_image, rendition_url
from app.media.storage import LocalStorage, S3Storage, copy_missing
from tests.media import corpus

BUCKET = "chorus-copy-test"


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Storage]:
    """An S3 bucket faked in this process by moto, named in the settings as a real one would be."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        monkeypatch.setattr(get_settings(), "s3_bucket", BUCKET)
        monkeypatch.setattr(get_settings(), "s3_endpoint_url", None)
        storage_module._s3_storage.cache_clear()
        yield storage_module.s3_storage(get_settings())
        storage_module._s3_storage.cache_clear()


def _stored_keys(storage: S3Storage) -> set[str]:
    listing = storage.client.list_objects_v2(Bucket=BUCKET)
    return {item["Key"] for item in listing.get("Contents", [])}


def test_copy_missing_copies_each_key_once_with_its_type(tmp_path: Path, bucket: S3Storage) -> None:
    local = LocalStorage(tmp_path)
    rendition = "renditions/ab/cd/" + "abcd" * 16 + ".webp"
    original = "originals/" + "ef" * 32 + ".png"
    local.put(rendition, b"webp bytes", "image/webp")
    local.put(original, b"png bytes", "image/png")
    (tmp_path / "renditions" / ".tmp-half-written.jpg").write_bytes(b"x")  # a write under way is not copied
    seen: list[tuple[str, bool]] = []

    assert copy_missing(local, bucket, on_key=lambda key, copied: seen.append((key, copied))) == (2, 0)
    assert _stored_keys(bucket) == {rendition, original}
    assert bucket.get(rendition) == b"webp bytes"
    head = bucket.client.head_object(Bucket=BUCKET, Key=rendition)
    assert head["ContentType"] == "image/webp"
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    assert bucket.client.head_object(Bucket=BUCKET, Key=original)["ContentType"] == "image/png"
    assert sorted(seen) == [(original, True), (rendition, True)]

    # Idempotent: a second run copies nothing; a new file is the only one copied.
    assert copy_missing(local, bucket, on_key=lambda key, copied: None) == (0, 2)
    local.put("renditions/00/11/" + "0011" * 16 + ".jpg", b"new", "image/jpeg")
    assert copy_missing(local, bucket, on_key=lambda key, copied: None) == (1, 2)


def test_the_command_moves_a_sites_media_and_the_app_then_serves_them_from_the_bucket(
    session: Session, bucket: S3Storage, media_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = ingest_image(session, upload=io.BytesIO(corpus.png()), uploaded_by=None, declared_filename="a.png")
    local_keys = set(LocalStorage(media_dir).stored_keys())
    assert image.thumbnail_key in local_keys

    runner = CliRunner()
    first = runner.invoke(cli, ["media", "copy", "--to", "s3"])
    assert first.exit_code == 0, first.output
    assert f"{len(local_keys)} file(s) copied" in first.output
    again = runner.invoke(cli, ["media", "copy", "--to", "s3"])
    assert again.exit_code == 0, again.output
    assert "0 file(s) copied" in again.output and f"{len(local_keys)} already there" in again.output
    assert _stored_keys(bucket) == local_keys

    # Switched to S3 with the local files gone, the site still serves the image.
    monkeypatch.setattr(get_settings(), "storage_backend", "s3")
    for key in local_keys:
        (media_dir / key).unlink()
    assert storage_module.get_storage().get(image.thumbnail_key)
    assert rendition_url(image, "thumbnail").startswith("/media/renditions/")


def test_the_command_needs_a_bucket_and_knows_only_s3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "s3_bucket", None)
    runner = CliRunner()
    unknown = runner.invoke(cli, ["media", "copy", "--to", "ftp"])
    assert unknown.exit_code == 2 and "the only one is s3" in unknown.output
    no_bucket = runner.invoke(cli, ["media", "copy", "--to", "s3"])
    assert no_bucket.exit_code == 2 and "CHORUS_S3_BUCKET is not set" in no_bucket.output
