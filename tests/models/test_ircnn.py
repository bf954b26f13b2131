"""IRCNN's dilated network as a pre-upsampling SR model: parameters, receptive field."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import models
from sr_jax.ops import imresize


@pytest.mark.parametrize("channels,count", [(3, 188_163), (1, 185_857)])
def test_param_count_matches_the_official_definition(param_count, channels, count):
  # KAIR's IRCNN(in_nc=out_nc=channels, nc=64): 3·3·C·64+64 + 5·(3·3·64·64+64) + 3·3·64·C+C.
  assert param_count(models.build_model("ircnn", channels=channels)) == count


def test_output_is_bicubic_minus_the_residual_and_the_dilations_see_33_pixels():
  model = models.build_model("ircnn", scale=2, channels=1, features=16)
  rng = np.random.default_rng(0)
  lr = jnp.asarray(rng.random((1, 24, 24, 1), np.float32))
  params = jax.jit(model.init)(jax.random.key(0, impl="rbg"), lr)["params"]
  up = imresize.resize_jax(lr, 2)
  residual = lambda u: model.apply({"params": params}, u, method=model.residual)
  np.testing.assert_allclose(jax.jit(model.apply)({"params": params}, lr),
                             up - jax.jit(residual)(up), atol=1e-6)
  # Output pixel (24, 24) of the 48×48 grid depends on the input 24 ± (1+2+3+4+3+2+1).
  grad = jax.jit(jax.grad(lambda u: residual(u)[0, 24, 24, 0]))(up)
  rows, cols = np.nonzero(np.asarray(grad)[0, :, :, 0])
  assert (rows.min(), rows.max(), cols.min(), cols.max()) == (8, 40, 8, 40)
