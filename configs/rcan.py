"""RCAN (10 groups × 20 RCAB, reduction 16) on DIV2K, the official recipe.

Presets x2 / x3 / x4 (default x4); append '_291' to train on the 291 images instead of DIV2K. LR patches 48×48, batch 16, Adam lr 1e-4 halved every 200
"epochs" of 1,000 iterations, 10⁶ iterations in all, L1, no weight averaging (RCAN-code
option.py). ×3 and ×4 start from the trained ×2 network (TrainRCAN_scripts.sh --pre_train
RCAN_BIX2.pt): pass --config.init_from=<×2 run or RCAN_BIX2.pt>; those presets set
init_strict=False, so the ×2 upsampler is left behind.
"""
from sr_jax.config import default_config, preset, training_sets, with_classic_data

_SCALES = {"x2": 2, "x3": 3, "x4": 4}
PRESETS = with_classic_data(("x4", "x2", "x3"))  # the first is the default


def get_config(arg=None):
  c = default_config()
  name = training_sets(c, preset("rcan", arg, PRESETS), "DIV2K")
  c.scale = _SCALES[name]
  c.model.name = "rcan"
  c.model.num_groups = 10
  c.model.num_blocks = 20
  c.model.features = 64
  c.model.reduction = 16
  c.model.img_range = 255.0  # the reference's pixel range (rgb_range / img_range 255)
  c.model.scan_mode = "auto"  # blocks compiled once, in a loop (unrolled: CPU training steps)
  c.data.hr_patch = 48 * c.scale
  c.train.batch_size = 16
  c.train.loss = "l1"
  c.train.num_steps = 1_000_000
  c.optim.name = "adam"
  # The reference's ε 1e-8 on its 0-255 loss: the loss here is on [0, 1], its gradients 1/255 of
  # the reference's, and Adam with ε/255 then takes the same steps (tests/train/test_optim.py).
  c.optim.eps = 1e-8 / 255
  c.optim.learning_rate = 1e-4
  c.optim.schedule = "multistep"
  c.optim.milestones = (200_000, 400_000, 600_000, 800_000)
  c.optim.gamma = 0.5
  c.train.ema_decay = 0.0
  c.init_strict = c.scale == 2  # ×3/×4 start from a ×2 network: its upsampler does not fit
  return c
