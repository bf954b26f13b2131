"""Reading images into uint8 arrays, with one policy for every odd format.

Policy (documented in the README): 16-bit images are scaled to 8 bits (x / 257, rounded);
grayscale images are replicated to three channels; alpha channels are dropped; palette and
CMYK images are converted to RGB. For 1-channel (Y) training the BT.601 Y channel is taken
from the RGB image and rounded to 8 bits. An unreadable file raises DataError naming it.
"""
import os
import pathlib

import numpy as np
from PIL import Image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


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


def image_size(path: str | os.PathLike) -> tuple[int, int]:
  """(height, width) from the file header, without decoding the pixels."""
  try:
    with Image.open(path) as img:
      return img.height, img.width
  except (OSError, ValueError) as e:
    raise DataError(f"{path}: unreadable image ({e})") from None


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
                       np.array([65.481, 128.553, 24.966]) / 255.0)
  return np.floor(y + 0.5).astype(np.uint8)[..., None]


def load_image(path: str | os.PathLike, channels: int = 3) -> np.ndarray:
  """(H, W, channels) uint8 array following the policy above."""
  try:
    with Image.open(path) as img:
      rgb = to_rgb_uint8(img)
  except (OSError, ValueError) as e:
    raise DataError(f"{path}: unreadable image ({e})") from None
  return rgb if channels == 3 else rgb_to_y_uint8(rgb)
