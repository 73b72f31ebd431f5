"""Metadata out of originals, losslessly: no EXIF, GPS, XMP or text; the ICC profile, orientation and pixels kept."""

import io

import pytest
from PIL import ExifTags, Image, ImageCms, PngImagePlugin

from app.media.metadata import without_metadata
from tests.media import corpus

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="52,22.125N"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def _opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _assert_clean(stripped: bytes, original: bytes, *, orientation: int) -> None:
    image = _opened(stripped)
    exif = image.getexif()
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert dict(exif) == ({ExifTags.Base.Orientation: orientation} if orientation != 1 else {})
    for marker in (b"Chorus Test Camera", b"GPSLatitude", b"xmpmeta", b"a caption"):
        assert marker not in stripped
    assert image.info.get("icc_profile") == SRGB
    assert image.tobytes() == _opened(original).tobytes()  # the same pixels: nothing was re-encoded
    assert without_metadata(stripped, str(image.format), orientation=orientation) == stripped  # idempotent


@pytest.mark.parametrize("orientation", [1, 6])
def test_jpeg_loses_exif_gps_xmp_and_comments_and_keeps_its_profile(orientation: int) -> None:
    original = corpus.encode(
        corpus.scene(),
        "JPEG",
        quality=90,
        exif=corpus.exif_with_gps(orientation=orientation),
        icc_profile=SRGB,
        xmp=XMP,
        comment=b"a caption",
    )
    assert b"GPSLatitude" in original and b"Chorus Test Camera" in original

    stripped = without_metadata(original, "JPEG", orientation=orientation)

    _assert_clean(stripped, original, orientation=orientation)
    assert stripped[2:4] == b"\xff\xe0"  # JFIF's APP0 still comes first


def test_png_loses_exif_and_text_chunks_and_keeps_its_profile() -> None:
    text = PngImagePlugin.PngInfo()
    text.add_itxt("XML:com.adobe.xmp", XMP.decode())
    text.add_text("Comment", "a caption")
    original = corpus.encode(corpus.scene(), "PNG", exif=corpus.exif_with_gps(), icc_profile=SRGB, pnginfo=text)
    assert b"xmpmeta" in original and b"Chorus Test Camera" in original

    _assert_clean(without_metadata(original, "PNG", orientation=1), original, orientation=1)
    turned = without_metadata(original, "PNG", orientation=6)
    assert _opened(turned).getexif() == {ExifTags.Base.Orientation: 6}


def test_webp_loses_exif_and_xmp_and_keeps_its_profile() -> None:
    original = corpus.encode(
        corpus.scene(), "WEBP", lossless=True, exif=corpus.exif_with_gps(), icc_profile=SRGB, xmp=XMP
    )
    assert b"xmpmeta" in original and b"Chorus Test Camera" in original
    _assert_clean(without_metadata(original, "WEBP", orientation=1), original, orientation=1)
    _assert_clean(without_metadata(original, "WEBP", orientation=3), original, orientation=3)


def test_a_file_without_metadata_is_unchanged_and_an_unknown_structure_is_left_alone() -> None:
    plain = corpus.encode(corpus.scene(), "PNG")
    assert without_metadata(plain, "PNG") == plain
    assert without_metadata(b"not an image", "JPEG") == b"not an image"
    assert without_metadata(b"\xff\xd8\xff\xe1\x00", "JPEG") == b"\xff\xd8\xff\xe1\x00"  # cut short
