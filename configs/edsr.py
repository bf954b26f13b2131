"""EDSR-baseline (16 blocks, 64 features): the EDSR paper's training recipe.

python -m sr_jax.main --config=configs/edsr.py:x4 --workdir=...
Presets x2 / x3 / x4; append '_large' for EDSR proper (32 blocks, 256 features, residual
scaling 0.1), e.g. configs/edsr.py:x4_large, and '_291' to train on the classic 291 images
instead of the paper's DIV2K (e.g. x4_large_291). LR patches 48×48, batch 16, Adam (0.9, 0.999,
1e-8 on the reference's 0-255 loss, i.e. 1e-8/255 on ours over [0, 1]) at 1e-4 halved at 200k
of 300k updates (the paper's ablation length), L1 loss, no weight averaging (EMA 0). The
paper trains ×3 and ×4 from a trained ×2 network (EDSR-PyTorch demo.sh --pre_train): pass
--config.init_from=<×2 run, weights file or release, e.g. EDSR_baseline_x2 or EDSR_x2>; those
presets set init_strict=False, so the ×2 upsampler is left behind and the new one starts fresh.
"""
from sr_jax.config import default_config, preset, training_sets, with_classic_data

# The first is the default.
PRESETS = with_classic_data(("x2", "x3", "x4", "x2_large", "x3_large", "x4_large"))


def get_config(arg=None):
  c = default_config()
  scale, _, size = training_sets(c, preset("edsr", arg, PRESETS), "DIV2K").partition("_")
  c.scale = int(scale[1:])
  c.model.name = "edsr"
  c.model.num_blocks = 32 if size else 16
  c.model.features = 256 if size else 64
  c.model.res_scale = 0.1 if size else 1.0
  c.model.img_range = 255.0  # the reference's pixel range (rgb_range / img_range 255)
  c.model.bicubic_skip = False
  c.model.scan_mode = "auto"  # blocks compiled once, in a loop (unrolled: CPU training steps)
  # The paper's dense 3×3 residual convolutions; 'grouped' (with groups) or
  # 'depthwise_separable', and dilation, are the lighter variants (common.make_conv).
  c.model.conv = "standard"
  c.model.groups = 1
  c.model.dilation = 1
  c.data.hr_patch = 48 * c.scale
  c.train.batch_size = 16
  c.train.num_steps = 300_000
  c.train.loss = "l1"
  c.optim.name = "adam"
  # The reference's ε 1e-8 on its 0-255 loss: the loss here is on [0, 1], its gradients 1/255 of
  # the reference's, and Adam with ε/255 then takes the same steps (tests/train/test_optim.py).
  c.optim.eps = 1e-8 / 255
  c.optim.learning_rate = 1e-4
  c.optim.schedule = "multistep"
  c.optim.milestones = (200_000,)
  c.optim.gamma = 0.5
  c.train.ema_decay = 0.0
  c.init_strict = c.scale == 2  # ×3/×4 start from a ×2 network: its upsampler does not fit
  return c
