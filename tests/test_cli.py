"""Every command line answers bad input with one `error:` line naming it, before compiling."""
import os
import subprocess
import sys

import pytest

from sr_jax import cli

REPO = cli.__file__.rsplit("/sr_jax/", 1)[0]

MISSING = "/nonexistent/sr_jax_missing"

# (module and arguments, text the error line must contain)
BAD_INPUTS = [
    (["sr_jax.main", f"--config={MISSING}.py", "--workdir=W"], f"{MISSING}.py"),
    (["sr_jax.main", "--config=configs/edsr.py:x5", "--workdir=W"], "x5"),
    (["sr_jax.main", "--config=configs/edsr.py", "--workdir=W", "--config.train.batchsize=2"],
     "--config.train.batchsize"),
    (["sr_jax.main", "--config=configs/edsr.py", "--workdir=W", "--config.data.source=folder",
      f"--config.data.dirs={MISSING}"], MISSING),
    (["sr_jax.main", "--config=configs/edsr.py", "--workdir=W", "--config.scale=5"],
     "config.scale"),
    (["sr_jax.evaluate", f"--hr_dir={MISSING}", "--baseline=bicubic", "--scale=4"], MISSING),
    (["sr_jax.evaluate", "--hr_dir=skimage:astronaut", f"--workdir={MISSING}"], MISSING),
    (["sr_jax.convert", f"--src={MISSING}.pth", "--dst=D"], f"{MISSING}.pth"),
    (["sr_jax.bench", f"--config={MISSING}.py"], f"{MISSING}.py"),
    (["sr_jax.bench.input", f"--config={MISSING}.py"], f"{MISSING}.py"),
    (["sr_jax.bench.inference", f"--workdir={MISSING}"], MISSING),
    (["sr_jax.zoo", "--models=edsrr"], "edsrr"),
    (["sr_jax.data.prepare", MISSING, "--out=O"], MISSING),
    (["sr_jax.tools.jpeg_compare", f"--hr_dir={MISSING}"], MISSING),
    (["sr_jax.tools.vgg", f"--convert={MISSING}.pth"], f"{MISSING}.pth"),
    (["sr_jax.metrics.niqe", f"{MISSING}.png"], f"{MISSING}.png"),
    (["sr_jax.sweep", f"--config={MISSING}.py", "--grid=model.features=8", "--workdir=W",
      "--launch=print"], f"{MISSING}.py"),
    (["sr_jax.sweep.report", MISSING], MISSING),
    (["sr_jax.upscale", f"--workdir={MISSING}", "--input=docs/study/cpu_study_params.png",
      "--output=O"], MISSING),
    (["sr_jax.upscale", "--workdir=W", f"--input={MISSING}", "--output=O"], MISSING),
    (["sr_jax.export", f"--workdir={MISSING}", "--out=O"], MISSING),
    (["sr_jax.compare", f"--hr={MISSING}.png", "--scale=4", "--workdir=W", "--out=O"],
     f"{MISSING}.png"),
    (["sr_jax.data.check", MISSING], MISSING),
]


@pytest.mark.parametrize("argv,named", BAD_INPUTS, ids=lambda a: " ".join(a)[:60]
                         if isinstance(a, list) else None)
def test_bad_input_is_one_error_line(argv, named, tmp_path, run_cli):
  env = {**os.environ, "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3"}
  argv = [a.replace("=W", f"={tmp_path}/w").replace("=D", f"={tmp_path}/d")
          .replace("=O", f"={tmp_path}/o") for a in argv]
  result = run_cli(*argv, env=env)
  assert result.returncode != 0
  assert "Traceback" not in result.stderr, result.stderr[-2000:]
  errors = [line for line in result.stderr.splitlines() if "error:" in line]
  assert len(errors) == 1 and named in errors[0], result.stderr[-2000:]


def test_a_new_interpreter_gives_the_same_line(tmp_path):
  """The fork server (tests/forked_cli.py) against a real `python -m`, for one command."""
  result = subprocess.run([sys.executable, "-m", "sr_jax.main", "--config=configs/edsr.py",
                           f"--workdir={tmp_path}/w", "--config.scale=5"],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
  errors = [line for line in result.stderr.splitlines() if "error:" in line]
  assert result.returncode == 1 and "Traceback" not in result.stderr
  assert errors == ["error: config.scale: must be 2, 3, 4 or 8, got 5"], result.stderr[-2000:]
