"""D-DBPN (Haris et al. 2018): dense deep back-projection between HR and LR feature maps."""
from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from sr_jax.models import register
from sr_jax.models.common import Conv

# scale → (kernel, stride, padding) of the projection units; ×2/×4/×8 are the paper's
# settings. ×3 is not in the paper: (7, 3, 2) is the analogous choice that keeps the sizes
# exact (conv: (3h + 4 − 7)/3 + 1 = h, deconv: 3(h − 1) − 4 + 7 = 3h).
PROJECTION = {2: (6, 2, 2), 3: (7, 3, 2), 4: (8, 4, 2), 8: (12, 8, 2)}


def _prelu():
  # PyTorch's nn.PReLU() as in the official code: one slope, 0.25 at the start.
  return nn.PReLU(negative_slope_init=0.25)


class Projection(nn.Module):
  """Up- (HR out) or down- (LR out) projection unit with an optional 1×1 dense fusion.

  up:   h0 = deconv(x); l0 = conv(h0); h1 = deconv(l0 − x); return h0 + h1
  down: l0 = conv(x);   h0 = deconv(l0); l1 = conv(h0 − x); return l0 + l1
  Inputs that concatenate several earlier maps first go through a 1×1 conv + PReLU.
  """
  features: int
  scale: int
  up: bool
  fuse: bool = False
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    k, s, p = PROJECTION[self.scale]
    q = k - 1 - p  # PyTorch ConvTranspose2d(padding=p) as explicit lax padding

    def conv():
      return Conv(self.features, (k, k), strides=(s, s), padding=((p, p), (p, p)),
                  dtype=self.dtype)

    def deconv():
      return nn.ConvTranspose(self.features, (k, k), strides=(s, s), padding=((q, q), (q, q)),
                              dtype=self.dtype)

    if self.fuse:
      x = _prelu()(Conv(self.features, (1, 1), dtype=self.dtype)(x))
    first, second = (deconv, conv) if self.up else (conv, deconv)
    a = _prelu()(first()(x))
    b = _prelu()(second()(a))
    return a + _prelu()(first()(b - x))


@register("dbpn")
class DBPN(nn.Module):
  """3×3 conv (256) and 1×1 conv (64) features, then `num_stages` up-projections
  interleaved with down-projections; every projection sees the concatenation of all
  earlier maps of its input resolution. A 3×3 conv reconstructs the image from all HR maps.
  Defaults: D-DBPN (7 stages), as in the official code (no global residual).
  """
  scale: int = 4
  channels: int = 3
  num_stages: int = 7
  features: int = 256
  base_features: int = 64
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, lr, train: bool = False):
    if self.scale not in PROJECTION:
      raise ValueError(f"dbpn supports scales {sorted(PROJECTION)}, got {self.scale}")
    if self.num_stages < 2:
      raise ValueError(f"dbpn needs num_stages >= 2, got {self.num_stages}")
    unit = lambda up, fuse, name: Projection(self.base_features, self.scale, up, fuse,
                                             self.dtype, name=name)
    x = lr.astype(self.dtype)
    x = _prelu()(Conv(self.features, (3, 3), dtype=self.dtype, name="feat0")(x))
    x = _prelu()(Conv(self.base_features, (1, 1), dtype=self.dtype, name="feat1")(x))
    h1 = unit(True, False, "up_1")(x)
    l1 = unit(False, False, "down_1")(h1)
    highs = [unit(True, False, "up_2")(l1), h1]
    lows = [l1]
    for t in range(2, self.num_stages):
      lows.insert(0, unit(False, True, f"down_{t}")(jnp.concatenate(highs, -1)))
      highs.insert(0, unit(True, True, f"up_{t + 1}")(jnp.concatenate(lows, -1)))
    x = Conv(self.channels, (3, 3), dtype=self.dtype, name="output_conv")(
        jnp.concatenate(highs, -1))
    return x.astype(jnp.float32)
