"""Reading images into uint8 arrays, with one policy for every odd format and every bad file.

Policy (documented in the README): the EXIF orientation is applied first; 16-bit grayscale is
scaled to 8 bits (x / 257, rounded; PIL reads 16-bit colour PNGs by their high byte, x >> 8);
grayscale and bilevel images are replicated to three channels; alpha channels are dropped;
palette, CMYK and other colour modes are converted to RGB by PIL. For 1-channel (Y) training
the BT.601 Y channel is taken from the RGB image and rounded to 8 bits. The content decides
the format, not the extension: a PNG named .jpg loads. A file that cannot be fully decoded
(zero bytes, truncated, corrupt, not an image) or whose header claims more than `max_pixels`
pixels (a decompression bomb, refused before its pixels are allocated) raises DataError naming
the file. `inspect_all` decodes a whole folder once, on threads, so training can leave bad
files out before it starts (sr_jax.data.sources.ImageFiles, python -m sr_jax.data.check).
"""
import concurrent.futures
import dataclasses
import functools
import hashlib
import os
import pathlib
import struct
import threading
from typing import Sequence
import warnings

import numpy as np
from PIL import Image, ImageOps

from sr_jax.ops import color

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
MAX_PIXELS = 100_000_000  # config.data.max_image_pixels' default: larger counts as a bomb

# What decoding hostile bytes raises. Seen in 30,000 fuzzed PNG/JPEG/BMP/TIFF/WebP/GIF/ICO files:
# OSError (PIL.UnidentifiedImageError, 'image file is truncated', decoder errors), SyntaxError,
# ValueError, and the bomb check's errors below; EOFError, struct.error, IndexError, TypeError
# and KeyError are what PIL's own open treats as 'end of data' in a plugin, and can escape load().
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError,
                 TypeError, KeyError)
# Above the limit PIL warns, above twice it raises; open_image makes the warning an error too.
_BOMB_ERRORS = (Image.DecompressionBombError, Image.DecompressionBombWarning)

# PIL reads its bomb limit from the module global Image.MAX_IMAGE_PIXELS and warns through the
# process-wide warnings filters; both are changed only while a header is read, under this lock.
_OPEN_LOCK = threading.Lock()


class DataError(ValueError):
  """A data folder or image that cannot be used; the message names it."""


def list_images(folder: str | os.PathLike) -> list[pathlib.Path]:
  """Image files under `folder`, recursively, in sorted order."""
  root = pathlib.Path(folder)
  if not root.is_dir():
    raise DataError(f"{root}: no such data folder")
  files = sorted(p for p in root.rglob("*")
                 if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
  if not files:
    raise DataError(f"{root}: no images ({', '.join(IMAGE_SUFFIXES)}) in this folder")
  return files


def _refused(path, error: Exception, max_pixels: int) -> DataError:
  if isinstance(error, _BOMB_ERRORS):
    return DataError(f"{path}: more than {max_pixels:,} pixels (config.data.max_image_pixels), "
                     "refused as a decompression bomb")
  return DataError(f"{path}: unreadable image ({type(error).__name__}: {error})")


def open_image(path, max_pixels: int = MAX_PIXELS) -> Image.Image:
  """Image.open with PIL's decompression-bomb check at `max_pixels` (its warning raised too);
  DataError naming the file when the header is unreadable or refused."""
  try:
    with _OPEN_LOCK, warnings.catch_warnings():
      warnings.simplefilter("error", Image.DecompressionBombWarning)
      saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, max_pixels
      try:
        return Image.open(path)
      finally:
        Image.MAX_IMAGE_PIXELS = saved
  except (*_BOMB_ERRORS, *DECODE_ERRORS) as e:
    raise _refused(path, e, max_pixels) from None


def to_rgb_uint8(img: Image.Image) -> np.ndarray:
  if img.mode in ("I;16", "I;16B", "I;16L", "I"):
    gray = np.asarray(img, np.float64)
    if gray.max(initial=0) > 255 or img.mode.startswith("I;16"):
      gray = gray / 257.0
    gray = np.clip(np.floor(gray + 0.5), 0, 255).astype(np.uint8)
    return np.repeat(gray[..., None], 3, axis=-1)
  if img.mode != "RGB":
    img = img.convert("RGB")
  return np.asarray(img, np.uint8)


def rgb_to_y_uint8(rgb: np.ndarray) -> np.ndarray:
  """(H, W, 3) uint8 → (H, W, 1) uint8 BT.601 Y in [16, 235]."""
  # einsum's own loop, not a BLAS call: grain workers must not start BLAS thread pools.
  y = 16.0 + np.einsum("...c,c->...", rgb.astype(np.float64),
                       np.array(color.Y_WEIGHTS) / 255.0)
  return np.floor(y + 0.5).astype(np.uint8)[..., None]


def _decode(path, max_pixels: int) -> tuple[np.ndarray, str]:
  """(H, W, 3) uint8 pixels, upright, and the file's PIL mode; DataError when undecodable."""
  with open_image(path, max_pixels) as img:
    try:
      return to_rgb_uint8(ImageOps.exif_transpose(img)), img.mode
    except (*_BOMB_ERRORS, *DECODE_ERRORS) as e:
      raise _refused(path, e, max_pixels) from None


def load_image(path, channels: int = 3, max_pixels: int = MAX_PIXELS) -> np.ndarray:
  """(H, W, channels) uint8 array following the policy above."""
  rgb, _ = _decode(path, max_pixels)
  return rgb if channels == 3 else rgb_to_y_uint8(rgb)


@dataclasses.dataclass(frozen=True)
class ImageInfo:
  """What decoding one file fully tells: its size, mode and pixel digest, or why it failed."""
  path: pathlib.Path
  height: int = 0
  width: int = 0
  mode: str = ""  # PIL's mode of the file, before the policy converts it
  digest: str = ""  # sha256 of 'HxW:' + the decoded, upright (H, W, 3) uint8 pixels
  error: str = ""  # the DataError message when the file cannot be decoded


def inspect(path: str | os.PathLike, max_pixels: int = MAX_PIXELS,
            digest: bool = True) -> ImageInfo:
  """digest=False leaves ImageInfo.digest empty: training needs only the size and errors."""
  path = pathlib.Path(path)
  try:
    rgb, mode = _decode(path, max_pixels)
  except DataError as e:
    return ImageInfo(path, error=str(e))
  h, w = rgb.shape[:2]
  if not digest:
    return ImageInfo(path, h, w, mode)
  sha = hashlib.sha256(f"{h}x{w}:".encode())
  sha.update(np.ascontiguousarray(rgb).data)
  return ImageInfo(path, h, w, mode, sha.hexdigest())


def inspect_all(paths: Sequence[str | os.PathLike], max_pixels: int = MAX_PIXELS,
                threads: int | None = None, digest: bool = True) -> list[ImageInfo]:
  """inspect() of every file, in order, on a thread pool: PIL decodes and hashlib hashes
  without the GIL, so a folder is checked about `threads` times faster than in a loop."""
  with concurrent.futures.ThreadPoolExecutor(threads) as pool:
    return list(pool.map(functools.partial(inspect, max_pixels=max_pixels, digest=digest),
                         paths))


def problem(info: ImageInfo, min_size: int) -> str:
  """Why this file cannot train with `min_size`-pixel HR patches, naming it; '' when it can."""
  if info.error:
    return info.error
  if min(info.height, info.width) < min_size:
    return (f"{info.path}: {info.height}x{info.width} is smaller than the {min_size}-pixel "
            "HR patch")
  return ""
