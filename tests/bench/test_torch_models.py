"""The PyTorch references: the Flax models' parameter counts and function, a training step."""
import jax
import numpy as np
import pytest

from configs import edsr, quickstart, rrdbnet, swinir
from sr_jax import models, zoo

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch", reason="[ci-step:torch] needs PyTorch")

from sr_jax.bench import torch_models  # pylint: disable=g-import-not-at-top,wrong-import-position


@pytest.mark.parametrize("recipe,preset", [(edsr, "x4"), (edsr, "x3"), (rrdbnet, "x4"),
                                           (rrdbnet, "x3"), (swinir, "x4")])
def test_param_counts_equal_the_flax_models(recipe, preset):
  config = recipe.get_config(preset)
  assert (torch_models.param_count(torch_models.build(config))
          == zoo.param_count(models.from_config(config)))


def _small(recipe, preset):
  c = recipe.get_config(preset)
  c.model.num_blocks = 1
  return c


@pytest.mark.parametrize("config", [
    _small(edsr, "x3"), _small(rrdbnet, "x4"),
    swinir.get_config("x2").copy_and_resolve_references()], ids=["edsr", "rrdbnet", "swinir"])
def test_forward_gives_the_hr_shape(config):
  if config.model.name == "swinir":
    config.model.update(embed_dim=12, depths=(2,), num_heads=(2,), window_size=4)
  out = torch_models.build(config)(torch.rand(2, 3, 8, 8))
  assert out.shape == (2, 3, 8 * config.scale, 8 * config.scale)


def _flax_convs(tree):
  """(kernel, bias) of every conv in creation order (jax.tree sorts keys; dicts keep order);
  a one-block chain's stacked kernels (5-D) are that block's."""
  if "kernel" in tree:
    return [(tree["kernel"][0], tree["bias"][0]) if tree["kernel"].ndim == 5
            else (tree["kernel"], tree["bias"])]
  return [conv for sub in tree.values() for conv in _flax_convs(sub)]


@pytest.mark.parametrize("config", [_small(edsr, "x4"), _small(rrdbnet, "x4")],
                         ids=["edsr", "rrdbnet"])
def test_same_function_with_the_flax_weights(config):
  model = models.from_config(config)
  lr = np.random.default_rng(0).random((1, 12, 12, 3), np.float32)
  variables = model.init(jax.random.key(0), lr)
  reference = torch_models.build(config)
  convs = [m for m in reference.modules() if isinstance(m, torch.nn.Conv2d)]
  pairs = _flax_convs(variables["params"])
  assert len(convs) == len(pairs)
  with torch.no_grad():
    for conv, (kernel, bias) in zip(convs, pairs):
      conv.weight.copy_(torch.tensor(np.asarray(kernel).transpose(3, 2, 0, 1)))
      conv.bias.copy_(torch.tensor(np.asarray(bias)))
    out = reference(torch.from_numpy(lr).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
  np.testing.assert_allclose(out, model.apply(variables, lr), atol=2e-5)


def test_the_step_trains_times_and_rejects_unknown_variants():
  c = _small(edsr, "x2")
  c.model.features = 8
  c.train.batch_size, c.data.hr_patch = 2, 16
  step, warmup_s = torch_models.warmed_up(c, "fp32", warmup=1)
  before = [p.detach().clone() for p in step.model.parameters()]
  assert warmup_s > 0 and step.rate(2) > 0
  assert all((a != b.detach()).any() for a, b in zip(before, step.model.parameters()))
  assert step.info()["params"] == zoo.param_count(models.from_config(c))
  with pytest.raises(ValueError, match="torch variant"):
    torch_models.Step(c, "fp16")


def test_steps_without_a_reference_are_refused():
  torch_models.check_config(edsr.get_config("x4"))
  with pytest.raises(ValueError, match="bicubic_skip"):
    torch_models.check_config(quickstart.get_config())
  c = edsr.get_config("x4")
  c.train.loss = "charbonnier"
  with pytest.raises(ValueError, match="L1 step"):
    torch_models.check_config(c)
  c.model.name = "rcan"
  with pytest.raises(ValueError, match="no PyTorch reference"):
    torch_models.check_config(c)


def test_tiled_upscale_is_predictors_tiled_in_pytorch():
  """Same tiles, same blend weights, same network (the Flax weights copied): the same uint8
  image, up to float32 rounding flipping a value that sits at a half level."""
  from sr_jax import inference  # pylint: disable=g-import-not-at-top
  from sr_jax.metrics import image_quality, predictors  # pylint: disable=g-import-not-at-top
  config = _small(rrdbnet, "x4")
  model = models.from_config(config)
  lr = np.random.default_rng(1).integers(0, 256, (1, 20, 18, 3), np.uint8)
  variables = model.init(jax.random.key(0), lr[:, :8, :8] / np.float32(255))
  upscale = torch_models.TiledUpscale(config, lr, tile=8, overlap=2)
  convs = [m for m in upscale.model.modules() if isinstance(m, torch.nn.Conv2d)]
  with torch.no_grad():
    for conv, (kernel, bias) in zip(convs, _flax_convs(variables["params"])):
      conv.weight.copy_(torch.tensor(np.asarray(kernel).transpose(3, 2, 0, 1)))
      conv.bias.copy_(torch.tensor(np.asarray(bias)))
  got = upscale().permute(0, 2, 3, 1).numpy().astype(int)
  tiled = predictors.tiled(inference.predict_fn(model), 4, 8, 2)
  want = np.asarray(image_quality.quantize(tiled(variables, lr / np.float32(255)))).astype(int)
  assert got.shape == want.shape == (1, 80, 72, 3)
  assert np.abs(got - want).max() <= 1 and (got == want).mean() > 0.99
