"""The config schema every `configs/*.py` starts from, and its validation.

A recipe is `get_config(arg)` returning `default_config()` with fields changed. Any field
can be overridden on the command line (`--config.train.batch_size=32`); ml_collections
rejects unknown keys and wrong types there, and `validate` rejects impossible values and
combinations before anything is built or compiled, naming the key.
"""
import os
from typing import Any

import ml_collections

from sr_jax import models
from sr_jax.data import pipeline
from sr_jax.losses import pixel

DATA_ROOT = os.environ.get("SR_JAX_DATA", "../shared/data")
SCHEDULES = ("constant", "multistep", "cosine", "cosine_restarts")
OPTIMIZERS = ("adam", "adamw", "sgd")
SOURCES = ("folder", "skimage", "tfds")
DTYPES = ("float32", "bfloat16")


class ConfigError(ValueError):
  """A config value that cannot work; the message names the key."""


def default_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.seed = 0
  c.scale = 2
  c.channels = 3  # 3: RGB; 1: the Y channel only (VDSR-style training)
  c.init_from = ""  # a workdir whose latest params initialise this run

  c.model = ml_collections.ConfigDict({"name": "edsr", "dtype": "float32"})

  c.data = ml_collections.ConfigDict()
  c.data.source = "skimage"
  c.data.dirs = ("",)  # image folders for source='folder' (searched recursively)
  c.data.skimage_images = ("astronaut", "rocket", "motorcycle_left", "motorcycle_right",
                           "hubble_deep_field", "retina", "ihc", "color")
  c.data.tfds_name = "div2k/bicubic_x2"
  c.data.tfds_split = "train"
  c.data.tfds_data_dir = ""
  c.data.degradation = "bicubic"  # how LR patches are made from HR patches
  c.data.hr_patch = 96  # HR crop side (BasicSR's gt_size); LR patch = hr_patch / scale
  c.data.augment = True  # random flips and 90° rotations
  c.data.num_workers = 0  # grain worker processes (0: threads of the main process)
  c.data.read_threads = 4  # threads reading and transforming in each process
  c.data.host_prefetch = 4  # batches prepared ahead on the host, per process or worker
  c.data.device_prefetch = 2  # batches already on the devices

  c.train = ml_collections.ConfigDict()
  c.train.batch_size = 16  # global, over all processes and devices
  c.train.num_steps = 300_000
  c.train.loss = "l1"
  c.train.ema_decay = 0.999  # 0 disables the EMA
  c.train.log_every = 100
  c.train.eval_every = 5_000
  c.train.checkpoint_every = 5_000
  c.train.keep_checkpoints = 2  # latest K, plus the best by validation PSNR
  c.train.keep_best = 1

  c.optim = ml_collections.ConfigDict()
  c.optim.name = "adam"
  c.optim.learning_rate = 1e-4
  c.optim.b1 = 0.9
  c.optim.b2 = 0.999
  c.optim.eps = 1e-8
  c.optim.momentum = 0.9  # sgd only
  c.optim.weight_decay = 0.0
  c.optim.schedule = "multistep"
  c.optim.milestones = (200_000,)
  c.optim.gamma = 0.5
  c.optim.warmup_steps = 0
  c.optim.restart_periods = (250_000,)  # cosine_restarts: the length of each cycle
  c.optim.min_learning_rate = 1e-7
  c.optim.clip_norm = 0.0  # 0 disables gradient clipping

  c.val = ml_collections.ConfigDict()
  # name → folder of HR images, or "skimage:name,name" for scikit-image photos.
  c.val.sets = ml_collections.ConfigDict({"Set5": f"{DATA_ROOT}/Set5/HR",
                                          "Set14": f"{DATA_ROOT}/Set14/HR"})
  c.val.best_metric = "Set5/psnr_y"
  c.val.pad_multiple = 16  # LR sizes are padded up to multiples of this: fewer compiles
  c.val.batch_size = 4
  c.val.num_logged_images = 3
  return c


def _fail(key: str, message: str):
  raise ConfigError(f"config.{key}: {message}")


def _positive(c, key: str, allow_zero: bool = False):
  value = _get(c, key)
  if not isinstance(value, (int, float)) or value < 0 or (value == 0 and not allow_zero):
    _fail(key, f"must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")


def _get(c, key: str) -> Any:
  for part in key.split("."):
    c = c[part]
  return c


def _one_of(c, key: str, choices):
  value = _get(c, key)
  if value not in choices:
    _fail(key, f"{value!r} is not one of {', '.join(map(str, choices))}")


def validate(c: ml_collections.ConfigDict, num_devices: int = 1) -> None:
  """Raises ConfigError naming the first key whose value cannot work."""
  if c.scale not in (2, 3, 4, 8):
    _fail("scale", f"must be 2, 3, 4 or 8, got {c.scale!r}")
  if c.channels not in (1, 3):
    _fail("channels", f"must be 3 (RGB) or 1 (Y), got {c.channels!r}")
  validate_model(c)

  _one_of(c, "data.source", SOURCES)
  if c.data.source == "folder" and not any(c.data.dirs):
    _fail("data.dirs", "names no folder, but data.source is 'folder'")
  for key in ("data.hr_patch", "train.batch_size", "train.num_steps", "train.log_every",
              "train.eval_every", "train.checkpoint_every", "train.keep_checkpoints",
              "optim.learning_rate", "val.pad_multiple", "val.batch_size"):
    _positive(c, key)
  _one_of(c, "data.degradation", tuple(pipeline.DEGRADATIONS))
  for key in ("data.num_workers", "data.read_threads", "data.host_prefetch",
              "data.device_prefetch", "train.keep_best", "optim.warmup_steps",
              "optim.clip_norm", "optim.weight_decay"):
    _positive(c, key, allow_zero=True)
  if c.data.hr_patch % c.scale:
    _fail("data.hr_patch", f"{c.data.hr_patch} is not divisible by scale {c.scale}")
  if c.train.batch_size % num_devices:
    _fail("train.batch_size", f"{c.train.batch_size} is not divisible by the {num_devices} devices")
  if not 0 <= c.train.ema_decay < 1:
    _fail("train.ema_decay", f"must be in [0, 1), got {c.train.ema_decay!r}")
  _one_of(c, "train.loss", tuple(pixel.PIXEL_LOSSES))

  _one_of(c, "optim.name", OPTIMIZERS)
  _one_of(c, "optim.schedule", SCHEDULES)
  if c.optim.name == "adam" and c.optim.weight_decay:
    _fail("optim.weight_decay", "is ignored by 'adam'; set optim.name='adamw'")
  if c.optim.schedule == "multistep" and list(c.optim.milestones) != sorted(c.optim.milestones):
    _fail("optim.milestones", f"must be increasing, got {tuple(c.optim.milestones)}")
  if c.optim.schedule == "cosine_restarts" and not all(p > 0 for p in c.optim.restart_periods):
    _fail("optim.restart_periods", "must be positive cycle lengths")

  if not c.val.sets:
    _fail("val.sets", "names no validation set")
  best_set = c.val.best_metric.split("/")[0]
  if best_set not in c.val.sets:
    _fail("val.best_metric", f"{c.val.best_metric!r} names no set in val.sets "
          f"({', '.join(c.val.sets)})")


def validate_model(c: ml_collections.ConfigDict) -> None:
  try:
    fields = models.model_fields(c.model.name)
  except KeyError as e:
    _fail("model.name", e.args[0])
  for key in c.model:
    if key == "name":
      continue
    if key in ("scale", "channels"):
      _fail(f"model.{key}", f"is set from config.{key}, not under config.model")
    if key not in fields:
      _fail(f"model.{key}", f"{c.model.name} has no field {key!r}; fields: {', '.join(fields)}")
  _one_of(c, "model.dtype", DTYPES)
