"""Grid parsing, point naming, skipping finished points, --launch=print output."""
import json
import shlex
import sys

import pytest

from sr_jax import sweep
from sr_jax.sweep import __main__ as sweep_main


def test_parse_grid_and_product_order():
  axes = sweep.parse_grid("model.features=16,32,64; model.num_blocks=4,8")
  assert axes == [("model.features", ["16", "32", "64"]), ("model.num_blocks", ["4", "8"])]
  points = sweep.grid_points(axes)
  assert [p.name for p in points] == [
      "features16_num_blocks4", "features16_num_blocks8", "features32_num_blocks4",
      "features32_num_blocks8", "features64_num_blocks4", "features64_num_blocks8"]
  assert points[0].overrides() == ["--config.model.features=16", "--config.model.num_blocks=4"]


def test_brackets_keep_commas_and_names_are_clean():
  axes = sweep.parse_grid("optim.milestones=(100,200),(300,);optim.learning_rate=1e-4")
  assert axes[0] == ("optim.milestones", ["(100,200)", "(300,)"])
  names = [p.name for p in sweep.grid_points(axes)]
  assert names == ["milestones100-200_learning_rate1e-4", "milestones300-_learning_rate1e-4"]


def test_colliding_short_names_use_full_keys():
  points = sweep.grid_points(sweep.parse_grid("model.dtype=float32;data.dtype=bfloat16"))
  assert points[0].name == "model-dtypefloat32_data-dtypebfloat16"


@pytest.mark.parametrize("grid, part", [
    ("", "empty grid"),
    ("model.features", "'model.features' has no '='"),
    ("model.features=16,,32", "'model.features=16,,32' has an empty value"),
    ("model.features=", "has an empty value"),
    ("model.features=16;;model.num_blocks=4", "empty axis"),
    ("model.features=16;model.features=32", "'model.features' appears twice"),
    ("model..features=16", "bad key 'model..features'"),
    ("model.features=16,16", "repeats a value"),
    ("optim.milestones=(1,2", "unclosed bracket"),
])
def test_bad_grids_name_the_part(grid, part):
  with pytest.raises(sweep.GridError, match=None) as e:
    sweep.parse_grid(grid)
  assert part in str(e.value)


def test_bad_grid_cli_is_one_clear_line(tmp_path, capsys):
  rc = sweep_main.main(["--config=configs/edsr.py", "--grid=model.features16",
                        f"--workdir={tmp_path}", "--launch=print"])
  err = capsys.readouterr().err.strip().splitlines()
  assert rc == 2 and len(err) == 1 and "'model.features16' has no '='" in err[0]


def test_print_skips_finished_points(tmp_path, capsys):
  (tmp_path / "features16_num_blocks4").mkdir()
  (tmp_path / "features16_num_blocks4" / "DONE").write_text("")
  (tmp_path / "features32_num_blocks4").mkdir()  # started, unfinished: launched again
  rc = sweep_main.main(["--config=configs/edsr.py:x2",
                        "--grid=model.features=16,32;model.num_blocks=4",
                        f"--workdir={tmp_path}", "--launch=print", "--python=python",
                        "--set", "train.num_steps=100", "--", "--config.seed=3"])
  out, err = capsys.readouterr()
  assert rc == 0
  lines = out.strip().splitlines()
  assert lines == [shlex.join([
      "python", "-m", "sr_jax.main", "--config=configs/edsr.py:x2",
      f"--workdir={tmp_path}/features32_num_blocks4", "--config.train.num_steps=100",
      "--config.model.features=32", "--config.model.num_blocks=4", "--config.seed=3"])]
  assert "skip features16_num_blocks4" in err
  assert not (tmp_path / "sweep.json").exists()  # print has no side effects


def test_local_runs_unfinished_points_and_records_sweep(tmp_path, monkeypatch):
  calls = []

  class Done:
    returncode = 0

  def fake_run(command):
    calls.append(command)
    return Done()

  monkeypatch.setattr(sweep_main.subprocess, "run", fake_run)
  (tmp_path / "features8").mkdir()
  (tmp_path / "features8" / "DONE").write_text("")
  rc = sweep_main.main(["--config=configs/quickstart.py", "--grid=model.features=8,16",
                        f"--workdir={tmp_path}"])
  assert rc == 0
  assert calls == [[sys.executable, "-m", "sr_jax.main", "--config=configs/quickstart.py",
                    f"--workdir={tmp_path}/features16", "--config.model.features=16"]]
  recorded = json.loads((tmp_path / "sweep.json").read_text())
  assert recorded["grid_keys"] == ["model.features"]
  assert recorded["points"] == {"features8": {"model.features": "8"},
                                "features16": {"model.features": "16"}}


def test_local_reports_failures(tmp_path, monkeypatch):
  class Fail:
    returncode = 3

  monkeypatch.setattr(sweep_main.subprocess, "run", lambda command: Fail())
  rc = sweep_main.main(["--config=configs/quickstart.py", "--grid=model.features=8,16", f"--workdir={tmp_path}"])
  assert rc == 1


def test_set_clashing_with_grid(tmp_path, capsys):
  rc = sweep_main.main(["--config=configs/quickstart.py", "--grid=model.features=8", f"--workdir={tmp_path}",
                        "--launch=print", "--set", "model.features=4"])
  assert rc == 2 and "also a grid axis" in capsys.readouterr().err


@pytest.mark.parametrize("args, key", [
    (["--grid=model.featurs=8,16"], "model.featurs"),
    (["--grid=model.features=8", "--set", "train.num_step=100"], "train.num_step"),
    (["--grid=modle.features=8"], "modle.features"),
], ids=["grid", "set", "section"])
def test_a_key_the_recipe_lacks_fails_once_before_any_point_runs(tmp_path, monkeypatch, capsys,
                                                                 args, key):
  monkeypatch.setattr(sweep_main.subprocess, "run", lambda command: pytest.fail("launched"))
  rc = sweep_main.main(["--config=configs/quickstart.py", f"--workdir={tmp_path}", *args])
  err = capsys.readouterr().err.strip().splitlines()
  assert rc == 2 and err == [f"sr_jax.sweep: error: config.{key}: no such field in "
                             "configs/quickstart.py; no point was launched"]
  assert not (tmp_path / "sweep.json").exists()


def test_an_unknown_preset_is_one_line(tmp_path, capsys):
  rc = sweep_main.main(["--config=configs/edsr.py:x9", "--grid=model.features=8",
                        f"--workdir={tmp_path}", "--launch=print"])
  err = capsys.readouterr().err.strip().splitlines()
  assert rc == 2 and len(err) == 1 and "edsr presets:" in err[0] and "'x9'" in err[0]
