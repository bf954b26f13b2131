"""SRGAN (SRGAN-P): SRResNet pre-trained with MSE, then trained adversarially with a VGG54 loss.

Preset 'psnr': configs/srresnet.py:x4, SRResNet 16 blocks (BatchNorm), MSE, 96×96 GT, batch 16,
Adam (β1 0.9) at 1e-4 for 10⁶ iterations.
Default (SRGAN-VGG54): from the 'psnr' run (--config.init_from=PSNR_WORKDIR, BatchNorm statistics
included); 10⁵ iterations at 1e-4 then 10⁵ at 1e-5 for both networks; loss = VGG54 content
+ 1e-3 · adversarial (non-saturating −log D(G(x)): 'vanilla'), no pixel term. The paper's φ5,4
is the 4th convolution *after* activation before the 5th max-pooling: relu5_4 (ESRGAN later moved
the loss before the activation, conv5_4). Its MSE on feature maps rescaled by 1/12.75 is weight
1/12.75² ≈ 0.00615 here (SRGAN-P §3.2; not in published-numbers.md). The discriminator is
BasicSR's VGG-style one (SRGAN's own has one stride-2 convolution fewer per stage pair and a
1024-unit dense layer) on the 96×96 GT. The 350k ImageNet images are not available: DIV2K stands in.
VGG19 weights: python -m sr_jax.tools.vgg --fetch (or --config.losses.vgg_weights=NPZ).
"""
import pathlib

from sr_jax.config import load_recipe, preset

PRESETS = ("default", "psnr")


def get_config(arg=None):
  name = preset("srgan", arg, PRESETS)
  c = load_recipe(pathlib.Path(__file__).with_name("srresnet.py"), "x4")
  if name == "psnr":
    return c
  c.losses.pixel = 0.0
  c.losses.perceptual = 1 / 12.75**2
  c.losses.perceptual_layers = {"relu5_4": 1.0}
  c.losses.perceptual_criterion = "l2"
  c.gan.discriminator = "vgg128"
  c.gan.num_feat = 64
  c.gan.loss = "vanilla"
  c.gan.weight = 1e-3
  c.train.num_steps = 200_000
  for o in (c.optim, c.gan.optim):
    o.name = "adam"
    o.learning_rate = 1e-4
    o.b1 = 0.9
    o.schedule = "multistep"
    o.milestones = (100_000,)
    o.gamma = 0.1
  return c
