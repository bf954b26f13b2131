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


def test_fit_uncertainty_and_prediction_by_hand():
  # Five points around PSNR = 20 + 3·log10(C) with residuals +0.1, -0.1, 0, -0.1, +0.1 at
  # log10(C) = 1..5: a symmetric pattern, so the line is exactly 20 + 3x (x̄ = 3).
  xs, res = [1, 2, 3, 4, 5], [0.1, -0.1, 0.0, -0.1, 0.1]
  pts = [(10.0 ** x, 20 + 3 * x + r, "r", i) for i, (x, r) in enumerate(zip(xs, res))]
  fit = report.fit_log_linear(pts)
  assert fit["a"] == pytest.approx(20.0) and fit["b"] == pytest.approx(3.0)
  # s² = Σr² / (n - 2) = 0.04 / 3; Sxx = Σ(x - 3)² = 10; se_b² = s² / Sxx;
  # se_a² = s² (1/5 + 9/10); cov(a, b) = -x̄ · se_b².
  s2 = 0.04 / 3
  assert fit["se_b"] == pytest.approx(math.sqrt(s2 / 10))
  assert fit["se_a"] == pytest.approx(math.sqrt(s2 * (0.2 + 0.9)))
  assert fit["cov_ab"] == pytest.approx(-3 * s2 / 10)
  # At x = x̄ the line's variance is s²/n; t(0.975, 3 dof) = 3.182446 (statistical tables).
  value, band, interval = (float(v[0]) for v in report.predict(fit, [1e3]))
  assert value == pytest.approx(29.0)
  assert band == pytest.approx(3.182446 * math.sqrt(s2 / 5), rel=1e-5)
  assert interval == pytest.approx(3.182446 * math.sqrt(s2 / 5 + s2), rel=1e-5)
  # Two points: a line, no interval.
  two = report.fit_log_linear(pts[:2])
  assert math.isnan(float(report.predict(two, [1e3])[1][0]))


def test_params_envelope_fit_and_sorted_table(sweep_dir):
  summary = report.report(sweep_dir)
  # Best per run: features8 33.9 at 1000 parameters, features16 36.0 at 4000.
  assert [(c, v, n) for c, v, n, _ in summary["params_frontier"]] == [
      (1000.0, 33.9, "features8"), (4000.0, 36.0, "features16")]
  assert summary["params_fit"]["b"] == pytest.approx(2.1 / math.log10(4))
  assert [r[0] for r in summary["rows"]] == ["features16", "features8", "features32"]
  saved = json.loads((sweep_dir / "fit.json").read_text())
  assert saved["params_frontier"][1] == {"params": 4000.0, "value": 36.0, "run": "features16",
                                         "step": 1000}


def test_cli_predicts_with_intervals(sweep_dir, capsys):
  assert report.main([str(sweep_dir), "--predict_flops", "1e14"]) == 0
  out = capsys.readouterr().out
  # The frontier lies on 10 + 2·log10(C) exactly: 38 dB at 1e14, intervals of zero width.
  assert "at C = 1.000e+14 FLOPs: 38.000 dB (95%: line ± 0.000, new run ± 0.000)" in out
  assert "extrapolated 10× beyond the largest fitted C" in out


def test_compute_optimal_size_fit(sweep_dir, capsys):
  summary = report.report(sweep_dir)
  # Frontier runs: features8 (1000 params) at C = 1e11, features16 (4000) at 1e12 and 1e13;
  # log10 N on log10 C: x = 11, 12, 13, y = 3, log10 4000, log10 4000 → slope log10(4) / 2.
  size = summary["optimal_size_fit"]
  assert size["d"] == pytest.approx(math.log10(4) / 2)
  assert size["c"] == pytest.approx((3 + 2 * math.log10(4000)) / 3 - 12 * math.log10(4) / 2)
  assert report.main([str(sweep_dir), "--predict_flops", "1e12"]) == 0
  n_opt = round(10 ** (size["c"] + size["d"] * 12))
  assert f"compute-optimal size there: N ≈ {n_opt:,} parameters" in capsys.readouterr().out


def test_runs_frontier_takes_each_run_at_its_whole_compute(sweep_dir, capsys):
  # features8: 1e9 FLOPs/step × 2000 steps, best 33.9 (at step 2000); features16: 1e10 × 1000,
  # best 36.0; features32 has no FLOPs count. Points inside a run do not count.
  summary = report.report(sweep_dir, frontier_of="runs")
  assert summary["frontier"] == [(2e12, 33.9, "features8", 2000), (1e13, 36.0, "features16", 1000)]
  assert summary["fit"]["b"] == pytest.approx(2.1 / math.log10(5))
  assert json.loads((sweep_dir / "fit.json").read_text())["frontier_of"] == "runs"
  assert "each at its best value and the compute of its whole" in (sweep_dir / "report.md").read_text()
  assert report.main([str(sweep_dir), "--frontier", "runs", "--predict_flops", "1e13"]) == 0
  assert "at C = 1.000e+13 FLOPs: 36.000 dB" in capsys.readouterr().out


def test_a_metric_no_run_logged_is_no_column(tmp_path):
  y_only = {"step": 10, "time": 1.0, "val/Set5/psnr_y": 30.0, "val/Set5/ssim_y": 0.9}
  make_run(tmp_path, "a", 1e9, 100, [y_only], features=8)
  make_run(tmp_path, "b", 2e9, 200, [{**y_only, "val/Set5/psnr_y": 31.0}], features=16)
  columns = report.report(tmp_path)["columns"]
  assert "best/Set5/psnr_y" in columns and "best/Set5/ssim_y" in columns
  assert "best/Set5/psnr_rgb" not in columns
