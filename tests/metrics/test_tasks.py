"""Task-based evaluation: agreement by hand, torchvision's view of an image, the VGG19 classifier
against a NumPy forward (and PyTorch's, marker torch), and `evaluate --task` end to end."""
import json

import jax
import numpy as np
from PIL import Image
import pytest

from sr_jax.metrics import tasks
from sr_jax.models import vgg
from sr_jax.ops import imresize

# torchvision's vgg19().features: the indices of its 16 convolutions (ReLUs and pools between).
CONV_INDICES = (0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34)
WIDTH, HIDDEN, CLASSES = 2, 8, 10


def _state_dict(seed=0) -> dict[str, np.ndarray]:
  """A tiny VGG19 with torchvision's key names and layouts (OIHW, out × in), random weights."""
  rng = np.random.default_rng(seed)
  sd, cin = {}, 3
  for name, index in zip(vgg.conv_names(19), CONV_INDICES):
    cout = WIDTH * min(2 ** (int(name[4]) - 1), 8)
    sd[f"features.{index}.weight"] = rng.normal(0, np.sqrt(2 / (9 * cin)), (cout, cin, 3, 3))
    sd[f"features.{index}.bias"] = rng.normal(0, 0.1, cout)
    cin = cout
  for index, (fan_in, fan_out) in zip((0, 3, 6), ((cin * 49, HIDDEN), (HIDDEN, HIDDEN),
                                                  (HIDDEN, CLASSES))):
    sd[f"classifier.{index}.weight"] = rng.normal(0, np.sqrt(2 / fan_in), (fan_out, fan_in))
    sd[f"classifier.{index}.bias"] = rng.normal(0, 0.1, fan_out)
  return {k: v.astype(np.float32) for k, v in sd.items()}


def _numpy_forward(sd, x):
  """torchvision's VGG19 forward in float64 on one (h, w, 3) image in [0, 1]."""
  x = (x - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
  for block, convs in enumerate((2, 2, 4, 4, 4)):
    for i in range(convs):
      index = CONV_INDICES[sum((2, 2, 4, 4, 4)[:block]) + i]
      windows = np.lib.stride_tricks.sliding_window_view(
          np.pad(x, ((1, 1), (1, 1), (0, 0))), (3, 3), axis=(0, 1))  # (h, w, c, 3, 3)
      x = np.einsum("hwcij,ocij->hwo", windows, sd[f"features.{index}.weight"])
      x = np.maximum(x + sd[f"features.{index}.bias"], 0)
    h, w = x.shape[0] // 2, x.shape[1] // 2  # MaxPool2d(2): floor
    x = x[:2 * h, :2 * w].reshape(h, 2, w, 2, -1).max((1, 3))
  # AdaptiveAvgPool2d(7): cell i spans floor(i·n/7) .. ceil((i+1)·n/7) (PyTorch's definition).
  span = lambda i, n: slice(i * n // 7, -(-(i + 1) * n // 7))
  pooled = np.array([[x[span(i, x.shape[0]), span(j, x.shape[1])].mean((0, 1)) for j in range(7)]
                     for i in range(7)])  # (7, 7, c)
  x = pooled.transpose(2, 0, 1).reshape(-1)  # torch.flatten of (c, 7, 7)
  for index in (0, 3, 6):
    x = sd[f"classifier.{index}.weight"] @ x + sd[f"classifier.{index}.bias"]
    x = np.maximum(x, 0) if index < 6 else x
  return x


def _save(tmp_path, sd):
  path = tmp_path / "imagenet_vgg19.npz"
  np.savez(path, **vgg.classifier_from_torchvision(sd))
  return path


def test_agreement_by_hand():
  hr = np.array([0.1, 3.0, 0.2, 2.0, -1.0, 0.0, 0.5])  # top class 1
  assert tasks.agreement(np.array([0.0, 9.0, 1, 2, 3, 4, 5]), hr) == {"task_top1": 1.0,
                                                                      "task_top5": 1.0}
  # SR's order 6, 5, 4, 3, 1, ...: class 1 fifth → top-5 agrees, top-1 does not.
  sr = np.array([0.0, 1.5, -1.0, 2.0, 3.0, 4.0, 5.0])
  assert tasks.agreement(sr, hr) == {"task_top1": 0.0, "task_top5": 1.0}
  assert tasks.agreement(sr, hr, k=4) == {"task_top1": 0.0, "task_top4": 0.0}


def test_imagenet_view_is_resize_256_then_centre_crop_224():
  img = np.random.default_rng(0).integers(0, 256, (300, 400, 3), np.uint8)
  # Shorter side 300 → 256; longer 400·256/300 = 341.33 → 341. Crop: top round(32/2) = 16,
  # left round(117/2) = round(58.5) = 58 (Python's and torchvision's rounding).
  want = np.asarray(Image.fromarray(img).resize((341, 256), Image.BILINEAR))[16:240, 58:282]
  np.testing.assert_array_equal(tasks.imagenet_view(img), want.astype(np.float32) / 255)
  assert tasks.imagenet_view(img.transpose(1, 0, 2)).shape == (224, 224, 3)


def test_classifier_equals_torchvisions_forward_written_in_numpy(tmp_path):
  sd = _state_dict()
  model, variables = vgg.load_classifier(_save(tmp_path, sd))
  assert (model.width, model.hidden, model.classes) == (WIDTH, HIDDEN, CLASSES)
  # 96×136 → pool5 3×4: the 7×7 adaptive pool's cells overlap and repeat rows and columns.
  x = np.random.default_rng(1).uniform(0, 1, (96, 136, 3))
  got = np.asarray(jax.jit(model.apply)(variables, x[None].astype(np.float32)))[0]
  # float32 against float64 through 19 layers of logits ~1: a few 1e-6.
  np.testing.assert_allclose(got, _numpy_forward(sd, x), rtol=0, atol=2e-5)


def test_a_features_only_file_is_refused(tmp_path):
  sd = {k: v for k, v in _state_dict().items() if k.startswith("features")}
  with pytest.raises(ValueError, match="no classifier layers"):
    vgg.classifier_from_torchvision(sd)
  np.savez(tmp_path / "vgg19.npz", **vgg.from_torchvision(sd))
  with pytest.raises(ValueError, match="no fc6-fc8 layers"):
    vgg.load_classifier(tmp_path / "vgg19.npz")


def test_evaluate_reports_each_images_agreement_with_hr(tmp_path, run_cli):
  weights = _save(tmp_path, _state_dict())
  rng = np.random.default_rng(2)
  (tmp_path / "hr").mkdir()
  hrs = {}
  for name, (h, w) in (("a", (40, 60)), ("b", (52, 36)), ("c", (48, 48))):
    smooth = np.cumsum(np.cumsum(rng.integers(0, 9, (h, w, 3)), 0), 1)
    hrs[name] = (smooth * 255 // smooth.max()).astype(np.uint8)
    Image.fromarray(hrs[name]).save(tmp_path / "hr" / f"{name}.png")
  proc = run_cli("sr_jax.evaluate", f"--hr_dir={tmp_path / 'hr'}", "--scale=2",
                 "--baseline=bicubic", "--task=imagenet_vgg19", f"--task_weights={weights}",
                 f"--json={tmp_path / 'out.json'}")
  assert proc.returncode == 0, proc.stderr[-2000:]
  (result,) = json.loads((tmp_path / "out.json").read_text())["results"]
  model, variables = vgg.load_classifier(weights)
  logits = lambda img: np.asarray(model.apply(variables, tasks.imagenet_view(img)[None]))[0]
  for row in result["images"]:
    hr = hrs[row["name"]]
    sr = imresize.to_uint8(imresize.imresize(imresize.bicubic_downscale(hr, 2), 2))
    top = np.argsort(-logits(sr))
    target = np.argmax(logits(hr))
    assert (row["task_top1"], row["task_top5"]) == (float(top[0] == target),
                                                    float(target in top[:5]))
  for key in ("task_top1", "task_top5"):
    assert result["metrics"][key] == pytest.approx(np.mean([r[key] for r in result["images"]]))
  assert "Top-1 agr." in proc.stdout


def test_missing_task_weights_is_one_line(tmp_path, run_cli):
  proc = run_cli("sr_jax.evaluate", "--hr_dir=skimage:coffee", "--scale=2", "--baseline=bicubic",
                 "--task=imagenet_vgg19", f"--task_weights={tmp_path / 'none.npz'}")
  assert proc.returncode == 1 and "Traceback" not in proc.stderr
  assert proc.stderr.strip().splitlines()[-1] == (
      f"error: VGG19 classifier weights not found at {tmp_path / 'none.npz'}; make them with: "
      "python -m sr_jax.tools.vgg --fetch --classifier (or --classifier "
      "--convert=vgg19-dcbb9e9d.pth)")


@pytest.mark.torch
def test_converted_pth_equals_pytorchs_forward(tmp_path):
  """The tool's --classifier conversion of a torch.save'd VGG19 with torchvision's module
  layout, against that module's own forward."""
  torch = pytest.importorskip("torch", reason="[ci-step:torch] needs PyTorch")
  from sr_jax.tools import vgg as vgg_tool  # pylint: disable=g-import-not-at-top
  nn = torch.nn
  layers, cin = [], 3
  for convs, block in zip((2, 2, 4, 4, 4), range(5)):
    for _ in range(convs):
      cout = WIDTH * min(2 ** block, 8)
      layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True)]
      cin = cout
    layers.append(nn.MaxPool2d(2, 2))
  net = nn.Module()
  net.features = nn.Sequential(*layers)
  net.avgpool = nn.AdaptiveAvgPool2d(7)
  net.classifier = nn.Sequential(nn.Linear(cin * 49, HIDDEN), nn.ReLU(True), nn.Dropout(),
                                 nn.Linear(HIDDEN, HIDDEN), nn.ReLU(True), nn.Dropout(),
                                 nn.Linear(HIDDEN, CLASSES))
  with torch.no_grad():  # He-scaled weights: PyTorch's default init leaves pool5 ~constant
    for layer in net.modules():
      if isinstance(layer, (nn.Conv2d, nn.Linear)):
        layer.weight.normal_(0, float(np.sqrt(2 / layer.weight[0].numel())))
  assert [int(k.split(".")[1]) for k in net.state_dict() if k.startswith("features")
          and k.endswith("weight")] == list(CONV_INDICES)
  net.eval()  # dropout off, as evaluation runs it
  torch.save(net.state_dict(), tmp_path / "vgg19.pth")
  out = vgg_tool.main(["--classifier", f"--convert={tmp_path / 'vgg19.pth'}",
                       f"--out={tmp_path / 'c.npz'}"])
  model, variables = vgg.load_classifier(out)
  x = np.random.default_rng(3).uniform(0, 1, (2, 72, 104, 3)).astype(np.float32)
  normalise = lambda t: (t - torch.tensor([0.485, 0.456, 0.406])[:, None, None]) / torch.tensor(
      [0.229, 0.224, 0.225])[:, None, None]
  with torch.no_grad():
    t = normalise(torch.from_numpy(x).permute(0, 3, 1, 2))
    want = net.classifier(torch.flatten(net.avgpool(net.features(t)), 1)).numpy()
  assert np.abs(want[0] - want[1]).max() > 1e-2  # the two inputs are told apart
  np.testing.assert_allclose(np.asarray(model.apply(variables, x)), want, rtol=0, atol=1e-4)
