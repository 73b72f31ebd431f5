"""Every media test writes into a storage directory of its own."""

from pathlib import Path

import pytest

from app.config import get_settings


@pytest.fixture(autouse=True)
def media_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "media"
    monkeypatch.setattr(get_settings(), "media_dir", directory)
    monkeypatch.setattr(get_settings(), "storage_backend", "local")
    return directory
