"""SRResNet (SRGAN's generator, with BatchNorm) trained with MSE, SRGAN-P's recipe.

Presets x2 / x3 / x4 (default x4; the paper has ×4 only). The paper trains on 350k ImageNet
images, which are not available: DIV2K (train HR from TFDS) stands in.
"""
from sr_jax.config import default_config

_SCALES = {"x2": 2, "x3": 3, "x4": 4}


def get_config(arg=None):
  preset = arg or "x4"
  if preset not in _SCALES:
    raise ValueError(f"srresnet presets: {', '.join(_SCALES)}; got {preset!r}")
  c = default_config()
  c.scale = _SCALES[preset]
  c.model.name = "srresnet"
  c.model.num_blocks = 16
  c.model.features = 64
  c.data.source = "tfds"  # DIV2K; only its HR images are read, LR is made on the fly
  c.data.hr_patch = 96
  c.train.batch_size = 16
  c.train.loss = "mse"
  c.train.num_steps = 1_000_000
  c.optim.name = "adam"
  c.optim.learning_rate = 1e-4
  c.optim.b1 = 0.9
  c.optim.schedule = "constant"
  return c
