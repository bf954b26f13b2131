"""RDN (D16 C8 G64, G0 64) on DIV2K with L1.

Presets x2 / x3 / x4 (default x4). LR patches 48×48 at ×2 and 32×32 at ×3/×4 (RDN README);
the paper fine-tunes ×3/×4 from ×2: pass --config.init_from=<×2 workdir>. The batch size
and schedule are unverified in published-numbers.md, so the schema's defaults are kept.
"""
from sr_jax.config import default_config

_LR_PATCH = {"x2": 48, "x3": 32, "x4": 32}


def get_config(arg=None):
  preset = arg or "x4"
  if preset not in _LR_PATCH:
    raise ValueError(f"rdn presets: {', '.join(_LR_PATCH)}; got {preset!r}")
  c = default_config()
  c.scale = int(preset[1:])
  c.model.name = "rdn"
  c.model.num_blocks = 16
  c.model.num_layers = 8
  c.model.growth = 64
  c.model.features = 64
  c.data.source = "tfds"  # DIV2K; only its HR images are read, LR is made on the fly
  c.data.hr_patch = _LR_PATCH[preset] * c.scale
  c.train.loss = "l1"
  return c
