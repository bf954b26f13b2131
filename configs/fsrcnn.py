"""FSRCNN (d=56, s=12, m=4) on T91, the paper's first training stage.

Presets x2 / x3 / x4 (default x4). The paper fine-tunes on General-100, which is not in
the shared data. Its optimiser settings are not in published-numbers.md: the schema's
defaults (Adam 1e-4, batch 16, 300k steps, halved at 200k) are kept; MSE as in the paper, no
weight averaging.
"""
from sr_jax.config import default_config, preset

_SCALES = {"x2": 2, "x3": 3, "x4": 4}
PRESETS = ("x4", "x2", "x3")  # the first is the default


def get_config(arg=None):
  name = preset("fsrcnn", arg, PRESETS)
  c = default_config()
  c.scale = _SCALES[name]
  c.model.name = "fsrcnn"
  c.model.d = 56
  c.model.s = 12
  c.model.m = 4
  c.data.source = "folder"
  c.data.dirs = ("T91",)
  c.train.loss = "mse"
  c.train.ema_decay = 0.0
  return c
