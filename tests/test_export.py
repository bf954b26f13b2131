"""The serving export: a fresh process without sr_jax reproduces model.apply (EMA parameters)
at any size; fixed-tile exports stitch exactly; the TF SavedModel agrees; bad workdirs fail
in one line."""
import importlib.util
import json
import subprocess
import sys
import sysconfig

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from sr_jax import config as config_lib
from sr_jax import export, extras, models
from sr_jax.train import checkpoint, trainer

SIZES = ((1, 9, 13), (2, 16, 7))  # (batch, h, w): two compiles of one artifact
SMALL_SWINIR = {"embed_dim": 12, "depths": (2,), "num_heads": (2,), "window_size": 4,
                "upsample_features": 8}

# Runs with -I -S: no PYTHONPATH, no .pth files, so not the editable install of sr_jax;
# site-packages (jax, numpy, Pillow) is added back by hand.
_CHILD = """
import importlib.util, sys
sys.path[:0] = [{site!r}, {out!r}]
import numpy as np
assert importlib.util.find_spec("sr_jax") is None, "sr_jax importable"
import run_exported
manifest, upscale = run_exported.load({out!r})
inputs = np.load({inputs!r})
np.savez({outputs!r}, **{{k: upscale(v) for k, v in inputs.items()}})
run_exported.main(["--input=" + {png!r}, "--output=" + {sr_png!r}])
"""


def _lr(batch, h, w, channels=3, seed=0):
  return np.random.default_rng(seed).uniform(0, 1, (batch, h, w, channels)).astype(np.float32)


def _small_config(name, scale=2, **model):
  c = config_lib.default_config()
  c.scale = scale
  c.model = {"name": name, "dtype": "float32", **model}
  return c


def _load_runner(out):
  spec = importlib.util.spec_from_file_location("run_exported", out / "run_exported.py")
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.load(out)[1]


def test_fresh_process_without_sr_jax_matches_apply(tiny_config, tmp_path, run_cli):
  tiny_config.train.num_steps = 2
  trainer.train_and_evaluate(tiny_config, str(tmp_path / "run"))
  out = tmp_path / "export"
  proc = run_cli("sr_jax.export", f"--workdir={tmp_path / 'run'}", f"--out={out}",
                 "--platforms=cpu,cuda")
  assert proc.returncode == 0, proc.stderr[-2000:]
  manifest = json.loads((out / "manifest.json").read_text())
  assert (manifest["model"], manifest["scale"], manifest["step"]) == ("edsr", 2, 2)
  assert manifest["platforms"] == ["cpu", "cuda"] and manifest["input"]["shape"] == "b, h, w, 3"

  inputs = {f"{b}x{h}x{w}": _lr(b, h, w, seed=h) for b, h, w in SIZES}
  np.savez(tmp_path / "inputs.npz", **inputs)
  png = (_lr(1, 11, 6)[0] * 255).round().astype(np.uint8)
  Image.fromarray(png).save(tmp_path / "lr.png")
  code = _CHILD.format(site=sysconfig.get_paths()["purelib"], out=str(out),
                       inputs=str(tmp_path / "inputs.npz"), outputs=str(tmp_path / "sr.npz"),
                       png=str(tmp_path / "lr.png"), sr_png=str(tmp_path / "sr.png"))
  child = subprocess.run([sys.executable, "-I", "-S", "-c", code], cwd=tmp_path,
                         capture_output=True, text=True, check=False)
  assert child.returncode == 0, child.stderr[-2000:]

  config, variables, _ = checkpoint.load_generator(str(tmp_path / "run"))
  _, state, _ = checkpoint.load_run(str(tmp_path / "run"))
  model = models.from_config(config)
  chosen = "raw" if all(np.array_equal(a, b) for a, b in zip(
      jax.tree.leaves(variables["params"]), jax.tree.leaves(state["params"]))) else "ema"
  outputs = np.load(tmp_path / "sr.npz")
  for key, lr in inputs.items():
    assert outputs[key].shape == (lr.shape[0], lr.shape[1] * 2, lr.shape[2] * 2, 3)
    np.testing.assert_allclose(outputs[key], model.apply(variables, lr), atol=1e-5)
    other = state["params" if chosen == "ema" else "ema_params"]
    other = model.apply({"params": jax.tree.map(jnp.asarray, other)}, lr)
    assert np.abs(outputs[key] - other).max() > 1e-4  # the validated parameters, not the others
  expected = np.clip(np.floor(np.asarray(model.apply(variables, png[None] / 255))[0] * 255 + 0.5),
                     0, 255)
  sr_png = np.asarray(Image.open(tmp_path / "sr.png"), np.float32)
  assert sr_png.shape == (22, 12, 3) and np.abs(sr_png - expected).max() <= 1


def test_fixed_tile_export_stitches_exactly(tmp_path):
  edsr = _small_config("edsr", num_blocks=1, features=8)  # receptive field: ±6 LR pixels
  variables = models.random_variables(models.from_config(edsr))
  exported = export.export(edsr, variables, tile=24)
  export.write(tmp_path / "edsr", exported, export.manifest(edsr, 0, exported, "float32", 24, 16))
  lr = _lr(1, 40, 30)  # 3×2 overlapping tiles; half an overlap (8) covers the receptive field
  np.testing.assert_allclose(_load_runner(tmp_path / "edsr")(lr),
                             models.from_config(edsr).apply(variables, lr), atol=1e-5)

  swinir = _small_config("swinir", **SMALL_SWINIR)
  model = models.from_config(swinir)
  variables = models.random_variables(model)
  exported = export.export(swinir, variables, tile=8)
  export.write(tmp_path / "swinir", exported, export.manifest(swinir, 0, exported, "float32", 8, 4))
  upscale = _load_runner(tmp_path / "swinir")
  one_tile = _lr(1, 8, 8)
  np.testing.assert_allclose(upscale(one_tile), model.apply(variables, one_tile), atol=1e-5)
  # 13×5 LR, the same compile: tiled along h, edge-padded along w. A window transformer's
  # tiles do not equal the whole image (its windows fall elsewhere); the reference is the blend
  # written out here for starts 0, 4, 5 (tile 8, overlap 4: each side facing another tile gives
  # up 2 LR rows): LR rows 0-5 from the first tile, 6 from the second, 7-9 the mean of the
  # second and third (both trimmed tiles cover them), 10-12 from the third; ×2 in HR rows.
  lr = _lr(1, 13, 5)
  padded = np.pad(lr, ((0, 0), (0, 0), (0, 3), (0, 0)), mode="edge")
  call = jax.jit(exported.call)
  tiles = {s: np.asarray(call(padded[:, s:s + 8])) for s in (0, 4, 5)}
  for s, sr in tiles.items():  # each tile is the model's output (float32 reassociation: ~1e-6)
    np.testing.assert_allclose(sr, model.apply(variables, padded[:, s:s + 8]), atol=1e-5)
  expected = np.concatenate([tiles[0][:, 0:12], tiles[4][:, 4:6],
                             0.5 * (tiles[4][:, 6:12] + tiles[5][:, 4:10]),
                             tiles[5][:, 10:16]], axis=1)[:, :, :10]
  # Exact: the weights are 1, 0 and 1/2 (0.5·a + 0.5·b rounds once, as 0.5·(a + b) does).
  np.testing.assert_array_equal(upscale(lr), expected)


@pytest.mark.parametrize("name,model", [
    ("swinir", SMALL_SWINIR),  # shifted-window masks and window padding from the size
    ("srcnn", {"features": (8, 4)}),  # MATLAB-bicubic pre-upsampling
    ("vdsr", {"depth": 3, "features": 8})])
def test_size_dependent_models_export_symbolically(name, model):
  config = _small_config(name, scale=3, **model)
  module = models.from_config(config)
  variables = models.random_variables(module)
  exported = export.export(config, variables)
  assert str(exported.in_avals[0].shape) == "(b, h, w, 3)"
  for b, h, w in ((1, 3, 2), (2, 9, 13)):  # smaller than SwinIR's window; not a multiple of it
    lr = _lr(b, h, w, seed=h)
    np.testing.assert_allclose(exported.call(lr), module.apply(variables, lr), atol=1e-5)


def test_a_model_that_cannot_trace_a_symbolic_size_is_told_to_tile(monkeypatch):
  """A user model that builds a NumPy constant from the image size gets one line, not a trace."""
  monkeypatch.setattr(export, "serving_fn", lambda config, variables, dtype: (
      lambda lr: lr * np.ones(lr.shape[1], np.float32)[:, None, None]))
  config = _small_config("edsr", num_blocks=1, features=8)
  with pytest.raises(config_lib.ConfigError, match="model edsr cannot be exported with a "
                     "symbolic height and width .*--tile=64"):
    export.export(config, {})
  assert export.export(config, {}, tile=8).out_avals[0].shape[1:] == (8, 8, 3)


def test_bfloat16_export_is_half_the_size_and_close(tmp_path):
  c = _small_config("edsr", num_blocks=1, features=16)
  variables = models.random_variables(models.from_config(c))
  lr = _lr(1, 12, 10)
  sizes, outs = {}, {}
  for dtype in ("float32", "bfloat16"):
    exported = export.export(c, variables, dtype)
    sizes[dtype] = len(exported.serialize())
    outs[dtype] = np.asarray(exported.call(lr))
  assert outs["bfloat16"].dtype == np.float32
  assert 0 < np.abs(outs["bfloat16"] - outs["float32"]).max() < 0.05
  assert sizes["bfloat16"] < 0.75 * sizes["float32"]


@pytest.mark.tensorflow
def test_saved_model_matches_apply(tmp_path):
  tf = pytest.importorskip("tensorflow", reason="[ci-step:tensorflow] needs sr_jax[savedmodel]")
  c = _small_config("edsr", num_blocks=1, features=8)
  model = models.from_config(c)
  variables = models.random_variables(model)
  export.save_tf(export.serving_fn(c, variables, "float32"), 3, 0, ("cpu",), tmp_path / "sm")
  serve = tf.saved_model.load(str(tmp_path / "sm")).signatures["serving_default"]
  for b, h, w in SIZES:
    lr = _lr(b, h, w)
    sr = serve(lr=tf.constant(lr))["output_0"]
    np.testing.assert_allclose(sr.numpy(), model.apply(variables, lr), atol=1e-5)


def test_saved_model_without_tensorflow_names_the_extra(monkeypatch):
  monkeypatch.setitem(sys.modules, "tensorflow", None)  # `import tensorflow` raises ImportError
  with pytest.raises(extras.MissingExtra, match=r"pip install 'sr_jax\[savedmodel\]'"):
    export.require_tf()


@pytest.mark.parametrize("make", [lambda p: p / "missing", lambda p: p], ids=["missing", "empty"])
def test_missing_or_empty_workdir_is_one_line(tmp_path, make, run_cli):
  workdir = make(tmp_path)
  proc = run_cli("sr_jax.export", f"--workdir={workdir}", f"--out={tmp_path / 'out'}")
  assert proc.returncode == 1 and "Traceback" not in proc.stderr
  assert proc.stderr.strip().splitlines()[-1] == f"error: {checkpoint.no_checkpoint(workdir)}"
  assert not (tmp_path / "out").exists() and not (tmp_path / "missing").exists()
