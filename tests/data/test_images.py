"""The image policy: odd formats load as 8-bit RGB, bad files fail naming the file."""
import io
import struct
import zlib

import cv2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
import numpy as np
import pytest
from PIL import Image

from sr_jax.data import images, sources


def test_grayscale_rgba_and_16bit_become_rgb_uint8(tmp_path):
  gray = np.arange(64, dtype=np.uint8).reshape(8, 8)
  Image.fromarray(gray).save(tmp_path / "gray.png")
  Image.fromarray(np.full((8, 8, 4), 90, np.uint8)).save(tmp_path / "rgba.png")
  Image.fromarray(np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000).save(tmp_path / "deep.png")
  g = images.load_image(tmp_path / "gray.png")
  assert g.shape == (8, 8, 3) and g.dtype == np.uint8
  np.testing.assert_array_equal(g[..., 1], gray)
  np.testing.assert_array_equal(images.load_image(tmp_path / "rgba.png"), 90)
  deep = images.load_image(tmp_path / "deep.png")
  assert deep.dtype == np.uint8 and deep[7, 7, 0] == round(63000 / 257)
  y = images.load_image(tmp_path / "rgba.png", channels=1)
  assert y.shape == (8, 8, 1) and y[0, 0, 0] == round(16 + 90 * 219 / 255)


def test_unreadable_and_missing_inputs_name_the_file(tmp_path):
  bad = tmp_path / "broken.png"
  bad.write_bytes(b"not a png")
  with pytest.raises(images.DataError, match="broken.png"):
    images.load_image(bad)
  with pytest.raises(images.DataError, match="no such data folder"):
    images.list_images(tmp_path / "nope")
  empty = tmp_path / "empty"
  empty.mkdir()
  with pytest.raises(images.DataError, match="no images"):
    images.list_images(empty)


def test_small_images_are_left_out_not_crashed_on(tmp_path):
  Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(tmp_path / "small.png")
  (tmp_path / "sub").mkdir()
  Image.fromarray(np.zeros((40, 30, 3), np.uint8)).save(tmp_path / "sub" / "big.png")
  src = sources.ImageFiles(images.list_images(tmp_path), min_size=16)
  assert [p.name for p in src.paths] == ["big.png"]
  with pytest.raises(images.DataError, match="at least 64"):
    sources.ImageFiles(images.list_images(tmp_path), min_size=64)


def test_embedded_photos_ship_with_scikit_image():
  paths = sources.skimage_paths(sources.SKIMAGE_PHOTOS)
  assert len(paths) == 10 and all(p.exists() for p in paths)
  with pytest.raises(images.DataError, match="skimage:cameraman"):
    sources.skimage_paths(["cameraman"])


def _png(height: int, width: int, *chunks: tuple[bytes, bytes], ihdr_size: int = 13) -> bytes:
  """An 8-bit RGB PNG file: IHDR (cut to `ihdr_size` bytes), `chunks`, IEND; valid CRCs."""
  out = b"\x89PNG\r\n\x1a\n"
  ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)[:ihdr_size]
  for kind, data in ((b"IHDR", ihdr), *chunks, (b"IEND", b"")):
    out += struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
  return out


def _bomb_png(height: int, width: int) -> bytes:
  """A valid PNG header claiming height×width RGB pixels, followed by almost no data."""
  return _png(height, width, (b"IDAT", zlib.compress(b"")))


_PIX = np.random.default_rng(0).integers(0, 256, (6, 7, 3), dtype=np.uint8)
_PALETTE = np.random.default_rng(1).integers(0, 256, (256, 3), dtype=np.uint8)
_INDEX = np.random.default_rng(2).integers(0, 256, (6, 7), dtype=np.uint8)
_DEEP = np.random.default_rng(3).integers(0, 65536, (6, 7, 3), dtype=np.uint16)


def _palette_image():
  img = Image.fromarray(_INDEX, "P")
  img.putpalette(_PALETTE.tobytes())
  return img


# name → (file suffix, writes the file at a path, the pixels the policy promises)
ODD_MODES = {
    "bilevel": (".png", lambda p: Image.fromarray(_INDEX > 127).save(p),
                np.repeat(np.where(_INDEX > 127, 255, 0)[..., None], 3, -1)),
    "gray_alpha": (".png", lambda p: Image.fromarray(np.dstack([_INDEX, _INDEX]), "LA").save(p),
                   np.repeat(_INDEX[..., None], 3, -1)),
    "palette": (".png", lambda p: _palette_image().save(p), _PALETTE[_INDEX]),
    "cmyk_no_black": (".tiff", lambda p: Image.fromarray(
        np.dstack([_PIX, np.zeros_like(_INDEX)]), "CMYK").save(p), 255 - _PIX),
    # PIL reads 16-bit colour PNGs by their high byte (written here with OpenCV, which is BGR).
    "rgb16": (".png", lambda p: cv2.imwrite(str(p), _DEEP[..., ::-1]),
              (_DEEP >> 8).astype(np.uint8)),
    "int32_gray": (".tiff", lambda p: Image.fromarray(_DEEP[..., 0].astype(np.int32), "I").save(p),
                   np.repeat(np.floor(_DEEP[..., :1] / 257 + 0.5).astype(np.uint8), 3, -1)),
    "rgba_webp": (".webp", lambda p: Image.fromarray(np.dstack([_PIX, _INDEX]), "RGBA").save(
        p, lossless=True), _PIX),
}


@pytest.mark.parametrize("name", ODD_MODES)
def test_odd_modes_load_as_the_policy_says(tmp_path, name):
  suffix, write, expected = ODD_MODES[name]
  write(tmp_path / f"a{suffix}")
  img = images.load_image(tmp_path / f"a{suffix}")
  assert img.dtype == np.uint8 and img.shape == (6, 7, 3)
  np.testing.assert_array_equal(img, expected)


@pytest.mark.parametrize("orientation,turns", [(3, 2), (6, -1), (8, 1)])
def test_exif_orientation_turns_the_image_upright(tmp_path, orientation, turns):
  """EXIF orientation 3: stored upside down; 6 / 8: shown turned 90° clockwise / anticlockwise."""
  exif = Image.Exif()
  exif[0x0112] = orientation
  Image.fromarray(_PIX).save(tmp_path / "a.png", exif=exif)
  np.testing.assert_array_equal(images.load_image(tmp_path / "a.png"), np.rot90(_PIX, turns))


def _png_bytes() -> bytes:
  buf = io.BytesIO()
  Image.fromarray(_PIX).save(buf, "PNG")
  return buf.getvalue()


def _jpeg_bytes() -> bytes:
  buf = io.BytesIO()
  Image.fromarray(_PIX).save(buf, "JPEG")
  return buf.getvalue()


def _flip_in_idat(png: bytes) -> bytes:
  data = bytearray(png)
  data[png.index(b"IDAT") + 8] ^= 0xFF
  return bytes(data)


BAD_FILES = {
    "zero.png": b"",
    "text.png": b"this is a text file, not an image\n",
    "truncated.png": _png_bytes()[:60],
    "corrupt.png": _flip_in_idat(_png_bytes()),
    "truncated.jpg": _jpeg_bytes()[:len(_jpeg_bytes()) // 2],
    "bomb.png": _bomb_png(50_000, 50_000),
    # Found by fuzzing: ValueError from a short IHDR; SyntaxError from EXIF that is not TIFF.
    "short_header.png": _png(8, 8, ihdr_size=7),
    "bad_exif.png": _png(8, 8, (b"eXIf", b"M\xfd\x00*\x00\x00\x00\x08"),
                         (b"IDAT", zlib.compress(bytes(8 * (1 + 8 * 3))))),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_raise_data_error_naming_the_file(tmp_path, name):
  (tmp_path / name).write_bytes(BAD_FILES[name])
  with pytest.raises(images.DataError, match=name):
    images.load_image(tmp_path / name)


def test_content_not_extension_decides_the_format(tmp_path):
  (tmp_path / "png_named.jpg").write_bytes(_png_bytes())
  np.testing.assert_array_equal(images.load_image(tmp_path / "png_named.jpg"), _PIX)


def test_bomb_limit_is_max_pixels_and_the_global_is_left_alone(tmp_path, recwarn):
  before = Image.MAX_IMAGE_PIXELS
  path = tmp_path / "a.png"
  Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(path)
  for limit in (1000, 3000):  # 4096 pixels: over twice the limit (PIL's error), over it (warning)
    with pytest.raises(images.DataError, match="a.png: more than .* decompression bomb"):
      images.load_image(path, max_pixels=limit)
  assert images.load_image(path, max_pixels=4096).shape == (64, 64, 3)
  with pytest.raises(images.DataError, match="decompression bomb"):
    images.load_image(io.BytesIO(_bomb_png(50_000, 50_000)))  # refused from the header alone
  assert Image.MAX_IMAGE_PIXELS == before and not recwarn.list


def test_inspect_digest_is_of_the_pixels_not_the_file(tmp_path):
  Image.fromarray(_PIX).save(tmp_path / "a.png", compress_level=1)
  Image.fromarray(_PIX).save(tmp_path / "b.png", compress_level=9)
  Image.fromarray(_PIX).save(tmp_path / "c.bmp")
  changed = _PIX.copy()
  changed[0, 0, 0] ^= 1
  Image.fromarray(changed).save(tmp_path / "d.png")
  (tmp_path / "e.png").write_bytes(b"")
  infos = images.inspect_all(images.list_images(tmp_path), threads=2)
  assert [i.path.name for i in infos] == ["a.png", "b.png", "c.bmp", "d.png", "e.png"]
  assert (tmp_path / "a.png").read_bytes() != (tmp_path / "b.png").read_bytes()
  assert len({i.digest for i in infos[:3]}) == 1 and infos[3].digest != infos[0].digest
  assert (infos[0].height, infos[0].width, infos[0].mode, infos[0].error) == (6, 7, "RGB", "")
  assert "e.png" in infos[4].error and not infos[4].digest
  assert images.problem(infos[0], 7) and not images.problem(infos[0], 6)


# Fuzzing: whatever the bytes, load_image returns (H, W, 3) uint8 or raises DataError.
def _seed_files() -> list[bytes]:
  exif = Image.Exif()
  exif[0x0112] = 6
  rgb = Image.fromarray(_PIX)
  files = []
  for fmt, img, kw in [("PNG", rgb, {"exif": exif}), ("JPEG", rgb, {"exif": exif}),
                       ("JPEG", rgb.convert("CMYK"), {}), ("PNG", _palette_image(), {}),
                       ("PNG", Image.fromarray(_DEEP[..., 0]), {}), ("BMP", rgb, {}),
                       ("TIFF", rgb, {}), ("WEBP", rgb, {}), ("GIF", _palette_image(), {})]:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    files.append(buf.getvalue())
  return files


SEEDS = _seed_files()
FUZZ = settings(max_examples=100, deadline=5000, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mutated_images(draw) -> bytes:
  """A real image file with byte flips, a header spliced from another format, truncation."""
  data = bytearray(draw(st.sampled_from(SEEDS)))
  for pos, value in draw(st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(0, 255)),
                                  max_size=8)):
    data[pos] = value
  if draw(st.booleans()):
    other = draw(st.sampled_from(SEEDS))
    k = draw(st.integers(0, min(len(other), len(data))))
    data[:k] = other[:k]
  return bytes(data[:draw(st.one_of(st.just(len(data)), st.integers(0, len(data))))])


def _clean_or_data_error(data: bytes):
  try:
    img = images.load_image(io.BytesIO(data))
  except images.DataError:
    return
  assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[-1] == 3


@pytest.mark.filterwarnings("ignore::UserWarning")  # PIL's notes on the corrupt EXIF/TIFF it reads
@FUZZ
@given(st.tuples(st.sampled_from([b""] + [s[:16] for s in SEEDS]), st.binary(max_size=2048)))
def test_fuzz_random_bytes_behind_real_signatures(parts):
  _clean_or_data_error(b"".join(parts))


@pytest.mark.filterwarnings("ignore::UserWarning")  # PIL's notes on the corrupt EXIF/TIFF it reads
@FUZZ
@given(mutated_images())
def test_fuzz_mutated_real_images(data):
  _clean_or_data_error(data)
