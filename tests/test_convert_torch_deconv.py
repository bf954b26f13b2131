"""Transposed convolutions from PyTorch: ConvTranspose2d kernels (in, out, kh, kw) → Flax
nn.ConvTranspose (kh, kw, in, out) flipped in both spatial axes, with padding (k−1−p,
k−1−p+output_padding) (convert.torch_kernel), alone over strides/paddings, then the two
architectures built on them, written after their PyTorch code with its key names, random
weights, converted and run in both (max |difference| ≤ 1e-4, float32):
  - FSRCNN after yjn870/FSRCNN-pytorch (models.py: first_part, mid_part, last_part): the most
    used PyTorch port, with released weights (weights/fsrcnn_x{2,3,4}.pth, Y channel only); the
    authors' release is Caffe/MATLAB, not a state_dict.
  - D-DBPN after alterzero/DBPN-Pytorch (dbpn.py, base_networks.py: ConvBlock/DeconvBlock,
    UpBlock/DownBlock, D_UpBlock/D_DownBlock), saved through DataParallel (`module.`).
"""
import flax.linen as nn_flax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import convert, models, weights

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch", reason="[ci-step:torch] needs PyTorch")
nn = torch.nn


@pytest.mark.parametrize("k,s,p,op", [(9, 2, 4, 1), (9, 3, 4, 2), (9, 4, 4, 3), (6, 2, 2, 0),
                                      (7, 3, 2, 0), (8, 4, 2, 0), (12, 8, 2, 0), (4, 2, 1, 0),
                                      (3, 2, 0, 1)])
def test_conv_transpose_kernel_maps_onto_flax(k, s, p, op):
  """FSRCNN's (9, s, 4, s − 1), D-DBPN's (6, 2, 2), (8, 4, 2), (12, 8, 2) and others."""
  torch.manual_seed(0)
  layer = nn.ConvTranspose2d(3, 5, k, stride=s, padding=p, output_padding=op)
  x = np.random.default_rng(0).standard_normal((1, 5, 7, 3)).astype(np.float32)
  with torch.no_grad():
    expected = layer(torch.from_numpy(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
  q = k - 1 - p
  flax_layer = nn_flax.ConvTranspose(5, (k, k), strides=(s, s), padding=((q, q + op),) * 2)
  kernel = convert.torch_kernel(layer.weight.detach().numpy(), transposed=True)
  assert kernel.shape == (k, k, 3, 5)
  got = flax_layer.apply({"params": {"kernel": kernel, "bias": layer.bias.detach().numpy()}},
                         jnp.asarray(x))
  assert got.shape == expected.shape
  np.testing.assert_allclose(np.asarray(got), expected, atol=1e-5)


class FSRCNN(nn.Module):
  def __init__(self, scale, channels=1, d=8, s=4, m=2):
    super().__init__()
    self.first_part = nn.Sequential(nn.Conv2d(channels, d, 5, padding=2), nn.PReLU(d))
    mid = [nn.Conv2d(d, s, 1), nn.PReLU(s)]
    for _ in range(m):
      mid += [nn.Conv2d(s, s, 3, padding=1), nn.PReLU(s)]
    self.mid_part = nn.Sequential(*mid, nn.Conv2d(s, d, 1), nn.PReLU(d))
    self.last_part = nn.ConvTranspose2d(d, channels, 9, stride=scale, padding=4,
                                        output_padding=scale - 1)

  def forward(self, x):
    return self.last_part(self.mid_part(self.first_part(x)))


# DBPN-Pytorch's blocks: ConvBlock / DeconvBlock are .conv / .deconv then .act = nn.PReLU()
# (one slope); the reconstruction ConvBlock has no activation.

class ConvBlock(nn.Module):
  def __init__(self, cin, cout, k, s, p, act=True):
    super().__init__()
    self.conv = nn.Conv2d(cin, cout, k, s, p)
    self.act = nn.PReLU() if act else nn.Identity()

  def forward(self, x):
    return self.act(self.conv(x))


class DeconvBlock(nn.Module):
  def __init__(self, f, k, s, p):
    super().__init__()
    self.deconv, self.act = nn.ConvTranspose2d(f, f, k, s, p), nn.PReLU()

  def forward(self, x):
    return self.act(self.deconv(x))


class Projection(nn.Module):
  """UpBlock (up: deconv, conv, deconv on the LR residual) or DownBlock (conv, deconv, conv);
  with `stages`, the D_ variant whose 1×1 ConvBlock `conv` first fuses `stages` maps."""

  def __init__(self, up, f, k, s, p, stages=0):
    super().__init__()
    self.fuse = stages > 0
    if self.fuse:
      self.conv = ConvBlock(f * stages, f, 1, 1, 0)
    a, b = (DeconvBlock, ConvBlock) if up else (ConvBlock, DeconvBlock)
    self.steps = [f"{'up' if up else 'down'}_conv{i}" for i in (1, 2, 3)]
    for name, block in zip(self.steps, (a, b, a)):
      setattr(self, name, block(f, f, k, s, p) if block is ConvBlock else block(f, k, s, p))

  def forward(self, x):
    if self.fuse:
      x = self.conv(x)
    first, second, third = (getattr(self, name) for name in self.steps)
    y0 = first(x)
    return third(second(y0) - x) + y0


class DBPN(nn.Module):
  """dbpn.Net with T = `stages` (7 in D-DBPN, 10 in DBPN-LL): up1, down1, up2, then down<t>,
  up<t+1> for t = 2 … T−1 on the concatenation of all earlier maps, newest first."""

  def __init__(self, scale, stages=3, feat=8, base=4):
    super().__init__()
    k, s, p = {2: (6, 2, 2), 4: (8, 4, 2), 8: (12, 8, 2)}[scale]
    self.stages = stages
    self.feat0, self.feat1 = ConvBlock(3, feat, 3, 1, 1), ConvBlock(feat, base, 1, 1, 0)
    self.up1, self.down1 = Projection(True, base, k, s, p), Projection(False, base, k, s, p)
    self.up2 = Projection(True, base, k, s, p)
    for t in range(2, stages):
      setattr(self, f"down{t}", Projection(False, base, k, s, p, t))
      setattr(self, f"up{t + 1}", Projection(True, base, k, s, p, t))
    self.output_conv = ConvBlock(stages * base, 3, 3, 1, 1, act=False)

  def forward(self, x):
    x = self.feat1(self.feat0(x))
    h1 = self.up1(x)
    l1 = self.down1(h1)
    concat_h, concat_l = torch.cat((self.up2(l1), h1), 1), l1
    for t in range(2, self.stages):
      concat_l = torch.cat((getattr(self, f"down{t}")(concat_h), concat_l), 1)
      concat_h = torch.cat((getattr(self, f"up{t + 1}")(concat_l), concat_h), 1)
    return self.output_conv(concat_h)


# case → (PyTorch model, Flax arch, Flax model settings, LR image shape).
CASES = {
    "fsrcnn_x2_y": (lambda: FSRCNN(2), "fsrcnn", dict(scale=2, channels=1, d=8, s=4, m=2),
                    (1, 6, 10, 1)),
    "fsrcnn_x3_y": (lambda: FSRCNN(3, m=4), "fsrcnn", dict(scale=3, channels=1, d=8, s=4, m=4),
                    (1, 6, 10, 1)),
    "fsrcnn_x4_rgb": (lambda: FSRCNN(4, channels=3), "fsrcnn",
                      dict(scale=4, channels=3, d=8, s=4, m=2), (1, 6, 10, 3)),
    "dbpn_x2_t3": (lambda: DBPN(2), "dbpn", dict(scale=2, num_stages=3, features=8,
                                                 base_features=4), (1, 6, 10, 3)),
    "dbpn_x4_t4": (lambda: DBPN(4, stages=4), "dbpn", dict(scale=4, num_stages=4, features=8,
                                                           base_features=4), (1, 6, 10, 3)),
    "dbpn_x8_t3": (lambda: DBPN(8), "dbpn", dict(scale=8, num_stages=3, features=8,
                                                 base_features=4), (1, 4, 6, 3)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_converted_model_matches_pytorch(case, tmp_path):
  build, arch, flax_kwargs, lr_shape = CASES[case]
  torch.manual_seed(0)
  torch.set_num_threads(1)
  model = build().eval()
  with torch.no_grad():  # non-trivial biases and PReLU slopes (0.25 at init)
    for p in model.parameters():
      p.add_(0.05 * torch.randn_like(p))
  # DBPN-Pytorch's main.py trains under DataParallel: its files carry `module.`.
  prefix = "module." if arch == "dbpn" else ""
  torch.save({prefix + k: v for k, v in model.state_dict().items()}, tmp_path / "w.pth")
  flax_model = models.build_model(arch, **flax_kwargs)
  params = convert.convert_state_dict(arch, weights.read_state_dict(str(tmp_path / "w.pth")),
                                      convert.model_template(flax_model))
  lr = np.random.default_rng(0).random(lr_shape, np.float32)
  with torch.no_grad():
    expected = model(torch.from_numpy(lr).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
  got = np.asarray(jax.jit(flax_model.apply)({"params": params}, jnp.asarray(lr)))
  assert got.shape == expected.shape
  diff = float(np.max(np.abs(got - expected)))
  print(f"{case}: max |Flax - PyTorch| = {diff:.2e}")
  assert diff <= 1e-4


def _state(model):
  return {k: v.numpy() for k, v in model.state_dict().items()}


def _template(arch, **kwargs):
  return convert.model_template(models.build_model(arch, **kwargs))


def test_every_difference_of_a_dbpn_or_fsrcnn_file_is_named():
  # A T = 4 D-DBPN into a T = 3 config: its down3/up4 map to units the config lacks, up3's
  # fusion conv and the reconstruction differ in input channels.
  state = _state(DBPN(2, stages=4))
  del state["up1.up_conv2.act.weight"]
  with pytest.raises(ValueError) as e:
    convert.convert_state_dict("dbpn", state, _template("dbpn", scale=2, num_stages=3,
                                                        features=8, base_features=4))
  message = str(e.value)
  for line in ("up4.up_conv3.deconv.weight: maps to up_4/ConvTranspose_1, which the config's "
               "dbpn does not have",
               "down3.conv.act.weight: maps to down_3/PReLU_0, which",
               "output_conv.conv.weight: output_conv/kernel has shape (3, 3, 12, 3) in the "
               "config's dbpn, the file's is (3, 3, 16, 3)",
               "up_1/PReLU_1/negative_slope: no key of the file provides it"):
    assert line in message
  # An FSRCNN with m = 4 into an m = 2 config: the third mapping conv lands on `expand`, which
  # the real expand conv then gives again, with other shapes.
  state = _state(FSRCNN(3, m=4))
  with pytest.raises(ValueError) as e:
    convert.convert_state_dict("fsrcnn", state, _template("fsrcnn", scale=3, channels=1, d=8,
                                                          s=4, m=2))
  message = str(e.value)
  assert "mid_part.6.weight: expand/kernel has shape (1, 1, 4, 8)" in message
  assert "mid_part.11.weight: maps to PReLU_6, which the config's fsrcnn does not have" in message
