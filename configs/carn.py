"""CARN (Ahn et al., ECCV 2018): the official training settings (nmhkahn/CARN-pytorch README and
carn/train.py, carn/solver.py).

python -m sr_jax.main --config=configs/carn.py:x4 --workdir=...
Presets x2 / x3 / x4 (default x4); configs/carn_m.py is CARN-M. LR patches 64×64, batch 64,
Adam lr 1e-4 halved every 400k steps (`--decay 400000`) of 600k, L1, gradient norm clipped at
10, flips and 90° rotations, DIV2K. The official models train multi-scale (`--scale 0`: each
batch at a random one of ×2/×3/×4, one body, three upsamplers); here a run trains one scale, and
the model keeps all three upsamplers (model.multi_scale, the paper's parameter count, and what
the released checkpoints hold) of which the run's own is trained. model.multi_scale=False keeps
only that one.
"""
from sr_jax.config import default_config, preset, training_sets, with_classic_data

_SCALES = {"x2": 2, "x3": 3, "x4": 4}
PRESETS = with_classic_data(("x4", "x2", "x3"))  # the first is the default


def get_config(arg=None):
  c = default_config()
  c.scale = _SCALES[training_sets(c, preset("carn", arg, PRESETS), "DIV2K")]
  c.model.name = "carn"
  c.model.features = 64
  c.model.num_blocks = 3
  c.model.num_units = 3
  c.model.multi_scale = True
  c.model.efficient = False
  c.model.groups = 1
  c.data.hr_patch = 64 * c.scale
  c.train.batch_size = 64
  c.train.loss = "l1"
  c.train.num_steps = 600_000
  c.optim.name = "adam"
  c.optim.learning_rate = 1e-4
  c.optim.schedule = "multistep"
  c.optim.milestones = (400_000,)
  c.optim.gamma = 0.5
  c.optim.clip_norm = 10.0
  return c
