"""The input benchmark CLI at tiny shapes: every path measured, rates positive, JSON written."""
import json
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_cli_writes_positive_rates(tmp_path):
  out = tmp_path / "input.json"
  proc = subprocess.run([sys.executable, "-m", "sr_jax.bench.input", "--config=configs/quickstart.py",
                         "--config.data.degradation=realesrgan", "--config.degradation.crop_pad_size=48",
                         "--hr_patch=32", "--batch_size=2",
                         "--steps=2", "--workers=1", f"--json={out}"],
                        cwd=REPO, capture_output=True, text=True, check=True)
  result = json.loads(out.read_text())
  rates = result["patches_per_sec"]
  assert set(rates) == {"host_per_worker", "host_total", "device_path_host_total",
                        "device_path_device"}
  assert all(rate > 0 for rate in rates.values())
  assert (result["hr_patch"], result["batch_size"], result["workers"]) == (32, 2, 1)
  assert "device_path_device" in proc.stdout
