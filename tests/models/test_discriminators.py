"""Discriminators: output shapes, BatchNorm/spectral-norm state, the spectral-norm layer's output
against W/σ as PyTorch defines it, PyTorch-style bilinear ×2."""
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
  conv1's kernel set to singular values (2, 1, 0.5, 0.25) and one train forward after them; the
  two train forwards capture every module's output. Variables are filled from their traced
  shapes: compiling `init` (8 RNG-initialised layers) takes a minute on a busy CPU."""
  model = DISCRIMINATORS["unet_sn"](num_feat=2)
  x = jax.random.uniform(jax.random.key(0), (2, 16, 24, 3))
  shapes = jax.eval_shape(model.init, jax.random.key(1), x)
  rng = np.random.default_rng(0)
  variables = jax.tree.map(lambda s: jnp.asarray(0.2 * rng.normal(size=s.shape), s.dtype), shapes)
  kernel = jnp.asarray(_known_spectrum((4, 4, 2, 4), (2.0, 1.0, 0.5, 0.25)).reshape(4, 4, 2, 4),
                       jnp.float32)
  capture = lambda v: model.apply(v, x, train=True, mutable=["spectral", "intermediates"],
                                  capture_intermediates=True)

  @jax.jit
  def run(variables):
    out_eval = model.apply(variables, x)
    out_train, updates = capture(variables)
    params = {**variables["params"], "conv1": {"kernel": kernel}}

    def step(_, spectral):
      return model.apply({"params": params, "spectral": spectral}, x, train=True,
                         mutable=["spectral"])[1]["spectral"]
    spectral = jax.lax.fori_loop(0, 50, step, variables["spectral"])
    converged = capture({"params": params, "spectral": spectral})[1]
    return out_eval, out_train, updates, spectral, converged

  return (variables,) + run(variables)


def test_unet_sn_shapes_and_spectral_state(unet_run):
  variables, out_eval, out_train, updates, *_ = unet_run
  assert set(variables) == {"params", "spectral"}
  assert sorted(variables["spectral"]) == [f"conv{i}_sn" for i in range(1, 9)]
  assert "bias" not in variables["params"]["conv3"] and "bias" in variables["params"]["conv9"]
  assert out_eval.shape == out_train.shape == (2, 16, 24, 1)
  before = variables["spectral"]["conv1_sn"]["conv1/kernel/u"]
  after = updates["spectral"]["conv1_sn"]["conv1/kernel/u"]
  assert float(jnp.abs(after - before).max()) > 0  # train steps the power iteration


def _conv1_reference(updates, kernel, sigma):
  """conv1_sn's output written out in float64: conv(lrelu(conv0's output), kernel / σ), 4×4,
  stride 2, padding 1 (BasicSR's UNetDiscriminatorSN); and an error bound for the layer's
  float32: 32-term sums off by ≤ 32·2⁻²⁴ of Σ|x·w|, σ by as much again, so 1e-5·Σ|x·w|/σ."""
  c0 = np.asarray(updates["intermediates"]["conv0"]["__call__"][0], np.float64)
  x0 = np.pad(np.where(c0 > 0, c0, 0.2 * c0), ((0, 0), (1, 1), (1, 1), (0, 0)))
  windows = np.lib.stride_tricks.sliding_window_view(x0, (4, 4), axis=(1, 2))[:, ::2, ::2]
  k = np.asarray(kernel, np.float64)
  out = np.einsum("nhwcij,ijco->nhwo", windows, k) / sigma
  bound = 1e-5 * np.einsum("nhwcij,ijco->nhwo", np.abs(windows), np.abs(k)) / sigma
  return out, bound


def test_spectral_norm_output_is_w_over_one_power_step_sigma(unet_run):
  """PyTorch's spectral_norm in training, from the layer's own u: v = normalize(Wᵀu),
  u' = normalize(W v), σ = u'ᵀ W v (W: the kernel as an (out, in·k·k) matrix); the output is
  conv(x, W / σ) and u' is stored."""
  variables, _, _, updates, *_ = unet_run
  kernel = np.asarray(variables["params"]["conv1"]["kernel"], np.float64)
  w = kernel.reshape(-1, kernel.shape[-1]).T  # (out, in·k·k); the column order does not matter
  u = np.asarray(variables["spectral"]["conv1_sn"]["conv1/kernel/u"], np.float64)[0]
  v = w.T @ u / np.linalg.norm(w.T @ u)
  u_new = w @ v / np.linalg.norm(w @ v)
  sigma = u_new @ w @ v
  # Not yet converged (3e-3 short of the top singular value): a second power step, or none,
  # would give another σ, by far more than the 1e-5 the checks below allow.
  assert sigma < (1 - 1e-3) * np.linalg.svd(w, compute_uv=False)[0]
  expected, bound = _conv1_reference(updates, kernel, sigma)
  out = np.asarray(updates["intermediates"]["conv1_sn"]["__call__"][0], np.float64)
  assert (np.abs(out - expected) <= bound).all(), np.abs(out - expected).max()
  spectral = updates["spectral"]["conv1_sn"]
  np.testing.assert_allclose(spectral["conv1/kernel/u"][0], u_new, rtol=1e-5)
  np.testing.assert_allclose(spectral["conv1/kernel/sigma"], sigma, rtol=1e-5)


def test_spectral_norm_converges_to_unit_top_singular_value(unet_run):
  """After 50 power steps on a kernel of singular values (2, 1, 0.5, 0.25) (the error shrinks
  4× a step) the layer computes conv(x, W / 2): the top singular value of its weight is 1."""
  *_, spectral, converged = unet_run
  matrix = _known_spectrum((4, 4, 2, 4), (2.0, 1.0, 0.5, 0.25))
  top = np.linalg.svd(matrix, compute_uv=False)[0]
  assert top == pytest.approx(2.0, rel=1e-12)
  assert float(spectral["conv1_sn"]["conv1/kernel/sigma"]) == pytest.approx(top, rel=1e-5)
  expected, bound = _conv1_reference(converged, matrix.reshape(4, 4, 2, 4), top)
  out = np.asarray(converged["intermediates"]["conv1_sn"]["__call__"][0], np.float64)
  assert (np.abs(out - expected) <= bound).all(), np.abs(out - expected).max()
