"""The distill mode: a student learns a frozen teacher run's outputs beside HR."""
import json

import pytest

from sr_jax import config as config_lib
from sr_jax.train import trainer


def test_student_moves_towards_its_teacher(tiny_config, tmp_path):
  teacher = tiny_config.copy_and_resolve_references()
  teacher.model.features = 16
  teacher.train.num_steps = 4
  trainer.train_and_evaluate(teacher, str(tmp_path / "teacher"))

  student = tiny_config.copy_and_resolve_references()
  student.train.update(mode="distill", num_steps=30, log_every=5, eval_every=30,
                       checkpoint_every=30)
  student.losses.pixel = 0.25
  student.distill.update(teacher=str(tmp_path / "teacher"), weight=1.0)
  trainer.train_and_evaluate(student, str(tmp_path / "student"))
  rows = [json.loads(line) for line in (tmp_path / "student" / "metrics.jsonl").read_text()
          .splitlines() if "train/distill" in line]
  assert len(rows) == 6
  assert rows[-1]["train/distill"] < 0.5 * rows[0]["train/distill"]
  for r in rows:
    assert r["train/loss"] == pytest.approx(0.25 * r["train/pixel"] + r["train/distill"],
                                            rel=1e-5)


def test_a_teacher_of_another_scale_is_refused(tiny_config, tmp_path):
  teacher = tiny_config.copy_and_resolve_references()
  teacher.scale, teacher.data.hr_patch, teacher.train.num_steps = 4, 16, 2
  trainer.train_and_evaluate(teacher, str(tmp_path / "teacher"))
  tiny_config.train.mode = "distill"
  tiny_config.distill.teacher = str(tmp_path / "teacher")
  with pytest.raises(config_lib.ConfigError, match="scale=4.*scale=2"):
    trainer.train_and_evaluate(tiny_config, str(tmp_path / "student"))


@pytest.mark.parametrize("key,value,message", [
    ("distill.weight", 0.5, "config.distill.weight: has no effect unless train.mode='distill'"),
    ("gan.discriminator", "vgg128", "config.gan.discriminator: has no effect unless "
     "train.mode='adversarial'")])
def test_a_mode_section_set_in_another_mode_is_refused(tiny_config, key, value, message):
  section, field = key.split(".")
  tiny_config[section][field] = value
  with pytest.raises(config_lib.ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
    config_lib.validate(tiny_config)
