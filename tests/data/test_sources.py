"""Training sources: TFDS (mocked: no download, no preparation); folders' bad-image policy."""
import logging
import pickle

import numpy as np
from PIL import Image
import pytest
import tensorflow_datasets as tfds

from sr_jax.config import ConfigError, default_config, validate
from sr_jax.data import images, pipeline, sources


def test_tfds_div2k_source_feeds_the_pipeline():
  c = default_config()
  c.data.source = "tfds"
  c.data.hr_patch = 16
  c.data.read_threads = 1
  with tfds.testing.mock_data(num_examples=3, policy=tfds.testing.MockPolicy.USE_CODE):
    src = sources.training_source(c.data, channels=3)
    assert len(src) == 3
    hr = src[0]
    assert hr.dtype == np.uint8 and hr.ndim == 3 and hr.shape[-1] == 3
    batch = next(iter(pipeline.training_dataset(src, c.data, 2, 2, seed=0)))
  assert batch["hr"].shape == (2, 16, 16, 3) and batch["lr"].shape == (2, 8, 8, 3)


def _folder_config(tmp_path, **data):
  """source='folder' over a.png, c.png (usable), broken.png (not an image), small.png (8x8)."""
  rng = np.random.default_rng(0)
  for name, shape in (("a.png", (20, 24, 3)), ("c.png", (16, 20, 3)), ("small.png", (8, 8, 3))):
    Image.fromarray(rng.integers(0, 256, shape, np.uint8)).save(tmp_path / name)
  (tmp_path / "broken.png").write_bytes(b"not a png")
  c = default_config()
  c.data.source = "folder"
  c.data.dirs = (str(tmp_path),)
  c.data.hr_patch = 16
  c.data.update(data)
  return c


def test_skip_trains_on_the_rest_and_logs_each_bad_file_with_its_reason(tmp_path, caplog):
  c = _folder_config(tmp_path)
  with caplog.at_level(logging.WARNING):
    src = sources.training_source(c.data, channels=3).source  # inside the decoded cache
  assert [p.name for p in src.paths] == ["a.png", "c.png"] and len(src) == 2
  assert sorted(p.name for p in src.skipped) == ["broken.png", "small.png"]
  assert "unreadable image" in src.skipped[tmp_path / "broken.png"]
  assert "8x8 is smaller than the 16-pixel HR patch" in src.skipped[tmp_path / "small.png"]
  assert "Skipping 2 of 4 training image(s)" in caplog.text
  assert all(why in caplog.text for why in src.skipped.values())
  assert src[1].shape == (16, 20, 3)


def test_error_policy_names_the_first_bad_file_and_the_count(tmp_path):
  c = _folder_config(tmp_path, bad_images="error")
  with pytest.raises(images.DataError, match=r"broken\.png: unreadable .*\(2 of 4 files unusable"):
    sources.training_source(c.data, channels=3)


def test_max_image_pixels_reaches_the_check(tmp_path):
  src = sources.training_source(_folder_config(tmp_path, max_image_pixels=400).data, 3).source
  assert [p.name for p in src.paths] == ["c.png"]  # a.png's 480 pixels count as a bomb
  assert "more than 400 pixels" in src.skipped[tmp_path / "a.png"]


class _Counting:
  """Three images of 100, 200 and 300 bytes; counts the decodes."""

  def __init__(self):
    self.decodes = [0, 0, 0]

  def __len__(self):
    return 3

  def __getitem__(self, i):
    self.decodes[i] += 1
    return np.full((10 * (i + 1), 10, 1), i, np.uint8)


def test_decoded_images_are_kept_up_to_the_budget_and_come_back_read_only():
  decoded = sources.Decoded(_Counting(), budget=300)  # the first two fit, not the third
  for _ in range(3):
    for i in (0, 1, 2):
      img = decoded[i]
      assert img.shape == (10 * (i + 1), 10, 1) and (img == i).all() and not img.flags.writeable
  assert decoded.source.decodes == [1, 1, 3] and decoded.kept_bytes == 300 and len(decoded) == 3
  copy = pickle.loads(pickle.dumps(decoded))  # a grain worker: the source, nothing kept
  assert copy.kept == {} and copy.kept_bytes == 0 and copy.budget == 300
  assert (copy[2] == 2).all()


def test_folder_source_is_kept_decoded_unless_the_budget_is_zero(tmp_path):
  c = _folder_config(tmp_path)
  src = sources.training_source(c.data, channels=3)
  assert isinstance(src, sources.Decoded) and src.budget == 1024 * 2**20
  np.testing.assert_array_equal(src[0], src.source[0])
  assert list(src.kept) == [0]
  c.data.decoded_cache_mb = 0
  assert isinstance(sources.training_source(c.data, channels=3), sources.ImageFiles)


@pytest.mark.parametrize("key,value", [("bad_images", "ignore"), ("max_image_pixels", 0),
                                       ("decoded_cache_mb", -1)])
def test_validate_names_a_bad_policy_or_limit(key, value):
  c = default_config()
  c.data[key] = value
  with pytest.raises(ConfigError, match=f"config.data.{key}"):
    validate(c)
