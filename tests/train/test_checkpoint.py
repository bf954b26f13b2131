"""Checkpoints and workdirs: failed and partial saves never replace the last complete
checkpoint; unwritable or too-full workdirs and runs of another architecture fail in one line
before anything compiles (training, `init_from`, evaluation)."""
import dataclasses
import importlib.util
import os
import pathlib
import shutil

import flax.linen as nn
import grain
import jax
import numpy as np
import optax
import pytest

from sr_jax.config import ConfigError
from sr_jax.train import checkpoint, step as step_lib, trainer
from sr_jax.train.modes import adversarial as gan_lib

REPO = pathlib.Path(__file__).resolve().parents[2]


def _quickstart(**model):
  spec = importlib.util.spec_from_file_location("quickstart", REPO / "configs" / "quickstart.py")
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  config = module.get_config()
  config.model.update(model)
  return config


def _state(value: float):
  return {"params": {"w": np.full(3, value, np.float32)}, "ema_params": None, "model_state": {}}


def _fake_run(workdir, **model):
  """A run as sr_jax.convert writes one: quickstart's config (changed by `model`) and params."""
  ckpt = checkpoint.Checkpointer(str(workdir), _quickstart(**model))
  ckpt.save(0, _state(1.0), None, force=True)
  ckpt.close()


def _one_error_line(proc) -> str:
  lines = proc.stderr.strip().splitlines()
  assert proc.returncode != 0 and lines, proc.stderr
  assert [l for l in lines if l.startswith("error:")] == lines[-1:], proc.stderr[-3000:]
  assert "Compiled" not in proc.stderr
  return lines[-1]


def _main(run_cli, *flags):
  return run_cli("sr_jax.main", "--config=configs/quickstart.py", "--compilation_cache=", *flags,
                 env=dict(os.environ, JAX_PLATFORMS="cpu"))


def test_check_matches_names_the_run_and_both_values():
  saved = _quickstart(features=16)
  checkpoint.check_matches("w", saved, checkpoint.architecture(_quickstart(features=16)), "x")
  # How it computes is not what it is: dtype and block compilation may change on resume.
  checkpoint.check_matches("w", saved, checkpoint.architecture(
      _quickstart(features=16, dtype="bfloat16", scan_mode="loop")), "x")
  with pytest.raises(ConfigError, match=r"^w holds a run with model.features=16, but x asks "
                     r"for model.features=32$"):
    checkpoint.check_matches("w", saved, checkpoint.architecture(_quickstart()), "x")
  with pytest.raises(ConfigError, match=r"^w holds a run with scale=2, but --scale asks for "
                     r"scale=4$"):
    checkpoint.check_matches("w", saved, {"scale": 4}, "--scale")
  other = _quickstart(name="rcan", num_groups=2)
  with pytest.raises(ConfigError, match=r"with model.name='edsr', but x asks for "
                     r"model.name='rcan'$"):  # not every kwarg of two different models
    checkpoint.check_matches("w", saved, checkpoint.architecture(other), "x")


def test_resuming_another_architecture_fails_in_one_line(tmp_path, run_cli):
  _fake_run(tmp_path / "run", features=16)
  line = _one_error_line(_main(run_cli, f"--workdir={tmp_path / 'run'}"))
  assert line == (f"error: {tmp_path / 'run'} holds a run with model.features=16, but the config "
                  "asks for model.features=32")


def test_init_from_another_architecture_fails_in_one_line(tmp_path, run_cli):
  _fake_run(tmp_path / "source", num_blocks=2, bicubic_skip=False)
  line = _one_error_line(_main(run_cli, f"--workdir={tmp_path / 'run'}",
                               f"--config.init_from={tmp_path / 'source'}"))
  assert line == (f"error: init_from={tmp_path / 'source'} holds a run with "
                  "model.bicubic_skip=False, model.num_blocks=2, but the config asks for "
                  "model.bicubic_skip=True, model.num_blocks=4")
  assert not (tmp_path / "run" / "checkpoints").exists()


def test_evaluate_with_another_scale_fails_in_one_line(tmp_path, run_cli):
  _fake_run(tmp_path / "run")
  proc = run_cli("sr_jax.evaluate", "--hr_dir=skimage:coffee", f"--workdir={tmp_path / 'run'}",
                 "--scale=4")
  assert _one_error_line(proc) == (f"error: {tmp_path / 'run'} holds a run with scale=2, but "
                                   "--scale asks for scale=4")


def test_failed_save_is_reported_and_the_previous_checkpoint_restores(tmp_path, monkeypatch):
  config = _quickstart()
  data_iter = iter(grain.MapDataset.range(8).to_iter_dataset())
  ckpt = checkpoint.Checkpointer(str(tmp_path), config)
  ckpt.save(1, _state(1.0), data_iter)

  def disk_full(*args, **kwargs):
    raise OSError(28, "No space left on device")
  monkeypatch.setattr(grain.checkpoint.CheckpointHandler, "save", disk_full)
  with pytest.raises(checkpoint.WorkdirError, match=r"saving a checkpoint failed \(.*No space "
                     r"left on device\); the latest complete one \(step 1\) is intact"):
    ckpt.save(2, _state(2.0), data_iter)
  ckpt.close()
  _, state, step = checkpoint.load_run(str(tmp_path))
  assert step == 1 and np.array_equal(state["params"]["w"], np.full(3, 1.0, np.float32))


def test_partial_checkpoint_is_ignored_and_removed(tmp_path):
  """A process killed mid-save leaves `<step>.orbax-checkpoint-tmp`: never restored."""
  config = _quickstart()
  ckpt = checkpoint.Checkpointer(str(tmp_path), config)
  ckpt.save(1, _state(1.0), None, force=True)
  ckpt.close()
  partial = checkpoint.checkpoint_dir(tmp_path) / "2.orbax-checkpoint-tmp"
  shutil.copytree(checkpoint.checkpoint_dir(tmp_path) / "1", partial)
  for f in list(pathlib.Path(partial, "state").rglob("*"))[::2]:
    if f.is_file():
      f.unlink()
  _, state, step = checkpoint.load_run(str(tmp_path))
  assert step == 1 and np.array_equal(state["params"]["w"], np.full(3, 1.0, np.float32))
  ckpt = checkpoint.Checkpointer(str(tmp_path), config)  # a resumed run: deletes it, saves anew
  assert ckpt.latest_step() == 1
  ckpt.save(2, _state(2.0), None)
  ckpt.close()
  _, state, step = checkpoint.load_run(str(tmp_path))
  assert step == 2 and np.array_equal(state["params"]["w"], np.full(3, 2.0, np.float32))
  assert sorted(p.name for p in checkpoint.checkpoint_dir(tmp_path).iterdir()) == ["1", "2"]


def _never_compiled(monkeypatch):
  """trainer.setup, with a train step that fails the test if it is compiled; returns the runs."""
  runs, real = [], trainer.setup

  class NotCompiled:
    def lower(self, *args):
      raise AssertionError("the train step was compiled")

  def setup(config):
    runs.append(real(config))
    runs[-1].train_step = NotCompiled()
    return runs[-1]
  monkeypatch.setattr(trainer, "setup", setup)
  return runs


def test_unwritable_workdir_fails_before_compiling(tiny_config, tmp_path, monkeypatch):
  runs = _never_compiled(monkeypatch)
  (tmp_path / "file").write_text("")  # read-only even for root: a path under a regular file
  workdir = tmp_path / "file" / "run"
  with pytest.raises(checkpoint.WorkdirError, match=rf"^{workdir}: not writable \(Not a "
                     r"directory\)$"):
    trainer.train_and_evaluate(tiny_config, str(workdir))
  assert not runs  # nothing built


def test_full_disk_fails_before_compiling(tiny_config, tmp_path, monkeypatch):
  runs = _never_compiled(monkeypatch)
  usage = shutil.disk_usage(tmp_path)
  monkeypatch.setattr(checkpoint.shutil, "disk_usage",
                      lambda path: usage._replace(free=1500))
  with pytest.raises(checkpoint.WorkdirError) as error:
    trainer.train_and_evaluate(tiny_config, str(tmp_path))
  one = sum(x.nbytes for x in jax.tree.leaves(runs[0].state))
  copies = tiny_config.train.keep_checkpoints + tiny_config.train.keep_best + 1
  assert str(error.value) == (
      f"{tmp_path}: 1.5 kB free, but {copies} checkpoints of {one / 1000:.1f} kB (train."
      f"keep_checkpoints + train.keep_best + 1 being written) need {copies * one / 1000:.1f} kB "
      "more")
  monkeypatch.setattr(checkpoint.shutil, "disk_usage",
                      lambda path: usage._replace(free=copies * one))
  checkpoint.check_free_space(str(tmp_path), runs[0].state, tiny_config.train)  # just enough


@pytest.mark.parametrize("gan", [False, True])
def test_checkpoint_from_before_lr_scale_restores_with_lr_scale_one(tmp_path, gan):
  """Runs saved before TrainState.lr_scale existed still resume (at the learning rate they had)."""
  state = step_lib.init_state(nn.Dense(3), optax.adam(1e-3), (1, 3), seed=0, use_ema=True)
  state = state.replace(lr_scale=state.lr_scale * 0.25)
  if gan:
    state = gan_lib.GanState(**{f.name: getattr(state, f.name) for f in dataclasses.fields(state)},
                             disc_params={"w": np.ones(2, np.float32)})
  old = {f.name: getattr(state, f.name) for f in dataclasses.fields(state) if f.name != "lr_scale"}
  ckpt = checkpoint.Checkpointer(str(tmp_path), _quickstart())
  ckpt.save(1, old, None, force=True)
  ckpt.save(2, state, None, force=True)
  ckpt.manager.wait_until_finished()
  abstract = checkpoint.abstract_like(state)
  from_old, from_new = ckpt.restore(1, abstract), ckpt.restore(2, abstract)
  ckpt.close()
  assert float(from_old.lr_scale) == 1.0 and float(from_new.lr_scale) == 0.25
  assert from_old.lr_scale.sharding == from_new.lr_scale.sharding
  for restored in (from_old, from_new):
    assert type(restored) is type(state)
    assert jax.tree.structure(restored) == jax.tree.structure(state)
    jax.tree.map(np.testing.assert_array_equal, restored.opt_state, state.opt_state)
