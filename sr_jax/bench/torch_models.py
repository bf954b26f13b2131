"""PyTorch references of EDSR, RRDBNet and SwinIR, their training step and tiled upscaling, for
`--torch` (sr_jax.bench, sr_jax.bench.inference).

Plain modules after BasicSR's architectures, laid out exactly as the Flax models (parameter counts
are equal, which the tests check), and BasicSR's step: L1, Adam, the EMA when the config has one.
Variants: fp32 eager (BasicSR's default), bf16 autocast eager, and torch.compile; channels_last,
and cudnn.benchmark on CUDA. Inputs are random device-resident tensors, as in the JAX
random-input step they are compared with. Needs the optional `[bench]` extra (torch).
"""
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from sr_jax.metrics import predictors
from sr_jax.models.common import DIV2K_RGB_MEAN, upsample_factors

VARIANTS = ("fp32", "bf16", "compile")


def _conv(cin, cout):
  return nn.Conv2d(cin, cout, 3, padding=1)


class Upsample(nn.Sequential):
  """conv → PixelShuffle per ×2/×3 stage (BasicSR's `Upsample`)."""

  def __init__(self, scale, features):
    layers = []
    for f in upsample_factors(scale):
      layers += [_conv(features, features * f * f), nn.PixelShuffle(f)]
    super().__init__(*layers)


class MeanShift(nn.Module):
  def __init__(self, channels):
    super().__init__()
    mean = DIV2K_RGB_MEAN if channels == 3 else (0.0,)
    self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1))

  def forward(self, x, sign):
    return x + sign * self.mean


class ResBlock(nn.Module):
  def __init__(self, features, res_scale):
    super().__init__()
    self.conv1, self.conv2, self.res_scale = _conv(features, features), _conv(features, features), res_scale

  def forward(self, x):
    return x + self.res_scale * self.conv2(F.relu(self.conv1(x)))


class EDSR(nn.Module):
  def __init__(self, scale, channels=3, num_blocks=16, features=64, res_scale=1.0,
               img_range=255.0):
    super().__init__()
    self.mean, self.img_range = MeanShift(channels), img_range
    self.head = _conv(channels, features)
    self.body = nn.Sequential(*[ResBlock(features, res_scale) for _ in range(num_blocks)])
    self.body_end = _conv(features, features)
    self.upsample = Upsample(scale, features)
    self.tail = _conv(features, channels)

  def forward(self, lr):
    x = self.head(self.mean(lr, -1) * self.img_range)
    x = x + self.body_end(self.body(x))
    return self.mean(self.tail(self.upsample(x)) / self.img_range, 1)


class DenseBlock(nn.Module):
  def __init__(self, features, growth, res_scale):
    super().__init__()
    self.convs = nn.ModuleList(_conv(features + i * growth, growth) for i in range(4))
    self.conv5 = _conv(features + 4 * growth, features)
    self.res_scale = res_scale

  def forward(self, x):
    feats = [x]
    for conv in self.convs:
      feats.append(F.leaky_relu(conv(torch.cat(feats, 1)), 0.2))
    return x + self.res_scale * self.conv5(torch.cat(feats, 1))


class RRDB(nn.Module):
  def __init__(self, features, growth, res_scale):
    super().__init__()
    self.rdbs = nn.Sequential(*[DenseBlock(features, growth, res_scale) for _ in range(3)])
    self.res_scale = res_scale

  def forward(self, x):
    return x + self.res_scale * self.rdbs(x)


class RRDBNet(nn.Module):
  def __init__(self, scale, channels=3, num_blocks=23, features=64, growth=32, res_scale=0.2):
    super().__init__()
    self.factors = upsample_factors(scale)
    self.conv_first = _conv(channels, features)
    self.body = nn.Sequential(*[RRDB(features, growth, res_scale) for _ in range(num_blocks)])
    self.conv_body = _conv(features, features)
    self.conv_up = nn.ModuleList(_conv(features, features) for _ in self.factors)
    self.conv_hr, self.conv_last = _conv(features, features), _conv(features, channels)

  def forward(self, lr):
    x = self.conv_first(lr)
    x = x + self.conv_body(self.body(x))
    for f, conv in zip(self.factors, self.conv_up):
      x = F.leaky_relu(conv(F.interpolate(x, scale_factor=f, mode="nearest")), 0.2)
    return self.conv_last(F.leaky_relu(self.conv_hr(x), 0.2))


def window_partition(x, window):
  """(n, H, W, C) → (n·windows, window², C)."""
  n, h, w, c = x.shape
  x = x.view(n, h // window, window, w // window, window, c).permute(0, 1, 3, 2, 4, 5)
  return x.reshape(-1, window * window, c)


def window_reverse(windows, window, h, w):
  c = windows.shape[-1]
  x = windows.view(-1, h // window, w // window, window, window, c).permute(0, 1, 3, 2, 4, 5)
  return x.reshape(-1, h, w, c)


class WindowAttention(nn.Module):
  def __init__(self, dim, num_heads, window):
    super().__init__()
    from sr_jax.models.swinir import relative_position_index  # pylint: disable=g-import-not-at-top
    self.num_heads, self.scale = num_heads, (dim // num_heads)**-0.5
    self.relative_position_bias_table = nn.Parameter(
        torch.randn((2 * window - 1)**2, num_heads) * 0.02)
    self.register_buffer("index", torch.as_tensor(relative_position_index(window).reshape(-1)))
    self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)

  def forward(self, x, mask=None):
    b, n, c = x.shape
    q, k, v = self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
    attn = (q * self.scale) @ k.transpose(-2, -1)
    attn = attn + self.relative_position_bias_table[self.index].view(n, n, -1).permute(2, 0, 1)
    if mask is not None:
      windows = mask.shape[0]
      attn = attn.view(b // windows, windows, self.num_heads, n, n) + mask[None, :, None]
      attn = attn.view(b, self.num_heads, n, n)
    x = (attn.softmax(-1) @ v).transpose(1, 2).reshape(b, n, c)
    return self.proj(x)


class SwinBlock(nn.Module):
  def __init__(self, dim, num_heads, window, shift, mlp_ratio):
    super().__init__()
    self.window, self.shift = window, shift
    self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
    self.attn = WindowAttention(dim, num_heads, window)
    hidden = int(dim * mlp_ratio)
    self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

  def forward(self, x, hw, mask):
    h, w = hw
    y = self.norm1(x).view(x.shape[0], h, w, -1)
    if self.shift:
      y = torch.roll(y, (-self.shift, -self.shift), (1, 2))
    y = window_reverse(self.attn(window_partition(y, self.window), mask), self.window, h, w)
    if self.shift:
      y = torch.roll(y, (self.shift, self.shift), (1, 2))
    x = x + y.reshape(x.shape)
    return x + self.mlp(self.norm2(x))


class RSTB(nn.Module):
  def __init__(self, dim, depth, num_heads, window, mlp_ratio):
    super().__init__()
    self.blocks = nn.ModuleList(SwinBlock(dim, num_heads, window, window // 2 if i % 2 else 0,
                                          mlp_ratio) for i in range(depth))
    self.conv = _conv(dim, dim)

  def forward(self, x, hw, mask):
    y = x
    for block in self.blocks:
      y = block(y, hw, mask if block.shift else None)
    n, _, c = x.shape
    y = self.conv(y.transpose(1, 2).reshape(n, c, *hw)).flatten(2).transpose(1, 2)
    return x + y


class SwinIR(nn.Module):
  """Inputs whose sides are multiples of the window (the benchmark's patches); no padding."""

  def __init__(self, scale, channels=3, embed_dim=180, depths=(6,) * 6, num_heads=(6,) * 6,
               window_size=8, mlp_ratio=2.0, upsample_features=64, img_range=1.0):
    super().__init__()
    self.window = window_size
    self.mean, self.img_range = MeanShift(channels), img_range
    self.conv_first = _conv(channels, embed_dim)
    self.embed_norm = nn.LayerNorm(embed_dim)
    self.layers = nn.ModuleList(RSTB(embed_dim, d, h, window_size, mlp_ratio)
                                for d, h in zip(depths, num_heads))
    self.norm = nn.LayerNorm(embed_dim)
    self.conv_after_body = _conv(embed_dim, embed_dim)
    self.conv_before_upsample = _conv(embed_dim, upsample_features)
    self.upsample = Upsample(scale, upsample_features)
    self.conv_last = _conv(upsample_features, channels)

  def forward(self, lr):
    from sr_jax.models.swinir import shifted_window_mask  # pylint: disable=g-import-not-at-top
    n, _, h, w = lr.shape
    mask = torch.as_tensor(np.asarray(shifted_window_mask(h, w, self.window, self.window // 2)),
                           device=lr.device)
    x = self.conv_first(self.mean(lr, -1) * self.img_range)
    y = self.embed_norm(x.flatten(2).transpose(1, 2))
    for layer in self.layers:
      y = layer(y, (h, w), mask)
    y = self.norm(y).transpose(1, 2).reshape(x.shape)
    x = x + self.conv_after_body(y)
    x = F.leaky_relu(self.conv_before_upsample(x), 0.01)
    return self.mean(self.conv_last(self.upsample(x)) / self.img_range, 1)


_MODELS = {"edsr": EDSR, "rrdbnet": RRDBNet, "swinir": SwinIR}
# The variants the references build only in their recipes' form (the benchmarked ones); scan_mode
# is how XLA compiles, not the model.
_ONLY = {"bicubic_skip": False, "conv": "standard", "dilation": 1, "groups": 1,
         "pixel_unshuffle": False, "upsampler": "pixelshuffle", "resi_connection": "1conv"}
_IGNORED = ("name", "dtype", "scan_mode", *_ONLY)


def check_config(config) -> None:
  """ValueError unless the config's step is one the reference has: L1 on a model it builds."""
  if config.model.name not in _MODELS:
    raise ValueError(f"no PyTorch reference of {config.model.name!r} ({', '.join(_MODELS)})")
  if config.train.loss != "l1" or config.train.mode != "supervised":
    raise ValueError("the PyTorch reference is BasicSR's L1 step; this config trains another loss")
  for key, value in _ONLY.items():
    if config.model.get(key, value) != value:
      raise ValueError(f"the PyTorch {config.model.name} reference has only "
                       f"model.{key}={value!r}, not {config.model[key]!r}")


def build(config) -> nn.Module:
  """The reference of `config.model`."""
  check_config(config)
  kwargs = {k: tuple(v) if isinstance(v, (list, tuple)) else v
            for k, v in config.model.items() if k not in _IGNORED}
  return _MODELS[config.model.name](config.scale, config.channels, **kwargs)


def param_count(model: nn.Module) -> int:
  return sum(p.numel() for p in model.parameters())


def device() -> torch.device:
  return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _sync(dev):
  if dev.type == "cuda":
    torch.cuda.synchronize()


class Step:
  """BasicSR's training step for `config` at its batch and patch size, one variant, built once:
  call it to run steps; `rate(steps)` times them (synchronised), so that a benchmark can
  interleave its timings with JAX's."""

  def __init__(self, config, variant: str):
    if variant not in VARIANTS:
      raise ValueError(f"torch variant {variant!r} is not one of {', '.join(VARIANTS)}")
    self.dev = dev = device()
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(config.seed)
    self.model = model = build(config).to(dev).to(memory_format=torch.channels_last)
    self.ema = [p.detach().clone() for p in model.parameters()] if config.train.ema_decay else None
    self.ema_decay = config.train.ema_decay
    self.opt = torch.optim.Adam(model.parameters(), lr=config.optim.learning_rate,
                                betas=(config.optim.b1, config.optim.b2), eps=config.optim.eps)
    self.forward = torch.compile(model) if variant == "compile" else model
    self.variant, self.batch = variant, config.train.batch_size
    lr_side = config.data.hr_patch // config.scale
    self.lr = torch.rand(self.batch, config.channels, lr_side, lr_side, device=dev).contiguous(
        memory_format=torch.channels_last)
    hr_side = lr_side * config.scale
    self.hr = torch.rand(self.batch, config.channels, hr_side, hr_side, device=dev)

  def __call__(self):
    with torch.autocast(self.dev.type, dtype=torch.bfloat16, enabled=self.variant == "bf16"):
      loss = F.l1_loss(self.forward(self.lr).float(), self.hr)
    self.opt.zero_grad(set_to_none=True)
    loss.backward()
    self.opt.step()
    if self.ema is not None:
      with torch.no_grad():
        torch._foreach_lerp_(self.ema, list(self.model.parameters()), 1.0 - self.ema_decay)  # pylint: disable=protected-access

  def rate(self, steps: int) -> float:
    """Steps/s over `steps` steps, synchronised on the device."""
    _sync(self.dev)
    t0 = time.perf_counter()
    for _ in range(steps):
      self()
    _sync(self.dev)
    return steps / (time.perf_counter() - t0)

  def info(self) -> dict:
    cuda = self.dev.type == "cuda"
    return {"peak_memory_bytes": torch.cuda.max_memory_allocated() if cuda else None,
            "device": torch.cuda.get_device_name() if cuda else "cpu",
            "params": param_count(self.model), "threads": torch.get_num_threads(),
            # JAX's default precision runs fp32 convs and matmuls as TF32 on Ampere and newer.
            "tf32": {"cudnn": torch.backends.cudnn.allow_tf32,
                     "matmul": torch.backends.cuda.matmul.allow_tf32}}


class TiledUpscale:
  """`predictors.tiled` in PyTorch eager, float32, without autograd: the reference's random-init
  model on the same tiles with the same blend weights, uint8 (1, h, w, c) in and out, as
  sr_jax.bench.inference times JAX's. Call it to upscale `lr` once."""

  def __init__(self, config, lr: np.ndarray, tile: int, overlap: int):
    torch.manual_seed(config.seed)
    self.model, self.scale = build(config).eval(), config.scale
    self.lr = torch.from_numpy(np.array(lr)).permute(0, 3, 1, 2).contiguous()
    _, _, h, w = self.lr.shape
    self.th, self.tw = min(tile, h), min(tile, w)
    self.ys, self.wy = predictors.blend_weights(h, self.th, overlap, self.scale)
    self.xs, self.wx = predictors.blend_weights(w, self.tw, overlap, self.scale)

  def __call__(self) -> torch.Tensor:
    s = self.scale
    with torch.no_grad():
      x = self.lr.float() / 255.0
      n, _, h, w = x.shape
      out = None
      for y, row in zip(self.ys, self.wy):
        for x0, col in zip(self.xs, self.wx):
          sr = self.model(x[:, :, y:y + self.th, x0:x0 + self.tw])
          if out is None:
            out = torch.zeros(n, sr.shape[1], h * s, w * s)
          weight = torch.from_numpy(np.outer(row, col))
          out[:, :, y * s:(y + self.th) * s, x0 * s:(x0 + self.tw) * s] += sr * weight
      return (out.clamp(0, 1) * 255).round().to(torch.uint8)


def warmed_up(config, variant: str, warmup: int) -> tuple[Step, float]:
  """(the step, seconds its first max(warmup, 1) steps took: torch.compile's build among them)."""
  step = Step(config, variant)
  t0 = time.perf_counter()
  for _ in range(max(warmup, 1)):
    step()
  _sync(step.dev)
  warmup_s = time.perf_counter() - t0
  if step.dev.type == "cuda":
    torch.cuda.reset_peak_memory_stats()
  return step, warmup_s
