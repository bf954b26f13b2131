"""LapSRN (depth 10 per level), the official MatConvNet recipe (phoenix104104/LapSRN).

python -m sr_jax.main --config=configs/lapsrn.py:x4 --workdir=...
Presets x2 / x4 / x8 (default x4), and x3 (one ×3 level; the paper has no ×3 network). As
init_LapSRN_opts.m and vllab_cnn_train_dag.m: the Y channel of T91 + BSD200 ("291"), HR patches
128×128 with flips and rotations, batch 64, 1,000 epochs of 100 batches (100k steps); the
Charbonnier loss (ε = 1e-3) at every level, summed over each level's pixels
(losses.pixel_reduction='sum'); SGD momentum 0.9, weight decay 5e-4, lr 1e-5
halved every 50 epochs (5k steps) down to the floor 1e-6; no weight averaging. Not expressible
here: getBatch_LapSRN.m's random rescaling of each image by 0.5–1.0 before cropping.
LapSRN trains every level from the start; a curriculum (×2 first, later levels added or faded
in) is `--config.curriculum.level_steps=(STEP,...) [--config.curriculum.blend_steps=N]`
(sr_jax.losses.curriculum; compared at CPU scale in docs/study/curriculum.md).
"""
from sr_jax.config import default_config, preset

_SCALES = {"x2": 2, "x3": 3, "x4": 4, "x8": 8}
PRESETS = ("x4", "x2", "x3", "x8")  # the first is the default


def get_config(arg=None):
  name = preset("lapsrn", arg, PRESETS)
  c = default_config()
  c.scale = _SCALES[name]
  c.channels = 1
  c.model.name = "lapsrn"
  c.model.depth = 10
  c.model.features = 64
  c.data.source = "folder"
  c.data.dirs = ("291",)
  c.data.hr_patch = 128 if c.scale != 3 else 126  # ×3: the largest multiple of 3 ≤ 128
  c.train.batch_size = 64
  c.train.num_steps = 100_000
  c.train.loss = "charbonnier"  # applied to each level's output by the train step
  c.losses.pixel_reduction = "sum"
  c.train.ema_decay = 0.0
  c.optim.name = "sgd"
  c.optim.momentum = 0.9
  c.optim.weight_decay = 5e-4
  c.optim.learning_rate = 1e-5
  c.optim.schedule = "multistep"
  c.optim.milestones = (5_000, 10_000, 15_000, 20_000)
  c.optim.gamma = 0.5
  c.optim.min_learning_rate = 1e-6  # lr_min: from step 20k on
  return c
