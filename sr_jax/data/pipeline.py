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
import functools

import grain
import jax
import numpy as np

from sr_jax.data import degradations
from sr_jax.ops import imresize


def _resize(hr: np.ndarray, scale: int, rng: np.random.Generator, method: str) -> np.ndarray:
  del rng
  return imresize.to_uint8(imresize.imresize(hr, 1 / scale, method))


# name → fn(hr_patch uint8, scale, rng) → lr_patch uint8 (partials pickle into grain workers)
DEGRADATIONS = {
    **{m: functools.partial(_resize, method=m)
       for m in ("bicubic", "bilinear", "nearest", "area", "lanczos3")},
    "bd": degradations.bd,
    "dn": degradations.dn,
}
NAMES = (*DEGRADATIONS, "realesrgan")  # realesrgan: `config.degradation`, on the host or the device


def _classical(hr: np.ndarray, scale: int, rng: np.random.Generator, fn) -> dict[str, np.ndarray]:
  return {"lr": fn(hr, scale, rng), "hr": hr}


def _realesrgan(hr: np.ndarray, scale: int, rng: np.random.Generator, cfg, on_device: bool):
  """Host path: {'lr', 'hr': the loss target, 'gt': the plain GT when the target is USM-sharpened}.

  Device path: {'hr', **params} (no noise seed: the train step draws noise from its own key).
  The sharpened target is rounded to 8 bits, as every batch array is uint8.
  """
  params = degradations.sample_params(rng, cfg, hr.shape, scale)
  if on_device:
    del params["noise_seed"]
    return {"hr": hr, **params}
  x = hr.astype(np.float32) / 255
  sharp = degradations.usm_sharpen(x, **cfg.usm) if cfg.degrade_sharpened or cfg.usm_target else x
  lr = degradations.apply_cpu(sharp if cfg.degrade_sharpened else x, params)
  if not cfg.usm_target:
    return {"lr": lr, "hr": hr}
  return {"lr": lr, "hr": imresize.to_uint8(sharp * 255), "gt": hr}


class MakePair(grain.transforms.RandomMap):
  """Random HR crop, flips and 90° rotation (BasicSR's `augment`), then LR = degradation(HR).

  'realesrgan' draws its parameters from the same element rng: pairs are reproducible and resume
  exactly with the iterator state. degradation_cfg is `config.degradation` (realesrgan only).
  """

  def __init__(self, hr_patch: int, scale: int, augment: bool, degradation: str,
               degradation_cfg=None, on_device: bool = False):
    self.hr_patch = hr_patch
    self.scale = scale
    self.augment = augment
    if degradation == "realesrgan":
      self.degrade = functools.partial(_realesrgan, cfg=degradation_cfg, on_device=on_device)
    else:
      self.degrade = functools.partial(_classical, fn=DEGRADATIONS[degradation])

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
    return self.degrade(patch, self.scale, rng)


def make_pair(data_config, scale: int, degradation_cfg=None) -> MakePair:
  return MakePair(data_config.hr_patch, scale, data_config.augment, data_config.degradation,
                  degradation_cfg, data_config.degradation_device)


def element_spec(data_config, scale: int, channels: int, degradation_cfg=None) -> dict:
  """{name: jax.ShapeDtypeStruct} of one element, found by pairing a blank image: whatever it emits."""
  blank = np.zeros((data_config.hr_patch, data_config.hr_patch, channels), np.uint8)
  pair = make_pair(data_config, scale, degradation_cfg).random_map(blank, np.random.default_rng(0))
  return {k: jax.ShapeDtypeStruct(np.shape(v), np.asarray(v).dtype) for k, v in pair.items()}


def training_dataset(source, data_config, scale: int, global_batch: int, seed: int,
                     process_index: int = 0, process_count: int = 1,
                     degradation_cfg=None) -> grain.IterDataset:
  """Host-side batches for this process: uint8 {'lr', 'hr'[, 'gt']}, or {'hr', **params} when
  Real-ESRGAN runs on the device (degradation_cfg: `config.degradation`)."""
  per_process = global_batch // process_count
  ds = grain.MapDataset.source(source).seed(seed).shuffle().repeat()
  ds = ds.random_map(make_pair(data_config, scale, degradation_cfg))
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
