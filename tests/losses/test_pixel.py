"""Pixel criteria and their reduction."""
import jax
import numpy as np
import pytest

from sr_jax.losses import pixel


@pytest.mark.parametrize("name", sorted(pixel.PIXEL_LOSSES))
def test_sum_reduction_is_the_per_image_sum_averaged_over_the_batch(name):
  pred, target = jax.random.uniform(jax.random.key(0), (2, 2, 5, 7, 3))
  loss = pixel.PIXEL_LOSSES[name]
  per_image = [float(loss(pred[i:i + 1], target[i:i + 1])) * 5 * 7 * 3 for i in range(2)]
  summed = float(pixel.reduced(loss, "sum")(pred, target))
  np.testing.assert_allclose(summed, np.mean(per_image), rtol=1e-5)
  assert pixel.reduced(loss, "mean") is loss


def test_the_criteria_are_what_their_papers_write():
  pred, target = np.float32([[0.5, 0.0]]), np.float32([[0.0, 0.0]])
  np.testing.assert_allclose(pixel.l1(pred, target), 0.25)
  np.testing.assert_allclose(pixel.mse(pred, target), 0.125)
  np.testing.assert_allclose(pixel.charbonnier(pred, target),
                             (np.sqrt(0.25 + 1e-6) + 1e-3) / 2, rtol=1e-6)
