"""SRCNN 9-1-5 (64/32 filters) on RGB, trained on T91 as in the paper (Dong et al. 2014).

python -m sr_jax.main --config=configs/srcnn.py:x3 --workdir=...
Presets x2 / x3 / x4. The paper trains 33×33 sub-images (36 here, divisible by every
scale), batch 128, SGD at 1e-4 with MSE for 8×10⁸ back-propagations (6M steps); this recipe
stops at 10⁶ steps. (The paper's 10× smaller rate for the last layer is not reproduced.)
"""
from sr_jax.config import default_config, preset

PRESETS = ("x3", "x2", "x4")  # the first is the default


def get_config(arg=None):
  c = default_config()
  c.scale = int(preset("srcnn", arg, PRESETS)[1:])
  c.model.name = "srcnn"
  c.model.features = (64, 32)
  c.model.kernel_sizes = (9, 1, 5)
  c.data.source = "folder"
  c.data.dirs = ("T91",)
  c.data.hr_patch = 36
  c.train.batch_size = 128
  c.train.num_steps = 1_000_000
  c.train.loss = "mse"
  c.train.ema_decay = 0.0
  c.optim.name = "sgd"
  c.optim.momentum = 0.9
  c.optim.learning_rate = 1e-4
  c.optim.schedule = "constant"
  return c
