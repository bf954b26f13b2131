"""The comparison figure: its grid holds the zoomed crops where the layout says, and its numbers
are sr_jax.evaluate's for the same image."""
import json
import shutil

import jax.numpy as jnp
import numpy as np
from PIL import Image
import pytest

from sr_jax import compare, inference
from sr_jax import config as config_lib
from sr_jax.ops import imresize
from sr_jax.train import trainer


def _finish(proc):
  return proc.returncode, proc.stdout, proc.stderr


def _two_runs(config, tmp_path):
  """Workdirs of one training at steps 4 and 2 (its earlier checkpoint alone): two models for
  the price of one training."""
  later, earlier = tmp_path / "step4", tmp_path / "step2"
  trainer.train_and_evaluate(config, str(later))  # checkpoints at steps 2 and 4
  shutil.copytree(later, earlier)
  shutil.rmtree(earlier / "checkpoints" / "4")
  return [str(later), str(earlier)]


def _zoom(img, box, zoom):
  x, y, w, h = box
  return img[y:y + h, x:x + w].repeat(zoom, 0).repeat(zoom, 1)


def _model_sr(workdir, lr):
  generator = inference.from_run(workdir)
  sr = generator.predict(generator.variables, jnp.asarray(lr[None] / 255.0))
  return np.asarray(jnp.round(jnp.clip(sr[0], 0, 1) * 255)).astype(np.uint8)


def test_figure_layout_and_numbers_equal_evaluate(tiny_config, tmp_path, run_cli):
  runs = _two_runs(tiny_config, tmp_path)
  rng = np.random.default_rng(3)
  hr = rng.integers(20, 236, (37, 50, 3)).astype(np.uint8)  # never pure red, as the box is
  out, hr_file = tmp_path / "cmp.png", tmp_path / "hr" / "noise.png"
  hr_file.parent.mkdir()
  Image.fromarray(hr).save(hr_file)
  hr = hr[:36]  # cropped to a multiple of the scale, 2
  box, zoom = (6, 4, 12, 10), 3
  figure = run_cli("sr_jax.compare", f"--hr={hr_file}", "--scale=2",
                   f"--workdir={','.join(runs)}", "--labels=A,B",
                   f"--box={','.join(map(str, box))}", f"--zoom={zoom}", f"--out={out}")
  evaluations = [run_cli("sr_jax.evaluate", f"--hr_dir={tmp_path / 'hr'}", "--scale=2", source,
                         f"--json={tmp_path / f'eval{i}.json'}")
                 for i, source in enumerate(["--baseline=bicubic"] +
                                            [f"--workdir={r}" for r in runs])]
  wrong_scale = run_cli("sr_jax.compare", f"--hr={hr_file}", "--scale=4",
                        f"--workdir={runs[0]}", f"--out={tmp_path / 'bad.png'}")
  code, stdout, stderr = _finish(figure)
  assert code == 0, stderr

  # (a) Layout: [overview | HR | bicubic | A | B], each with a label strip under it.
  fig = np.asarray(Image.open(out).convert("RGB"))
  gap, strip = compare.GAP, compare.LABEL_HEIGHT
  ph, pw = 10 * zoom, 12 * zoom
  ov_w = round(50 * ph / 36)  # the 36-high HR scaled to the panel height
  assert fig.shape == (gap + ph + strip + gap, gap + ov_w + 4 * (gap + pw) + gap, 3)
  lr = imresize.bicubic_downscale(hr, 2)
  expected = [hr, imresize.to_uint8(imresize.imresize(lr, 2))] + [_model_sr(r, lr) for r in runs]
  lefts = [gap + ov_w + gap + k * (pw + gap) for k in range(4)]
  panels = [fig[gap:gap + ph, x:x + pw].astype(int) for x in lefts]
  np.testing.assert_array_equal(panels[0], _zoom(hr, box, zoom))  # HR: exact
  for panel, img in zip(panels[1:], expected[1:]):  # another padding/compile: within 1 level
    assert np.abs(panel - _zoom(img, box, zoom)).max() <= 1
  assert np.abs(panels[2] - panels[3]).max() > 0  # two runs, two different outputs
  for x, w in zip([gap] + lefts, [ov_w] + [pw] * 4):
    label = fig[gap + ph:gap + ph + strip, x:x + w]
    assert (label < 100).any() and (label == 255).mean() > 0.5  # dark text on white
    assert (fig[:, x - gap:x] == 255).all()  # white gutter before each panel
  red = np.argwhere((fig[gap:gap + ph, gap:gap + ov_w] == (255, 0, 0)).all(-1))
  f = ph / 36
  assert np.abs(red.min(0) - (4 * f, 6 * f)).max() <= 1
  assert np.abs(red.max(0) - (14 * f - 1, 18 * f - 1)).max() <= 1

  # (b) Numbers: evaluate's per-image rows for a folder holding only this image.
  cmp = json.loads(out.with_suffix(".json").read_text())
  assert [(r["label"], r["step"]) for r in cmp["results"]] == [("Bicubic", None), ("A", 4),
                                                                ("B", 2)]
  assert cmp["box"] == list(box) and cmp["zoom"] == zoom
  for i, (row, evaluation) in enumerate(zip(cmp["results"], evaluations)):
    code, _, stderr = _finish(evaluation)
    assert code == 0, stderr
    evaluated = json.loads((tmp_path / f"eval{i}.json").read_text())
    assert evaluated["scale"] == cmp["scale"] == 2
    (result,) = evaluated["results"]  # one method on one set: the folder holding only the image
    assert (result["set"], result["source"]) == ("hr", row["source"])
    (want,) = result["images"]
    assert want["name"] == cmp["image"] == "noise"
    assert set(want) - {"name"} <= set(row)
    for key in ("psnr_y", "ssim_y", "psnr_rgb"):  # one image: its numbers are the set's mean
      assert result["metrics"][key] == want[key]
    for key in ("psnr_y", "ssim_y", "psnr_rgb"):
      assert abs(row[key] - want[key]) < 5e-5, (row["label"], key)
    assert f"{want['psnr_y']:.4f}" in stdout

  # A run of another scale: one line, before anything compiles or is written.
  code, _, stderr = _finish(wrong_scale)
  assert code != 0 and "Traceback" not in stderr
  assert stderr.strip().splitlines()[-1] == (
      f"error: {runs[0]} holds a run with scale=2, but --scale asks for scale=4")
  assert not (tmp_path / "bad.png").exists()

def test_default_box_is_the_most_textured_square():
  rng = np.random.default_rng(0)
  img = np.full((40, 64, 3), 128, np.uint8)
  img[22:32, 41:51] = rng.integers(0, 256, (10, 10, 3))
  assert compare.textured_box(img, 10) == (41, 22, 10, 10)
  assert compare.parse_box(None, img) == (41, 22, 10, 10)  # a quarter of the short side
  img[2:12, 3:13] = img[22:32, 41:51]  # a tie: the first in row-major order
  assert compare.textured_box(img, 10) == (3, 2, 10, 10)
  assert compare.parse_box(["0", "0", "64", "40"], img) == (0, 0, 64, 40)
  with pytest.raises(config_lib.ConfigError, match="four integers"):
    compare.parse_box(["1", "2", "x", "4"], img)
  with pytest.raises(config_lib.ConfigError, match="does not fit in the 64x40 image"):
    compare.parse_box(["60", "0", "5", "5"], img)


def test_missing_workdir_is_named(tmp_path, run_cli):
  missing = tmp_path / "nope"
  with pytest.raises(FileNotFoundError, match=f"{missing}: no checkpoint"):
    compare.load_methods(2, workdirs=[str(missing)])
  with pytest.raises(config_lib.ConfigError, match="name a method"):
    compare.load_methods(2)
  # The CLI: one line naming the path, nothing written.
  hr_file = tmp_path / "hr.png"
  Image.fromarray(np.full((8, 8, 3), 128, np.uint8)).save(hr_file)
  code, _, stderr = _finish(run_cli("sr_jax.compare", f"--hr={hr_file}", "--scale=2",
                                    f"--workdir={missing}", f"--out={tmp_path / 'cmp.png'}"))
  assert code != 0 and "Traceback" not in stderr
  assert stderr.strip().splitlines()[-1] == (
      f"error: {missing}: no checkpoint here (not a training run's workdir)")
  assert not missing.exists()  # not created by the look-up
  assert not (tmp_path / "cmp.png").exists()
