"""D-DBPN (7 stages, 256/64 features) with L1.

Presets x2 / x4 / x8 (the paper's kernel/stride/padding table; default x4) and x3.
No DBPN recipe is in published-numbers.md: DIV2K (train HR from TFDS) and the schema's
default optimiser and schedule.
"""
from sr_jax.config import default_config

_SCALES = {"x2": 2, "x3": 3, "x4": 4, "x8": 8}


def get_config(arg=None):
  preset = arg or "x4"
  if preset not in _SCALES:
    raise ValueError(f"dbpn presets: {', '.join(_SCALES)}; got {preset!r}")
  c = default_config()
  c.scale = _SCALES[preset]
  c.model.name = "dbpn"
  c.model.num_stages = 7
  c.model.features = 256
  c.model.base_features = 64
  c.data.source = "tfds"  # DIV2K; only its HR images are read, LR is made on the fly
  c.train.loss = "l1"
  return c
