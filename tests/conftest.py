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
