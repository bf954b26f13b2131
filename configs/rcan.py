"""RCAN (10 groups × 20 RCAB, reduction 16) on DIV2K, the official recipe.

Presets x2 / x3 / x4 (default x4). LR patches 48×48, batch 16, Adam lr 1e-4 halved every 200
"epochs" of 1,000 iterations, 10⁶ iterations in all, L1 (RCAN-code option.py).
"""
from sr_jax.config import default_config

_SCALES = {"x2": 2, "x3": 3, "x4": 4}


def get_config(arg=None):
  preset = arg or "x4"
  if preset not in _SCALES:
    raise ValueError(f"rcan presets: {', '.join(_SCALES)}; got {preset!r}")
  c = default_config()
  c.scale = _SCALES[preset]
  c.model.name = "rcan"
  c.model.num_groups = 10
  c.model.num_blocks = 20
  c.model.features = 64
  c.model.reduction = 16
  c.model.scan_mode = "auto"  # blocks compiled once, in a loop (unrolled: CPU training steps)
  c.data.source = "tfds"  # DIV2K; only its HR images are read, LR is made on the fly
  c.data.hr_patch = 48 * c.scale
  c.train.batch_size = 16
  c.train.loss = "l1"
  c.train.num_steps = 1_000_000
  c.optim.name = "adam"
  c.optim.learning_rate = 1e-4
  c.optim.schedule = "multistep"
  c.optim.milestones = (200_000, 400_000, 600_000, 800_000)
  c.optim.gamma = 0.5
  return c
