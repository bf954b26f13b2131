"""RED30-style convolutional auto-encoder (15 + 15 layers, symmetric skips) with MSE.

Presets x2 / x3 / x4 (default x4). No recipe is in published-numbers.md: DIV2K (train HR
from TFDS) and the schema's default optimiser and schedule.
"""
from sr_jax.config import default_config

_SCALES = {"x2": 2, "x3": 3, "x4": 4}


def get_config(arg=None):
  preset = arg or "x4"
  if preset not in _SCALES:
    raise ValueError(f"autoencoder presets: {', '.join(_SCALES)}; got {preset!r}")
  c = default_config()
  c.scale = _SCALES[preset]
  c.model.name = "autoencoder"
  c.model.num_layers = 15
  c.model.features = 64
  c.model.skip_every = 2
  c.data.source = "tfds"  # DIV2K; only its HR images are read, LR is made on the fly
  c.train.loss = "mse"
  return c
