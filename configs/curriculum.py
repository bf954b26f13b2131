"""Curriculum training of a progressive model on a CPU: the comparison of docs/study/curriculum.md.

python -m sr_jax.main --config=configs/curriculum.py:prosr --workdir=...

A small ×4 LapSRN (5 convolutions of 32 features per level) on the Y channel of the 291 images
(T91 + BSD200), 64×64 HR patches (16×16 LR), batch 16, flips and rotations, L1 at each level,
Adam at 1e-3 with cosine decay to zero, no weight averaging, validation on Set5 and Set14 ×4.
The presets differ only in when the ×4 level joins the loss (sr_jax.losses.curriculum), at the
same number of steps, so at the same compute (every step runs both levels):

  all      both levels from the first step, as LapSRN trains (deep supervision).
  added    ×2 alone for the first quarter, then both: levels added.
  prosr    ProSR's schedule for two levels (fperazzi/proSR options/prosr.yaml, growing_steps
           0.12, 0.25): ×2 alone for the first 12% of the steps, then ×4 faded in over the next
           13% (α · ×4 + (1 − α) · bilinear ×2 of the ×2 output), then both.
"""
from sr_jax.config import default_config, preset, set_schedule, set_source

PRESETS = ("all", "added", "prosr")  # the first is the default
STEPS = 3_000


def get_config(arg=None):
  name = preset("curriculum", arg, PRESETS)
  c = default_config()
  c.scale = 4
  c.channels = 1
  c.model.name = "lapsrn"
  c.model.depth = 5
  c.model.features = 32
  set_source(c, "folder", dirs=("T91", "BSD200"))
  c.data.hr_patch = 64
  c.train.batch_size = 16
  c.train.num_steps = STEPS
  c.train.loss = "l1"
  c.train.ema_decay = 0.0
  c.train.eval_every = 500
  c.train.checkpoint_every = 1_000
  c.optim.learning_rate = 1e-3
  set_schedule(c.optim, "cosine", min_learning_rate=0.0)
  if name == "added":
    c.curriculum.level_steps = (STEPS // 4,)
  elif name == "prosr":
    c.curriculum.level_steps = (round(0.12 * STEPS),)
    c.curriculum.blend_steps = round(0.13 * STEPS)
  return c
