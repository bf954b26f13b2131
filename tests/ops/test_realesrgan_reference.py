"""Real-ESRGAN's degradations, stage by stage, host (NumPy) and device (JAX) against PyTorch oracles.

Each oracle is written here from what the reference does (xinntao/Real-ESRGAN `realesrgan_model.py`
and `realesrgan_dataset.py`; BasicSR's `filter2D`, `*_noise_pt`, `DiffJPEG`, `USMSharp`,
`paired_random_crop`), on the same random parameters as ours; random draws (noise) are fixed arrays
shared by all three.

Tolerances (max |difference| on [0, 1] values), and why:
- blur / final sinc: 2e-6; resize (area, bilinear, bicubic; up, down, odd sizes; scale_factor= and
  size=): 1e-5. The same math; float32 sums in another order (cv2's DFT for kernels >= 11 taps).
- Gaussian / Poisson noise on the same draws: 1e-6 (float32 rounding of σ/255 and of the luma).
- DiffJPEG: 1e-5 (float32 DCT sums in another order), at every pixel for these images; a
  coefficient that lands within float error of a rounding boundary could round the other way
  (a whole 8×8 block, up to a quantisation step): none does here.
- USM sharpening (`USMSharp`; Real-ESRGAN's weight 0.5 / radius 50 / threshold 10, a radius on
  OpenCV's fixed small-kernel table, random ones): 1e-5, measured 1.2e-6 (host and device). The
  same math; float32 sums in another order (host cv2.GaussianBlur and device separable passes,
  the oracle one 2-D kernel). A residual within float error of threshold/255 could flip one mask
  pixel (the soft mask then moves by at most one tap of the 2-D kernel): none does here.
- crop/pad, paired crop, hflip: exact.
- the whole pipeline, uint8 LR: host = device = torch oracle up to 1 level of 255 (float32 values
  of the oracle and ours round differently when they land on .5), at most 1% of values.
Measured values: docs/realesrgan-degradations.md (USM: above).
"""
import functools
import math

import cv2
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax.config import default_config
from sr_jax.data import degradations as deg
from sr_jax.data import pipeline
from sr_jax.ops import degradations_jax as dj

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch", reason="[ci-step:torch] needs PyTorch")
F = torch.nn.functional


def _image(h, w, seed=0):
  """Smooth colour gradients plus texture: compressible but not trivial."""
  y, x = np.mgrid[0:h, 0:w] / max(h, w)
  rng = np.random.default_rng(seed)
  img = np.stack([x, y, 0.5 + 0.3 * np.sin(8 * x + 5 * y)], -1) + 0.05 * rng.standard_normal((h, w, 3))
  return np.clip(img, 0, 1).astype(np.float32)


def _t(img):
  """HWC NumPy → 1CHW torch float32."""
  return torch.from_numpy(np.ascontiguousarray(img, np.float32)).permute(2, 0, 1)[None].contiguous()


def _np(t):
  return t[0].permute(1, 2, 0).numpy()


def _canvas(img, hc, wc, fill=0.77):
  """img on a larger canvas, junk outside: the device functions must read only the valid region."""
  c = np.full((hc, wc, img.shape[2]), fill, np.float32)
  c[:img.shape[0], :img.shape[1]] = img
  return jnp.asarray(c)


# ---------------------------------------------------------------------------------------------------------
# Fixed draws: a deterministic pattern over (y, x, channel), exact in integers on every side.


def _pattern(xp, shape):
  y, x, c = (xp.arange(n).reshape([-1 if i == j else 1 for j in range(3)]) for i, n in enumerate(shape))
  return (((y * 37 + x * 101 + c * 53 + 7) * 7919) % 1009) / 1009.0


def _normal(xp, shape):
  return ((_pattern(xp, shape) - 0.5) * math.sqrt(12)).astype(xp.float32)  # zero mean, unit variance


class HostDraws:
  """np.random.Generator's standard_normal and poisson, fixed (poisson: stochastic rounding of λ)."""

  def standard_normal(self, shape, dtype=np.float32):
    return _normal(np, shape).astype(dtype)

  def poisson(self, lam):
    return np.floor(lam + _pattern(np, lam.shape))


DEVICE_DRAWS = dj.Draws(lambda key, shape: _normal(jnp, shape),
                        lambda key, lam: jnp.floor(lam + _pattern(jnp, lam.shape)))


def _torch_draws(c, h, w):
  """The pattern as an NCHW tensor: the oracle's randn / poisson (a (1, 1, h, w) plane when c = 1)."""
  return torch.from_numpy(_normal(np, (h, w, c))).permute(2, 0, 1)[None]


def _torch_poisson(lam):
  _, c, h, w = lam.shape
  u = torch.from_numpy(_pattern(np, (h, w, c)).astype(np.float32)).permute(2, 0, 1)[None]
  return torch.floor(lam + u)


# ---------------------------------------------------------------------------------------------------------
# Oracles, from the reference's description.


def filter2d(x, kernel):
  """BasicSR filter2D: reflect-pad k // 2 on every side, then correlate each channel with kernel."""
  k = kernel.shape[-1]
  c = x.shape[1]
  x = F.pad(x, (k // 2,) * 4, mode="reflect")
  weight = torch.as_tensor(np.asarray(kernel, np.float32)).view(1, 1, k, k).repeat(c, 1, 1, 1)
  return F.conv2d(x, weight, groups=c)


def gaussian_noise_pt(img, sigma255, gray):
  """generate_gaussian_noise_pt + clip, with the fixed draws in place of randn."""
  _, c, h, w = img.shape
  noise = _torch_draws(c, h, w) * sigma255 / 255.
  if gray:
    noise = (_torch_draws(1, h, w) * sigma255 / 255.).expand(1, c, h, w)
  return torch.clamp(img + noise, 0, 1)


def poisson_noise_pt(img, scale, gray):
  """generate_poisson_noise_pt + clip, with the fixed sampler in place of torch.poisson."""
  def noise_of(src):
    src = torch.clamp((src * 255.0).round(), 0, 255) / 255.
    vals = len(torch.unique(src))
    vals = 2**np.ceil(np.log2(vals))
    return _torch_poisson(src * vals) / vals - src
  if gray:
    r, g, b = img[:, 0], img[:, 1], img[:, 2]
    luma = (0.2989 * r + 0.587 * g + 0.114 * b)[:, None]  # torchvision's rgb_to_grayscale
    noise = noise_of(luma).expand_as(img)
  else:
    noise = noise_of(img)
  return torch.clamp(img + noise * scale, 0, 1)


def _dct_tensor():
  t = torch.zeros(8, 8, 8, 8)
  for a, b, u, v in np.ndindex(8, 8, 8, 8):
    t[a, b, u, v] = math.cos((2 * a + 1) * u * math.pi / 16) * math.cos((2 * b + 1) * v * math.pi / 16)
  return t


_COS = _dct_tensor()


def diffjpeg_pt(x, quality):
  """BasicSR's DiffJPEG(differentiable=False) of a (1, 3, h, w) image in [0, 1] at a float quality."""
  q = torch.tensor(quality, dtype=torch.float32)
  factor = (5000. / q if q < 50 else 200. - q * 2) / 100.
  h, w = x.shape[-2:]
  x = F.pad(x, (0, (16 - w % 16) % 16, 0, (16 - h % 16) % 16), mode="constant", value=0)
  img = x.permute(0, 2, 3, 1) * 255
  to_ycc = torch.tensor([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5],
                         [0.5, -0.418688, -0.081312]]).T
  ycc = torch.tensordot(img, to_ycc, dims=1) + torch.tensor([0., 128., 128.])
  luma_std = torch.tensor([
      16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
      14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
      92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99.]).view(8, 8)
  y_table = luma_std.T  # DiffJPEG transposes the standard's luma table
  c_table = torch.full((8, 8), 99.)
  c_table[:4, :4] = torch.tensor([[17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99], [47, 66, 99, 99.]]).T
  alpha = torch.tensor([1 / math.sqrt(2)] + [1.] * 7)
  alpha2 = torch.outer(alpha, alpha)

  def roundtrip(p, table):
    b, hh, ww = p.shape
    blocks = p.view(b, hh // 8, 8, ww // 8, 8).permute(0, 1, 3, 2, 4).reshape(b, -1, 8, 8)
    coef = 0.25 * alpha2 * torch.tensordot(blocks - 128, _COS, dims=2)
    coef = torch.round(coef / (table * factor)) * (table * factor)
    out = 0.25 * torch.tensordot(coef * alpha2, _COS.permute(2, 3, 0, 1), dims=2) + 128
    return out.view(b, hh // 8, ww // 8, 8, 8).permute(0, 1, 3, 2, 4).reshape(b, hh, ww)

  def repeat(c):  # chroma_upsampling's unsqueeze / repeat / view
    b, hh, ww = c.shape
    return c.unsqueeze(-1).repeat(1, 1, 2, 2).view(-1, hh * 2, ww * 2)

  y = roundtrip(ycc[..., 0], y_table)
  cb = repeat(roundtrip(F.avg_pool2d(ycc[..., 1][:, None], 2)[:, 0], c_table))
  cr = repeat(roundtrip(F.avg_pool2d(ycc[..., 2][:, None], 2)[:, 0], c_table))
  to_rgb = torch.tensor([[1., 0., 1.402], [1, -0.344136, -0.714136], [1, 1.772, 0]]).T
  rgb = torch.tensordot(torch.stack([y, cb, cr], -1) + torch.tensor([0, -128., -128.]), to_rgb, dims=1)
  rgb = torch.clamp(rgb, 0, 255).permute(0, 3, 1, 2) / 255
  return rgb[:, :, :h, :w]


# cv2.getGaussianKernel(ksize, sigma <= 0) takes these fixed kernels up to 7 taps (OpenCV's
# small_gaussian_tab), and σ = 0.3 · ((ksize − 1) / 2 − 1) + 0.8 above.
_SMALL_GAUSSIAN = {1: [1.], 3: [0.25, 0.5, 0.25], 5: [0.0625, 0.25, 0.375, 0.25, 0.0625],
                   7: [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125]}


def gaussian_kernel_cv(ksize):
  """cv2.getGaussianKernel(ksize, 0) (float64, sums to 1)."""
  if ksize in _SMALL_GAUSSIAN:
    return np.array(_SMALL_GAUSSIAN[ksize])
  sigma = 0.3 * ((ksize - 1) * 0.5 - 1) + 0.8
  x = np.arange(ksize) - (ksize - 1) / 2
  k = np.exp(-x**2 / (2 * sigma**2))
  return k / k.sum()


def usm_sharp_pt(img, weight, radius, threshold):
  """BasicSR's USMSharp(radius)(img, weight, threshold), as realesrgan_model.py calls it: an even
  radius grows by 1; the kernel is the outer product of getGaussianKernel(radius, 0) (float32);
  blur and the soft mask are filter2D (reflect padding radius // 2)."""
  radius += 1 - radius % 2
  k = gaussian_kernel_cv(radius)
  kernel = np.outer(k, k).astype(np.float32)  # torch.FloatTensor(np.dot(kernel, kernel.T))
  residual = img - filter2d(img, kernel)
  mask = (torch.abs(residual) * 255 > threshold).float()
  soft_mask = filter2d(mask, kernel)
  sharp = torch.clip(img + weight * residual, 0, 1)
  return soft_mask * sharp + (1 - soft_mask) * img


def degrade_pt(gt, p):
  """realesrgan_model.feed_data's second-order degradation of one image, params as ours, fixed draws."""
  def noise(out, name):
    if p[f"noise{name}_gaussian"]:
      return gaussian_noise_pt(out, float(p[f"noise{name}_sigma"]) * 255, bool(p[f"noise{name}_gray"]))
    return poisson_noise_pt(out, float(p[f"noise{name}_poisson_scale"]), bool(p[f"noise{name}_gray"]))
  mode = lambda key: deg.RESIZE_METHODS[int(p[key])]
  out = filter2d(gt, p["kernel1"])
  out = F.interpolate(out, scale_factor=1 / float(p["resize1_ratio"]), mode=mode("resize1_method"))
  assert tuple(out.shape[-2:]) == tuple(p["resize1_hw"])
  out = diffjpeg_pt(torch.clamp(noise(out, 1), 0, 1), float(p["jpeg1_quality"]))
  out = filter2d(out, p["kernel2"])
  out = F.interpolate(out, size=tuple(int(v) for v in p["resize2_hw"]), mode=mode("resize2_method"))
  out = noise(out, 2)
  lr_hw = tuple(int(v) for v in p["lr_hw"])
  if p["jpeg_first"]:
    out = diffjpeg_pt(torch.clamp(out, 0, 1), float(p["jpeg2_quality"]))
    out = filter2d(F.interpolate(out, size=lr_hw, mode=mode("final_method")), p["sinc_kernel"])
  else:
    out = filter2d(F.interpolate(out, size=lr_hw, mode=mode("final_method")), p["sinc_kernel"])
    out = diffjpeg_pt(torch.clamp(out, 0, 1), float(p["jpeg2_quality"]))
  return torch.clamp((out * 255.0).round(), 0, 255) / 255.


# ---------------------------------------------------------------------------------------------------------
# Stages.


def _kernels():
  """Kernels as sample_params makes them: small and large Gaussian-family ones (cv2 filters the
  large ones by DFT), a first-stage sinc, and the final sinc."""
  cfg = deg.realesrgan_defaults()
  found = {}
  for seed in range(200):
    p = deg.sample_params(np.random.default_rng(seed), cfg, (64, 64, 3), 4)
    k1 = deg.trim_kernel(p["kernel1"])
    kind = "sinc" if (k1 < 0).any() else ("small" if k1.shape[0] < 11 else "large")
    found.setdefault(kind, p["kernel1"])
    if deg.trim_kernel(p["sinc_kernel"]).shape[0] > 1:
      found.setdefault("final_sinc", p["sinc_kernel"])
  assert set(found) == {"sinc", "small", "large", "final_sinc"}
  return found


@pytest.mark.parametrize("name,kernel", sorted(_kernels().items()))
def test_blur_and_final_sinc_match_filter2d(name, kernel):
  img = _image(37, 53)
  ref = _np(filter2d(_t(img), kernel))
  np.testing.assert_allclose(deg.blur(img, kernel), ref, atol=2e-6, err_msg=name)
  dev = jax.jit(dj.blur)(_canvas(img, 48, 64), jnp.array([37, 53]), jnp.asarray(kernel))
  np.testing.assert_allclose(np.asarray(dev)[:37, :53], ref, atol=2e-6, err_msg=name)


_RESIZES = [(s, None) for s in (0.15, 0.43, 0.731, 1.0, 1.2, 1.5)] + [
    (None, (17, 61)), (None, (44, 29)), (None, (9, 9)), (None, (55, 80))]


def test_resizes_match_interpolate():
  """area / bilinear / bicubic, by scale_factor (stage 1) and by size (stage 2, final), up and down."""
  img = _image(37, 53, seed=1)
  device = jax.jit(dj.resize, static_argnums=(4,))
  canvas = _canvas(img, 48, 64)
  for method_index, method in enumerate(deg.RESIZE_METHODS):
    for factor, size in _RESIZES:
      if factor is not None:
        ref = _np(F.interpolate(_t(img), scale_factor=factor, mode=method))
        ratio = np.float32(1.0 / factor)
      else:
        ref = _np(F.interpolate(_t(img), size=size, mode=method))
        ratio = None
      out_hw = ref.shape[:2]
      if factor is not None:
        assert out_hw == deg.stage_sizes((37, 53), 4, factor, 1.0)[0]
      host = deg.resize(img, out_hw, method, ratio=ratio)
      np.testing.assert_allclose(host, ref, atol=1e-5, err_msg=f"{method} {factor} {size}")
      dev = device(canvas, jnp.array([37, 53]), jnp.array(out_hw), method_index, (96, 96), ratio)
      np.testing.assert_allclose(np.asarray(dev)[:out_hw[0], :out_hw[1]], ref, atol=1e-5,
                                 err_msg=f"device {method} {factor} {size}")
      assert not np.asarray(dev)[out_hw[0]:].any() and not np.asarray(dev)[:, out_hw[1]:].any()


@pytest.mark.parametrize("gaussian,gray", [(True, False), (True, True), (False, False), (False, True)])
def test_noise_matches_basicsr_on_the_same_draws(gaussian, gray):
  img = _image(29, 35, seed=2)
  sigma255, scale = 17.3, 2.2
  if gaussian:
    ref = _np(gaussian_noise_pt(_t(img), sigma255, gray))
    host = deg.add_gaussian_noise(img, np.float32(sigma255 / 255), gray, HostDraws())
  else:
    ref = _np(poisson_noise_pt(_t(img), scale, gray))
    host = deg.add_poisson_noise(img, np.float32(scale), gray, HostDraws())
  assert np.abs(ref - img).max() > 0.005  # the draws do change the image
  np.testing.assert_allclose(host, ref, atol=1e-6)
  noise = jax.jit(functools.partial(dj.add_noise, draws=DEVICE_DRAWS))
  dev = noise(_canvas(img, 32, 48), jnp.array([29, 35]), gaussian, np.float32(sigma255 / 255),
              np.float32(scale), gray, jax.random.key(0))
  np.testing.assert_allclose(np.asarray(dev)[:29, :35], ref, atol=1e-6)


@pytest.mark.parametrize("h,w", [(37, 53), (16, 16), (21, 30), (45, 50)])
def test_diffjpeg_matches_basicsr(h, w):
  """Several float qualities (both sides of 50), sizes that need zero padding to 16."""
  img = _image(h, w, seed=3)
  device = jax.jit(dj.diffjpeg)
  hc, wc = -(-h // 16) * 16 + 16, -(-w // 16) * 16  # a larger canvas than the padding needs
  for q in (30.0, 41.7, 50.0, 66.6, 95.0):
    ref = _np(diffjpeg_pt(_t(img), q))
    assert np.abs(ref - img).max() > 1 / 255  # JPEG changes the image
    np.testing.assert_allclose(deg.diffjpeg(img, q), ref, atol=1e-5, err_msg=f"q={q}")
    dev = device(_canvas(img, hc, wc), jnp.array([h, w]), np.float32(q))
    np.testing.assert_allclose(np.asarray(dev)[:h, :w], ref, atol=1e-5, err_msg=f"device q={q}")


def _usm_cases():
  """(weight, radius, threshold): Real-ESRGAN's (0.5, 50, 10), a radius on OpenCV's fixed 7-tap
  table, then random draws (even and odd radii 2..51, weights up to 1, thresholds 0..20)."""
  rng = np.random.default_rng(7)
  drawn = [(round(float(rng.uniform(0.05, 1.0)), 3), int(rng.integers(2, 52)),
            round(float(rng.uniform(0, 20)), 2)) for _ in range(6)]
  return [(0.5, 50, 10), (0.8, 6, 4.5)] + drawn


@pytest.mark.parametrize("weight,radius,threshold", _usm_cases())
def test_usm_sharpen_matches_usmsharp(weight, radius, threshold):
  """Host (cv2.GaussianBlur) and device (separable, reflect-101) USM against BasicSR's USMSharp on
  a batch of 3 random-size images; ≤ 1e-5 (float32 sums in another order)."""
  assert np.allclose(gaussian_kernel_cv(radius + 1 - radius % 2),
                     cv2.getGaussianKernel(radius + 1 - radius % 2, 0)[:, 0], rtol=1e-12, atol=0)
  rng = np.random.default_rng(radius)
  h, w = (int(v) for v in rng.integers(radius // 2 + 1, 72, size=2))
  imgs = np.stack([_image(h, w, seed=10 + i) for i in range(3)])
  refs = [_np(usm_sharp_pt(_t(img), weight, radius, threshold)) for img in imgs]
  assert max(np.abs(ref - img).max() for ref, img in zip(refs, imgs)) > 1 / 255  # it sharpens
  sharpen = jax.jit(functools.partial(dj.usm_sharpen, weight=weight, radius=radius,
                                      threshold=threshold))
  dev = np.asarray(sharpen(jnp.asarray(imgs)))
  for i, (img, ref) in enumerate(zip(imgs, refs)):
    host = deg.usm_sharpen(img, weight=weight, radius=radius, threshold=threshold)
    np.testing.assert_allclose(host, ref, atol=1e-5, err_msg=f"host {i}")
    np.testing.assert_allclose(dev[i], ref, atol=1e-5, err_msg=f"device {i}")


# ---------------------------------------------------------------------------------------------------------
# Cropping and augmentation.


def _config(crop_pad, hr_patch, augment="none", device=False):
  c = default_config()
  c.data.degradation = "realesrgan"
  c.data.hr_patch = hr_patch
  c.data.augment = augment
  c.data.degradation_device = device
  c.degradation.crop_pad_size = crop_pad
  return c


def test_crop_pad_then_paired_crop_match_the_reference():
  """GT 30×50 → reflect-pad the height, random-crop the width to 40; degrade; paired crop 16 / 8."""
  img = (_image(30, 50, seed=4) * 255).astype(np.uint8)
  scale, seed = 2, 11
  host_c, dev_c = _config(40, 16), _config(40, 16, device=True)
  host = pipeline.make_pair(host_c.data, scale, host_c.degradation).random_map(
      img, np.random.default_rng(seed))
  dev = pipeline.make_pair(dev_c.data, scale, dev_c.degradation).random_map(
      img, np.random.default_rng(seed))
  # The same draws, in the order the pipeline makes them.
  rng = np.random.default_rng(seed)
  top, left = rng.integers(0, 1), rng.integers(0, 50 - 40 + 1)
  padded = F.pad(_t(img.astype(np.float32)), (0, 0, 0, 10), mode="reflect")  # bottom, reflect-101
  patch = padded[:, :, top:top + 40, left:left + 40]
  params = deg.sample_params(rng, host_c.degradation, (40, 40, 3), scale)
  crop = rng.integers(0, 20 - 8 + 1), rng.integers(0, 20 - 8 + 1)
  np.testing.assert_array_equal(dev["hr"], _np(patch).astype(np.uint8))
  np.testing.assert_array_equal(dev["crop"], crop)
  lr = deg.apply_cpu(_np(patch).astype(np.uint8) / np.float32(255), params, "diffjpeg")
  lr_t, gt_t = _t(lr.astype(np.float32)), patch
  ref_lr = lr_t[:, :, crop[0]:crop[0] + 8, crop[1]:crop[1] + 8]  # paired_random_crop
  ref_gt = gt_t[:, :, crop[0] * 2:crop[0] * 2 + 16, crop[1] * 2:crop[1] * 2 + 16]
  usm = deg.usm_sharpen(_np(patch) / 255, **host_c.degradation.usm)  # degrade_sharpened
  np.testing.assert_array_equal(
      host["lr"], deg.paired_crop(deg.apply_cpu(usm, params), _np(patch), crop, 8, 2)[0])
  np.testing.assert_array_equal(host["hr"], _np(ref_gt).astype(np.uint8))
  # The device's crop of a batch, against the same slicing.
  lr_d, gt_d = dj.paired_crop(jnp.asarray(lr[None]), jnp.asarray(dev["hr"][None]),
                              jnp.asarray(dev["crop"][None]), 8, 2)
  np.testing.assert_array_equal(lr_d[0], _np(ref_lr).astype(np.uint8))
  np.testing.assert_array_equal(gt_d[0], _np(ref_gt).astype(np.uint8))


@pytest.mark.parametrize("crop_pad", [0, 24])
def test_hflip_only_augmentation(crop_pad):
  """'hflip': the patch is the image or its mirror image (torch.flip), never turned or upside down."""
  img = (_image(24, 24, seed=5) * 255).astype(np.uint8)
  c = _config(crop_pad, 24, augment="hflip", device=True)
  make = pipeline.make_pair(c.data, 2, c.degradation)
  mirrored = _np(torch.flip(_t(img.astype(np.float32)), dims=[3])).astype(np.uint8)
  seen = set()
  for seed in range(12):
    hr = make.random_map(img, np.random.default_rng(seed))["hr"]
    flipped = np.array_equal(hr, mirrored)
    assert flipped or np.array_equal(hr, img), seed
    seen.add(flipped)
  assert seen == {False, True}


# ---------------------------------------------------------------------------------------------------------
# The whole pipeline.


def test_second_order_pipeline_host_device_and_torch_agree():
  """Same sampled parameters and draws: host = device = torch oracle, uint8 LR, within 1 level."""
  cfg = deg.realesrgan_defaults()
  side, scale, n = 64, 4, 6
  hr = np.stack([_image(side, side, seed=s) for s in range(n)])
  params = [deg.sample_params(np.random.default_rng(100 + s), cfg, (side, side, 3), scale)
            for s in range(n)]
  stacked = {k: np.stack([p[k] for p in params]) for k in params[0]}
  device = jax.jit(functools.partial(dj.apply_device, scale=scale, cfg=cfg, draws=DEVICE_DRAWS))
  dev = np.round(np.asarray(device(hr, stacked, jax.random.key(0))) * 255)
  for i, p in enumerate(params):
    host = deg.apply_cpu(hr[i], p, "diffjpeg", rng=HostDraws()).astype(np.float64)
    ref = np.round(_np(degrade_pt(_t(hr[i]), p)).astype(np.float64) * 255)
    for name, ours in (("host", host), ("device", dev[i])):
      diff = np.abs(ours - ref)
      assert diff.max() <= 1 and np.mean(diff > 0) <= 0.01, (name, i, diff.max(), np.mean(diff > 0))
    assert np.abs(host - dev[i]).max() <= 1
