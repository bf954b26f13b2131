"""Metric writers behind clu's MetricWriter interface, none of which imports TensorFlow.

Process 0 writes, through one clu AsyncMultiWriter (so the training loop never waits on a file):
  - TensorBoard event files in the workdir (tensorboardX: scalars, LR | SR | HR image strips,
    hparams from the config), which `tensorboard --logdir=WORKDIR` shows;
  - `WORKDIR/metrics.jsonl`, one JSON object per write, which the sweep report and the end-of-run
    summary read without TensorBoard;
  - Weights & Biases, with `config.log.wandb` (the `[wandb]` extra; WANDB_MODE=offline works).
The console gets one progress line per log interval (`progress_line`), not every scalar.

clu 0.0.12's `clu.metric_writers` package imports its TensorFlow summary writer on import (+4.7 s
and +510 MB per process even where TensorFlow is installed); `_clu_without_tensorflow` puts a
placeholder for that one module before the package is imported, so clu's interface, MultiWriter
and AsyncMultiWriter load without it.
"""
import json
import sys
import time
import types
from typing import Any, Mapping

from absl import logging
from etils import epath
import jax
import numpy as np

from sr_jax import extras


def _clu_without_tensorflow():
  name = "clu.metric_writers.summary_writer"
  if "clu.metric_writers" in sys.modules or name in sys.modules:
    return
  placeholder = types.ModuleType(name)
  placeholder.__doc__ = "sr_jax: clu's TensorFlow summary writer is not used (see sr_jax.train.writers)."

  def summary_writer(*args, **kwargs):
    raise ImportError("sr_jax writes TensorBoard files with sr_jax.train.writers.TensorBoardWriter")

  placeholder.SummaryWriter = summary_writer
  sys.modules[name] = placeholder


_clu_without_tensorflow()
from clu.metric_writers import async_writer, interface, multi_writer  # pylint: disable=g-import-not-at-top,wrong-import-position


class _Writer(interface.MetricWriter):
  """clu's interface with nothing written for the kinds a writer does not record."""

  def write_summaries(self, step, values, metadata=None):
    del step, values, metadata

  def write_scalars(self, step, scalars):
    del step, scalars

  def write_images(self, step, images):
    del step, images

  def write_videos(self, step, videos):
    del step, videos

  def write_audios(self, step, audios, *, sample_rate):
    del step, audios, sample_rate

  def write_texts(self, step, texts):
    del step, texts

  def write_histograms(self, step, arrays, num_buckets=None):
    del step, arrays, num_buckets

  def write_hparams(self, hparams):
    del hparams

  def flush(self):
    pass

  def close(self):
    pass


class TensorBoardWriter(_Writer):
  """TensorBoard event files through tensorboardX's pure-Python writer."""

  def __init__(self, logdir: str):
    import tensorboardX  # pylint: disable=g-import-not-at-top
    self._writer = tensorboardX.SummaryWriter(logdir=str(logdir), flush_secs=30)

  def write_scalars(self, step: int, scalars: Mapping[str, Any]):
    for key, value in scalars.items():
      self._writer.add_scalar(key, float(np.asarray(value)), global_step=int(step))

  def write_images(self, step: int, images: Mapping[str, Any]):
    """Images as clu passes them: (N, H, W, C) or (H, W, C), uint8 or float in [0, 1]."""
    for key, value in images.items():
      value = np.asarray(value)
      value = value[0] if value.ndim == 4 else value
      self._writer.add_image(key, value, global_step=int(step), dataformats="HWC")

  def write_texts(self, step: int, texts: Mapping[str, str]):
    for key, value in texts.items():
      self._writer.add_text(key, value, global_step=int(step))

  def write_histograms(self, step, arrays, num_buckets=None):
    for key, value in arrays.items():
      self._writer.add_histogram(key, np.asarray(value), global_step=int(step))

  def write_hparams(self, hparams: Mapping[str, Any]):
    """The hyper-parameters tab: flat config keys with scalar or string values."""
    from tensorboardX.summary import hparams as hparams_summary  # pylint: disable=g-import-not-at-top
    flat = {k: v if isinstance(v, (bool, int, float, str)) else str(v) for k, v in hparams.items()}
    file_writer = self._writer._get_file_writer()  # pylint: disable=protected-access
    for summary in hparams_summary(flat, {}):
      file_writer.add_summary(summary)

  def flush(self):
    self._writer.flush()

  def close(self):
    self._writer.close()


class JsonlWriter(_Writer):
  """One JSON object per write: {"step": …, "time": …, key: value, …}.

  Local files are appended to; object stores (gs://) cannot append, so there the whole
  file is rewritten on each write (it stays small: one line per log interval).
  """

  def __init__(self, workdir: str):
    self._path = epath.Path(workdir) / "metrics.jsonl"
    self._remote = "://" in str(workdir)
    self._lines = self._path.read_text() if self._remote and self._path.exists() else ""

  def write_scalars(self, step: int, scalars: Mapping[str, Any]):
    row = {"step": int(step), "time": time.time(),
           **{k: float(np.asarray(v)) for k, v in scalars.items()}}
    line = json.dumps(row) + "\n"
    if self._remote:
      self._lines += line
      self._path.write_text(self._lines)
    else:
      with self._path.open("a") as f:
        f.write(line)


class WandbWriter(_Writer):
  """Weights & Biases: scalars, images and the config (`config.log.wandb=True`; offline with
  WANDB_MODE=offline, synced later with `wandb sync`)."""

  def __init__(self, workdir: str, project: str, name: str, config: Mapping[str, Any]):
    wandb = extras.require("wandb", "wandb", "config.log.wandb")
    self._wandb = wandb
    self._run = wandb.init(project=project, name=name or None, dir=str(workdir),
                           config=dict(config), resume="allow", id=_wandb_id(workdir))

  def write_scalars(self, step, scalars):
    self._run.log({k: float(np.asarray(v)) for k, v in scalars.items()}, step=int(step))

  def write_images(self, step, images):
    self._run.log({k: self._wandb.Image(np.asarray(v)[0] if np.ndim(v) == 4 else np.asarray(v))
                   for k, v in images.items()}, step=int(step))

  def write_hparams(self, hparams):
    self._run.config.update(dict(hparams), allow_val_change=True)

  def close(self):
    self._run.finish()


def _wandb_id(workdir) -> str:
  """One W&B run per workdir, so a resumed run continues its curves: an id kept in the workdir."""
  path = epath.Path(workdir) / "wandb_run_id"
  if not path.exists():
    import secrets  # pylint: disable=g-import-not-at-top
    path.write_text(secrets.token_hex(8))
  return path.read_text().strip()


def create_writer(workdir: str, config=None) -> interface.MetricWriter:
  """Process 0: TensorBoard + metrics.jsonl (+ W&B), written asynchronously; others: nothing."""
  if jax.process_index() != 0:
    return multi_writer.MultiWriter([])
  writers = [TensorBoardWriter(workdir), JsonlWriter(workdir)]
  if config is not None and config.log.wandb:
    writers.append(WandbWriter(workdir, config.log.wandb_project, config.log.wandb_name,
                               flat_config(config)))
  return async_writer.AsyncMultiWriter(writers)


def flat_config(config) -> dict[str, Any]:
  """'a.b' → value for every leaf of a config (the hparams of TensorBoard and W&B)."""
  def walk(node, prefix):
    for key, value in node.items():
      if hasattr(value, "items"):
        yield from walk(value, f"{prefix}{key}.")
      else:
        yield f"{prefix}{key}", value if isinstance(value, (bool, int, float, str)) else str(value)
  return dict(walk(config, ""))


class ProgressLine:
  """One console line per log interval: step, the window's loss, steps/s and the ETA."""

  def __init__(self, num_steps: int):
    self._num_steps = num_steps
    self._last = None

  def start(self, step: int, now: float | None = None):
    """Marks where timing starts (after compiling): the first line then has a rate too."""
    self._last = (step, time.time() if now is None else now)

  def __call__(self, step: int, scalars: Mapping[str, float], now: float | None = None):
    """Logs the line; returns {'steps_per_sec': …} once a rate is known, else {}."""
    now = time.time() if now is None else now
    rate = None
    if self._last is not None and step > self._last[0] and now > self._last[1]:
      rate = (step - self._last[0]) / (now - self._last[1])
    self._last = (step, now)
    parts = [f"step {step}/{self._num_steps}"]
    if "train/loss" in scalars:
      parts.append(f"loss {scalars['train/loss']:.4g}")
    if rate:
      eta = (self._num_steps - step) / rate
      parts += [f"{rate:.2f} steps/s", f"ETA {_duration(eta)}"]
    logging.info(" | ".join(parts))
    return {"steps_per_sec": rate} if rate else {}


def _duration(seconds: float) -> str:
  seconds = int(seconds)
  if seconds >= 3600:
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
  return f"{seconds // 60}m {seconds % 60:02d}s"
