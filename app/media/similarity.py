"""Near-duplicate fingerprints: several perceptual hashes of one image, so that a copy is found even when it was
resized, re-encoded, colour-shifted, mirrored, cropped or slightly turned.

One DCT perceptual hash (``imagehash.phash``: 64 bits, the signs of the lowest 8 x 8 frequencies of a 32 x 32 grey
image) survives resizing, re-encoding and moderate colour changes, but not a mirror, a crop or a turn: those move
the picture within the frame. So a fingerprint holds ten hashes of the grey image:

- its centre 100%, 90% and 80%, each as it is and mirrored left to right. A copy cropped by 5% a side is close to
  the original's centre 90%, one cropped by 10% a side to its centre 80% (and the other way round, when the
  cropped copy came first); a mirrored copy is close to the original's mirrored hash;
- its centre 80% turned by -4 and +4 degrees, as it is and mirrored: a copy turned by 1 to 8 degrees either way
  is close to one of them (the centre leaves out the corners a turn fills or loses).

Two images are compared by the fewest bits in which any of those views differ (``distance``): 0 to 64, symmetric.
``MAX_DISTANCE`` was tuned on the corpus of ``bench/near_duplicates.py`` (98.6% of the eight kinds of copies
found, the colour-shifted ones least often at 93%; 0.2% of pairs of distinct pictures taken for copies, mostly
words on flat colours; the figures are in bench/README.md). Each hash has exactly 32 bits set (they are signs
against the median), so distances are even: 12 and 13 flag alike.

Low-detail images (a blank canvas, a flat colour, a faint gradient, with or without encoding noise) have nothing
for a hash to see: their DCT coefficients are all near zero, so the hash bits are rounding noise, and two blank
images of different sizes can come out close. An image whose grey levels vary by less than ``LOW_DETAIL_SPREAD``
(standard deviation, 0-255, over a 64 x 64 reduction) is marked low-detail, and low-detail images are never taken
for near-duplicates of anything, nor anything of them.
"""

from dataclasses import dataclass

import imagehash
import numpy as np
from PIL import Image, ImageOps

MAX_DISTANCE = 12
LOW_DETAIL_SPREAD = 4.0
HASH_BITS = 64
TEXT_LENGTH = 10 * 16  # ten 64-bit hashes as hex

_CROPS = (1.0, 0.9, 0.8)
_TURNS = (-4.0, 4.0)
_TURNED_CROP = 0.8
_WORKING_SIZE = 128
_LIGHTNESS = np.array([0.299, 0.587, 0.114])


@dataclass(frozen=True)
class Fingerprint:
    """The hashes of one image: ``crops`` as (as it is, mirrored) for the centre 100%, 90% and 80%; ``turned`` the
    centre 80% turned -4 and +4 degrees, each as it is and mirrored."""

    crops: tuple[tuple[int, int], ...]
    turned: tuple[int, ...]

    def to_text(self) -> str:
        values = [value for pair in self.crops for value in pair] + list(self.turned)
        return "".join(f"{value:016x}" for value in values)

    @classmethod
    def from_text(cls, text: str) -> "Fingerprint":
        if len(text) != TEXT_LENGTH:
            raise ValueError(f"a fingerprint is {TEXT_LENGTH} hex digits, not {len(text)}")
        values = [int(text[start : start + 16], 16) for start in range(0, TEXT_LENGTH, 16)]
        crops = tuple((values[index], values[index + 1]) for index in range(0, 2 * len(_CROPS), 2))
        return cls(crops=crops, turned=tuple(values[2 * len(_CROPS) :]))


def grey_view(image: Image.Image) -> Image.Image:
    """What the hashes look at: the image as a viewer sees it (transparency on white), in grey.

    Grey is lightness, except for a picture drawn in colours of (nearly) equal lightness, red on green, which
    lightness would flatten into a blank: its colours are projected on the direction in which they vary most
    instead. Lightness is kept for the others because it moves least when a copy is recoloured or turned (the
    black corners of a turned copy would change the direction of most variation)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    rgb = image.convert("RGB")
    lightness = rgb.convert("L")
    if not is_low_detail(lightness):
        return lightness
    pixels = np.asarray(rgb.resize((64, 64), Image.Resampling.BOX), dtype=np.float64).reshape(-1, 3)
    covariance = np.cov(pixels, rowvar=False)
    if not np.any(covariance):
        return lightness  # one flat colour
    axis = np.linalg.eigh(covariance)[1][:, -1]
    if axis @ _LIGHTNESS < 0:
        axis = -axis
    axis = axis / np.abs(axis).sum()
    # Weights summing (in absolute value) to 1, and an offset for the negative ones: the grey stays in 0-255.
    offset = -255 * axis[axis < 0].sum()
    return rgb.convert("L", (float(axis[0]), float(axis[1]), float(axis[2]), float(offset)))


def is_low_detail(grey: Image.Image) -> bool:
    """True for an image with (almost) nothing in it: see the module docstring."""
    pixels = np.asarray(grey.resize((64, 64), Image.Resampling.BOX), dtype=np.float64)
    return float(pixels.std()) < LOW_DETAIL_SPREAD


def fingerprint(grey: Image.Image) -> Fingerprint:
    """The ten hashes of a grey image (the 400 px thumbnail: more pixels change no bit of a 32 x 32 hash)."""
    # Each hash shrinks its view to 32 x 32: shrinking once to 128 px first makes the ten views and the two turns
    # several times cheaper, and changes no more bits than a re-encode does.
    grey = grey.copy()
    grey.thumbnail((_WORKING_SIZE, _WORKING_SIZE), Image.Resampling.BOX)
    crops = []
    for share in _CROPS:
        centre = _centre(grey, share)
        crops.append((_phash(centre), _phash(ImageOps.mirror(centre))))
    turned = []
    for degrees in _TURNS:
        centre = _centre(grey.rotate(degrees, resample=Image.Resampling.BILINEAR), _TURNED_CROP)
        turned += [_phash(centre), _phash(ImageOps.mirror(centre))]
    return Fingerprint(crops=tuple(crops), turned=tuple(turned))


def distance(first: Fingerprint, second: Fingerprint) -> int:
    """The fewest bits in which a view of one differs from a view of the other (0-64; symmetric)."""
    best = HASH_BITS
    for plain, mirrored in first.crops:
        for other_plain, other_mirrored in second.crops:
            best = min(
                best,
                (plain ^ other_plain).bit_count(),
                (mirrored ^ other_plain).bit_count(),
                (plain ^ other_mirrored).bit_count(),
            )
    first_centre, second_centre = first.crops[-1][0], second.crops[-1][0]
    for turned in first.turned:
        best = min(best, (turned ^ second_centre).bit_count())
    for turned in second.turned:
        best = min(best, (turned ^ first_centre).bit_count())
    return best


def similarity(first: Fingerprint, second: Fingerprint) -> float:
    """1.0 for the same picture, falling by 1/64 per differing bit; copies are at least 1 - MAX_DISTANCE/64."""
    return similarity_of_distance(distance(first, second))


def similarity_of_distance(bits: int) -> float:
    return round(1 - bits / HASH_BITS, 3)


def _centre(image: Image.Image, share: float) -> Image.Image:
    if share == 1.0:
        return image
    width, height = image.size
    margin_x, margin_y = width * (1 - share) / 2, height * (1 - share) / 2
    return image.crop((round(margin_x), round(margin_y), round(width - margin_x), round(height - margin_y)))


def _phash(image: Image.Image) -> int:
    return int(str(imagehash.phash(image)), 16)
