"""LPIPS on tiny random weights: the metric's algebra, and the formula against NumPy."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax.metrics import lpips


@pytest.fixture(autouse=True)
def _exact_float32():
  """Full-precision convolutions on accelerators too (TF32 would miss these tolerances)."""
  with jax.default_matmul_precision("highest"):
    yield


def _model_and_params(net, x):
  """Random backbone (filled from traced shapes, no init compile) with lin weights ≥ 0."""
  model = lpips.LPIPS(net=net, width=2)
  shapes = jax.eval_shape(model.init, jax.random.key(0), x, x)
  rng = np.random.default_rng(0)
  params = jax.tree.map(lambda s: jnp.asarray(np.abs(rng.normal(size=s.shape)) - 0.3, s.dtype),
                        shapes)["params"]
  params = {**params, **{k: {"kernel": jnp.abs(v["kernel"])}
                         for k, v in params.items() if k.startswith("lin")}}
  return model, {"params": params}


@pytest.mark.parametrize("net, size", [("vgg", 32), ("alex", 64)])
def test_identity_symmetry_positivity(net, size):
  x = jax.random.uniform(jax.random.key(1), (2, size, size, 3))
  y = jnp.clip(x + 0.1 * jax.random.normal(jax.random.key(2), x.shape), 0, 1)
  model, variables = _model_and_params(net, x)
  d = jax.jit(lambda a, b: jnp.stack([model.apply(variables, a, b), model.apply(variables, b, a),
                                      model.apply(variables, a, a)]))
  d_xy, d_yx, d_xx = np.asarray(d(x, y))
  assert d_xy.shape == (2,)
  # Zero up to float rounding (XLA need not compute the two stacked copies bit-identically).
  assert np.all(np.abs(d_xx) < 1e-6 * d_xy)
  np.testing.assert_allclose(d_xy, d_yx, rtol=1e-6)
  assert np.all(d_xy > 0)


def test_formula_against_numpy():
  x = jax.random.uniform(jax.random.key(3), (1, 64, 64, 3))
  y = jax.random.uniform(jax.random.key(4), (1, 64, 64, 3))
  model, variables = _model_and_params("alex", x)
  got = float(jax.jit(model.apply)(variables, x, y)[0])
  backbone = lpips.AlexNet(width=2)
  fx = backbone.apply({"params": variables["params"]["backbone"]}, x)
  fy = backbone.apply({"params": variables["params"]["backbone"]}, y)
  want = 0.0
  for i, name in enumerate(lpips.LAYERS["alex"]):
    a, b = np.asarray(fx[name][0], np.float64), np.asarray(fy[name][0], np.float64)
    a = a / (np.linalg.norm(a, axis=-1, keepdims=True) + 1e-10)
    b = b / (np.linalg.norm(b, axis=-1, keepdims=True) + 1e-10)
    w = np.asarray(variables["params"][f"lin{i}"]["kernel"][:, 0], np.float64)
    want += np.mean(((a - b) ** 2) @ w)
  assert got == pytest.approx(want, rel=1e-4)


def test_convert_layout_and_missing_file(tmp_path, monkeypatch):
  rng = np.random.default_rng(5)
  backbone, cin = {}, 3
  for index, mult, k, _, _ in lpips.ALEX_CONVS:
    backbone[f"features.{index}.weight"] = rng.normal(size=(2 * mult, cin, k, k))
    backbone[f"features.{index}.bias"] = rng.normal(size=2 * mult)
    cin = 2 * mult
  lin = {f"lin{i}.model.1.weight": rng.uniform(size=(1, 2 * m, 1, 1))
         for i, (_, m, *_) in enumerate(lpips.ALEX_CONVS)}
  flat = lpips.convert("alex", backbone, lin)
  np.testing.assert_array_equal(flat["lin1/kernel"], lin["lin1.model.1.weight"].reshape(-1, 1))
  np.testing.assert_array_equal(flat["backbone/conv1/kernel"],
                                backbone["features.0.weight"].transpose(2, 3, 1, 0))
  with pytest.raises(ValueError, match="linear layers"):
    lpips.convert("alex", backbone, {})
  monkeypatch.setenv("SR_JAX_CACHE", str(tmp_path))
  with pytest.raises(FileNotFoundError, match=r"python -m sr_jax\.tools\.vgg --lpips=vgg --fetch"):
    lpips.load_lpips("vgg")
