"""PyTorch state_dicts (official and BasicSR key names, as NumPy arrays) → Flax params → a run."""
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from sr_jax import convert, models
from sr_jax.train import checkpoint

REPO = pathlib.Path(__file__).resolve().parents[1]
F = 8  # features of the small models


def _conv(rng, name, cin, cout, k=3):
  return {f"{name}.weight": rng.standard_normal((cout, cin, k, k)).astype(np.float32),
          f"{name}.bias": rng.standard_normal(cout).astype(np.float32)}


def edsr_official(rng, scale, blocks=2):
  """EDSR-PyTorch's names, MeanShift convs included."""
  sd = {"sub_mean.weight": np.eye(3, dtype=np.float32).reshape(3, 3, 1, 1),
        "sub_mean.bias": np.zeros(3, np.float32), **_conv(rng, "head.0", 3, F)}
  sd["add_mean.weight"], sd["add_mean.bias"] = sd["sub_mean.weight"], sd["sub_mean.bias"]
  for i in range(blocks):
    sd |= _conv(rng, f"body.{i}.body.0", F, F) | _conv(rng, f"body.{i}.body.2", F, F)
  sd |= _conv(rng, f"body.{blocks}", F, F) | _conv(rng, "tail.1", F, 3)
  for i in range(2 if scale == 4 else 1):
    sd |= _conv(rng, f"tail.0.{2 * i}", F, 4 * F)
  return sd


# EDSR-PyTorch → BasicSR names of the 2-block ×4 EDSR.
BASICSR_EDSR = {"head.0": "conv_first", "body.0.body.0": "body.0.conv1",
                "body.0.body.2": "body.0.conv2", "body.1.body.0": "body.1.conv1",
                "body.1.body.2": "body.1.conv2", "body.2": "conv_after_body",
                "tail.0.0": "upsample.0", "tail.0.2": "upsample.2", "tail.1": "conv_last"}


def _template(arch, scale, **model):
  return convert.model_template(models.build_model(arch, scale=scale, **model))


def test_edsr_official_keys_land_transposed_and_rescaled_to_unit_range():
  sd = edsr_official(np.random.default_rng(0), 4)
  params = convert.convert_state_dict("edsr", sd, _template("edsr", 4, num_blocks=2, features=F))
  np.testing.assert_array_equal(params["head"]["kernel"], sd["head.0.weight"].transpose(2, 3, 1, 0))
  np.testing.assert_array_equal(params["block"]["Conv_1"]["kernel"][1, 1, 2, 3, 4],  # block 1
                                sd["body.1.body.2.weight"][4, 3, 1, 2])
  np.testing.assert_allclose(params["upsample"]["Conv_1"]["bias"], sd["tail.0.2.bias"] / 255)
  np.testing.assert_allclose(params["tail"]["bias"], sd["tail.1.bias"] / 255)


def test_edsr_basicsr_keys_and_module_prefix_give_the_same_params():
  sd = edsr_official(np.random.default_rng(0), 4)
  renamed = {}
  for key, value in sd.items():
    module, _, leaf = key.rpartition(".")
    if module in BASICSR_EDSR:
      renamed[f"module.{BASICSR_EDSR[module]}.{leaf}"] = value
  template = _template("edsr", 4, num_blocks=2, features=F)
  a = convert.convert_state_dict("edsr", sd, template)
  b = convert.convert_state_dict("edsr", renamed, template)
  assert set(renamed) != set(sd)
  np.testing.assert_equal(a, b)


def test_rrdbnet_esrgan_and_basicsr_key_styles_agree():
  rng = np.random.default_rng(1)
  g = 4
  basicsr = _conv(rng, "conv_first", 3, F)
  esrgan = {"model.0": "conv_first", "model.1.sub.1": "conv_body", "model.3": "conv_up1",
            "model.6": "conv_up2", "model.8": "conv_hr", "model.10": "conv_last"}
  for r in (1, 2, 3):
    for k in range(1, 6):
      basicsr |= _conv(rng, f"body.0.rdb{r}.conv{k}", F + (k - 1) * g, g if k < 5 else F)
      esrgan[f"model.1.sub.0.RDB{r}.conv{k}.0"] = f"body.0.rdb{r}.conv{k}"
  for name in ("conv_body", "conv_up1", "conv_up2", "conv_hr"):
    basicsr |= _conv(rng, name, F, F)
  basicsr |= _conv(rng, "conv_last", F, 3)
  old = {f"{o}.{leaf}": basicsr[f"{n}.{leaf}"]
         for o, n in esrgan.items() for leaf in ("weight", "bias")}
  template = _template("rrdbnet", 4, num_blocks=1, features=F, growth=g)
  a = convert.convert_state_dict("rrdbnet", basicsr, template)
  b = convert.convert_state_dict("rrdbnet", old, template)
  np.testing.assert_equal(a, b)
  np.testing.assert_array_equal(a["rrdb"]["rdb3"]["conv5"]["bias"][0],
                                basicsr["body.0.rdb3.conv5.bias"])


def test_every_unmapped_missing_and_misshaped_key_is_named():
  sd = edsr_official(np.random.default_rng(2), 2)
  del sd["tail.1.bias"]
  del sd["body.1.body.2.bias"]  # one block of a scanned parameter
  sd["body.9.body.0.weight"] = sd["body.0.body.0.weight"]
  sd["head.0.weight"] = np.zeros((F, 3, 5, 5), np.float32)
  sd["extra.thing"] = np.zeros(3, np.float32)
  with pytest.raises(ValueError) as e:
    convert.convert_state_dict("edsr", sd, _template("edsr", 2, num_blocks=2, features=F))
  message = str(e.value)
  for name in ("tail/bias", "block/Conv_1/bias[1]", "body.9.body.0.weight", "head.0.weight", "(5, 5, 3, 8)", "extra.thing"):
    assert name in message
  assert "sub_mean" not in message


def _run(*args):
  return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True,
                        text=True, check=True)


def test_converted_run_is_what_evaluate_loads(tmp_path):
  sd = edsr_official(np.random.default_rng(3), 2)
  np.savez(tmp_path / "edsr.npz", **sd)
  run = tmp_path / "run"
  _run("sr_jax.convert", "--arch=edsr", f"--src={tmp_path / 'edsr.npz'}", f"--dst={run}",
       "--scale=2", "--config=configs/edsr.py:x2", "--config.model.num_blocks=2",
       f"--config.model.features={F}")
  config, state, step = checkpoint.load_run(str(run))
  assert (config.model.name, config.scale, config.model.num_blocks, step) == ("edsr", 2, 2, 0)
  expected = convert.convert_state_dict("edsr", sd, _template("edsr", 2, num_blocks=2, features=F))
  np.testing.assert_allclose(state["params"]["block"]["Conv_1"]["kernel"],
                             expected["block"]["Conv_1"]["kernel"])
  (tmp_path / "hr").mkdir()
  Image.fromarray(np.random.default_rng(0).integers(0, 255, (24, 20, 3), np.uint8)).save(
      tmp_path / "hr" / "noise.png")
  out = _run("sr_jax.evaluate", f"--workdir={run}", f"--hr_dir={tmp_path / 'hr'}",
             "--self_ensemble", "--tile=8", "--tile_overlap=4", f"--json={tmp_path / 'out.json'}")
  assert "step 0, model edsr x2" in out.stdout
  assert [r["name"] for r in json.loads((tmp_path / "out.json").read_text())["images"]] == ["noise"]
