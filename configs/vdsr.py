"""VDSR on the 291 images (T91 + BSD200), Y channel, as in the paper (VDSR-P).

python -m sr_jax.main --config=configs/vdsr.py:x2 --workdir=...
Presets x2 / x3 / x4 (default x4). The paper trains one model on all three scales at once
(scale augmentation); here each preset trains one scale.
"""
from sr_jax.config import default_config, preset

# The paper's 41×41 patches (the receptive field) rounded up to a multiple of the scale.
_HR_PATCH = {"x2": 42, "x3": 42, "x4": 44}
PRESETS = ("x4", "x2", "x3")  # the first is the default


def get_config(arg=None):
  name = preset("vdsr", arg, PRESETS)
  c = default_config()
  c.scale = int(name[1:])
  c.channels = 1
  c.model.name = "vdsr"
  c.model.depth = 20
  c.model.features = 64
  c.data.source = "folder"
  c.data.dirs = ("291",)
  c.data.hr_patch = _HR_PATCH[name]
  c.train.batch_size = 64
  c.train.loss = "mse"
  # 80 epochs = 9,960 iterations, learning rate ÷10 every 20 epochs (2,490 iterations).
  c.train.num_steps = 9_960
  c.optim.schedule = "multistep"
  c.optim.milestones = (2_490, 4_980, 7_470)
  c.optim.gamma = 0.1
  # The paper uses SGD (momentum 0.9, weight decay 1e-4, lr 0.1) made stable by its
  # "adjustable" clipping (each gradient element to ±θ/lr), which optax's global-norm
  # clipping does not reproduce; Adam at 1e-4 is the stable substitute used here.
  c.optim.name = "adam"
  c.optim.learning_rate = 1e-4
  return c
