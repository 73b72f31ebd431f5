"""Image uploads: validate, decode once, strip, render, hash and store; find near-duplicates.

The pipeline, in the order that keeps untrusted bytes away from the decoders for as long as possible:

1. the upload is streamed to a temporary file, hashed on the way, and refused as soon as it passes the size cap;
2. well-known other kinds (SVG, GIF, archives, ...) are named from their first bytes, so the refusal says what
   they are;
3. Pillow reads the header with an allowlist of decoders (PNG, JPEG, WebP). Its decompression-bomb guard is
   lowered to our pixel limit and its warning treated as an error; width x height is checked against
   ``max_upload_pixels`` before any pixel is decoded; the format must match the declared name and type;
   animated images are refused;
4. the image is decoded exactly once. A JPEG is first told (``draft``) to decode at the smallest libjpeg scale
   (1/2, 1/4, 1/8) that still covers the display size: the whole file is still decoded, so a truncated file fails
   here, but a 12-megapixel photo costs a fraction of a full decode. PNG and WebP decode fully;
5. the EXIF orientation is applied, the colours converted to sRGB when the file carries an ICC profile, and every
   piece of metadata dropped: the renditions are new files encoded from pixels alone. The 1600 px display image
   is made from the decoded image, the 400 px thumbnail from the display image;
6. opaque images become JPEG, images that use transparency WebP (with alpha);
7. the near-duplicate fingerprint is taken from the thumbnail (app.media.similarity);
8. the original loses its metadata without being re-encoded (app.media.metadata: no EXIF, GPS or XMP; the ICC
   profile and the orientation kept), so what staff download carries no location;
9. the renditions are stored under the SHA-256 of their own bytes; the original under the SHA-256 of its bytes.
   Files are written before the row is flushed: if the caller's transaction is rolled back, they stay behind,
   unreferenced (harmless, being content-addressed; a later sweep may delete keys no row names).

Polyglots. A file that is an image followed by something else (a JPEG with a ZIP appended, the classic polyglot;
also a phone's "motion photo", which appends a video) decodes as the image. It is accepted, and neutralised: the
renditions are re-encoded from pixels, and the private original is stored without the bytes after the end of the
image (JPEG: the EOI marker; PNG: the IEND chunk; WebP: the RIFF length), so no stored file carries the payload.
Its ``sha256`` and ``byte_size`` are those of the stored original (cut, and without its metadata). A file that
does not decode as one of the three formats (an archive with an image appended, HTML with a JPEG's magic bytes,
random bytes) is refused.
"""

import hashlib
import io
import re
import struct
import tempfile
import warnings
import zlib
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, BinaryIO, Literal

from PIL import ExifTags, Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.accounts.models import User
from app.columns import id_of
from app.config import Settings, get_settings
from app.errors import Invalid
from app.i18n import N_, _, ngettext
from app.i18n.formatting import format_number
from app.media import metadata, similarity
from app.media.models import MediaImage
from app.media.storage import get_storage

ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")
DISPLAY_SIZE = 1600
THUMBNAIL_SIZE = 400
JPEG_QUALITY = 85
WEBP_QUALITY = 85

_CHUNK = 1024 * 1024
_FORMAT_NAMES = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WebP"}
_EXTENSIONS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".jfif": "JPEG",
    ".pjpeg": "JPEG",
    ".pjp": "JPEG",
    ".webp": "WEBP",
}
_CONTENT_TYPES = {
    "image/png": "PNG",
    "image/x-png": "PNG",
    "image/jpeg": "JPEG",
    "image/jpg": "JPEG",
    "image/pjpeg": "JPEG",
    "image/webp": "WEBP",
}
# What a browser or client sends when it does not know: says nothing about the content.
_UNINFORMATIVE_TYPES = {"", "application/octet-stream", "binary/octet-stream", "application/unknown"}
_ORIGINAL_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
_ORIGINAL_CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
# Errors Pillow's decoders raise on damaged or truncated data.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)

# Pillow's own guard, lowered from its default (about 179 megapixels) to our default limit: Image.open refuses
# (DecompressionBombError) images over twice this and warns above it, which ingest_image turns into an error.
# ingest_image only ever raises it, to a larger configured limit, so lowering the setting (as tests do) cannot
# leave a smaller process-wide guard behind.
Image.MAX_IMAGE_PIXELS = Settings.model_fields["max_upload_pixels"].default


@dataclass(frozen=True)
class NearDuplicate:
    image_id: int
    similarity: float


@dataclass(frozen=True)
class _Rendition:
    key: str
    data: bytes
    content_type: str


def ingest_image(
    session: Session,
    *,
    upload: BinaryIO,
    uploaded_by: User | None,
    declared_filename: str = "",
    declared_content_type: str = "",
) -> MediaImage:
    """Validate, decode, strip, render and store an upload; raise app.errors.Invalid with a clear reason otherwise."""
    settings = get_settings()
    with tempfile.TemporaryFile(prefix="chorus-upload-") as spool:
        digest, byte_size = _spool(upload, spool, max_bytes=settings.max_upload_bytes)
        spool.seek(0)
        _refuse_other_kinds(spool.read(1024), declared_filename, declared_content_type)
        spool.seek(0)
        with _open_image(spool, max_pixels=settings.max_upload_pixels) as image:
            image_format = str(image.format)
            _check_declared(image_format, declared_filename, declared_content_type)
            _refuse_animation(image)
            width, height = image.size
            display, thumbnail, orientation = _render(image)
            # Bounded by the size cap; needed whole to find where the image ends and to store it.
            spool.seek(0)
            original = spool.read()

    end = _end_of_image(original, image_format)
    # A payload after the image (see the module docstring): keep only the image's own bytes, without metadata.
    kept = metadata.without_metadata(original[:end], image_format, orientation=orientation)
    if kept != original:  # a comparison costs far less than hashing again
        original = kept
        digest, byte_size = hashlib.sha256(original).hexdigest(), len(original)

    fingerprint, low_detail = image_fingerprint(thumbnail)
    display_rendition = _encode(display)
    thumbnail_rendition = _encode(thumbnail)
    original_key = f"originals/{digest}.{_ORIGINAL_EXTENSIONS[image_format]}"

    storage = get_storage()
    for key, data, content_type in (
        (display_rendition.key, display_rendition.data, display_rendition.content_type),
        (thumbnail_rendition.key, thumbnail_rendition.data, thumbnail_rendition.content_type),
        (original_key, original, _ORIGINAL_CONTENT_TYPES[image_format]),
    ):
        # Content-addressed: a key that exists already holds these very bytes.
        if not storage.exists(key):
            storage.put(key, data, content_type)

    media_image = MediaImage(
        sha256=digest,
        original_key=original_key,
        display_key=display_rendition.key,
        thumbnail_key=thumbnail_rendition.key,
        width=width,
        height=height,
        format=image_format,
        byte_size=byte_size,
        similarity_hashes=fingerprint,
        low_detail=low_detail,
        uploaded_by_id=id_of(uploaded_by) if uploaded_by is not None else None,
    )
    session.add(media_image)
    session.flush()
    return media_image


def rendition_url(image: MediaImage, rendition: Literal["thumbnail", "display"]) -> str:
    """The public URL of a rendition, e.g. /media/renditions/ab/cd/<sha256>.jpg."""
    if rendition == "thumbnail":
        return get_storage().url(image.thumbnail_key)
    if rendition == "display":
        return get_storage().url(image.display_key)
    raise ValueError(f"no such rendition: {rendition!r}")


def original_bytes(image: MediaImage) -> bytes:
    """The stored original, for staff download (never served by a public URL), without metadata.

    Originals stored before uploads were stripped of their metadata may still carry EXIF and GPS: they are
    stripped on the way out (the same rewrite, which leaves an already stripped file as it is)."""
    data = get_storage().get(image.original_key)
    orientation = 1
    # Pillow decodes a whole PNG to look for EXIF after its pixels: a PNG without an eXIf chunk has none to keep.
    if image.format != "PNG" or b"eXIf" in data:
        with Image.open(io.BytesIO(data), formats=[image.format]) as opened:
            orientation = _orientation(opened)
    return metadata.without_metadata(data, image.format, orientation=orientation)


def image_fingerprint(thumbnail: Image.Image) -> tuple[str, bool]:
    """The near-duplicate fingerprint of an image's thumbnail, as stored, and whether the image is low-detail."""
    grey = similarity.grey_view(thumbnail)
    return similarity.fingerprint(grey).to_text(), similarity.is_low_detail(grey)


def image_similarity(first: MediaImage, second: MediaImage) -> float | None:
    """How alike two images look (1.0: the same picture; see app.media.similarity), or None when either is
    low-detail or has no fingerprint."""
    if first.low_detail or second.low_detail or not first.similarity_hashes or not second.similarity_hashes:
        return None
    return similarity.similarity(
        similarity.Fingerprint.from_text(first.similarity_hashes),
        similarity.Fingerprint.from_text(second.similarity_hashes),
    )


def find_near_duplicates(session: Session, *, image: MediaImage, among: SelectOfScalar[int]) -> list[NearDuplicate]:
    """The images named by ``among`` (a query of image ids) that look like ``image``, most alike first.

    Low-detail images match nothing and nothing matches them (app.media.similarity says why). The fingerprints
    are compared in Python, about 15 microseconds each on a busy machine: a community of 5,000 designs takes
    about 70 ms (bench/near_duplicates.py)."""
    if image.low_detail or not image.similarity_hashes:
        return []
    target = similarity.Fingerprint.from_text(image.similarity_hashes)
    candidates = session.exec(
        select(MediaImage.id, MediaImage.similarity_hashes).where(
            col(MediaImage.id).in_(among),
            col(MediaImage.id) != image.id,
            col(MediaImage.low_detail).is_(False),
            col(MediaImage.similarity_hashes).is_not(None),
        )
    )
    found = []
    for image_id, hashes in candidates:
        assert image_id is not None and hashes is not None
        bits = similarity.distance(target, similarity.Fingerprint.from_text(hashes))
        if bits <= similarity.MAX_DISTANCE:
            found.append(NearDuplicate(image_id=image_id, similarity=similarity.similarity_of_distance(bits)))
    return sorted(found, key=lambda match: (-match.similarity, match.image_id))


# --- the pipeline, step by step ------------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    if size >= 1024 * 1024:
        return _("%(size)s MB", size=format_number(size / (1024 * 1024)))
    return ngettext("%(num)s byte", "%(num)s bytes", size, num=format_number(size))


def _spool(upload: BinaryIO, spool: IO[bytes], *, max_bytes: int) -> tuple[str, int]:
    """Copy the upload to the temporary file, hashing it, and stop as soon as it is over the cap."""
    digest = hashlib.sha256()
    size = 0
    while True:
        chunk = upload.read(min(_CHUNK, max_bytes + 1 - size))
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise Invalid(_("The file is too large: the limit is %(limit)s.", limit=_megabytes(max_bytes)))
        digest.update(chunk)
        spool.write(chunk)
    if size == 0:
        raise Invalid(_("The file is empty (zero bytes): choose a PNG, JPEG or WebP image."))
    return digest.hexdigest(), size


_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"GIF87a", 0, N_("a GIF image")),
    (b"GIF89a", 0, N_("a GIF image")),
    (b"PK\x03\x04", 0, N_("a ZIP archive")),
    (b"%PDF-", 0, N_("a PDF document")),
    (b"BM", 0, N_("a BMP image")),
    (b"II*\x00", 0, N_("a TIFF image")),
    (b"MM\x00*", 0, N_("a TIFF image")),
    (b"\x00\x00\x01\x00", 0, N_("an icon (ICO)")),
    (b"8BPS", 0, N_("a Photoshop document")),
    (b"ftypheic", 4, N_("a HEIC image")),
    (b"ftypheix", 4, N_("a HEIC image")),
    (b"ftypmif1", 4, N_("a HEIF image")),
    (b"ftypavif", 4, N_("an AVIF image")),
    (b"\x00\x00\x00\x0cjP  ", 0, N_("a JPEG 2000 image")),
)


def _looks_like_svg(head: bytes) -> bool:
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    return start.startswith(b"<") and b"<svg" in start


def _refuse_other_kinds(head: bytes, declared_filename: str, declared_content_type: str) -> None:
    """Name the kind of a file that is clearly not one of ours, before any decoder sees it."""
    if _looks_like_svg(head):
        raise Invalid(
            _("SVG images are not accepted (only PNG, JPEG or WebP images are accepted): export the design as PNG.")
        )
    if (
        len(head) >= 24
        and head[:8] == b"\x89PNG\r\n\x1a\n"
        and head[12:16] == b"IHDR"
        and 0 in struct.unpack_from(">II", head, 16)
    ):
        raise Invalid(_("The image is zero-sized: its header declares no pixels."))
    for signature, offset, kind in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            if "GIF" in kind:
                raise Invalid(
                    _(
                        "This file is a GIF image: only PNG, JPEG or WebP images are accepted "
                        "(animated images are not accepted either)."
                    )
                )
            raise Invalid(_("This file is %(kind)s: only PNG, JPEG or WebP images are accepted.", kind=_(kind)))


class _OpenedImage:
    """Image.open with the allowlist and the pixel limits, as a context manager that closes the image."""

    def __init__(self, stream: IO[bytes], *, max_pixels: int) -> None:
        self.stream = stream
        self.max_pixels = max_pixels
        self.image: ImageFile.ImageFile | None = None

    def __enter__(self) -> "ImageFile.ImageFile":
        limit = _megapixels(self.max_pixels)
        if Image.MAX_IMAGE_PIXELS is None or self.max_pixels > Image.MAX_IMAGE_PIXELS:
            Image.MAX_IMAGE_PIXELS = self.max_pixels
        try:
            # Before Python 3.14 catch_warnings changes process-wide filters: two uploads at once can at worst
            # leave this "error" filter in place for a while, which is what we want here anyway.
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(self.stream, formats=list(ACCEPTED_FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise Invalid(
                _(
                    "The image has too many pixels: the limit is %(limit)s megapixels "
                    "(refused unread as a possible decompression bomb).",
                    limit=limit,
                )
            ) from error
        except UnidentifiedImageError as error:
            raise Invalid(
                _(
                    "This file is not a PNG, JPEG or WebP image (it may be damaged, or another kind of file): "
                    "only PNG, JPEG or WebP images are accepted."
                )
            ) from error
        except _DECODE_ERRORS as error:
            raise Invalid(_("The image is damaged or truncated: its header could not be read.")) from error
        self.image = image
        width, height = image.size
        if width <= 0 or height <= 0:
            raise Invalid(_("The image is zero-sized (it has no pixels)."))
        if width * height > self.max_pixels:
            raise Invalid(
                _(
                    "The image has too many pixels: %(width)s x %(height)s is %(pixels)s megapixels; "
                    "the limit is %(limit)s megapixels.",
                    width=format_number(width),
                    height=format_number(height),
                    pixels=_megapixels(width * height),
                    limit=limit,
                )
            )
        if image.format not in ACCEPTED_FORMATS:  # pragma: no cover - the allowlist makes this unreachable
            raise Invalid(_("This file is not a PNG, JPEG or WebP image: only PNG, JPEG or WebP images are accepted."))
        return image

    def __exit__(self, *_exc: object) -> None:
        if self.image is not None:
            self.image.close()


def _open_image(stream: IO[bytes], *, max_pixels: int) -> _OpenedImage:
    return _OpenedImage(stream, max_pixels=max_pixels)


def _megapixels(pixels: int) -> str:
    """Megapixels to three significant digits, in the language's figures ("0.02", "179"; "0,02" in German)."""
    return format_number(float(f"{pixels / 1_000_000:.3g}"))


def _check_declared(image_format: str, filename: str, content_type: str) -> None:
    """The file's name and declared type must agree with what it is (a PNG named .jpg is refused, and told so)."""
    actual = _FORMAT_NAMES[image_format]
    extension = PurePath(filename.strip()).suffix.lower() if filename.strip() else ""
    if extension and _EXTENSIONS.get(extension) != image_format:
        raise Invalid(
            _(
                "The file's content does not match its name: it is named %(extension)s but is a %(actual)s image. "
                "Rename it to .%(suffix)s or export it again.",
                extension=extension,
                actual=actual,
                suffix=_ORIGINAL_EXTENSIONS[image_format],
            )
        )
    declared = content_type.split(";", 1)[0].strip().lower()
    if declared not in _UNINFORMATIVE_TYPES and _CONTENT_TYPES.get(declared) != image_format:
        raise Invalid(
            _(
                "The file's content does not match its declared type: it was sent as %(declared)s but is a "
                "%(actual)s image.",
                declared=declared,
                actual=actual,
            )
        )


def _refuse_animation(image: Image.Image) -> None:
    if getattr(image, "is_animated", False) or getattr(image, "n_frames", 1) > 1:
        raise Invalid(
            _(
                "Animated images are not accepted (this %(format)s has several frames).",
                format=_FORMAT_NAMES[str(image.format)],
            )
        )


def _fitted(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """The size that fits in a ``longest`` x ``longest`` box, keeping the aspect ratio (never enlarging)."""
    width, height = size
    scale = min(1.0, longest / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _render(image: ImageFile.ImageFile) -> tuple[Image.Image, Image.Image, int]:
    """Decode once (at a reduced scale for JPEG), then make the display image and the thumbnail from it; also
    the EXIF orientation that was applied to them (read after the decode: a PNG's EXIF may follow its pixels)."""
    if image.format == "JPEG" and max(image.size) > DISPLAY_SIZE:
        # libjpeg decodes at 1/2, 1/4 or 1/8 scale when that still covers the requested size (either orientation
        # fits the square box, so the stored orientation is the one to ask with).
        image.draft(None, _fitted(image.size, DISPLAY_SIZE))
    try:
        # The one full decode: a truncated or damaged file fails here, before anything is stored.
        image.load()
    except _DECODE_ERRORS as error:
        raise Invalid(_("The image is truncated or damaged: its data could not be decoded completely.")) from error

    icc_profile = image.info.get("icc_profile")
    orientation = _orientation(image)
    ImageOps.exif_transpose(image, in_place=True)
    pixels = _plain_mode(image)
    display = _to_srgb(_shrunk(pixels, DISPLAY_SIZE, copy=pixels is image), icc_profile)
    display.info = {}  # nothing of the original's metadata travels into the renditions
    thumbnail = _shrunk(display, THUMBNAIL_SIZE, copy=False)
    thumbnail.info = {}
    return display, thumbnail, orientation


def _shrunk(image: Image.Image, longest: int, *, copy: bool) -> Image.Image:
    """A new image that fits ``longest`` (as Image.thumbnail would make it: bicubic, reducing by whole factors
    first while that keeps a gap of 2); ``image`` itself when it fits already, unless ``copy``."""
    size = _fitted(image.size, longest)
    if size != image.size:
        return image.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)
    return image.copy() if copy else image


def _plain_mode(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when the image has transparency; CMYK is kept for the ICC conversion. Returns ``image`` itself
    when it is already in such a mode."""
    mode = image.mode
    if mode in ("RGB", "CMYK"):
        return image
    if mode == "RGBA":
        return image if _uses_alpha(image) else image.convert("RGB")
    if mode.startswith("I;16") or mode in ("I", "F"):
        # 16-bit (or wider) grey: scale to 8 bits rather than clip.
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L").convert("RGB")
    if mode in ("LA", "La", "PA", "RGBa") or "transparency" in image.info:
        converted = image.convert("RGBA")
        return converted if _uses_alpha(converted) else converted.convert("RGB")
    return image.convert("RGB")


def _uses_alpha(image: Image.Image) -> bool:
    alpha = image.getchannel("A").getextrema()
    return isinstance(alpha, tuple) and isinstance(alpha[0], int | float) and alpha[0] < 255


_SRGB = ImageCms.createProfile("sRGB")


def _to_srgb(image: Image.Image, icc_profile: object) -> Image.Image:
    """Apply the file's colour profile (a wide-gamut phone photo, a CMYK print file), so dropping it keeps the
    colours; without one, pixels are taken as sRGB, as browsers do."""
    output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
    if isinstance(icc_profile, bytes) and icc_profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=output_mode)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None  # a broken or mismatched profile: keep the pixels as they are
        if converted is not None:
            return converted
    return image if image.mode == output_mode else image.convert(output_mode)


def _encode(image: Image.Image) -> _Rendition:
    """JPEG for opaque images, WebP for transparent ones; keyed by the SHA-256 of the encoded bytes."""
    buffer = io.BytesIO()
    if image.mode == "RGBA":
        image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=4)
        extension, content_type = "webp", "image/webp"
    else:
        image.save(buffer, "JPEG", quality=JPEG_QUALITY)
        extension, content_type = "jpg", "image/jpeg"
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    return _Rendition(f"renditions/{digest[:2]}/{digest[2:4]}/{digest}.{extension}", data, content_type)


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation (1-8; 1, as stored, when missing or out of range)."""
    value = image.getexif().get(ExifTags.Base.Orientation, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


# --- where the image ends (for polyglots) --------------------------------------------------------------------

# In JPEG entropy-coded data a 0xFF byte is followed by 0x00 (a stuffed byte) or a restart marker; anything else
# is the next marker.
_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")


def _end_of_image(data: bytes, image_format: str) -> int | None:
    """The offset just past the image's own bytes, or None when the structure is not the expected one (then the
    file is kept whole: it decoded, so it is an image, and we do not guess)."""
    try:
        if image_format == "JPEG":
            return _jpeg_end(data)
        if image_format == "PNG":
            return _png_end(data)
        if image_format == "WEBP":
            return _webp_end(data)
    except (IndexError, struct.error):
        return None
    return None


def _jpeg_end(data: bytes) -> int | None:
    if not data.startswith(b"\xff\xd8"):
        return None
    position = 2
    while position < len(data):
        if data[position] != 0xFF:
            return None
        while data[position] == 0xFF:  # fill bytes before a marker
            position += 1
        marker = data[position]
        position += 1
        if marker == 0xD9:  # EOI
            return position
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            continue
        (length,) = struct.unpack_from(">H", data, position)
        position += length
        if marker == 0xDA:  # SOS: entropy-coded data runs to the next marker
            found = _JPEG_MARKER.search(data, position)
            if found is None:
                return None
            position = found.start()
    return None


def _png_end(data: bytes) -> int | None:
    position = 8
    while position + 8 <= len(data):
        length, chunk_type = struct.unpack_from(">I4s", data, position)
        position += 12 + length
        if chunk_type == b"IEND":
            return position
    return None


def _webp_end(data: bytes) -> int | None:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    (size,) = struct.unpack_from("<I", data, 4)
    return 8 + size + (size & 1)
