"""SRCNN 9-1-5 (64/32 filters), trained on T91 as in the paper (Dong et al. 2014).

python -m sr_jax.main --config=configs/srcnn.py:x3 --workdir=...
Presets x2 / x3 / x4: the paper's setting on RGB. It trains 33×33 sub-images (36 here,
divisible by every scale), batch 128, SGD at 1e-4 with MSE for 8×10⁸ back-propagations (6M
steps); these presets stop at 10⁶ steps. (The paper's 10× smaller rate for the last layer is
not reproduced.)

Preset y_x3: the paper's model on the paper's data and channel, trained for a CPU: the Y channel
only (as the paper: its Set5 ×3 figure for 9-1-5 on 91 images is 32.39 dB PSNR-Y, TPAMI
2016 §4.1), 33×33 HR sub-images, MSE, but Adam at 1e-3 with cosine decay,
batch 32 and 24,000 steps (7.7×10⁵ sub-images, 1/1000 of the paper's back-propagations): about
an hour on a 2-core CPU. Results and command: docs/study/srcnn.md.
"""
from sr_jax.config import default_config, preset, set_schedule

PRESETS = ("x3", "x2", "x4", "y_x3")  # the first is the default


def get_config(arg=None):
  c = default_config()
  name = preset("srcnn", arg, PRESETS)
  c.scale = int(name[-1])
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
  if name == "y_x3":
    c.channels = 1
    c.data.hr_patch = 33
    c.train.batch_size = 32
    c.train.num_steps = 24_000
    c.train.log_every = 200
    c.train.eval_every = 1000
    c.train.checkpoint_every = 1000
    c.optim.name = "adam"
    c.optim.learning_rate = 1e-3
    set_schedule(c.optim, "cosine")
  return c
