"""prepare: the study's images are what each method makes of the MATLAB-bicubic LR, nothing a
rater can reach names a method, each rater's order is deterministic, and a study changed
after prepare is refused naming the file."""
import json
import re
import shutil
import subprocess
import sys

import jax.numpy as jnp
import numpy as np
from PIL import Image
import pytest

from sr_jax import config as config_lib
from sr_jax.data.images import DataError
from sr_jax.mos import prepare, store
from sr_jax.mos import study as study_lib
from sr_jax.ops import imresize
from sr_jax import inference

IMAGE_NAMES = ("kestrel", "lagoon")  # conftest's
RUN_FOLDERS = ("quokka", "wombat")
LABELS = ("Alpha", "Beta")


def _pixels(root, item_id):
  return np.asarray(Image.open(root / study_lib.IMAGES / f"{item_id}.png"))


def _model_sr(workdir, lr):
  generator = inference.from_run(workdir)
  sr = generator.predict(generator.variables, jnp.asarray(lr[None] / 255.0))
  return np.asarray(jnp.round(jnp.clip(sr[0], 0, 1) * 255)).astype(np.uint8)


def test_run_study_holds_each_methods_image(run_study, tiny_runs):
  root = run_study / "study"
  manifest = json.loads((root / study_lib.MANIFEST).read_text())
  assert [m["name"] for m in manifest["methods"]] == ["NN", "Bicubic", *LABELS, "HR"]
  runs = manifest["methods"][2:4]
  assert [(r["source"], r["workdir"], r["step"]) for r in runs] == [
      ("run", tiny_runs[0], 4), ("run", tiny_runs[1], 2)]
  assert manifest["images"] == list(IMAGE_NAMES) and manifest["raters_seed"] == 11
  assert [(c["image"], c["method"], c["anchor"]) for c in manifest["calibration"]] == [
      (name, method, anchor) for name in IMAGE_NAMES for method, anchor in (("HR", 5), ("NN", 1))]
  assert [(i["image"], i["method"]) for i in manifest["items"]] == [
      (name, m["name"]) for name in IMAGE_NAMES for m in manifest["methods"]]
  # Every image is in the manifest with its sha256, and nothing else is in the folder.
  ids = [e["id"] for e in manifest["calibration"] + manifest["items"]]
  assert len(set(ids)) == len(ids) == 14 and all(re.fullmatch("[0-9a-f]{16}", i) for i in ids)
  assert sorted(manifest["files"]) == sorted(f"images/{i}.png" for i in ids)
  for rel, digest in manifest["files"].items():
    assert study_lib.sha256(root / rel) == digest
  assert sorted(p.name for p in root.iterdir()) == ["images", "study.json"]
  study_lib.Study.open(root)  # passes the tamper check

  by_key = {(e["image"], e["method"], e.get("anchor")): e["id"]
            for e in manifest["calibration"] + manifest["items"]}
  for name in IMAGE_NAMES:
    hr = np.asarray(Image.open(run_study / "hr" / f"{name}.png"))  # 40x48: already mod-2
    lr = imresize.bicubic_downscale(hr, 2)
    nearest = lr.repeat(2, 0).repeat(2, 1)
    np.testing.assert_array_equal(_pixels(root, by_key[name, "HR", None]), hr)
    np.testing.assert_array_equal(_pixels(root, by_key[name, "HR", 5]), hr)
    np.testing.assert_array_equal(_pixels(root, by_key[name, "NN", None]), nearest)
    np.testing.assert_array_equal(_pixels(root, by_key[name, "NN", 1]), nearest)
    np.testing.assert_array_equal(_pixels(root, by_key[name, "Bicubic", None]),
                                  imresize.to_uint8(imresize.imresize(lr, 2)))
    runs_sr = [_pixels(root, by_key[name, label, None]).astype(int) for label in LABELS]
    for sr, workdir in zip(runs_sr, tiny_runs):
      # The upscaler pads the LR's bottom and right (symmetric) to the run's pad_multiple,
      # model.apply's convolutions pad with zeros: equal within 1 level beyond the model's
      # reach of those borders.
      assert np.abs(sr - _model_sr(workdir, lr))[:-12, :-12].max() <= 1
    assert np.abs(runs_sr[0] - runs_sr[1]).max() > 0  # two checkpoints, two images


def _forbidden(manifest) -> re.Pattern:
  """Whatever says which method or image an item is."""
  words = [m["name"] for m in manifest["methods"]] + ["nearest", "bicubic", *IMAGE_NAMES,
                                                      *RUN_FOLDERS, "checkpoint", "workdir"]
  short = [w for w in words if len(w) <= 2]  # HR, NN: as words, in capitals
  long_ = [w for w in words if len(w) > 2]
  return re.compile("|".join([rf"\b{w}\b" for w in short] + [rf"(?i:{w})" for w in long_]))


def test_nothing_served_names_a_method(run_study, tmp_path, serve_in_process):
  root = tmp_path / "study"
  shutil.copytree(run_study / "study", root)
  client, study, _ = serve_in_process(root)
  forbidden = _forbidden(study.manifest)
  assert forbidden.search(json.dumps(study.manifest))  # the pattern does catch the manifest
  status, page = client.raw("")
  assert status == 200 and not forbidden.search(page.decode())
  assert not any(forbidden.search(p.name) for p in (root / study_lib.IMAGES).iterdir())
  seen = []
  for rater in ("r1", "r2"):
    while True:
      status, state = client.get(f"api/next?rater={rater}")
      assert status == 200
      seen.append(json.dumps(state))
      if state["item"] is None:
        break
      item = state["item"]
      assert set(item) == {"id", "src", "anchor"} and item["src"] == f"images/{item['id']}.png"
      status, body = client.raw(item["src"])
      assert status == 200 and body.startswith(b"\x89PNG")
      assert b"tEXt" not in body and b"iTXt" not in body  # no text chunks in the files
      status, reply = client.answer(rater, item["id"], 3)
      assert status == 200
      seen.append(json.dumps(reply))
  assert not any(forbidden.search(s) for s in seen)
  anchors = [json.loads(s)["item"]["anchor"] for s in seen[::2] if json.loads(s)["item"]]
  assert anchors[:4] == [5, 1, 5, 1] and set(anchors[4:14]) == {None}  # calibration first
  for path in ("study.json", "images/../study.json", "answers.sqlite", "images/"):
    assert client.raw(path)[0] == 404


def test_orders_are_deterministic_per_rater_and_seed(small_study):
  study = study_lib.Study.open(small_study)
  calibration = [c["id"] for c in study.calibration]
  items = sorted(i["id"] for i in study.items)
  orders = {rater: study.order(rater) for rater in ("ann", "bob", "cy", "dee", "eve")}
  for order in orders.values():
    assert list(order[:4]) == calibration  # the same calibration, first, for everyone
    assert sorted(order[4:]) == items  # then every rated item once
  assert len(set(orders.values())) == 5  # each rater an order of their own
  again = study_lib.Study.open(small_study)  # a restarted server: the same orders
  assert all(again.order(rater) == order for rater, order in orders.items())
  manifest = dict(study.manifest, raters_seed=study.manifest["raters_seed"] + 1)
  other_seed = study_lib.Study(small_study, manifest)
  assert sum(other_seed.order(r) != o for r, o in orders.items()) >= 4
  # Pinned: sha256 Fisher–Yates, the same on every platform and Python or NumPy version.
  assert "".join(study_lib.shuffled(list("abcdef"), "3/ann")) == "adecbf"
  assert "".join(study_lib.shuffled(list("abcdef"), "3/bob")) == "ceadfb"


def test_prepare_refuses_bad_input_before_writing(tmp_path, tiny_runs):
  hr = tmp_path / "hr"
  hr.mkdir()
  Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(hr / "a.png")
  out = tmp_path / "study"
  cases = [
      (dict(workdirs=tiny_runs, labels=["A"]), config_lib.ConfigError,
       "--labels has 1 entries for 2 runs"),
      (dict(workdirs=tiny_runs, labels=["A", "A"]), config_lib.ConfigError, "'A' is repeated"),
      (dict(workdirs=tiny_runs[:1], labels=["HR"]), config_lib.ConfigError,
       "'HR' is a reference's name"),
      (dict(workdirs=[], baselines=["lanczos"]), config_lib.ConfigError, "unknown 'lanczos'"),
      (dict(workdirs=[str(tmp_path / "nope")]), FileNotFoundError,
       f"{tmp_path / 'nope'}: no checkpoint"),
      (dict(workdirs=tiny_runs, scale=4), config_lib.ConfigError,
       f"{tiny_runs[0]} holds a run with scale=2, but --scale asks for scale=4"),
      (dict(workdirs=[], hr_dir=str(tmp_path / "empty")), DataError, "no such data folder"),
  ]
  for kwargs, error, message in cases:
    args = {"hr_dir": str(hr), "scale": 2, "out": str(out), **kwargs}
    with pytest.raises(error, match=re.escape(message)):
      prepare.prepare(args.pop("hr_dir"), args.pop("scale"), args.pop("workdirs"),
                      args.pop("out"), log=lambda _: None, **args)
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["hr"]
  out.mkdir()
  (out / "answers.sqlite").write_text("")
  with pytest.raises(config_lib.ConfigError, match="exists and is not an empty folder"):
    prepare.prepare(str(hr), 2, [], str(out), log=lambda _: None)
  assert [p.name for p in out.iterdir()] == ["answers.sqlite"]


def test_a_changed_study_is_refused_naming_the_file(small_study):
  study = study_lib.Study.open(small_study)
  image = study.image_path(study.items[2]["id"])
  original = image.read_bytes()

  # What the study writes itself is allowed: the answers and the report.
  store.Answers(study.answers_path, study.manifest["study_id"])
  (small_study / "answers.sqlite-wal").write_bytes(b"")
  (small_study / "report").mkdir()
  (small_study / "report" / "mos.md").write_text("")
  study_lib.Study.open(small_study)

  image.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
  with pytest.raises(study_lib.StudyError, match=re.escape(
      f"{image}: changed since prepare (sha256 differs from study.json)")):
    study_lib.Study.open(small_study)
  image.unlink()
  with pytest.raises(study_lib.StudyError, match=re.escape(f"{image}: missing")):
    study_lib.Study.open(small_study)
  image.write_bytes(original)
  for extra in (small_study / "images" / "0123456789abcdef.png", small_study / "notes.txt"):
    extra.write_text("")
    with pytest.raises(study_lib.StudyError, match=re.escape(
        f"{extra}: not in study.json (added after prepare)")):
      study_lib.Study.open(small_study)
    extra.unlink()
  study_lib.Study.open(small_study)

  # The CLI: one line naming the file, before anything listens or is written.
  image.write_bytes(original + b"\0")
  study.answers_path.unlink()
  proc = subprocess.run([sys.executable, "-m", "sr_jax.mos", "serve", str(small_study),
                         "--port=0"], capture_output=True, text=True, timeout=300)
  assert proc.returncode == 1 and "Traceback" not in proc.stderr and not proc.stdout
  assert proc.stderr.strip().splitlines() == [
      f"error: {image}: changed since prepare (sha256 differs from study.json)"]
  assert not study.answers_path.exists()
