"""RDN (D16 C8 G64, G0 64) on DIV2K with L1.

Presets x2 / x3 / x4 (default x4); '_291' (e.g. x4_291) trains on the 291 images, not DIV2K. LR patches 48×48 at ×2 and 32×32 at ×3/×4 (RDN README);
the paper fine-tunes ×3/×4 from ×2: pass --config.init_from=<×2 workdir>; those presets set
init_strict=False, so the ×2 upsampler is left behind. RDN_TrainCode (opts.lua): Adam lr 1e-4
halved every 200 epochs of 1,000 iterations, 1,000 epochs (10⁶ iterations), batch 16, L1, no
weight averaging.
"""
from sr_jax.config import default_config, preset, training_sets, with_classic_data

_LR_PATCH = {"x2": 48, "x3": 32, "x4": 32}
PRESETS = with_classic_data(("x4", "x2", "x3"))  # the first is the default


def get_config(arg=None):
  c = default_config()
  name = training_sets(c, preset("rdn", arg, PRESETS), "DIV2K")
  c.scale = int(name[1:])
  c.model.name = "rdn"
  c.model.num_blocks = 16
  c.model.num_layers = 8
  c.model.growth = 64
  c.model.features = 64
  c.model.img_range = 255.0  # the reference's pixel range (rgb_range / img_range 255)
  # RDN_TrainCode subtracts the mean (opts.lua -subMean true); EDSR-PyTorch's rdn.py does not:
  # its converted weights need --config.model.mean_shift=False.
  c.model.mean_shift = True
  c.data.hr_patch = _LR_PATCH[name] * c.scale
  c.train.loss = "l1"
  c.train.batch_size = 16
  c.train.num_steps = 1_000_000
  c.train.ema_decay = 0.0
  c.optim.name = "adam"
  # The reference's ε 1e-8 on its 0-255 loss: the loss here is on [0, 1], its gradients 1/255 of
  # the reference's, and Adam with ε/255 then takes the same steps (tests/train/test_optim.py).
  c.optim.eps = 1e-8 / 255
  c.optim.learning_rate = 1e-4
  c.optim.schedule = "multistep"
  c.optim.milestones = (200_000, 400_000, 600_000, 800_000)
  c.optim.gamma = 0.5
  c.init_strict = c.scale == 2  # ×3/×4 start from a ×2 network: its upsampler does not fit
  return c
