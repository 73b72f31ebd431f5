"""Near-duplicate detection on a generated corpus: copies found, distinct images and blanks left alone.

    python -m bench.near_duplicates [--images 200] [--json FILE]

- The corpus: ``--images`` distinct pictures drawn with Pillow from fixed seeds, in five kinds taken in turn:
  shapes on a flat colour, colour gradients with a few blobs, words on a flat colour, soft noise textures in two
  colours, photo-like landscapes (sky, sun, hills, blur and grain). Sizes vary from 640 x 480 to 1000 x 1000.
- The copies: each picture resized to half, re-encoded as JPEG quality 40, colour-shifted (hue turned about 17
  degrees, 15% brighter, 30% more saturated), mirrored, cropped by 4% and by 10% a side, turned 3 and -5 degrees
  (the corners left black, as ``Image.rotate`` does).
- Blank and low-detail images: white, black, grey and coloured canvases of five sizes, and near-blank ones (faint
  grain, a faint smudge, a faint gradient).
- Each image is encoded (PNG; JPEG for the re-encoded copy), decoded, made into the pipeline's 400 px thumbnail
  (``Image.thumbnail``: bicubic, as ``ingest_image`` makes it for pictures up to 1600 px) and fingerprinted by the
  pipeline's own ``image_fingerprint``; pairs are compared with ``app.media.similarity.distance`` and flagged at
  ``MAX_DISTANCE``, as ``find_near_duplicates`` does.

Reported: the share of copies flagged as near-duplicates of their picture (target: at least 95%), the share of
pairs of distinct pictures flagged (target: at most 0.5%), blank images matched to anything (target: none), the
milliseconds per fingerprint, and the time to compare one fingerprint with a challenge of 5,000 designs (parsing
each stored fingerprint, as ``find_near_duplicates`` does). Exits non-zero when a target is missed.
"""

import argparse
import io
import itertools
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from app.media.service import image_fingerprint
from app.media.similarity import MAX_DISTANCE, Fingerprint, distance

TARGET_COPIES = 0.95
TARGET_DISTINCT = 0.005
CHALLENGE_SIZE = 5000
WORDS = ["RAIN", "TRAIL", "NORTH", "DRIFT", "PEAK", "TIDE", "FERN", "EMBER", "GALE", "MOSS", "DUSK", "WILD", "CHORUS"]
Colour = tuple[int, int, int]


def _colour(rng: random.Random) -> Colour:
    return (rng.randrange(256), rng.randrange(256), rng.randrange(256))


def _shapes(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    width, height = size
    image = Image.new("RGB", size, _colour(rng))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(3, 9)):
        left, top = rng.uniform(-0.1, 0.9) * width, rng.uniform(-0.1, 0.9) * height
        box = (left, top, left + rng.uniform(0.1, 0.5) * width, top + rng.uniform(0.1, 0.5) * height)
        shape = rng.choice(["ellipse", "rectangle", "polygon"])
        if shape == "polygon":
            draw.polygon([(rng.uniform(0, width), rng.uniform(0, height)) for _ in range(3)], fill=_colour(rng))
        elif shape == "ellipse":
            draw.ellipse(box, fill=_colour(rng))
        else:
            draw.rectangle(box, fill=_colour(rng))
    return image


def _gradients(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    width, height = size
    linear = Image.linear_gradient("L").rotate(rng.uniform(0, 360)).resize(size)
    inset = [rng.uniform(0, 100) for _ in range(4)]
    radial = Image.radial_gradient("L").resize(size, box=(inset[0], inset[1], 256 - inset[2], 256 - inset[3]))
    image = Image.composite(Image.new("RGB", size, _colour(rng)), Image.new("RGB", size, _colour(rng)), linear)
    image = Image.composite(image, Image.new("RGB", size, _colour(rng)), radial)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(1, 3)):
        left, top = rng.uniform(0, 0.7) * width, rng.uniform(0, 0.7) * height
        right, bottom = left + rng.uniform(0.1, 0.3) * width, top + rng.uniform(0.1, 0.3) * height
        draw.ellipse((left, top, right, bottom), fill=_colour(rng))
    return image


def _words(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    width, height = size
    image = Image.new("RGB", size, _colour(rng))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=rng.randint(40, 110))
    for _ in range(rng.randint(2, 5)):
        position = (rng.uniform(0, 0.6) * width, rng.uniform(0, 0.85) * height)
        draw.text(position, rng.choice(WORDS), fill=_colour(rng), font=font)
    draw.rectangle((0, rng.uniform(0.5, 0.9) * height, width, height), fill=_colour(rng))
    return image


def _texture(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    width, height = size
    # Cells of 16 to 64 px: finer noise, once blurred, would be a flat colour (a low-detail image, not a texture).
    grid = (max(4, width // rng.choice([16, 32, 64])), max(4, height // rng.choice([16, 32, 64])))
    # Pillow's noise takes no seed: draw the grid from the seeded generator instead.
    spread = rng.uniform(30, 90)
    levels = bytes(max(0, min(255, round(rng.gauss(128, spread)))) for _ in range(grid[0] * grid[1]))
    noise = Image.frombytes("L", grid, levels).resize(size, Image.Resampling.BICUBIC)
    image = ImageOps.colorize(noise, _colour(rng), _colour(rng))
    if rng.random() < 0.5:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(1, 6)))
    return image


def _landscape(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    width, height = size
    sky = Image.linear_gradient("L").resize(size)
    image = Image.composite(Image.new("RGB", size, _colour(rng)), Image.new("RGB", size, _colour(rng)), sky)
    draw = ImageDraw.Draw(image)
    sun_x, sun_y, radius = (
        rng.uniform(0.1, 0.9) * width,
        rng.uniform(0.05, 0.4) * height,
        rng.uniform(0.04, 0.12) * width,
    )
    draw.ellipse((sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius), fill=_colour(rng))
    for _ in range(rng.randint(2, 4)):
        base, amplitude = rng.uniform(0.4, 0.85) * height, rng.uniform(0.03, 0.15) * height
        frequency, phase = rng.uniform(1, 5), rng.uniform(0, 2 * math.pi)
        ridge = [
            (x, base + amplitude * math.sin(frequency * x / width * 2 * math.pi + phase))
            for x in range(0, width + 20, 20)
        ]
        draw.polygon([*ridge, (width, height), (0, height)], fill=_colour(rng))
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 3)))
    grain = Image.frombytes("L", size, rng.randbytes(width * height)).convert("RGB")
    return Image.blend(image, grain, rng.uniform(0.05, 0.15))


KINDS: list[Callable[[random.Random, tuple[int, int]], Image.Image]] = [
    _shapes,
    _gradients,
    _words,
    _texture,
    _landscape,
]


def distinct_picture(seed: int) -> Image.Image:
    rng = random.Random(seed)
    size = (rng.choice([640, 800, 900, 1000]), rng.choice([480, 600, 800, 1000]))
    return KINDS[seed % len(KINDS)](rng, size)


def _recoloured(image: Image.Image) -> Image.Image:
    hue, saturation, value = image.convert("HSV").split()
    turned = Image.merge("HSV", (hue.point(lambda level: (level + 12) % 256), saturation, value)).convert("RGB")
    return ImageEnhance.Color(ImageEnhance.Brightness(turned).enhance(1.15)).enhance(1.3)


def _cropped(image: Image.Image, share: float) -> Image.Image:
    width, height = image.size
    box = (round(width * share), round(height * share), round(width * (1 - share)), round(height * (1 - share)))
    return image.crop(box)


COPIES: dict[str, Callable[[Image.Image], Image.Image]] = {
    "resized to half": lambda image: image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS),
    "re-encoded (JPEG q40)": lambda image: image,  # encoded as JPEG quality 40 below
    "colour-shifted": _recoloured,
    "mirrored": ImageOps.mirror,
    "cropped 4% a side": lambda image: _cropped(image, 0.04),
    "cropped 10% a side": lambda image: _cropped(image, 0.10),
    "rotated 3 degrees": lambda image: image.rotate(3, Image.Resampling.BICUBIC),
    "rotated 5 degrees": lambda image: image.rotate(-5, Image.Resampling.BICUBIC),
}


def blanks() -> Iterator[tuple[str, Image.Image]]:
    """Blank and low-detail images of different sizes."""
    sizes = [(640, 480), (800, 800), (1000, 750), (1200, 1600), (300, 200)]
    for colour, name in (((255, 255, 255), "white"), ((0, 0, 0), "black"), ((128, 128, 128), "grey")):
        for size in sizes:
            yield f"{name} {size[0]}x{size[1]}", Image.new("RGB", size, colour)
    for size in sizes[:3]:
        yield f"blue {size[0]}x{size[1]}", Image.new("RGB", size, (40, 90, 200))
        rng = random.Random(size[0])
        grain = Image.frombytes("L", size, bytes(250 + rng.randrange(6) for _ in range(size[0] * size[1])))
        yield f"grainy white {size[0]}x{size[1]}", grain.convert("RGB")
        smudged = Image.new("RGB", size, (252, 252, 252))
        ImageDraw.Draw(smudged).ellipse((size[0] * 0.4, size[1] * 0.4, size[0] * 0.5, size[1] * 0.5), fill=(245,) * 3)
        yield f"faint smudge {size[0]}x{size[1]}", smudged
        faint = Image.linear_gradient("L").resize(size).point(lambda level: 246 + level // 32).convert("RGB")
        yield f"faint gradient {size[0]}x{size[1]}", faint


def fingerprinted(image: Image.Image, *, as_jpeg: bool = False) -> tuple[Fingerprint, bool, float]:
    """As an upload: encoded, decoded, the 400 px thumbnail, the pipeline's fingerprint; and its milliseconds."""
    buffer = io.BytesIO()
    if as_jpeg:
        image.save(buffer, "JPEG", quality=40)
    else:
        image.save(buffer, "PNG", compress_level=1)
    with Image.open(io.BytesIO(buffer.getvalue())) as decoded:
        thumbnail = decoded.convert("RGB")
    thumbnail.thumbnail((400, 400), Image.Resampling.BICUBIC)
    started = time.perf_counter()
    text, low_detail = image_fingerprint(thumbnail)
    elapsed = (time.perf_counter() - started) * 1000
    return Fingerprint.from_text(text), low_detail, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--images", type=int, default=200, help="distinct pictures (at most 1000)")
    parser.add_argument("--json", type=Path, help="write the figures to this file as well")
    arguments = parser.parse_args()
    count = max(10, min(arguments.images, 1000))
    console = Console()

    pictures: list[Fingerprint] = []
    low_detail_pictures = 0
    copies: dict[str, list[int]] = {name: [] for name in COPIES}
    milliseconds: list[float] = []
    with Progress(console=console) as progress:
        task = progress.add_task("Drawing, copying and fingerprinting", total=count)
        for seed in range(count):
            picture = distinct_picture(seed)
            fingerprint, low_detail, elapsed = fingerprinted(picture)
            pictures.append(fingerprint)
            low_detail_pictures += low_detail
            milliseconds.append(elapsed)
            for name, make in COPIES.items():
                copy, copy_low_detail, elapsed = fingerprinted(make(picture), as_jpeg=name.startswith("re-encoded"))
                milliseconds.append(elapsed)
                # A low-detail copy is never flagged, whatever its distance.
                copies[name].append(64 if copy_low_detail or low_detail else distance(fingerprint, copy))
            progress.advance(task)

        pairs = list(itertools.combinations(range(count), 2))
        task = progress.add_task("Comparing distinct pairs", total=len(pairs))
        distinct_distances = []
        for index, (first, second) in enumerate(pairs):
            distinct_distances.append(distance(pictures[first], pictures[second]))
            if index % 1000 == 999:
                progress.advance(task, 1000)
        progress.update(task, completed=len(pairs))

        task = progress.add_task("Blank and low-detail images", total=None)
        blank_results = [(name, *fingerprinted(image)[:2]) for name, image in blanks()]
        # What the low-detail rule prevents: blank pairs whose hashes alone would be taken for copies.
        blank_pairs = list(itertools.combinations([fingerprint for _, fingerprint, _ in blank_results], 2))
        blank_pairs_close = sum(distance(first, second) <= MAX_DISTANCE for first, second in blank_pairs)
        progress.update(task, total=1, completed=1)

    # A challenge of 5,000 designs: one new fingerprint against all, parsed from text as the query reads them.
    stored = [pictures[index % count].to_text() for index in range(CHALLENGE_SIZE)]
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        found = sum(distance(pictures[0], Fingerprint.from_text(text)) <= MAX_DISTANCE for text in stored)
        timings.append((time.perf_counter() - started) * 1000)
    assert found >= CHALLENGE_SIZE // count

    copy_shares = {name: sum(bits <= MAX_DISTANCE for bits in kind) / len(kind) for name, kind in copies.items()}
    all_copies = [bits for kind in copies.values() for bits in kind]
    copies_share = sum(bits <= MAX_DISTANCE for bits in all_copies) / len(all_copies)
    distinct_flagged = sum(bits <= MAX_DISTANCE for bits in distinct_distances)
    distinct_share = distinct_flagged / len(distinct_distances)
    blanks_not_low_detail = [name for name, _, low_detail in blank_results if not low_detail]
    figures = {
        "pictures": count,
        "copies": len(all_copies),
        "max_distance": MAX_DISTANCE,
        "copies_flagged": copies_share,
        "copies_flagged_by_kind": copy_shares,
        "distinct_pairs": len(distinct_distances),
        "distinct_pairs_flagged": distinct_flagged,
        "distinct_pairs_share": distinct_share,
        "distinct_pictures_low_detail": low_detail_pictures,
        "blanks": len(blank_results),
        "blanks_not_low_detail": blanks_not_low_detail,
        "blank_pairs": len(blank_pairs),
        "blank_pairs_close_without_the_rule": blank_pairs_close,
        "fingerprint_ms_median": statistics.median(milliseconds),
        "fingerprint_ms_p95": statistics.quantiles(milliseconds, n=20)[-1],
        "compare_5000_ms_median": statistics.median(timings),
    }

    table = Table(
        title=f"Near-duplicates: {count} pictures, {len(all_copies)} copies, flagged at ≤ {MAX_DISTANCE} bits"
    )
    table.add_column("")
    table.add_column("flagged", justify="right")
    for name, share in copy_shares.items():
        table.add_row(f"copies: {name}", f"{share:.1%}")
    table.add_row("copies: all (target ≥ 95%)", f"{copies_share:.1%}")
    table.add_row(
        f"distinct pairs: {distinct_flagged} of {len(distinct_distances):,} (target ≤ 0.5%)", f"{distinct_share:.2%}"
    )
    table.add_row(
        f"blank / low-detail images matched ({len(blank_results)}, target 0)", str(len(blanks_not_low_detail))
    )
    table.add_row(
        f"blank pairs close by hashes alone (of {len(blank_pairs)}; never flagged: low-detail)", str(blank_pairs_close)
    )
    table.add_row("distinct pictures taken for low-detail", str(low_detail_pictures))
    console.print(table)
    console.print(
        f"Fingerprint (from the 400 px thumbnail): median {figures['fingerprint_ms_median']:.1f} ms, "
        f"p95 {figures['fingerprint_ms_p95']:.1f} ms. One design against {CHALLENGE_SIZE:,}: "
        f"median {figures['compare_5000_ms_median']:.0f} ms."
    )
    if arguments.json:
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(json.dumps(figures, indent=2))
    met = copies_share >= TARGET_COPIES and distinct_share <= TARGET_DISTINCT and not blanks_not_low_detail
    console.print("All targets met: PASS" if met else "A target was missed: FAIL")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
