"""Converted weights reproduce PyTorch: small models written after the official code (their key
names, their [0, 255] or [0, 1] ranges, every released variant and key style), saved with
torch.save the way their releases are (BasicSR's params/params_ema wrapper, DataParallel's
`module.` prefix, bare state_dicts), converted, run in both; max |difference| ≤ 1e-4 (float32).
Sources: EDSR-PyTorch (src/model/edsr.py, rdn.py), yulunzhang/RCAN (rcan.py), BasicSR (edsr_arch,
rcan_arch, rrdbnet_arch, srresnet_arch), xinntao/ESRGAN (RRDBNet_arch.py and the first release's
sequential `model.N` layout), KAIR (network_msrresnet.py MSRResNet1), JingyunLiang/SwinIR
(network_swinir.py)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import convert, models, weights
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


def lrelu(x, slope=0.2):
  return fn.leaky_relu(x, slope)


# EDSR-PyTorch's EDSR and RCAN's RCAN: MeanShift convs, head / body / tail, input in [0, 255].

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


# BasicSR's EDSR and RCAN: conv_first, body, conv_after_body, upsample, conv_last; the mean is a
# plain tensor (not in the state_dict), input in [0, 1] scaled by img_range 255 inside.

class ResidualBlockNoBN(nn.Module):
  def __init__(self, res_scale=1.0):
    super().__init__()
    self.conv1, self.conv2, self.res_scale = conv(F, F), conv(F, F), res_scale

  def forward(self, x):
    return x + self.conv2(fn.relu(self.conv1(x))) * self.res_scale


class ChannelAttention(nn.Module):
  def __init__(self, features, squeeze):
    super().__init__()
    self.attention = nn.Sequential(
        nn.AdaptiveAvgPool2d(1), nn.Conv2d(features, features // squeeze, 1), nn.ReLU(),
        nn.Conv2d(features // squeeze, features, 1), nn.Sigmoid())

  def forward(self, x):
    return x * self.attention(x)


class RCAB(nn.Module):
  def __init__(self, squeeze):
    super().__init__()
    self.rcab = nn.Sequential(conv(F, F), nn.ReLU(), conv(F, F), ChannelAttention(F, squeeze))

  def forward(self, x):
    return x + self.rcab(x)


class ResidualGroup(nn.Module):
  def __init__(self, blocks, squeeze):
    super().__init__()
    self.residual_group = nn.Sequential(*[RCAB(squeeze) for _ in range(blocks)])
    self.conv = conv(F, F)

  def forward(self, x):
    return x + self.conv(self.residual_group(x))


class BasicSRMeanShifted(nn.Module):
  def __init__(self, scale, blocks):
    super().__init__()
    self.img_range, self.mean = 255.0, torch.tensor(DIV2K_RGB_MEAN).view(1, 3, 1, 1)
    self.conv_first = conv(3, F)
    self.body = nn.Sequential(*blocks)
    self.conv_after_body = conv(F, F)
    self.upsample, self.conv_last = upsampler(scale, F), conv(F, 3)

  def forward(self, x):
    x = self.conv_first((x - self.mean) * self.img_range)
    x = x + self.conv_after_body(self.body(x))
    return self.conv_last(self.upsample(x)) / self.img_range + self.mean


def basicsr_edsr(scale):
  return BasicSRMeanShifted(scale, [ResidualBlockNoBN(0.1) for _ in range(2)])


def basicsr_rcan(scale):
  return BasicSRMeanShifted(scale, [ResidualGroup(2, 4) for _ in range(2)])


# EDSR-PyTorch's RDN: no mean shift, input in [0, 255] (rgb_range).

class RDBConv(nn.Module):
  def __init__(self, cin, growth):
    super().__init__()
    self.conv = nn.Sequential(conv(cin, growth), nn.ReLU())

  def forward(self, x):
    return torch.cat((x, self.conv(x)), 1)


class RDNBlock(nn.Module):
  def __init__(self, g0, growth, layers):
    super().__init__()
    self.convs = nn.Sequential(*[RDBConv(g0 + c * growth, growth) for c in range(layers)])
    self.LFF = nn.Conv2d(g0 + layers * growth, g0, 1)  # pylint: disable=invalid-name

  def forward(self, x):
    return x + self.LFF(self.convs(x))


class RDN(nn.Module):
  def __init__(self, scale, blocks=2, layers=3, growth=4, g0=F):
    super().__init__()
    self.SFENet1, self.SFENet2 = conv(3, g0), conv(g0, g0)  # pylint: disable=invalid-name
    self.RDBs = nn.ModuleList([RDNBlock(g0, growth, layers) for _ in range(blocks)])
    self.GFF = nn.Sequential(nn.Conv2d(blocks * g0, g0, 1), conv(g0, g0))
    if scale in (2, 3):
      up = [conv(g0, growth * scale**2), nn.PixelShuffle(scale)]
    else:
      up = [conv(g0, growth * 4), nn.PixelShuffle(2), conv(growth, growth * 4), nn.PixelShuffle(2)]
    self.UPNet = nn.Sequential(*up, conv(growth, 3))

  def forward(self, x):
    f1 = self.SFENet1(x)
    x, outs = self.SFENet2(f1), []
    for block in self.RDBs:
      x = block(x)
      outs.append(x)
    return self.UPNet(self.GFF(torch.cat(outs, 1)) + f1)


# RRDBNet in its three key styles: BasicSR (body.N.rdbK.convK, conv_body, conv_up1/2, conv_hr),
# ESRGAN's RRDBNet_arch.py (RRDB_trunk.N.RDBK.convK, trunk_conv, upconv1/2, HRconv) and
# ESRGAN's first release, one Sequential `model` (model.1.sub.N.RDBK.convK.0, ...).

_RRDB_NAMES = {"basicsr": ("body", "rdb", "conv_body", "conv_up1", "conv_up2", "conv_hr"),
               "esrgan": ("RRDB_trunk", "RDB", "trunk_conv", "upconv1", "upconv2", "HRconv")}


class DenseBlock(nn.Module):
  """ResidualDenseBlock(_5C): conv1…conv4 + LeakyReLU(0.2), densely fed, conv5 scaled by 0.2.
  `wrapped`: each conv is a Sequential (conv[, LeakyReLU]), as in ESRGAN's first release."""

  def __init__(self, growth, wrapped=False):
    super().__init__()
    self.wrapped = wrapped
    for i in range(5):
      layer = conv(F + i * growth, growth if i < 4 else F)
      if wrapped:
        layer = nn.Sequential(layer, nn.LeakyReLU(0.2)) if i < 4 else nn.Sequential(layer)
      setattr(self, f"conv{i + 1}", layer)

  def forward(self, x):
    feats = [x]
    for i in range(1, 5):
      y = getattr(self, f"conv{i}")(torch.cat(feats, 1))
      feats.append(y if self.wrapped else lrelu(y))
    return x + 0.2 * self.conv5(torch.cat(feats, 1))


class RRDB(nn.Module):
  def __init__(self, growth, prefix="rdb", wrapped=False):
    super().__init__()
    self.names = [f"{prefix}{i}" for i in (1, 2, 3)]
    for name in self.names:
      setattr(self, name, DenseBlock(growth, wrapped))

  def forward(self, x):
    y = x
    for name in self.names:
      y = getattr(self, name)(y)
    return x + 0.2 * y


class RRDBNet(nn.Module):
  """BasicSR's RRDBNet (×2: the input pixel-unshuffled by 2 first) or ESRGAN's RRDBNet_arch."""

  def __init__(self, blocks, growth, scale=4, style="basicsr"):
    super().__init__()
    trunk, rdb, *self.names = _RRDB_NAMES[style]
    self.scale = scale
    self.conv_first = conv(3 * (4 if scale == 2 else 1), F)
    self.trunk = trunk
    setattr(self, trunk, nn.Sequential(*[RRDB(growth, rdb) for _ in range(blocks)]))
    for name in self.names:
      setattr(self, name, conv(F, F))
    self.conv_last = conv(F, 3)

  def forward(self, x):
    if self.scale == 2:  # BasicSR's pixel_unshuffle: channel c·4 + 2i + j from pixel (i, j)
      b, c, h, w = x.shape
      x = x.view(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(b, 4 * c,
                                                                              h // 2, w // 2)
    body, up1, up2, hr = (getattr(self, name) for name in self.names)
    feat = self.conv_first(x)
    feat = feat + body(getattr(self, self.trunk)(feat))
    for up in (up1, up2):
      feat = lrelu(up(fn.interpolate(feat, scale_factor=2, mode="nearest")))
    return self.conv_last(lrelu(hr(feat)))


class ShortcutBlock(nn.Module):
  def __init__(self, *layers):
    super().__init__()
    self.sub = nn.Sequential(*layers)

  def forward(self, x):
    return x + self.sub(x)


class ESRGANFirstRelease(nn.Module):
  """model.0 conv, model.1 = shortcut(RRDBs, conv), then (nearest ×2, conv, LeakyReLU) twice
  (model.2-7), model.8 conv + model.9 LeakyReLU, model.10 conv."""

  def __init__(self, blocks, growth):
    super().__init__()
    stage = lambda: [nn.Upsample(scale_factor=2, mode="nearest"), conv(F, F), nn.LeakyReLU(0.2)]
    self.model = nn.Sequential(
        conv(3, F), ShortcutBlock(*[RRDB(growth, "RDB", wrapped=True) for _ in range(blocks)],
                                  conv(F, F)),
        *stage(), *stage(), conv(F, F), nn.LeakyReLU(0.2), conv(F, 3))

  def forward(self, x):
    return self.model(x)


# MSRResNet: BasicSR's (body.N, conv_hr) and KAIR's MSRResNet1 (recon_trunk.N, HRconv).

class MSRResNet(nn.Module):
  def __init__(self, blocks, scale=4, style="basicsr"):
    super().__init__()
    self.trunk, self.hr = ("body", "conv_hr") if style == "basicsr" else ("recon_trunk", "HRconv")
    self.scale, self.factor = scale, 2 if scale == 4 else scale
    self.conv_first, self.conv_last = conv(3, F), conv(F, 3)
    setattr(self, self.trunk, nn.Sequential(*[ResidualBlockNoBN() for _ in range(blocks)]))
    setattr(self, self.hr, conv(F, F))
    self.upconv1 = conv(F, self.factor**2 * F)
    if scale == 4:
      self.upconv2 = conv(F, 4 * F)

  def forward(self, x):
    lrelu1 = lambda y: fn.leaky_relu(y, 0.1)
    out = getattr(self, self.trunk)(lrelu1(self.conv_first(x)))
    for up in (self.upconv1, self.upconv2) if self.scale == 4 else (self.upconv1,):
      out = lrelu1(fn.pixel_shuffle(up(out), self.factor))
    out = self.conv_last(lrelu1(getattr(self, self.hr)(out)))
    return out + fn.interpolate(x, scale_factor=self.scale, mode="bilinear", align_corners=False)


# SwinIR (network_swinir.py), every tail ('pixelshuffle' classical, 'pixelshuffledirect'
# lightweight, 'nearest+conv' real-world) and resi_connection ('1conv', SwinIR-L's '3conv').

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


def resi_conv(dim, kind):
  """'1conv': one 3×3; '3conv': 3×3 to dim/4, LeakyReLU(0.2), 1×1, LeakyReLU(0.2), 3×3 back."""
  if kind == "1conv":
    return conv(dim, dim)
  return nn.Sequential(conv(dim, dim // 4), nn.LeakyReLU(0.2), nn.Conv2d(dim // 4, dim // 4, 1),
                       nn.LeakyReLU(0.2), conv(dim // 4, dim))


class RSTB(nn.Module):
  def __init__(self, dim, img_size, depth, heads, ws, resi):
    super().__init__()
    self.residual_group = BasicLayer(dim, img_size, depth, heads, ws)
    self.conv = resi_conv(dim, resi)

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
  """The official SwinIR, img_range 1, input in [0, 1]."""

  def __init__(self, scale, tail="pixelshuffle", resi="1conv", dim=F, depths=(2, 2),
               heads=(2, 2), ws=4, img_size=8):
    super().__init__()
    self.scale, self.ws, self.tail = scale, ws, tail
    self.register_buffer("mean", torch.tensor(DIV2K_RGB_MEAN).view(1, 3, 1, 1), persistent=False)
    self.conv_first = conv(3, dim)
    self.patch_embed = PatchEmbed(dim)
    self.layers = nn.ModuleList([RSTB(dim, img_size, d, h, ws, resi)
                                 for d, h in zip(depths, heads)])
    self.norm = nn.LayerNorm(dim)
    self.conv_after_body = resi_conv(dim, resi)
    if tail == "pixelshuffledirect":
      self.upsample = nn.Sequential(conv(dim, 3 * scale**2), nn.PixelShuffle(scale))
      return
    self.conv_before_upsample = nn.Sequential(conv(dim, F), nn.LeakyReLU())
    if tail == "pixelshuffle":
      self.upsample = upsampler(scale, F)
    else:  # 'nearest+conv'
      self.conv_up1 = conv(F, F)
      if scale == 4:
        self.conv_up2 = conv(F, F)
      self.conv_hr = conv(F, F)
    self.conv_last = conv(F, 3)

  def forward(self, x):
    h, w = x.shape[2:]
    x = fn.pad(x, (0, -w % self.ws, 0, -h % self.ws), "reflect") - self.mean
    x = self.conv_first(x)
    b, c, hp, wp = x.shape
    y = self.patch_embed.norm(x.flatten(2).transpose(1, 2))
    for layer in self.layers:
      y = layer(y, (hp, wp))
    x = x + self.conv_after_body(self.norm(y).transpose(1, 2).reshape(b, c, hp, wp))
    if self.tail == "pixelshuffledirect":
      x = self.upsample(x)
    elif self.tail == "pixelshuffle":
      x = self.conv_last(self.upsample(self.conv_before_upsample(x)))
    else:
      x = self.conv_before_upsample(x)
      for up in (self.conv_up1, self.conv_up2) if self.scale == 4 else (self.conv_up1,):
        x = lrelu(up(fn.interpolate(x, scale_factor=2, mode="nearest")))
      x = self.conv_last(lrelu(self.conv_hr(x)))
    return (x + self.mean)[:, :, :h * self.scale, :w * self.scale]


_SWIN = dict(embed_dim=F, depths=(2, 2), num_heads=(2, 2), window_size=4, upsample_features=F)
_RRDB = dict(num_blocks=1, features=F, growth=4)
_RRDB2 = _RRDB | {"num_blocks": 2}

# case → (PyTorch model, Flax arch, input/output range, Flax model settings, how the file wraps
# the state_dict: BasicSR's 'params' / 'params_ema' entry or none, DataParallel's 'module.').
CASES = {
    "edsr_official_x4": (lambda: edsr(4), "edsr", 255,
                         dict(scale=4, num_blocks=2, features=F, res_scale=0.1), "", True),
    "edsr_basicsr_x3": (lambda: basicsr_edsr(3), "edsr", 1,
                        dict(scale=3, num_blocks=2, features=F, res_scale=0.1), "params", False),
    "rcan_official_x2": (lambda: rcan(2), "rcan", 255,
                         dict(scale=2, num_groups=2, num_blocks=2, features=F, reduction=4),
                         "", False),
    "rcan_basicsr_x4": (lambda: basicsr_rcan(4), "rcan", 1,
                        dict(scale=4, num_groups=2, num_blocks=2, features=F, reduction=4),
                        "params", False),
    "rdn_official_x4": (lambda: RDN(4), "rdn", 255,
                        dict(scale=4, num_blocks=2, num_layers=3, growth=4, features=F,
                             mean_shift=False), "", False),
    "rdn_official_x3": (lambda: RDN(3), "rdn", 255,
                        dict(scale=3, num_blocks=2, num_layers=3, growth=4, features=F,
                             mean_shift=False), "", True),
    "rrdbnet_basicsr_x4": (lambda: RRDBNet(1, 4), "rrdbnet", 1, dict(scale=4, **_RRDB),
                           "params_ema", True),
    # RealESRGAN_x2plus's layout.
    "rrdbnet_basicsr_x2_unshuffle": (lambda: RRDBNet(2, 4, scale=2), "rrdbnet", 1,
                                     dict(scale=2, pixel_unshuffle=True, **_RRDB2), "params_ema",
                                     False),
    "rrdbnet_esrgan_x4": (lambda: RRDBNet(2, 4, style="esrgan"), "rrdbnet", 1,
                          dict(scale=4, **_RRDB2), "", False),
    "rrdbnet_esrgan_first_release_x4": (lambda: ESRGANFirstRelease(2, 4), "rrdbnet", 1,
                                        dict(scale=4, **_RRDB2), "", False),
    "msrresnet_basicsr_x4": (lambda: MSRResNet(2), "msrresnet", 1,
                             dict(scale=4, num_blocks=2, features=F), "params", True),
    "msrresnet_basicsr_x3": (lambda: MSRResNet(2, scale=3), "msrresnet", 1,
                             dict(scale=3, num_blocks=2, features=F), "params", False),
    "msrresnet_kair_x4": (lambda: MSRResNet(2, style="kair"), "msrresnet", 1,
                          dict(scale=4, num_blocks=2, features=F), "", False),
    "swinir_classical_x2": (lambda: SwinIR(2), "swinir", 1, dict(scale=2, **_SWIN), "params",
                            True),
    # Stages of different heads: separate rstb_0, rstb_1 in Flax (not one scanned chain).
    "swinir_lightweight_x3": (lambda: SwinIR(3, "pixelshuffledirect", heads=(2, 1)), "swinir", 1,
                              dict(scale=3, upsampler="pixelshuffledirect",
                                   **_SWIN | {"num_heads": (2, 1)}), "params", False),
    "swinir_real_m_x2": (lambda: SwinIR(2, "nearest+conv"), "swinir", 1,
                         dict(scale=2, upsampler="nearest+conv", **_SWIN), "params_ema", False),
    "swinir_real_l_3conv_x4": (lambda: SwinIR(4, "nearest+conv", "3conv"), "swinir", 1,
                               dict(scale=4, upsampler="nearest+conv", resi_connection="3conv",
                                    **_SWIN), "params_ema", False),
}


def check_conversion(model, arch, flax_kwargs, tmp_path, value_range=1, wrap="", prefix=False,
                     lr_shape=(1, 6, 10, 3)):
  """Random weights (non-trivial norms, biases, slopes and position biases), saved as a release
  would be, converted, both forwards on one LR image; returns max |Flax − PyTorch|."""
  torch.manual_seed(0)
  torch.set_num_threads(1)
  model = model.eval()
  with torch.no_grad():
    for p in model.parameters():
      if p.requires_grad:
        p.add_(0.05 * torch.randn_like(p))
  state = {f"module.{k}" if prefix else k: v for k, v in model.state_dict().items()}
  torch.save({wrap: state} if wrap else state, tmp_path / "w.pth")
  flax_model = models.build_model(arch, **flax_kwargs)
  state_dict = weights.read_state_dict(str(tmp_path / "w.pth"))
  params = convert.convert_state_dict(arch, state_dict, convert.model_template(flax_model))
  if arch in weights.DETECTORS:  # --weights=FILE finds the same model from the keys alone
    config, detected = weights.recognise(state_dict)
    found = {"scale": config.scale, "channels": config.channels, **dict(config.model)}
    assert found["name"] == arch
    # res_scale is not in the weights (recognise assumes EDSR's convention by width).
    for key, value in flax_kwargs.items():
      if key in found and key != "res_scale":
        assert found[key] == (tuple(value) if isinstance(value, list) else value), key
    jax.tree.map(np.testing.assert_array_equal, detected, params)
  lr = np.random.default_rng(0).random(lr_shape, np.float32)
  with torch.no_grad():
    expected = model(torch.from_numpy(lr).permute(0, 3, 1, 2) * value_range) / value_range
  got = jax.jit(flax_model.apply)({"params": params}, jnp.asarray(lr))
  expected = expected.permute(0, 2, 3, 1).numpy()
  assert got.shape == expected.shape
  return float(np.max(np.abs(np.asarray(got) - expected)))


@pytest.mark.parametrize("case", sorted(CASES))
def test_converted_model_matches_pytorch(case, tmp_path):
  build, arch, value_range, flax_kwargs, wrap, prefix = CASES[case]
  model = build()
  if arch == "swinir":  # the buffers a converter skips are there
    assert any(k.endswith("attn_mask") for k in model.state_dict())
  diff = check_conversion(model, arch, flax_kwargs, tmp_path, value_range, wrap, prefix)
  print(f"{case}: max |Flax - PyTorch| = {diff:.2e}")
  assert diff <= 1e-4


def test_read_state_dict_prefers_the_ema_weights(tmp_path):
  ema, plain = torch.ones(2), torch.zeros(2)
  torch.save({"params": {"x": plain}, "params_ema": {"x": ema}}, tmp_path / "w.pth")
  np.testing.assert_array_equal(weights.read_state_dict(str(tmp_path / "w.pth"))["x"], [1, 1])


def test_a_variant_loaded_into_another_names_every_difference(tmp_path):
  """A lightweight SwinIR file into a classical config: the direct upsampler's conv lands on the
  classical one's first conv and differs in shape; what the classical tail needs is missing."""
  state = {k: v.numpy() for k, v in SwinIR(2, "pixelshuffledirect").state_dict().items()}
  template = convert.model_template(models.build_model("swinir", scale=2, **_SWIN))
  with pytest.raises(ValueError) as e:
    convert.convert_state_dict("swinir", state, template)
  message = str(e.value)
  assert "upsample.0.weight: upsample/Conv_0/kernel has shape (3, 3, 8, 32)" in message
  for missing in ("conv_before_upsample/kernel", "conv_last/bias"):
    assert f"{missing}: no key of the file provides it" in message
  # And a 3conv body into a 1conv config: its Sequentials' convs map to modules it lacks.
  state = {k: v.numpy() for k, v in SwinIR(2, resi="3conv").state_dict().items()}
  with pytest.raises(ValueError) as e:
    convert.convert_state_dict("swinir", state, template)
  message = str(e.value)
  assert ("layers.1.conv.4.weight: maps to rstb/conv/Conv_2[1], which the config's swinir does "
          "not have") in message
  assert "conv_after_body.2.bias: maps to conv_after_body/Conv_1, which" in message
  assert "rstb/conv/kernel: no key of the file provides it" in message  # no block of it
