import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import models
from sr_jax.models import swinir

SMALL = dict(embed_dim=12, depths=(2,), num_heads=(2,), window_size=4, upsample_features=8)


def test_param_count_matches_published(param_count):
  count = param_count(models.build_model("swinir", scale=4))
  assert round(count / 1e6, 1) == 11.9


def test_relative_position_index_covers_the_bias_table():
  index = swinir.relative_position_index(8)
  assert index.shape == (64, 64) and index.min() == 0 and index.max() == 15 * 15 - 1
  assert (np.diag(index) == index[0, 0]).all()  # zero offset → one entry


def test_shift_mask_separates_wrapped_regions():
  mask = swinir.shifted_window_mask(8, 8, 4, 2)
  assert mask.shape == (4, 16, 16)
  assert (mask[0] == 0).all()  # the top-left window holds no wrapped tokens
  assert (mask[3] == -100).any() and (mask == mask.transpose(0, 2, 1)).all()


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_output_shape_any_input_size(output_shape, scale, channels):
  model = models.build_model("swinir", scale=scale, channels=channels, **SMALL)
  assert output_shape(model, 7, 10) == ((1, 7 * scale, 10 * scale, channels), jnp.float32)


def test_reflect_padding_to_the_window_is_cropped_back():
  # 6×7 is padded to 8×8 inside; the same 8×8 image given explicitly needs no padding.
  model = models.build_model("swinir", scale=2, **dict(SMALL, depths=(1,), num_heads=(1,)))
  x = jax.random.uniform(jax.random.key(1), (1, 6, 7, 3))
  out, variables = jax.jit(model.init_with_output)(jax.random.key(0, impl="unsafe_rbg"), x)
  padded = jnp.pad(x, ((0, 0), (0, 2), (0, 1), (0, 0)), mode="reflect")
  np.testing.assert_allclose(out, jax.jit(model.apply)(variables, padded)[:, :12, :14],
                             atol=1e-5)


def test_bf16_forward_is_finite(jit_forward):
  model = models.build_model("swinir", scale=2, dtype=jnp.bfloat16, **SMALL)
  out = jit_forward(model, 6, 9)
  assert out.shape == (1, 12, 18, 3) and out.dtype == jnp.float32
  assert np.isfinite(np.asarray(out)).all()


def test_qkv_is_the_dense_projection_split_into_heads_with_its_parameters():
  # The reference's formulation (network_swinir.py): one (c, 3c) Linear, reshaped to
  # (b, n, 3, heads, c/heads) and permuted to (3, b, heads, n, c/heads).
  x = jax.random.normal(jax.random.key(1), (4, 16, 12))
  qkv = swinir.QKV(num_heads=3)
  variables = qkv.init(jax.random.key(0), x)
  assert jax.tree.map(jnp.shape, variables) == {"params": {"kernel": (12, 36), "bias": (36,)}}
  variables = jax.tree.map(
      lambda p: p + jax.random.normal(jax.random.key(2), p.shape), variables)
  params = variables["params"]

  def reference(params, x):
    y = x @ params["kernel"] + params["bias"]
    return tuple(y.reshape(4, 16, 3, 3, 4).transpose(2, 0, 3, 1, 4))

  got, want = qkv.apply(variables, x), reference(params, x)
  assert [t.shape for t in got] == [(4, 3, 16, 4)] * 3
  for g, w in zip(got, want):
    np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
  loss = lambda f: lambda p, x: sum(jnp.sum(jnp.sin(t) * (i + 1)) for i, t in enumerate(f(p, x)))
  got = jax.grad(loss(lambda p, x: qkv.apply({"params": p}, x)), (0, 1))(params, x)
  want = jax.grad(loss(reference), (0, 1))(params, x)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4), got, want)
