"""LapSRN (depth 10 per level) on the 291 images with the Charbonnier loss at every level.

Presets x2 / x4 / x8 (default x4), and x3 (one ×3 level; the paper has no ×3 network).
Training on 291 images is "unverified" in published-numbers.md, and its optimiser settings
are not there: the schema's defaults are kept.
"""
from sr_jax.config import default_config, preset

_SCALES = {"x2": 2, "x3": 3, "x4": 4, "x8": 8}
PRESETS = ("x4", "x2", "x3", "x8")  # the first is the default


def get_config(arg=None):
  name = preset("lapsrn", arg, PRESETS)
  c = default_config()
  c.scale = _SCALES[name]
  c.model.name = "lapsrn"
  c.model.depth = 10
  c.model.features = 64
  c.data.source = "folder"
  c.data.dirs = ("291",)
  c.train.loss = "charbonnier"  # applied to each level's output by the train step
  return c
