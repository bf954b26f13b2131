"""What the MOS tests share: small HR images, a study without runs (fast), an in-process
server, and, built once per test session even across pytest-xdist workers, two tiny runs and
a study of them that the CLI prepared."""
import fcntl
import json
import os
import pathlib
import runpy
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import numpy as np
from PIL import Image
import pytest

# Names that must never reach a rater: source images, run folders and labels.
IMAGE_NAMES = ("kestrel", "lagoon")
RUN_FOLDERS = ("quokka", "wombat")  # one training: its checkpoints at steps 4 and 2
LABELS = ("Alpha", "Beta")


def write_hr_images(folder: pathlib.Path, names=IMAGE_NAMES, shape=(40, 48)) -> pathlib.Path:
  """Textured RGB images (smooth ramps plus noise), all of one size: one compile per run."""
  folder.mkdir(parents=True, exist_ok=True)
  rng = np.random.default_rng(5)
  y, x = np.mgrid[0:shape[0], 0:shape[1]]
  for i, name in enumerate(names):
    ramp = np.stack([x * 5, y * 6, 128 + 90 * np.sin((x + 2 * y) / (4 + i))], -1)
    img = np.clip(ramp + rng.normal(0, 20, ramp.shape), 0, 255).astype(np.uint8)
    Image.fromarray(img).save(folder / f"{name}.png")
  return folder


@pytest.fixture(scope="session")
def shared_once(tmp_path_factory):
  """once(name, build) → a folder that build(folder) filled, once per session: xdist workers
  share pytest's base folder and take turns under a file lock."""
  root = tmp_path_factory.getbasetemp()
  if os.environ.get("PYTEST_XDIST_WORKER"):
    root = root.parent
  def once(name: str, build) -> pathlib.Path:
    path, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
      fcntl.flock(lock, fcntl.LOCK_EX)
      if not done.exists():
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir()
        build(path)
        done.touch()
    return path
  return once


@pytest.fixture(scope="session")
def tiny_runs(shared_once, write_tiny_config) -> list[str]:
  """Workdirs of one tiny ×2 training at steps 4 and 2: two models for one training."""
  def build(root):
    from sr_jax.train import trainer  # pylint: disable=g-import-not-at-top
    config = runpy.run_path(str(write_tiny_config(root, {})))["get_config"]()
    later, earlier = root / RUN_FOLDERS[0], root / RUN_FOLDERS[1]
    trainer.train_and_evaluate(config, str(later))  # checkpoints at steps 2 and 4
    shutil.copytree(later, earlier)
    shutil.rmtree(earlier / "checkpoints" / "4")
  root = shared_once("mos_runs", build)
  return [str(root / name) for name in RUN_FOLDERS]


@pytest.fixture(scope="session")
def run_study(shared_once, tiny_runs) -> pathlib.Path:
  """A folder with hr/ (two images) and study/, prepared from them by the CLI with both runs
  (labels Alpha, Beta), the baselines and the HR. Read-only for tests: copy it to change it."""
  def build(root):
    hr = write_hr_images(root / "hr")
    proc = subprocess.run(
        [sys.executable, "-m", "sr_jax.mos", "prepare", f"--hr_dir={hr}", "--scale=2",
         f"--runs={','.join(tiny_runs)}", f"--labels={','.join(LABELS)}", "--raters_seed=11",
         f"--out={root / 'study'}"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout
  return shared_once("mos_study", build)


@pytest.fixture
def small_study(tmp_path) -> pathlib.Path:
  """A study of the two images with the baselines and the HR only (no runs): 4 calibration
  and 6 rated items per rater."""
  from sr_jax.mos import prepare  # pylint: disable=g-import-not-at-top
  hr = write_hr_images(tmp_path / "hr")
  prepare.prepare(str(hr), 2, [], str(tmp_path / "study"), raters_seed=3, log=lambda _: None)
  return tmp_path / "study"


class Client:
  """JSON requests to a server: (status, decoded body)."""

  def __init__(self, url: str):
    self.url = url

  def raw(self, path: str, data: bytes | None = None, headers=None) -> tuple[int, bytes]:
    request = urllib.request.Request(self.url + path, data=data, headers=headers or {})
    try:
      with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()
    except urllib.error.HTTPError as e:
      return e.code, e.read()

  def get(self, path: str) -> tuple[int, dict]:
    status, body = self.raw(path)
    return status, json.loads(body)

  def answer(self, rater, item, score, input_="key") -> tuple[int, dict]:
    body = json.dumps({"rater": rater, "item": item, "score": score, "input": input_}).encode()
    status, reply = self.raw("api/answer", body, {"Content-Type": "application/json"})
    return status, json.loads(reply)


@pytest.fixture
def serve_in_process():
  """serve(study folder) → (Client, Study, server): a server on a free loopback port in a
  thread, shut down at the end unless the test did (server.shutdown(); server.server_close())."""
  from sr_jax.mos import server as server_lib  # pylint: disable=g-import-not-at-top
  from sr_jax.mos import store, study as study_lib  # pylint: disable=g-import-not-at-top
  running = []
  def serve(root, port=0):
    study = study_lib.Study.open(root)
    answers = store.Answers(study.answers_path, study.manifest["study_id"])
    httpd = server_lib.make_server(study, answers, "127.0.0.1", port)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    running.append(httpd)
    return Client(f"http://127.0.0.1:{httpd.server_address[1]}/"), study, httpd
  yield serve
  for httpd in running:
    if httpd.socket.fileno() != -1:
      httpd.shutdown()
      httpd.server_close()
