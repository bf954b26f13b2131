"""The grain training pipeline: HR image → random crop/flip/rotation → LR on the fly → batch.

Order of operations, and why:
  source.seed().shuffle().repeat()   a new permutation every epoch, deterministic in the seed
  .random_map(MakePair)              per-element RNG from (seed, index): crops resume exactly
  .batch(per_process_batch)
  [process_index::process_count]     process p takes every p-th batch, so the global batch k
                                     is elements [k·B, (k+1)·B) whatever the process count
  .to_iter_dataset() (+ mp_prefetch workers) → device arrays with the batch sharding,
                                     prefetched by a thread; the iterator state is checkpointable.
"""
import grain
import jax
import numpy as np

from sr_jax.ops import imresize


def _bicubic(hr: np.ndarray, scale: int, rng: np.random.Generator) -> np.ndarray:
  del rng
  return imresize.to_uint8(imresize.imresize(hr, 1 / scale))


# name → fn(hr_patch uint8, scale, rng) → lr_patch uint8
DEGRADATIONS = {"bicubic": _bicubic}


class MakePair(grain.transforms.RandomMap):
  """Random HR crop, flips and 90° rotation (BasicSR's `augment`), then LR = degradation(HR)."""

  def __init__(self, hr_patch: int, scale: int, augment: bool, degradation: str):
    self.hr_patch = hr_patch
    self.scale = scale
    self.augment = augment
    self.degrade = DEGRADATIONS[degradation]

  def random_map(self, hr: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    p = self.hr_patch
    top = rng.integers(0, hr.shape[0] - p + 1)
    left = rng.integers(0, hr.shape[1] - p + 1)
    patch = hr[top:top + p, left:left + p]
    if self.augment:
      hflip, vflip, transpose = rng.integers(0, 2, size=3)
      patch = patch[:, ::-1] if hflip else patch
      patch = patch[::-1] if vflip else patch
      patch = patch.transpose(1, 0, 2) if transpose else patch
    patch = np.ascontiguousarray(patch)
    return {"lr": self.degrade(patch, self.scale, rng), "hr": patch}


def training_dataset(source, data_config, scale: int, global_batch: int, seed: int,
                     process_index: int = 0, process_count: int = 1) -> grain.IterDataset:
  """Host-side batches of {'lr', 'hr'} uint8 arrays for this process."""
  per_process = global_batch // process_count
  ds = grain.MapDataset.source(source).seed(seed).shuffle().repeat()
  ds = ds.random_map(MakePair(data_config.hr_patch, scale, data_config.augment,
                              data_config.degradation))
  ds = ds.batch(per_process, drop_remainder=True)
  ds = ds[process_index::process_count]
  it = ds.to_iter_dataset(grain.ReadOptions(num_threads=data_config.read_threads,
                                            prefetch_buffer_size=data_config.host_prefetch))
  if data_config.num_workers > 0:
    it = it.mp_prefetch(grain.MultiprocessingOptions(
        num_workers=data_config.num_workers,
        per_worker_buffer_size=data_config.host_prefetch))
  return it


def on_devices(ds: grain.IterDataset, sharding: jax.sharding.Sharding,
               buffer_size: int) -> grain.IterDataset:
  """Global jax.Arrays assembled from each process's part, prefetched by a thread."""
  def to_global(batch):
    return jax.tree.map(lambda x: jax.make_array_from_process_local_data(sharding, x), batch)
  ds = ds.map(to_global)
  if buffer_size:
    ds = grain.experimental.ThreadPrefetchIterDataset(ds, prefetch_buffer_size=buffer_size)
  return ds
