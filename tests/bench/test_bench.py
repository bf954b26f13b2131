"""The step benchmark CLI at tiny shapes (EDSR-baseline ×4, batch 2, LR 8): fields, FLOPs, table."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

from sr_jax import host_malloc

REPO = pathlib.Path(__file__).resolve().parents[2]
# The analytic count leaves out elementwise work (ReLU, Adam, EMA, L1) that XLA counts: a few
# per cent of an EDSR step at LR 8, less at larger patches. It can never exceed XLA's.
FLOPS_TOLERANCE = 0.05


def _bench(run_cli, tmp_path, *extra):
  out, table = tmp_path / "bench.json", tmp_path / "RESULTS.md"
  proc = run_cli("sr_jax.bench", "--config=configs/edsr.py:x4", "--config.data.source=skimage",
                 "--config.data.dirs=('',)", "--batch=2", "--patch=8", "--steps=2", "--rounds=3",
                 "--warmup=1", f"--json={out}", f"--results={table}", "--compilation_cache=",
                 *extra)
  assert proc.returncode == 0, proc.stderr[-2000:]
  return json.loads(out.read_text()), table.read_text()


def test_measures_the_real_step_and_appends_a_row(tmp_path, run_cli):
  r, table = _bench(run_cli, tmp_path)
  assert (r["model"], r["batch"], r["lr_patch"], r["scale"]) == ("edsr", 2, 8, 4)
  assert r["overrides"] == ["--config.data.source=skimage", "--config.data.dirs=('',)"]
  assert set(r["step"]) == {"random", "real"}
  for s in r["step"].values():
    assert len(s["rounds"]) == 3 and s["steps_per_s"] == sorted(s["rounds"])[1]  # the median
    assert s["steps_per_s"] > 0 and s["patches_per_s"] == pytest.approx(2 * s["steps_per_s"])
    assert s["tflops_per_s"] == pytest.approx(s["steps_per_s"] * r["flops"]["analytic_step"] / 1e12)
  assert r["real_over_random"] == pytest.approx(
      r["step"]["real"]["steps_per_s"] / r["step"]["random"]["steps_per_s"])
  assert r["compile_s"] > r["lower_s"] > 0 and r["input_patches_per_s"] > 0
  f = r["flops"]
  assert 1 - FLOPS_TOLERANCE < f["analytic_over_xla"] <= 1
  assert 2.9 * f["analytic_forward"] < f["analytic_step"] < 3.1 * f["analytic_forward"]
  assert r["versions"]["jax"] and r["compilation_cache"] is None and "torch" not in r
  assert all(len(r["load_average"][k]) == 3 for k in ("before", "after"))
  assert r["malloc"] == host_malloc.to_set(os.environ)  # what `import sr_jax` set (CPU: all)
  lines = table.splitlines()
  assert lines[-1].startswith("| ") and lines[-1].count("|") == lines[-3].count("|") == 19
  assert "configs/edsr.py:x4 --config.data.source=skimage" in lines[-1]
  assert lines[-1].endswith(f" | 3 × 2, {r['load_average']['before'][0]:.2f}/"
                            f"{r['load_average']['after'][0]:.2f} |")


def test_a_plain_run_writes_no_file(tmp_path, run_cli):
  before = sorted(p.name for p in tmp_path.iterdir())
  proc = run_cli("sr_jax.bench", f"--config={REPO / 'configs' / 'edsr.py'}:x4",
                 "--config.data.source=skimage", "--config.data.dirs=('',)",
                 "--config.model.num_blocks=1", "--batch=1", "--patch=8", "--steps=1",
                 "--rounds=1", "--warmup=0", "--data=random", "--compilation_cache=", cwd=tmp_path)
  assert proc.returncode == 0, proc.stderr[-2000:]
  assert sorted(p.name for p in tmp_path.iterdir()) == before
  assert "load average (1/5/15 min) before" in proc.stdout


@pytest.mark.torch
def test_torch_ratios_come_from_the_same_run(tmp_path, run_cli):
  pytest.importorskip("torch", reason="[ci-step:torch] needs PyTorch")
  r, table = _bench(run_cli, tmp_path, "--torch", "--torch_variants=fp32", "--data=random", "--steps=1")
  assert set(r["step"]) == {"random"} and set(r["torch"]) == {"fp32"}
  t = r["torch"]["fp32"]
  assert len(t["rounds"]) == 3 and t["steps_per_s"] == sorted(t["rounds"])[1]
  assert t["params"] > 1_000_000 and t["steps_per_s"] > 0
  assert t["jax_over_torch"] == pytest.approx(r["step"]["random"]["steps_per_s"] / t["steps_per_s"])
  assert f"| {t['jax_over_torch']:.2f} | - | - | 3 × 1, " in table


def test_torch_flag_without_torch_fails_in_one_line():
  hide_torch = ("import runpy, sys; sys.modules['torch'] = None; sys.argv = sys.argv[1:]; "
                "runpy.run_module('sr_jax.bench', run_name='__main__')")
  proc = subprocess.run([sys.executable, "-c", hide_torch, "bench", "--config=configs/edsr.py:x4",
                         "--torch", "--results="], cwd=REPO, capture_output=True, text=True)
  assert proc.returncode == 1
  assert proc.stderr.strip().splitlines()[-1] == (
      "error: --torch needs torch: pip install 'sr_jax[bench]'")
