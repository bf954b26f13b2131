"""Shared test setup: benchmark images from $SR_JAX_DATA, by default the development copy beside
the checkout (../shared/data), set for this process and every subprocess a test starts."""
import os
import pathlib
import sys
import tempfile

import pytest
from absl import flags

# grain's multiprocessing reads absl flags; outside an absl app they must count as parsed.
flags.FLAGS.mark_as_parsed()

# No silent skips where CI runs. Under CI=true a test that skips fails instead, unless its reason
# names a later CI step ("[ci-step:torch] ..."): the README's test command runs before PyTorch (or
# Chromium) is installed, and CI runs the tests of that step (marker `torch`, ...) again after
# installing it, with SR_JAX_CI_STEP set, where every skip fails.
CI = os.environ.get("CI", "").lower() == "true"
CI_STEP = os.environ.get("SR_JAX_CI_STEP", "")


def _skip_fails(longrepr) -> bool:
  return bool(CI_STEP) or (CI and "[ci-step:" not in str(longrepr))


def _fail_skip(report):
  if report.skipped and _skip_fails(report.longrepr):
    report.outcome = "failed"
    report.longrepr = f"skipped where every test must run (CI): {report.longrepr}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
  del item, call
  _fail_skip((yield).get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
  del collector
  _fail_skip((yield).get_result())

REPO = pathlib.Path(__file__).resolve().parents[1]
DATA_DIR = pathlib.Path(os.environ.setdefault("SR_JAX_DATA", str(REPO.parent / "shared" / "data")))

# One persistent XLA compilation cache for the whole run, both xdist workers and every `sr_jax`
# subprocess (their --compilation_cache default): the suite compiles the same tiny steps in many
# tests, and a cache hit loads in milliseconds what takes seconds to compile. Tests of the cache
# itself, or of compiling, pass their own folder or --compilation_cache=.
COMPILATION_CACHE = os.environ.setdefault(
    "SR_JAX_COMPILATION_CACHE",
    os.path.join(tempfile.gettempdir(), f"sr_jax-tests-xla-{os.getuid()}"))

# The suite compiles hundreds of tiny programs and runs each a few times, so XLA:CPU's LLVM
# optimisation passes are most of its time: at backend level 0 the same HLO compiles 2-6x faster
# (twenty jax.random.normal initialisers: 21.7 s → 3.4 s; a tiny GAN step 10.4 s → 4.6 s). Only
# code generation changes, not the program: results agree to float32 rounding (a tiny EDSR's
# loss, 0.39856568 vs 0.39856544), and every comparison in the suite is between runs under the
# same flags or against an independent reference at a tolerance. Speed is measured by
# `sr_jax.bench` at the default level, never by a test. Set the flag yourself to override it.
from sr_jax import cache, xla_flags  # pylint: disable=g-import-not-at-top  (before any backend)

os.environ["XLA_FLAGS"] = xla_flags.appended(os.environ.get("XLA_FLAGS", ""),
                                             {"xla_backend_optimization_level": "0"})

cache.enable(COMPILATION_CACHE)


sys.path.insert(0, str(REPO / "tests"))  # forked_cli, importable by the fork server's children
import forked_cli  # pylint: disable=g-import-not-at-top,wrong-import-position


@pytest.fixture(scope="session")
def run_cli():
  """run_cli("sr_jax.zoo", *argv, env=None, cwd=REPO) → CompletedProcess: `python -m` forked from a
  server that has imported the stack once (tests/forked_cli.py)."""
  return forked_cli.Runner(REPO)


@pytest.fixture
def shared_data():
  """shared_data('Set5', 'HR') → path; skips when missing (a failure under CI=true)."""
  def find(*parts: str) -> pathlib.Path:
    path = DATA_DIR.joinpath(*parts)
    if not path.exists():
      pytest.skip(f"benchmark data not found at {path} (set SR_JAX_DATA)")
    return path
  return find


# A seconds-long training run: 1-block EDSR, 16-pixel HR patches, one small validation image.
TINY = {"model.num_blocks": 1, "model.features": 8, "data.source": "skimage",
        "data.skimage_images": ("astronaut", "coffee"), "data.hr_patch": 16,
        "data.read_threads": 1, "train.batch_size": 4, "train.num_steps": 4,
        "train.log_every": 2, "train.eval_every": 2, "train.checkpoint_every": 2,
        "optim.learning_rate": 1e-3, "val.best_metric": "tiny/psnr_y"}


def _validation_folder(root: pathlib.Path, h: int = 40, w: int = 48) -> pathlib.Path:
  """A folder holding one smooth random image: the tiny run's validation set."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from PIL import Image  # pylint: disable=g-import-not-at-top
  val_dir = root / "val"
  val_dir.mkdir()
  smooth = np.cumsum(np.cumsum(np.random.default_rng(0).integers(0, 9, (h, w, 3)), 0), 1)
  Image.fromarray((smooth * 255 // smooth.max()).astype(np.uint8)).save(val_dir / "ramp.png")
  return val_dir


@pytest.fixture
def tiny_config(tmp_path):
  """TINY as a ConfigDict."""
  from sr_jax.config import default_config  # pylint: disable=g-import-not-at-top
  c = default_config()
  c.update_from_flattened_dict(TINY)
  c.val.sets = {"tiny": str(_validation_folder(tmp_path))}
  return c


@pytest.fixture(scope="session")
def write_tiny_config():
  """write(folder, overrides) → a configs-style file of TINY with `overrides` (flat keys), for
  runs of the CLI in a subprocess."""
  def write(root: pathlib.Path, overrides: dict) -> pathlib.Path:
    values = {**TINY, **overrides}
    path = root / "tiny.py"
    path.write_text(
        "from sr_jax.config import default_config\n\n\ndef get_config():\n"
        "  c = default_config()\n"
        f"  c.update_from_flattened_dict({values!r})\n"
        f"  c.val.sets = {{'tiny': {str(_validation_folder(root, 24, 24))!r}}}\n"
        "  return c\n")
    return path
  return write


class _FileServer:
  """Files served over HTTP on loopback, with Range support; `cut` names files whose first
  response is closed after half their bytes (a dropped connection); `requests` logs
  (path, Range header) of every GET."""

  def __init__(self):
    import http.server  # pylint: disable=g-import-not-at-top
    import threading  # pylint: disable=g-import-not-at-top
    self.files, self.cut, self.requests = {}, set(), []
    server = self

    class Handler(http.server.BaseHTTPRequestHandler):
      def log_message(self, *args):
        del args

      def do_GET(self):  # pylint: disable=invalid-name
        name = self.path.lstrip("/")
        server.requests.append((name, self.headers.get("Range")))
        if name not in server.files:
          self.send_error(404)
          return
        data = server.files[name]
        start = 0
        if self.headers.get("Range"):
          start = int(self.headers["Range"].split("=")[1].split("-")[0])
          self.send_response(206)
          self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
          self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        if name in server.cut:
          server.cut.discard(name)
          self.wfile.write(data[start:start + (len(data) - start) // 2])
          self.wfile.flush()
          self.connection.shutdown(2)
          return
        self.wfile.write(data[start:])

    self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
    self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
    self._thread.start()

  def close(self):
    self._httpd.shutdown()
    self._httpd.server_close()


@pytest.fixture
def file_server():
  """An HTTP server on 127.0.0.1 serving `server.files` (name → bytes) at `server.url`/name."""
  server = _FileServer()
  yield server
  server.close()
