"""Metadata out of the stored original, losslessly: no EXIF (so no GPS position, camera serial or date), no XMP
(which carries locations too), no text comments; the ICC colour profile and the orientation kept.

Staff download the original to produce a winning design, so its pixels must be the uploaded ones, and a re-encode
would cost quality: the file is rewritten at the level of its containers instead, keeping every byte of image data
and dropping the metadata segments (JPEG), chunks (PNG) or chunks and flags (WebP). What stays:

- the ICC profile (JPEG ``APP2 ICC_PROFILE``, PNG ``iCCP``, WebP ``ICCP``), without which the colours change;
- the JPEG ``APP0`` (JFIF) and ``APP14`` (Adobe: how to read CMYK) segments, PNG colour and transparency chunks;
- the orientation, as a new EXIF block holding only that tag, when it is not the default: the original then
  still shows upright, and nothing else of the camera's EXIF survives.

Everything else that may carry metadata goes: JPEG ``APP1`` (EXIF, XMP), other ``APP2`` (FlashPix, MPF),
``APP3``-``APP13`` (IPTC, Photoshop), ``APP15`` and comments; PNG ``eXIf``, ``tEXt``, ``zTXt``, ``iTXt`` (XMP lives
there) and ``tIME``; WebP ``EXIF`` and ``XMP``.
"""

import struct
import zlib

from PIL import ExifTags, Image

_JPEG_KEPT_APP = {0xE0: (b"",), 0xE2: (b"ICC_PROFILE\x00",), 0xEE: (b"Adobe",)}
_PNG_DROPPED = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}
_WEBP_DROPPED = {b"EXIF", b"XMP "}
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def without_metadata(data: bytes, image_format: str, *, orientation: int = 1) -> bytes:
    """The image with its metadata dropped (see the module docstring); ``data`` itself when the structure is not
    the expected one (the pipeline decoded it, but we do not guess at a container we cannot walk)."""
    try:
        if image_format == "JPEG":
            return _jpeg(data, orientation)
        if image_format == "PNG":
            return _png(data, orientation)
        if image_format == "WEBP":
            return _webp(data, orientation)
    except (IndexError, struct.error):
        return data
    return data


def _orientation_exif(orientation: int) -> bytes:
    """An EXIF block (with its ``Exif\\0\\0`` header) holding only the orientation."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    return exif.tobytes()


def _jpeg(data: bytes, orientation: int) -> bytes:
    if not data.startswith(b"\xff\xd8"):
        return data
    kept = [b"\xff\xd8"]
    position = 2
    exif_added = orientation == 1
    while True:
        if data[position] != 0xFF:
            return data
        marker_start = position
        while data[position] == 0xFF:
            position += 1
        marker = data[position]
        position += 1
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            kept.append(data[marker_start:position])
            continue
        if not exif_added and marker != 0xE0:
            # EXIF goes first, or right after JFIF's APP0 (which must come first when there is one).
            kept.append(_jpeg_segment(0xE1, _orientation_exif(orientation)))
            exif_added = True
        if marker in (0xDA, 0xD9):  # start of scan (or a premature end): the rest is image data
            kept.append(data[marker_start:])
            return b"".join(kept)
        (length,) = struct.unpack_from(">H", data, position)
        end = position + length
        if end > len(data):
            return data
        payload = data[position + 2 : end]
        is_app = 0xE0 <= marker <= 0xEF or marker == 0xFE
        if not is_app or any(payload.startswith(prefix) for prefix in _JPEG_KEPT_APP.get(marker, ())):
            kept.append(data[marker_start:end])
        if marker == 0xE0 and not exif_added:
            kept.append(_jpeg_segment(0xE1, _orientation_exif(orientation)))
            exif_added = True
        position = end


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _png(data: bytes, orientation: int) -> bytes:
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return data
    kept = [data[:8]]
    position = 8
    exif_added = orientation == 1
    while position + 8 <= len(data):
        length, chunk_type = struct.unpack_from(">I4s", data, position)
        end = position + 12 + length
        if end > len(data):
            return data
        if chunk_type == b"IDAT" and not exif_added:
            kept.append(_png_chunk(b"eXIf", _orientation_exif(orientation).removeprefix(b"Exif\x00\x00")))
            exif_added = True
        if chunk_type not in _PNG_DROPPED:
            kept.append(data[position:end])
        position = end
        if chunk_type == b"IEND":
            break
    return b"".join(kept)


def _png_chunk(chunk_type: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(chunk_type + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + chunk_type + payload + struct.pack(">I", crc)


def _webp(data: bytes, orientation: int) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return data
    chunks = []
    position = 12
    while position + 8 <= len(data):
        chunk_type, length = data[position : position + 4], struct.unpack_from("<I", data, position + 4)[0]
        end = position + 8 + length + (length & 1)
        chunks.append((chunk_type, data[position + 8 : position + 8 + length]))
        position = end
    if not chunks or chunks[0][0] != b"VP8X":
        # The simple formats (VP8, VP8L alone) have no room for metadata.
        return data
    flags = chunks[0][1][0] & ~(_VP8X_EXIF | _VP8X_XMP)
    kept = [(chunk_type, payload) for chunk_type, payload in chunks if chunk_type not in _WEBP_DROPPED]
    if orientation != 1:
        kept.append((b"EXIF", _orientation_exif(orientation).removeprefix(b"Exif\x00\x00")))
        flags |= _VP8X_EXIF
    kept[0] = (b"VP8X", bytes((flags,)) + chunks[0][1][1:])
    body = b"".join(
        chunk_type + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) & 1 else b"")
        for chunk_type, payload in kept
    )
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body
