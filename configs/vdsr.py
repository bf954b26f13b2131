"""VDSR on the 291 images (T91 + BSD200), Y channel, as in the paper (VDSR-P).

python -m sr_jax.main --config=configs/vdsr.py:x2 --workdir=...
Presets x2 / x3 / x4 (default x4). The paper trains one model on all three scales at once
(scale augmentation); here each preset trains one scale. 41×41 patches (the receptive field,
rounded up to a multiple of the scale), batch 64, 80 epochs = 9,960 steps; the loss ½ · MSE
(losses.pixel 0.5); SGD momentum 0.9, weight decay 1e-4, lr 0.1 ÷10 every 20 epochs, with the
paper's adjustable gradient clipping: each gradient element to ±θ/lr (optim.clip_adjustable).
Neither θ nor the loss's normalisation is published: θ = 0.01 is what public re-implementations
use, with the mean over pixels. The alternative reading, ½‖r − f(x)‖² summed over each patch
(--config.losses.pixel_reduction=sum), diverges with θ = 0.01 at lr 0.1 (2-core CPU, ×3 on T91,
batch 16, 2026-12-02: loss 5e5 by step 10, Set5 18.28 dB after 40 steps; the mean reading stays
at bicubic's 30.39 dB over the same 40 steps).
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
  c.losses.pixel = 0.5
  c.train.ema_decay = 0.0
  # 80 epochs = 9,960 iterations, learning rate ÷10 every 20 epochs (2,490 iterations).
  c.train.num_steps = 9_960
  c.optim.name = "sgd"
  c.optim.momentum = 0.9
  c.optim.weight_decay = 1e-4
  c.optim.learning_rate = 0.1
  c.optim.clip_adjustable = 0.01
  c.optim.schedule = "multistep"
  c.optim.milestones = (2_490, 4_980, 7_470)
  c.optim.gamma = 0.1
  return c
