"""The jaxpr FLOP count: exact for convolutions and matmuls, autodiff's included, nested calls."""
import jax
import jax.numpy as jnp
import pytest

from sr_jax.bench import flops


def _xla_flops(fn, *args) -> float:
  cost = jax.jit(fn).lower(*args).compile().cost_analysis()
  return (cost[0] if isinstance(cost, (list, tuple)) else cost)["flops"]


def _conv(strides, padding, rhs_dilation):
  return lambda x, w: jax.lax.conv_general_dilated(
      x, w, strides, padding, rhs_dilation=rhs_dilation,
      dimension_numbers=("NHWC", "HWIO", "NHWC"))


@pytest.mark.parametrize("strides,padding,rhs_dilation", [
    ((1, 1), "SAME", (1, 1)),  # border taps on padding are not counted
    ((2, 2), ((1, 2), (0, 1)), (2, 1)),  # strided, dilated, asymmetric padding
])
def test_conv_matches_xla_forward_and_backward(strides, padding, rhs_dilation):
  x, w = jnp.ones((2, 9, 8, 5)), jnp.ones((3, 3, 5, 7))
  conv = _conv(strides, padding, rhs_dilation)
  assert flops.count(conv, x, w) == _xla_flops(conv, x, w)
  grads = jax.grad(lambda w, x: (conv(x, w)**2).sum(), argnums=(0, 1))
  analytic, xla = flops.count(grads, w, x), _xla_flops(grads, w, x)
  # The transposed convolutions agree exactly; XLA also counts the square and the sum.
  assert analytic > 2.9 * flops.count(conv, x, w)
  assert 0.97 * xla < analytic <= xla


def test_dot_general_counts_contractions():
  a, b = jnp.ones((3, 4, 5)), jnp.ones((3, 5, 6))
  assert flops.count(lambda a, b: jnp.einsum("bij,bjk->bik", a, b), a, b) == 2 * 3 * 4 * 6 * 5


def test_nested_calls_scan_and_cond():
  m = jnp.ones((8, 8))
  one = 2 * 8 * 8 * 8
  scanned = lambda m: jax.lax.scan(lambda c, _: (c @ m, None), m, None, length=5)[0]
  assert flops.count(jax.jit(scanned), m) == 5 * one
  cond = lambda p, m: jax.lax.cond(p, lambda m: m @ m @ m, lambda m: m, m)
  assert flops.count(cond, True, m) == 2 * one  # the costlier branch
  assert flops.count(jax.checkpoint(lambda m: m @ m), m) == one


def _grouped_conv(groups, dilation, padding="VALID"):
  return lambda x, w: jax.lax.conv_general_dilated(
      x, w, (1, 1), padding, rhs_dilation=(dilation, dilation), feature_group_count=groups,
      dimension_numbers=("NHWC", "HWIO", "NHWC"))


# (groups, dilation, C_in, C_out): dense, grouped, depthwise, depthwise ×2 multiplier; dilated.
@pytest.mark.parametrize("groups,dilation,cin,cout", [
    (1, 1, 8, 12), (4, 1, 8, 12), (8, 1, 8, 8), (8, 2, 8, 16), (4, 3, 8, 12)])
def test_grouped_depthwise_and_dilated_convs_by_hand(groups, dilation, cin, cout):
  n, h, w, k = 2, 13, 11, 3
  x, kernel = jnp.ones((n, h, w, cin)), jnp.ones((k, k, cin // groups, cout))
  conv = _grouped_conv(groups, dilation)
  # VALID: every output pixel reads k² real taps, each a multiply-add over C_in/groups inputs.
  ho, wo = h - dilation * (k - 1), w - dilation * (k - 1)
  forward = 2 * n * ho * wo * cout * k * k * (cin // groups)
  assert flops.count(conv, x, kernel) == forward
  # Backward: the input gradient (a transposed conv, still grouped) and the kernel gradient (a
  # batch-grouped conv) each do the forward's multiply-adds again.
  grads = jax.grad(lambda kernel, x: conv(x, kernel).sum(), argnums=(0, 1))
  assert flops.count(grads, kernel, x) == 3 * forward


def test_dilated_same_padding_skips_the_taps_on_padding():
  # Along a side of n pixels a 3-tap kernel dilated by d, padded by d, reads 3n - 2d real taps
  # (the d pixels next to each border lose the tap that falls outside).
  n, h, w, c, d = 1, 9, 10, 4, 2
  x, kernel = jnp.ones((n, h, w, c)), jnp.ones((3, 3, 1, c))
  conv = _grouped_conv(c, d, padding=((d, d), (d, d)))  # depthwise
  taps = (3 * h - 2 * d) * (3 * w - 2 * d)
  assert flops.count(conv, x, kernel) == 2 * n * c * taps
  grads = jax.grad(lambda kernel, x: conv(x, kernel).sum(), argnums=(0, 1))
  assert flops.count(grads, kernel, x) == 3 * 2 * n * c * taps


def test_a_grouped_conv_run_per_group_on_cpu_counts_as_one_grouped_conv():
  from sr_jax.ops import conv as conv_ops  # pylint: disable=g-import-not-at-top
  x, kernel = jnp.ones((2, 13, 11, 8)), jnp.ones((3, 3, 2, 12))
  ours = lambda x, w: conv_ops.conv_general_dilated(
      x, w, (1, 1), "SAME", rhs_dilation=(2, 2), feature_group_count=4,
      dimension_numbers=("NHWC", "HWIO", "NHWC"))
  reference = _grouped_conv(4, 2, padding=((2, 2), (2, 2)))
  assert flops.count(ours, x, kernel) == flops.count(reference, x, kernel) > 0
  grads = lambda f: jax.grad(lambda w, x: f(x, w).sum(), argnums=(0, 1))
  assert flops.count(grads(ours), kernel, x) == flops.count(grads(reference), kernel, x)
