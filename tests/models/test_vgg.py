"""VGG feature extractor: layer names/shapes and weight conversion checked against NumPy."""
import jax
import numpy as np
import pytest

from sr_jax.models import vgg

W = 2  # channel width of the tiny test nets (64 in the real one)


@pytest.fixture(autouse=True)
def _exact_float32():
  """Full-precision convolutions on accelerators too (TF32 would miss these tolerances)."""
  with jax.default_matmul_precision("highest"):
    yield


def np_conv3x3(x, kernel, bias):
  """Zero-padded 3×3 cross-correlation of (H, W, I) with an HWIO kernel, float64."""
  h, w, _ = x.shape
  xp = np.pad(x, ((1, 1), (1, 1), (0, 0)))
  out = np.zeros((h, w, kernel.shape[-1])) + bias
  for dy in range(3):
    for dx in range(3):
      out += xp[dy:dy + h, dx:dx + w] @ kernel[dy, dx].astype(np.float64)
  return out


def random_torchvision(depth, rng, width=W):
  """A torchvision-layout state dict (OIHW), with the ReLU/pool gaps in its numbering."""
  state, index, cin = {}, 0, 3
  for block, convs in enumerate(vgg.BLOCKS[depth], 1):
    cout = width * min(2 ** (block - 1), 8)
    for _ in range(convs):
      state[f"features.{index}.weight"] = rng.normal(size=(cout, cin, 3, 3)).astype(np.float32)
      state[f"features.{index}.bias"] = rng.normal(size=cout).astype(np.float32)
      index, cin = index + 2, cout
    index += 1
  state["classifier.0.weight"] = np.zeros((4, 4), np.float32)
  return state


def random_keras(rng, width=W):
  layers, cin = {}, 3
  for block, convs in enumerate(vgg.BLOCKS[19], 1):
    cout = width * min(2 ** (block - 1), 8)
    for i in range(1, convs + 1):
      layers[f"block{block}_conv{i}"] = (rng.normal(size=(3, 3, cin, cout)).astype(np.float32),
                                         rng.normal(size=cout).astype(np.float32))
      cin = cout
  return layers


def features_from_flat(flat, image, last="conv1_2"):
  params, extra = vgg.split_flat(flat)
  model = vgg.VGG(last=last, width=W, mean=tuple(extra["mean"]), std=tuple(extra["std"]))
  feats = model.apply({"params": params}, image[None])
  return {k: np.asarray(v[0], np.float64) for k, v in feats.items()}


def test_layer_names_and_shapes():
  names = vgg.layer_names(19)
  assert names[:5] == ["conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1"]
  assert len(vgg.conv_names(19)) == 16 and len(vgg.conv_names(16)) == 13
  model = vgg.VGG(width=W, last="pool5")
  x = jax.ShapeDtypeStruct((1, 32, 32, 3), np.float32)
  feats = jax.eval_shape(lambda x: model.apply(model.init(jax.random.key(0), x), x), x)
  assert sorted(feats) == sorted(names)
  assert feats["conv1_2"].shape == (1, 32, 32, W)
  assert feats["conv5_4"].shape == (1, 2, 2, 8 * W)
  assert feats["pool5"].shape == (1, 1, 1, 8 * W)


def test_features_before_and_after_relu():
  model = vgg.VGG(width=W, last="relu1_2")
  x = jax.random.uniform(jax.random.key(0), (1, 8, 8, 3))
  feats = jax.jit(lambda x: model.apply(model.init(jax.random.key(1), x), x))(x)
  assert float(feats["conv1_2"].min()) < 0
  np.testing.assert_array_equal(feats["relu1_2"], np.maximum(feats["conv1_2"], 0))


def test_unknown_last_layer():
  with pytest.raises(ValueError, match="conv5_5"):
    vgg.VGG(width=W, last="conv5_5").init(jax.random.key(0), np.zeros((1, 16, 16, 3)))


def test_torchvision_conversion_matches_numpy():
  rng = np.random.default_rng(0)
  state = random_torchvision(19, rng)
  image = rng.uniform(size=(6, 5, 3)).astype(np.float32)
  feats = features_from_flat(vgg.from_torchvision(state), image)
  # torchvision's convention: ImageNet-normalised RGB, OIHW kernels.
  x = (image - np.array(vgg.IMAGENET_MEAN)) / np.array(vgg.IMAGENET_STD)
  c11 = np_conv3x3(x, state["features.0.weight"].transpose(2, 3, 1, 0), state["features.0.bias"])
  c12 = np_conv3x3(np.maximum(c11, 0), state["features.2.weight"].transpose(2, 3, 1, 0),
                   state["features.2.bias"])
  np.testing.assert_allclose(feats["conv1_1"], c11, rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(feats["conv1_2"], c12, rtol=1e-4, atol=1e-4)


def test_torchvision_conversion_vgg16_skips_pools():
  state = random_torchvision(16, np.random.default_rng(1))
  flat = vgg.from_torchvision(state, 16)
  # features.17 is conv4_1 in VGG16 (after pool3 at 16).
  np.testing.assert_array_equal(flat["conv4_1/kernel"],
                                state["features.17.weight"].transpose(2, 3, 1, 0))
  with pytest.raises(ValueError, match="expected 16 convolutions"):
    vgg.from_torchvision(state, 19)


def test_keras_conversion_matches_caffe_preprocessing():
  rng = np.random.default_rng(2)
  layers = random_keras(rng)
  image = rng.uniform(size=(6, 5, 3)).astype(np.float32)
  feats = features_from_flat(vgg.from_keras(layers), image)
  # Keras's convention: BGR, 0..255, Caffe mean subtracted, zero padding in that space.
  x = image[..., ::-1] * 255.0 - np.array(vgg.CAFFE_MEAN_RGB[::-1])
  c11 = np_conv3x3(x, *layers["block1_conv1"])
  c12 = np_conv3x3(np.maximum(c11, 0), *layers["block1_conv2"])
  np.testing.assert_allclose(feats["conv1_1"], c11, rtol=1e-4, atol=2e-3)
  np.testing.assert_allclose(feats["conv1_2"], c12, rtol=1e-4, atol=2e-2)


def test_load_vgg_roundtrip_and_missing_file(tmp_path, monkeypatch):
  flat = vgg.from_torchvision(random_torchvision(19, np.random.default_rng(3)))
  np.savez(tmp_path / "w.npz", **flat)
  model, variables = vgg.load_vgg(tmp_path / "w.npz", last="relu2_1")
  assert (model.depth, model.width, model.last) == (19, W, "relu2_1")
  assert model.mean == pytest.approx(vgg.IMAGENET_MEAN)
  out = model.apply(variables, np.zeros((1, 8, 8, 3), np.float32))
  assert out["relu2_1"].shape == (1, 4, 4, 2 * W)

  monkeypatch.setenv("SR_JAX_CACHE", str(tmp_path / "cache"))
  assert vgg.default_path() == tmp_path / "cache" / "vgg19.npz"
  with pytest.raises(FileNotFoundError, match=r"python -m sr_jax\.tools\.vgg --fetch"):
    vgg.load_vgg()
