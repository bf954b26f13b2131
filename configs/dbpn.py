"""D-DBPN (7 stages, 256/64 features) with L1.

Presets x2 / x4 / x8 (the paper's kernel/stride/padding table; default x4) and x3.
No DBPN recipe is in published-numbers.md: DIV2K ('_291', e.g. x4_291: the 291 images)
and the schema's default optimiser and schedule.
"""
from sr_jax.config import default_config, preset, training_sets, with_classic_data

_SCALES = {"x2": 2, "x3": 3, "x4": 4, "x8": 8}
PRESETS = with_classic_data(("x4", "x2", "x3", "x8"))  # the first is the default


def get_config(arg=None):
  c = default_config()
  name = training_sets(c, preset("dbpn", arg, PRESETS), "DIV2K")
  c.scale = _SCALES[name]
  c.model.name = "dbpn"
  c.model.num_stages = 7
  c.model.features = 256
  c.model.base_features = 64
  c.train.loss = "l1"
  return c
