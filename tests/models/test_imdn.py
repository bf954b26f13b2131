"""IMDN: the official models' parameter counts, contrast-aware attention, shapes."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import models
from sr_jax.bench import flops
from sr_jax.models import imdn


@pytest.mark.parametrize("scale,count", [(2, 694_404), (3, 703_059), (4, 715_176)])
def test_param_count_matches_the_paper_and_the_released_checkpoints(param_count, scale, count):
  # The paper's ×2 table (README images/psnr_ssim.png): 694K; SwinIR's lightweight table: 715K
  # (×4). Exactly the parameters of the released checkpoints/IMDN_x{2,3,4}.pth.
  assert param_count(models.build_model("imdn", scale=scale)) == count


def test_mult_adds_match_the_published_figure_at_a_720p_output():
  # 40.9G for ×4 (SwinIR's lightweight table), reproduced at a 1280×720 output; the analytic
  # count skips the taps on the zero padding, hence a little under it.
  model = models.build_model("imdn", scale=4)
  lr = jax.ShapeDtypeStruct((1, 180, 320, 3), jnp.float32)
  variables = jax.eval_shape(model.init, jax.random.key(0), jnp.zeros((1, 8, 8, 3)))
  assert 0.99 * 40.9e9 < flops.count(model.apply, variables, lr) / 2 < 40.9e9


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_output_shape(output_shape, scale):
  model = models.build_model("imdn", scale=scale, features=16, num_modules=2)
  assert output_shape(model, 6, 10) == ((1, 6 * scale, 10 * scale, 3), jnp.float32)


def test_contrast_is_the_population_std_and_a_constant_channel_has_a_finite_gradient():
  x = np.random.default_rng(0).random((2, 5, 7, 3), np.float32)
  np.testing.assert_allclose(imdn.channel_std(jnp.asarray(x))[:, 0, 0],
                             x.std(axis=(1, 2)), rtol=1e-5)
  grad = jax.grad(lambda v: imdn.channel_std(v).sum())(jnp.ones((1, 4, 4, 2)))
  assert np.isfinite(np.asarray(grad)).all()
