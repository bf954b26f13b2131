"""ArrayRecord packing: pixels survive the round trip, sub-images are BasicSR's, grain reads them."""

import numpy as np
from PIL import Image
import pytest

from sr_jax.config import ConfigError, default_config, validate
from sr_jax.data import images, pipeline, prepare, sources



@pytest.fixture
def folder(tmp_path):
  rng = np.random.default_rng(0)
  d = tmp_path / "hr"
  (d / "sub").mkdir(parents=True)
  Image.fromarray(rng.integers(0, 256, (20, 30, 3), np.uint8)).save(d / "a.png")
  Image.fromarray(rng.integers(0, 256, (18, 17), np.uint8)).save(d / "sub" / "b.png")  # gray
  return d


def _as_set(arrays):
  return sorted(a.tobytes() + bytes(str(a.shape), "ascii") for a in arrays)


def test_crop_starts_end_flush_with_the_border():
  assert prepare.crop_starts(20, 16, 8) == [0, 4]
  assert prepare.crop_starts(32, 16, 8) == [0, 8, 16]  # already flush: no extra crop
  assert prepare.crop_starts(10, 16, 8) == [0]  # smaller than the crop: kept whole


def test_round_trip_is_exact_over_shards(folder, tmp_path):
  info = prepare.prepare(folder, tmp_path / "out", shards=2)
  assert info == {"images": 2, "records": 2, "shards": 2, "min_side": 17}
  src = sources.ArrayRecordImages(str(tmp_path / "out"))
  assert len(src) == 2
  expected = [images.load_image(p) for p in images.list_images(folder)]
  assert _as_set(src[i] for i in range(2)) == _as_set(expected)


def test_sub_images_are_the_crops(folder, tmp_path):
  info = prepare.prepare(folder, tmp_path / "out", crop=16, step=8)
  a, b = (images.load_image(p) for p in images.list_images(folder))
  crops = [a[t:t + 16, l:l + 16] for t in (0, 4) for l in (0, 8, 14)]
  crops += [b[t:t + 16, l:l + 16] for t in (0, 2) for l in (0, 1)]
  assert info["records"] == len(crops) == 10
  src = sources.ArrayRecordImages(str(tmp_path / "out"))
  assert _as_set(src[i] for i in range(len(src))) == _as_set(crops)


def test_config_source_feeds_the_pipeline(folder, tmp_path, run_cli):
  proc = run_cli("sr_jax.data.prepare", str(folder), f"--out={tmp_path / 'out'}", "--sub_images=16",
                 "--shards=3")
  assert proc.returncode == 0, proc.stderr[-2000:]
  assert len(list((tmp_path / "out").glob("*.array_record"))) == 3
  c = default_config()
  c.data.source = "arrayrecord"
  with pytest.raises(ConfigError, match="data.arrayrecord_path"):
    validate(c)
  c.data.arrayrecord_path = str(tmp_path / "out")
  c.data.hr_patch = 16
  c.data.read_threads = 1
  validate(c)
  src = sources.training_source(c.data, channels=1)
  batch = next(iter(pipeline.training_dataset(src, c.data, 2, 4, seed=0)))
  assert batch["hr"].shape == (4, 16, 16, 1) and batch["lr"].shape == (4, 8, 8, 1)


def test_missing_shards_fail_clearly(tmp_path):
  with pytest.raises(images.DataError, match="no .array_record shards"):
    sources.ArrayRecordImages(str(tmp_path))
