"""Quickstart: a small EDSR at ×2 on scikit-image's photos, on a CPU in a few minutes.

Trains on eight embedded photos, validates on two held out (chelsea, coffee):
python -m sr_jax.main --config=configs/quickstart.py --workdir=/tmp/sr_quickstart
"""
from sr_jax.config import default_config, preset

PRESETS = ("default",)


def get_config(arg=None):
  preset("quickstart", arg, PRESETS)
  c = default_config()
  c.scale = 2
  c.model.name = "edsr"
  c.model.num_blocks = 4
  c.model.features = 32
  c.model.res_scale = 1.0
  c.model.bicubic_skip = True
  c.data.source = "skimage"
  c.data.hr_patch = 64
  c.train.batch_size = 16
  c.train.num_steps = 400
  c.train.ema_decay = 0.0
  c.train.log_every = 50
  c.train.eval_every = 200
  c.train.checkpoint_every = 200
  c.optim.learning_rate = 1e-3
  c.optim.schedule = "cosine"
  c.optim.warmup_steps = 50
  c.val.sets = {"skimage": "skimage:chelsea,coffee"}
  c.val.best_metric = "skimage/psnr_y"
  return c
