"""The sweep report on synthetic workdirs where the frontier and the fit are known."""
import csv
import json
import math

import pytest

from sr_jax.sweep import report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make_run(root, name, flops_per_step, num_params, records, features, done=True):
  d = root / name
  d.mkdir(parents=True)
  if flops_per_step is not None:
    config = {"model": {"name": "edsr", "features": features, "num_blocks": 2},
              "train": {"num_steps": 1000}, "val": {"best_metric": "Set5/psnr_y"}}
    (d / "run_info.json").write_text(json.dumps(
        {"num_params": num_params, "train_flops_per_step": flops_per_step, "config": config}))
  lines = [json.dumps(r) for r in records]
  (d / "metrics.jsonl").write_text("\n".join(lines) + "\n")
  if done:
    (d / "DONE").write_text("")
  return d


def val(step, t, psnr, ssim=0.9, set_name="Set5"):
  return {"step": step, "time": t, f"val/{set_name}/psnr_y": psnr,
          f"val/{set_name}/ssim_y": ssim, f"val/{set_name}/psnr_rgb": psnr - 1}


def train(step, t, loss):
  return {"step": step, "time": t, "train/loss": loss, "train/learning_rate": 1e-4,
          "train/steps_per_sec": 10.0}


@pytest.fixture
def sweep_dir(tmp_path):
  # Frontier by construction: PSNR = 10 + 2·log10(C) at C = 1e11, 1e12, 1e13.
  make_run(tmp_path, "features8", 1e9, 1000, [
      train(50, 1000.0, 0.2), val(100, 1010.0, 32.0, 0.80),
      train(100, 1010.0, 0.1), val(1000, 1100.0, 33.5, 0.85),
      val(2000, 1200.0, 33.9, 0.86), train(2000, 1200.0, 0.05)], features=8)
  make_run(tmp_path, "features16", 1e10, 4000, [
      val(10, 0.0, 31.0, 0.7), train(100, 10.0, 0.3), val(100, 10.0, 34.0, 0.9),
      train(300, 20.0, 0.2),
      # killed after step 300, resumed from the checkpoint at step 200:
      train(200, 100.0, 0.25), train(300, 110.0, 0.15),
      val(1000, 120.0, 36.0, 0.95)], features=16)
  with open(tmp_path / "features16" / "metrics.jsonl", "a") as f:
    f.write('{"step": 1000, "ti')  # killed mid-write
  make_run(tmp_path, "features32", None, None, [train(10, 5.0, 0.9)], features=32, done=False)
  return tmp_path


def test_frontier_and_fit_known_answer(sweep_dir):
  summary = report.report(sweep_dir)
  assert summary["metric"] == "Set5/psnr_y"
  front = [(c, v, n, s) for c, v, n, s in summary["frontier"]]
  assert front == [(1e11, 32.0, "features8", 100), (1e12, 34.0, "features16", 100),
                   (1e13, 36.0, "features16", 1000)]
  fit = summary["fit"]
  assert fit["a"] == pytest.approx(10.0) and fit["b"] == pytest.approx(2.0)
  assert fit["alpha"] == pytest.approx(0.2) and fit["r2"] == pytest.approx(1.0)
  assert fit["A"] == pytest.approx(0.1)
  saved = json.loads((sweep_dir / "fit.json").read_text())
  assert saved["fit"]["b"] == pytest.approx(2.0) and len(saved["frontier"]) == 3


def test_csv_and_markdown(sweep_dir):
  report.report(sweep_dir)
  rows = {r["run"]: r for r in csv.DictReader(open(sweep_dir / "report.csv"))}
  assert set(rows) == {"features8", "features16", "features32"}
  small, big, unstarted = rows["features8"], rows["features16"], rows["features32"]
  # Grid keys: the config values that differ between runs.
  assert "model.features" in small and small["model.features"] == "8"
  assert unstarted["model.features"] == ""  # no run_info, no sweep.json
  assert float(small["num_params"]) == 1000 and int(small["steps"]) == 2000
  assert float(small["train_flops"]) == pytest.approx(2e12)
  assert float(big["train_flops"]) == pytest.approx(1e13)
  assert float(small["wall_time_s"]) == pytest.approx(200.0)
  assert float(big["wall_time_s"]) == pytest.approx(20.0 + 20.0)  # two stretches
  assert float(big["best/Set5/psnr_y"]) == 36.0 and float(big["best/Set5/ssim_y"]) == 0.95
  assert float(big["best/Set5/psnr_rgb"]) == 35.0
  assert float(small["final_train_loss"]) == 0.05
  assert small["done"] == "True" and unstarted["done"] == "False"
  md = (sweep_dir / "report.md").read_text()
  assert "| features16 |" in md and "1.000e+13" in md and "0:00:40" in md
  assert "PSNR = 10.0000 + 2.0000·log10(C)" in md
  for png in report.PLOTS:
    assert f"![{png}]({png})" in md


def test_pngs_are_valid(sweep_dir):
  import matplotlib.image
  report.report(sweep_dir)
  for png in report.PLOTS:
    data = (sweep_dir / png).read_bytes()
    assert len(data) > 1000 and data.startswith(PNG_MAGIC)
    assert matplotlib.image.imread(sweep_dir / png).ndim == 3


def test_sweep_json_gives_grid_keys(sweep_dir):
  (sweep_dir / "sweep.json").write_text(json.dumps({
      "grid_keys": ["model.features"],
      "points": {"features32": {"model.features": "32"}}}))
  summary = report.report(sweep_dir)
  assert summary["grid_keys"] == ["model.features"]
  rows = {r["run"]: r for r in csv.DictReader(open(sweep_dir / "report.csv"))}
  assert rows["features32"]["model.features"] == "32"


def test_frontier_ties_and_fit_needs_two_points():
  pts = [(1.0, 5.0, "a", 1), (1.0, 6.0, "b", 1), (2.0, 6.0, "a", 2), (3.0, 7.0, "a", 3)]
  assert report.frontier(pts) == [(1.0, 6.0, "b", 1), (3.0, 7.0, "a", 3)]
  assert report.fit_log_linear([(1e3, 20.0, "a", 1)]) is None


def test_cli_on_empty_dir(tmp_path, capsys):
  assert report.main([str(tmp_path)]) == 0
  assert "no runs" in capsys.readouterr().err
  for png in report.PLOTS:
    assert (tmp_path / png).read_bytes().startswith(PNG_MAGIC)
  assert report.main([str(tmp_path / "missing")]) == 2


def test_cli_prints_fit(sweep_dir, capsys):
  assert report.main([str(sweep_dir), "--metric", "Set5/psnr_y"]) == 0
  out = capsys.readouterr().out
  assert "3 runs" in out and "PSNR = 10.0000 + 2.0000·log10(C)" in out
  assert not math.isnan(float(out.split("R² = ")[1].split(",")[0]))


def test_wall_time_stretches():
  loss = lambda step, t: {"step": step, "time": t, "train/loss": 1.0}
  same_step = [loss(2, 0.0), {"step": 2, "time": 12.0, "val/a/psnr_y": 1.0}, loss(4, 13.0)]
  assert report.wall_time(same_step) == 13.0
  relogged = [loss(2, 0.0), loss(4, 5.0), loss(4, 100.0), loss(6, 103.0)]
  assert report.wall_time(relogged) == 5.0 + 3.0
  assert report.wall_time([{"step": 1}]) is None
