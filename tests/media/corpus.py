"""The upload corpus, made with Pillow at test time (no binary fixtures): valid images and hostile ones."""

import io
import struct
import zipfile
import zlib
from collections.abc import Callable

from PIL import ExifTags, Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

GPS_LATITUDE = (52.0, 22.0, 7.5)


def scene(size: tuple[int, int] = (800, 600), *, variant: int = 0, mode: str = "RGB") -> Image.Image:
    """A picture with structure (a sky gradient, shapes), so perceptual hashes have something to see."""
    width, height = size
    gradient = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (gradient, gradient.transpose(Image.Transpose.FLIP_TOP_BOTTOM), gradient))
    draw = ImageDraw.Draw(image)
    if variant == 0:
        draw.ellipse((width * 0.1, height * 0.2, width * 0.45, height * 0.7), fill=(230, 60, 40))
        draw.rectangle((width * 0.55, height * 0.5, width * 0.9, height * 0.9), fill=(20, 40, 160))
    else:
        draw.rectangle((0, 0, width * 0.5, height), fill=(250, 250, 240))
        draw.polygon([(width * 0.6, height * 0.1), (width * 0.95, height * 0.9), (width * 0.5, height * 0.8)], fill=0)
        draw.ellipse((width * 0.05, height * 0.6, width * 0.3, height * 0.95), fill=(0, 150, 0))
    return image.convert(mode) if mode != "RGB" else image


def poster(size: tuple[int, int] = (700, 900)) -> Image.Image:
    """Words on a flat colour with a band at the bottom: little but text for a hash to see."""
    width, height = size
    image = Image.new("RGB", size, (240, 200, 60))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=90)
    for index, word in enumerate(("TIDE", "FERN", "DUSK")):
        draw.text((width * 0.1 + index * 40, height * (0.1 + 0.22 * index)), word, fill=(30, 30, 90), font=font)
    draw.rectangle((0, height * 0.8, width, height), fill=(200, 60, 40))
    return image


def texture(size: tuple[int, int] = (800, 800)) -> Image.Image:
    """A soft noise texture in two colours, made from a fixed seed (Pillow's noise is seeded per call)."""
    grid = Image.frombytes("L", (25, 25), bytes((index * 7919 + 31) % 256 for index in range(625)))
    return ImageOps.colorize(grid.resize(size, Image.Resampling.BICUBIC), (20, 60, 40), (230, 240, 200))


ARTWORKS: dict[str, Callable[[], Image.Image]] = {
    "scene": lambda: scene((1000, 750)),
    "other scene": lambda: scene((1000, 750), variant=1),
    "poster": poster,
    "texture": texture,
}


def _recoloured(image: Image.Image) -> Image.Image:
    """The hue turned by about 17 degrees, 15% brighter and 30% more saturated."""
    hue, saturation, value = image.convert("HSV").split()
    turned = Image.merge("HSV", (hue.point(lambda level: (level + 12) % 256), saturation, value)).convert("RGB")
    return ImageEnhance.Color(ImageEnhance.Brightness(turned).enhance(1.15)).enhance(1.3)


def _cropped(image: Image.Image, share: float) -> Image.Image:
    width, height = image.size
    return image.crop(
        (round(width * share), round(height * share), round(width * (1 - share)), round(height * (1 - share)))
    )


def _reencoded(image: Image.Image) -> Image.Image:
    return Image.open(io.BytesIO(encode(image, "JPEG", quality=40)))


COPIES: dict[str, Callable[[Image.Image], Image.Image]] = {
    "resized": lambda image: image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS),
    "re-encoded": _reencoded,
    "colour-shifted": _recoloured,
    "mirrored": ImageOps.mirror,
    "cropped 4%": lambda image: _cropped(image, 0.04),
    "cropped 10%": lambda image: _cropped(image, 0.10),
    "rotated 3 degrees": lambda image: image.rotate(3, Image.Resampling.BICUBIC),
    "rotated 5 degrees": lambda image: image.rotate(-5, Image.Resampling.BICUBIC),
}


def blank(size: tuple[int, int], colour: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    return Image.new("RGB", size, colour)


def near_blank(size: tuple[int, int] = (640, 480)) -> Image.Image:
    """White with a faint grain and a faint smudge: what a scanned blank page looks like."""
    grain = Image.effect_noise(size, 6).point(lambda level: 250 + (level - 128) // 20)
    image = Image.merge("RGB", (grain, grain, grain)).filter(ImageFilter.GaussianBlur(1))
    ImageDraw.Draw(image).ellipse((size[0] * 0.4, size[1] * 0.4, size[0] * 0.5, size[1] * 0.5), fill=(246, 246, 246))
    return image


def encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def png(size: tuple[int, int] = (800, 600), **options: object) -> bytes:
    return encode(scene(size), "PNG", **options)


def jpeg(size: tuple[int, int] = (800, 600), *, quality: int = 90, **options: object) -> bytes:
    return encode(scene(size), "JPEG", quality=quality, **options)


def webp(size: tuple[int, int] = (800, 600)) -> bytes:
    return encode(scene(size), "WEBP", quality=80)


def transparent_png(size: tuple[int, int] = (600, 400)) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((50, 50, size[0] - 50, size[1] - 50), fill=(200, 30, 90, 255))
    return encode(image, "PNG")


def exif_with_gps(*, orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Chorus Test Camera"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 53.0, 0.0)
    return exif


def jpeg_with_gps(size: tuple[int, int] = (800, 600), *, orientation: int = 1) -> bytes:
    return encode(scene(size), "JPEG", quality=90, exif=exif_with_gps(orientation=orientation))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR declares ``width`` x ``height`` grey pixels, with a few compressed rows of data: what a
    decompression bomb looks like before anything is decoded (a real one is a few kilobytes of zlib)."""
    rows = zlib.compress(b"\x00" * min(width + 1, 1 << 16) * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + _chunk(b"IDAT", rows)
        + _chunk(b"IEND", b"")
    )


def truncated_jpeg() -> bytes:
    data = jpeg((1200, 900))
    return data[: len(data) // 2]


SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" onload="alert(1)">'
    b'<circle cx="50" cy="50" r="40" fill="red"/></svg>\n'
)


def _frames(size: tuple[int, int] = (64, 64)) -> list[Image.Image]:
    return [Image.new("RGB", size, colour) for colour in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]


def animated(image_format: str) -> bytes:
    first, *rest = _frames()
    return encode(first, image_format, save_all=True, append_images=rest, duration=100, loop=0)


ZIP_PAYLOAD_MARKER = b"this is a hidden archive member"


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.txt", ZIP_PAYLOAD_MARKER)
    return buffer.getvalue()
