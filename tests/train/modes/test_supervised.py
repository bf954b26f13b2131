"""The supervised mode: any content term without a discriminator (SRGAN's SRResNet-VGG54), the
total is Σ w·term, multi-level models train at every level."""
import json

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from sr_jax import config as config_lib, recipes
from sr_jax.losses import objective, pixel
from sr_jax.models import vgg
from sr_jax.ops import imresize
from sr_jax.train import checkpoint, step as step_lib, trainer
from sr_jax.train.modes import supervised


def _rows(workdir):
  return [json.loads(line) for line in (workdir / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_srresnet_vgg54_trains_on_features_without_a_discriminator(tmp_path):
  c = config_lib.load_recipe(recipes.directory() / "srgan.py", "srresnet_vgg54_smoke")
  assert c.train.mode == "supervised" and c.losses.pixel == 0 and not c.gan.discriminator
  c.train.update(num_steps=4, log_every=2, eval_every=4, checkpoint_every=4)
  trainer.train_and_evaluate(c, str(tmp_path))
  train = [r for r in _rows(tmp_path) if "train/loss" in r]
  assert [r["step"] for r in train] == [2, 4]
  for r in train:
    assert r["train/perceptual"] > 0 and "train/pixel" not in r and "train/d_loss" not in r
    np.testing.assert_allclose(r["train/loss"], r["train/perceptual"] / 12.75**2, rtol=1e-5)
  _, state, _ = checkpoint.load_run(str(tmp_path))
  assert "disc_params" not in state


class TwoLevels(nn.Module):
  """×2 then ×4 outputs, as LapSRN returns them in training."""

  @nn.compact
  def __call__(self, x, train: bool = False):
    up2 = jax.image.resize(x, (x.shape[0], 2 * x.shape[1], 2 * x.shape[2], 3), "nearest")
    up2 = up2 + nn.Conv(3, (3, 3))(up2)
    up4 = jax.image.resize(up2, (x.shape[0], 4 * x.shape[1], 4 * x.shape[2], 3), "nearest")
    return (up2, up4) if train else up4


def test_every_term_at_the_right_level_and_the_total():
  c = config_lib.default_config()
  c.train.loss = "l1"
  c.losses.update({"pixel": 0.5, "perceptual": 0.25, "style": 2.0, "tv": 0.1})
  c.losses.perceptual_layers = {"conv1_2": 1.0}
  c.losses.style_layers = {"conv1_1": 1.0}
  net = vgg.VGG(last="conv1_2", width=4)
  vgg_variables = net.init(jax.random.key(1), jnp.zeros((1, 16, 16, 3)))
  model, tx = TwoLevels(), optax.sgd(1e-3)
  state = step_lib.init_state(model, tx, (1, 4, 4, 3), seed=0, use_ema=False)
  weights = objective.weights(c)
  step = jax.jit(supervised.make_step(model, tx, optax.constant_schedule(1e-3),
                                      objective.content_loss(c, net), weights, 0.0,
                                      lambda b, k, p: (b, p)))
  hr = jax.random.uniform(jax.random.key(2), (2, 16, 16, 3))
  lr = hr[:, ::4, ::4]
  _, metrics = step(state, {"lr": lr, "hr": hr}, vgg_variables)
  up2, up4 = model.apply({"params": state.params}, lr, train=True)
  hr2 = imresize.resize_jax(hr, 0.5)  # HR bicubic-resized to the ×2 level
  np.testing.assert_allclose(metrics["pixel"], pixel.l1(up2, hr2) + pixel.l1(up4, hr), rtol=1e-5)
  dh, dw = up4[:, 1:] - up4[:, :-1], up4[:, :, 1:] - up4[:, :, :-1]
  np.testing.assert_allclose(metrics["tv"], np.abs(dh).mean() + np.abs(dw).mean(), rtol=1e-5)
  np.testing.assert_allclose(metrics["loss"], sum(w * metrics[k] for k, w in weights.items()),
                             rtol=1e-6)
