"""The training loop end to end: resume is exact, checkpoints and logs hold what they should."""
import json
import signal

import jax
import numpy as np
import pytest

from sr_jax.config import default_config
from sr_jax.train import checkpoint, summary, trainer


def _params(workdir):
  _, state, step = checkpoint.load_run(str(workdir))
  return step, state


def test_stop_and_resume_equals_uninterrupted(tiny_config, tmp_path):
  straight = tiny_config.copy_and_resolve_references()
  trainer.train_and_evaluate(straight, str(tmp_path / "straight"))

  first_half = tiny_config.copy_and_resolve_references()
  first_half.train.num_steps = 2
  trainer.train_and_evaluate(first_half, str(tmp_path / "resumed"))
  trainer.train_and_evaluate(tiny_config, str(tmp_path / "resumed"))  # same command, resumes

  (step_a, a), (step_b, b) = _params(tmp_path / "straight"), _params(tmp_path / "resumed")
  assert step_a == step_b == 4
  jax.tree.map(np.testing.assert_array_equal, a["params"], b["params"])
  jax.tree.map(np.testing.assert_array_equal, a["opt_state"], b["opt_state"])
  jax.tree.map(np.testing.assert_array_equal, a["ema_params"], b["ema_params"])


def test_run_writes_checkpoints_metrics_and_run_info(tiny_config, tmp_path):
  tiny_config.train.num_steps = 6
  tiny_config.train.keep_checkpoints = 1
  scalars = trainer.train_and_evaluate(tiny_config, str(tmp_path))
  rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
  train_rows = [r for r in rows if "train/loss" in r]
  val_rows = [r for r in rows if "val/tiny/psnr_y" in r]
  assert [r["step"] for r in train_rows] == [2, 4, 6]
  assert [r["step"] for r in val_rows] == [2, 4, 6]
  assert all(np.isfinite(r["train/loss"]) and r["train/learning_rate"] > 0 for r in train_rows)
  # The progress line's rate, its own row at every log step (timing starts after compiling, so
  # the first window has one too); it replaces an `any(...) or len(rows) >= 2` that passed
  # without it.
  rates = [(r["step"], r["steps_per_sec"]) for r in rows if "steps_per_sec" in r]
  assert [step for step, _ in rates] == [2, 4, 6] and all(rate > 0 for _, rate in rates), rates
  assert scalars["val/tiny/psnr_y"] == val_rows[-1]["val/tiny/psnr_y"]
  # Latest one plus the best by validation PSNR-Y.
  best = max(val_rows, key=lambda r: r["val/tiny/psnr_y"])["step"]
  kept = sorted(int(p.name) for p in (tmp_path / "checkpoints").iterdir() if p.name.isdigit())
  assert kept == sorted({6, best})
  info = json.loads((tmp_path / "run_info.json").read_text())
  assert info["num_params"] > 0 and info["train_flops_per_step"] > 0
  assert info["config"]["model"]["features"] == 8
  assert (tmp_path / "DONE").exists()
  assert list(tmp_path.glob("events.out.tfevents.*")), "TensorBoard events"


def _recording_fresh_init(monkeypatch):
  """A list that receives (on the host) the fresh parameters each run starts from, before any
  step: trainer.setup, wrapped."""
  fresh, real = [], trainer.setup

  def setup(config):
    run = real(config)
    fresh.append(jax.device_get(run.state.params))
    return run
  monkeypatch.setattr(trainer, "setup", setup)
  return fresh


def _far_from_init(fresh, source):
  """Every leaf of the source run's validated parameters (its EMA or raw weights,
  checkpoint.load_generator) is more than 1e-3 from `fresh`, the follow run's own fresh init: an
  init_from that copied nothing would miss by that much, 10⁶ times the 1e-9 tolerance of
  _starts_equal."""
  gaps = jax.tree.leaves(jax.tree.map(lambda a, b: float(np.abs(a - b).max()), source, fresh))
  assert min(gaps) > 1e-3, gaps


def _source_config(tiny_config):
  """Two Adam steps of 1e-2 (each moves every weight by about the learning rate) and an EMA of
  decay 0.5: its parameters sit ~1e-2 from the fresh init and ~1e-2 from the raw parameters."""
  source = tiny_config.copy_and_resolve_references()
  source.train.num_steps = 2
  source.optim.learning_rate = 1e-2
  source.train.ema_decay = 0.5
  return source


def _starts_equal(source, params):
  """The follow run trains 2 steps at learning rate 1e-12: Adam moves a weight by ≤ ~1e-12 a
  step, so its parameters are the source's validated ones to within 1e-9 (float32 rounding of
  w ± 2e-12 adds at most as much again)."""
  jax.tree.map(lambda a, b: np.testing.assert_allclose(b, a, rtol=0, atol=1e-9), source, params)


def test_init_from_copies_another_runs_params(tiny_config, tmp_path, monkeypatch):
  fresh = _recording_fresh_init(monkeypatch)
  source = _source_config(tiny_config)
  trainer.train_and_evaluate(source, str(tmp_path / "source"))
  follow = source.copy_and_resolve_references()
  follow.init_from = str(tmp_path / "source")
  follow.optim.learning_rate = 1e-12  # parameters barely move: they must start equal
  follow.train.ema_decay = 0.0
  trainer.train_and_evaluate(follow, str(tmp_path / "follow"))
  _, src, _ = checkpoint.load_generator(str(tmp_path / "source"))  # what the run validated
  _, dst = _params(tmp_path / "follow")
  _far_from_init(fresh[1], src["params"])
  _starts_equal(src["params"], dst["params"])


def _train_rows(workdir):
  """The logged train/* rows, less their wall-clock time."""
  rows = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
  return [{k: v for k, v in r.items() if k != "time"} for r in rows if "train/loss" in r]


def test_ctrl_c_finishes_the_step_saves_and_raises_preempted(tiny_config, tmp_path, monkeypatch):
  """…mid log window: the window's metrics go into the checkpoint, so the resumed run logs
  exactly what an uninterrupted one does."""
  tiny_config.train.checkpoint_every = 100
  tiny_config.train.eval_every = 100
  tiny_config.train.num_steps = 10
  tiny_config.train.log_every = 3
  real = trainer.pipeline.on_devices

  class CtrlCOnFourthBatch:
    """The real checkpointable iterator; a SIGINT arrives while the fourth batch is fetched."""

    def __init__(self, dataset):
      self._it, self._served = iter(dataset), 0

    def __iter__(self):
      return self

    def __next__(self):
      self._served += 1
      if self._served == 4:
        signal.raise_signal(signal.SIGINT)
      return next(self._it)

    def get_state(self):  # grain's checkpoint handler takes bytes from non-grain iterators
      return json.dumps(self._it.get_state()).encode()

    def set_state(self, state):
      self._it.set_state(json.loads(state))

  monkeypatch.setattr(trainer.pipeline, "on_devices",
                      lambda *a, **k: CtrlCOnFourthBatch(real(*a, **k)))
  handler = signal.getsignal(signal.SIGINT)
  with pytest.raises(trainer.Preempted, match="^preempted at step 4: checkpoint saved; re-run "
                     "the same command to resume$"):
    trainer.train_and_evaluate(tiny_config, str(tmp_path / "run"))
  assert signal.getsignal(signal.SIGINT) is handler  # restored
  assert _params(tmp_path / "run")[0] == 4  # the step under way finished, then was saved
  assert [r["step"] for r in _train_rows(tmp_path / "run")] == [3]  # step 4 is in the checkpoint
  assert not (tmp_path / "run" / "DONE").exists()

  monkeypatch.setattr(trainer.pipeline, "on_devices", real)
  trainer.train_and_evaluate(tiny_config, str(tmp_path / "run"))  # resumes
  trainer.train_and_evaluate(tiny_config, str(tmp_path / "straight"))
  resumed, straight = _train_rows(tmp_path / "run"), _train_rows(tmp_path / "straight")
  assert [r["step"] for r in straight] == [3, 6, 9, 10]
  assert resumed == straight  # the window 4-6 spans the stop; every value bit for bit


def _edsr_weights_file(tmp_path, monkeypatch, tiny_config):
  """An official-style EDSR ×3 state_dict (8 features, 1 block) as .npz, and tiny_config at ×2
  with that file's architecture."""
  from sr_jax import weights  # pylint: disable=g-import-not-at-top
  from tests.test_weights import edsr_official  # pylint: disable=g-import-not-at-top
  monkeypatch.setenv("SR_JAX_CACHE", str(tmp_path / "cache"))
  np.savez(tmp_path / "edsr_x3.npz", **edsr_official(f=8, blocks=1, scale=3))
  source = weights.run_for(str(tmp_path / "edsr_x3.npz"), "init_from")
  tiny_config.model = checkpoint.saved_config(source).model
  tiny_config.scale = 2
  tiny_config.train.num_steps = 2
  return str(tmp_path / "edsr_x3.npz"), source


def test_init_from_a_weights_file_of_another_scale_keeps_only_its_upsampler_fresh(
    tiny_config, tmp_path, monkeypatch):
  """BasicSR's strict_load_g: false, as EDSR ×3/×4 start from ×2: everything but the upsampler
  comes from the file; the upsampler (other shapes there) keeps this run's initialisation."""
  fresh = _recording_fresh_init(monkeypatch)
  path, source = _edsr_weights_file(tmp_path, monkeypatch, tiny_config)
  tiny_config.init_from = path
  tiny_config.init_strict = False
  tiny_config.optim.learning_rate = 1e-12
  tiny_config.train.ema_decay = 0.0
  trainer.train_and_evaluate(tiny_config, str(tmp_path / "x2"))
  _, src, _ = checkpoint.load_generator(source)
  _, dst = _params(tmp_path / "x2")
  flat = lambda tree: {"/".join(str(getattr(k, "key", k)) for k in p): np.asarray(v)
                       for p, v in jax.tree_util.tree_leaves_with_path(tree)}
  src, dst, init = flat(src["params"]), flat(dst["params"]), flat(fresh[0])
  kept = {k for k in dst if k not in src or src[k].size != dst[k].size}
  assert kept and all("upsampl" in k.lower() or "tail" in k.lower() for k in kept), kept
  assert len(kept) < len(dst)
  for k in dst:
    np.testing.assert_allclose(dst[k], init[k] if k in kept else src[k].reshape(dst[k].shape),
                               rtol=0, atol=1e-9, err_msg=k)


def test_init_from_another_scale_strictly_is_one_line_naming_the_key(
    tiny_config, tmp_path, monkeypatch):
  path, _ = _edsr_weights_file(tmp_path, monkeypatch, tiny_config)
  tiny_config.init_from = path
  with pytest.raises(Exception, match=r"holds a run with scale=3, but the config asks for scale=2"):
    trainer.train_and_evaluate(tiny_config, str(tmp_path / "x2"))
  assert not (tmp_path / "x2" / "checkpoints").exists()


def test_init_from_a_file_no_architecture_fits_names_the_key(tiny_config, tmp_path, monkeypatch):
  from sr_jax import config as config_lib  # pylint: disable=g-import-not-at-top
  monkeypatch.setenv("SR_JAX_CACHE", str(tmp_path / "cache"))
  np.savez(tmp_path / "odd.npz", **{"encoder.weight": np.zeros((4, 3, 3, 3), np.float32)})
  tiny_config.init_from = str(tmp_path / "odd.npz")
  with pytest.raises(config_lib.ConfigError,
                     match=rf"^config.init_from: {tmp_path / 'odd.npz'}: no architecture"):
    trainer.train_and_evaluate(tiny_config, str(tmp_path / "run"))


@pytest.mark.slow
def test_the_ema_is_not_worse_than_bicubic_where_the_raw_weights_beat_it(tmp_path):
  """A random EDSR trained 400 steps with EMA 0.999: during the EMA's warm-up validation logs
  both weights, reports and checkpoints the better, and the EMA already beats bicubic wherever
  the raw weights do (a fixed 0.999 from the init sat 10-13 dB under bicubic here)."""
  c = default_config()
  c.scale = 2
  c.model.update(name="edsr", num_blocks=2, features=16, res_scale=1.0, bicubic_skip=False)
  c.data.update(source="skimage", hr_patch=32, read_threads=1)
  c.train.update(batch_size=8, num_steps=400, ema_decay=0.999, log_every=100, eval_every=100,
                 checkpoint_every=200, keep_checkpoints=2, keep_best=0)
  c.optim.learning_rate = 2e-3
  c.val.sets = {"chelsea": "skimage:chelsea"}
  c.val.best_metric = "chelsea/psnr_y"
  trainer.train_and_evaluate(c, str(tmp_path))
  bicubic = summary.bicubic_scores(trainer.load_validation_sets(c), c.scale, c)["chelsea"]["psnr_y"]
  rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
  both = {r["step"]: (r["val/chelsea/raw/psnr_y"], r["val/chelsea/ema/psnr_y"])
          for r in rows if "val/chelsea/raw/psnr_y" in r}
  reported = {r["step"]: r["val/chelsea/psnr_y"] for r in rows if "val/chelsea/psnr_y" in r}
  assert sorted(both) == [100, 200, 300, 400]  # all within the warm-up (8,991 steps for 0.999)
  for step, (raw, ema) in both.items():
    assert reported[step] == max(raw, ema)
    if raw > bicubic:
      assert ema > bicubic, (step, raw, ema, bicubic)
  assert max(raw for raw, _ in both.values()) > bicubic  # the case the test is about occurs
  for step in (200, 400):  # each checkpoint predicts with the weights validation judged better
    _, state, _ = checkpoint.load_run(str(tmp_path), step)
    _, variables, _ = checkpoint.load_generator(str(tmp_path), step)
    raw, ema = both[step]
    chosen = state["params"] if raw > ema else state["ema_params"]
    jax.tree.map(np.testing.assert_array_equal, variables["params"], chosen)
