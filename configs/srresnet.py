"""SRResNet (SRGAN's generator, with BatchNorm) trained with MSE, SRGAN-P's recipe.

Presets x2 / x3 / x4 (default x4; the paper has ×4 only). The paper trains on 350k ImageNet
images; DIV2K stands in ('_291', e.g. x4_291: the 291 images). 96×96 HR patches, batch 16,
MSE, Adam (β1 0.9) at 1e-4 for 10⁶ updates, no weight averaging.
"""
from sr_jax.config import default_config, preset, training_sets, with_classic_data

_SCALES = {"x2": 2, "x3": 3, "x4": 4}
PRESETS = with_classic_data(("x4", "x2", "x3"))  # the first is the default


def get_config(arg=None):
  c = default_config()
  name = training_sets(c, preset("srresnet", arg, PRESETS), "DIV2K")
  c.scale = _SCALES[name]
  c.model.name = "srresnet"
  c.model.num_blocks = 16
  c.model.features = 64
  c.data.hr_patch = 96
  c.train.batch_size = 16
  c.train.loss = "mse"
  c.train.num_steps = 1_000_000
  c.optim.name = "adam"
  c.optim.learning_rate = 1e-4
  c.optim.b1 = 0.9
  c.optim.schedule = "constant"
  c.train.ema_decay = 0.0
  return c
