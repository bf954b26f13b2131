"""EDSR-baseline (16 blocks, 64 features): the EDSR paper's training recipe.

python -m sr_jax.main --config=configs/edsr.py:x4 --workdir=...
Presets x2 / x3 / x4; append '_large' for EDSR proper (32 blocks, 256 features, residual
scaling 0.1), e.g. configs/edsr.py:x4_large. LR patches 48×48, batch 16, Adam (0.9, 0.999,
1e-8) at 1e-4 halved at 200k of 300k updates (the paper's ablation length), L1 loss.
The paper trains on DIV2K (`--config.data.source=tfds`, needs the prepared dataset); the
default here is the classic 291 images, which the shared data folder holds.
"""
from sr_jax.config import DATA_ROOT, default_config


def get_config(arg=None):
  preset = arg or "x2"
  scale, _, size = preset.partition("_")
  if scale not in ("x2", "x3", "x4") or size not in ("", "large"):
    raise ValueError(f"edsr presets: x2, x3, x4 (optionally _large); got {preset!r}")
  c = default_config()
  c.scale = int(scale[1:])
  c.model.name = "edsr"
  c.model.num_blocks = 32 if size else 16
  c.model.features = 256 if size else 64
  c.model.res_scale = 0.1 if size else 1.0
  c.model.bicubic_skip = False
  c.model.scan_mode = "auto"  # blocks compiled once, in a loop (unrolled: CPU training steps)
  # The paper's dense 3×3 residual convolutions; 'grouped' (with groups) or
  # 'depthwise_separable', and dilation, are the lighter variants (common.make_conv).
  c.model.conv = "standard"
  c.model.groups = 1
  c.model.dilation = 1
  c.data.source = "folder"
  c.data.dirs = (f"{DATA_ROOT}/T91/HR", f"{DATA_ROOT}/BSD200/HR")
  c.data.hr_patch = 48 * c.scale
  c.train.batch_size = 16
  c.train.num_steps = 300_000
  c.train.loss = "l1"
  c.optim.name = "adam"
  c.optim.learning_rate = 1e-4
  c.optim.schedule = "multistep"
  c.optim.milestones = (200_000,)
  c.optim.gamma = 0.5
  return c
