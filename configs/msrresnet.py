"""MSRResNet (BasicSR's SRResNet without BatchNorm), BasicSR's recipe on DIV2K.

Presets x2 / x3 / x4 (default x4). 1000k iterations at batch 16 (BasicSR-MZ); GT 128,
Adam lr 2e-4 with betas (0.9, 0.99), cosine annealing restarted every 250k down to 1e-7,
L1 (BasicSR-cfg: options/train/SRResNet_SRGAN/train_MSRResNet_x4.yml; published-numbers.md
gives the same schedule for BasicSR's RRDBNet PSNR recipe). BasicSR also keeps an EMA 0.999.
"""
from sr_jax.config import default_config

_HR_PATCH = {"x2": 128, "x3": 126, "x4": 128}  # ×3: the largest multiple of 3 ≤ 128


def get_config(arg=None):
  preset = arg or "x4"
  if preset not in _HR_PATCH:
    raise ValueError(f"msrresnet presets: {', '.join(_HR_PATCH)}; got {preset!r}")
  c = default_config()
  c.scale = int(preset[1:])
  c.model.name = "msrresnet"
  c.model.num_blocks = 16
  c.model.features = 64
  c.data.source = "tfds"  # DIV2K; only its HR images are read, LR is made on the fly
  c.data.hr_patch = _HR_PATCH[preset]
  c.train.batch_size = 16
  c.train.loss = "l1"
  c.train.num_steps = 1_000_000
  c.train.ema_decay = 0.999
  c.optim.name = "adam"
  c.optim.learning_rate = 2e-4
  c.optim.b1 = 0.9
  c.optim.b2 = 0.99
  c.optim.schedule = "cosine_restarts"
  c.optim.restart_periods = (250_000,) * 4
  c.optim.min_learning_rate = 1e-7
  return c
