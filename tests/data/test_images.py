"""The image policy: odd formats load as 8-bit RGB, bad files fail naming the file."""
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
