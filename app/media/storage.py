"""Where media files are kept: one small interface, a local directory by default, an S3-compatible bucket at scale.

Keys are relative, slash-separated paths: ``renditions/ab/cd/<sha256>.jpg`` (public, content-addressed, so they
never change and may be cached forever) and ``originals/<sha256>.<ext>`` (private: never served by URL).

With S3, keep the bucket private and make only the ``renditions/`` prefix public (a bucket policy, or a CDN in
front of it) when ``CHORUS_S3_PUBLIC_URL`` is set; without a public URL the renditions are served by the app's
``/media`` route like local ones.
"""

import mimetypes
import os
import tempfile
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from urllib.parse import urlsplit

from app.config import Settings, get_settings

MEDIA_URL_PREFIX = "/media/"
PUBLIC_PREFIX = "renditions/"
# Content-addressed keys never change: a year, and "immutable" so browsers do not even revalidate.
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"  # i18n: ignore


class InvalidKey(ValueError):
    """A key that could escape the storage root or is not a plain relative path."""


class NotStored(KeyError):
    """Nothing is stored under this key."""


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes:
        """The bytes stored under ``key``; raises ``NotStored`` when there are none."""
        ...

    def exists(self, key: str) -> bool: ...

    def url(self, key: str) -> str:
        """Where a browser fetches the object (meaningful for public keys only)."""
        ...

    def check(self) -> None:
        """Raise unless the storage can be written to now (readiness)."""
        ...


def check_key(key: str) -> str:
    """Refuse keys that are absolute, climb out with '..', or are otherwise not plain relative paths."""
    if not key or len(key) > 512:
        raise InvalidKey("a storage key must be 1 to 512 characters")
    if "\\" in key or "\x00" in key or key.startswith("/") or key.endswith("/"):
        raise InvalidKey(f"not a plain relative key: {key!r}")
    parts = PurePosixPath(key).parts
    if any(part in ("", ".", "..") for part in parts) or "/".join(parts) != key:
        raise InvalidKey(f"not a plain relative key: {key!r}")
    return key


class LocalStorage:
    """Files under one directory; each write goes to a temporary file that is renamed into place (atomic)."""

    def __init__(self, root: Path, *, url_prefix: str = MEDIA_URL_PREFIX) -> None:
        self.root = Path(root)
        self.url_prefix = url_prefix

    def _path(self, key: str) -> Path:
        path = self.root / check_key(key)
        # Belt and braces: a symlink inside the root must not lead out of it either.
        root = self.root.resolve()
        if not path.resolve().is_relative_to(root):
            raise InvalidKey(f"key leads outside the storage root: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        try:
            # Public renditions may be served straight from disk by a proxy; originals stay owner-only.
            os.fchmod(descriptor, 0o644 if key.startswith(PUBLIC_PREFIX) else 0o600)
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
            raise NotStored(key) from error

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def url(self, key: str) -> str:
        return self.url_prefix + check_key(key)

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise PermissionError(f"the media directory {self.root} is not writable")  # i18n: ignore

    def stored_keys(self) -> Iterator[str]:
        """Every stored key, in a stable order (temporary files of writes under way left out)."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith(".tmp-"):
                yield path.relative_to(self.root).as_posix()


def _is_missing(error: Exception) -> bool:
    """Whether a botocore ``ClientError`` says the object does not exist (without importing botocore)."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


class S3Storage:
    """An S3-compatible bucket, through a boto3 client (``pip install 'chorus[s3]'``); credentials come from the
    usual AWS environment variables or files."""

    def __init__(
        self,
        *,
        bucket: str,
        client: Any = None,
        endpoint_url: str | None = None,
        public_url: str | None = None,
    ) -> None:
        if not bucket:
            raise ValueError("S3 storage needs a bucket: set CHORUS_S3_BUCKET")
        self.bucket = bucket
        self.public_url = public_url.rstrip("/") if public_url else None
        self.client = client if client is not None else _boto3_client(endpoint_url)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        extra = {"CacheControl": IMMUTABLE_CACHE_CONTROL} if check_key(key).startswith(PUBLIC_PREFIX) else {}
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, **extra)

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        except Exception as error:
            if _is_missing(error):
                raise NotStored(key) from error
            raise
        body = response["Body"]
        try:
            return bytes(body.read())
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except Exception as error:
            if _is_missing(error):
                return False
            raise
        return True

    def check(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)

    def url(self, key: str) -> str:
        check_key(key)
        if self.public_url and key.startswith(PUBLIC_PREFIX):
            return f"{self.public_url}/{key}"
        return MEDIA_URL_PREFIX + key


def _boto3_client(endpoint_url: str | None) -> Any:
    try:
        import boto3  # type: ignore[import-not-found,unused-ignore]
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "CHORUS_STORAGE_BACKEND=s3 needs boto3: install Chorus with the s3 extra (pip install 'chorus[s3]')"
        ) from error
    from botocore.config import Config  # type: ignore[import-not-found,unused-ignore]

    # Bounded waits and few retries: a store that does not answer fails a request (and readiness) in seconds.
    config = Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"})
    return boto3.client("s3", endpoint_url=endpoint_url or None, config=config)


@lru_cache(maxsize=4)
def _s3_storage(bucket: str, endpoint_url: str | None, public_url: str | None) -> S3Storage:
    # Cached: a boto3 client is slow to build and safe to share between threads.
    return S3Storage(bucket=bucket, endpoint_url=endpoint_url, public_url=public_url)


def s3_storage(settings: Settings) -> S3Storage:
    """The bucket the S3 settings name (whichever backend is in use: `chorus media copy --to s3` needs it)."""
    return _s3_storage(settings.s3_bucket or "", settings.s3_endpoint_url, settings.s3_public_url)


def public_media_origin(settings: Settings) -> str | None:
    """The scheme and host that serve public renditions when it is not this site (for the CSP's img-src)."""
    if settings.storage_backend != "s3" or not settings.s3_public_url:
        return None
    parts = urlsplit(settings.s3_public_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def content_type_for(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


def copy_missing(source: LocalStorage, target: Storage, *, on_key: Callable[[str, bool], None]) -> tuple[int, int]:
    """Copy every key of ``source`` that ``target`` lacks; return (copied, already there). Keys are
    content-addressed, so a key present in the target holds the same bytes: running it again copies nothing, and
    an interrupted run resumes where it stopped. ``on_key(key, copied)`` is told of each key."""
    copied = skipped = 0
    for key in source.stored_keys():
        if target.exists(key):
            skipped += 1
            on_key(key, False)
            continue
        target.put(key, source.get(key), content_type_for(key))
        copied += 1
        on_key(key, True)
    return copied, skipped


def get_storage() -> Storage:
    """The storage the settings choose: ``CHORUS_STORAGE_BACKEND=local`` (default) or ``s3``."""
    settings = get_settings()
    if settings.storage_backend == "s3":
        return s3_storage(settings)
    return LocalStorage(settings.resolved_media_dir)
