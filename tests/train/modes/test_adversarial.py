"""The adversarial mode: both networks move the right way, the total is Σ w·term, resume is
exact, any generator (LapSRN's levels too) trains with a GAN."""
import functools
import json

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from sr_jax import config as config_lib
from sr_jax.losses import adversarial, objective
from sr_jax.models import discriminators, vgg
from sr_jax.train import checkpoint, step as step_lib, trainer
from sr_jax.train.modes import adversarial as mode

REPO = trainer.__file__.rsplit("/sr_jax/", 1)[0]


class ToyGenerator(nn.Module):
  """Bilinear ×2 plus one learned 3×3 residual: enough to move towards what D calls real."""

  @nn.compact
  def __call__(self, x, train: bool = False):
    del train
    up = jax.image.resize(x, (x.shape[0], 2 * x.shape[1], 2 * x.shape[2], x.shape[3]), "bilinear")
    return up + nn.Conv(3, (3, 3))(up)


def _batch(seed=0):
  hr = jax.random.uniform(jax.random.key(seed), (4, 32, 32, 3))
  lr = jax.image.resize(hr, (4, 16, 16, 3), "linear")
  to_u8 = lambda x: jnp.round(x * 255).astype(jnp.uint8)
  return {"lr": to_u8(lr), "hr": to_u8(hr)}


G, D = ToyGenerator(), discriminators.VGGStyleDiscriminator(num_feat=4, input_size=32)
TX = optax.adam(1e-3)


@functools.cache
def _initial_state():
  """Every test's starting point, made once (jitted as the trainer does: op by op, the
  discriminator's init alone takes ~30 s on this CPU). Steps are not donated: it stays valid."""
  return jax.jit(lambda: mode.init_state(G, D, TX, TX, (1, 16, 16, 3), (1, 32, 32, 3), seed=0,
                                         use_ema=True))()


def _setup(loss_name, term_weights=None, content_loss=lambda outputs, hr, v, step: {},
           prepare_batch=step_lib.host_pairs, gan_weight=1.0):
  g, d, tx, state = G, D, TX, _initial_state()
  gp = 10.0 if loss_name == "wgan_gp" else 0.0
  step = jax.jit(mode.make_step(g, d, tx, tx, optax.constant_schedule(1e-3),
                                optax.constant_schedule(1e-3), content_loss, term_weights or {},
                                adversarial.GAN_LOSSES[loss_name], gan_weight, gp, 0.999,
                                prepare_batch))
  return g, d, state, step


@pytest.mark.parametrize("loss_name", ["vanilla", "ragan", "wgan_gp"])  # SRGAN, ESRGAN, the GP path
def test_one_step_lowers_g_adversarial_and_d_losses(loss_name):
  g, d, state, step = _setup(loss_name)
  batch = _batch()
  lr, hr = (batch[k].astype(jnp.float32) / 255 for k in ("lr", "hr"))
  losses = adversarial.GAN_LOSSES[loss_name]
  logits = lambda params, coll, x: mode._apply(d, params, coll, x)[0]
  sr = lambda params: g.apply({"params": params}, lr)
  new, metrics = step(state, batch, {})

  # The generator's adversarial loss against the old discriminator falls ...
  g_loss = jax.jit(lambda p: losses.generator(logits(state.disc_params, state.disc_state, hr),
                                              logits(state.disc_params, state.disc_state, sr(p))))
  assert g_loss(new.params) < g_loss(state.params)
  # ... and the discriminator's loss on the old generator's fakes falls.
  fake = sr(state.params)
  d_loss = jax.jit(lambda p: losses.discriminator(logits(p, state.disc_state, hr),
                                                  logits(p, state.disc_state, fake)))
  assert d_loss(new.disc_params) < d_loss(state.disc_params)
  # BatchNorm's running statistics are carried, the EMA trails the generator (its warm-up decay
  # at step 0 is 0.1).
  assert not np.allclose(new.disc_state["batch_stats"]["bn0_1"]["mean"],
                         state.disc_state["batch_stats"]["bn0_1"]["mean"])
  ema_moved = jax.tree.map(lambda e, p, q: np.allclose(e, 0.1 * p + 0.9 * q, atol=1e-7),
                           new.ema_params, state.params, new.params)
  assert all(jax.tree.leaves(ema_moved))
  assert int(new.step) == 1 and {"d_real", "d_fake", "d_loss", "gan"} <= set(metrics)


def test_many_steps_d_separates_real_from_fake():
  _, _, state, step = _setup("ragan")
  gaps = []
  for i in range(6):
    state, metrics = step(state, _batch(i), {})
    gaps.append(float(metrics["d_real"] - metrics["d_fake"]))
  assert gaps[-1] > gaps[0] and gaps[-1] > 0


def test_total_is_the_weighted_sum_of_the_logged_terms():
  c = config_lib.default_config()
  c.losses.update({"pixel": 0.3, "perceptual": 0.7, "style": 20.0, "tv": 0.05})
  c.losses.perceptual_layers = {"conv1_2": 0.5, "relu2_1": 2.0}
  c.losses.style_layers = {"conv1_1": 1.0}
  net = vgg.VGG(last="relu2_1", width=4)
  variables = net.init(jax.random.key(1), jnp.zeros((1, 32, 32, 3)))
  weights = objective.weights(c)
  assert weights == {"pixel": 0.3, "perceptual": 0.7, "style": 20.0, "tv": 0.05}
  _, _, state, step = _setup("vanilla", weights, objective.content_loss(c, net), gan_weight=0.01)
  _, metrics = step(state, _batch(), variables)
  weights["gan"] = 0.01
  assert all(float(metrics[k]) > 0 for k in weights)
  np.testing.assert_allclose(metrics["loss"], sum(w * metrics[k] for k, w in weights.items()),
                             rtol=1e-6)


@pytest.mark.parametrize("poisoned", ["lr", "gt"])
def test_nonfinite_step_moves_neither_network(poisoned):
  """NaN in the generator's input poisons every loss; NaN in the real images the discriminator
  sees poisons only its loss (vanilla's generator term reads fake logits alone), yet the
  generator's finite update is rolled back too."""
  floats = lambda batch, key, pool: (batch, pool)  # float batches, which can hold NaN
  _, _, state, step = _setup("vanilla", prepare_batch=floats)
  clean = {k: v.astype(jnp.float32) / 255 for k, v in _batch().items()}
  clean["gt"] = clean["hr"]
  bad = {**clean, poisoned: clean[poisoned].at[0, 3, 3, 1].set(jnp.nan)}
  new, metrics = step(state, bad, {})
  assert np.isfinite(metrics["loss"]) == (poisoned == "gt")
  assert not np.isfinite(metrics["d_loss"]) and float(metrics["nonfinite"]) == 1.0
  assert int(new.step) == 1
  jax.tree.map(np.testing.assert_array_equal, new.replace(step=state.step), state)

  newer, metrics = step(new, clean, {})
  assert float(metrics["nonfinite"]) == 0.0
  for field in ("params", "disc_params", "disc_opt_state", "ema_params", "disc_state"):
    changed = jax.tree.map(lambda a, b: not np.array_equal(a, b),
                           getattr(newer, field), getattr(new, field))
    assert any(jax.tree.leaves(changed)), field


def test_lr_scale_scales_both_networks_updates():
  _, _, state, step = _setup("vanilla")
  full, m_full = step(state, _batch(), {})
  half, m_half = step(state.replace(lr_scale=jnp.float32(0.5)), _batch(), {})
  for key in ("params", "disc_params"):
    # Adam's first updates are ±lr: 1e-3 against parameters of ~0.5, rounded at ~6e-8.
    jax.tree.map(lambda p, f, h: np.testing.assert_allclose(h - p, 0.5 * (f - p), atol=2e-7),
                 getattr(state, key), getattr(full, key), getattr(half, key))
  for key in ("learning_rate", "d_learning_rate"):
    assert float(m_half[key]) == pytest.approx(0.5 * float(m_full[key]))


def _smoke_config(steps):
  c = config_lib.load_recipe(f"{REPO}/configs/esrgan.py", "smoke")
  c.train.num_steps = steps
  c.train.log_every = c.train.eval_every = c.train.checkpoint_every = 2
  return c


@pytest.mark.slow
def test_esrgan_smoke_stop_and_resume_equals_uninterrupted(tmp_path):
  # The three runs compile the same steps: the suite's compilation cache (conftest) loads them.
  trainer.train_and_evaluate(_smoke_config(4), str(tmp_path / "straight"))
  trainer.train_and_evaluate(_smoke_config(2), str(tmp_path / "resumed"))
  trainer.train_and_evaluate(_smoke_config(4), str(tmp_path / "resumed"))
  (_, a, step_a), (_, b, step_b) = (checkpoint.load_run(str(tmp_path / d))
                                    for d in ("straight", "resumed"))
  assert step_a == step_b == 4
  for key in ("params", "opt_state", "ema_params", "disc_params", "disc_state", "disc_opt_state"):
    jax.tree.map(np.testing.assert_array_equal, a[key], b[key])
  assert jax.tree.leaves(a["disc_state"]), "BatchNorm statistics are checkpointed"


def test_missing_vgg_file_fails_in_one_line_before_compiling(tmp_path, run_cli):
  proc = run_cli("sr_jax.main", "--config=configs/esrgan.py:smoke", f"--workdir={tmp_path / 'run'}",
                 "--config.losses.vgg_random_init=False",
                 f"--config.losses.vgg_weights={tmp_path / 'no_vgg19.npz'}")
  assert proc.returncode != 0
  last = proc.stderr.strip().splitlines()[-1]
  assert "no_vgg19.npz" in last, proc.stderr[-2000:]
  assert "python -m sr_jax.tools.vgg --fetch" in last
  assert "Compiled the train step" not in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_init_from_a_psnr_run_starts_the_generator_there(tiny_config, tmp_path, monkeypatch):
  # As test_trainer's init_from test: two Adam steps of 1e-2 and an EMA of decay 0.5 put the
  # source's EMA ~1e-2 from a fresh init; the generator must start at it to within 1e-9.
  psnr = tiny_config.copy_and_resolve_references()
  psnr.train.num_steps = 2
  psnr.optim.learning_rate = 1e-2
  psnr.train.ema_decay = 0.5
  fresh, real_setup = [], trainer.setup

  def recording_setup(config):  # each run's fresh generator, before its first step
    run = real_setup(config)
    fresh.append(jax.device_get(run.state.params))
    return run
  monkeypatch.setattr(trainer, "setup", recording_setup)
  trainer.train_and_evaluate(psnr, str(tmp_path / "psnr"))
  follow = psnr.copy_and_resolve_references()
  follow.init_from = str(tmp_path / "psnr")
  follow.data.hr_patch = 32
  follow.train.mode = "adversarial"
  follow.gan.discriminator = "vgg128"
  follow.gan.num_feat = 4
  follow.optim.learning_rate = 1e-12  # the generator barely moves: it must start equal
  follow.train.ema_decay = 0.0
  trainer.train_and_evaluate(follow, str(tmp_path / "gan"))
  _, src, _ = checkpoint.load_generator(str(tmp_path / "psnr"))  # what the run validated
  _, dst, _ = checkpoint.load_run(str(tmp_path / "gan"))
  # The GAN run's own fresh generator, what an init_from that copied nothing would leave, is
  # more than 1e-3 from the source's parameters in every leaf: 10⁶ times the tolerance below.
  gaps = jax.tree.leaves(jax.tree.map(lambda a, b: float(np.abs(a - b).max()),
                                      src["params"], fresh[1]))
  assert min(gaps) > 1e-3, gaps
  # lr 1e-12 for 2 steps: Adam moves a weight by ≤ ~2e-12, float32 rounding adds ≤ as much.
  jax.tree.map(lambda a, b: np.testing.assert_allclose(b, a, rtol=0, atol=1e-9),
               src["params"], dst["params"])
  assert jax.tree.leaves(dst["disc_params"])


def test_lapsrn_trains_with_a_gan_on_every_level(tmp_path):
  """A multi-level generator: content terms at both levels, D on the final ×4 output."""
  c = config_lib.load_recipe(f"{REPO}/configs/lapsrn.py", "x4")
  config_lib.set_source(c, "skimage", skimage_images=("astronaut",))
  c.model.depth, c.model.features = 1, 8
  c.data.update(hr_patch=32, read_threads=1)
  c.train.update(mode="adversarial", batch_size=2, num_steps=2, log_every=1, eval_every=2,
                 checkpoint_every=2)
  c.gan.update(discriminator="vgg128", num_feat=4, weight=1e-2)
  c.val.sets = {"chelsea": "skimage:chelsea"}
  c.val.best_metric = "chelsea/psnr_y"
  trainer.train_and_evaluate(c, str(tmp_path))
  rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
  train = [r for r in rows if "train/gan" in r]
  assert len(train) == 2 and all(np.isfinite(r["train/pixel"]) and r["train/d_loss"] > 0
                                  for r in train)
