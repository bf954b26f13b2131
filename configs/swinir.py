"""SwinIR classical SR (6 RSTB × 6 layers, dim 180, 6 heads, window 8) on DIV2K, LR patch 48.

Presets x2 / x3 / x4 / x8 (default x4; '_291', e.g. x4_291, trains on the 291 images): batch 32, Adam lr 2e-4, 500k iterations, halved at
250k/400k/450k/475k, L1 (KAIR; BasicSR-cfg uses the same from scratch at ×4, GT 192).
The paper fine-tunes ×3/×4/×8 from ×2 with lr and iterations halved: --config.init_from=...
--config.optim.learning_rate=1e-4 --config.train.num_steps=250000 and halved milestones.
"""
from sr_jax.config import default_config, preset, training_sets, with_classic_data

_SCALES = {"x2": 2, "x3": 3, "x4": 4, "x8": 8}
PRESETS = with_classic_data(("x4", "x2", "x3", "x8"))  # the first is the default


def get_config(arg=None):
  c = default_config()
  name = training_sets(c, preset("swinir", arg, PRESETS), "DIV2K")
  c.scale = _SCALES[name]
  c.model.name = "swinir"
  c.model.embed_dim = 180
  c.model.depths = (6, 6, 6, 6, 6, 6)
  c.model.num_heads = (6, 6, 6, 6, 6, 6)
  c.model.window_size = 8
  c.model.scan_mode = "auto"  # blocks compiled once, in a loop (unrolled: CPU training steps)
  c.model.mlp_ratio = 2.0
  c.model.upsample_features = 64
  c.model.upsampler = "pixelshuffle"  # classical SR's tail
  c.model.resi_connection = "1conv"
  c.model.img_range = 1.0
  c.data.hr_patch = 48 * c.scale
  c.train.batch_size = 32
  c.train.loss = "l1"
  c.train.num_steps = 500_000
  c.optim.name = "adam"
  c.optim.learning_rate = 2e-4
  c.optim.schedule = "multistep"
  c.optim.milestones = (250_000, 400_000, 450_000, 475_000)
  c.optim.gamma = 0.5
  return c
