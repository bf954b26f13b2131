"""RRDBNet (23 RRDB, 64 features, growth 32) PSNR-oriented, BasicSR's recipe (BasicSR-cfg).

Presets x2 / x3 / x4 (default x4; ESRGAN is ×4 only). GT 128, batch 16, L1, Adam (0.9, 0.99)
lr 2e-4, cosine annealing restarted every 250k (4 cycles, 1000k iterations), EMA 0.999. The paper's own stage 1
halves lr 2e-4 every 2×10⁵ instead. RRDB_PSNR trains on DF2K
(DIV2K + Flickr2K), the default; '_291' (e.g. x4_291) trains on the 291 images.
"""
from sr_jax.config import default_config, preset, training_sets, with_classic_data

_HR_PATCH = {"x2": 128, "x3": 126, "x4": 128}  # ×3: the largest multiple of 3 ≤ 128
PRESETS = with_classic_data(("x4", "x2", "x3"))  # the first is the default


def get_config(arg=None):
  c = default_config()
  name = training_sets(c, preset("rrdbnet", arg, PRESETS), "DF2K")
  c.scale = int(name[1:])
  c.model.name = "rrdbnet"
  c.model.num_blocks = 23
  c.model.features = 64
  c.model.growth = 32
  c.model.res_scale = 0.2
  c.model.scan_mode = "auto"  # blocks compiled once, in a loop (unrolled: CPU training steps)
  c.model.pixel_unshuffle = False  # BasicSR's ×2 layout (Real-ESRGAN x2plus) when True
  c.data.hr_patch = _HR_PATCH[name]
  c.train.batch_size = 16
  c.train.loss = "l1"
  c.train.num_steps = 1_000_000
  c.optim.name = "adam"
  c.optim.learning_rate = 2e-4
  c.optim.b1, c.optim.b2 = 0.9, 0.99
  c.train.ema_decay = 0.999
  c.optim.schedule = "cosine_restarts"
  c.optim.restart_periods = (250_000,) * 4
  return c
