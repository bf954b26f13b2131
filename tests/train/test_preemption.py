"""`python -m sr_jax.main` killed and resumed: preemption (SIGTERM) and hard kills (SIGKILL)
leave a run that resumes to the uninterrupted run's parameters, bit for bit.

The runs are real subprocesses of the CLI, with TensorFlow hidden: importing it is ~20 s of
each start on a loaded CPU, and what these tests read (metrics.jsonl, checkpoints) does not
come from it. They share one XLA compilation cache, so only the first run compiles.
"""
import json
import os
import pathlib
import random
import signal
import socket
import subprocess
import sys
import time

import jax
import numpy as np
import pytest

from sr_jax.train import checkpoint

pytestmark = pytest.mark.slow  # end to end in subprocesses: CI's slow step

REPO = pathlib.Path(__file__).resolve().parents[2]
NUM_STEPS = 20
# The CLI as `python -m sr_jax.main` runs it, with `import tensorflow` failing.
MAIN = ("import runpy, sys; sys.modules['tensorflow'] = None; "
        "runpy.run_module('sr_jax.main', run_name='__main__', alter_sys=True)")
@pytest.fixture(scope="module")
def tiny(tmp_path_factory, write_tiny_config):
  """(config file, compilation cache dir) for seconds-long runs that log every step and save
  only when stopped, unless a test overrides checkpoint_every."""
  root = tmp_path_factory.mktemp("tiny")
  config = write_tiny_config(root, {"train.num_steps": NUM_STEPS, "train.log_every": 1,
                                    "train.eval_every": 1000, "train.checkpoint_every": 1000})
  return config, root / "xla_cache"


def _start(tiny, workdir, *flags):
  config, cache = tiny
  return subprocess.Popen(
      [sys.executable, "-c", MAIN, f"--config={config}", f"--workdir={workdir}",
       f"--compilation_cache={cache}", *flags], cwd=REPO, stdout=subprocess.DEVNULL,
      stderr=subprocess.PIPE, text=True, env=dict(os.environ, JAX_PLATFORMS="cpu"))


def _finish(proc) -> str:
  stderr = proc.communicate(timeout=120)[1]
  assert proc.returncode == 0, stderr[-3000:]
  return stderr


@pytest.fixture(scope="module")
def reference(tiny, tmp_path_factory):
  """An uninterrupted run's workdir. It fills the compilation cache the other runs load."""
  workdir = tmp_path_factory.mktemp("reference")
  _finish(_start(tiny, workdir))
  assert (workdir / "DONE").exists()
  return workdir


def _train_rows(workdir) -> dict:
  """{step: train/* scalars}; a step logged twice (replayed after a hard kill) keeps its last."""
  rows = {}
  path = workdir / "metrics.jsonl"
  for line in (path.read_text().splitlines() if path.exists() else []):
    try:
      row = json.loads(line)
    except json.JSONDecodeError:  # a line being written
      continue
    if "train/loss" in row:
      rows[row["step"]] = {k: v for k, v in row.items() if k.startswith("train/")}
  return rows


def _wait_for_step(proc, workdir, step: int):
  while max(_train_rows(workdir), default=0) < step:
    assert proc.poll() is None, f"exited before step {step}: {proc.communicate()[1][-3000:]}"
    time.sleep(0.02)


def _assert_same_run(workdir, reference_dir):
  (_, state, step), (_, expected, expected_step) = (checkpoint.load_run(str(workdir)),
                                                    checkpoint.load_run(str(reference_dir)))
  assert step == expected_step == NUM_STEPS
  for key in ("params", "ema_params", "opt_state"):
    assert jax.tree.all(jax.tree.map(np.array_equal, state[key], expected[key])), key
  rows, expected_rows = _train_rows(workdir), _train_rows(reference_dir)
  assert sorted(rows) == list(range(1, NUM_STEPS + 1))
  assert rows == expected_rows


def test_sigterm_saves_exits_0_and_resumes_exactly(tiny, reference, tmp_path):
  rng = random.Random(0)
  workdir, stops = tmp_path / "run", []
  while len(stops) < 3:
    proc = _start(tiny, workdir)
    target = (stops[-1] if stops else 0) + rng.randint(1, 3)
    _wait_for_step(proc, workdir, target)
    proc.send_signal(signal.SIGTERM)
    lines = _finish(proc).splitlines()
    stopped = [int(l.split()[3][:-1]) for l in lines if l.startswith("preempted at step ")]
    assert len(stopped) == 1 and stopped[0] >= target, lines[-5:]
    assert (f"preempted at step {stopped[0]}: checkpoint saved; re-run the same command to "
            "resume") in lines
    assert checkpoint.load_run(str(workdir))[2] == stopped[0]  # saved and committed
    assert not (workdir / "DONE").exists()
    stops.append(stopped[0])
  _finish(_start(tiny, workdir))  # the same command, to the end
  assert (workdir / "DONE").exists()
  _assert_same_run(workdir, reference)


def test_sigkill_mid_save_resumes_from_last_complete_checkpoint(tiny, reference, tmp_path):
  workdir = tmp_path / "run"
  every_step = "--config.train.checkpoint_every=1"  # a save is always in flight
  proc = _start(tiny, workdir, every_step)
  _wait_for_step(proc, workdir, 4)
  time.sleep(random.Random(1).uniform(0, 0.5))
  proc.kill()
  proc.wait()
  names = [p.name for p in (workdir / "checkpoints").iterdir()]
  latest = checkpoint.load_run(str(workdir))[2]  # a complete checkpoint restores
  assert str(latest) in names and 1 <= latest < NUM_STEPS, names
  assert all(n.isdigit() or ".orbax-checkpoint-tmp" in n for n in names), names
  _finish(_start(tiny, workdir, every_step))
  assert not any(".orbax-checkpoint-tmp" in p.name for p in (workdir / "checkpoints").iterdir())
  _assert_same_run(workdir, reference)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_two_processes_stop_at_the_same_step(tiny, tmp_path, signum):
  """A signal to one process of two stops both after the same step: SIGTERM through JAX's
  preemption sync manager (Orbax's reached_preemption), SIGINT through the all-gather at log
  steps."""
  with socket.socket() as s:
    s.bind(("localhost", 0))
    port = s.getsockname()[1]
  procs = [_start(tiny, tmp_path, "--config.train.log_every=2", "--config.train.num_steps=40",
                  f"--coordinator_address=localhost:{port}", "--num_processes=2",
                  f"--process_id={i}") for i in range(2)]
  try:
    _wait_for_step(procs[0], tmp_path, 4)
    procs[1].send_signal(signum)
    stops = [[l for l in _finish(p).splitlines() if l.startswith("preempted at step ")]
             for p in procs]
  finally:
    for p in procs:
      if p.poll() is None:
        p.kill()
  assert stops[0] == stops[1] and len(stops[0]) == 1, stops
  step = int(stops[0][0].split()[3][:-1])
  assert 4 <= step < 40 and checkpoint.load_run(str(tmp_path))[2] == step
