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


# A seconds-long training run: 1-block EDSR, 16-pixel HR patches, one small validation image.
TINY = {"model.num_blocks": 1, "model.features": 8, "data.source": "skimage",
        "data.skimage_images": ("astronaut", "coffee"), "data.hr_patch": 16,
        "data.read_threads": 1, "train.batch_size": 4, "train.num_steps": 4,
        "train.log_every": 2, "train.eval_every": 2, "train.checkpoint_every": 2,
        "optim.learning_rate": 1e-3, "val.best_metric": "tiny/psnr_y"}


def _validation_folder(root: pathlib.Path, h: int = 40, w: int = 48) -> pathlib.Path:
  """A folder holding one smooth random image: the tiny run's validation set."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from PIL import Image  # pylint: disable=g-import-not-at-top
  val_dir = root / "val"
  val_dir.mkdir()
  smooth = np.cumsum(np.cumsum(np.random.default_rng(0).integers(0, 9, (h, w, 3)), 0), 1)
  Image.fromarray((smooth * 255 // smooth.max()).astype(np.uint8)).save(val_dir / "ramp.png")
  return val_dir


@pytest.fixture
def tiny_config(tmp_path):
  """TINY as a ConfigDict."""
  from sr_jax.config import default_config  # pylint: disable=g-import-not-at-top
  c = default_config()
  c.update_from_flattened_dict(TINY)
  c.val.sets = {"tiny": str(_validation_folder(tmp_path))}
  return c


@pytest.fixture(scope="session")
def write_tiny_config():
  """write(folder, overrides) → a configs-style file of TINY with `overrides` (flat keys), for
  runs of the CLI in a subprocess."""
  def write(root: pathlib.Path, overrides: dict) -> pathlib.Path:
    values = {**TINY, **overrides}
    path = root / "tiny.py"
    path.write_text(
        "from sr_jax.config import default_config\n\n\ndef get_config():\n"
        "  c = default_config()\n"
        f"  c.update_from_flattened_dict({values!r})\n"
        f"  c.val.sets = {{'tiny': {str(_validation_folder(root, 24, 24))!r}}}\n"
        "  return c\n")
    return path
  return write
