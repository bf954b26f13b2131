"""The evaluate CLI's benchmark LR protocols: DN is reproducible (fixed noise seed) and not BI."""
import json
import os

import numpy as np
from PIL import Image


def _evaluate(run_cli, hr_dir, out, degradation):
  proc = run_cli("sr_jax.evaluate", f"--hr_dir={hr_dir}", "--scale=2", "--baseline=bicubic",
                 f"--degradation={degradation}", f"--json={out}")
  assert proc.returncode == 0, proc.stderr[-2000:]
  return json.loads(out.read_text())["results"][0]["metrics"]["psnr_y"]


def test_dn_is_deterministic_and_differs_from_bicubic(tmp_path, run_cli):
  y, x = np.mgrid[0:48, 0:64]
  img = np.stack([x * 4, y * 5, 128 + 100 * np.sin((x + y) / 5)], -1).astype(np.uint8)
  (tmp_path / "hr").mkdir()
  Image.fromarray(img).save(tmp_path / "hr" / "ramp.png")
  first, second, bicubic = (_evaluate(run_cli, tmp_path / "hr", tmp_path / f"{i}.json", d)
                            for i, d in enumerate(("dn", "dn", "bicubic")))
  assert first == second
  assert bicubic - first > 3  # σ=30 noise costs the bicubic baseline several dB


def test_niqe_beside_psnr_and_missing_lpips_weights_in_one_line(tmp_path, shared_data, run_cli):
  env = {**os.environ, "SR_JAX_CACHE": str(tmp_path / "cache")}
  run = lambda *flags: run_cli("sr_jax.evaluate", f"--hr_dir={shared_data('Set5', 'HR')}",
                               "--scale=4", "--baseline=bicubic", *flags, env=env)
  proc = run("--metrics=psnr,ssim,niqe", f"--json={tmp_path / 'out.json'}")
  mean = json.loads((tmp_path / "out.json").read_text())["results"][0]["metrics"]
  assert proc.returncode == 0 and abs(mean["psnr_y"] - 28.42) < 0.05  # published bicubic ×4
  assert 5 < mean["niqe"] < 15  # bicubic blur: far from the pristine model's ~3
  proc = run("--metrics=psnr,lpips", "--lpips_net=alex")
  assert proc.returncode != 0
  last = proc.stderr.strip().splitlines()[-1]
  assert "lpips_alex.npz" in last and "--lpips=alex --fetch" in last
  assert "Traceback" not in proc.stderr
