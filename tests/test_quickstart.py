"""The README's first command, shortened: it trains, beats bicubic, and says so in its summary."""
import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # end to end in a subprocess: CI's slow step


def test_quickstart_command_beats_bicubic_without_tensorflow_or_noise(tmp_path):
  env = {**os.environ, "JAX_PLATFORMS": ""}  # as a user's shell: JAX probes for accelerators
  result = subprocess.run(
      [sys.executable, "-X", "importtime", "-m", "sr_jax.main", "--config=quickstart",
       f"--workdir={tmp_path}", "--config.train.num_steps=80", "--config.train.eval_every=80",
       "--config.train.checkpoint_every=80", "--config.train.log_every=40"],
      capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900)
  assert result.returncode == 0, result.stderr[-3000:]
  imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
              if line.startswith("import time:")]
  assert "tensorboardX" in imported and not [m for m in imported if m.startswith("tensorflow")]
  log = [line for line in result.stderr.splitlines() if not line.startswith("import time:")]
  assert not [line for line in log if re.search(r"libtpu|oneDNN|fontManager|backend 'tpu'",
                                                line)], log
  progress = [line for line in log if " | loss " in line]
  assert [re.search(r"step (\d+)/80", line).group(1) for line in progress] == ["40", "80"]
  assert all("steps/s | ETA" in line for line in progress)
  best, bicubic = map(float, re.search(r"skimage\s+([\d.]+) dB / [\d.]+ \(step 80\)\s+bicubic\s+"
                                        r"([\d.]+) dB", result.stdout).groups())
  assert best >= bicubic + 0.15, result.stdout
  assert f"python -m sr_jax.upscale --workdir={tmp_path}" in result.stdout
