"""common.make_conv's variants against a convolution written out in NumPy, EDSR's use of them,
and their validation (the model and the config)."""
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import config as config_lib
from sr_jax import models
from sr_jax.models import common


def reference_conv(x, kernel, bias, groups=1, dilation=1):
  """"Same"-padded k×k convolution, NHWC × HWIO, by its definition: every output channel o of
  group g sums kernel[i, j, c, o] · x[h + d·(i - k//2), w + d·(j - k//2), g·C/groups + c]."""
  k, _, cin_g, cout = kernel.shape
  n, h, w, cin = x.shape
  pad = dilation * (k // 2)
  xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
  out = np.tile(bias, (n, h, w, 1)).astype(np.float64)
  cout_g = cout // groups
  for g in range(groups):
    for i in range(k):
      for j in range(k):
        patch = xp[:, i * dilation:i * dilation + h, j * dilation:j * dilation + w,
                   g * cin_g:(g + 1) * cin_g]
        out[..., g * cout_g:(g + 1) * cout_g] += patch @ kernel[i, j, :, g * cout_g:(g + 1) * cout_g]
  return out


def _apply(layer, x):
  """Random parameters (biases too) and the layer's output on x."""
  shapes = jax.eval_shape(layer.init, jax.random.key(0), x)["params"]
  rng = np.random.default_rng(1)
  params = jax.tree.map(lambda s: rng.standard_normal(s.shape).astype(np.float32), shapes)
  return params, np.asarray(jax.jit(layer.apply)({"params": params}, x))


CONFIGS = pathlib.Path(__file__).resolve().parents[2] / "configs"
X = np.random.default_rng(0).random((2, 7, 9, 8), np.float32)


@pytest.mark.parametrize("dilation", [1, 2])
def test_standard(dilation):
  params, out = _apply(common.make_conv(6, conv="standard", dilation=dilation), X)
  assert params["kernel"].shape == (3, 3, 8, 6)
  want = reference_conv(X, np.asarray(params["kernel"]), np.asarray(params["bias"]),
                        dilation=dilation)
  np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("dilation", [1, 3])
def test_grouped(dilation):
  params, out = _apply(common.make_conv(12, conv="grouped", groups=4, dilation=dilation), X)
  assert params["kernel"].shape == (3, 3, 2, 12)  # 8 / 4 input channels per group
  want = reference_conv(X, np.asarray(params["kernel"]), np.asarray(params["bias"]), groups=4,
                        dilation=dilation)
  np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("dilation", [1, 2])
def test_depthwise_separable(dilation):
  params, out = _apply(common.make_conv(5, conv="depthwise_separable", dilation=dilation), X)
  dw, pw = params["depthwise"], params["pointwise"]
  assert dw["kernel"].shape == (3, 3, 1, 8) and pw["kernel"].shape == (1, 1, 8, 5)
  y = reference_conv(X, np.asarray(dw["kernel"]), np.asarray(dw["bias"]), groups=8,
                     dilation=dilation)
  want = y @ np.asarray(pw["kernel"])[0, 0] + np.asarray(pw["bias"])
  np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-4)


def test_edsr_residual_blocks_take_the_variants(param_count):
  base = dict(scale=2, num_blocks=16, features=64)
  dense = param_count(models.build_model("edsr", **base))
  assert dense == 1_369_859  # the default is EDSR-baseline, unchanged
  per_conv = 3 * 3 * 64 * 64  # the 32 residual convolutions' weights
  grouped = param_count(models.build_model("edsr", conv="grouped", groups=4, **base))
  assert dense - grouped == 32 * per_conv * 3 // 4
  separable = param_count(models.build_model("edsr", conv="depthwise_separable", **base))
  assert dense - separable == 32 * (per_conv - (9 * 64 + 64 + 64 * 64))  # + the depthwise biases
  assert param_count(models.build_model("edsr", dilation=2, **base)) == dense


def test_edsr_standard_keeps_its_parameter_names():
  model = models.build_model("edsr", scale=2, num_blocks=2, features=8, dilation=2)
  params = jax.eval_shape(model.init, jax.random.key(0), jnp.zeros((1, 8, 8, 3)))["params"]
  assert set(params["block"]) == {"Conv_0", "Conv_1"}
  model = models.build_model("edsr", scale=2, num_blocks=2, features=8,
                             conv="depthwise_separable")
  params = jax.eval_shape(model.init, jax.random.key(0), jnp.zeros((1, 8, 8, 3)))["params"]
  assert set(params["block"]) == {"SeparableConv_0", "SeparableConv_1"}


@pytest.mark.parametrize("fields,key,message", [
    (dict(conv="shuffled"), "conv", "'shuffled' is not one of"),
    (dict(conv="grouped", groups=1), "groups", ">= 2"),
    (dict(conv="grouped", groups=5), "groups", "does not divide the 64"),
    (dict(groups=2), "groups", "only conv='grouped'"),
    (dict(dilation=0), "dilation", "integer >= 1"),
])
def test_invalid_variants_are_refused_naming_the_field(fields, key, message):
  config = config_lib.load_recipe(CONFIGS / "edsr.py", "x2")
  config.model.update(fields)
  with pytest.raises(config_lib.ConfigError, match=f"config.model.{key}: .*{message}"):
    config_lib.validate_model(config)
  model = models.build_model("edsr", scale=2, **fields)
  with pytest.raises(ValueError, match=f"{key}: .*{message}"):
    jax.eval_shape(model.init, jax.random.key(0), jnp.zeros((1, 8, 8, 3)))
