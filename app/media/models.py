"""Uploaded images: the private original and its two public renditions, with the hashes that find duplicates."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.columns import timestamp_field


class MediaImage(SQLModel, table=True):
    """One accepted upload. Designs (and later avatars and campaign photos) point at it by foreign key."""

    __tablename__ = "media_images"

    id: int | None = Field(default=None, primary_key=True)
    # SHA-256 of the stored original, hex. Not unique: the same file may be uploaded twice (each upload is a row
    # of its own; the stored file is shared, as its key is content-addressed).
    sha256: str = Field(max_length=64, index=True)
    # Storage keys. The original is private (staff download it through the service); the renditions are public.
    original_key: str = Field(max_length=255)
    display_key: str = Field(max_length=255)
    thumbnail_key: str = Field(max_length=255)
    # Of the original, as stored (before the EXIF orientation is applied to the renditions).
    width: int
    height: int
    format: str = Field(max_length=8)  # "PNG" | "JPEG" | "WEBP"
    byte_size: int
    # Near-duplicate fingerprint of the thumbnail (app.media.similarity): ten 64-bit perceptual hashes as 160 hex
    # digits. None for an image whose rendition could not be read when the column was added: it matches nothing.
    similarity_hashes: str | None = Field(default=None, max_length=160)
    # Blank or nearly so: never a near-duplicate of anything (app.media.similarity says why).
    low_detail: bool = False
    uploaded_by_id: int | None = Field(
        default=None,
        foreign_key="users.id",
        index=True,
        ondelete="SET NULL",  # i18n: ignore
    )
    created_at: datetime = timestamp_field()
