"""The grain training pipeline: HR image → random crop/flip/rotation → LR on the fly → batch.

Real-ESRGAN (`config.degradation.crop_pad_size` > 0) follows its dataset and model instead: flip the
whole image, crop or pad it to crop_pad_size, degrade that whole, then take a paired random crop
(GT hr_patch, LR hr_patch / scale); on the device path the host sends the whole crop_pad_size patch
and the crop position, and the train step degrades and crops.

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
# config.data.augment: 'flip_rot' (BasicSR's augment: h/v flips and 90° rotations), 'hflip' (horizontal
# flips only, Real-ESRGAN's use_hflip without use_rot), 'none'.
AUGMENTS = ("flip_rot", "hflip", "none")


def _classical(hr: np.ndarray, scale: int, rng: np.random.Generator, fn) -> dict[str, np.ndarray]:
  return {"lr": fn(hr, scale, rng), "hr": hr}


def _realesrgan(hr: np.ndarray, scale: int, rng: np.random.Generator, cfg, on_device: bool,
                lr_patch: int):
  """Host path: {'lr', 'hr': the plain GT}, a paired crop of the degraded whole; the train step
  exchanges them with the pool and makes the USM-sharpened target (`sr_jax.train.inputs`).

  Device path: {'hr': the whole patch, **params, 'crop'} (no noise seed: the train step draws noise
  from its own key); the train step degrades, crops at 'crop', exchanges and sharpens.
  """
  params = degradations.sample_params(rng, cfg, hr.shape, scale)
  params["crop"] = degradations.crop_position(rng, params["lr_hw"], lr_patch)
  if on_device:
    del params["noise_seed"]
    return {"hr": hr, **params}
  x = hr.astype(np.float32) / 255
  src = degradations.usm_sharpen(x, **cfg.usm) if cfg.degrade_sharpened else x
  lr = degradations.apply_cpu(src, params, cfg.jpeg)
  lr, gt = degradations.paired_crop(lr, hr, params["crop"], lr_patch, scale)
  return {"lr": np.ascontiguousarray(lr), "hr": np.ascontiguousarray(gt)}


def augment(img: np.ndarray, mode: str, rng: np.random.Generator) -> np.ndarray:
  """A random flip (and, for 'flip_rot', vertical flip and transposition) of img, as a view."""
  if mode == "hflip":
    return img[:, ::-1] if rng.integers(0, 2) else img
  if mode == "flip_rot":
    hflip, vflip, transpose = rng.integers(0, 2, size=3)
    img = img[:, ::-1] if hflip else img
    img = img[::-1] if vflip else img
    return img.transpose(1, 0, 2) if transpose else img
  return img


class MakePair(grain.transforms.RandomMap):
  """Random HR crop and augmentation (`AUGMENTS`), then LR = degradation(HR).

  'realesrgan' draws its parameters from the same element rng: pairs are reproducible and resume
  exactly with the iterator state. degradation_cfg is `config.degradation` (realesrgan only); with
  its crop_pad_size, the whole image is flipped, then cropped or padded to crop_pad_size, as
  Real-ESRGAN's dataset does, and the degradation crops the pair.
  """

  def __init__(self, hr_patch: int, scale: int, augment: str | bool, degradation: str,
               degradation_cfg=None, on_device: bool = False):
    self.hr_patch = hr_patch
    self.scale = scale
    # True/False: the boolean `data.augment` of older configs
    self.augment = {True: "flip_rot", False: "none"}.get(augment, augment)
    if self.augment not in AUGMENTS:
      raise ValueError(f"augment {augment!r} is not one of {', '.join(AUGMENTS)}")
    self.crop_pad = 0
    if degradation == "realesrgan":
      self.crop_pad = degradation_cfg.crop_pad_size
      self.degrade = functools.partial(_realesrgan, cfg=degradation_cfg, on_device=on_device,
                                       lr_patch=hr_patch // scale)
    else:
      self.degrade = functools.partial(_classical, fn=DEGRADATIONS[degradation])

  def random_map(self, hr: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    if self.crop_pad:
      patch = degradations.crop_or_pad(augment(hr, self.augment, rng), self.crop_pad, rng)
    else:
      p = self.hr_patch
      top = rng.integers(0, hr.shape[0] - p + 1)
      left = rng.integers(0, hr.shape[1] - p + 1)
      patch = augment(hr[top:top + p, left:left + p], self.augment, rng)
    return self.degrade(np.ascontiguousarray(patch), self.scale, rng)


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
  """Host-side batches for this process: uint8 {'lr', 'hr'}, or {'hr', **params, 'crop'} when
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
