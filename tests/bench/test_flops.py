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
