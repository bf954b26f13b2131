"""Self-ensemble and tiling wrappers: exact where the model allows it, and inside the benchmark."""
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import models
from sr_jax.metrics import benchmark, predictors
from sr_jax.train import sharding


def _nearest(x, scale=2):
  return jnp.repeat(jnp.repeat(x, scale, 1), scale, 2)


def blur_then_nearest(variables, x):
  """Flip- and transpose-equivariant: a D4-symmetric 3×3 blur (zero borders), ×2 nearest."""
  del variables
  h, w = x.shape[1:3]
  padded = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
  weights = np.outer([1, 2, 1], [1, 2, 1]) / 16
  blurred = sum(weights[dy, dx] * padded[:, dy:dy + h, dx:dx + w]
                for dy in range(3) for dx in range(3))
  return _nearest(jnp.sqrt(blurred))


@functools.lru_cache(maxsize=None)  # one init per size: random-number compiles are slow on CPU
def _edsr(num_blocks):
  model = models.build_model("edsr", scale=2, num_blocks=num_blocks, features=8)
  variables = jax.jit(model.init)(jax.random.key(0), jnp.zeros((1, 8, 8, 3)))
  return lambda v, x: model.apply(v, x), variables


# Non-square, so that the transpositions swap H and W.
LR = jnp.asarray(np.random.default_rng(1).random((2, 21, 30, 3), np.float32))


def test_self_ensemble_of_an_equivariant_model_is_its_output():
  got = jax.jit(predictors.self_ensemble(blur_then_nearest))({}, LR)
  np.testing.assert_allclose(got, blur_then_nearest({}, LR), atol=1e-6)


def test_self_ensemble_of_a_random_edsr_differs_from_its_output():
  predict, variables = _edsr(1)
  ensembled = jax.jit(predictors.self_ensemble(predict))(variables, LR)
  assert ensembled.shape == (2, 42, 60, 3)
  assert float(jnp.abs(ensembled - jax.jit(predict)(variables, LR)).max()) > 1e-3


def test_tiles_of_a_pointwise_model_give_exactly_its_output():
  lr = jnp.round(LR * 64) / 64  # dyadic: averaging overlaps is exact
  predict = lambda v, x: _nearest(x * 0.75 + 0.125)
  # Tile 8, overlap 4: starts 0, 4, ..., and a flush last tile overlapping its neighbour more.
  got = jax.jit(predictors.tiled(predict, 2, tile=8, overlap=4))({}, lr)
  np.testing.assert_array_equal(got, predict({}, lr))


def test_tiles_of_a_cnn_match_with_overlap_beyond_its_receptive_field():
  # EDSR without blocks: 3 LR convs and an HR one, a reach of 4 LR pixels; overlap 2·4.
  predict, variables = _edsr(0)
  full = jax.jit(predict)(variables, LR)
  error = lambda overlap: float(jnp.abs(jax.jit(
      predictors.tiled(predict, 2, tile=16, overlap=overlap))(variables, LR) - full).max())
  assert error(8) < 1e-5
  assert error(0) > 1e-3


def test_tiled_self_ensemble_matches_the_whole_image_one():
  predict, variables = _edsr(0)
  whole = jax.jit(predictors.self_ensemble(predict))(variables, LR)
  tiled = predictors.for_evaluation(predict, 2, ensemble=True, tile=16, tile_overlap=8)
  np.testing.assert_allclose(jax.jit(tiled)(variables, LR), whole, atol=1e-5)


def test_tile_overlap_must_leave_a_stride():
  with pytest.raises(ValueError, match="overlap 8"):
    predictors.tiled(blur_then_nearest, 2, tile=8, overlap=8)


def test_benchmark_bicubic_psnr_with_ensemble_and_tiles():
  hr = np.random.default_rng(0).integers(0, 256, (36, 52, 3), np.uint8)
  samples = [benchmark.Sample("ramp", hr, benchmark.imresize.bicubic_downscale(hr, 2))]
  # LR 18×26 padded to a non-square 20×28 bucket.
  bench = benchmark.Benchmark({"s": samples}, 2, 4, 1, sharding.make_mesh())
  psnr = lambda **kw: bench.run(bench.compile(predictors.for_evaluation(
      benchmark.bicubic_predict(2), 2, **kw)), {})[0]["s"]["mean"]["psnr_rgb"]
  plain, ensembled = psnr(), psnr(ensemble=True)
  assert abs(plain - ensembled) < 0.05
  assert psnr(tile=8, tile_overlap=6) == pytest.approx(plain, abs=1e-3)
