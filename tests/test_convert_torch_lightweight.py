"""Converted weights of the lightweight models reproduce PyTorch: small modules written after the
official code (CARN-pytorch, IMDN, KAIR's IRCNN, Real-ESRGAN's SRVGGNetCompact) with its key
names, random weights, saved with torch.save, converted, run in both ([0, 1] range)."""
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import convert, models, weights
from sr_jax.models.common import DIV2K_RGB_MEAN, upsample_factors
from sr_jax.ops import imresize

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch", reason="[ci-step:torch] needs PyTorch")
nn = torch.nn
fn = torch.nn.functional


def conv(cin, cout, k=3, groups=1, dilation=1):
  return nn.Conv2d(cin, cout, k, padding=dilation * (k // 2), dilation=dilation, groups=groups)


# CARN-pytorch (carn/model/ops.py, carn.py, carn_m.py), with `f` features instead of 64.

class MeanShift(nn.Module):
  def __init__(self, sign):
    super().__init__()
    self.shifter = nn.Conv2d(3, 3, 1)
    self.shifter.weight.data = torch.eye(3).view(3, 3, 1, 1)
    self.shifter.bias.data = sign * torch.tensor(DIV2K_RGB_MEAN)
    self.shifter.requires_grad_(False)

  def forward(self, x):
    return self.shifter(x)


class BasicBlock(nn.Module):
  def __init__(self, cin, cout):
    super().__init__()
    self.body = nn.Sequential(nn.Conv2d(cin, cout, 1), nn.ReLU())

  def forward(self, x):
    return self.body(x)


class ResidualBlock(nn.Module):
  def __init__(self, f):
    super().__init__()
    self.body = nn.Sequential(conv(f, f), nn.ReLU(), conv(f, f))

  def forward(self, x):
    return fn.relu(self.body(x) + x)


class EResidualBlock(nn.Module):
  def __init__(self, f, group):
    super().__init__()
    self.body = nn.Sequential(conv(f, f, groups=group), nn.ReLU(), conv(f, f, groups=group),
                              nn.ReLU(), nn.Conv2d(f, f, 1))

  def forward(self, x):
    return fn.relu(self.body(x) + x)


class CarnBlock(nn.Module):
  """carn.Block, or carn_m.Block (one EResidualBlock b1, called three times)."""

  def __init__(self, f, group, mobile):
    super().__init__()
    if mobile:
      self.b1 = EResidualBlock(f, group)
    else:
      self.b1, self.b2, self.b3 = ResidualBlock(f), ResidualBlock(f), ResidualBlock(f)
    self.c1, self.c2, self.c3 = BasicBlock(2 * f, f), BasicBlock(3 * f, f), BasicBlock(4 * f, f)
    self.mobile = mobile

  def forward(self, x):
    return cascade(self, x, [self.b1] * 3 if self.mobile else [self.b1, self.b2, self.b3])


def cascade(module, x, units):
  c = o = x
  for unit, fuse in zip(units, (module.c1, module.c2, module.c3)):
    c = torch.cat([c, unit(o)], dim=1)
    o = fuse(c)
  return o


class _UpsampleBlock(nn.Module):
  def __init__(self, f, scale, group):
    super().__init__()
    layers = []
    for r in upsample_factors(scale):
      layers += [conv(f, r * r * f, groups=group), nn.ReLU(), nn.PixelShuffle(r)]
    self.body = nn.Sequential(*layers)

  def forward(self, x):
    return self.body(x)


class UpsampleBlock(nn.Module):
  def __init__(self, f, scale, multi_scale, group):
    super().__init__()
    if multi_scale:
      self.up2, self.up3, self.up4 = (_UpsampleBlock(f, s, group) for s in (2, 3, 4))
    else:
      self.up = _UpsampleBlock(f, scale, group)
    self.multi_scale = multi_scale

  def forward(self, x, scale):
    return getattr(self, f"up{scale}")(x) if self.multi_scale else self.up(x)


class CARN(nn.Module):
  def __init__(self, f, scale, multi_scale, group=1, mobile=False):
    super().__init__()
    self.sub_mean, self.add_mean = MeanShift(-1), MeanShift(1)
    self.entry = conv(3, f)
    self.b1, self.b2, self.b3 = (CarnBlock(f, group, mobile) for _ in range(3))
    self.c1, self.c2, self.c3 = BasicBlock(2 * f, f), BasicBlock(3 * f, f), BasicBlock(4 * f, f)
    self.upsample = UpsampleBlock(f, scale, multi_scale, group)
    self.exit = conv(f, 3)
    self.scale = scale

  def forward(self, x):
    x = self.entry(self.sub_mean(x))
    x = cascade(self, x, [self.b1, self.b2, self.b3])
    return self.add_mean(self.exit(self.upsample(x, self.scale)))


# IMDN (model/block.py, architecture.py), with `num_modules` IMDBs instead of six.

class CCALayer(nn.Module):
  def __init__(self, channel, reduction=16):
    super().__init__()
    self.conv_du = nn.Sequential(nn.Conv2d(channel, channel // reduction, 1), nn.ReLU(),
                                 nn.Conv2d(channel // reduction, channel, 1), nn.Sigmoid())

  def forward(self, x):
    mean = x.mean(dim=(2, 3), keepdim=True)
    std = (x - mean).pow(2).mean(dim=(2, 3), keepdim=True).pow(0.5)
    return x * self.conv_du(std + mean)


class IMDModule(nn.Module):
  def __init__(self, f):
    super().__init__()
    self.d, self.r = f // 4, f - f // 4
    self.c1, self.c2, self.c3 = conv(f, f), conv(self.r, f), conv(self.r, f)
    self.c4 = conv(self.r, self.d)
    self.c5 = nn.Conv2d(f, f, 1)
    self.cca = CCALayer(4 * self.d)

  def forward(self, x):
    act = lambda y: fn.leaky_relu(y, 0.05)
    d1, r1 = torch.split(act(self.c1(x)), (self.d, self.r), dim=1)
    d2, r2 = torch.split(act(self.c2(r1)), (self.d, self.r), dim=1)
    d3, r3 = torch.split(act(self.c3(r2)), (self.d, self.r), dim=1)
    out = torch.cat([d1, d2, d3, self.c4(r3)], dim=1)
    return self.c5(self.cca(out)) + x


class IMDN(nn.Module):
  def __init__(self, f, scale, num_modules):
    super().__init__()
    self.fea_conv = conv(3, f)
    for i in range(num_modules):
      setattr(self, f"IMDB{i + 1}", IMDModule(f))
    self.c = nn.Sequential(nn.Conv2d(f * num_modules, f, 1), nn.LeakyReLU(0.05))
    self.LR_conv = conv(f, f)  # pylint: disable=invalid-name  (the official name)
    self.upsampler = nn.Sequential(conv(f, 3 * scale**2), nn.PixelShuffle(scale))
    self.num_modules = num_modules

  def forward(self, x):
    fea = self.fea_conv(x)
    outs, y = [], fea
    for i in range(self.num_modules):
      y = getattr(self, f"IMDB{i + 1}")(y)
      outs.append(y)
    return self.upsampler(self.LR_conv(self.c(torch.cat(outs, dim=1))) + fea)


# KAIR's IRCNN (models/network_dncnn.py): run here on the bicubic-upsampled image.

class IRCNN(nn.Module):
  def __init__(self, f, channels):
    super().__init__()
    layers = []
    for i, d in enumerate((1, 2, 3, 4, 3, 2, 1)):
      layers.append(conv(channels if i == 0 else f, channels if i == 6 else f, dilation=d))
      if i < 6:
        layers.append(nn.ReLU())
    self.model = nn.Sequential(*layers)

  def forward(self, x):
    return x - self.model(x)


# Real-ESRGAN's SRVGGNetCompact (realesrgan/archs/srvgg_arch.py).

class SRVGGNetCompact(nn.Module):
  def __init__(self, f, num_conv, scale, act):
    super().__init__()
    make_act = {"prelu": lambda: nn.PReLU(num_parameters=f), "relu": nn.ReLU,
                "leakyrelu": lambda: nn.LeakyReLU(0.1)}[act]
    self.body = nn.ModuleList([conv(3, f), make_act()])
    for _ in range(num_conv):
      self.body.extend([conv(f, f), make_act()])
    self.body.append(conv(f, 3 * scale**2))
    self.upsampler = nn.PixelShuffle(scale)
    self.scale = scale

  def forward(self, x):
    out = x
    for layer in self.body:
      out = layer(out)
    return self.upsampler(out) + fn.interpolate(x, scale_factor=self.scale, mode="nearest")


F = 8  # features of the small models
# name → (PyTorch model, Flax arch, the matching Flax model's settings, pre-upsampled input).
CASES = {
    "carn_x3_multiscale": (lambda: CARN(F, 3, multi_scale=True), "carn",
                           dict(scale=3, features=F), False),
    "carn_x4": (lambda: CARN(F, 4, multi_scale=False), "carn",
                dict(scale=4, features=F, multi_scale=False), False),
    "carn_m_x2_multiscale": (lambda: CARN(F, 2, multi_scale=True, group=4, mobile=True),
                             "carn_m", dict(scale=2, features=F), False),
    "carn_m_x4": (lambda: CARN(F, 4, multi_scale=False, group=4, mobile=True), "carn_m",
                  dict(scale=4, features=F, multi_scale=False), False),
    "imdn_x3": (lambda: IMDN(16, 3, 2), "imdn", dict(scale=3, features=16, num_modules=2),
                False),
    "ircnn_x2": (lambda: IRCNN(F, 3), "ircnn", dict(scale=2, features=F), True),
    "srvgg_prelu_x4": (lambda: SRVGGNetCompact(F, 3, 4, "prelu"), "srvgg_compact",
                       dict(scale=4, features=F, num_conv=3), False),
    "srvgg_lrelu_x2": (lambda: SRVGGNetCompact(F, 2, 2, "leakyrelu"), "srvgg_compact",
                       dict(scale=2, features=F, num_conv=2, activation="leakyrelu"), False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_converted_model_matches_pytorch(case, tmp_path):
  build, arch, flax_kwargs, pre_upsampled = CASES[case]
  torch.manual_seed(0)
  torch.set_num_threads(1)
  model = build().eval()
  with torch.no_grad():  # non-trivial biases and PReLU slopes
    for p in model.parameters():
      if p.requires_grad:
        p.add_(0.05 * torch.randn_like(p))
  # IMDN's released files carry DataParallel's prefix.
  torch.save({f"module.{k}": v for k, v in model.state_dict().items()}, tmp_path / "w.pth")
  flax_model = models.build_model(arch, **flax_kwargs)
  params = convert.convert_state_dict(arch, weights.read_state_dict(str(tmp_path / "w.pth")),
                                      convert.model_template(flax_model))
  lr = np.random.default_rng(0).random((1, 6, 10, 3), np.float32)
  x = np.array(imresize.resize_jax(jnp.asarray(lr), flax_model.scale)) if pre_upsampled else lr
  with torch.no_grad():
    expected = model(torch.from_numpy(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
  got = flax_model.apply({"params": params}, jnp.asarray(lr))
  assert got.shape == expected.shape
  diff = float(np.max(np.abs(np.asarray(got) - expected)))
  print(f"{case}: max |Flax - PyTorch| = {diff:.2e}")
  assert diff <= 1e-4
