"""The TFDS source, wired through tfds.data_source (mocked: no download, no preparation)."""
import numpy as np
import tensorflow_datasets as tfds

from sr_jax.config import default_config
from sr_jax.data import pipeline, sources


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
