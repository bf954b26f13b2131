"""ESRGAN stage 2: RRDBNet with L1 + VGG19 + RaGAN losses, from the PSNR-oriented stage 1.

Default (ESRGAN-P, BasicSR-cfg): configs/esrgan_psnr.py's model, initialised from its run
(--config.init_from=STAGE1_WORKDIR); loss 1e-2 · L1 + 1.0 · L1(VGG19 conv5_4, before ReLU) +
5e-3 · RaGAN; BasicSR's VGG-style discriminator on the 128×128 GT; Adam (0.9, 0.99) at lr 1e-4
for both networks, halved at 50k, 100k, 200k and 300k; 400k iterations; EMA 0.999 — BasicSR's
train_ESRGAN_x4.yml (the paper's Adam has β2 0.999). The data are those of the released ESRGAN
model (ESRGAN_x4, ESRGAN-RM): DIV2K + Flickr2K + OST (DF2K_OST); BasicSR's file uses DIV2K alone.
VGG19 weights: python -m sr_jax.tools.vgg --fetch (or --config.losses.vgg_weights=NPZ).

Preset 'smoke' — A SMOKE TEST, NOT A RECIPE: a tiny ESRGAN (2 RRDB, 16 features, GT 32, batch 4,
24 steps, an 8-feature discriminator) on scikit-image's photos, with RANDOMLY INITIALISED VGG
features (the perceptual term means nothing), validated on one skimage photo. It runs the whole
GAN path end to end on a CPU in minutes:
  python -m sr_jax.main --config=configs/esrgan.py:smoke --workdir=DIR
Preset 'cpu': the perception–distortion demonstration's stage 2 (docs/), from esrgan_psnr.py:cpu.
No ImageNet VGG weights exist on that machine and random features are no perceptual loss, so the
objective is ESRGAN's pixel and adversarial terms only: 1e-2 · L1 + 5e-3 · RaGAN, 300 steps, no EMA.
"""
import pathlib

from sr_jax.config import load_recipe, preset, set_schedule, set_source

PRESETS = ("default", "smoke", "cpu")


def _stage2(c, steps, milestones=(), b2=0.99):
  """ESRGAN's optimizers: Adam lr 1e-4 for G and D, ×0.5 at each milestone (none: constant)."""
  c.train.num_steps = steps
  for o in (c.optim, c.gan.optim):
    o.name = "adam"
    o.learning_rate = 1e-4
    o.b1, o.b2 = 0.9, b2
    if milestones:
      set_schedule(o, "multistep", milestones=milestones, gamma=0.5)
    else:
      set_schedule(o, "constant")


def get_config(arg=None):
  name = preset("esrgan", arg, PRESETS)
  c = load_recipe(pathlib.Path(__file__).with_name("esrgan_psnr.py"),
                  "cpu" if name == "cpu" else None)
  c.train.loss = "l1"
  c.losses.pixel = 1e-2
  c.losses.perceptual = 1.0
  c.losses.perceptual_layers = {"conv5_4": 1.0}
  c.losses.perceptual_criterion = "l1"
  c.train.mode = "adversarial"
  c.gan.discriminator = "vgg128"
  c.gan.num_feat = 64
  c.gan.loss = "ragan"
  c.gan.weight = 5e-3
  c.train.ema_decay = 0.999
  if name == "default":
    c.data.dirs = ("DF2K_OST",)
  _stage2(c, 400_000, (50_000, 100_000, 200_000, 300_000))
  if name == "smoke":
    c.model.num_blocks = 2
    c.model.features = 16
    c.model.growth = 8
    c.gan.num_feat = 8
    c.losses.vgg_random_init = True  # SMOKE TEST ONLY: random VGG features
    set_source(c, "skimage")
    c.data.hr_patch = 32
    c.data.read_threads = 1
    c.train.batch_size = 4
    c.train.log_every = 6
    c.train.eval_every = 12
    c.train.checkpoint_every = 12
    _stage2(c, 24, (12,))
    c.val.sets = {"chelsea": "skimage:chelsea"}
    c.val.best_metric = "chelsea/psnr_y"
  elif name == "cpu":
    c.losses.perceptual = 0.0  # no ImageNet VGG on the machine: pixel + GAN only
    c.gan.num_feat = 32
    c.train.ema_decay = 0.0  # as its stage 1: 300 steps are too few for an EMA of 0.999
    c.train.log_every = 25
    c.train.eval_every = 300
    c.train.checkpoint_every = 300
    _stage2(c, 300, b2=0.999)  # the documented run's
  return c
