"""Shared test setup: benchmark images from ../shared/data (or $SR_JAX_DATA)."""
import os
import pathlib

import pytest
from absl import flags

# grain's multiprocessing reads absl flags; outside an absl app they must count as parsed.
flags.FLAGS.mark_as_parsed()

REPO = pathlib.Path(__file__).resolve().parents[1]
DATA_DIR = pathlib.Path(os.environ.get("SR_JAX_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture
def shared_data():
  """shared_data('Set5', 'HR') → path; fails under CI=true when missing, else skips."""
  def find(*parts: str) -> pathlib.Path:
    path = DATA_DIR.joinpath(*parts)
    if not path.exists():
      message = f"benchmark data not found at {path} (set SR_JAX_DATA)"
      if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
      pytest.skip(message)
    return path
  return find


@pytest.fixture
def tiny_config(tmp_path):
  """A seconds-long training config: 1-block EDSR, 16-pixel HR patches, one small val image."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from PIL import Image  # pylint: disable=g-import-not-at-top
  from sr_jax.config import default_config  # pylint: disable=g-import-not-at-top

  val_dir = tmp_path / "val"
  val_dir.mkdir()
  rng = np.random.default_rng(0)
  smooth = np.cumsum(np.cumsum(rng.integers(0, 9, (40, 48, 3)), 0), 1)
  Image.fromarray((smooth * 255 // smooth.max()).astype(np.uint8)).save(val_dir / "ramp.png")

  c = default_config()
  c.model.num_blocks = 1
  c.model.features = 8
  c.data.source = "skimage"
  c.data.skimage_images = ("astronaut", "coffee")
  c.data.hr_patch = 16
  c.data.read_threads = 1
  c.train.batch_size = 4
  c.train.num_steps = 4
  c.train.log_every = 2
  c.train.eval_every = 2
  c.train.checkpoint_every = 2
  c.optim.learning_rate = 1e-3
  c.val.sets = {"tiny": str(val_dir)}
  c.val.best_metric = "tiny/psnr_y"
  return c
