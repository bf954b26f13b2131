"""ESPCN (5-3-3, 64/32 features, tanh) with MSE.

Presets x2 / x3 / x4 (default x4). No ESPCN recipe is in published-numbers.md: data is DIV2K
('_291', e.g. x4_291: the 291 images) and the schema's default optimiser and schedule are kept.
"""
from sr_jax.config import default_config, preset, training_sets, with_classic_data

_SCALES = {"x2": 2, "x3": 3, "x4": 4}
PRESETS = with_classic_data(("x4", "x2", "x3"))  # the first is the default


def get_config(arg=None):
  c = default_config()
  name = training_sets(c, preset("espcn", arg, PRESETS), "DIV2K")
  c.scale = _SCALES[name]
  c.model.name = "espcn"
  c.model.features = (64, 32)
  c.model.kernel_sizes = (5, 3, 3)
  c.train.loss = "mse"
  return c
