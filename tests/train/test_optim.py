"""Schedules count absolute steps and respect their floor; VDSR's adjustable clipping."""
import jax.numpy as jnp
import numpy as np

from sr_jax import config as config_lib
from sr_jax.train import optim


def _optim(**overrides):
  c = config_lib.default_config().optim
  c.update(overrides)
  return c


def test_multistep_halves_at_absolute_milestones_down_to_its_floor():
  c = _optim(learning_rate=1e-3, schedule="multistep", milestones=(10, 20, 30), gamma=0.1,
             min_learning_rate=2e-6, warmup_steps=5)
  schedule = optim.make_schedule(c, 100)
  got = [float(schedule(s)) for s in (0, 4, 5, 9, 10, 19, 20, 29, 30, 99)]
  # A warm-up ramp from 0, then 1e-3 until the first milestone (not shifted by the warm-up),
  # 1e-4, 1e-5, then 1e-6 floored at 2e-6.
  np.testing.assert_allclose(got, [0, 8e-4, 1e-3, 1e-3, 1e-4, 1e-4, 1e-5, 1e-5, 2e-6, 2e-6],
                             rtol=1e-6)


def test_a_floor_above_the_rate_does_not_raise_it():
  c = _optim(learning_rate=1e-7, schedule="multistep", milestones=(10,), min_learning_rate=1e-6)
  assert float(optim.make_schedule(c, 100)(0)) == np.float32(1e-7)


def test_adjustable_clipping_bounds_each_element_by_theta_over_the_rate():
  # VDSR: θ = 0.01, lr 0.1 then 0.01 after step 2 → bounds 0.1 then 1.0.
  c = _optim(name="sgd", learning_rate=0.1, momentum=0.0, weight_decay=0.0,
             schedule="multistep", milestones=(2,), gamma=0.1, min_learning_rate=0.0,
             clip_adjustable=0.01)
  schedule = optim.make_schedule(c, 10)
  tx = optim.make_optimizer(c, schedule)
  params = {"w": jnp.zeros(4)}
  grads = {"w": jnp.array([5.0, -5.0, 0.05, -0.5])}
  state = tx.init(params)
  moves = []
  for _ in range(3):
    updates, state = tx.update(grads, state, params)
    moves.append(np.asarray(updates["w"]))
  # update = −lr · clip(g): steps 0 and 1 at lr 0.1, bound 0.1; step 2 at lr 0.01, bound 1.
  np.testing.assert_allclose(moves[0], [-0.01, 0.01, -0.005, 0.01], rtol=1e-6)
  np.testing.assert_allclose(moves[1], moves[0], rtol=1e-6)
  np.testing.assert_allclose(moves[2], [-0.01, 0.01, -0.0005, 0.005], rtol=1e-6)


def test_no_adjustable_clipping_leaves_gradients_alone():
  c = _optim(name="sgd", learning_rate=0.1, momentum=0.0, weight_decay=0.0, schedule="constant")
  tx = optim.make_optimizer(c, optim.make_schedule(c, 10))
  params = {"w": jnp.zeros(1)}
  updates, _ = tx.update({"w": jnp.array([5.0])}, tx.init(params), params)
  np.testing.assert_allclose(updates["w"], [-0.5], rtol=1e-6)


def test_adam_on_a_loss_over_0_1_with_eps_over_255_steps_as_on_0_255():
  """EDSR/RCAN/RDN: their references' L1 is over 0-255 pixels, ours over [0, 1] (1/255 of it, and
  of its gradients); Adam with ε/255 then takes the same steps, so the recipes set 1e-8/255."""
  import jax  # pylint: disable=g-import-not-at-top
  schedule = optim.make_schedule(_optim(learning_rate=1e-4, schedule="constant"), 10)
  ours = optim.make_optimizer(_optim(eps=1e-8 / 255), schedule)
  reference = optim.make_optimizer(_optim(eps=1e-8), schedule)
  params = {"w": jnp.zeros(64)}
  # Gradients small enough that ε matters: about 1e-9..1e-7 on the reference's scale.
  grads = [{"w": jax.random.normal(jax.random.key(i), (64,)) * 1e-8 * 10 ** (i % 3)}
           for i in range(5)]
  state_a, state_b = ours.init(params), reference.init(params)
  for g in grads:
    step_a, state_a = ours.update(jax.tree.map(lambda x: x / 255, g), state_a)
    step_b, state_b = reference.update(g, state_b)
    np.testing.assert_allclose(step_a["w"], step_b["w"], rtol=1e-5)
  wrong = optim.make_optimizer(_optim(eps=1e-8), schedule)  # ε unchanged: different steps
  step_c, _ = wrong.update(jax.tree.map(lambda x: x / 255, grads[0]), wrong.init(params))
  assert not np.allclose(step_c["w"], reference.update(grads[0], reference.init(params))[0]["w"],
                         rtol=1e-2)
