"""MSRResNet (BasicSR's SRResNet without BatchNorm), BasicSR's recipe on DIV2K.

Presets x2 / x3 / x4 (default x4; '_291', e.g. x4_291: the 291 images). 1000k iterations at batch 16 (BasicSR-MZ); GT 128,
Adam lr 2e-4 with betas (0.9, 0.99), cosine annealing restarted every 250k down to 1e-7,
L1 (BasicSR-cfg: options/train/SRResNet_SRGAN/train_MSRResNet_x4.yml; published-numbers.md
gives the same schedule for BasicSR's RRDBNet PSNR recipe). BasicSR also keeps an EMA 0.999.
×2 and ×3 (train_MSRResNet_x2.yml / _x3.yml): GT 64 / 96, fine-tuned from the trained ×4
network with strict_load_g false: pass --config.init_from=<×4 run, or MSRResNet_x4 /
MSRResNet_x4_KAIR>; those presets set init_strict=False, so the ×4 upsampler's extra
convolution is left behind and what does not fit starts fresh.
"""
from sr_jax.config import default_config, preset, training_sets, with_classic_data

_HR_PATCH = {"x2": 64, "x3": 96, "x4": 128}  # gt_size of train_MSRResNet_x{2,3,4}.yml
PRESETS = with_classic_data(("x4", "x2", "x3"))  # the first is the default


def get_config(arg=None):
  c = default_config()
  name = training_sets(c, preset("msrresnet", arg, PRESETS), "DIV2K")
  c.scale = int(name[1:])
  c.model.name = "msrresnet"
  c.model.num_blocks = 16
  c.model.features = 64
  c.data.hr_patch = _HR_PATCH[name]
  c.train.batch_size = 16
  c.train.loss = "l1"
  c.train.num_steps = 1_000_000
  c.train.ema_decay = 0.999
  c.optim.name = "adam"
  c.optim.learning_rate = 2e-4
  c.optim.b1 = 0.9
  c.optim.b2 = 0.99
  c.optim.schedule = "cosine_restarts"
  c.optim.restart_periods = (250_000,) * 4
  c.optim.min_learning_rate = 1e-7
  c.init_strict = c.scale == 4  # ×2/×3 start from the ×4 network
  return c
