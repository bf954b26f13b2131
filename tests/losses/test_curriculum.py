"""Curriculum training of multi-level models: the schedule by hand, the levels it trains, the
loss it computes, and a run stopped mid-curriculum resuming exactly."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from sr_jax import config as config_lib, models
from sr_jax.losses import curriculum, objective, pixel
from sr_jax.ops import imresize
from sr_jax.train import checkpoint, step as step_lib, trainer
from sr_jax.train.modes import supervised


@pytest.mark.parametrize("step,blend,expected", [
    (0, 0, (1, 0, 0)), (9, 0, (1, 0, 0)), (10, 0, (1, 1, 0)), (20, 0, (1, 1, 1)),
    (10, 4, (1, 0, 0)), (11, 4, (1, 0.25, 0)), (14, 4, (1, 1, 0)), (21, 4, (1, 1, 0.25)),
    (99, 4, (1, 1, 1)),
])
def test_alphas_by_hand(step, blend, expected):
  np.testing.assert_allclose(curriculum.alphas(step, (10, 20), blend), expected)


def test_a_joining_level_is_faded_in_over_the_bilinear_previous_level():
  coarse = jnp.full((1, 2, 2, 1), 0.5)  # bilinear upsampling of a constant is that constant
  fine = jax.random.uniform(jax.random.key(0), (1, 4, 4, 1))
  levels, weights = curriculum.schedule((10,), 4)((coarse, fine), 11)
  np.testing.assert_allclose(levels[1], 0.25 * fine + 0.75 * 0.5, rtol=1e-6)
  assert levels[0] is coarse and weights.tolist() == [1.0, 1.0]
  _, weights = curriculum.schedule((10,), 4)((coarse, fine), 9)
  assert weights.tolist() == [1.0, 0.0]
  assert curriculum.schedule((), 0) is None


def _lapsrn_config(level_steps=(), blend_steps=0):
  c = config_lib.default_config()
  c.scale, c.channels = 4, 1
  c.model = {"name": "lapsrn", "dtype": "float32", "depth": 1, "features": 4}
  c.curriculum.level_steps, c.curriculum.blend_steps = level_steps, blend_steps
  return c


def _steps(c, n):
  """The parameters after each of n supervised steps on one fixed batch, and the metrics."""
  model, tx = models.from_config(c), optax.adam(1e-2)
  state = step_lib.init_state(model, tx, (2, 4, 4, 1), seed=0, use_ema=False)
  step = jax.jit(supervised.make_step(model, tx, optax.constant_schedule(1e-2),
                                      objective.content_loss(c, None), objective.weights(c), 0.0,
                                      lambda b, k, p: (b, p)))
  hr = jax.random.uniform(jax.random.key(1), (2, 16, 16, 1))
  batch = {"lr": imresize.resize_jax(hr, 0.25), "hr": hr}
  history = [(state.params, None)]
  for _ in range(n):
    state, metrics = step(state, batch, {})
    history.append((state.params, metrics))
  return model, batch, history


def _moved(before, after, prefix):
  changed = [not np.array_equal(b, a) for (path, b), a in zip(
      jax.tree_util.tree_leaves_with_path(before), jax.tree.leaves(after))
             if jax.tree_util.keystr(path).startswith(f"['{prefix}")]
  assert changed
  return any(changed)


def test_a_level_trains_only_from_the_step_it_joins():
  _, _, history = _steps(_lapsrn_config(level_steps=(2,)), 3)
  params = [p for p, _ in history]
  for before, after in zip(params[:2], params[1:3]):  # steps 0 and 1: the ×2 level alone
    assert _moved(before, after, "level0") and not _moved(before, after, "level1")
  assert _moved(params[2], params[3], "level1")  # step 2: ×4 joins
  _, _, plain = _steps(_lapsrn_config(), 1)  # without a curriculum ×4 trains from step 0
  assert _moved(plain[0][0], plain[1][0], "level1")


def test_the_pixel_term_sees_the_levels_the_schedule_gives():
  c = _lapsrn_config(level_steps=(1,), blend_steps=4)
  model, batch, history = _steps(c, 3)
  params, metrics = history[2][0], history[3][1]  # the step at index 2: α = (2 − 1) / 4
  up2, up4 = model.apply({"params": params}, batch["lr"], train=True)
  faded = 0.25 * up4 + 0.75 * jax.image.resize(up2, up4.shape, "bilinear")
  expected = pixel.l1(up2, imresize.resize_jax(batch["hr"], 0.5)) + pixel.l1(faded, batch["hr"])
  np.testing.assert_allclose(metrics["pixel"], expected, rtol=1e-5)


@pytest.mark.parametrize("change,message", [
    ({"curriculum.level_steps": (5, 10)}, "names 2 steps, but lapsrn ×4 has 2 output levels"),
    ({"curriculum.level_steps": (400_000,)}, r"must be increasing steps in \[0, train.num_steps"),
    ({"curriculum.level_steps": (5,), "losses.tv": 0.1}, "losses.tv > 0 acts on the final level"),
    ({"curriculum.blend_steps": 5}, "config.curriculum.blend_steps: has no effect unless"),
    ({"curriculum.level_steps": (5,), "curriculum.blend_steps": -1},
     "config.curriculum.blend_steps: must be >= 0"),
])
def test_curriculum_settings_are_one_line_naming_the_key(change, message):
  c = _lapsrn_config()
  c.data.source, c.data.dirs = "folder", ("291",)
  config_lib.validate(c)
  c.update_from_flattened_dict(change)
  with pytest.raises(config_lib.ConfigError, match=message):
    config_lib.validate(c)


def test_a_single_output_model_takes_no_curriculum():
  c = config_lib.default_config()
  c.curriculum.level_steps = (5,)
  with pytest.raises(config_lib.ConfigError, match="edsr ×2 has 1 output level:"):
    config_lib.validate(c)


def test_a_run_stopped_mid_curriculum_resumes_exactly(tiny_config, tmp_path):
  tiny_config.scale = 4
  tiny_config.model = {"name": "lapsrn", "dtype": "float32", "depth": 1, "features": 4}
  tiny_config.curriculum.update(level_steps=(2,), blend_steps=2)
  trainer.train_and_evaluate(tiny_config, str(tmp_path / "straight"))
  stopped = tiny_config.copy_and_resolve_references()
  stopped.train.num_steps = 3  # during the fade-in of ×4
  trainer.train_and_evaluate(stopped, str(tmp_path / "resumed"))
  trainer.train_and_evaluate(tiny_config, str(tmp_path / "resumed"))
  (_, a, step_a), (_, b, step_b) = (checkpoint.load_run(str(tmp_path / d))
                                    for d in ("straight", "resumed"))
  assert step_a == step_b == 4
  jax.tree.map(np.testing.assert_array_equal, a["params"], b["params"])
  jax.tree.map(np.testing.assert_array_equal, a["opt_state"], b["opt_state"])
