"""Photos in and out of the upscaler, in the kind they came in.

sr_jax.data.images makes every image 8-bit RGB (the training and benchmark policy); an
upscaled photo should come back as the same kind of file. `read` gives float pixels in
[0, 1] with 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA) channels and a `Kind` (bits per
sample, gray, alpha); `write` stores such pixels with that many bits. On reading, the EXIF
orientation is applied (PIL.ImageOps.exif_transpose's transposes, on the decoded array, so
that 16-bit pixels get them too) and palette, CMYK and other modes become RGB (RGBA when
they carry transparency). 16-bit PNG and TIFF are decoded by OpenCV: Pillow reads 16-bit
RGB(A) as 8 bits. An unreadable file, or a decompression bomb (images.open_image), raises
images.DataError naming it.
"""
import dataclasses
import os
import pathlib

import cv2
import numpy as np
from PIL import Image

from sr_jax.data import images
from sr_jax.data.images import DataError
from sr_jax.ops import color

_ORIENTATION = 0x0112  # the EXIF tag
# EXIF orientation → the array transform ImageOps.exif_transpose applies (as Image.Transpose).
_TRANSPOSES = {
    2: lambda a: a[:, ::-1],  # FLIP_LEFT_RIGHT
    3: lambda a: a[::-1, ::-1],  # ROTATE_180
    4: lambda a: a[::-1],  # FLIP_TOP_BOTTOM
    5: lambda a: a.swapaxes(0, 1),  # TRANSPOSE
    6: lambda a: np.rot90(a, -1),  # ROTATE_270 (counter-clockwise)
    7: lambda a: a[::-1, ::-1].swapaxes(0, 1),  # TRANSVERSE
    8: lambda a: np.rot90(a),  # ROTATE_90
}
_TIFF = (".tif", ".tiff")


@dataclasses.dataclass(frozen=True)
class Kind:
  """What a photo is stored as: bits per sample (8 or 16), one gray channel or RGB, alpha."""
  bits: int
  gray: bool
  alpha: bool


def _is_16_bit(img: Image.Image) -> bool:
  """A 16-bit PNG or TIFF, from the header: the decoder's raw mode ('I;16B', 'RGB;16N', …)
  says how many bits a sample has in the file; Pillow's mode says what it decodes to."""
  if img.format not in ("PNG", "TIFF"):
    return False
  args = img.tile[0].args if img.tile else ""
  rawmode = args if isinstance(args, str) else args[0]
  return img.mode.startswith("I;16") or ";16" in rawmode


def output_name(path: str | os.PathLike) -> str:
  """`<stem>.png`, or `<stem>.tif(f)` for 16-bit TIFF, from the header alone: callers decide
  whether an output exists (and check that every input opens) before decoding any pixels."""
  path = pathlib.Path(path)
  with images.open_image(path) as img:
    tiff = _is_16_bit(img) and path.suffix.lower() in _TIFF
  return path.stem + (path.suffix.lower() if tiff else ".png")


def _decode_16_bit(path: pathlib.Path) -> np.ndarray:
  pixels = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_UNCHANGED)
  if pixels is None or pixels.dtype != np.uint16:
    raise DataError(f"{path}: unreadable 16-bit image")
  pixels = pixels.reshape(*pixels.shape[:2], -1)
  return pixels[..., [2, 1, 0, 3][:pixels.shape[-1]]] if pixels.shape[-1] >= 3 else pixels


def _decode_8_bit(img: Image.Image) -> np.ndarray:
  transparent = img.mode in ("PA", "RGBa", "La") or "transparency" in img.info
  if img.mode not in ("L", "LA", "RGB", "RGBA"):
    img = img.convert("RGBA" if transparent else "L" if img.mode == "1" else "RGB")
  pixels = np.asarray(img)
  return pixels.reshape(*pixels.shape[:2], -1)


def read(path: str | os.PathLike) -> tuple[np.ndarray, Kind]:
  """(H, W, C) float32 pixels in [0, 1], upright, and their Kind."""
  path = pathlib.Path(path)
  with images.open_image(path) as img:
    try:
      bits = 16 if _is_16_bit(img) else 8  # first: getexif may load a PNG, dropping its tile
      orientation = img.getexif().get(_ORIENTATION, 1)
      pixels = _decode_16_bit(path) if bits == 16 else _decode_8_bit(img)
    except (*images.DECODE_ERRORS, cv2.error) as e:
      raise DataError(f"{path}: unreadable image ({e})") from None
  pixels = _TRANSPOSES.get(orientation, lambda a: a)(pixels)
  kind = Kind(bits, gray=pixels.shape[-1] < 3, alpha=pixels.shape[-1] in (2, 4))
  return (pixels / np.float32(2**bits - 1)).astype(np.float32), kind


def write(path: str | os.PathLike, pixels: np.ndarray, kind: Kind):
  """(H, W, C) pixels in [0, 1] (clipped, rounded) to a PNG or TIFF (the suffix says which)
  of kind.bits per sample. Gray + alpha is written as RGBA: OpenCV writes 1, 3 or 4
  channels. The file appears complete or not at all (written beside it, then renamed), so an
  interrupted run leaves no half file for the next one to skip as done."""
  path = pathlib.Path(path)
  top = 2**kind.bits - 1
  q = np.clip(np.floor(pixels * top + 0.5), 0, top)
  q = q.astype(np.uint16 if kind.bits == 16 else np.uint8)
  if q.shape[-1] == 2:
    q = q[..., [0, 0, 0, 1]]
  if q.shape[-1] >= 3:
    q = q[..., [2, 1, 0, 3][:q.shape[-1]]]  # OpenCV's BGR(A)
  ok, encoded = cv2.imencode(path.suffix, q)
  if not ok:
    raise DataError(f"{path}: could not encode a {q.shape} {q.dtype} image")
  partial = path.with_name(path.name + ".partial")
  partial.write_bytes(encoded.tobytes())
  os.replace(partial, path)


# MATLAB rgb2ycbcr on [0, 1] values.
_YCBCR = np.array(color.RGB_TO_YCBCR) / 255.0
_YCBCR_OFFSET = np.array(color.YCBCR_OFFSET) / 255.0


def rgb_to_ycbcr(rgb: np.ndarray) -> np.ndarray:
  """MATLAB rgb2ycbcr of (…, 3) values in [0, 1], in [0, 1]: the Y channel the 1-channel
  models train on (images.rgb_to_y_uint8 without its rounding)."""
  return np.einsum("...c,yc->...y", rgb, _YCBCR) + _YCBCR_OFFSET


def ycbcr_to_rgb(ycbcr: np.ndarray) -> np.ndarray:
  """The inverse of rgb_to_ycbcr (MATLAB ycbcr2rgb)."""
  return np.einsum("...y,cy->...c", ycbcr - _YCBCR_OFFSET, np.linalg.inv(_YCBCR))
