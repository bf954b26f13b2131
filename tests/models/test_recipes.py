"""Every recipe in configs/ for the model zoo loads, validates, and names its model's fields."""
import importlib.util
import pathlib

import pytest

from sr_jax import config as config_lib
from sr_jax import models

CONFIGS = pathlib.Path(__file__).resolve().parents[2] / "configs"
PRESETS = {
    "vdsr": ("x2", "x3", "x4"), "fsrcnn": ("x2", "x3", "x4"), "espcn": ("x2", "x3", "x4"),
    "autoencoder": ("x2", "x3", "x4"), "srresnet": ("x2", "x3", "x4"),
    "msrresnet": ("x2", "x3", "x4"), "rdn": ("x2", "x3", "x4"), "rcan": ("x2", "x3", "x4"),
    "rrdbnet": ("x2", "x3", "x4"), "lapsrn": ("x2", "x3", "x4", "x8"),
    "dbpn": ("x2", "x3", "x4", "x8"), "swinir": ("x2", "x3", "x4", "x8"),
    "carn": ("x2", "x3", "x4"), "carn_m": ("x2", "x3", "x4"), "imdn": ("x2", "x3", "x4"),
    "ircnn": ("x2", "x3", "x4"),
}


def _load(name):
  spec = importlib.util.spec_from_file_location(f"recipe_{name}", CONFIGS / f"{name}.py")
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


@pytest.mark.parametrize("name,preset", [(n, p) for n, ps in PRESETS.items() for p in ps])
def test_preset_validates(name, preset):
  c = _load(name).get_config(preset)
  config_lib.validate(c)
  assert c.model.name == name and c.scale == int(preset[1:])
  assert c.data.hr_patch % c.scale == 0
  # Every model default that matters is spelled out, so the command line can override it.
  fields = set(models.model_fields(name)) - {"scale", "channels", "dtype"}
  assert fields <= set(c.model), fields - set(c.model)


@pytest.mark.parametrize("name", PRESETS)
def test_default_and_unknown_presets(name):
  module = _load(name)
  assert module.get_config().scale == 4
  with pytest.raises(ValueError, match="presets"):
    module.get_config("x5")


# The training sets of each recipe's paper (catalog names under $SR_JAX_DATA).
PAPER_DATA = {"srcnn": "T91", "fsrcnn": "T91", "vdsr": "291", "lapsrn": "291", "edsr": "DIV2K",
              "rcan": "DIV2K", "rdn": "DIV2K", "swinir": "DIV2K", "msrresnet": "DIV2K",
              "rrdbnet": "DF2K", "esrgan_psnr": "DF2K", "esrgan": "DF2K_OST", "realesrgan": "DF2K_OST"}


@pytest.mark.parametrize("name", PAPER_DATA)
def test_recipes_train_on_their_papers_sets_or_the_291_images(name):
  module = _load(name)
  c = module.get_config()
  assert (c.data.source, tuple(c.data.dirs)) == ("folder", (PAPER_DATA[name],))
  assert dict(c.val.sets) == {"Set5": "Set5", "Set14": "Set14"}
  classic = [p for p in module.PRESETS if p.endswith("_291")]
  if module.PRESETS[0].startswith("x"):  # per-scale recipes; the GAN stages have CPU presets
    assert bool(classic) == (PAPER_DATA[name] not in ("T91", "291"))
  for preset in classic:
    assert tuple(module.get_config(preset).data.dirs) == ("291",)


def test_paper_numbers():
  vdsr = _load("vdsr").get_config("x2")
  assert (vdsr.channels, vdsr.train.batch_size, vdsr.train.num_steps) == (1, 64, 9_960)
  rcan = _load("rcan").get_config("x4")
  assert (rcan.data.hr_patch, rcan.train.num_steps, rcan.optim.milestones[0]) == (
      192, 1_000_000, 200_000)
  swinir = _load("swinir").get_config("x2")
  assert (swinir.data.hr_patch, swinir.train.batch_size, swinir.optim.learning_rate) == (
      96, 32, 2e-4)
  assert _load("rdn").get_config("x3").data.hr_patch == 96
  assert _load("rrdbnet").get_config("x4").optim.restart_periods == (250_000,) * 4


def test_lightweight_recipes_follow_the_official_training_options():
  carn, carn_m = _load("carn").get_config("x4"), _load("carn_m").get_config("x4")
  for c in (carn, carn_m):  # CARN-pytorch README: --patch_size 64 --batch_size 64 ...
    assert (c.data.hr_patch, c.train.batch_size, c.train.num_steps) == (256, 64, 600_000)
    assert (c.optim.milestones, c.optim.gamma, c.optim.clip_norm) == ((400_000,), 0.5, 10.0)
    assert c.model.multi_scale
  assert (carn.model.efficient, carn.model.groups) == (False, 1)
  assert (carn_m.model.efficient, carn_m.model.groups) == (True, 4)
  imdn = _load("imdn").get_config("x2")  # train_IMDN.py's defaults
  assert (imdn.data.hr_patch, imdn.train.batch_size, imdn.optim.learning_rate) == (192, 16, 2e-4)
  assert imdn.optim.milestones == (199_000, 399_000, 599_000, 799_000)
  assert tuple(_load("ircnn").get_config("x3").model.dilations) == (1, 2, 3, 4, 3, 2, 1)


@pytest.mark.parametrize("preset", ["hour", "edsr", "fsrcnn", "espcn"])
def test_cpu_hour_study_presets_share_one_setting(preset):
  """configs/cpu_hour.py: every point of the CPU study trains ×3 on the Y channel of the 291
  images with the same data, loss and optimiser; only the model (and its length) differs."""
  c = _load("cpu_hour").get_config(preset)
  config_lib.validate(c)
  assert (c.scale, c.channels, tuple(c.data.dirs), c.data.hr_patch) == (3, 1, ("T91", "BSD200"), 48)
  assert (c.train.batch_size, c.train.loss, c.train.ema_decay) == (16, "l1", 0.0)
  assert (c.optim.name, c.optim.learning_rate, c.optim.schedule) == ("adam", 1e-3, "cosine")
  assert c.optim.min_learning_rate == 0.0 and c.optim.warmup_steps == 0
  assert dict(c.val.sets) == {"Set5": "Set5", "Set14": "Set14"}
  name = {"hour": "edsr"}.get(preset, preset)
  assert c.model.name == name
  fields = set(models.model_fields(name)) - {"scale", "channels", "dtype"}
  assert fields <= set(c.model), fields - set(c.model)
