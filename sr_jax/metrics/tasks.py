"""Task-based evaluation: does a recognition model see in the SR image what it sees in HR?

Benchmark sets carry no labels, so the score is agreement with the same model on the HR image:
per image, `task_top1` is 1 when the SR image's top class is the HR image's, `task_top5` when
the HR image's top class is among the SR image's five highest; a set's means are the agreement
rates.
Evaluate the bicubic baseline beside a model for the floor. A task is one registry entry: a
name → a function of the weights file (None: its default path) returning a `Task`.

- imagenet_vgg19: torchvision's VGG19 ImageNet classifier (`models.vgg.VGGClassifier`), each
  image seen as torchvision's ImageNet evaluation transform sees it: shorter side resized to 256
  (PIL bilinear), the centre 224×224, ImageNet mean/std. Weights: imagenet_vgg19.npz in the
  sr_jax cache, from `python -m sr_jax.tools.vgg --fetch --classifier` (or `--classifier
  --convert=FILE` with torchvision's vgg19-dcbb9e9d.pth).
"""
import dataclasses
import hashlib
from typing import Callable

import jax
import numpy as np
from PIL import Image

from sr_jax.models import vgg

TOP_K = 5


@dataclasses.dataclass(frozen=True)
class Task:
  """A recognition model that judges SR output: `logits(image)` of a uint8 (h, w, 3) RGB image."""
  name: str
  logits: Callable[[np.ndarray], np.ndarray]
  _references: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)

  def reference(self, hr: np.ndarray) -> np.ndarray:
    """The HR image's logits, computed once however many methods are compared against it."""
    key = (hr.shape, hashlib.sha1(np.ascontiguousarray(hr).tobytes()).hexdigest())
    if key not in self._references:
      self._references[key] = self.logits(hr)
    return self._references[key]


TASKS: dict[str, Callable[[str | None], Task]] = {}


def register(name: str):
  def add(factory):
    TASKS[name] = factory
    return factory
  return add


def load(name: str, weights: str | None = None) -> Task:
  """The task `name` with its weights (one-line FileNotFoundError when they are missing)."""
  return TASKS[name](weights)


def imagenet_view(img: np.ndarray, resize: int = 256, crop: int = 224) -> np.ndarray:
  """uint8 (h, w, 3) → float32 (crop, crop, 3) in [0, 1]: torchvision's Resize(256) (shorter side
  to 256, the longer scaled and truncated, PIL bilinear) then CenterCrop(224)."""
  h, w = img.shape[:2]
  size = ((resize, int(resize * h / w)) if w <= h else (int(resize * w / h), resize))  # (w, h)
  resized = np.asarray(Image.fromarray(img).resize(size, Image.BILINEAR))
  top, left = (int(round((n - crop) / 2.0)) for n in resized.shape[:2])
  return resized[top:top + crop, left:left + crop].astype(np.float32) / 255.0


@register("imagenet_vgg19")
def imagenet_vgg19(weights: str | None = None) -> Task:
  model, variables = vgg.load_classifier(weights)
  forward = jax.jit(model.apply)
  return Task("imagenet_vgg19",
              lambda img: np.asarray(forward(variables, imagenet_view(img)[None]))[0])


def agreement(sr_logits: np.ndarray, hr_logits: np.ndarray, k: int = TOP_K) -> dict[str, float]:
  """{'task_top1', f'task_top{k}'}: 1.0 where SR's top class is HR's / HR's top class is among
  SR's k highest, else 0.0."""
  target = int(np.argmax(hr_logits))
  top = np.argsort(-np.asarray(sr_logits), kind="stable")[:k]
  return {"task_top1": float(top[0] == target), f"task_top{k}": float(target in top)}


def add_scores(result: dict, samples, srs: dict, task: Task) -> dict:
  """Adds the agreement of `task` on each SR image (name → uint8 RGB) with its HR image to each
  image row of one set's `result`, and the rates to its mean."""
  by_name = {s.name: s for s in samples}
  for row in result["images"]:
    row.update(agreement(task.logits(srs[row["name"]]), task.reference(by_name[row["name"]].hr)))
  for key in ("task_top1", f"task_top{TOP_K}"):
    result["mean"][key] = float(np.mean([row[key] for row in result["images"]]))
  return result
