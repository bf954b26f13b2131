"""ESPCN (5-3-3, 64/32 features, tanh) with MSE.

Presets x2 / x3 / x4 (default x4). No ESPCN recipe is in published-numbers.md: data is DIV2K
(train HR from TFDS) and the schema's default optimiser and schedule are kept.
"""
from sr_jax.config import default_config

_SCALES = {"x2": 2, "x3": 3, "x4": 4}


def get_config(arg=None):
  preset = arg or "x4"
  if preset not in _SCALES:
    raise ValueError(f"espcn presets: {', '.join(_SCALES)}; got {preset!r}")
  c = default_config()
  c.scale = _SCALES[preset]
  c.model.name = "espcn"
  c.model.features = (64, 32)
  c.model.kernel_sizes = (5, 3, 3)
  c.data.source = "tfds"  # DIV2K; only its HR images are read, LR is made on the fly
  c.train.loss = "mse"
  return c
