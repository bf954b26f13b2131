"""ops.conv: a pointwise convolution is a matrix product over flattened rows, a grouped one on
CPU one convolution per group, one to few channels on CPU a product and shifted adds; everything
else is lax's convolution. Dense products run over flattened rows too."""
import jax
import jax.numpy as jnp
import flax.linen as nn
import numpy as np
import pytest
from jax import lax

from sr_jax.models.common import Conv, Dense
from sr_jax.ops import conv

NHWC = ("NHWC", "HWIO", "NHWC")


def _primitives(fn, *args) -> set[str]:
  return {eqn.primitive.name for eqn in jax.make_jaxpr(fn)(*args).jaxpr.eqns}


def _pair(shape_x, shape_w, seed=0):
  kx, kw = jax.random.split(jax.random.key(seed))
  return jax.random.normal(kx, shape_x), jax.random.normal(kw, shape_w)


@pytest.mark.parametrize("padding", ["SAME", "VALID", ((0, 0), (0, 0))])
def test_pointwise_is_a_dot_equal_to_the_convolution_with_equal_gradients(padding):
  x, w = _pair((2, 5, 7, 6), (1, 1, 6, 4))
  ours = lambda x, w: conv.conv_general_dilated(x, w, (1, 1), padding, dimension_numbers=NHWC)
  ref = lambda x, w: lax.conv_general_dilated(x, w, (1, 1), padding, dimension_numbers=NHWC)
  primitives = _primitives(ours, x, w)
  assert "dot_general" in primitives and "conv_general_dilated" not in primitives
  # The same sums in another order: float32 rounding only.
  np.testing.assert_allclose(ours(x, w), ref(x, w), rtol=1e-6, atol=1e-5)
  loss = lambda f: lambda x, w: jnp.sum(jnp.sin(f(x, w)))
  for got, want in zip(jax.grad(loss(ours), (0, 1))(x, w), jax.grad(loss(ref), (0, 1))(x, w)):
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)
  # Hand-computed: out[n, h, w, f] = Σ_c x[n, h, w, c] · kernel[c, f].
  np.testing.assert_allclose(ours(x, w)[1, 2, 3], np.asarray(x)[1, 2, 3] @ np.asarray(w)[0, 0],
                             rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("kernel, kwargs", [
    ((3, 3, 6, 8), {}),
    ((1, 1, 6, 4), {"window_strides": (2, 2)}),
    ((3, 3, 3, 4), {"feature_group_count": 2, "window_strides": (2, 2)}),
    ((1, 1, 6, 4), {"padding": ((1, 1), (0, 0))}),
    ((1, 1, 6, 4), {"lhs_dilation": (2, 2), "padding": ((0, 0), (0, 0))}),
    ((3, 3, 6, conv.FEW_OUTPUTS + 1), {}),
    ((3, 3, 6, 3), {"window_strides": (2, 2)}),
    ((3, 3, 6, 3), {"rhs_dilation": (2, 2)}),
], ids=["3x3", "strided", "grouped-strided", "padded", "dilated-input", "more-than-few-outputs",
        "few-outputs-strided", "few-outputs-dilated"])
def test_everything_else_is_the_convolution_itself(kernel, kwargs):
  x, w = _pair((2, 5, 7, 6), kernel)
  args = {"window_strides": (1, 1), "padding": "SAME", "dimension_numbers": NHWC, **kwargs}
  ours = lambda x, w: conv.conv_general_dilated(x, w, **args)
  assert "conv_general_dilated" in _primitives(ours, x, w)
  np.testing.assert_array_equal(ours(x, w), lax.conv_general_dilated(x, w, **args))


def _group_counts(fn, *args) -> list[int]:
  return [eqn.params["feature_group_count"] for eqn in jax.make_jaxpr(fn)(*args).jaxpr.eqns
          if eqn.primitive.name == "conv_general_dilated"]


def _same_with_gradients(ours, ref, x, w, tol):
  np.testing.assert_allclose(ours(x, w), ref(x, w), rtol=tol, atol=tol)
  loss = lambda f: lambda x, w: jnp.sum(jnp.sin(f(x, w)))
  for got, want in zip(jax.grad(loss(ours), (0, 1))(x, w), jax.grad(loss(ref), (0, 1))(x, w)):
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("kernel, kwargs", [
    ((3, 3, 2, 24), {"padding": "SAME"}),  # 6 outputs a group: more than FEW_OUTPUTS
    ((3, 3, 2, 24), {"padding": "VALID", "rhs_dilation": (2, 2)}),
    ((1, 1, 2, 8), {"padding": "SAME"}),
], ids=["3x3", "dilated-valid", "1x1"])
def test_grouped_runs_one_convolution_per_group_on_cpu(kernel, kwargs):
  x, w = _pair((2, 9, 10, 8), kernel)
  args = {"window_strides": (1, 1), "dimension_numbers": NHWC, "feature_group_count": 4,
          **kwargs}
  ours = lambda x, w: conv.conv_general_dilated(x, w, **args)
  assert _group_counts(ours, x, w) == ([1] * 4 if kernel[0] == 3 else [])  # 1×1: four dots
  _same_with_gradients(ours, lambda x, w: lax.conv_general_dilated(x, w, **args), x, w, 1e-4)


def test_depthwise_stays_the_convolution_itself():
  x, w = _pair((2, 9, 10, 6), (3, 3, 1, 6))
  args = {"window_strides": (1, 1), "padding": "SAME", "dimension_numbers": NHWC,
          "feature_group_count": 6}
  ours = lambda x, w: conv.conv_general_dilated(x, w, **args)
  assert _group_counts(ours, x, w) == [6]
  np.testing.assert_array_equal(ours(x, w), lax.conv_general_dilated(x, w, **args))


def test_channels_first_numbers_are_not_taken_for_a_dot():
  x, w = _pair((2, 6, 5, 7), (4, 6, 1, 1))
  nchw = ("NCHW", "OIHW", "NCHW")
  ours = conv.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=nchw)
  np.testing.assert_array_equal(
      ours, lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=nchw))


def test_models_conv_keeps_flax_parameters_and_takes_the_dot():
  x = jax.random.normal(jax.random.key(1), (1, 4, 4, 3))
  ours = Conv(8, (1, 1))
  variables = ours.init(jax.random.key(0), x)
  assert jax.tree.map(jnp.shape, variables) == jax.tree.map(
      jnp.shape, nn.Conv(8, (1, 1)).init(jax.random.key(0), x))
  assert "dot_general" in _primitives(lambda v: ours.apply(v, x), variables)
  np.testing.assert_allclose(ours.apply(variables, x), nn.Conv(8, (1, 1)).apply(variables, x),
                             rtol=1e-6, atol=1e-6)


def test_separable_valid_is_the_2d_valid_correlation_with_the_outer_window():
  # Reference: the 2-D 'valid' correlation with g gᵀ written out in float64 (MATLAB filter2).
  rng = np.random.default_rng(3)
  x = rng.random((2, 3, 19, 23)).astype(np.float32)
  g = np.array([0.1, 0.2, 0.4, 0.25, 0.05])  # asymmetric: a flipped window fails
  k = len(g)
  w2 = np.outer(g, g)
  want = np.zeros((2, 3, 19 - k + 1, 23 - k + 1))
  for i in range(want.shape[-2]):
    for j in range(want.shape[-1]):
      want[..., i, j] = np.sum(x[..., i:i + k, j:j + k].astype(np.float64) * w2, axis=(-2, -1))
  got = jax.jit(lambda v: conv.separable_valid(v, g.astype(np.float32)))(x)
  assert got.shape == want.shape and got.dtype == np.float32
  # 2 passes of 5 float32 products and sums of values ≤ 1: a few ulps of 1, far below 1e-6.
  np.testing.assert_allclose(np.asarray(got), want, rtol=0, atol=1e-6)


@pytest.mark.parametrize("kernel", [(3, 3, 6, 3), (5, 5, 6, 1), (3, 1, 6, conv.FEW_OUTPUTS)],
                         ids=["3x3-rgb", "5x5-y", "3x1"])
@pytest.mark.parametrize("padding", ["SAME", "VALID", ((1, 2), (0, 1))],
                         ids=["same", "valid", "asymmetric"])
def test_few_outputs_is_one_product_and_shifted_adds_with_equal_gradients(kernel, padding):
  x, w = _pair((2, 9, 10, 6), kernel)
  args = {"window_strides": (1, 1), "padding": padding, "dimension_numbers": NHWC}
  ours = lambda x, w: conv.conv_general_dilated(x, w, **args)
  ref = lambda x, w: lax.conv_general_dilated(x, w, **args)
  primitives = _primitives(ours, x, w)
  assert "dot_general" in primitives and "conv_general_dilated" not in primitives
  assert ours(x, w).shape == ref(x, w).shape
  _same_with_gradients(ours, ref, x, w, 1e-4)
  # Hand-computed away from the border: Σ_ij x[n, h + i − 1, w + j − 1] · k[i, j].
  if padding == "SAME" and kernel[0] == 3 and kernel[1] == 3:
    patch = np.asarray(x)[1, 3:6, 4:7]  # rows 3..5, columns 4..6 around (4, 5)
    np.testing.assert_allclose(ours(x, w)[1, 4, 5], np.einsum("ijc,ijcf->f", patch, w),
                               rtol=1e-5, atol=1e-5)


def test_channel_dot_is_one_2d_product_equal_to_the_contraction():
  x, w = _pair((2, 3, 5, 6), (6, 4))
  ours = lambda x, w: conv.channel_dot(x, w)
  dots = [eqn for eqn in jax.make_jaxpr(ours)(x, w).jaxpr.eqns
          if eqn.primitive.name == "dot_general"]
  assert [eqn.invars[0].aval.shape for eqn in dots] == [(30, 6)]
  _same_with_gradients(ours, lambda x, w: jnp.einsum("nhwc,cf->nhwf", x, w), x, w, 1e-5)


def test_dense_keeps_flax_parameters_and_products_with_batch_axes_stay_lax():
  x = jax.random.normal(jax.random.key(1), (2, 5, 7))
  variables = Dense(4).init(jax.random.key(0), x)
  assert jax.tree.map(jnp.shape, variables) == jax.tree.map(
      jnp.shape, nn.Dense(4).init(jax.random.key(0), x))
  for got, want in zip(
      jax.grad(lambda v, x: jnp.sum(jnp.sin(Dense(4).apply(v, x))), (0, 1))(variables, x),
      jax.grad(lambda v, x: jnp.sum(jnp.sin(nn.Dense(4).apply(v, x))), (0, 1))(variables, x)):
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5), got, want)
  a, b = _pair((3, 4, 5), (3, 5, 2))
  batched = (((2,), (1,)), ((0,), (0,)))
  np.testing.assert_array_equal(conv.dot_general(a, b, batched), lax.dot_general(a, b, batched))
