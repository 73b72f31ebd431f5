"""Artwork for the demo's designs, drawn with Pillow: a background pattern, a motif and sometimes a short word.

Everything comes from a seeded ``random.Random``, so a run draws the same pictures every time. Candidates too
like an earlier one (by the same near-duplicate fingerprint the upload pipeline uses) are drawn again, so no demo
design is flagged as a near-duplicate.
"""

import io
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PIL import Image, ImageColor, ImageDraw, ImageFont

from app.media import similarity

SIZE = 1000
# The upload pipeline flags designs within similarity.MAX_DISTANCE bits of an earlier one; keep the demo's clear.
MIN_HASH_DISTANCE = similarity.MAX_DISTANCE + 4
HASH_THUMBNAIL = 400

PALETTES: list[tuple[str, ...]] = [
    ("#1d3557", "#457b9d", "#a8dadc", "#f1faee", "#e63946"),
    ("#264653", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51"),
    ("#22223b", "#4a4e69", "#9a8c98", "#c9ada7", "#f2e9e4"),
    ("#003049", "#d62828", "#f77f00", "#fcbf49", "#eae2b7"),
    ("#2b2d42", "#8d99ae", "#edf2f4", "#ef233c", "#d90429"),
    ("#344e41", "#3a5a40", "#588157", "#a3b18a", "#dad7cd"),
    ("#0b090a", "#161a1d", "#660708", "#a4161a", "#f5f3f4"),
    ("#03045e", "#0077b6", "#00b4d8", "#90e0ef", "#caf0f8"),
    ("#5f0f40", "#9a031e", "#fb8b24", "#e36414", "#0f4c5c"),
    ("#606c38", "#283618", "#fefae0", "#dda15e", "#bc6c25"),
    ("#10002b", "#3c096c", "#7b2cbf", "#c77dff", "#e0aaff"),
    ("#ff595e", "#ffca3a", "#8ac926", "#1982c4", "#6a4c93"),
]
WORDS = ["RAIN", "TRAIL", "NORTH", "DRIFT", "PEAK", "TIDE", "FERN", "EMBER", "GALE", "MOSS", "DUSK", "WILD"]

Draw = ImageDraw.ImageDraw
Colours = tuple[str, ...]


@dataclass(frozen=True)
class Artwork:
    png: bytes
    motif: str
    pattern: str
    word: str


def _stripes(draw: Draw, rng: random.Random, colours: Colours) -> None:
    width = rng.randint(30, 140)
    angle = rng.choice([0, 1, -1])
    for index, start in enumerate(range(-SIZE, 2 * SIZE, width)):
        if index % 2:
            continue
        offset = angle * SIZE
        draw.polygon(
            [(start, 0), (start + width, 0), (start + width + offset, SIZE), (start + offset, SIZE)],
            fill=colours[1],
        )


def _dots(draw: Draw, rng: random.Random, colours: Colours) -> None:
    step = rng.randint(60, 160)
    radius = rng.randint(step // 6, step // 3)
    shift = rng.randint(0, step)
    for row, y in enumerate(range(-step, SIZE + step, step)):
        for x in range(-step, SIZE + step, step):
            cx = x + shift + (step // 2 if row % 2 else 0)
            draw.ellipse([cx - radius, y - radius, cx + radius, y + radius], fill=colours[1])


def _checks(draw: Draw, rng: random.Random, colours: Colours) -> None:
    step = rng.randint(70, 250)
    for row, y in enumerate(range(0, SIZE, step)):
        for column, x in enumerate(range(0, SIZE, step)):
            if (row + column) % 2:
                draw.rectangle([x, y, x + step, y + step], fill=colours[1])


def _waves(draw: Draw, rng: random.Random, colours: Colours) -> None:
    gap = rng.randint(45, 120)
    amplitude = rng.randint(15, 60)
    period = rng.uniform(120, 400)
    phase = rng.uniform(0, 2 * math.pi)
    for base in range(-gap, SIZE + gap, gap):
        points = [(x, base + amplitude * math.sin(phase + 2 * math.pi * x / period)) for x in range(0, SIZE + 10, 10)]
        draw.line(points, fill=colours[1], width=max(6, gap // 3))


def _rings(draw: Draw, rng: random.Random, colours: Colours) -> None:
    cx, cy = rng.randint(0, SIZE), rng.randint(0, SIZE)
    gap = rng.randint(35, 90)
    for index, radius in enumerate(range(int(SIZE * 1.5), 0, -gap)):
        colour = colours[1] if index % 2 else colours[0]
        draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=colour)


def _gradient(draw: Draw, rng: random.Random, colours: Colours) -> None:
    top, bottom = ImageColor.getrgb(colours[0]), ImageColor.getrgb(colours[1])
    bands = rng.randint(6, 14)
    vertical = rng.random() < 0.5
    for band in range(bands):
        mix = band / (bands - 1)
        colour = tuple(round(a + (b - a) * mix) for a, b in zip(top[:3], bottom[:3], strict=True))
        start, end = SIZE * band // bands, SIZE * (band + 1) // bands
        box = (0, start, SIZE, end) if vertical else (start, 0, end, SIZE)
        draw.rectangle(box, fill=colour)


def _triangles(draw: Draw, rng: random.Random, colours: Colours) -> None:
    step = rng.randint(90, 220)
    for row, y in enumerate(range(0, SIZE, step)):
        for column, x in enumerate(range(-step, SIZE + step, step)):
            if (row + column) % 2:
                draw.polygon([(x, y + step), (x + step // 2, y), (x + step, y + step)], fill=colours[1])


PATTERNS: dict[str, Callable[[Draw, random.Random, Colours], None]] = {
    "stripes": _stripes,
    "dots": _dots,
    "checks": _checks,
    "waves": _waves,
    "rings": _rings,
    "gradient": _gradient,
    "triangles": _triangles,
}


def _star(cx: float, cy: float, outer: float, inner: float, points: int, turn: float) -> list[tuple[float, float]]:
    corners = []
    for index in range(points * 2):
        radius = outer if index % 2 == 0 else inner
        angle = turn + math.pi * index / points
        corners.append((cx + radius * math.sin(angle), cy - radius * math.cos(angle)))
    return corners


def _motif(draw: Draw, rng: random.Random, colours: Colours) -> str:
    kind = rng.choice(["sun", "mountains", "star", "polygon", "leaf", "blocks", "bolt"])
    cx, cy = rng.randint(300, 700), rng.randint(300, 700)
    size = rng.randint(180, 330)
    main, accent = colours[2], colours[3]
    if kind == "sun":
        for ray in range(rng.randint(8, 18)):
            angle = 2 * math.pi * ray / 12 + rng.uniform(-0.1, 0.1)
            end = (cx + 1.6 * size * math.cos(angle), cy + 1.6 * size * math.sin(angle))
            draw.line([(cx, cy), end], fill=accent, width=rng.randint(12, 30))
        draw.ellipse([cx - size, cy - size, cx + size, cy + size], fill=main)
    elif kind == "mountains":
        horizon = rng.randint(550, 850)
        for _ in range(rng.randint(2, 4)):
            peak_x, peak_y = rng.randint(0, SIZE), rng.randint(150, horizon - 100)
            spread = rng.randint(250, 550)
            draw.polygon([(peak_x - spread, horizon), (peak_x, peak_y), (peak_x + spread, horizon)], fill=main)
            cap = (horizon - peak_y) // 4
            draw.polygon(
                [
                    (peak_x - spread * cap / (horizon - peak_y), peak_y + cap),
                    (peak_x, peak_y),
                    (peak_x + spread * cap / (horizon - peak_y), peak_y + cap),
                ],
                fill=accent,
            )
        draw.rectangle([0, horizon, SIZE, SIZE], fill=colours[4])
    elif kind == "star":
        points = rng.randint(5, 9)
        draw.polygon(_star(cx, cy, size, size * rng.uniform(0.35, 0.6), points, rng.uniform(0, 1)), fill=main)
        draw.ellipse([cx - size // 5, cy - size // 5, cx + size // 5, cy + size // 5], fill=accent)
    elif kind == "polygon":
        sides = rng.randint(3, 8)
        turn = rng.uniform(0, math.pi)
        corners = [
            (cx + size * math.cos(turn + 2 * math.pi * i / sides), cy + size * math.sin(turn + 2 * math.pi * i / sides))
            for i in range(sides)
        ]
        draw.polygon(corners, fill=main, outline=accent, width=24)
    elif kind == "leaf":
        draw.ellipse([cx - size // 2, cy - size, cx + size // 2, cy + size], fill=main)
        draw.line([(cx, cy - size), (cx, cy + size * 1.2)], fill=accent, width=16)
        for vein in range(1, 5):
            y = cy - size + vein * size * 2 // 5
            draw.line([(cx, y), (cx - size // 3, y - 60)], fill=accent, width=10)
            draw.line([(cx, y), (cx + size // 3, y - 60)], fill=accent, width=10)
    elif kind == "blocks":
        for _ in range(rng.randint(3, 7)):
            x, y = rng.randint(50, 750), rng.randint(50, 750)
            w, h = rng.randint(80, 300), rng.randint(80, 300)
            draw.rectangle([x, y, x + w, y + h], fill=rng.choice([main, accent, colours[4]]))
    else:  # bolt
        zig = [
            (cx - size * 0.2, cy - size),
            (cx + size * 0.5, cy - size),
            (cx + size * 0.1, cy - size * 0.1),
            (cx + size * 0.5, cy - size * 0.1),
            (cx - size * 0.4, cy + size * 1.1),
            (cx - size * 0.05, cy + size * 0.15),
            (cx - size * 0.45, cy + size * 0.15),
        ]
        draw.polygon(zig, fill=main, outline=accent, width=12)
    return kind


def _word(draw: Draw, rng: random.Random, colours: Colours) -> str:
    word = rng.choice(WORDS)
    font = ImageFont.load_default(size=rng.randint(110, 170))
    left, top, right, bottom = draw.textbbox((0, 0), word, font=font)
    x = (SIZE - (right - left)) // 2 - left
    y = rng.choice([70, SIZE - (bottom - top) - 90]) - top
    # The palette's lightest and darkest colours, so the word reads on whatever lies behind it.
    by_lightness = sorted(colours, key=_lightness)
    fill, stroke = (by_lightness[-1], by_lightness[0]) if rng.random() < 0.5 else (by_lightness[0], by_lightness[-1])
    draw.text((x, y), word, font=font, fill=fill, stroke_width=8, stroke_fill=stroke)
    return word


def _lightness(colour: str) -> float:
    red, green, blue = ImageColor.getrgb(colour)[:3]
    return 0.299 * red + 0.587 * green + 0.114 * blue


def draw_artwork(rng: random.Random) -> tuple[Image.Image, str, str, str]:
    """One picture: (image, motif, pattern, word or "")."""
    colours = list(rng.choice(PALETTES))
    rng.shuffle(colours)
    palette = tuple(colours)
    image = Image.new("RGB", (SIZE, SIZE), palette[0])
    draw = ImageDraw.Draw(image)
    pattern = rng.choice(sorted(PATTERNS))
    PATTERNS[pattern](draw, rng, palette)
    motif = _motif(draw, rng, palette)
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        draw = ImageDraw.Draw(image)
    word = _word(draw, rng, palette) if rng.random() < 0.4 else ""
    return image, motif, pattern, word


def _fingerprint(image: Image.Image) -> similarity.Fingerprint:
    thumbnail = image.copy()
    thumbnail.thumbnail((HASH_THUMBNAIL, HASH_THUMBNAIL))
    return similarity.fingerprint(similarity.grey_view(thumbnail))


def artworks(rng: random.Random, count: int) -> Iterator[Artwork]:
    """``count`` distinct pictures as PNG files, each at least MIN_HASH_DISTANCE bits from every earlier one."""
    fingerprints: list[similarity.Fingerprint] = []
    made = 0
    while made < count:
        image, motif, pattern, word = draw_artwork(rng)
        fingerprint = _fingerprint(image)
        if any(similarity.distance(fingerprint, other) < MIN_HASH_DISTANCE for other in fingerprints):
            continue
        fingerprints.append(fingerprint)
        buffer = io.BytesIO()
        image.save(buffer, "PNG", compress_level=1)
        made += 1
        yield Artwork(png=buffer.getvalue(), motif=motif, pattern=pattern, word=word)
