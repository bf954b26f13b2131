"""The config schema every `configs/*.py` starts from, and its validation.

A recipe is `get_config(arg)` returning `default_config()` with fields changed. Any field
can be overridden on the command line (`--config.train.batch_size=32`); ml_collections
rejects unknown keys and wrong types there, and `validate` rejects impossible values and
combinations before anything is built or compiled, naming the key.
"""
import importlib.util
import os
import pathlib
from typing import Any

import ml_collections

from sr_jax import models
from sr_jax.data import degradations, images, pipeline, sources
from sr_jax.losses import perceptual, pixel
from sr_jax.models import vgg
from sr_jax.models.common import SCAN_MODES, conv_problem

SCHEDULES = ("constant", "multistep", "cosine", "cosine_restarts")
OPTIMIZERS = ("adam", "adamw", "sgd")
SOURCES = ("folder", "skimage", "tfds", "arrayrecord")
DTYPES = ("float32", "bfloat16")
NONFINITE_POLICIES = ("skip", "restore")


class ConfigError(ValueError):
  """A config value that cannot work; the message names the key."""


def default_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.seed = 0
  c.scale = 2
  c.channels = 3  # 3: RGB; 1: the Y channel only (VDSR-style training)
  c.init_from = ""  # a run's workdir, a weights file or a release name (sr_jax.weights.run_for)
  # False: init_from may hold another scale; what it lacks or shapes otherwise (the upsampler)
  # keeps its initialisation (BasicSR's strict_load_g: false). True: every parameter must match.
  c.init_strict = True

  c.model = ml_collections.ConfigDict({"name": "edsr", "dtype": "float32"})

  c.data = ml_collections.ConfigDict()
  c.data.source = "skimage"
  # source='folder': HR image folders (searched recursively), or names of sets under the data
  # root, $SR_JAX_DATA (sr_jax.data.root): 'DIV2K', 'DF2K', '291', ...
  c.data.dirs = ("",)
  c.data.skimage_images = ("astronaut", "rocket", "motorcycle_left", "motorcycle_right",
                           "hubble_deep_field", "retina", "ihc", "color")
  c.data.tfds_name = "div2k/bicubic_x2"
  c.data.tfds_split = "train"
  c.data.tfds_data_dir = ""
  c.data.arrayrecord_path = ""  # source='arrayrecord': shards of `python -m sr_jax.data.prepare`
  # Folder/skimage files are all decoded once before training: corrupt, truncated or too-small
  # images (and decompression bombs) are 'skip'ped with a logged list, or an 'error'.
  c.data.bad_images = "skip"
  c.data.max_image_pixels = images.MAX_PIXELS  # a larger image counts as a decompression bomb
  # How LR patches are made from HR patches: bicubic, bilinear, nearest, area, lanczos3 (MATLAB
  # imresize), bd, dn (RDN's), realesrgan (config.degradation).
  c.data.degradation = "bicubic"
  c.data.degradation_device = False  # realesrgan: host samples parameters, the train step degrades
  c.data.hr_patch = 96  # HR crop side (BasicSR's gt_size); LR patch = hr_patch / scale
  # pipeline.AUGMENTS: 'flip_rot' (flips and 90° rotations), 'hflip' (horizontal flips), 'none'
  c.data.augment = "flip_rot"
  # Decoded training images kept in memory, per process (MB; 0: decode an image for every patch):
  # T91 or 291 fit whole and decode once; DIV2K (~7 GB decoded) partly.
  c.data.decoded_cache_mb = 1024
  c.data.num_workers = 0  # grain worker processes (0: threads of the main process)
  c.data.read_threads = 4  # threads reading and transforming in each process
  c.data.host_prefetch = 4  # batches prepared ahead on the host, per process or worker
  c.data.device_prefetch = 2  # batches already on the devices

  # Real-ESRGAN's settings (data.degradation='realesrgan'), the training-pair pool included.
  c.degradation = degradations.realesrgan_defaults()

  c.train = ml_collections.ConfigDict()
  # How a step trains (sr_jax.train.modes): supervised, adversarial (config.gan), distill
  # (config.distill).
  c.train.mode = "supervised"
  c.train.batch_size = 16  # global, over all processes and devices
  c.train.num_steps = 300_000
  c.train.loss = "l1"
  c.train.ema_decay = 0.999  # 0 disables the EMA; it warms up (sr_jax.train.step.ema_decay_at)
  c.train.log_every = 100
  c.train.eval_every = 5_000
  c.train.checkpoint_every = 5_000
  c.train.keep_checkpoints = 2  # latest K, plus the best by validation PSNR
  c.train.keep_best = 1
  # A step whose loss or gradient is NaN/Inf changes nothing but the step counter; at log time
  # (sr_jax.train.recovery) 'skip' goes on, and stops with an error once more than
  # nonfinite_max_skips such steps were skipped in all; 'restore' reloads the latest
  # checkpoint's state (not the data position: the bad batch is not replayed) with the learning
  # rate × nonfinite_lr_factor, at most nonfinite_max_restores times. A state holding NaN is
  # never checkpointed.
  c.train.nonfinite_policy = "skip"
  c.train.nonfinite_max_skips = 100
  c.train.nonfinite_lr_factor = 0.5
  c.train.nonfinite_max_restores = 3
  # "START:END": a jax.profiler trace of steps START+1..END in WORKDIR/plugins/profile/ (TensorBoard's
  # profile tab; also perfetto_trace.json.gz for ui.perfetto.dev). '' = no trace.
  c.train.profile_steps = ""

  # Logs besides TensorBoard events and metrics.jsonl (sr_jax.train.writers).
  c.log = ml_collections.ConfigDict()
  c.log.wandb = False  # Weights & Biases (pip install 'sr_jax[wandb]'; WANDB_MODE=offline works)
  c.log.wandb_project = "sr_jax"
  c.log.wandb_name = ""  # '' = W&B's generated name

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
  c.optim.min_learning_rate = 1e-7  # the floor of multistep and cosine schedules
  c.optim.clip_norm = 0.0  # 0 disables gradient clipping
  c.optim.clip_adjustable = 0.0  # θ > 0: each gradient element to ±θ/lr (VDSR); 0 disables

  # The generator's objective Σ weight · term (sr_jax.losses.objective), in every train.mode; 0
  # disables a term, each is logged as train/<term>. The pixel criterion is train.loss. Feature
  # terms (perceptual, style) use VGG19 layers 'convB_I' (before ReLU) or 'reluB_I' (after).
  c.losses = ml_collections.ConfigDict()
  c.losses.pixel = 1.0
  # 'mean' over pixels (BasicSR, EDSR); 'sum': summed over each image's pixels and channels and
  # averaged over the batch, the ½‖r − f(x)‖²-style losses of the MatConvNet/Caffe papers (VDSR,
  # LapSRN), whose learning rates assume it (every level's own size, for LapSRN).
  c.losses.pixel_reduction = "mean"
  c.losses.perceptual = 0.0
  c.losses.perceptual_layers = ml_collections.ConfigDict({"conv5_4": 1.0})
  c.losses.perceptual_criterion = "l1"  # l1 or l2
  c.losses.style = 0.0
  c.losses.style_layers = ml_collections.ConfigDict({"conv5_4": 1.0})
  c.losses.style_criterion = "l1"
  c.losses.tv = 0.0
  c.losses.vgg_weights = ""  # converted VGG19 .npz; '' = sr_jax.models.vgg.default_path()
  c.losses.vgg_random_init = False  # SMOKE TESTS ONLY: random VGG features, meaningless losses

  # Multi-level models (LapSRN): when each pyramid level joins the pixel term
  # (sr_jax.losses.curriculum). () trains every level from the first step.
  c.curriculum = ml_collections.ConfigDict()
  c.curriculum.level_steps = ()  # the step at which each level after the coarsest joins
  c.curriculum.blend_steps = 0  # > 0: ProSR's fade-in of each level that joins, over these steps

  # train.mode='adversarial' (sr_jax.train.modes.adversarial): the discriminator, one of
  # sr_jax.models.discriminators.DISCRIMINATORS, its loss and optimizer.
  c.gan = ml_collections.ConfigDict()
  c.gan.discriminator = ""
  c.gan.num_feat = 64
  c.gan.loss = "vanilla"  # sr_jax.losses.adversarial.GAN_LOSSES
  c.gan.weight = 5e-3  # of the generator's adversarial term, logged as train/gan
  c.gan.gp_weight = 10.0  # wgan_gp's gradient-penalty λ
  c.gan.optim = c.optim.copy_and_resolve_references()  # the discriminator's, as config.optim

  # train.mode='distill' (sr_jax.train.modes.distill): + weight · criterion(SR, teacher's SR).
  c.distill = ml_collections.ConfigDict()
  c.distill.teacher = ""  # a run's workdir, a weights file or a release name
  c.distill.weight = 1.0
  c.distill.criterion = "l1"  # sr_jax.losses.pixel.PIXEL_LOSSES

  c.val = ml_collections.ConfigDict()
  # name → a set under the data root ($SR_JAX_DATA), a folder of HR images, or
  # "skimage:name,name" for scikit-image photos.
  c.val.sets = ml_collections.ConfigDict({"Set5": "Set5", "Set14": "Set14"})
  c.val.best_metric = "Set5/psnr_y"
  c.val.pad_multiple = 16  # LR sizes are padded up to multiples of this: fewer compiles
  c.val.batch_size = 4
  c.val.num_logged_images = 3
  c.val.self_ensemble = False  # mean over the 8 flips/transpositions (EDSR+, RCAN+)
  c.val.tile = 0  # > 0: LR tiles of this side, for models whose memory grows with the image
  c.val.tile_overlap = 32  # LR pixels shared by neighbouring tiles (SwinIR's default)
  return c


def load_recipe(path: str | os.PathLike, arg=None) -> ml_collections.ConfigDict:
  """get_config(arg) of another recipe file: a GAN stage starts from its PSNR stage's recipe."""
  path = pathlib.Path(path)
  spec = importlib.util.spec_from_file_location(f"recipe_{path.stem}", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config(arg)


def preset(recipe: str, arg: str | None, presets: tuple[str, ...]) -> str:
  """`arg`, or the recipe's first (default) preset; ValueError naming the presets otherwise."""
  chosen = arg or presets[0]
  if chosen not in presets:
    raise ValueError(f"{recipe} presets: {', '.join(presets)}; got {chosen!r}")
  return chosen


def with_classic_data(presets) -> tuple[str, ...]:
  """The presets, then each again with the '_291' suffix that `training_sets` understands."""
  return (*presets, *(f"{p}_291" for p in presets))


_SCHEDULE_KEYS = ("milestones", "gamma", "restart_periods", "min_learning_rate", "warmup_steps")
_SOURCE_KEYS = ("dirs", "skimage_images", "tfds_name", "tfds_split", "tfds_data_dir",
                "arrayrecord_path")


def set_schedule(o: ml_collections.ConfigDict, schedule: str, **fields) -> None:
  """An optimizer section's schedule (config.optim or gan.optim), with `fields` and every other
  schedule key back at its default: a recipe built on another one leaves no key behind that the
  new schedule would not use (validate rejects those)."""
  defaults = default_config().optim
  for key in _SCHEDULE_KEYS:
    o[key] = defaults[key]
  o.schedule = schedule
  o.update(fields)


def set_source(c: ml_collections.ConfigDict, source: str, **fields) -> None:
  """config.data's image source, with `fields` and the other sources' keys at their defaults."""
  defaults = default_config().data
  for key in _SOURCE_KEYS:
    c.data[key] = defaults[key]
  c.data.source = source
  c.data.update(fields)


def training_sets(c: ml_collections.ConfigDict, preset: str, paper_sets: str) -> str:
  """Trains `c` on the sets its paper used (a catalog name under the data root, e.g. 'DIV2K'),
  or on the classic 291 images (T91 + BSD200) when the preset ends in '_291'; returns the preset
  without that suffix. Validation stays on Set5 and Set14."""
  set_source(c, "folder", dirs=("291",) if preset.endswith("_291") else (paper_sets,))
  return preset.removesuffix("_291")


def fail(key: str, message: str):
  """Raises ConfigError naming config.KEY (the validation helpers below, and the modes', use it)."""
  raise ConfigError(f"config.{key}: {message}")


def positive(c, key: str, allow_zero: bool = False):
  value = _get(c, key)
  if not isinstance(value, (int, float)) or value < 0 or (value == 0 and not allow_zero):
    fail(key, f"must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")


def _get(c, key: str) -> Any:
  for part in key.split("."):
    c = c[part]
  return c


def one_of(c, key: str, choices):
  value = _get(c, key)
  if value not in choices:
    fail(key, f"{value!r} is not one of {', '.join(map(str, choices))}")


def validate(c: ml_collections.ConfigDict, num_devices: int = 1) -> None:
  """Raises ConfigError naming the first key whose value cannot work."""
  if c.scale not in (2, 3, 4, 8):
    fail("scale", f"must be 2, 3, 4 or 8, got {c.scale!r}")
  if c.channels not in (1, 3):
    fail("channels", f"must be 3 (RGB) or 1 (Y), got {c.channels!r}")
  validate_model(c)

  one_of(c, "data.source", SOURCES)
  if c.data.source == "folder" and not any(c.data.dirs):
    fail("data.dirs", "names no folder, but data.source is 'folder'")
  if c.data.source == "arrayrecord" and not c.data.arrayrecord_path:
    fail("data.arrayrecord_path", "is empty, but data.source is 'arrayrecord'")
  one_of(c, "data.bad_images", sources.BAD_IMAGES)
  positive(c, "data.max_image_pixels")
  for key in ("data.hr_patch", "train.batch_size", "train.num_steps", "train.log_every",
              "train.eval_every", "train.checkpoint_every", "train.keep_checkpoints",
              "val.pad_multiple", "val.batch_size"):
    positive(c, key)
  one_of(c, "data.degradation", pipeline.NAMES)
  one_of(c, "data.augment", pipeline.AUGMENTS)
  if c.data.degradation == "realesrgan":
    validate_degradation(c)
  elif c.data.degradation_device:
    fail("data.degradation_device", "only 'realesrgan' runs on the device")
  for key in ("data.decoded_cache_mb", "data.num_workers", "data.read_threads",
              "data.host_prefetch", "data.device_prefetch", "train.keep_best"):
    positive(c, key, allow_zero=True)
  if c.data.hr_patch % c.scale:
    fail("data.hr_patch", f"{c.data.hr_patch} is not divisible by scale {c.scale}")
  if c.train.batch_size % num_devices:
    fail("train.batch_size", f"{c.train.batch_size} is not divisible by the {num_devices} devices")
  if not 0 <= c.train.ema_decay < 1:
    fail("train.ema_decay", f"must be in [0, 1), got {c.train.ema_decay!r}")
  one_of(c, "train.loss", tuple(pixel.PIXEL_LOSSES))
  one_of(c, "train.nonfinite_policy", NONFINITE_POLICIES)
  for key in ("train.nonfinite_max_skips", "train.nonfinite_max_restores"):
    positive(c, key, allow_zero=True)
  if c.train.profile_steps:
    start, _, end = c.train.profile_steps.partition(":")
    if not (start.isdigit() and end.isdigit() and int(start) < int(end)):
      fail("train.profile_steps", f"must be 'START:END' with START < END, got "
            f"{c.train.profile_steps!r}")
  if not 0 < c.train.nonfinite_lr_factor <= 1:
    fail("train.nonfinite_lr_factor", f"must be in (0, 1], got {c.train.nonfinite_lr_factor!r}")

  validate_optim(c, "optim")
  validate_losses(c)
  validate_curriculum(c)
  from sr_jax.train import modes  # pylint: disable=g-import-not-at-top  (modes use these helpers)
  one_of(c, "train.mode", modes.MODES)
  modes.get(c.train.mode).validate(c)
  validate_no_dead_keys(c)

  if not c.val.sets:
    fail("val.sets", "names no validation set")
  best_set = c.val.best_metric.split("/")[0]
  if best_set not in c.val.sets:
    fail("val.best_metric", f"{c.val.best_metric!r} names no set in val.sets "
          f"({', '.join(c.val.sets)})")
  positive(c, "val.tile", allow_zero=True)
  if c.val.tile and not 0 <= c.val.tile_overlap < c.val.tile:
    fail("val.tile_overlap", f"must be in [0, val.tile={c.val.tile}), got {c.val.tile_overlap!r}")


def _optim_keys(prefix: str, acts):
  adam = lambda c: acts(c) and _get(c, prefix).name in ("adam", "adamw")
  return (
      *((f"{prefix}.{key}", adam, "name='adam' or 'adamw'") for key in ("b1", "b2", "eps")),
      (f"{prefix}.momentum", lambda c: acts(c) and _get(c, prefix).name == "sgd", "name='sgd'"),
      (f"{prefix}.milestones", lambda c: acts(c) and _get(c, prefix).schedule == "multistep",
       "schedule='multistep'"),
      (f"{prefix}.gamma", lambda c: acts(c) and _get(c, prefix).schedule == "multistep",
       "schedule='multistep'"),
      (f"{prefix}.restart_periods",
       lambda c: acts(c) and _get(c, prefix).schedule == "cosine_restarts",
       "schedule='cosine_restarts'"),
      (f"{prefix}.min_learning_rate",
       lambda c: acts(c) and _get(c, prefix).schedule != "constant",
       "schedule is 'multistep', 'cosine' or 'cosine_restarts'"),
  )


_FEATURES = lambda c: bool(c.losses.perceptual or c.losses.style)
# Keys (or whole sections) that act only in some setups: (key, does it act?, when it does). One
# that differs from its default where it cannot act is rejected, not silently ignored.
_CONDITIONAL = (
    ("data.dirs", lambda c: c.data.source == "folder", "data.source='folder'"),
    ("data.skimage_images", lambda c: c.data.source == "skimage", "data.source='skimage'"),
    ("data.tfds_name", lambda c: c.data.source == "tfds", "data.source='tfds'"),
    ("data.tfds_split", lambda c: c.data.source == "tfds", "data.source='tfds'"),
    ("data.tfds_data_dir", lambda c: c.data.source == "tfds", "data.source='tfds'"),
    ("data.arrayrecord_path", lambda c: c.data.source == "arrayrecord",
     "data.source='arrayrecord'"),
    ("data.bad_images", lambda c: c.data.source in ("folder", "skimage"),
     "data.source='folder' or 'skimage'"),
    ("degradation", lambda c: c.data.degradation == "realesrgan", "data.degradation='realesrgan'"),
    *_optim_keys("optim", lambda c: True),
    ("train.loss", lambda c: bool(c.losses.pixel), "losses.pixel > 0"),
    ("losses.pixel_reduction", lambda c: bool(c.losses.pixel), "losses.pixel > 0"),
    ("losses.perceptual_layers", lambda c: bool(c.losses.perceptual), "losses.perceptual > 0"),
    ("losses.perceptual_criterion", lambda c: bool(c.losses.perceptual), "losses.perceptual > 0"),
    ("losses.style_layers", lambda c: bool(c.losses.style), "losses.style > 0"),
    ("losses.style_criterion", lambda c: bool(c.losses.style), "losses.style > 0"),
    ("losses.vgg_weights", _FEATURES, "losses.perceptual or losses.style > 0"),
    ("losses.vgg_random_init", _FEATURES, "losses.perceptual or losses.style > 0"),
    ("curriculum.blend_steps", lambda c: bool(c.curriculum.level_steps),
     "curriculum.level_steps names the steps levels join at"),
    ("gan", lambda c: c.train.mode == "adversarial", "train.mode='adversarial'"),
    *_optim_keys("gan.optim", lambda c: c.train.mode == "adversarial"),
    ("distill", lambda c: c.train.mode == "distill", "train.mode='distill'"),
    ("val.tile_overlap", lambda c: bool(c.val.tile), "val.tile > 0"),
)


def _plain(value):
  """A config value as comparable plain data (ConfigDicts as dicts, sequences as tuples)."""
  if isinstance(value, ml_collections.ConfigDict):
    return {k: _plain(v) for k, v in value.items()}
  if isinstance(value, (list, tuple)):
    return tuple(_plain(v) for v in value)
  return value


def validate_no_dead_keys(c: ml_collections.ConfigDict) -> None:
  """ConfigError naming the first key set to something other than its default in a setup where
  it has no effect (sr_jax never ignores a key silently)."""
  defaults = default_config()
  for key, acts, when in _CONDITIONAL:
    if not acts(c) and _plain(_get(c, key)) != _plain(_get(defaults, key)):
      section = isinstance(_get(c, key), ml_collections.ConfigDict)
      if section:  # name the first key of the section that was changed (or added)
        default = _plain(_get(defaults, key))
        changed = [k for k, v in _get(c, key).items() if _plain(v) != default.get(k)]
        key = f"{key}.{changed[0]}"
      fail(key, f"has no effect unless {when}")


def validate_optim(c: ml_collections.ConfigDict, prefix: str) -> None:
  """An optimizer section: config.optim, or the discriminator's config.gan.optim."""
  o = _get(c, prefix)
  positive(c, f"{prefix}.learning_rate")
  for key in ("warmup_steps", "clip_norm", "clip_adjustable", "weight_decay"):
    positive(c, f"{prefix}.{key}", allow_zero=True)
  one_of(c, f"{prefix}.name", OPTIMIZERS)
  one_of(c, f"{prefix}.schedule", SCHEDULES)
  if o.name == "adam" and o.weight_decay:
    fail(f"{prefix}.weight_decay", f"is ignored by 'adam'; set {prefix}.name='adamw'")
  if o.schedule == "multistep" and list(o.milestones) != sorted(o.milestones):
    fail(f"{prefix}.milestones", f"must be increasing, got {tuple(o.milestones)}")
  if o.schedule == "cosine_restarts" and not all(p > 0 for p in o.restart_periods):
    fail(f"{prefix}.restart_periods", "must be positive cycle lengths")


def validate_losses(c: ml_collections.ConfigDict) -> None:
  """Weights >= 0; feature terms name VGG19 layers."""
  for term in ("pixel", "perceptual", "style", "tv"):
    positive(c, f"losses.{term}", allow_zero=True)
  one_of(c, "losses.pixel_reduction", pixel.REDUCTIONS)
  known = vgg.layer_names(19)
  for term in ("perceptual", "style"):
    one_of(c, f"losses.{term}_criterion", tuple(perceptual.CRITERIA))
    if not c.losses[term]:
      continue
    if not c.losses[f"{term}_layers"]:
      fail(f"losses.{term}_layers", "names no VGG19 layer")
    for name in c.losses[f"{term}_layers"]:
      if name not in known:
        fail(f"losses.{term}_layers.{name}", f"is not a VGG19 layer; known: {', '.join(known)}")
      positive(c, f"losses.{term}_layers.{name}", allow_zero=True)


def validate_curriculum(c: ml_collections.ConfigDict) -> None:
  """A curriculum names one step per level after the coarsest, increasing and within the run; it
  schedules the pixel term of supervised training (other terms see the final level throughout)."""
  positive(c, "curriculum.blend_steps", allow_zero=True)
  steps = tuple(c.curriculum.level_steps)
  if not steps:
    return
  levels = models.output_levels(models.from_config(c))
  if len(steps) != levels - 1:
    fail("curriculum.level_steps", f"names {len(steps)} steps, but {c.model.name} ×{c.scale} has "
         f"{levels} output level{'s' * (levels != 1)}: one step per level after the coarsest")
  if list(steps) != sorted(steps) or steps[0] < 0 or steps[-1] >= c.train.num_steps:
    fail("curriculum.level_steps", f"must be increasing steps in [0, train.num_steps="
         f"{c.train.num_steps}), got {steps}")
  if c.train.mode != "supervised":
    fail("curriculum.level_steps", f"schedules supervised training's pixel term; train.mode is "
         f"{c.train.mode!r}")
  for term in ("perceptual", "style", "tv"):
    if c.losses[term]:
      fail("curriculum.level_steps", f"schedules the pixel term alone, but losses.{term} > 0 "
           "acts on the final level from the first step")


def validate_model(c: ml_collections.ConfigDict) -> None:
  try:
    fields = models.model_fields(c.model.name)
  except KeyError as e:
    fail("model.name", e.args[0])
  for key in c.model:
    if key == "name":
      continue
    if key in ("scale", "channels"):
      fail(f"model.{key}", f"is set from config.{key}, not under config.model")
    if key not in fields:
      fail(f"model.{key}", f"{c.model.name} has no field {key!r}; fields: {', '.join(fields)}")
  one_of(c, "model.dtype", DTYPES)
  if "scan_mode" in c.model:
    one_of(c, "model.scan_mode", SCAN_MODES)
  if "conv" in fields:  # a model offering common.make_conv's variants
    value = lambda key, absent: c.model.get(key, fields[key].default if key in fields else absent)
    problem = conv_problem(value("conv", None), value("groups", 1), value("dilation", 1),
                           value("features", None))
    if problem:
      fail(f"model.{problem[0]}", problem[1])


def _probability(c, key: str):
  value = _get(c, key)
  if not isinstance(value, (int, float)) or not 0 <= value <= 1:
    fail(key, f"must be a probability in [0, 1], got {value!r}")


def _distribution(c, key: str, n: int):
  value = tuple(_get(c, key))
  if len(value) != n or min(value) < 0 or abs(sum(value) - 1) > 1e-6:
    fail(key, f"must be {n} probabilities summing to 1, got {value!r}")


def _range(c, key: str, lo: float, hi: float, around_one: bool = False):
  """(a, b) with lo <= a <= b <= hi; around_one: a <= 1 <= b (draws below and above 1)."""
  value = tuple(_get(c, key))
  if len(value) != 2 or not lo <= value[0] <= value[1] <= hi or (
      around_one and not value[0] <= 1 <= value[1]):
    bounds = f"[{lo}, {hi}]" + (" around 1" if around_one else "")
    fail(key, f"must be a (low, high) range in {bounds}, got {value!r}")


def validate_degradation(c: ml_collections.ConfigDict) -> None:
  """config.degradation for 'realesrgan' (every probability and range of both stages)."""
  if c.channels != 3:
    fail("channels", "realesrgan degrades RGB images: set channels=3")
  inf = float("inf")
  for stage in ("first", "second"):
    s = f"degradation.{stage}"
    for key in ("blur_prob", "sinc_prob", "gaussian_noise_prob", "gray_noise_prob"):
      _probability(c, f"{s}.{key}")
    _distribution(c, f"{s}.kernel_prob", len(degradations.KERNEL_TYPES))
    _distribution(c, f"{s}.resize_prob", 3)
    _range(c, f"{s}.kernel_size_range", 3, degradations.KERNEL_SIZE)
    if any(k % 2 == 0 for k in _get(c, f"{s}.kernel_size_range")):
      fail(f"{s}.kernel_size_range", "kernel sizes must be odd")
    _range(c, f"{s}.blur_sigma", 1e-3, inf)
    _range(c, f"{s}.betag_range", 1e-3, inf, around_one=True)
    _range(c, f"{s}.betap_range", 1e-3, inf, around_one=True)
    _range(c, f"{s}.resize_range", 1e-3, inf, around_one=True)
    _range(c, f"{s}.noise_range", 0, inf)
    _range(c, f"{s}.poisson_scale_range", 0, inf)
    _range(c, f"{s}.jpeg_range", 1, 100)
  for key in ("degradation.final_sinc_prob", "degradation.jpeg_first_prob"):
    _probability(c, key)
  positive(c, "degradation.usm.radius")
  positive(c, "degradation.usm.weight", allow_zero=True)
  positive(c, "degradation.usm.threshold", allow_zero=True)
  one_of(c, "degradation.jpeg", degradations.JPEG_MODES)
  positive(c, "degradation.crop_pad_size", allow_zero=True)
  side = c.degradation.crop_pad_size
  if side and (side < c.data.hr_patch or side % c.scale):
    fail("degradation.crop_pad_size", f"{side} must be 0, or >= data.hr_patch {c.data.hr_patch} "
          f"and divisible by scale {c.scale}")
  positive(c, "degradation.pool_size", allow_zero=True)
  if c.degradation.pool_size % c.train.batch_size:
    fail("degradation.pool_size", f"{c.degradation.pool_size} is not a multiple of "
          f"train.batch_size {c.train.batch_size}")
