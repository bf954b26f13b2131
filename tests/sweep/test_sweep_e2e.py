"""End to end on CPU: a 2-point sweep of tiny EDSR runs on ../shared/data, then the report."""
import csv
import json
import pathlib
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # end to end in subprocesses: CI's slow step

REPO = pathlib.Path(__file__).resolve().parents[2]
TINY = ["train.num_steps=2", "train.batch_size=2", "data.hr_patch=16", "model.num_blocks=1",
        "train.log_every=1", "train.eval_every=1", "train.checkpoint_every=2",
        "val.num_logged_images=0", "val.pad_multiple=128"]


def sweep(workdir, data, launch="local"):
  """configs/edsr.py trains on T91 + BSD200 and validates on Set5 and Set14."""
  argv = [sys.executable, "-m", "sr_jax.sweep", "--config=configs/edsr.py:x2",
          "--grid=model.features=4,8", f"--workdir={workdir}", f"--launch={launch}",
          "--set", f"data.dirs=('{data('T91', 'HR')}',)",
          "--set", f"val.sets.Set5={data('Set5', 'HR')}",
          "--set", f"val.sets.Set14={data('Set5', 'HR')}"]  # Set5 twice: a shorter test
  for item in TINY:
    argv += ["--set", item]
  return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(not (REPO / "sr_jax" / "main.py").exists(), reason="no sr_jax/main.py")
def test_two_point_sweep_and_report(tmp_path, shared_data):
  result = sweep(tmp_path, shared_data)
  assert result.returncode == 0, result.stderr[-3000:]
  for name in ("features4", "features8"):
    assert (tmp_path / name / "DONE").exists()
    assert (tmp_path / name / "run_info.json").exists()

  again = sweep(tmp_path, shared_data, launch="print")  # both finished: nothing left to launch
  assert again.returncode == 0 and again.stdout == ""
  assert again.stderr.count("# skip") == 2

  report = subprocess.run([sys.executable, "-m", "sr_jax.sweep.report", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
  assert report.returncode == 0, report.stderr[-3000:]
  assert "2 runs" in report.stdout and "fit" in report.stdout  # a fit needs 2 frontier points

  rows = list(csv.DictReader(open(tmp_path / "report.csv")))
  assert [r["run"] for r in rows] == ["features4", "features8"]
  assert [r["model.features"] for r in rows] == ["4", "8"]
  params = [int(r["num_params"]) for r in rows]
  assert 0 < params[0] < params[1]
  for r in rows:
    assert int(r["steps"]) == 2 and r["done"] == "True"
    assert float(r["train_flops"]) == pytest.approx(2 * float(r["train_flops_per_step"]))
    assert float(r["train_flops"]) > 0 and float(r["wall_time_s"]) >= 0
    assert 0 < float(r["best/Set5/psnr_y"]) < 60 and 0 < float(r["best/Set5/ssim_y"]) <= 1
  fit = json.loads((tmp_path / "fit.json").read_text())
  assert fit["metric"] == "Set5/psnr_y" and fit["frontier"]
  md = (tmp_path / "report.md").read_text()
  assert "| features8 |" in md
  for png in ("psnr_vs_params.png", "psnr_vs_compute.png", "learning_curves.png"):
    data = (tmp_path / png).read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000
