"""Metric writers: CLU (TensorBoard) where TensorFlow is installed, always a metrics.jsonl.

clu's metric_writers and periodic_actions import TensorFlow at import time. Installs without
it (GPU/TPU images) still train: metrics go to the console and to `metrics.jsonl`, which
the sweep report and other tools read without TensorBoard. Only process 0 writes files.
"""
import json
import time

from absl import logging
from etils import epath
import jax
import numpy as np


class JsonlWriter:
  """One JSON object per write: {"step": …, "time": …, key: value, …}.

  Local files are appended to; object stores (gs://) cannot append, so there the whole
  file is rewritten on each write (it stays small: one line per log interval).
  """

  def __init__(self, workdir: str, echo: bool = False):
    self._path = epath.Path(workdir) / "metrics.jsonl"
    self._echo = echo
    self._remote = "://" in str(workdir)
    self._lines = self._path.read_text() if self._remote and self._path.exists() else ""

  def write_scalars(self, step: int, scalars):
    row = {"step": int(step), "time": time.time(),
           **{k: float(np.asarray(v)) for k, v in scalars.items()}}
    line = json.dumps(row) + "\n"
    if self._remote:
      self._lines += line
      self._path.write_text(self._lines)
    else:
      with self._path.open("a") as f:
        f.write(line)
    if self._echo:
      logging.info("[%d] %s", step, ", ".join(f"{k}={v:.6g}" for k, v in scalars.items()))

  def write_images(self, step, images):
    del step, images  # images go to TensorBoard only

  def write_hparams(self, hparams):
    del hparams  # the config is saved beside the checkpoints

  def flush(self):
    pass

  def close(self):
    pass


class _FanOut:
  """Calls every writer (stands in for clu's MultiWriter when clu cannot be imported)."""

  def __init__(self, writers):
    self._writers = writers

  def __getattr__(self, method):
    def call(*args, **kwargs):
      for w in self._writers:
        getattr(w, method)(*args, **kwargs)
    return call


def _clu():
  """clu's writer modules, or None where TensorFlow is missing."""
  try:
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    from clu import metric_writers, periodic_actions  # pylint: disable=g-import-not-at-top
  except ImportError:
    return None
  tf.config.set_visible_devices([], "GPU")  # TensorFlow must not take accelerator memory
  return metric_writers, periodic_actions


def create_writer(workdir: str):
  is_main = jax.process_index() == 0
  clu = _clu()
  if clu is None:
    logging.warning("TensorFlow is not installed: no TensorBoard events; metrics go to "
                    "%s/metrics.jsonl (pip install 'sr_jax[tensorboard]' for TensorBoard).",
                    workdir)
    return _FanOut([JsonlWriter(workdir, echo=True)] if is_main else [])
  metric_writers, _ = clu
  writer = metric_writers.create_default_writer(workdir, just_logging=not is_main)
  return metric_writers.MultiWriter([writer, JsonlWriter(workdir)]) if is_main else writer


class _ProgressLog:
  """Steps/s and ETA on the console where clu's ReportProgress is unavailable."""

  def __init__(self, num_train_steps: int, writer):
    self._num_steps = num_train_steps
    self._writer = writer
    self._last = None

  def __call__(self, step: int, t: float | None = None):
    t = time.time() if t is None else t
    if self._last is not None and step > self._last[0]:
      rate = (step - self._last[0]) / (t - self._last[1])
      eta_min = (self._num_steps - step) / rate / 60
      logging.info("step %d/%d: %.2f steps/s, ETA %.1f min", step, self._num_steps, rate, eta_min)
      self._writer.write_scalars(step, {"steps_per_sec": rate})
    self._last = (step, t)


def progress_hook(num_train_steps: int, writer, every_steps: int):
  """clu's ReportProgress (steps/s, ETA) when available; a console equivalent otherwise."""
  clu = _clu()
  if clu is None:
    hook = _ProgressLog(num_train_steps, writer)
    return lambda step: hook(step) if step % every_steps == 0 else None
  _, periodic_actions = clu
  return periodic_actions.ReportProgress(num_train_steps=num_train_steps, writer=writer,
                                         every_steps=every_steps)
