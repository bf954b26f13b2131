"""The GAN recipes (srgan, esrgan_psnr, esrgan, realesrgan): every preset validates, and the
numbers are published-numbers.md's (SRGAN-P, ESRGAN-P, BasicSR-cfg, RESRGAN-cfg)."""
import importlib.util
import pathlib

import pytest

from sr_jax import config as config_lib

CONFIGS = pathlib.Path(__file__).resolve().parents[1] / "configs"
NAMES = ("srgan", "esrgan_psnr", "esrgan", "realesrgan")


def _recipe(name, preset=None):
  return config_lib.load_recipe(CONFIGS / f"{name}.py", preset)


def _module(name):
  spec = importlib.util.spec_from_file_location(f"recipe_{name}", CONFIGS / f"{name}.py")
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


PRESETS = {name: _module(name).PRESETS for name in NAMES}


@pytest.mark.parametrize("name,preset", [(n, p) for n, ps in PRESETS.items() for p in ps])
def test_preset_validates(name, preset):
  config_lib.validate(_recipe(name, preset))


@pytest.mark.parametrize("name", PRESETS)
def test_unknown_preset_is_rejected(name):
  with pytest.raises(ValueError, match="presets"):
    _recipe(name, "x5")


def test_esrgan_numbers():
  psnr, gan = _recipe("esrgan_psnr"), _recipe("esrgan")
  assert (psnr.model.num_blocks, psnr.data.hr_patch, psnr.train.batch_size) == (23, 128, 16)
  assert (psnr.optim.learning_rate, psnr.optim.restart_periods) == (2e-4, (250_000,) * 4)
  assert (gan.losses.pixel, gan.losses.perceptual, gan.gan.weight) == (1e-2, 1.0, 5e-3)
  assert dict(gan.losses.perceptual_layers) == {"conv5_4": 1.0}
  assert (gan.gan.loss, gan.gan.discriminator) == ("ragan", "vgg128")
  assert gan.train.num_steps == 400_000
  for o in (gan.optim, gan.gan.optim):
    assert (o.learning_rate, o.milestones, o.gamma) == (1e-4, (50_000, 100_000, 200_000, 300_000), 0.5)
  smoke = _recipe("esrgan", "smoke")
  assert smoke.losses.vgg_random_init and smoke.train.num_steps <= 48
  assert not _recipe("esrgan", "cpu").losses.perceptual  # no random VGG in the demonstration


def test_srgan_table_1_variants():
  """SRGAN-P §3.4 Table 1: the content loss (MSE, VGG22, VGG54) with and without the GAN."""
  psnr, srgan = _recipe("srgan", "srresnet_mse"), _recipe("srgan")
  assert (psnr.train.mode, psnr.train.loss, psnr.optim.learning_rate) == ("supervised", "mse", 1e-4)
  assert psnr.train.num_steps == 1_000_000
  assert srgan.train.mode == "adversarial" and srgan.init_from
  assert dict(srgan.losses.perceptual_layers) == {"relu5_4": 1.0} and srgan.losses.pixel == 0
  assert (srgan.gan.weight, srgan.gan.loss, srgan.train.num_steps) == (1e-3, "vanilla", 200_000)
  assert srgan.optim.milestones == (100_000,) and srgan.optim.gamma == 0.1  # 1e-4, then 1e-5
  features = {"mse": None, "vgg22": "relu2_2", "vgg54": "relu5_4"}
  for network in ("srresnet", "srgan"):
    for loss, layer in features.items():
      c = _recipe("srgan", f"{network}_{loss}")
      assert c.train.mode == ("adversarial" if network == "srgan" else "supervised")
      if layer is None:
        assert (c.losses.pixel, c.losses.perceptual, c.train.loss) == (1.0, 0.0, "mse")
      else:
        assert dict(c.losses.perceptual_layers) == {layer: 1.0} and c.losses.pixel == 0
        assert c.losses.perceptual == pytest.approx(1 / 12.75**2)


def test_realesrgan_numbers():
  net, real = _recipe("realesrgan", "net"), _recipe("realesrgan")
  assert (net.optim.learning_rate, net.train.num_steps) == (2e-4, 1_000_000)
  assert real.data.degradation == "realesrgan"
  assert (real.data.hr_patch, real.train.batch_size) == (256, 48)
  assert (real.optim.learning_rate, real.train.num_steps, real.gan.weight) == (1e-4, 400_000, 0.1)
  assert dict(real.losses.perceptual_layers) == {"conv1_2": 0.1, "conv2_2": 0.1, "conv3_4": 1.0,
                                                 "conv4_4": 1.0, "conv5_4": 1.0}
  assert (real.gan.discriminator, real.gan.loss, real.losses.pixel) == ("unet_sn", "vanilla", 1.0)


def test_realesrgan_compact_presets_swap_only_the_network():
  for preset, base in (("compact", "default"), ("compact_net", "net")):
    compact, rrdb = _recipe("realesrgan", preset), _recipe("realesrgan", base)
    # realesr-general-x4v3: SRVGGNetCompact(num_feat=64, num_conv=32, act_type='prelu').
    assert dict(compact.model) == {"name": "srvgg_compact", "features": 64, "num_conv": 32,
                                   "activation": "prelu", "dtype": "float32"}
    # The RRDBNet presets start from official RRDBNet weights (ESRGAN_x4, RealESRNet_x4plus),
    # which a compact network cannot load; the compact GAN starts from a compact_net run.
    assert compact.init_from == "" and rrdb.init_from
    del compact.model, rrdb.model, compact.init_from, rrdb.init_from
    assert compact.to_dict() == rrdb.to_dict()
