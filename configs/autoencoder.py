"""RED30-style convolutional auto-encoder (15 + 15 layers, symmetric skips) with MSE.

Presets x2 / x3 / x4 (default x4). No recipe is in published-numbers.md: DIV2K ('_291', e.g.
x4_291: the 291 images) and the schema's default optimiser and schedule.
"""
from sr_jax.config import default_config, preset, training_sets, with_classic_data

_SCALES = {"x2": 2, "x3": 3, "x4": 4}
PRESETS = with_classic_data(("x4", "x2", "x3"))  # the first is the default


def get_config(arg=None):
  c = default_config()
  name = training_sets(c, preset("autoencoder", arg, PRESETS), "DIV2K")
  c.scale = _SCALES[name]
  c.model.name = "autoencoder"
  c.model.num_layers = 15
  c.model.features = 64
  c.model.skip_every = 2
  c.train.loss = "mse"
  return c
