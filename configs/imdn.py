"""IMDN (Hui et al., ACM MM 2019): the official training settings (Zheng222/IMDN train_IMDN.py).

python -m sr_jax.main --config=configs/imdn.py:x4 --workdir=...
Presets x2 / x3 / x4 (default x4). HR patches 192×192 (`--patch_size`, the target's), batch 16,
Adam lr 2e-4 halved every 200 epochs of 1,000 iterations (800 images × 20 repeats / 16), 1,000
epochs = 10⁶ iterations; epochs count from 1, so the halvings fall at 199k, 399k, 599k and 799k.
L1, flips and 90° rotations, DIV2K.
"""
from sr_jax.config import default_config, preset, training_sets, with_classic_data

_SCALES = {"x2": 2, "x3": 3, "x4": 4}
PRESETS = with_classic_data(("x4", "x2", "x3"))  # the first is the default


def get_config(arg=None):
  c = default_config()
  c.scale = _SCALES[training_sets(c, preset("imdn", arg, PRESETS), "DIV2K")]
  c.model.name = "imdn"
  c.model.features = 64
  c.model.num_modules = 6
  c.data.hr_patch = 192
  c.train.batch_size = 16
  c.train.loss = "l1"
  c.train.num_steps = 1_000_000
  c.optim.name = "adam"
  c.optim.learning_rate = 2e-4
  c.optim.schedule = "multistep"
  c.optim.milestones = (199_000, 399_000, 599_000, 799_000)
  c.optim.gamma = 0.5
  return c
