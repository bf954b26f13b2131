"""Discriminators: output shapes, BatchNorm/spectral-norm state, PyTorch-style bilinear ×2."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax.models.discriminators import (DISCRIMINATORS, VGGStyleDiscriminator,
                                          upsample2x_bilinear)


@pytest.mark.parametrize("size", [128, 256])
def test_vgg_style_shapes(size):
  model = VGGStyleDiscriminator(num_feat=2, input_size=size)
  x = jax.ShapeDtypeStruct((2, size, size, 3), jnp.float32)
  variables = jax.eval_shape(model.init, jax.random.key(0), x)
  # Five (six) stride-2 stages leave 4×4×8·num_feat for linear1, BasicSR's layout.
  assert variables["params"]["linear1"]["kernel"].shape == (4 * 4 * 16, 100)
  assert ("conv5_1" in variables["params"]) == (size == 256)
  out, updates = jax.eval_shape(
      lambda v, x: model.apply(v, x, train=True, mutable=["batch_stats"]), variables, x)
  assert out.shape == (2, 1) and "bn4_1" in updates["batch_stats"]


def test_vgg_style_rejects_other_sizes():
  with pytest.raises(ValueError, match="128x128"):
    VGGStyleDiscriminator(num_feat=2).init(jax.random.key(0), jnp.zeros((1, 96, 96, 3)))


def test_upsample_matches_pytorch_bilinear():
  x = jnp.array([0.0, 4.0, 8.0])[None, :, None, None] * jnp.ones((1, 1, 2, 1))
  # align_corners=False: edges clamp, interior samples at ±1/4 of a pixel.
  np.testing.assert_allclose(upsample2x_bilinear(x)[0, :, 0, 0], [0, 1, 3, 5, 7, 8])
  y = jax.random.uniform(jax.random.key(0), (1, 5, 4, 2))
  np.testing.assert_allclose(upsample2x_bilinear(y),
                             jax.image.resize(y, (1, 10, 8, 2), "bilinear"), atol=1e-6)


def _known_spectrum(shape, singular_values, seed=0):
  """An HWIO kernel whose (H·W·I, O) matrix has the given singular values."""
  rng = np.random.default_rng(seed)
  u, _ = np.linalg.qr(rng.normal(size=(int(np.prod(shape[:-1])), shape[-1])))
  v, _ = np.linalg.qr(rng.normal(size=(shape[-1], shape[-1])))
  return (u * np.asarray(singular_values)) @ v.T


@pytest.fixture(scope="module")
def unet_run():
  """One compiled run: an eval and a train forward, then 50 more power-iteration steps with
  conv1's kernel set to singular values (2, 1, 0.5, 0.25). Variables are filled from their
  traced shapes: compiling `init` (8 RNG-initialised layers) takes a minute on a busy CPU."""
  model = DISCRIMINATORS["unet_sn"](num_feat=2)
  x = jax.random.uniform(jax.random.key(0), (2, 16, 24, 3))
  shapes = jax.eval_shape(model.init, jax.random.key(1), x)
  rng = np.random.default_rng(0)
  variables = jax.tree.map(lambda s: jnp.asarray(0.2 * rng.normal(size=s.shape), s.dtype), shapes)
  kernel = jnp.asarray(_known_spectrum((4, 4, 2, 4), (2.0, 1.0, 0.5, 0.25)).reshape(4, 4, 2, 4),
                       jnp.float32)

  @jax.jit
  def run(variables):
    out_eval = model.apply(variables, x)
    out_train, updates = model.apply(variables, x, train=True, mutable=["spectral"])
    params = {**variables["params"], "conv1": {"kernel": kernel}}

    def step(_, spectral):
      return model.apply({"params": params, "spectral": spectral}, x, train=True,
                         mutable=["spectral"])[1]["spectral"]
    spectral = jax.lax.fori_loop(0, 50, step, variables["spectral"])
    return out_eval, out_train, updates, spectral

  return (variables,) + run(variables)


def test_unet_sn_shapes_and_spectral_state(unet_run):
  variables, out_eval, out_train, updates, _ = unet_run
  assert set(variables) == {"params", "spectral"}
  assert sorted(variables["spectral"]) == [f"conv{i}_sn" for i in range(1, 9)]
  assert "bias" not in variables["params"]["conv3"] and "bias" in variables["params"]["conv9"]
  assert out_eval.shape == out_train.shape == (2, 16, 24, 1)
  before = variables["spectral"]["conv1_sn"]["conv1/kernel/u"]
  after = updates["spectral"]["conv1_sn"]["conv1/kernel/u"]
  assert float(jnp.abs(after - before).max()) > 0  # train steps the power iteration


def test_spectral_norm_converges_to_unit_top_singular_value(unet_run):
  *_, spectral = unet_run
  sigma = float(spectral["conv1_sn"]["conv1/kernel/sigma"])
  assert sigma == pytest.approx(2.0, rel=1e-5)
  matrix = _known_spectrum((4, 4, 2, 4), (2.0, 1.0, 0.5, 0.25))
  # The weight the layer uses, W / σ, has top singular value 1.
  assert np.linalg.svd(matrix / sigma, compute_uv=False)[0] == pytest.approx(1.0, rel=1e-5)
