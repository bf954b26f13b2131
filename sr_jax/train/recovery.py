"""Non-finite steps, host side: `config.train.nonfinite_policy` applied at log and save time.

The jitted step never applies a step whose loss or gradient is NaN/Inf (`step.keep_if_finite`)
and says so in its `nonfinite` metric, which the host reads only when it logs: detecting costs no
sync per step. Then
- 'skip' logs a warning and goes on; past `nonfinite_max_skips` skipped steps in all it stops.
- 'restore' reloads the latest checkpoint's train state and multiplies state.lr_scale by
  `nonfinite_lr_factor`. The data iterator is not rewound: replaying the batches that went
  non-finite would likely do it again. Past `nonfinite_max_restores` restores it stops.
Before each checkpoint the whole state is checked on the device (one sync per checkpoint): a
state holding NaN is never saved; 'restore' reloads instead, 'skip' stops. Stopping raises
NonFiniteError without saving, so the latest checkpoint stays the last good state. The counts
are saved with each checkpoint, so a resumed run goes on counting.
"""
from absl import logging
import jax
import numpy as np

from sr_jax.train import checkpoint, step as step_lib

_state_finite = jax.jit(step_lib.all_finite)


def state_is_finite(state) -> bool:
  """One on-device reduction over the whole state and one host sync: the check before a save."""
  return bool(_state_finite(state))


class NonFiniteError(RuntimeError):
  """The policy's limit is reached; the latest checkpoint holds the last good state."""


def restore_state(ckpt: checkpoint.Checkpointer, step: int, like):
  """The train state saved at `step`, placed as `like` is; the data iterator is left alone."""
  ckpt.manager.wait_until_finished()
  return ckpt.restore(step, checkpoint.abstract_like(like))


class Recovery:
  """One run's policy: the trainer passes each log window's per-step metrics through `window`
  and calls `check` after every step."""

  def __init__(self, train_config, ckpt: checkpoint.Checkpointer, writer, counts=None):
    """counts: `counts()` as a checkpoint saved them, so that the limits hold across resumes."""
    self._c = train_config
    self._ckpt, self._writer = ckpt, writer
    self._new = 0  # non-finite steps logged but not yet acted on
    counts = counts or {}
    self.skipped, self.restores = counts.get("skipped", 0), counts.get("restores", 0)

  def counts(self) -> dict:
    return {"skipped": self.skipped, "restores": self.restores}

  def window(self, per_step: list[dict]) -> dict:
    """A log window's metrics (host values, one dict a step) → each metric's mean over the
    steps that were applied, since one skipped step's NaN would hide the rest (NaN only when
    none was), and `nonfinite_steps`, how many were skipped."""
    applied = [m for m in per_step if not m["nonfinite"]]
    names = [k for k in per_step[0] if k != "nonfinite"]
    # In float64, so that values carried through a checkpoint as JSON floats give the same means.
    scalars = {k: float(np.mean(np.asarray([m[k] for m in applied], np.float64)))
               if applied else float("nan") for k in names}
    scalars["nonfinite_steps"] = len(per_step) - len(applied)
    self._new += scalars["nonfinite_steps"]
    return scalars

  def check(self, step: int, state, final: bool):
    """(state, step, rewound): rewound when the state was reloaded from an earlier checkpoint
    and the loop goes on from there. final: the run saves this step whatever checkpoint_every
    says (its last step, a stop request). Syncs only at saved steps; raises NonFiniteError."""
    new, self._new = self._new, 0
    saving = step % self._c.checkpoint_every == 0 or final
    state_bad = saving and not state_is_finite(state)
    if state_bad:
      logging.error("Step %d: the train state holds NaN/Inf; it is not checkpointed.", step)
    if not (new or state_bad):
      return state, step, False
    if self._c.nonfinite_policy == "restore":
      return self._restore(step, state, state_bad)
    if state_bad:
      self._stop(step, "the train state is not finite, so skipping steps cannot help")
    self.skipped += new
    logging.warning("Step %d: %d step(s) with a non-finite loss or gradient skipped (%d in all, "
                    "at most train.nonfinite_max_skips=%d).", step, new, self.skipped,
                    self._c.nonfinite_max_skips)
    if self.skipped > self._c.nonfinite_max_skips:
      self._stop(step, f"{self.skipped} step(s) with a non-finite loss or gradient, more than "
                 f"train.nonfinite_max_skips={self._c.nonfinite_max_skips}")
    return state, step, False

  def _restore(self, step: int, state, state_bad: bool):
    self.restores += 1
    if self.restores > self._c.nonfinite_max_restores:
      self._stop(step, f"non-finite after {self.restores - 1} restore(s), the most "
                 f"train.nonfinite_max_restores allows")
    latest = self._ckpt.latest_step()
    if latest is None and state_bad:
      self._stop(step, "the train state is not finite and there is no checkpoint to restore")
    lr_scale = state.lr_scale * self._c.nonfinite_lr_factor
    if latest is None:  # the step kept the state finite, so it is still the last good one
      restored, resume_at, how = state, step, "no checkpoint yet, state kept"
    else:
      restored, resume_at = restore_state(self._ckpt, latest, state), latest
      how = f"restored the checkpoint of step {latest}"
    logged_lr_scale = float(lr_scale)  # a host copy: the next step donates the device array
    logging.warning("Step %d: non-finite loss, gradient or state; %s, lr_scale → %.4g "
                    "(restore %d of at most %d).", step, how, logged_lr_scale, self.restores,
                    self._c.nonfinite_max_restores)
    self._writer.write_scalars(step, {"train/lr_scale": logged_lr_scale})
    return restored.replace(lr_scale=lr_scale), resume_at, latest is not None

  def _stop(self, step: int, why: str):
    latest = self._ckpt.latest_step()
    kept = ("no checkpoint was written" if latest is None else
            f"the checkpoint of step {latest} is the last good state")
    raise NonFiniteError(f"step {step}: {why}; stopping ({kept}).")
