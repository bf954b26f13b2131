"""SRGAN's Table 1 (SRGAN-P §2.2, §3.2-3.4): SRResNet and SRGAN with MSE, VGG22 or VGG54 losses.

Presets (the first is the default), each also with '_smoke':
  srgan_vgg54     SRGAN: VGG54 content loss + 1e-3 · adversarial, from the srresnet_mse run
  srgan_vgg22     SRGAN with the VGG22 content loss
  srgan_mse       SRGAN with the pixel-MSE content loss
  srresnet_mse    SRResNet with MSE: configs/srresnet.py:x4 (16 blocks with BatchNorm, 96×96 GT,
                  batch 16, Adam β1 0.9 at 1e-4 for 10⁶ iterations); the SRGANs start from it
  srresnet_vgg22  SRResNet trained on the VGG22 loss alone, no discriminator (same schedule)
  srresnet_vgg54  SRResNet trained on the VGG54 loss alone, no discriminator
The SRGANs train 10⁵ iterations at 1e-4 then 10⁵ at 1e-5 for both networks, from the generator of
the srresnet_mse run (config.init_from, BatchNorm statistics included; train it first:
python -m sr_jax.main --config=srgan:srresnet_mse --workdir=runs/srgan_srresnet_mse), with the
non-saturating −log D(G(x)) generator loss ('vanilla') weighted 1e-3. VGGi,j is the MSE of the
feature maps of the j-th convolution after activation before the i-th max-pooling (relu2_2,
relu5_4) rescaled by 1/12.75: weight 1/12.75² ≈ 0.00615 here. The discriminator is BasicSR's
VGG-style one (SRGAN's own has one stride-2 convolution fewer per stage pair and a 1024-unit dense
layer) on the 96×96 GT. The paper's 350k ImageNet images stand replaced by DIV2K.
'_smoke' — A SMOKE TEST, NOT A RECIPE: 2 blocks, 16 features, GT 32, batch 4, 24 steps on
scikit-image's photos, RANDOMLY INITIALISED VGG features, no init_from; it runs the path on a CPU.
VGG19 weights: python -m sr_jax.tools.vgg --fetch (or --config.losses.vgg_weights=NPZ).
"""
import pathlib

from sr_jax.config import default_config, load_recipe, preset, set_schedule, set_source

_VARIANTS = ("srgan_vgg54", "srgan_vgg22", "srgan_mse", "srresnet_mse", "srresnet_vgg22",
             "srresnet_vgg54")
PRESETS = (*_VARIANTS, *(f"{v}_smoke" for v in _VARIANTS))
STAGE1 = "runs/srgan_srresnet_mse"  # where the srresnet_mse run is expected
_VGG = {"vgg22": "relu2_2", "vgg54": "relu5_4"}


def _content(c, loss: str) -> None:
  """SRGAN-P's content losses: pixel MSE, or MSE of VGG19 features rescaled by 1/12.75."""
  if loss == "mse":
    c.train.loss = "mse"
    return
  c.losses.pixel = 0.0
  c.train.loss = default_config().train.loss  # srresnet.py's 'mse': no pixel term to apply it
  c.losses.perceptual = 1 / 12.75**2
  c.losses.perceptual_layers = {_VGG[loss]: 1.0}
  c.losses.perceptual_criterion = "l2"


def _smoke(c) -> None:
  c.model.num_blocks = 2
  c.model.features = 16
  set_source(c, "skimage")
  c.data.hr_patch = 32
  c.data.read_threads = 1
  c.train.batch_size = 4
  c.train.num_steps = 24
  c.train.log_every = 6
  c.train.eval_every = 12
  c.train.checkpoint_every = 12
  c.init_from = ""
  if c.losses.perceptual:
    c.losses.vgg_random_init = True  # SMOKE TEST ONLY: random VGG features
  if c.train.mode == "adversarial":
    c.gan.num_feat = 8
  for o in (c.optim, c.gan.optim) if c.train.mode == "adversarial" else (c.optim,):
    if o.schedule == "multistep":
      o.milestones = (12,)
  c.val.sets = {"chelsea": "skimage:chelsea"}
  c.val.best_metric = "chelsea/psnr_y"


def get_config(arg=None):
  name = preset("srgan", arg, PRESETS)
  network, _, loss = name.removesuffix("_smoke").partition("_")
  c = load_recipe(pathlib.Path(__file__).with_name("srresnet.py"), "x4")
  _content(c, loss)
  if network == "srgan":
    c.train.mode = "adversarial"
    c.init_from = STAGE1
    c.gan.discriminator = "vgg128"
    c.gan.num_feat = 64
    c.gan.loss = "vanilla"
    c.gan.weight = 1e-3
    c.train.num_steps = 200_000
    for o in (c.optim, c.gan.optim):
      o.name = "adam"
      o.learning_rate = 1e-4
      o.b1 = 0.9
      set_schedule(o, "multistep", milestones=(100_000,), gamma=0.1)
  if name.endswith("_smoke"):
    _smoke(c)
  return c
