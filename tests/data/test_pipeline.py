"""The grain pipeline: pairs, determinism, checkpointed resume, process sharding."""
import numpy as np

from sr_jax.config import default_config
from sr_jax.data import pipeline, sources
from sr_jax.ops import imresize


def _config(hr_patch=24):
  c = default_config()
  c.data.skimage_images = ("astronaut", "coffee", "chelsea")
  c.data.hr_patch = hr_patch
  c.data.read_threads = 1
  return c


def _batches(c, n, global_batch=6, process_index=0, process_count=1, state=None):
  source = sources.training_source(c.data, 3)
  it = iter(pipeline.training_dataset(source, c.data, 2, global_batch, c.seed,
                                      process_index, process_count))
  if state is not None:
    it.set_state(state)
  return [next(it) for _ in range(n)], it.get_state()


def test_pairs_are_bicubic_downscaled_crops():
  (batch,), _ = _batches(_config(), 1)
  assert batch["hr"].shape == (6, 24, 24, 3) and batch["lr"].shape == (6, 12, 12, 3)
  assert batch["hr"].dtype == batch["lr"].dtype == np.uint8
  for hr, lr in zip(batch["hr"], batch["lr"]):
    np.testing.assert_array_equal(lr, imresize.to_uint8(imresize.imresize(hr, 0.5)))


def test_same_seed_same_batches_other_seed_differs():
  a, _ = _batches(_config(), 2)
  b, _ = _batches(_config(), 2)
  c = _config()
  c.seed = 1
  other, _ = _batches(c, 1)
  np.testing.assert_array_equal(a[1]["hr"], b[1]["hr"])
  assert not np.array_equal(a[0]["hr"], other[0]["hr"])


def test_restored_iterator_state_continues_exactly():
  full, _ = _batches(_config(), 4)
  _, state = _batches(_config(), 2)
  rest, _ = _batches(_config(), 2, state=state)
  for x, y in zip(full[2:], rest):
    np.testing.assert_array_equal(x["hr"], y["hr"])


def test_processes_split_each_global_batch_in_order():
  single, _ = _batches(_config(), 2, global_batch=6)
  parts = [_batches(_config(), 2, global_batch=6, process_index=p, process_count=2)[0]
           for p in range(2)]
  for k in range(2):
    np.testing.assert_array_equal(
        np.concatenate([parts[0][k]["hr"], parts[1][k]["hr"]]), single[k]["hr"])
