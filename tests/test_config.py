"""Config validation and the command line: one clear error line, before anything compiles."""

import pytest

from sr_jax import config as config_lib


@pytest.mark.parametrize("key,value,message", [
    ("model.name", "nonet", "config.model.name: unknown model 'nonet'"),
    ("data.hr_patch", 50, "config.data.hr_patch: 50 is not divisible by scale 4"),
    ("train.loss", "l3", "config.train.loss: 'l3' is not one of"),
    ("optim.schedule", "linear", "config.optim.schedule"),
    ("val.best_metric", "Urban100/psnr_y", "config.val.best_metric"),
    ("train.batch_size", 0, "config.train.batch_size: must be > 0"),
    ("val.tile", -8, "config.val.tile: must be >= 0"),
    ("model.scan_mode", "fast", "config.model.scan_mode: 'fast' is not one of"),
])
def test_validate_names_the_key(key, value, message):
  c = config_lib.default_config()
  c.scale = 4
  section, field = key.split(".")
  c[section][field] = value
  with pytest.raises(config_lib.ConfigError, match=message.replace("(", r"\(")):
    config_lib.validate(c)


def test_tiles_must_overlap_less_than_their_side():
  c = config_lib.default_config()
  c.val.tile = 32  # the default overlap is 32 too
  with pytest.raises(config_lib.ConfigError, match=r"config.val.tile_overlap: must be in \[0, val"):
    config_lib.validate(c)


def test_unknown_model_field_is_rejected():
  c = config_lib.default_config()
  c.model.num_layers = 3
  with pytest.raises(config_lib.ConfigError, match="config.model.num_layers: edsr has no field"):
    config_lib.validate(c)


def test_batch_must_split_over_devices():
  c = config_lib.default_config()
  c.train.batch_size = 12
  with pytest.raises(config_lib.ConfigError, match="not divisible by the 8 devices"):
    config_lib.validate(c, num_devices=8)


@pytest.mark.parametrize("args,expected", [
    (["--config.train.batch_sizee=3"], "batch_sizee"),
    (["--config.train.batch_size=abc"], "batch_size"),
    (["--config.data.hr_patch=63"], "config.data.hr_patch: 63 is not divisible by scale 2"),
    (["--config.data.source=folder", "--config.data.dirs=('/no/such/dir',)"],
     "/no/such/dir: no such data folder"),
    (["--config.model.name=srgan9"], "config.model.name: unknown model 'srgan9'"),
])
def test_cli_errors_are_one_line_naming_the_key(tmp_path, args, expected, run_cli):
  proc = run_cli("sr_jax.main", "--config=configs/quickstart.py", f"--workdir={tmp_path}", *args)
  assert proc.returncode != 0
  last = proc.stderr.strip().splitlines()[-1]
  assert expected in last, proc.stderr[-2000:]
  assert "Compiled the train step" not in proc.stderr
  assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("key,value,message", [
    ("degradation.first.blur_prob", 1.5, "config.degradation.first.blur_prob: must be a probability"),
    ("degradation.second.kernel_prob", (0.5, 0.5, 0.1, 0, 0, 0), "second.kernel_prob: must be 6"),
    ("degradation.first.resize_range", (1.1, 1.5), "first.resize_range: must be a \\(low, high\\)"),
    ("degradation.second.jpeg_range", (30, 120), "second.jpeg_range"),
    ("degradation.first.kernel_size_range", (6, 21), "first.kernel_size_range: kernel sizes must be odd"),
    ("degradation.pool_size", 100, "config.degradation.pool_size: 100 is not a multiple of"),
    ("degradation.jpeg", "pillow", "config.degradation.jpeg: 'pillow' is not one of"),
    ("degradation.crop_pad_size", 90, "config.degradation.crop_pad_size: 90 must be 0, or >= data"),
    ("degradation.crop_pad_size", 401, "config.degradation.crop_pad_size: 401 must be 0, or >="),
    ("channels", 1, "config.channels: realesrgan degrades RGB"),
])
def test_realesrgan_settings_are_validated(key, value, message):
  c = config_lib.default_config()
  c.data.degradation = "realesrgan"
  c.data.degradation_device = True
  c.train.batch_size = 12  # the default pool of 180 is 15 batches
  config_lib.validate(c)
  _assert_rejected(c, key, value, message)


def test_the_pool_is_checked_on_the_host_path_too_and_augment_is_a_choice():
  c = config_lib.default_config()
  c.data.degradation = "realesrgan"
  c.train.batch_size = 16  # 180 is not a multiple
  _assert_rejected(c, "degradation.pool_size", 180, "config.degradation.pool_size: 180 is not a")
  _assert_rejected(config_lib.default_config(), "data.augment", "rot", "config.data.augment: 'rot'")


def test_only_realesrgan_runs_on_the_device():
  c = config_lib.default_config()
  c.data.degradation_device = True
  with pytest.raises(config_lib.ConfigError, match="config.data.degradation_device"):
    config_lib.validate(c)


@pytest.mark.parametrize("key,value,message", [
    ("losses.pixel", 0.0, "config.losses: every content term's weight is 0"),
    ("losses.pixel_reduction", "median", "config.losses.pixel_reduction: 'median' is not one of"),
    ("losses.tv", -1.0, "config.losses.tv: must be >= 0"),
  ])
def test_losses_are_validated(key, value, message):
  c = config_lib.default_config()
  section, field = key.split(".")
  c[section][field] = value
  with pytest.raises(config_lib.ConfigError, match=message):
    config_lib.validate(c)


@pytest.mark.parametrize("key,value,message", [
    ("losses.perceptual_layers", {"conv6_1": 1.0},
     "config.losses.perceptual_layers.conv6_1: is not a VGG19 layer"),
    ("losses.style_criterion", "l3", "config.losses.style_criterion: 'l3' is not one of"),
    ("gan.discriminator", "patchgan", "config.gan.discriminator: 'patchgan' is not one of"),
    ("gan.loss", "relativistic", "config.gan.loss: 'relativistic' is not one of"),
    ("gan.weight", 0.0, "config.gan.weight: must be > 0"),
    ("gan.optim.schedule", "linear", "config.gan.optim.schedule: 'linear' is not one of"),
    ("data.hr_patch", 48, "config.data.hr_patch: 48 is not a multiple of 32, as the vgg128"),
])
def test_gan_settings_are_validated(key, value, message):
  c = config_lib.default_config()
  c.train.mode = "adversarial"
  c.gan.discriminator = "vgg128"
  c.data.hr_patch = 96
  c.losses.perceptual = 1.0
  config_lib.validate(c)
  _assert_rejected(c, key, value, message)


def _assert_rejected(c, key, value, message):
  """Sets the dotted `key` of a valid config to `value`; validation must then fail."""
  *parents, field = key.split(".")
  node = c
  for part in parents:
    node = node[part]
  node[field] = value
  with pytest.raises(config_lib.ConfigError, match=message):
    config_lib.validate(c)


@pytest.mark.parametrize("change,message", [
    ({"optim.name": "sgd", "optim.b2": 0.99},
     "config.optim.b2: has no effect unless name='adam' or 'adamw'"),
    ({"losses.pixel": 0.0, "losses.tv": 1.0, "train.loss": "mse"},
     "config.train.loss: has no effect unless losses.pixel > 0"),
    ({"losses.pixel": 0.0, "losses.tv": 1.0, "losses.pixel_reduction": "sum"},
     "config.losses.pixel_reduction: has no effect unless losses.pixel > 0"),
    # a layer the default section lacks, while the term is off: named, not a KeyError
    ({"losses.perceptual_layers": {"conv2_2": 1.0}},
     "config.losses.perceptual_layers.conv2_2: has no effect unless losses.perceptual > 0"),
])
def test_a_key_that_cannot_act_is_one_line_naming_it(change, message):
  c = config_lib.default_config()
  c.update_from_flattened_dict(change)
  with pytest.raises(config_lib.ConfigError, match=message.replace("(", r"\(")):
    config_lib.validate(c)
