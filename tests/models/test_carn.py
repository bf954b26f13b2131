"""CARN and CARN-M: the paper's parameter counts, the multi-scale upsamplers, CARN-M's sharing."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import models
from sr_jax.bench import flops


def test_param_counts_match_the_paper_and_the_released_checkpoints(param_count):
  # The paper's benchmark table (official README, assets/table.png): CARN 1,592K, CARN-M 412K
  # at every scale: the multi-scale models, with ×2, ×3 and ×4 upsamplers.
  carn = models.build_model("carn", scale=4)
  assert param_count(carn) == 1_591_939  # 1,592K
  carn_m = models.build_model("carn_m", scale=4)
  # The released checkpoint/carn_m.pth holds 414,787 parameters besides its two fixed MeanShift
  # convs; the paper's 412K is its 412,032 convolution weights (without biases).
  assert param_count(carn_m) == 414_787
  assert param_count(carn_m, leaf="kernel") == 412_032


@pytest.mark.parametrize("name,counts", [("carn", (964_163, 1_148_803, 1_111_875)),
                                         ("carn_m", (257_027, 303_427, 294_147))])
def test_single_scale_models_drop_the_other_upsamplers(param_count, name, counts):
  got = [param_count(models.build_model(name, scale=s, multi_scale=False)) for s in (2, 3, 4)]
  assert tuple(got) == counts


def test_carn_m_shares_one_grouped_residual_e_unit_per_block():
  model = models.build_model("carn_m", scale=2, features=8)
  params = jax.eval_shape(model.init, jax.random.key(0), jnp.zeros((1, 8, 8, 3)))["params"]
  block = jax.tree.map(lambda s: s.shape, params["b2"])
  assert set(block) == {"b1", "c1", "c2", "c3"}  # one unit, called three times
  assert block["b1"]["Conv_0"]["kernel"] == (3, 3, 2, 8)  # 4 groups of 2 channels
  assert params["up2"]["Conv_0"]["kernel"].shape == (3, 3, 2, 32)
  assert {"up2", "up3", "up4"} <= set(params)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_output_shape(output_shape, scale):
  model = models.build_model("carn_m", scale=scale, features=8)
  assert output_shape(model, 6, 10) == ((1, 6 * scale, 10 * scale, 3), jnp.float32)


def test_only_the_scales_upsampler_is_used():
  model = models.build_model("carn_m", scale=3, features=4, num_blocks=1, num_units=2)
  lr = jnp.asarray(np.random.default_rng(0).random((1, 6, 6, 3), np.float32))
  params = jax.jit(model.init)(jax.random.key(0, impl="rbg"), lr)["params"]
  grads = jax.jit(jax.grad(lambda p: model.apply({"params": p}, lr).sum()))(params)
  for s in (2, 3, 4):
    norm = sum(float(jnp.abs(g).sum()) for g in jax.tree.leaves(grads[f"up{s}"]))
    assert (norm > 0) == (s == 3)


def test_multi_scale_refuses_other_scales(output_shape):
  with pytest.raises(ValueError, match="multi_scale=False"):
    output_shape(models.build_model("carn", scale=8, features=8))
  single = models.build_model("carn", scale=8, features=8, multi_scale=False)
  assert output_shape(single, 4, 4) == ((1, 32, 32, 3), jnp.float32)


@pytest.mark.parametrize("name,scale,giga", [("carn", 2, 222.8), ("carn", 4, 90.9),
                                             ("carn_m", 2, 91.2), ("carn_m", 4, 32.5)])
def test_mult_adds_match_the_paper_at_a_720p_output(name, scale, giga):
  # The table's Mult-Adds are for a 1280×720 HR output. The analytic count skips the taps on
  # the zero padding, hence a little (< 0.6%) under it.
  model = models.build_model(name, scale=scale)
  lr = jax.ShapeDtypeStruct((1, 720 // scale, 1280 // scale, 3), jnp.float32)
  variables = jax.eval_shape(model.init, jax.random.key(0), jnp.zeros((1, 8, 8, 3)))
  mult_adds = flops.count(model.apply, variables, lr) / 2
  assert 0.994 * giga * 1e9 < mult_adds < giga * 1e9
