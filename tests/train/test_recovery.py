"""Non-finite steps end to end: skipped, or restored with a lower learning rate, within limits;
a state holding NaN is never checkpointed."""
import itertools
import json

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from sr_jax import config as config_lib
from sr_jax.data import pipeline
from sr_jax.losses import pixel
from sr_jax.train import checkpoint, recovery, step as step_lib, trainer


def _poison(monkeypatch, batches):
  """Makes the host batches numbered `batches` (0-based, in drawing order) non-finite in the step.

  uint8 batches cannot hold NaN, hence two patches: the input pipeline turns those batches' HR
  all white (which no crop of the training photos is), and the pixel loss multiplies itself by
  NaN, value and gradients alike, when its target is all white.
  """
  drawn = itertools.count()

  def whiten(batch):
    return {**batch, "hr": np.full_like(batch["hr"], 255)} if next(drawn) in batches else batch

  on_devices, l1 = pipeline.on_devices, pixel.PIXEL_LOSSES["l1"]
  monkeypatch.setattr(pipeline, "on_devices", lambda ds, *args: on_devices(ds.map(whiten), *args))
  monkeypatch.setitem(pixel.PIXEL_LOSSES, "l1", lambda sr, hr: l1(sr, hr) * jnp.where(
      jnp.all(hr == 1.0), jnp.nan, 1.0))


def _rows(workdir, key):
  rows = [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]
  return [(r["step"], r[key]) for r in rows if key in r]


def _checkpoints(workdir):
  """{step: state} of every checkpoint the run kept."""
  steps = sorted(int(p.name) for p in (workdir / "checkpoints").iterdir() if p.name.isdigit())
  return {s: checkpoint.load_run(str(workdir), s)[1] for s in steps}


def _finite(state) -> bool:
  return bool(step_lib.all_finite(state["params"], state["ema_params"], state["opt_state"]))


def _adam_count(state) -> int:
  return int(state["opt_state"][0]["count"])  # updates applied (chain: scale_by_adam first)


def _config(tiny_config, policy, num_steps):
  tiny_config.train.nonfinite_policy = policy
  tiny_config.train.num_steps = num_steps
  tiny_config.train.eval_every = 100  # validate only at the end: these tests are about steps
  return tiny_config


def test_skip_policy_skips_the_step_logs_it_and_saves_only_finite_states(
    tiny_config, tmp_path, monkeypatch):
  _poison(monkeypatch, {2})  # step 3's batch
  trainer.train_and_evaluate(_config(tiny_config, "skip", 4), str(tmp_path))
  assert _rows(tmp_path, "train/nonfinite_steps") == [(2, 0), (4, 1)]
  # step 4's window averages its applied step: the NaN of step 3 does not hide it
  assert [s for s, v in _rows(tmp_path, "train/loss") if np.isfinite(v)] == [2, 4]
  saved = _checkpoints(tmp_path)
  assert set(saved) == {2, 4} and all(_finite(s) for s in saved.values())
  assert _adam_count(saved[4]) == 3  # four steps, one of them applied nothing
  assert (tmp_path / "DONE").exists()
  reader = checkpoint.Checkpointer(str(tmp_path), tiny_config)
  host = reader.restore_host(4)
  reader.close()
  assert host.pop("eval_weights") in ("ema", "raw")  # the weights validation used (trainer)
  assert host == {"unlogged_metrics": [], "nonfinite_counts": {"skipped": 1, "restores": 0}}


def test_restore_policy_reloads_the_last_checkpoint_with_half_the_learning_rate(
    tiny_config, tmp_path, monkeypatch):
  _poison(monkeypatch, {2})
  restored_from = []
  restore_state = recovery.restore_state
  monkeypatch.setattr(recovery, "restore_state",
                      lambda ckpt, step, like: restored_from.append(step) or
                      restore_state(ckpt, step, like))
  trainer.train_and_evaluate(_config(tiny_config, "restore", 6), str(tmp_path))
  # Steps 3-4 went bad at step 3; the run went back to step 2's checkpoint and redid 3-4 on
  # the next batches (the data stream is not rewound), at half the learning rate.
  assert restored_from == [2]
  assert _rows(tmp_path, "train/nonfinite_steps") == [(2, 0), (4, 1), (4, 0), (6, 0)]
  assert _rows(tmp_path, "train/lr_scale") == [(4, 0.5)]
  lr = tiny_config.optim.learning_rate
  assert [v for _, v in _rows(tmp_path, "train/learning_rate")] == pytest.approx(
      [lr, lr, lr / 2, lr / 2])
  saved = _checkpoints(tmp_path)
  assert 6 in saved and all(_finite(s) for s in saved.values())
  assert float(saved[6]["lr_scale"]) == 0.5
  assert _adam_count(saved[6]) == 6  # 2 before the checkpoint, 4 after it; none skipped kept
  assert (tmp_path / "DONE").exists()


@pytest.mark.parametrize("policy, limit", [("restore", "train.nonfinite_max_restores"),
                                           ("skip", "train.nonfinite_max_skips")])
def test_past_the_limit_the_run_stops_and_the_last_good_checkpoint_loads(
    tiny_config, tmp_path, monkeypatch, policy, limit):
  _poison(monkeypatch, {2})
  config = _config(tiny_config, policy, 6)
  config.train.nonfinite_max_restores = config.train.nonfinite_max_skips = 0
  with pytest.raises(recovery.NonFiniteError, match=rf"step 4: .*{limit}.*checkpoint of step 2"):
    trainer.train_and_evaluate(config, str(tmp_path))
  assert set(_checkpoints(tmp_path)) == {2} and not (tmp_path / "DONE").exists()
  _, variables, step = checkpoint.load_generator(str(tmp_path))
  assert step == 2 and bool(step_lib.all_finite(variables))


def test_a_nan_state_is_not_checkpointed_even_without_the_step_guard(
    tiny_config, tmp_path, monkeypatch):
  """With keep_if_finite disabled NaN reaches the parameters; the check before saving stops it."""
  monkeypatch.setattr(step_lib, "keep_if_finite", lambda finite, new, old: new)
  _poison(monkeypatch, {2})
  config = _config(tiny_config, "skip", 6)
  config.train.log_every = 6  # no log window before the checkpoint at 4: only the state check
  with pytest.raises(recovery.NonFiniteError, match="step 4: the train state is not finite"):
    trainer.train_and_evaluate(config, str(tmp_path))
  saved = _checkpoints(tmp_path)
  assert set(saved) == {2} and _finite(saved[2])


class _Writer:
  """Keeps what it is given and reads it later, as clu's asynchronous writers do."""

  def __init__(self):
    self._given = []

  def write_scalars(self, step, scalars):
    self._given.append((step, scalars))

  @property
  def rows(self):
    return [(step, {k: float(v) for k, v in scalars.items()}) for step, scalars in self._given]


def _recovery(tmp_path, policy, **train):
  c = config_lib.default_config()
  c.train.update(nonfinite_policy=policy, checkpoint_every=2, **train)
  ckpt = checkpoint.Checkpointer(str(tmp_path), c)
  state = step_lib.init_state(nn.Dense(3), optax.sgd(0.1), (1, 3), seed=0, use_ema=True)
  return recovery.Recovery(c.train, ckpt, _Writer()), ckpt, state


def _with_nan(state):
  return state.replace(params=jax.tree.map(lambda p: p.at[0].set(jnp.nan), state.params))


def _steps(skipped: int, of: int) -> list[dict]:
  """A log window's per-step metrics: `skipped` of `of` steps non-finite (their loss NaN)."""
  return ([{"loss": np.float32(np.nan), "nonfinite": np.float32(1)}] * skipped +
          [{"loss": np.float32(0.5 + i), "nonfinite": np.float32(0)} for i in range(of - skipped)])


def test_window_means_the_applied_steps_and_counts_the_skipped():
  guard = recovery.Recovery(config_lib.default_config().train, None, _Writer())
  assert guard.window(_steps(1, 4)) == {"loss": 1.5, "nonfinite_steps": 1}  # not NaN
  assert guard.window(_steps(0, 2)) == {"loss": 1.0, "nonfinite_steps": 0}
  everything_skipped = guard.window(_steps(2, 2))
  assert np.isnan(everything_skipped["loss"]) and everything_skipped["nonfinite_steps"] == 2


def test_skip_counts_windows_and_stops_past_max_skips(tmp_path):
  guard, ckpt, state = _recovery(tmp_path, "skip", nonfinite_max_skips=3)
  guard.window(_steps(1, 4))
  same, step, rewound = guard.check(3, state, final=False)
  assert same is state and (step, rewound) == (3, False)
  guard.window(_steps(2, 4))
  assert guard.check(5, state, final=False)[2] is False and guard.skipped == 3
  guard.window(_steps(1, 4))
  with pytest.raises(recovery.NonFiniteError,
                     match=r"4 step\(s\) .*nonfinite_max_skips=3;.*no checkpoint was written"):
    guard.check(7, state, final=False)
  ckpt.close()


def test_counts_carried_through_a_checkpoint_keep_the_limit(tmp_path):
  guard, ckpt, state = _recovery(tmp_path, "skip", nonfinite_max_skips=3)
  guard.window(_steps(2, 4))
  guard.check(3, state, final=False)
  resumed = recovery.Recovery(guard._c, ckpt, _Writer(), guard.counts())  # as a resume does
  resumed.window(_steps(2, 4))
  with pytest.raises(recovery.NonFiniteError, match=r"4 step\(s\) .*nonfinite_max_skips=3"):
    resumed.check(5, state, final=False)
  ckpt.close()


def test_nan_state_at_a_checkpoint_step_restores_or_stops(tmp_path):
  guard, ckpt, state = _recovery(tmp_path / "restore", "restore")
  with pytest.raises(recovery.NonFiniteError, match="no checkpoint to restore"):
    guard.check(2, _with_nan(state), final=False)
  assert guard.check(3, _with_nan(state), final=False)[1:] == (3, False)  # not a save step
  ckpt.save(2, state, None, force=True)
  restored, step, rewound = guard.check(4, _with_nan(state), final=False)
  assert (step, rewound) == (2, True) and float(restored.lr_scale) == 0.5
  jax.tree.map(np.testing.assert_array_equal, restored.params, state.params)
  restored.lr_scale.delete()  # as the next train step's donation does, before writers flush
  assert guard._writer.rows == [(4, {"train/lr_scale": 0.5})]
  ckpt.close()

  guard, ckpt, state = _recovery(tmp_path / "skip", "skip")
  with pytest.raises(recovery.NonFiniteError, match="not finite, so skipping"):
    guard.check(3, _with_nan(state), final=True)  # the last step, or a stop: saved off-period
  ckpt.close()


def test_restore_without_a_checkpoint_lowers_the_rate_in_place(tmp_path):
  guard, ckpt, state = _recovery(tmp_path, "restore", nonfinite_max_restores=2)
  guard.window(_steps(1, 1))
  same, step, rewound = guard.check(1, state, final=False)
  assert (step, rewound, float(same.lr_scale)) == (1, False, 0.5)
  guard.window(_steps(1, 1))
  assert float(guard.check(2, same, final=False)[0].lr_scale) == 0.25
  guard.window(_steps(1, 1))
  with pytest.raises(recovery.NonFiniteError, match="after 2 restore"):
    guard.check(3, same, final=False)
  ckpt.close()
