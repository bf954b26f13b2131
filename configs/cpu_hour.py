"""×3 super-resolution in one hour of a 2-core CPU: the compute-optimal study's recipe.

python -m sr_jax.main --config=configs/cpu_hour.py --workdir=...

Every preset shares the study's setting: ×3, the Y channel only (the metric's channel, as
SRCNN, FSRCNN and VDSR train), the classic 291 images (T91 + BSD200), bicubic LR patches of
16×16 (HR 48×48), batch 16, flips and rotations, L1, Adam at 1e-3 with cosine decay to zero
over the run, no weight averaging, validation on Set5 and Set14 every 500 steps (hour: 1,000).

Presets:
  hour    the configuration predicted (docs/study/cpu_hour.md, written before it ran) to reach
          the best Set5 PSNR-Y in 60 minutes on the study's 2-core machine: EDSR 8×32 with the
          bicubic skip, 15,500 steps. On that machine: 48 minutes, Set5 33.45 dB, Set14 29.71.
  edsr    the study's post-upsampling residual family, EDSR on one channel: width and depth
          are the sweep's axes (model.features, model.num_blocks).
  fsrcnn  FSRCNN (56, 12, 4), the paper's model, on the study's setting.
  espcn   ESPCN (5-3-3, 64/32, tanh), the paper's model, on the study's setting.
The lightweight designs, each the paper's model on the study's setting (one channel; the
efficiency claims tested at this scale in docs/study/cpu_hour.md):
  carn    CARN (3 cascading blocks of 3 residual units, 64 features), the ×3 upsampler only.
  carn_m  CARN-M: residual-E units (4-group 3×3s), one recursive unit per block, ×3 only.
  imdn    IMDN (6 information multi-distillation blocks, 64 features, contrast-aware attention).
  ircnn   IRCNN's dilated 7-layer net (dilations 1-2-3-4-3-2-1, 64 features) on bicubic input.
  srvgg   SRVGGNetCompact (16 convolutions of 64, PReLU), Real-ESRGAN's compact model.
Each sweep point sets train.num_steps (and, for edsr, the size); the schedule follows it.
The sweep's commands and report: docs/study/cpu_hour.md.
"""
from sr_jax.config import default_config, preset, set_schedule, set_source

PRESETS = ("hour", "edsr", "fsrcnn", "espcn", "carn", "carn_m", "imdn", "ircnn", "srvgg")
LIGHTWEIGHT = {  # preset → the paper's model, as configs/<name>.py builds it
    "carn": {"name": "carn", "features": 64, "num_blocks": 3, "num_units": 3,
             "multi_scale": False, "efficient": False, "groups": 1},
    "carn_m": {"name": "carn_m", "features": 64, "num_blocks": 3, "num_units": 3,
               "multi_scale": False, "efficient": True, "groups": 4},
    "imdn": {"name": "imdn", "features": 64, "num_modules": 6},
    "ircnn": {"name": "ircnn", "features": 64, "dilations": (1, 2, 3, 4, 3, 2, 1)},
    "srvgg": {"name": "srvgg_compact", "features": 64, "num_conv": 16, "activation": "prelu"},
}


def get_config(arg=None):
  name = preset("cpu_hour", arg, PRESETS)
  c = default_config()
  c.scale = 3
  c.channels = 1
  set_source(c, "folder", dirs=("T91", "BSD200"))
  c.data.hr_patch = 48
  c.train.batch_size = 16
  c.train.num_steps = 4_000
  c.train.loss = "l1"
  c.train.ema_decay = 0.0
  c.train.log_every = 100
  c.train.eval_every = 500
  c.train.checkpoint_every = 500
  c.optim.name = "adam"
  c.optim.learning_rate = 1e-3
  set_schedule(c.optim, "cosine", min_learning_rate=0.0, warmup_steps=0)
  if name in ("hour", "edsr"):
    c.model.name = "edsr"
    c.model.num_blocks = 8
    c.model.features = 32
    c.model.res_scale = 1.0
    c.model.img_range = 255.0
    c.model.bicubic_skip = False
    c.model.scan_mode = "unroll"
    c.model.conv = "standard"
    c.model.groups = 1
    c.model.dilation = 1
    if name == "hour":  # the sweep's 8×32 with the bicubic skip, for 8.53e13 training FLOPs
      c.model.bicubic_skip = True
      c.train.num_steps = 15_500
      c.train.eval_every = 1_000
      c.train.checkpoint_every = 1_000
  elif name in LIGHTWEIGHT:
    c.model.update(LIGHTWEIGHT[name])
  elif name == "fsrcnn":
    c.model.name = "fsrcnn"
    c.model.d, c.model.s, c.model.m = 56, 12, 4
  else:
    c.model.name = "espcn"
    c.model.features = (64, 32)
    c.model.kernel_sizes = (5, 3, 3)
  return c
