"""NIQE and LPIPS beside the distortion metrics: per image and mean, ordered as they should be."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax.metrics import benchmark, lpips, niqe, perceptual_quality
from sr_jax.ops import imresize


def _result(names):
  return {"mean": {"psnr_y": 0.0}, "images": [{"name": n, "psnr_y": 0.0} for n in names]}


def test_niqe_prefers_the_sharp_image_and_is_averaged(shared_data):
  params = niqe.load_params()
  sample = benchmark.load_set(str(shared_data("Set5", "HR")), 4)[0]  # baby, 512×512
  hr = sample.hr[:200, :200]
  blurry = imresize.to_uint8(imresize.imresize(imresize.bicubic_downscale(hr, 4), 4))
  srs = {"sharp": hr, "blurry": blurry}
  samples = [benchmark.Sample(n, hr, hr) for n in srs]
  result = perceptual_quality.add_scores(_result(srs), samples, srs, 4, niqe_params=params)
  sharp, blur = (row["niqe"] for row in result["images"])
  assert blur > sharp + 1
  assert result["mean"]["niqe"] == pytest.approx((sharp + blur) / 2)
  assert "lpips" not in result["mean"]


def test_lpips_is_zero_for_hr_and_grows_with_noise():
  model = lpips.LPIPS(net="alex", width=4)
  hr = np.random.default_rng(0).integers(0, 256, (40, 40, 3), np.uint8)
  variables = model.init(jax.random.key(0), jnp.zeros((1, 32, 32, 3)), jnp.zeros((1, 32, 32, 3)))
  variables = jax.tree.map(jnp.abs, variables)  # learned LPIPS weights are >= 0
  noisy = np.clip(hr + np.random.default_rng(1).normal(0, 40, hr.shape), 0, 255).astype(np.uint8)
  srs = {"same": hr, "noisy": noisy}
  result = perceptual_quality.add_scores(_result(srs), [benchmark.Sample(n, hr, hr) for n in srs],
                                         srs, 2, lpips_net=(model, variables))
  same, noise = (row["lpips"] for row in result["images"])
  assert same == pytest.approx(0.0, abs=1e-6) and noise > 1e-4


def test_missing_lpips_weights_name_the_fetch_command(tmp_path, monkeypatch):
  monkeypatch.setenv("SR_JAX_CACHE", str(tmp_path))
  with pytest.raises(FileNotFoundError, match="python -m sr_jax.tools.vgg --lpips=vgg --fetch"):
    perceptual_quality.load(False, None, "vgg")
