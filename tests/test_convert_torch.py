"""Converted weights reproduce PyTorch: small models written after the official code (their key
names, their [0, 255] or [0, 1] ranges), saved with torch.save, converted, run in both."""
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import convert, models
from sr_jax.models.common import DIV2K_RGB_MEAN, upsample_factors

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch", reason="[ci-step:torch] needs PyTorch")
nn = torch.nn
fn = torch.nn.functional


F = 8  # features of the small models


def conv(cin, cout, k=3):
  return nn.Conv2d(cin, cout, k, padding=k // 2)


def upsampler(scale, features):
  """EDSR-PyTorch's Upsampler / BasicSR's Upsample: conv, PixelShuffle per stage."""
  layers = []
  for r in upsample_factors(scale):
    layers += [conv(features, r * r * features), nn.PixelShuffle(r)]
  return nn.Sequential(*layers)


class MeanShift(nn.Conv2d):
  """EDSR-PyTorch's fixed 1×1 conv (rgb_range 255): part of the state_dict, skipped."""

  def __init__(self, sign):
    super().__init__(3, 3, 1)
    self.weight.data = torch.eye(3).view(3, 3, 1, 1)
    self.bias.data = sign * 255 * torch.tensor(DIV2K_RGB_MEAN)
    self.requires_grad_(False)


class Residual(nn.Module):
  """x + body(x)·scale: EDSR's ResBlock, RCAN's RCAB and ResidualGroup."""

  def __init__(self, *layers, scale=1.0):
    super().__init__()
    self.body, self.scale = nn.Sequential(*layers), scale

  def forward(self, x):
    return x + self.body(x) * self.scale


class CALayer(nn.Module):
  def __init__(self, features, reduction):
    super().__init__()
    self.avg_pool = nn.AdaptiveAvgPool2d(1)
    self.conv_du = nn.Sequential(nn.Conv2d(features, features // reduction, 1), nn.ReLU(),
                                 nn.Conv2d(features // reduction, features, 1), nn.Sigmoid())

  def forward(self, x):
    return x * self.conv_du(self.avg_pool(x))


class MeanShifted(nn.Module):
  """EDSR-PyTorch's EDSR / RCAN: head, body (blocks + conv) with a long skip, tail; [0, 255]."""

  def __init__(self, scale, blocks):
    super().__init__()
    self.sub_mean, self.add_mean = MeanShift(-1), MeanShift(1)
    self.head = nn.Sequential(conv(3, F))
    self.body = nn.Sequential(*blocks, conv(F, F))
    self.tail = nn.Sequential(upsampler(scale, F), conv(F, 3))

  def forward(self, x):
    x = self.head(self.sub_mean(x))
    return self.add_mean(self.tail(self.body(x) + x))


def edsr(scale):
  return MeanShifted(scale, [Residual(conv(F, F), nn.ReLU(), conv(F, F), scale=0.1)
                             for _ in range(2)])


def rcan(scale):
  rcab = lambda: Residual(conv(F, F), nn.ReLU(), conv(F, F), CALayer(F, 4))
  return MeanShifted(scale, [Residual(rcab(), rcab(), conv(F, F)) for _ in range(2)])


class RDB(nn.Module):
  def __init__(self, growth):
    super().__init__()
    for i in range(5):
      setattr(self, f"conv{i + 1}", conv(F + i * growth, growth if i < 4 else F))

  def forward(self, x):
    feats = [x]
    for i in range(1, 5):
      feats.append(fn.leaky_relu(getattr(self, f"conv{i}")(torch.cat(feats, 1)), 0.2))
    return x + 0.2 * self.conv5(torch.cat(feats, 1))


class RRDB(nn.Module):
  def __init__(self, growth):
    super().__init__()
    self.rdb1, self.rdb2, self.rdb3 = RDB(growth), RDB(growth), RDB(growth)

  def forward(self, x):
    return x + 0.2 * self.rdb3(self.rdb2(self.rdb1(x)))


class RRDBNet(nn.Module):
  """BasicSR's ×4 RRDBNet."""

  def __init__(self, blocks, growth):
    super().__init__()
    self.conv_first, self.conv_last = conv(3, F), conv(F, 3)
    self.body = nn.Sequential(*[RRDB(growth) for _ in range(blocks)])
    self.conv_body, self.conv_up1, self.conv_up2, self.conv_hr = (conv(F, F) for _ in range(4))

  def forward(self, x):
    lrelu = lambda y: fn.leaky_relu(y, 0.2)
    feat = self.conv_first(x)
    feat = feat + self.conv_body(self.body(feat))
    for up in (self.conv_up1, self.conv_up2):
      feat = lrelu(up(fn.interpolate(feat, scale_factor=2, mode="nearest")))
    return self.conv_last(lrelu(self.conv_hr(feat)))


class ResidualBlockNoBN(nn.Module):
  def __init__(self):
    super().__init__()
    self.conv1, self.conv2 = conv(F, F), conv(F, F)

  def forward(self, x):
    return x + self.conv2(fn.relu(self.conv1(x)))


class MSRResNet(nn.Module):
  """BasicSR's ×4 MSRResNet."""

  def __init__(self, blocks):
    super().__init__()
    self.conv_first, self.conv_hr, self.conv_last = conv(3, F), conv(F, F), conv(F, 3)
    self.body = nn.Sequential(*[ResidualBlockNoBN() for _ in range(blocks)])
    self.upconv1, self.upconv2 = conv(F, 4 * F), conv(F, 4 * F)

  def forward(self, x):
    lrelu = lambda y: fn.leaky_relu(y, 0.1)
    out = self.body(lrelu(self.conv_first(x)))
    for up in (self.upconv1, self.upconv2):
      out = lrelu(fn.pixel_shuffle(up(out), 2))
    out = self.conv_last(lrelu(self.conv_hr(out)))
    return out + fn.interpolate(x, scale_factor=4, mode="bilinear", align_corners=False)


def window_partition(x, ws):
  b, h, w, c = x.shape
  x = x.view(b, h // ws, ws, w // ws, ws, c).permute(0, 1, 3, 2, 4, 5)
  return x.reshape(-1, ws, ws, c)


def window_reverse(windows, ws, h, w):
  x = windows.view(-1, h // ws, w // ws, ws, ws, windows.shape[-1]).permute(0, 1, 3, 2, 4, 5)
  return x.reshape(-1, h, w, windows.shape[-1])


def calculate_mask(h, w, ws, shift):
  img_mask = torch.zeros(1, h, w, 1)
  spans = (slice(0, -ws), slice(-ws, -shift), slice(-shift, None))
  for i, (hs, wsl) in enumerate((a, b) for a in spans for b in spans):
    img_mask[:, hs, wsl, :] = i
  windows = window_partition(img_mask, ws).view(-1, ws * ws)
  mask = windows.unsqueeze(1) - windows.unsqueeze(2)
  return mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)


class WindowAttention(nn.Module):
  def __init__(self, dim, ws, heads):
    super().__init__()
    self.heads, self.scale = heads, (dim // heads)**-0.5
    self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * ws - 1)**2, heads))
    coords = torch.stack(torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing="ij"))
    coords = coords.flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + ws - 1
    self.register_buffer("relative_position_index", rel[..., 0] * (2 * ws - 1) + rel[..., 1])
    self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

  def forward(self, x, mask):
    b, n, c = x.shape
    q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
    attn = (q * self.scale) @ k.transpose(-2, -1)
    bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(n, n, -1)
    attn = attn + bias.permute(2, 0, 1).unsqueeze(0)
    if mask is not None:
      nw = mask.shape[0]
      attn = attn.view(b // nw, nw, self.heads, n, n) + mask[None, :, None]
      attn = attn.view(-1, self.heads, n, n)
    return self.proj((attn.softmax(-1) @ v).transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
  def __init__(self, dim, hidden):
    super().__init__()
    self.fc1, self.fc2 = nn.Linear(dim, hidden), nn.Linear(hidden, dim)

  def forward(self, x):
    return self.fc2(fn.gelu(self.fc1(x)))


class SwinTransformerBlock(nn.Module):
  def __init__(self, dim, img_size, heads, ws, shift):
    super().__init__()
    self.ws, self.shift = ws, shift
    self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
    self.attn, self.mlp = WindowAttention(dim, ws, heads), Mlp(dim, 2 * dim)
    mask = calculate_mask(img_size, img_size, ws, shift) if shift else None
    self.register_buffer("attn_mask", mask)  # saved for shifted blocks only

  def forward(self, x, x_size):
    (h, w), (b, length, c), ws = x_size, x.shape, self.ws
    y = self.norm1(x).view(b, h, w, c)
    if self.shift:
      y = torch.roll(y, (-self.shift, -self.shift), (1, 2))
    mask = calculate_mask(h, w, ws, self.shift) if self.shift else None
    y = window_reverse(self.attn(window_partition(y, ws).view(-1, ws * ws, c), mask), ws, h, w)
    if self.shift:
      y = torch.roll(y, (self.shift, self.shift), (1, 2))
    x = x + y.reshape(b, length, c)
    return x + self.mlp(self.norm2(x))


class BasicLayer(nn.Module):
  def __init__(self, dim, img_size, depth, heads, ws):
    super().__init__()
    self.blocks = nn.ModuleList([SwinTransformerBlock(dim, img_size, heads, ws, ws // 2 * (i % 2))
                                 for i in range(depth)])


class RSTB(nn.Module):
  def __init__(self, dim, img_size, depth, heads, ws):
    super().__init__()
    self.residual_group, self.conv = BasicLayer(dim, img_size, depth, heads, ws), conv(dim, dim)

  def forward(self, x, x_size):
    y = x
    for block in self.residual_group.blocks:
      y = block(y, x_size)
    y = self.conv(y.transpose(1, 2).reshape(x.shape[0], -1, *x_size))
    return x + y.flatten(2).transpose(1, 2)


class PatchEmbed(nn.Module):
  def __init__(self, dim):
    super().__init__()
    self.norm = nn.LayerNorm(dim)


class SwinIR(nn.Module):
  """The official classical-SR SwinIR (img_range 1, pixelshuffle upsampler, '1conv')."""

  def __init__(self, scale, dim=F, depths=(2, 2), heads=(2, 2), ws=4, img_size=8):
    super().__init__()
    self.scale, self.ws = scale, ws
    self.register_buffer("mean", torch.tensor(DIV2K_RGB_MEAN).view(1, 3, 1, 1), persistent=False)
    self.conv_first = conv(3, dim)
    self.patch_embed = PatchEmbed(dim)
    self.layers = nn.ModuleList([RSTB(dim, img_size, d, h, ws) for d, h in zip(depths, heads)])
    self.norm = nn.LayerNorm(dim)
    self.conv_after_body = conv(dim, dim)
    self.conv_before_upsample = nn.Sequential(conv(dim, F), nn.LeakyReLU())
    self.upsample, self.conv_last = upsampler(scale, F), conv(F, 3)

  def forward(self, x):
    h, w = x.shape[2:]
    x = fn.pad(x, (0, -w % self.ws, 0, -h % self.ws), "reflect") - self.mean
    x = self.conv_first(x)
    b, c, hp, wp = x.shape
    y = self.patch_embed.norm(x.flatten(2).transpose(1, 2))
    for layer in self.layers:
      y = layer(y, (hp, wp))
    x = x + self.conv_after_body(self.norm(y).transpose(1, 2).reshape(b, c, hp, wp))
    x = self.conv_last(self.upsample(self.conv_before_upsample(x)))
    return (x + self.mean)[:, :, :h * self.scale, :w * self.scale]


# arch → (PyTorch model, its input/output range, the matching Flax model's settings).
CASES = {
    "edsr": (lambda: edsr(4), 255, dict(scale=4, num_blocks=2, features=F, res_scale=0.1)),
    "rcan": (lambda: rcan(2), 255, dict(scale=2, num_groups=2, num_blocks=2, features=F,
                                        reduction=4)),
    "rrdbnet": (lambda: RRDBNet(1, 4), 1, dict(scale=4, num_blocks=1, features=F, growth=4)),
    "msrresnet": (lambda: MSRResNet(2), 1, dict(scale=4, num_blocks=2, features=F)),
    "swinir": (lambda: SwinIR(2), 1, dict(scale=2, embed_dim=F, depths=(2, 2), num_heads=(2, 2),
                                          window_size=4, upsample_features=F)),
}


@pytest.mark.parametrize("arch", sorted(CASES))
def test_converted_model_matches_pytorch(arch, tmp_path):
  build, value_range, flax_kwargs = CASES[arch]
  torch.manual_seed(0)
  torch.set_num_threads(1)
  model = build().eval()
  with torch.no_grad():  # non-trivial norms, biases and position biases
    for p in model.parameters():
      if p.requires_grad:
        p.add_(0.05 * torch.randn_like(p))
  assert arch != "swinir" or any(k.endswith("attn_mask") for k in model.state_dict())
  # BasicSR's wrapper and DataParallel's prefix, as in released files.
  torch.save({"params": {f"module.{k}": v for k, v in model.state_dict().items()}},
             tmp_path / "w.pth")
  flax_model = models.build_model(arch, **flax_kwargs)
  params = convert.convert_state_dict(arch, convert.read_state_dict(str(tmp_path / "w.pth")),
                                      convert.model_template(flax_model))
  lr = np.random.default_rng(0).random((1, 6, 10, 3), np.float32)
  with torch.no_grad():
    expected = model(torch.from_numpy(lr).permute(0, 3, 1, 2) * value_range) / value_range
  got = flax_model.apply({"params": params}, jnp.asarray(lr))
  np.testing.assert_allclose(np.asarray(got), expected.permute(0, 2, 3, 1).numpy(), atol=1e-4)


def test_read_state_dict_prefers_the_ema_weights(tmp_path):
  ema, plain = torch.ones(2), torch.zeros(2)
  torch.save({"params": {"x": plain}, "params_ema": {"x": ema}}, tmp_path / "w.pth")
  np.testing.assert_array_equal(convert.read_state_dict(str(tmp_path / "w.pth"))["x"], [1, 1])
