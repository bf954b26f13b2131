"""Two processes on one machine (localhost coordinator, CPU collectives) train, checkpoint
and resume to the same parameters as one process with the same global batch and seed."""
import os
import pathlib
import socket
import subprocess
import sys

import jax
import numpy as np
import pytest

from sr_jax.train import checkpoint

pytestmark = pytest.mark.slow  # end to end in subprocesses: CI's slow step

REPO = pathlib.Path(__file__).resolve().parents[2]
TINY = ["--config=configs/quickstart.py", "--config.train.log_every=2",
        "--config.train.eval_every=2", "--config.train.checkpoint_every=2",
        "--config.data.hr_patch=16", "--config.model.num_blocks=1", "--config.model.features=8",
        "--config.train.batch_size=4", "--config.data.read_threads=1",
        "--config.val.sets.skimage=skimage:color"]


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(("localhost", 0))
    return s.getsockname()[1]


def _run(workdir, steps, processes):
  env = dict(os.environ, JAX_PLATFORMS="cpu")
  args = [sys.executable, "-m", "sr_jax.main", *TINY, f"--workdir={workdir}",
          f"--config.train.num_steps={steps}"]
  if processes == 1:
    subprocess.run(args, env=env, cwd=REPO, check=True, capture_output=True, timeout=300)
    return
  port = _free_port()
  procs = [subprocess.Popen(args + [f"--coordinator_address=localhost:{port}",
                                    f"--num_processes={processes}", f"--process_id={i}"],
                            env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True) for i in range(processes)]
  logs = [p.communicate(timeout=300)[0] for p in procs]
  assert all(p.returncode == 0 for p in procs), logs[0][-3000:] + logs[-1][-3000:]
  assert "process 1/2, 2 devices" in logs[1]


def test_two_processes_with_resume_match_one(tmp_path):
  _run(tmp_path / "one", 4, processes=1)
  _run(tmp_path / "two", 2, processes=2)
  _run(tmp_path / "two", 4, processes=2)  # the same command resumes from step 2
  _, one, _ = checkpoint.load_run(str(tmp_path / "one"))
  _, two, step = checkpoint.load_run(str(tmp_path / "two"))
  assert step == 4
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5),
               one["params"], two["params"])
  # Only process 0 writes logs.
  assert len(list((tmp_path / "two").glob("events.out.tfevents.*"))) == 2  # one per run
