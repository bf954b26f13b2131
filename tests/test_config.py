"""Config validation and the command line: one clear error line, before anything compiles."""
import subprocess
import sys

import pytest

from sr_jax import config as config_lib


@pytest.mark.parametrize("key,value,message", [
    ("model.name", "nonet", "config.model.name: unknown model 'nonet'"),
    ("data.hr_patch", 50, "config.data.hr_patch: 50 is not divisible by scale 4"),
    ("train.loss", "l3", "config.train.loss: 'l3' is not one of"),
    ("optim.schedule", "linear", "config.optim.schedule"),
    ("val.best_metric", "Urban100/psnr_y", "config.val.best_metric"),
    ("train.batch_size", 0, "config.train.batch_size: must be > 0"),
])
def test_validate_names_the_key(key, value, message):
  c = config_lib.default_config()
  c.scale = 4
  section, field = key.split(".")
  c[section][field] = value
  with pytest.raises(config_lib.ConfigError, match=message.replace("(", r"\(")):
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


def _main(*args, cwd=None):
  return subprocess.run([sys.executable, "-m", "sr_jax.main", "--config=configs/quickstart.py",
                         *args], capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.mark.parametrize("args,expected", [
    (["--config.train.batch_sizee=3"], "batch_sizee"),
    (["--config.train.batch_size=abc"], "batch_size"),
    (["--config.data.hr_patch=63"], "config.data.hr_patch: 63 is not divisible by scale 2"),
    (["--config.data.source=folder", "--config.data.dirs=('/no/such/dir',)"],
     "/no/such/dir: no such data folder"),
    (["--config.model.name=srgan9"], "config.model.name: unknown model 'srgan9'"),
])
def test_cli_errors_are_one_line_naming_the_key(tmp_path, args, expected):
  proc = _main(f"--workdir={tmp_path}", *args)
  assert proc.returncode != 0
  last = proc.stderr.strip().splitlines()[-1]
  assert expected in last, proc.stderr[-2000:]
  assert "Compiled the train step" not in proc.stderr
  assert "Traceback" not in proc.stderr
