"""The upload pipeline: what it accepts and stores, and the reason it gives for everything it refuses."""

import hashlib
import io
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.config import get_settings
from app.errors import Invalid
from app.i18n import use_locale
from app.media import service as media_service
from app.media import similarity
from app.media.models import MediaImage
from app.media.service import find_near_duplicates, ingest_image, original_bytes, rendition_url
from app.media.storage import get_storage
from tests.factories import make_user
from tests.media import corpus


def ingest(session: Session, data: bytes, filename: str = "", content_type: str = "") -> MediaImage:
    return ingest_image(
        session,
        upload=io.BytesIO(data),
        uploaded_by=None,
        declared_filename=filename,
        declared_content_type=content_type,
    )


def refusal(session: Session, data: bytes, filename: str = "", content_type: str = "") -> str:
    with pytest.raises(Invalid) as caught:
        ingest(session, data, filename, content_type)
    return caught.value.message


def stored(key: str) -> bytes:
    return get_storage().get(key)


def opened(key: str) -> Image.Image:
    image = Image.open(io.BytesIO(stored(key)))
    image.load()
    return image


def stored_files(media_dir: Path) -> list[Path]:
    return sorted(path for path in media_dir.rglob("*") if path.is_file())


# --- what is accepted -----------------------------------------------------------------------------------------


def test_png_is_stored_with_its_renditions(session: Session, media_dir: Path) -> None:
    user = make_user(session)
    data = corpus.png((2400, 1800))
    image = ingest_image(
        session,
        upload=io.BytesIO(data),
        uploaded_by=user,
        declared_filename="poster.png",
        declared_content_type="image/png",
    )

    assert image.id is not None
    assert session.get(MediaImage, image.id) is image
    assert (image.format, image.width, image.height, image.byte_size) == ("PNG", 2400, 1800, len(data))
    assert image.sha256 == hashlib.sha256(data).hexdigest()
    assert image.uploaded_by_id == user.id
    assert image.original_key == f"originals/{image.sha256}.png"
    assert original_bytes(image) == data  # a PNG without metadata is stored as it came
    assert image.similarity_hashes is not None and len(image.similarity_hashes) == 160
    int(image.similarity_hashes, 16)
    assert not image.low_detail

    display, thumbnail = opened(image.display_key), opened(image.thumbnail_key)
    assert (display.format, display.size, display.mode) == ("JPEG", (1600, 1200), "RGB")
    assert (thumbnail.format, thumbnail.size) == ("JPEG", (400, 300))
    for key in (image.display_key, image.thumbnail_key):
        digest = hashlib.sha256(stored(key)).hexdigest()
        assert key == f"renditions/{digest[:2]}/{digest[2:4]}/{digest}.jpg"
    assert rendition_url(image, "thumbnail") == f"/media/{image.thumbnail_key}"
    assert rendition_url(image, "display") == f"/media/{image.display_key}"
    assert len(stored_files(media_dir)) == 3


def test_jpeg_exif_and_gps_are_stripped_from_renditions_and_the_original(session: Session) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = corpus.encode(corpus.scene((2000, 1500)), "JPEG", quality=90, exif=corpus.exif_with_gps(), icc_profile=srgb)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the corpus has GPS

    image = ingest(session, data, "holiday.JPG", "image/jpeg")

    assert image.format == "JPEG"
    for key in (image.display_key, image.thumbnail_key):
        raw = stored(key)
        rendition = opened(key)
        assert not rendition.getexif(), key
        assert "exif" not in rendition.info
        assert b"Exif" not in raw
        assert b"Chorus Test Camera" not in raw
    # The original, under the private prefix for staff only, keeps its pixels and colour profile but no EXIF.
    assert image.original_key.startswith("originals/")
    stored_original = stored(image.original_key)
    assert original_bytes(image) == stored_original
    assert (image.sha256, image.byte_size) == (hashlib.sha256(stored_original).hexdigest(), len(stored_original))
    kept = opened(image.original_key)
    assert not kept.getexif()
    assert not kept.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"Chorus Test Camera" not in stored_original
    assert kept.info["icc_profile"] == srgb
    assert kept.tobytes() == Image.open(io.BytesIO(data)).tobytes()  # not re-encoded


@pytest.mark.parametrize("image_format", ["PNG", "WEBP"])
def test_exif_is_stripped_from_png_and_webp_renditions_too(session: Session, image_format: str) -> None:
    data = corpus.encode(corpus.scene(), image_format, exif=corpus.exif_with_gps())
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    image = ingest(session, data)

    for key in (image.display_key, image.thumbnail_key):
        assert not opened(key).getexif()
        assert b"Chorus Test Camera" not in stored(key)
    assert b"Chorus Test Camera" not in stored(image.original_key)
    assert not opened(image.original_key).getexif()


def test_exif_orientation_is_applied_before_it_is_dropped(session: Session) -> None:
    # Orientation 6: the camera stored the picture on its side; viewers turn it 90 degrees clockwise.
    image = ingest(session, corpus.jpeg_with_gps((2000, 1000), orientation=6), "photo.jpg")

    assert (image.width, image.height) == (2000, 1000)  # the original as stored
    assert opened(image.display_key).size == (800, 1600)
    assert opened(image.thumbnail_key).size == (200, 400)
    # The original keeps the orientation (and nothing else of its EXIF), so it still shows upright.
    assert dict(opened(image.original_key).getexif()) == {ExifTags.Base.Orientation: 6}


def test_originals_stored_before_stripping_are_stripped_on_the_way_out(session: Session) -> None:
    image = ingest(session, corpus.png())
    # What an upload before 2026-12-06 left in storage: the file as it came, EXIF and GPS included.
    get_storage().put(image.original_key, corpus.jpeg_with_gps(orientation=3), "image/jpeg")
    image.format = "JPEG"
    served = Image.open(io.BytesIO(original_bytes(image)))
    assert dict(served.getexif()) == {ExifTags.Base.Orientation: 3}
    assert not served.getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_large_jpeg_is_decoded_at_a_reduced_scale_still_covering_the_display_size(session: Session) -> None:
    image = ingest(session, corpus.jpeg((4000, 3000)), "big.jpg")
    assert opened(image.display_key).size == (1600, 1200)


def test_webp_is_accepted(session: Session) -> None:
    image = ingest(session, corpus.webp(), "design.webp", "image/webp")
    assert (image.format, image.width, image.height) == ("WEBP", 800, 600)
    assert image.original_key.endswith(".webp")
    assert opened(image.display_key).format == "JPEG"  # opaque: JPEG


def test_transparent_png_keeps_its_alpha_in_webp_renditions(session: Session) -> None:
    image = ingest(session, corpus.transparent_png(), "logo.png", "image/png")

    display = opened(image.display_key)
    assert (display.format, display.mode) == ("WEBP", "RGBA")
    assert image.display_key.endswith(".webp")
    assert display.getpixel((0, 0))[3] == 0  # type: ignore[index]
    assert display.getpixel((300, 200))[3] == 255  # type: ignore[index]
    assert opened(image.thumbnail_key).mode == "RGBA"


def test_an_unused_alpha_channel_gives_jpeg(session: Session) -> None:
    data = corpus.encode(corpus.scene(mode="RGBA"), "PNG")
    assert opened(ingest(session, data).display_key).format == "JPEG"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: corpus.encode(corpus.scene(mode="L"), "PNG"), id="grey PNG"),
        pytest.param(lambda: corpus.encode(corpus.scene(mode="P"), "PNG"), id="palette PNG"),
        pytest.param(lambda: corpus.encode(corpus.scene(mode="L").convert("I;16"), "PNG"), id="16-bit PNG"),
        pytest.param(lambda: corpus.encode(corpus.scene(mode="CMYK"), "JPEG"), id="CMYK JPEG"),
        pytest.param(lambda: corpus.encode(corpus.scene(mode="L"), "JPEG"), id="grey JPEG"),
        pytest.param(lambda: corpus.jpeg(progressive=True), id="progressive JPEG"),
        pytest.param(lambda: corpus.encode(corpus.scene(), "WEBP", lossless=True), id="lossless WebP"),
    ],
)
def test_other_colour_modes_become_rgb_renditions(session: Session, make: object) -> None:
    data = make()  # type: ignore[operator]
    image = ingest(session, data)
    display = opened(image.display_key)
    assert (display.format, display.mode, display.size) == ("JPEG", "RGB", (800, 600))


def test_icc_profile_is_applied_and_not_carried_into_renditions(session: Session) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image = ingest(session, corpus.jpeg(icc_profile=srgb))
    assert "icc_profile" not in opened(image.display_key).info
    assert original_bytes(image).count(b"acsp") >= 1  # the original keeps its profile


def test_small_images_are_not_enlarged(session: Session) -> None:
    image = ingest(session, corpus.png((120, 80)))
    assert opened(image.display_key).size == (120, 80)
    assert opened(image.thumbnail_key).size == (120, 80)


def test_the_same_file_twice_is_two_images_sharing_the_stored_files(session: Session, media_dir: Path) -> None:
    data = corpus.png()
    first, second = ingest(session, data), ingest(session, data)
    assert first.id != second.id
    assert (first.sha256, first.original_key, first.display_key) == (
        second.sha256,
        second.original_key,
        second.display_key,
    )
    assert len(stored_files(media_dir)) == 3
    assert session.exec(select(MediaImage).where(MediaImage.sha256 == first.sha256)).all() == [first, second]


def test_storage_writes_leave_no_temporary_files(session: Session, media_dir: Path) -> None:
    ingest(session, corpus.png())
    assert not [path for path in stored_files(media_dir) if path.name.startswith(".tmp-")]


# --- what is refused, and why ----------------------------------------------------------------------------------


def test_decompression_bomb_is_refused_unread(session: Session) -> None:
    message = refusal(session, corpus.png_header_only(20000, 20000), "bomb.png", "image/png")
    assert "too many pixels" in message
    assert "decompression bomb" in message


def test_dimensions_above_the_pixel_limit_are_refused_before_decoding(session: Session) -> None:
    # 48 megapixels: over the 40-megapixel default, under Pillow's hard stop at twice the limit (its warning is
    # what refuses it).
    message = refusal(session, corpus.png_header_only(8000, 6000), "huge.png")
    assert "too many pixels" in message
    assert "40 megapixels" in message


def test_the_pixel_limit_is_a_setting(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "max_upload_pixels", 10_000)
    message = refusal(session, corpus.png((200, 100)), "wide.png")
    assert message == ("The image has too many pixels: 200 x 100 is 0.02 megapixels; the limit is 0.01 megapixels.")
    with use_locale("de"):
        german = refusal(session, corpus.png((2000, 100)), "wide.png")
    assert german == (
        "Das Bild hat zu viele Pixel: 2.000 x 100 sind 0,2 Megapixel; die Grenze liegt bei 0,01 Megapixeln."
    )
    with use_locale("es"):
        assert refusal(session, b"") == "El archivo está vacío (cero bytes): elige una imagen PNG, JPEG o WebP."
    # A lower setting does not lower Pillow's process-wide guard (which other code shares).
    assert Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS >= 40_000_000


def test_truncated_jpeg_is_refused(session: Session, media_dir: Path) -> None:
    message = refusal(session, corpus.truncated_jpeg(), "cut.jpg", "image/jpeg")
    assert "truncated" in message
    assert stored_files(media_dir) == []


def test_truncated_png_is_refused(session: Session) -> None:
    data = corpus.png()
    assert "truncated" in refusal(session, data[: len(data) // 2], "cut.png")


def test_png_named_jpg_is_refused_and_told_so(session: Session) -> None:
    message = refusal(session, corpus.png(), "photo.jpg", "image/jpeg")
    assert message.startswith("The file's content does not match its name: it is named .jpg but is a PNG image.")


def test_declared_type_must_match_the_content(session: Session) -> None:
    message = refusal(session, corpus.png(), "photo.png", "image/jpeg")
    assert message == (
        "The file's content does not match its declared type: it was sent as image/jpeg but is a PNG image."
    )


def test_an_uninformative_declared_type_and_no_name_are_fine(session: Session) -> None:
    assert ingest(session, corpus.webp(), "", "application/octet-stream").format == "WEBP"
    assert ingest(session, corpus.jpeg(), "IMG_0001.JPEG", "image/jpeg; charset=binary").format == "JPEG"


def test_svg_is_refused(session: Session) -> None:
    assert refusal(session, corpus.SVG, "logo.svg", "image/svg+xml").startswith("SVG images are not accepted")
    assert refusal(session, b"\xef\xbb\xbf  " + corpus.SVG[corpus.SVG.index(b"<svg") :]).startswith("SVG")


def test_animated_gif_is_refused(session: Session) -> None:
    message = refusal(session, corpus.animated("GIF"), "dance.gif", "image/gif")
    assert message == (
        "This file is a GIF image: only PNG, JPEG or WebP images are accepted "
        "(animated images are not accepted either)."
    )


@pytest.mark.parametrize(("image_format", "name"), [("PNG", "PNG"), ("WEBP", "WebP")])
def test_animated_png_and_webp_are_refused(session: Session, image_format: str, name: str) -> None:
    message = refusal(session, corpus.animated(image_format))
    assert message == f"Animated images are not accepted (this {name} has several frames)."


def test_random_bytes_are_refused(session: Session) -> None:
    noise = bytes((index * 7919 + 13) % 251 for index in range(50_000))
    assert refusal(session, noise, "photo.jpg").startswith("This file is not a PNG, JPEG or WebP image")


def test_image_magic_followed_by_junk_is_refused(session: Session) -> None:
    fake_jpeg = b"\xff\xd8\xff\xe0" + b"<html><script>alert(1)</script></html>" * 50
    message = refusal(session, fake_jpeg, "x.jpg")
    assert "not a PNG, JPEG or WebP image" in message or "damaged" in message


def test_zip_with_a_jpeg_appended_is_refused(session: Session) -> None:
    assert refusal(session, corpus.zip_archive() + corpus.jpeg()) == (
        "This file is a ZIP archive: only PNG, JPEG or WebP images are accepted."
    )


def test_jpeg_zip_polyglot_is_neutralised(session: Session, media_dir: Path) -> None:
    """A JPEG with a ZIP appended decodes as the JPEG: accepted, but no stored file carries the archive."""
    picture = corpus.jpeg()
    polyglot = picture + corpus.zip_archive()

    image = ingest(session, polyglot, "innocent.jpg", "image/jpeg")

    assert original_bytes(image) == picture  # the original is the image's own bytes, to its EOI marker
    assert image.sha256 == hashlib.sha256(picture).hexdigest()
    assert image.byte_size == len(picture)
    for path in stored_files(media_dir):
        content = path.read_bytes()
        assert b"PK\x03\x04" not in content, path
        assert corpus.ZIP_PAYLOAD_MARKER not in content, path


@pytest.mark.parametrize("make", [corpus.png, corpus.webp, corpus.transparent_png], ids=["PNG", "WebP", "RGBA"])
def test_trailing_payloads_are_dropped_from_png_and_webp_originals(session: Session, make: object) -> None:
    picture: bytes = make()  # type: ignore[operator]
    image = ingest(session, picture + corpus.zip_archive())
    assert original_bytes(image) == picture


def test_the_polyglot_cut_is_at_the_outer_image_end_not_an_embedded_exif_thumbnail(session: Session) -> None:
    """A JPEG's EXIF may hold a whole JPEG thumbnail (with its own EOI): the cut is at the outer image's end (and
    the EXIF, thumbnail and all, then goes with the rest of the metadata)."""
    thumbnail = corpus.encode(corpus.scene((160, 120)), "JPEG")
    exif = corpus.exif_with_gps()
    picture = corpus.encode(corpus.scene(), "JPEG", exif=exif.tobytes() + thumbnail)
    image = ingest(session, picture + corpus.zip_archive())
    kept = original_bytes(image)
    assert kept.endswith(picture[-2000:])  # the whole scan, to the outer EOI
    assert thumbnail not in kept and corpus.ZIP_PAYLOAD_MARKER not in kept
    assert opened(image.original_key).tobytes() == Image.open(io.BytesIO(picture)).tobytes()


def test_empty_file_is_refused(session: Session) -> None:
    assert refusal(session, b"", "empty.png", "image/png").startswith("The file is empty")


def test_zero_sized_image_is_refused(session: Session) -> None:
    assert refusal(session, corpus.png_header_only(0, 0), "nothing.png") == (
        "The image is zero-sized: its header declares no pixels."
    )


def test_oversize_file_is_refused_without_reading_it_all(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "max_upload_bytes", 10_000)

    class Endless(io.RawIOBase):
        """An upload that never ends: the pipeline must stop at the cap."""

        served = 0

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            assert size is not None and 0 < size <= 1024 * 1024, "read without a bound"
            self.served += size
            return b"\x89" * size

    upload = Endless()
    with pytest.raises(Invalid) as caught:
        ingest_image(session, upload=upload, uploaded_by=None)  # type: ignore[arg-type]
    assert caught.value.message == "The file is too large: the limit is 10,000 bytes."
    assert upload.served <= 10_001

    photo = corpus.jpeg()
    assert len(photo) > 10_000
    assert refusal(session, photo, "photo.jpg").startswith("The file is too large")
    monkeypatch.setattr(get_settings(), "max_upload_bytes", len(photo))
    assert ingest(session, photo, "photo.jpg").format == "JPEG"  # exactly at the limit is fine


def test_refusals_store_nothing_and_add_no_rows(session: Session, media_dir: Path) -> None:
    before = len(session.exec(select(MediaImage)).all())
    for data in (corpus.SVG, corpus.truncated_jpeg(), corpus.animated("PNG"), corpus.png_header_only(20000, 20000)):
        with pytest.raises(Invalid):
            ingest(session, data)
    assert stored_files(media_dir) == []
    assert len(session.exec(select(MediaImage)).all()) == before


# --- near-duplicates -------------------------------------------------------------------------------------------


def _everything() -> SelectOfScalar[int]:
    return select(MediaImage.id).where(col(MediaImage.id).is_not(None))  # type: ignore[return-value]


def _upload(session: Session, picture: Image.Image, image_format: str = "PNG", **options: object) -> MediaImage:
    return ingest(session, corpus.encode(picture, image_format, **options))


def test_copies_are_found_most_alike_first_and_distinct_pictures_are_not(session: Session) -> None:
    picture = corpus.scene((1600, 1200))
    original = _upload(session, picture)
    different = _upload(session, corpus.scene((1600, 1200), variant=1))
    for name in ("re-encoded", "mirrored", "cropped 10%", "rotated 5 degrees"):
        copy = _upload(session, corpus.COPIES[name](picture), "JPEG", quality=70)
        found = find_near_duplicates(session, image=copy, among=_everything())
        assert found and found[0].image_id == original.id, name
        assert different.id not in {match.image_id for match in found}, name
        assert copy.id not in {match.image_id for match in found}, name
        assert found[0].similarity >= 1 - similarity.MAX_DISTANCE / 64
        assert [match.similarity for match in found] == sorted((match.similarity for match in found), reverse=True)
    assert find_near_duplicates(session, image=different, among=_everything()) == []
    # Only among the images asked about.
    others = select(MediaImage.id).where(col(MediaImage.id) == different.id)
    assert find_near_duplicates(session, image=original, among=others) == []  # type: ignore[arg-type]


def test_blank_images_of_different_sizes_are_never_near_duplicates(session: Session) -> None:
    blanks = [
        _upload(session, corpus.blank((640, 480))),
        _upload(session, corpus.blank((1200, 1600)), "JPEG"),
        _upload(session, corpus.blank((300, 200))),
        _upload(session, corpus.near_blank((800, 600)), "JPEG"),
    ]
    assert all(image.low_detail for image in blanks)
    for image in blanks:
        assert find_near_duplicates(session, image=image, among=_everything()) == []
    # Nor is a picture ever matched to a blank one.
    picture = _upload(session, corpus.scene())
    assert not picture.low_detail
    assert find_near_duplicates(session, image=picture, among=_everything()) == []


def test_image_similarity(session: Session) -> None:
    original = _upload(session, corpus.poster())
    copy = _upload(session, corpus.COPIES["mirrored"](corpus.poster()))
    blank = _upload(session, corpus.blank((400, 400)))
    assert media_service.image_similarity(original, copy) == media_service.image_similarity(copy, original)
    assert (media_service.image_similarity(original, copy) or 0) >= 1 - similarity.MAX_DISTANCE / 64
    assert media_service.image_similarity(original, blank) is None
    original.similarity_hashes = None  # a row whose rendition could not be read when the column was added
    assert media_service.image_similarity(original, copy) is None
    assert find_near_duplicates(session, image=original, among=_everything()) == []


def test_rendition_url_names_only_the_two_renditions(session: Session) -> None:
    image = ingest(session, corpus.png((100, 100)))
    with pytest.raises(ValueError, match="no such rendition"):
        rendition_url(image, "original")  # type: ignore[arg-type]


def test_service_flushes_and_leaves_the_commit_to_the_caller(session: Session) -> None:
    image = ingest(session, corpus.png((100, 100)))
    assert image.id is not None
    assert session.in_transaction()
    session.rollback()
    assert session.get(MediaImage, image.id) is None


def test_pillow_guard_is_lowered() -> None:
    assert media_service.Image.MAX_IMAGE_PIXELS is not None
    assert media_service.Image.MAX_IMAGE_PIXELS < 89_478_485  # Pillow's default
