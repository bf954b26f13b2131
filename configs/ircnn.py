"""IRCNN's dilated denoiser as a pre-upsampling SR model (sr_jax.models.ircnn), RGB.

python -m sr_jax.main --config=configs/ircnn.py:x4 --workdir=...
Presets x2 / x3 / x4 (default x4). The paper (Zhang et al., CVPR 2017, §3.3) trains denoisers,
not SR models; what this recipe takes from it, as recalled (not in published-numbers.md, not
re-checked against the paper's text here): 35×35 training patches (just above the 33×33
receptive field; here the HR patch, rounded up to 36 for every scale), MSE on the residual,
Adam at 1e-3 lowered to 1e-4 once the training error stops falling, mini-batches of 128. The
paper names no iteration count for that fall: 100k steps at 1e-3 then 50k at 1e-4 are this
recipe's choice. Its training images (BSD400, ImageNet validation, Waterloo) are not in the data
catalog: the 291 images (T91 + BSD200) stand in, as for VDSR.
"""
from sr_jax.config import default_config, preset

_SCALES = {"x2": 2, "x3": 3, "x4": 4}
PRESETS = ("x4", "x2", "x3")  # the first is the default


def get_config(arg=None):
  c = default_config()
  c.scale = _SCALES[preset("ircnn", arg, PRESETS)]
  c.model.name = "ircnn"
  c.model.features = 64
  c.model.dilations = (1, 2, 3, 4, 3, 2, 1)
  c.data.source = "folder"
  c.data.dirs = ("291",)
  c.data.hr_patch = 36
  c.train.batch_size = 128
  c.train.loss = "mse"
  c.train.num_steps = 150_000
  c.optim.name = "adam"
  c.optim.learning_rate = 1e-3
  c.optim.schedule = "multistep"
  c.optim.milestones = (100_000,)
  c.optim.gamma = 0.1
  return c
