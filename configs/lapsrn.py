"""LapSRN (depth 10 per level) on the 291 images with the Charbonnier loss at every level.

Presets x2 / x4 / x8 (default x4), and x3 (one ×3 level; the paper has no ×3 network).
Training on 291 images is "unverified" in published-numbers.md, and its optimiser settings
are not there: the schema's defaults are kept.
"""
from sr_jax.config import DATA_ROOT, default_config

_SCALES = {"x2": 2, "x3": 3, "x4": 4, "x8": 8}


def get_config(arg=None):
  preset = arg or "x4"
  if preset not in _SCALES:
    raise ValueError(f"lapsrn presets: {', '.join(_SCALES)}; got {preset!r}")
  c = default_config()
  c.scale = _SCALES[preset]
  c.model.name = "lapsrn"
  c.model.depth = 10
  c.model.features = 64
  c.data.source = "folder"
  c.data.dirs = (f"{DATA_ROOT}/T91/HR", f"{DATA_ROOT}/BSD200/HR")
  c.train.loss = "charbonnier"  # applied to each level's output by the train step
  return c
