"""D-DBPN: the parameter count worked out layer by layer from the authors' code, output shapes,
unsupported scales, a bfloat16 forward."""
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import models


def _official_ddbpn_params(scale, channels=3, feat=256, base=64, stages=7):
  """D-DBPN's parameter count, layer by layer, from the authors' code (alterzero/DBPN-Pytorch,
  dbpn.py `Net` and base_networks.py): every ConvBlock/DeconvBlock is a conv with bias and its
  own one-slope nn.PReLU(); projection kernels are 6/8/12 for ×2/×4/×8 (stride = scale,
  padding 2)."""
  k = {2: 6, 4: 8, 8: 12}[scale]
  conv = lambda cin, cout, size, prelu=True: cin * cout * size * size + cout + int(prelu)
  total = conv(channels, feat, 3)  # feat0: ConvBlock(num_channels, feat, 3, 1, 1, prelu)
  total += conv(feat, base, 1)  # feat1: ConvBlock(feat, base_filter, 1, 1, 0, prelu)
  projection = 3 * conv(base, base, k)  # Up/DownBlock: deconv, conv, deconv (conv, deconv, conv)
  total += 3 * projection  # up1, down1, up2
  for n in range(2, stages):  # down2…down6 = D_DownBlock(n), up3…up7 = D_UpBlock(n):
    total += 2 * (conv(n * base, base, 1) + projection)  # a 1×1 ConvBlock(n·base → base) first
  return total + conv(stages * base, channels, 3, prelu=False)  # output_conv, no activation


@pytest.mark.parametrize("scale", [2, 4, 8])
def test_param_count_is_the_official_d_dbpn(param_count, scale):
  expected = _official_ddbpn_params(scale)
  if scale == 4:  # worked out: 7,169 + 16,449 + 13·786,627 + 2·(5·65 + 20·4,096) + 12,099
    assert expected == 10_426_358
  assert param_count(models.build_model("dbpn", scale=scale)) == expected


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_output_shape(output_shape, scale, channels):
  model = models.build_model("dbpn", scale=scale, channels=channels, num_stages=3)
  assert output_shape(model, 8, 12) == ((1, 8 * scale, 12 * scale, channels), jnp.float32)


def test_rejects_unsupported_scale(output_shape):
  with pytest.raises(ValueError, match="scales"):
    output_shape(models.build_model("dbpn", scale=5, num_stages=2))


def test_bf16_forward_is_finite(jit_forward):
  model = models.build_model("dbpn", scale=2, num_stages=3, features=32, base_features=16,
                             dtype=jnp.bfloat16)
  out = jit_forward(model, 8, 8)
  assert out.shape == (1, 16, 16, 3) and out.dtype == jnp.float32
  assert np.isfinite(np.asarray(out)).all()
