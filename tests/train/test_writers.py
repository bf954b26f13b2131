"""Logs: TensorBoard events read back by TensorBoard's own reader, W&B offline, the progress line,
and a profiler trace of the steps asked for."""
import io

import numpy as np
from PIL import Image
import pytest

from sr_jax.config import default_config
from sr_jax.train import trainer, writers


def test_tensorboard_events_hold_scalars_images_and_hparams(tmp_path):
  from tensorboard.backend.event_processing import event_accumulator  # pylint: disable=g-import-not-at-top
  config = default_config()
  writer = writers.create_writer(str(tmp_path), config)
  writer.write_hparams(writers.flat_config(config))
  writer.write_scalars(3, {"train/loss": 0.25, "val/Set5/psnr_y": 31.5})
  writer.write_scalars(6, {"train/loss": np.float32(0.125)})
  strip = np.arange(4 * 12 * 3, dtype=np.uint8).reshape(1, 4, 12, 3)
  writer.write_images(6, {"val/Set5/baby": strip})
  writer.close()

  events = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={"images": 0})
  events.Reload()
  assert [(e.step, e.value) for e in events.Scalars("train/loss")] == [(3, 0.25), (6, 0.125)]
  assert [(e.step, e.value) for e in events.Scalars("val/Set5/psnr_y")] == [(3, 31.5)]
  (image,) = events.Images("val/Set5/baby")
  assert (image.step, image.width, image.height) == (6, 12, 4)
  np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(image.encoded_image_string))),
                                strip[0])
  rows = (tmp_path / "metrics.jsonl").read_text().splitlines()
  assert len(rows) == 2 and '"train/loss": 0.25' in rows[0]


def test_hparams_reach_the_hparams_tab(tmp_path):
  from tensorboard.backend.event_processing import event_accumulator  # pylint: disable=g-import-not-at-top
  from tensorboard.plugins.hparams import plugin_data_pb2  # pylint: disable=g-import-not-at-top
  config = default_config()
  writer = writers.TensorBoardWriter(str(tmp_path))
  writer.write_hparams(writers.flat_config(config))
  writer.close()
  events = event_accumulator.EventAccumulator(str(tmp_path))
  events.Reload()
  content = events.PluginTagToContent("hparams")
  start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
  hparams = start.session_start_info.hparams
  assert hparams["train.batch_size"].number_value == 16
  assert hparams["optim.name"].string_value == "adam"
  assert hparams["data.augment"].string_value == "flip_rot"
  assert hparams["data.degradation_device"].bool_value is False


def test_wandb_offline_gets_scalars_images_and_config(tmp_path, monkeypatch):
  pytest.importorskip("wandb")
  monkeypatch.setenv("WANDB_MODE", "offline")
  monkeypatch.setenv("WANDB_SILENT", "true")
  config = default_config()
  config.log.wandb = True
  writer = writers.create_writer(str(tmp_path), config)
  writer.write_scalars(2, {"val/tiny/psnr_y": 28.75})
  writer.write_images(2, {"val/tiny/ramp": np.zeros((1, 8, 24, 3), np.uint8)})
  writer.close()
  (run,) = (tmp_path / "wandb").glob("offline-run-*")
  run_id = (tmp_path / "wandb_run_id").read_text()
  assert run.name.endswith(run_id)  # one W&B run per workdir: a resume continues it
  history = (run / f"run-{run_id}.wandb").read_bytes()
  assert b"val/tiny/psnr_y" in history and b"28.75" in history
  assert list((run / "files" / "media" / "images").glob("val/tiny/ramp_2_*.png"))


def test_progress_line_has_step_loss_rate_and_eta(monkeypatch):
  # The line as logged, read at the call (caplog depends on how earlier tests in the same
  # process left absl's handler and propagation).
  messages = []
  monkeypatch.setattr(writers.logging, "info", lambda msg, *args: messages.append(msg % args))
  line = writers.ProgressLine(1000)
  line.start(0, now=0.0)
  assert line(100, {"train/loss": 0.03125}, now=50.0) == {"steps_per_sec": 2.0}
  assert messages == ["step 100/1000 | loss 0.03125 | 2.00 steps/s | ETA 7m 30s"]


def test_profile_steps_write_a_trace_tensorboard_and_perfetto_open(tiny_config, tmp_path):
  tiny_config.train.profile_steps = "1:3"
  trainer.train_and_evaluate(tiny_config, str(tmp_path))
  (run,) = (tmp_path / "plugins" / "profile").iterdir()
  assert list(run.glob("*.xplane.pb")) and list(run.glob("perfetto_trace.json.gz"))


@pytest.mark.parametrize("steps", ["3", "5:2", "a:b"])
def test_bad_profile_steps_name_the_key(tiny_config, steps):
  from sr_jax import config as config_lib  # pylint: disable=g-import-not-at-top
  tiny_config.train.profile_steps = steps
  with pytest.raises(config_lib.ConfigError, match="config.train.profile_steps"):
    config_lib.validate(tiny_config)
