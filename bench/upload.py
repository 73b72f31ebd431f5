"""The image upload pipeline against a bare Pillow decode + thumbnail of the same 12-megapixel JPEG.

    python -m bench.upload [--repetitions 9] [--profile]

The target (from the issue): ``ingest_image`` on a 12 MP JPEG takes at most 1.5 times a bare
``Image.open`` + ``draft`` + ``thumbnail`` to 1600 px and to 400 px of the same file.

- The photo: 4000 x 3000, made here with Pillow (gradients, shapes and Gaussian noise, so it compresses like a
  photo rather than a flat colour), saved as JPEG quality 90 with EXIF (camera, GPS), as a phone would.
- ``ingest_image``: the whole use case, as a request would run it: the upload is read from an open file (as
  FastAPI's ``UploadFile.file``), streamed to a temporary file and hashed, checked, decoded once, rendered,
  encoded, hashed perceptually, stored (a fresh temporary LocalStorage directory per repetition, so nothing is
  skipped as already stored), and its row inserted and committed in a migrated temporary SQLite database.
- The baseline: ``Image.open(path)``, ``draft("RGB", (1600, 1200))`` (the same libjpeg scale the pipeline
  uses: 1/2 for 4000 x 3000), ``thumbnail((1600, 1600))``, then a copy ``thumbnail((400, 400))``. No
  encoding, no storage: the least work that yields the two sizes.
- The two alternate, one of each per repetition after a warm-up of each, so a burst of other work on the
  machine falls on both alike; the medians are compared.
"""

import argparse
import cProfile
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import ExifTags, Image, ImageDraw, ImageFilter

TARGET_RATIO = 1.5
SIZE = (4000, 3000)


def make_photo(path: Path) -> int:
    """A photo-like 12 MP JPEG (about 3 to 5 MB); returns its size in bytes."""
    width, height = SIZE
    horizontal = Image.linear_gradient("L").rotate(90).resize(SIZE)
    vertical = Image.linear_gradient("L").resize(SIZE)
    radial = Image.radial_gradient("L").resize(SIZE)
    image = Image.merge("RGB", (horizontal, vertical, radial))
    draw = ImageDraw.Draw(image)
    for index in range(40):
        x, y = (index * 977) % width, (index * 613) % height
        colour = ((index * 53) % 256, (index * 97) % 256, (index * 151) % 256)
        draw.ellipse((x, y, x + 200 + index * 9, y + 150 + index * 7), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(3))
    noise = Image.effect_noise(SIZE, 24).convert("RGB")
    image = Image.blend(image, noise, 0.18)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Bench Camera"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 22.0, 7.5)
    image.save(path, "JPEG", quality=90, exif=exif)
    return path.stat().st_size


def bare_pillow(path: Path) -> None:
    with Image.open(path) as image:
        image.draft("RGB", (1600, 1200))
        image.thumbnail((1600, 1600))
        thumbnail = image.copy()
        thumbnail.thumbnail((400, 400))


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.upload", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=9, help="measured runs of each (9)")
    parser.add_argument("--profile", action="store_true", help="also profile one ingest_image and print the top")
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.repetitions <= 50:
        parser.error("--repetitions must be between 1 and 50")

    with tempfile.TemporaryDirectory(prefix="chorus-bench-upload-") as directory:
        root = Path(directory)
        # Settings are read from the environment once: point them at the temporary directory before anything of
        # the app is imported.
        os.environ["CHORUS_DATA_DIR"] = str(root)
        os.environ["CHORUS_DATABASE_URL"] = f"sqlite:///{(root / 'bench.db').as_posix()}"
        os.environ["CHORUS_SECRET_KEY"] = secrets.token_hex(16)

        from alembic import command
        from sqlmodel import Session

        from app.config import get_settings
        from app.db import alembic_config, build_engine, writer_engine
        from app.media.service import ingest_image

        get_settings.cache_clear()
        settings = get_settings()
        config = alembic_config(settings.resolved_database_url)
        config.attributes["configure_logging"] = False  # quiet: no alembic log lines in the figures
        command.upgrade(config, "head")
        engine = build_engine(settings.resolved_database_url)

        photo = root / "photo.jpg"
        started = time.perf_counter()
        size = make_photo(photo)
        print(
            f"12 MP JPEG ({SIZE[0]} x {SIZE[1]}, {size / 1e6:.1f} MB) made in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )

        run = 0

        def ingest() -> None:
            nonlocal run
            run += 1
            # A fresh storage directory each time: the renditions are content-addressed, and finding them stored
            # already would skip the writes.
            settings.media_dir = root / f"media-{run}"
            with photo.open("rb") as upload, Session(writer_engine(engine), expire_on_commit=False) as session:
                ingest_image(session, upload=upload, uploaded_by=None, declared_filename="photo.jpg")
                session.commit()

        def baseline() -> None:
            bare_pillow(photo)

        baseline()
        ingest()  # warm-up: imports, the first SQLite connection, libjpeg's tables
        baseline_times, pipeline_times = [], []
        for _ in range(arguments.repetitions):
            baseline_times.append(timed(baseline))
            pipeline_times.append(timed(ingest))

        if arguments.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            ingest()
            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
        engine.dispose()

    base, pipeline = statistics.median(baseline_times), statistics.median(pipeline_times)
    ratio = pipeline / base
    print(f"bare Pillow (open, draft, thumbnail 1600 and 400): median {base * 1000:.0f} ms", end="")
    print(f" (min {min(baseline_times) * 1000:.0f}, max {max(baseline_times) * 1000:.0f})")
    print(f"ingest_image (the whole upload use case):          median {pipeline * 1000:.0f} ms", end="")
    print(f" (min {min(pipeline_times) * 1000:.0f}, max {max(pipeline_times) * 1000:.0f})")
    print(
        f"ratio {ratio:.2f} (target at most {TARGET_RATIO}); {arguments.repetitions} repetitions each, "
        f"{os.cpu_count()} CPUs, Pillow {Image.__version__}"
    )
    if ratio > TARGET_RATIO:
        raise SystemExit(f"ingest_image is {ratio:.2f} times the bare decode, above the {TARGET_RATIO} target")


if __name__ == "__main__":
    main()
